package filetype

import (
	"bytes"
	"compress/zlib"
	"io"
)

// A PDF is searched whole for active content: its objects stand anywhere,
// and readers take the last definition of an object. Objects inside
// compressed object streams (PDF 1.5) are searched after inflating them.
const (
	// pdfLookback is how far before its "stream" keyword the /ObjStm type
	// of an object stream's dictionary may stand.
	pdfLookback = 4 << 10
	// pdfMaxStreams bounds the object streams decoded in one PDF,
	// pdfMaxInflate the bytes they decode to together (each decoding
	// tried counts).
	pdfMaxStreams = 1024
	pdfMaxInflate = 64 << 20
)

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

// scanStream feeds r, up to limit bytes, to scan in overlapping windows,
// each with the offset of its first byte; final is set for the last one.
func scanStream(r io.Reader, limit int64, scan func(b []byte, base int64, final bool)) {
	r = io.LimitReader(r, limit)
	buf := make([]byte, scanWindow)
	keep := 0
	var base int64
	for {
		n, err := io.ReadFull(r, buf[keep:])
		end := keep + n
		final := err != nil
		scan(buf[:end], base, final)
		if final {
			return
		}
		keep = min(scanOverlap, end)
		base += int64(end - keep)
		copy(buf, buf[end-keep:end])
	}
}

// inspectPDF finds active content in a PDF: the names of its objects,
// and of the objects in its object streams. An object stream that cannot
// be decoded and read as one hides what it holds: it is a finding, and
// blocks keeping the file like active content.
func (in *inspector) inspectPDF(r io.ReaderAt, size int64, path string) {
	p := pdfScanner{objStm: -1}
	scanStream(io.NewSectionReader(r, 0, size), size, p.scan)
	if p.objStm >= 0 {
		p.unclaimed++
	}
	hidden := p.unclaimed > 0 || p.tooMany
	budget := int64(pdfMaxInflate)
	for _, off := range p.objStms {
		if !p.objectStream(r, off, size, &budget) {
			hidden = true
		}
	}
	if hidden {
		p.add("pdf: object stream not inspected")
	}
	in.findAll(p.out, path)
}

// pdfScanner collects the findings for active content in a PDF, each once,
// in the order found, and where its object streams' data start.
type pdfScanner struct {
	seen map[string]bool
	out  []string
	next int64 // the first offset not yet scanned: windows overlap
	// objStm is the offset of an /ObjStm name no "stream" keyword has
	// followed yet, or -1; objStms are the data offsets of the object
	// streams found; unclaimed counts /ObjStm names too far from any.
	objStm    int64
	objStms   []int64
	unclaimed int
	tooMany   bool
}

func (p *pdfScanner) add(f string) {
	if p.seen == nil {
		p.seen = map[string]bool{}
	}
	if !p.seen[f] {
		p.seen[f] = true
		p.out = append(p.out, f)
	}
}

var streamKeyword = []byte("stream")

func (p *pdfScanner) scan(b []byte, base int64, final bool) {
	var nameBuf [32]byte
	i := max(0, int(p.next-base))
	slash, kw := -1, -1 // the next '/' and "stream" at or after i, once looked for
	for i < len(b) {
		if slash < i {
			if slash = bytes.IndexByte(b[i:], '/'); slash >= 0 {
				slash += i
			} else {
				slash = len(b)
			}
		}
		if kw < i {
			if kw = bytes.Index(b[i:], streamKeyword); kw >= 0 {
				kw += i
			} else {
				kw = len(b)
			}
		}
		if slash == len(b) && kw == len(b) {
			break
		}
		if kw < slash {
			// "stream", a keyword of its own (not "endstream"), then an
			// end of line: the stream's data start after it.
			j := kw + len(streamKeyword)
			if kw > 0 && !isPDFDelim(b[kw-1]) {
				i = j
				continue
			}
			for j < len(b) && b[j] == ' ' {
				j++
			}
			if j+1 >= len(b) && !final {
				p.next = base + int64(kw)
				return // cut by the window: the next one sees it whole
			}
			switch {
			case j+1 < len(b) && b[j] == '\r' && b[j+1] == '\n':
				j += 2
			case j < len(b) && (b[j] == '\n' || b[j] == '\r'):
				j++
			default:
				i = j
				continue
			}
			if p.objStm >= 0 {
				data := base + int64(j)
				switch {
				case data-p.objStm > pdfLookback:
					p.unclaimed++
				case len(p.objStms) >= pdfMaxStreams:
					p.tooMany = true
				default:
					p.objStms = append(p.objStms, data)
				}
				p.objStm = -1
			}
			i = j
			continue
		}
		name := nameBuf[:0]
		j := slash + 1
		for ; j < len(b) && len(name) < len(nameBuf); j++ {
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
			p.next = base + int64(slash)
			return // cut by the window: the next window sees it whole
		}
		if f, ok := pdfNames[string(name)]; ok {
			p.add(f)
		} else if string(name) == "ObjStm" && p.objStm < 0 {
			p.objStm = base + int64(slash)
		}
		i = j
	}
	p.next = base + int64(len(b))
}

