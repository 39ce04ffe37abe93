package sanitize

import "io"

// crlfReader turns every line end of the input into CRLF: a bare LF, a bare
// CR and CRLF all become CRLF. SMTP servers (go-smtp included) pass bare
// line ends through unchanged, and parsers disagree on what they mean, so
// the walker sees one canonical form only. It streams with one bit of state.
type crlfReader struct {
	r      io.Reader
	in     []byte
	out    []byte // pending output, a slice of outBuf
	outBuf []byte
	prevCR bool // the last input byte was a CR (its LF is already emitted)
	err    error
}

func newCRLFReader(r io.Reader) *crlfReader {
	return &crlfReader{r: r, in: make([]byte, 8<<10), outBuf: make([]byte, 16<<10)}
}

func (c *crlfReader) Read(p []byte) (int, error) {
	for len(c.out) == 0 {
		if c.err != nil {
			return 0, c.err
		}
		n, err := c.r.Read(c.in)
		c.err = err
		o := c.outBuf[:0]
		for _, b := range c.in[:n] {
			switch b {
			case '\r':
				o = append(o, '\r', '\n')
				c.prevCR = true
				continue
			case '\n':
				if !c.prevCR {
					o = append(o, '\r', '\n')
				}
			default:
				o = append(o, b)
			}
			c.prevCR = false
		}
		c.out = o
	}
	n := copy(p, c.out)
	c.out = c.out[n:]
	return n, nil
}

// NormalizeLineEnds returns a reader that turns every bare LF, bare CR and
// CRLF of r into CRLF, streaming. The gateway applies it to DATA before the
// original is stored, so quarantine, sanitiser and any later release see
// one canonical form.
func NormalizeLineEnds(r io.Reader) io.Reader { return newCRLFReader(r) }
