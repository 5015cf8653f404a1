package pmap

import "sync"

// Pair is the two capture files one job writes into: its stdout and its
// stderr.
type Pair struct{ Stdout, Stderr *Capture }

// Size returns the bytes the job wrote to both (none for a Pair without
// files).
func (p Pair) Size() (int64, error) {
	var n int64
	for _, c := range [2]*Capture{p.Stdout, p.Stderr} {
		if c == nil {
			continue
		}
		size, err := c.Size()
		if err != nil {
			return n, err
		}
		n += size
	}
	return n, nil
}

// Reset empties both for the next job.
func (p Pair) Reset() error {
	var err error
	for _, c := range [2]*Capture{p.Stdout, p.Stderr} {
		if c == nil {
			continue
		}
		if err2 := c.Reset(); err == nil {
			err = err2
		}
	}
	return err
}

// CapturePool owns the capture files of a run's job slots: one Pair per
// slot, made when the slot is first used and reused job after job. With -k,
// a finished job whose turn has not come may take its slot's Pair away as
// its waiting output (Hold), up to a bound on the Pairs held, and the slot
// takes a spare one; a held Pair comes back with Release once it has been
// written. A slot's Pair is only used by the goroutine running that slot's
// job, so only the bookkeeping is locked.
type CapturePool struct {
	dir     string
	maxHeld int
	space   *space // the file system the files are on

	mu    sync.Mutex
	slots []Pair // by slot number; grows as slots are used
	held  map[*Capture]Pair
	spare []Pair
}

// NewCapturePool returns an empty pool whose files go in dir ("" for the
// system's temporary directory); at most maxHeld Pairs may be held at once.
func NewCapturePool(dir string, maxHeld int) *CapturePool {
	return &CapturePool{dir: dir, maxHeld: maxHeld, space: newSpace(dir), held: make(map[*Capture]Pair)}
}

// Slot returns the slot's Pair, making its files on first use, for a job
// that is about to run (see Pair.Short); a file that cannot be made is a
// *CaptureError, and leaves nothing open.
func (p *CapturePool) Slot(slot int) (Pair, error) {
	p.mu.Lock()
	for len(p.slots) <= slot {
		p.slots = append(p.slots, Pair{})
	}
	pair := p.slots[slot]
	if pair.Stdout == nil {
		if n := len(p.spare); n > 0 {
			pair = p.spare[n-1]
			p.spare = p.spare[:n-1]
			p.slots[slot] = pair
		}
	}
	p.mu.Unlock()
	if pair.Stdout != nil {
		return p.stamp(pair), nil
	}
	var err error
	if pair.Stdout, err = NewCapture(p.dir); err != nil {
		return Pair{}, err
	}
	if pair.Stderr, err = NewCapture(p.dir); err != nil {
		pair.Stdout.Close()
		return Pair{}, err
	}
	p.mu.Lock()
	p.slots[slot] = pair
	p.mu.Unlock()
	return p.stamp(pair), nil
}

// Hold takes the slot's Pair for a job whose output must wait for its turn,
// leaving the slot to take a spare one next time; false when too many are
// held already.
func (p *CapturePool) Hold(slot int) (Pair, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.held) >= p.maxHeld || slot >= len(p.slots) || p.slots[slot].Stdout == nil {
		return Pair{}, false
	}
	pair := p.slots[slot]
	p.held[pair.Stdout] = pair
	p.slots[slot] = Pair{}
	return pair, true
}

// StopHolding makes Hold refuse from now on, for a run that ran out of
// file descriptors: each held Pair keeps two open.
func (p *CapturePool) StopHolding() {
	p.mu.Lock()
	p.maxHeld = 0
	p.mu.Unlock()
}

// Release gives back a held Pair, written and empty again, as a spare.
func (p *CapturePool) Release(pair Pair) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.held, pair.Stdout)
	p.spare = append(p.spare, pair)
}

// Renew gives the slot fresh files, for when a process that outlived its job
// may still write to the old ones.
func (p *CapturePool) Renew(slot int) error {
	pair, err := p.Slot(slot)
	if err != nil {
		return err
	}
	if err := pair.Stdout.Renew(); err != nil {
		return err
	}
	return pair.Stderr.Renew()
}

// Close releases every file of the pool: the slots', the spares' and the
// held ones' (which must not be used afterwards).
func (p *CapturePool) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	all := append(p.slots, p.spare...)
	for _, pair := range p.held {
		all = append(all, pair)
	}
	for _, pair := range all {
		if pair.Stdout != nil {
			pair.Stdout.Close()
			pair.Stderr.Close()
		}
	}
	p.slots, p.spare, p.held = nil, nil, nil
}
