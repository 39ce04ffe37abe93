package sanitize

import (
	"bytes"
	"io"
)

// crlfReader turns every line end of the input into CRLF: a bare LF, a bare
// CR and CRLF all become CRLF. SMTP servers (go-smtp included) pass bare
// line ends through unchanged, and parsers disagree on what they mean, so
// the walker sees one canonical form only. It streams with one bit of state.
type crlfReader struct {
	r      io.Reader
	out    []byte // pending output, a slice of small
	prevCR bool   // the last input byte was a CR (its LF is already emitted)
	err    error
	// For reads into a small p only: a bigger p is converted in place.
	in    [smallRead]byte
	small [2 * smallRead]byte
}

const smallRead = 64

func newCRLFReader(r io.Reader) *crlfReader { return &crlfReader{r: r} }

// Read converts in place: it reads at most half of p into p's back half
// and converts it forward into p. Output never overtakes input: every
// line end written takes at most one byte more than it read, and there
// are at most len(p)/2 input bytes, so a byte is always read before it is
// overwritten.
func (c *crlfReader) Read(p []byte) (int, error) {
	for {
		if len(c.out) > 0 {
			n := copy(p, c.out)
			c.out = c.out[n:]
			return n, nil
		}
		if c.err != nil {
			return 0, c.err
		}
		if len(p) < 2*smallRead {
			n, err := c.r.Read(c.in[:min(len(c.in), max(len(p)/2, 1))])
			c.err = err
			c.out = c.convert(c.small[:0], c.in[:n])
			continue
		}
		h := len(p) / 2
		n, err := c.r.Read(p[h : 2*h])
		c.err = err
		out := c.convert(p[:0:2*h], p[h:h+n])
		if len(out) > 0 {
			return len(out), nil
		}
	}
}

// NormalizeLineEnds returns a reader that turns every bare LF, bare CR and
// CRLF of r into CRLF, streaming. The gateway applies it to DATA before the
// original is stored, so quarantine, sanitiser and any later release see
// one canonical form.
func NormalizeLineEnds(r io.Reader) io.Reader { return newCRLFReader(r) }

// convert appends in to o with every line end made CRLF. Runs without a
// CR or LF are copied whole (found with the SIMD IndexByte).
func (c *crlfReader) convert(o, in []byte) []byte {
	for len(in) > 0 {
		if c.prevCR {
			c.prevCR = false
			if in[0] == '\n' {
				in = in[1:] // the LF of a CRLF already written
				continue
			}
		}
		i := bytes.IndexByte(in, '\n')
		seg := in
		if i >= 0 {
			seg = in[:i]
		}
		lf := i >= 0
		for {
			j := bytes.IndexByte(seg, '\r')
			if j < 0 {
				o = append(o, seg...)
				if lf {
					o = append(o, '\r', '\n')
				}
				break
			}
			o = append(o, seg[:j]...)
			o = append(o, '\r', '\n')
			seg = seg[j+1:]
			if len(seg) == 0 {
				if lf {
					lf = false // CR LF: one line end
				} else {
					c.prevCR = true // a CR ends the chunk: skip a LF that may follow
				}
				break
			}
		}
		if i < 0 {
			break
		}
		in = in[i+1:]
	}
	return o
}
