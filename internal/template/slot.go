package template

// UsesSlot reports whether the template uses the job slot ({%}, {0%}):
// its command then depends on which slot runs it.
func (t *Template) UsesSlot() bool {
	for i := range t.words {
		if slotIn(t.words[i].toks) {
			return true
		}
	}
	for i := range t.line.toks {
		if isSlot(t.line.toks[i].tok.src) {
			return true
		}
	}
	return false
}

// UsesSlot reports whether the text uses the job slot ({%}, {0%}).
func (t *Text) UsesSlot() bool { return slotIn(t.w.toks) }

func slotIn(toks []token) bool {
	for i := range toks {
		if isSlot(toks[i].src) {
			return true
		}
	}
	return false
}

func isSlot(s source) bool { return s == srcSlot || s == srcSlotPad }
