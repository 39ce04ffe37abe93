package filetype

import (
	"bytes"
	"io"
)

// pdfScanLen is how much of a PDF is searched for active content, at the
// start and again at the end (incremental updates append objects there).
const pdfScanLen = 1 << 20

// pdfNames maps PDF name objects to findings. Names are compared after
// #xx escapes are decoded, so "/J#61vaScript" is found too.
var pdfNames = map[string]string{
	"JavaScript":    "pdf: javascript",
	"JS":            "pdf: javascript",
	"Launch":        "pdf: launch action",
	"EmbeddedFile":  "pdf: embedded file",
	"EmbeddedFiles": "pdf: embedded file",
	"RichMedia":     "pdf: rich media",
	"XFA":           "pdf: xfa form",
	"Encrypt":       "pdf: encrypted",
}

// scanWindow is how much of a stream is looked at at once; windows overlap
// by scanOverlap so that a name cut by a window end is seen whole in the
// next one.
const (
	scanWindow  = 64 << 10
	scanOverlap = 128
)

// scanStream feeds r, up to limit bytes, to scan in overlapping windows;
// final is set for the last one.
func scanStream(r io.Reader, limit int64, scan func(b []byte, final bool)) {
	r = io.LimitReader(r, limit)
	buf := make([]byte, scanWindow)
	keep := 0
	for {
		n, err := io.ReadFull(r, buf[keep:])
		end := keep + n
		final := err != nil
		scan(buf[:end], final)
		if final {
			return
		}
		keep = min(scanOverlap, end)
		copy(buf, buf[end-keep:end])
	}
}

// pdfScanner collects the findings for active content in a PDF, each once,
// in the order found. Objects inside compressed object streams are not
// seen.
type pdfScanner struct {
	seen map[string]bool
	out  []string
}

func (p *pdfScanner) scan(b []byte, final bool) {
	if p.seen == nil {
		p.seen = map[string]bool{}
	}
	var name []byte
	for i := 0; i < len(b); i++ {
		if b[i] != '/' {
			continue
		}
		name = name[:0]
		j := i + 1
		for ; j < len(b) && len(name) < 32; j++ {
			c := b[j]
			if isPDFDelim(c) {
				break
			}
			if c == '#' && j+2 < len(b) && isHex(b[j+1]) && isHex(b[j+2]) {
				c = unhex(b[j+1])<<4 | unhex(b[j+2])
				j += 2
			}
			name = append(name, c)
		}
		if j >= len(b) && !final {
			return // cut by the window: the next window sees it whole
		}
		if f, ok := pdfNames[string(name)]; ok && !p.seen[f] {
			p.seen[f] = true
			p.out = append(p.out, f)
		}
		i = j - 1
	}
}

func isPDFDelim(c byte) bool {
	switch c {
	case 0, '\t', '\n', '\f', '\r', ' ', '(', ')', '<', '>', '[', ']', '{', '}', '/', '%':
		return true
	}
	return false
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

// rtfScanner reports embedded OLE objects in an RTF document (the carrier
// of the Equation Editor and Follina-style exploits).
type rtfScanner struct{ out []string }

func (s *rtfScanner) scan(b []byte, _ bool) {
	if s.out != nil {
		return
	}
	for _, w := range []string{`\object`, `\objdata`, `\objupdate`, `\objemb`, `\objlink`} {
		if bytes.Contains(b, []byte(w)) {
			s.out = []string{"office: embedded object"}
			return
		}
	}
}