// objectStream decodes the object stream whose data start at off and
// scans its objects, reporting whether it could: its data inflate, raw
// or through a PNG predictor, to what reads as an object stream (pairs
// of object number and offset first). Other filters, a TIFF predictor,
// encryption and more than the budget leave it unread.
func (p *pdfScanner) objectStream(r io.ReaderAt, off, size int64, budget *int64) bool {
	zr, err := zlib.NewReader(io.NewSectionReader(r, off, size-off))
	if err != nil {
		return false
	}
	data, _ := io.ReadAll(io.LimitReader(zr, *budget+1)) // a bad checksum or a truncated end still shows what decoded
	if int64(len(data)) > *budget {
		*budget = 0
		return false
	}
	*budget -= int64(len(data))
	read := false
	scan := func(d []byte) {
		sub := pdfScanner{seen: p.seen, out: p.out, objStm: -1}
		sub.scan(d, 0, true)
		p.seen, p.out = sub.seen, sub.out
		read = true
	}
	if objStmHeader(data) {
		scan(data)
	}
	for _, width := range pngRowWidths(data, 4) {
		for bpp := 1; bpp <= 4 && bpp < width; bpp++ {
			if *budget < int64(len(data)) {
				return read
			}
			*budget -= int64(len(data))
			if d := unpredictPNG(data, width, bpp); objStmHeader(d) {
				scan(d)
			}
		}
	}
	return read
}

// objStmHeader reports whether d starts like an object stream: an object
// number and an offset.
func objStmHeader(d []byte) bool {
	i := 0
	for n := 0; n < 2; n++ {
		for i < len(d) && isPDFSpace(d[i]) {
			i++
		}
		start := i
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
		if i == start || i == len(d) || !isPDFSpace(d[i]) {
			return false
		}
	}
	return true
}

func isPDFSpace(c byte) bool {
	switch c {
	case 0, '\t', '\n', '\f', '\r', ' ':
		return true
	}
	return false
}

// pngRowWidths returns up to max row widths (the filter byte included)
// d could have been encoded with a PNG predictor in: d divides into rows
// of that width, each starting with a filter type (0 to 4).
func pngRowWidths(d []byte, max int) []int {
	var out []int
	if len(d) == 0 || d[0] > 4 {
		return nil
	}
	for w := 2; w <= len(d) && len(out) < max; w++ {
		if len(d)%w != 0 {
			continue
		}
		ok := true
		for r := 0; r < len(d); r += w {
			if d[r] > 4 {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, w)
		}
	}
	return out
}

// unpredictPNG undoes PNG prediction (PDF /Predictor 10 to 15) over rows
// of width bytes (the filter byte first) with bpp bytes per pixel.
func unpredictPNG(d []byte, width, bpp int) []byte {
	cols := width - 1
	out := make([]byte, 0, len(d)/width*cols)
	prev := make([]byte, cols)
	for r := 0; r+width <= len(d); r += width {
		ft, row := d[r], d[r+1:r+width]
		cur := make([]byte, cols)
		for i := range cols {
			var left, up, ul byte
			if i >= bpp {
				left, ul = cur[i-bpp], prev[i-bpp]
			}
			up = prev[i]
			switch ft {
			case 0:
				cur[i] = row[i]
			case 1:
				cur[i] = row[i] + left
			case 2:
				cur[i] = row[i] + up
			case 3:
				cur[i] = row[i] + byte((int(left)+int(up))/2)
			case 4:
				cur[i] = row[i] + paeth(left, up, ul)
			}
		}
		out = append(out, cur...)
		prev = cur
	}
	return out
}

func paeth(a, b, c byte) byte {
	p := int(a) + int(b) - int(c)
	pa, pb, pc := abs(p-int(a)), abs(p-int(b)), abs(p-int(c))
	switch {
	case pa <= pb && pa <= pc:
		return a
	case pb <= pc:
		return b
	}
	return c
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
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

func (s *rtfScanner) scan(b []byte, _ int64, _ bool) {
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
