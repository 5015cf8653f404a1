package cmd

import (
	"errors"
	"strconv"

	"github.com/parmap/parmap/channel"
	"github.com/parmap/parmap/internal/pressure"
	"github.com/parmap/parmap/internal/size"
)

// The Resources options --load, --memfree and --nice (--mem-limit and
// --cpu-limit: config_memlimit.go).

// parseLoad reads --load: a load average or a percentage.
func parseLoad(s string) (pressure.Load, error) {
	l, err := pressure.ParseLoad(s)
	if err != nil {
		return l, usagef("--load %q: give a load average above 0 (e.g. --load 4) or a percentage (e.g. --load 90%%)", s)
	}
	return l, nil
}

// parseMemfree reads --memfree.
func parseMemfree(s string) (int64, error) {
	n, err := size.Parse(s)
	if err != nil {
		return 0, usagef("--memfree %q: give a size in bytes above 0, with an optional K, M, G or T (powers of 1024), e.g. --memfree 2G", s)
	}
	return n, nil
}

// niceness is --nice's value, as given.
type niceness struct {
	set bool
	n   int
}

// parseNice reads --nice: -20 to 19.
func parseNice(s string) (niceness, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < -20 || n > 19 {
		return niceness{}, usagef("--nice %q: give a niceness from -20 (first) to 19 (last)", s)
	}
	return niceness{set: true, n: n}, nil
}

// resources reads --load, --memfree and --nice (after -S: the readings
// are this machine's, so not with hosts); a niceness the jobs
// cannot be given (below parmap's, without privilege) is an error now
// rather than at every job.
func (b *builder) resources() error {
	c, cfg := b.c, b.cfg
	var err error
	if cfg.Pressure.Load, _, err = get[pressure.Load](c, "load"); err != nil {
		return err
	}
	if cfg.Pressure.MemFree, _, err = get[int64](c, "memfree"); err != nil {
		return err
	}
	if cfg.Pressure.Any() && cfg.Hosts != nil {
		return usagef("--load and --memfree read this machine's load and memory, not that of -S hosts; drop one of them")
	}
	nice, _, err := get[niceness](c, "nice")
	if err != nil || !nice.set {
		return err
	}
	cfg.Nice = channel.Niceness{Set: true, Value: nice.n}
	if cfg.DryRun {
		return nil
	}
	var ne *channel.NiceError
	if err := channel.CheckNice(nice.n); errors.As(err, &ne) {
		return usagef("--nice %d: the jobs cannot run at that niceness (%s): below parmap's own it takes privilege", nice.n, wordError(ne.Err))
	}
	return nil
}
