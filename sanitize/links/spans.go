package links

import "bytes"

// spanURLs rewrites, in b[from:], the spans Thunderbird reads as one URL
// with its white space taken out (RFC 2396 appendix E): the text between
// "<" and ">", or between two double quotes, with no "<", ">" or '"'
// inside, on one line. It reads them so when they hold a colon (its
// plain-text view links them from a scheme's colon), so "<ht tps://evil.
// example/login>" is a working https link there. Where taking the spaces
// and tabs out of such a span leaves a URL, the span becomes that text
// with its URLs neutralised by core; other spans, and the rest of the
// line, stay as they are. It returns b and the number of URLs changed.
func spanURLs(b []byte, from int, mode string, core func(dst, line []byte, mode string) ([]byte, int)) ([]byte, int) {
	line := b[from:]
	if !maySpan(line) {
		return b, 0
	}
	var out, stripped []byte
	n, copied, prev := 0, 0, -1 // prev: the last delimiter on this line
	for i, c := range line {
		switch c {
		case '\n':
			prev = -1
			continue
		case '<', '>', '"':
		default:
			continue
		}
		if prev >= 0 && (line[prev] == '<' && c == '>' || line[prev] == '"' && c == '"') {
			if span := line[prev+1 : i]; bytes.IndexByte(span, ':') >= 0 && bytes.ContainsAny(span, " \t") {
				stripped = stripped[:0]
				for _, x := range span {
					if x != ' ' && x != '\t' {
						stripped = append(stripped, x)
					}
				}
				var k int
				mark := len(out)
				out = append(out, line[copied:prev+1]...)
				if out, k = core(out, stripped, mode); k > 0 {
					n += k
					copied = i
				} else {
					out = out[:mark]
				}
			}
		}
		prev = i
	}
	if n == 0 {
		return b, 0
	}
	out = append(out, line[copied:]...)
	return append(b[:from], out...), n
}
