package template

// ptrSize is what the kernel counts for each argument and environment
// string besides its bytes and NUL: its pointer in the new program's argv or
// envp.
const ptrSize = 8

// headroom is what ArgRoom keeps free besides the template and the
// environment: the program's path as found in PATH, the variables the run
// adds (PARMAP_SEQ, PARMAP_SLOT, MAKEFLAGS), and for a remote job the
// exports and the guard around the line and ssh's own arguments. (GNU xargs
// keeps 2048 bytes.)
const headroom = 4096

// ArgCost returns the bytes one argument a of a record adds to the command
// Expand makes when a job carries many records (-X), the unit of ArgRoom.
// Every place the template writes the record's arguments counts. In argv
// mode a word of its own costs its bytes, its NUL and its pointer, and a
// value inside a larger word its bytes and a space, or with Options.Context
// (-X) a copy of that word of its own for each a. As one shell line (shell
// mode, or line: the command goes to a remote shell as one line) it costs a
// as quoted there and a space.
func (t *Template) ArgCost(a string, line bool) int {
	switch {
	case t.mode == ShellLine:
		return t.line.argCost(a)
	case line:
		uses, cost := 0, 0
		for i := range t.words {
			w := &t.words[i]
			if t.ctx && w.contextual() { // a copy of the word of its own
				cost += w.uses()*len(Quote(a)) + len(Quote(w.text)) + 1
			} else {
				uses += w.uses()
			}
		}
		if cost == 0 {
			uses = max(uses, 1)
		}
		return cost + uses*(len(Quote(a))+1)
	case t.mode == RecordIsCommand:
		return len(a) + 1 + ptrSize
	}
	cost := 0
	for i := range t.words {
		w := &t.words[i]
		switch {
		case w.whole():
			cost += len(a) + 1 + ptrSize
		case t.ctx && w.contextual():
			cost += w.ctxCost(a)
		default:
			cost += w.uses() * (len(a) + 1)
		}
	}
	if cost == 0 { // appended
		cost = len(a) + 1 + ptrSize
	}
	return cost
}

// ArgRoom returns how much of ArgCost one command may hold. limit is what
// the kernel passes to a new program, its arguments and environment together
// (each string with its NUL and its pointer), and env what the environment
// takes of it. What the template writes itself and a headroom come off, and
// where the records go into one argument (a shell line, a word with {} inside
// it) that argument must stay within MaxArg. It is at least 1: a record too
// large for any room still runs alone, and fails with the kernel's error.
func (t *Template) ArgRoom(limit, env int, line bool) int {
	room := limit - env - headroom
	one := -1 // room in the longest single argument; -1: no such limit
	switch {
	case t.mode == ShellLine:
		room -= len(t.shell) + len(" -c ") + len(t.line.text) + 3*ptrSize
		one = MaxArg - len(t.line.text)
		if line {
			one -= headroom
		}
	case line:
		size := 0
		for i := range t.words {
			size += len(Quote(t.words[i].text)) + 1
		}
		room -= size
		one = MaxArg - size - headroom
	default:
		for i := range t.words {
			w := &t.words[i]
			room -= len(w.text) + 1 + ptrSize
			if !w.whole() && w.uses() > 0 && !t.ctx { // with ctx, one copy per Arg
				if r := MaxArg - len(w.text); one < 0 || r < one {
					one = r
				}
			}
		}
	}
	if one >= 0 {
		room = min(room, one)
	}
	return max(room, 1)
}

// ctxCost is what one copy of a word that -X repeats for each Arg a costs:
// its literal text, a for each {}, its NUL and its pointer. A {#} or {%} in
// it is counted as 20 bytes, and a {n} or {name} (the job's first tuple's
// field in every copy) as long as a: an estimate, which a first field much
// longer than the others exceeds.
func (w *word) ctxCost(a string) int {
	cost := len(w.lits[0]) + 1 + ptrSize
	for i := range w.toks {
		switch w.toks[i].src {
		case srcSeq, srcSlot:
			cost += 20
		case srcDevices: // {gpu}: as long as the longest slot's devices
			longest := 0
			for _, d := range w.toks[i].devs {
				longest = max(longest, len(d))
			}
			cost += longest
		default:
			cost += len(a)
		}
		cost += len(w.lits[i+1])
	}
	return cost
}

// uses counts the replacement strings of w that take the record's Args.
func (w *word) uses() int {
	n := 0
	for i := range w.toks {
		if w.toks[i].src == srcArgs {
			n++
		}
	}
	return n
}

// argCost is ArgCost for a shell line: a as each replacement string that
// takes the record's Args writes it (doubled for each level of backquotes
// around it, whose backslashes may double), or as appended when none does.
func (s *shellLine) argCost(a string) int {
	cost := s.ctxCost(a)
	var buf []byte
	for i := range s.toks {
		st := &s.toks[i]
		if st.tok.src != srcArgs || s.inSpan(i) {
			continue
		}
		n := len(a) // arithmetic: a number as it stands, or the job fails
		if st.enc.q != qArith {
			buf, _ = st.encode(buf[:0], a, nil)
			n = len(buf)
		}
		cost += (n + 1) << len(st.enc.bq)
	}
	if cost == 0 {
		cost = len(appendWord(buf[:0], a, true)) + 1
	}
	return cost
}

// LineLen returns the length of the template as one command line, before
// any record goes in: what GNU's -s (--max-chars) counts besides the
// records (each of which costs ArgCost with line set).
func (t *Template) LineLen() int {
	if t.mode == ShellLine {
		return len(t.line.text) + 1
	}
	n := 0
	for i := range t.words {
		n += len(Quote(t.words[i].text)) + 1
	}
	return n
}
