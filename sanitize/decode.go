package sanitize

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"io"
)

// Transfer decoders. Both are lenient the way mail clients are (a reader
// sees the same bytes a client would show) and report what they had to
// forgive, so the walker can call the part ambiguous where clients differ.

// b64Table maps a base64 character to its value; 0xFF is not base64, 0xFE
// is padding, 0xFD is white space. A constant table, never written to.
var b64Table = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xFF
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := 0; i < len(alphabet); i++ {
		t[alphabet[i]] = byte(i)
	}
	t['='] = 0xFE
	for _, c := range []byte{' ', '\t', '\r', '\n'} {
		t[c] = 0xFD
	}
	return t
}()

// b64Reader decodes base64 leniently: white space is skipped, a missing
// final padding is accepted. invalid counts bytes outside the alphabet (go-
// message and strict decoders fail there, lenient clients skip them), data
// after the padding and a lone trailing character: each is a parser
// differential, and the walker treats the part as ambiguous.
type b64Reader struct {
	r       io.Reader
	in      []byte
	out     []byte
	pend    []byte
	quad    [4]byte
	nq      int
	padded  bool
	invalid int
	err     error
}

func newB64Reader(r io.Reader) *b64Reader {
	return &b64Reader{r: r, in: make([]byte, 16<<10), out: make([]byte, 0, 12<<10)}
}

func (d *b64Reader) Read(p []byte) (int, error) {
	for len(d.pend) == 0 {
		if d.err != nil {
			return 0, d.err
		}
		n, err := d.r.Read(d.in)
		out := d.out[:0]
		in := d.in[:n]
		for i := 0; i < len(in); i++ {
			if d.nq == 0 && !d.padded {
				// Fast path: a run of alphabet characters (a whole line,
				// usually) goes through the standard decoder.
				j := i
				for j < len(in) && b64Table[in[j]] < 64 {
					j++
				}
				if k := (j - i) &^ 3; k >= 16 {
					m := len(out)
					out = append(out, make([]byte, k/4*3)...)
					base64.StdEncoding.Decode(out[m:], in[i:i+k])
					i += k - 1
					continue
				}
			}
			c := in[i]
			v := b64Table[c]
			switch {
			case v < 64:
				if d.padded {
					// Data after "=": some decoders stop, some go on.
					d.invalid++
					d.padded = false
				}
				d.quad[d.nq] = v
				d.nq++
				if d.nq == 4 {
					out = append(out, d.quad[0]<<2|d.quad[1]>>4, d.quad[1]<<4|d.quad[2]>>2, d.quad[2]<<6|d.quad[3])
					d.nq = 0
				}
			case v == 0xFE:
				if !d.padded {
					out = d.flush(out)
					d.padded = true
				}
			case v == 0xFD:
			default:
				d.invalid++
			}
		}
		if err != nil {
			out = d.flush(out)
			d.err = err
		}
		d.pend = out
	}
	n := copy(p, d.pend)
	d.pend = d.pend[n:]
	return n, nil
}

// flush decodes a partial quantum at padding or end of input.
func (d *b64Reader) flush(out []byte) []byte {
	switch d.nq {
	case 1:
		d.invalid++
	case 2:
		out = append(out, d.quad[0]<<2|d.quad[1]>>4)
	case 3:
		out = append(out, d.quad[0]<<2|d.quad[1]>>4, d.quad[1]<<4|d.quad[2]>>2)
	}
	d.nq = 0
	return out
}

// qpReader decodes quoted-printable (RFC 2045 6.7) leniently: trailing
// white space is dropped, "=" at the end of a line is a soft break, "=XY"
// takes upper or lower case hex, and an "=" that starts no valid escape
// stays a literal "=" (counted in invalid). Input lines end in CRLF; hard
// line breaks come out as CRLF.
type qpReader struct {
	br      *bufio.Reader
	out     []byte
	pend    []byte
	carry   []byte // unprocessed tail of a long line
	invalid int
	err     error
}

func newQPReader(r io.Reader) *qpReader {
	return &qpReader{br: bufio.NewReaderSize(r, 8<<10)}
}

func (q *qpReader) Read(p []byte) (int, error) {
	for len(q.pend) == 0 {
		if q.err != nil {
			return 0, q.err
		}
		chunk, err := q.br.ReadSlice('\n')
		line := chunk
		if len(q.carry) > 0 {
			line = append(q.carry, chunk...)
			q.carry = nil
		}
		out := q.out[:0]
		switch {
		case err == bufio.ErrBufferFull:
			// Part of a long line: keep a tail that may be trailing
			// space or an unfinished escape for the next round.
			keep := len(line)
			for keep > 0 && (line[keep-1] == ' ' || line[keep-1] == '\t') && len(line)-keep < 1024 {
				keep--
			}
			if i := bytes.LastIndexByte(line, '='); i >= 0 && i >= len(line)-2 && i < keep {
				keep = i
			}
			out = q.decode(out, line[:keep])
			q.carry = append([]byte(nil), line[keep:]...)
		case err != nil:
			out = q.decodeLine(out, line, false)
			q.err = err
		default:
			out = q.decodeLine(out, line, true)
		}
		q.out = out
		q.pend = out
	}
	n := copy(p, q.pend)
	q.pend = q.pend[n:]
	return n, nil
}

// decodeLine decodes one whole line; hasEnd says it ended in a line break.
func (q *qpReader) decodeLine(out, line []byte, hasEnd bool) []byte {
	line = bytes.TrimSuffix(line, []byte("\n"))
	line = bytes.TrimSuffix(line, []byte("\r"))
	line = bytes.TrimRight(line, " \t")
	soft := len(line) > 0 && line[len(line)-1] == '='
	if soft {
		line = line[:len(line)-1]
	}
	out = q.decode(out, line)
	if hasEnd && !soft {
		out = append(out, '\r', '\n')
	}
	return out
}

func (q *qpReader) decode(out, s []byte) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '=' {
			out = append(out, c)
			continue
		}
		if i+2 < len(s) {
			h, ok1 := unhex(s[i+1])
			l, ok2 := unhex(s[i+2])
			if ok1 && ok2 {
				out = append(out, h<<4|l)
				i += 2
				continue
			}
		}
		q.invalid++
		out = append(out, '=')
	}
	return out
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
