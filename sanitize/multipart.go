package sanitize

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
)

// multipartReader splits a multipart body (RFC 2046 5.1) into the raw bytes
// of its parts, header included. It is our own rather than go-message's
// because the walker must bound each part's header, see exactly how the
// body ended (close delimiter, or end of input: a missing final boundary),
// and never buffer more than one window per nesting level.
//
// Line ends are CRLF (the input went through crlfReader). A delimiter is
// CRLF "--" boundary, optional spaces and tabs, CRLF; a close delimiter is
// CRLF "--" boundary "--" and whatever follows on that line. The CRLF
// before a delimiter belongs to the delimiter, not to the part. "--b" with
// any other character after it is not a delimiter for boundary "b".
type multipartReader struct {
	br    *bufio.Reader
	delim []byte // "\r\n--" + boundary

	parts  int    // delimiters seen
	gen    int    // current part generation; older readers see EOF
	safe   int    // leading buffered bytes known to be part data
	ahead  mpMark // what ended the current part, once known
	size   int    // length of the delimiter line when ahead is mpDelim
	done   bool
	window int // the buffer's size: how far ahead a delimiter is looked for
}

type mpMark int

const (
	mpNone  mpMark = iota
	mpDelim        // a delimiter: another part follows
	mpClose        // the close delimiter
	mpEOF          // the input ended first
)

var (
	errNoFirstBoundary = errors.New("multipart: no boundary found")
	errNoFinalBoundary = errors.New("multipart: missing final boundary")
)

const mpWindow = 16 << 10

// newMultipartReaderSize reads with a window of n bytes (at least 1 KiB,
// room for any delimiter line), smaller for small messages.
func newMultipartReaderSize(r io.Reader, boundary string, n int) *multipartReader {
	return newMultipartReader(bufio.NewReaderSize(nil, max(n, 1<<10)), r, boundary)
}

// newMultipartReader reads r through br, whose buffer is the window.
func newMultipartReader(br *bufio.Reader, r io.Reader, boundary string) *multipartReader {
	// A virtual CRLF in front lets a first delimiter at the very start of
	// the body match like any other.
	br.Reset(io.MultiReader(strings.NewReader("\r\n"), &stickyReader{r: r}))
	return &multipartReader{
		br:     br,
		delim:  []byte("\r\n--" + boundary),
		window: br.Size(),
	}
}

// NextPart skips the rest of the current part (or the preamble) and
// returns a reader over the next part's raw bytes. It returns io.EOF after
// the close delimiter, errNoFinalBoundary when the input ended inside a
// part and errNoFirstBoundary when it held no delimiter at all.
func (m *multipartReader) NextPart() (io.Reader, error) {
	if m.done {
		return nil, io.EOF
	}
	if m.ahead == mpNone {
		if _, err := io.Copy(io.Discard, &mpPart{m: m, gen: m.gen}); err != nil {
			return nil, err
		}
	}
	switch m.ahead {
	case mpDelim:
		m.br.Discard(m.size)
		m.ahead = mpNone
		m.safe = 0
		m.parts++
		m.gen++
		return &mpPart{m: m, gen: m.gen}, nil
	case mpClose:
		m.done = true
		return nil, io.EOF
	default:
		m.done = true
		if m.parts == 0 {
			return nil, errNoFirstBoundary
		}
		return nil, errNoFinalBoundary
	}
}

type mpPart struct {
	m   *multipartReader
	gen int
}

func (p *mpPart) Read(b []byte) (int, error) {
	if p.gen != p.m.gen {
		return 0, io.EOF
	}
	return p.m.readData(b)
}

// readData returns bytes of the current part until its delimiter.
func (m *multipartReader) readData(p []byte) (int, error) {
	if m.ahead != mpNone || len(p) == 0 {
		if m.ahead != mpNone {
			return 0, io.EOF
		}
		return 0, nil
	}
	for {
		if m.safe > 0 {
			n := min(m.safe, len(p))
			n, _ = m.br.Read(p[:n])
			m.safe -= n
			return n, nil
		}
		buf, _ := m.br.Peek(m.br.Buffered())
		eof := false
		if len(buf) < len(m.delim)+4 {
			var err error
			buf, err = m.br.Peek(min(m.window, len(m.delim)+4))
			eof = err != nil
		}
		i := bytes.Index(buf, m.delim)
		switch {
		case i > 0:
			m.safe = i
			continue
		case i == 0:
			mark, size, decided := m.classify(buf[len(m.delim):])
			if !decided {
				if !eof && len(buf) < m.window {
					if _, err := m.br.Peek(len(buf) + 1); err == nil {
						continue
					}
				}
				// End of input right after the boundary, or spaces
				// filling the window: read it as a delimiter.
				mark, size = mpDelim, len(buf)
			}
			if mark == mpNone { // "--b" followed by another character
				m.safe = len(m.delim)
				continue
			}
			m.ahead, m.size = mark, size
			return 0, io.EOF
		}
		// No delimiter: everything but a tail that may start one is data.
		hold := 0
		if j := bytes.LastIndexByte(buf, '\r'); j >= 0 && len(buf)-j < len(m.delim) && bytes.HasPrefix(m.delim, buf[j:]) {
			hold = len(buf) - j
		}
		if len(buf)-hold > 0 {
			m.safe = len(buf) - hold
			continue
		}
		if eof || len(buf) == m.window {
			if len(buf) > 0 {
				m.safe = len(buf)
				continue
			}
			m.ahead = mpEOF
			return 0, io.EOF
		}
		if _, err := m.br.Peek(len(buf) + 1); err != nil && len(buf) == 0 {
			m.ahead = mpEOF
			return 0, io.EOF
		}
	}
}

// classify looks at the bytes after "\r\n--boundary". decided is false
// when more input is needed.
func (m *multipartReader) classify(rest []byte) (mark mpMark, size int, decided bool) {
	if len(rest) == 0 {
		return 0, 0, false
	}
	if rest[0] == '-' {
		if len(rest) < 2 {
			return 0, 0, false
		}
		if rest[1] == '-' {
			return mpClose, len(m.delim) + 2, true
		}
		return mpNone, 0, true
	}
	j := 0
	for j < len(rest) && (rest[j] == ' ' || rest[j] == '\t') {
		j++
	}
	if j+1 >= len(rest) {
		return 0, 0, false
	}
	if rest[j] == '\r' && rest[j+1] == '\n' {
		return mpDelim, len(m.delim) + j + 2, true
	}
	return mpNone, 0, true
}

// stickyReader never reads again after an error: bufio may call Read after
// an io.EOF, and a parent part reader must not be asked twice.
type stickyReader struct {
	r   io.Reader
	err error
}

func (s *stickyReader) Read(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n, err := s.r.Read(p)
	s.err = err
	return n, err
}
