package sanitize

import (
	"bytes"
	"io"
)

// flowedWriter undoes format=flowed (RFC 3676) in decoded text on its way
// to the text sink, as Thunderbird and Apple Mail show such a part: a line
// ending in a space is soft-broken and continues on the next line of the
// same quote depth; with delsp=yes (Apple Mail's and Thunderbird's for
// Japanese, which has no spaces to break at) that space is not text
// either. The rebuilt text is not flowed, so left as it came every
// soft break was a hard one and split words (「で」「す」) across lines.
// Joining comes before the sink, so a link broken over lines is
// neutralised whole, as the client that joins it would show it.
//
// Memory is bounded: a physical line longer than maxLine passes through
// in pieces, only its last byte (which says whether it is flowed) held.
type flowedWriter struct {
	next  io.Writer
	delsp bool
	line  []byte // the physical line being read (once begun: its text)
	begun bool   // line's quote marks and stuffing are taken off and its head is written
	long  bool   // line went past maxLine and was partly written
	open  bool   // the last line was soft-broken: this one continues it
	depth int    // quote depth of the paragraph being written
	cr    bool   // the last byte was a CR (a LF after it ends nothing)
	err   error
}

func newFlowedWriter(next io.Writer, delsp bool) *flowedWriter {
	return &flowedWriter{next: next, delsp: delsp}
}

func (w *flowedWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 && w.err == nil {
		if w.cr {
			w.cr = false
			if p[0] == '\n' {
				p = p[1:]
				continue
			}
		}
		i := bytes.IndexAny(p, "\r\n")
		seg := p
		if i >= 0 {
			seg = p[:i]
		}
		for len(seg) > 0 {
			k := min(maxLine+1-len(w.line), len(seg))
			w.line = append(w.line, seg[:k]...)
			seg = seg[k:]
			if len(w.line) > maxLine {
				w.spill()
			}
		}
		if i < 0 {
			break
		}
		w.cr = p[i] == '\r'
		p = p[i+1:]
		w.endLine(true)
	}
	return n, w.err
}

// Close writes what is left of the last line.
func (w *flowedWriter) Close() error {
	if len(w.line) > 0 || w.begun {
		w.endLine(false)
	}
	return w.err
}

func (w *flowedWriter) write(b []byte) {
	if w.err == nil && len(b) > 0 {
		_, w.err = w.next.Write(b)
	}
}

var flowedLF = []byte{'\n'}

// begin takes the quote marks and the stuffed space off the line and
// writes its head: a line end when it does not continue the paragraph
// (another quote depth, the signature separator), and the quote marks
// when it starts one.
func (w *flowedWriter) begin() {
	d := 0
	for d < len(w.line) && w.line[d] == '>' {
		d++
	}
	text := w.line[d:]
	if len(text) > 0 && text[0] == ' ' {
		text = text[1:] // space-stuffed (RFC 3676 4.4), or the space after the quote marks
	}
	if w.open && (d != w.depth || string(text) == "-- ") {
		w.write(flowedLF) // RFC 3676 4.5: a new quote depth ends the paragraph
		w.open = false
	}
	if !w.open && d > 0 {
		w.write(bytes.Repeat([]byte{'>'}, d))
		if len(text) > 0 {
			w.write([]byte{' '})
		}
	}
	w.depth = d
	w.line = append(w.line[:0], text...)
	w.begun = true
}

// spill writes a long line's text but its last byte.
func (w *flowedWriter) spill() {
	if !w.begun {
		w.begin()
	}
	w.long = true
	if len(w.line) > 1 {
		w.write(w.line[:len(w.line)-1])
		w.line = append(w.line[:0], w.line[len(w.line)-1])
	}
}

// endLine writes the rest of the line and, unless it is soft-broken, its
// line end.
func (w *flowedWriter) endLine(ended bool) {
	wasLong := w.long && w.begun
	if !w.begun {
		w.begin()
	}
	line := w.line
	sigSep := !wasLong && string(line) == "-- "
	flowed := len(line) > 0 && line[len(line)-1] == ' ' && !sigSep
	if flowed && w.delsp {
		line = line[:len(line)-1]
	}
	w.write(line)
	if !flowed && ended {
		w.write(flowedLF)
	}
	w.open = flowed
	w.line, w.begun, w.long = w.line[:0], false, false
}
