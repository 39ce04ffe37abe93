package links

import "slices"

// spanURLs neutralises, in b[from:], the spans Thunderbird reads as one
// URL with its white space taken out (RFC 2396 appendix E): the text
// between "<" and ">", or between two double quotes, with no "<", ">" or
// '"' inside, on one line. Its plain-text view reads a span so from a
// colon or an "@" in it, and links the span's text with the spaces and
// tabs removed when that text starts with a URL: "<htt p://evil.example>"
// is a working http link there. Such a span keeps its text, which the
// rewriting as written has been through, but its delimiters become the
// full-width "＜＞" and "＂＂", which Thunderbird does not read as a span:
// the text stays as readable as it was. It returns b and the number of
// spans changed.
//
// Spans are taken as the output will have them: once a span's delimiters
// are replaced, the delimiters on either side of it meet, so those are
// paired next (a stack of the delimiters still standing). Each delimiter
// is looked at once and each span at most maxSpanLook bytes, so a line
// costs linear time whatever its quotes.
func spanURLs(b []byte, from int) ([]byte, int) {
	line := b[from:]
	if !maySpan(line) {
		return b, 0
	}
	var stackBuf [16]int
	stack := stackBuf[:0] // delimiters still standing, on this line
	var spans [][2]int    // the delimiters to replace
	lastBlank, lastMark := -1, -1
	for i, c := range line {
		switch c {
		case ' ', '\t':
			lastBlank = i
			continue
		case ':', '@':
			lastMark = i
			continue
		case '\n':
			stack = stack[:0]
			continue
		case '<', '>', '"':
		default:
			continue
		}
		if n := len(stack); n > 0 {
			top := stack[n-1]
			if (line[top] == '<' && c == '>' || line[top] == '"' && c == '"') &&
				lastBlank > top && lastMark > top && linkedSpan(line[top+1:i]) {
				spans = append(spans, [2]int{top, i})
				stack = stack[:n-1]
				continue
			}
		}
		stack = append(stack, i)
	}
	if len(spans) == 0 {
		return b, 0
	}
	// Replacements, in order of position.
	pos := make([]int, 0, 2*len(spans))
	for _, sp := range spans {
		pos = append(pos, sp[0], sp[1])
	}
	slices.Sort(pos)
	out := make([]byte, 0, len(line)+2*len(pos))
	copied := 0
	for _, d := range pos {
		out = append(out, line[copied:d]...)
		switch line[d] {
		case '<':
			out = append(out, "＜"...)
		case '>':
			out = append(out, "＞"...)
		default:
			out = append(out, "＂"...)
		}
		copied = d + 1
	}
	out = append(out, line[copied:]...)
	return append(b[:from], out...), len(spans)
}

// maxSpanLook bounds the bytes of a span looked at to find where its text
// starts once the white space is out. A span whose text has not started
// by then is taken to start with a URL: its delimiters are replaced,
// which is safe and only looks different.
const maxSpanLook = 256

// linkedSpan reports whether the text of a span (which has white space
// and a colon or "@") starts with a URL once its spaces and tabs are
// out: a scheme Thunderbird links, or "www.". UNC paths are not looked
// for: Thunderbird does not link them, and Outlook, which does, does not
// take white space out.
func linkedSpan(span []byte) bool {
	var buf [64]byte
	stripped := buf[:0]
	for i, c := range span {
		if i == maxSpanLook {
			return true
		}
		if c == ' ' || c == '\t' {
			continue
		}
		if stripped = append(stripped, c); len(stripped) == len(buf) {
			break
		}
	}
	if len(stripped) > 4 && string(stripped[:4]) == "URL:" {
		stripped = stripped[4:] // "<URL:...>" (RFC 1738 appendix): the URL follows
	}
	if len(stripped) == 0 {
		return false
	}
	if sch, _ := schemeAt(stripped, 0); sch != "" || wwwAt(stripped, 0) {
		return true
	}
	w, _ := nextOther(stripped, 0)
	return w == 0
}
