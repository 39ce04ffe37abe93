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
// is looked at once, and each span until 64 bytes of its text or
// maxSpanBlanks spaces, so a line costs linear time whatever its quotes.
func spanURLs(b []byte, from int) ([]byte, int) {
	line := b[from:]
	if !maySpan(line) {
		return b, 0
	}
	var stackBuf [16]int
	stack := stackBuf[:0] // delimiters still standing, on this line
	var spans [][2]int    // the delimiters to replace
	var repl []bool       // line[i] is a delimiter to replace (made with the first span)
	lastBlank, lastMark, lastAt := -1, -1, -1
	for i, c := range line {
		switch c {
		case ' ', '\t':
			lastBlank = i
			continue
		case ':':
			lastMark = i
			continue
		case '@':
			lastMark, lastAt = i, i
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
				lastBlank > top && lastMark > top && linkedSpan(line, top+1, i, repl, lastAt > top) {
				spans = append(spans, [2]int{top, i})
				if repl == nil {
					repl = make([]bool, len(line))
				}
				repl[top], repl[i] = true, true
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
		out = append(out, fullWidth(line[d])...)
		copied = d + 1
	}
	out = append(out, line[copied:]...)
	return append(b[:from], out...), len(spans)
}

// maxSpanBlanks bounds the white space skipped to find where a span's
// text starts. A span with more before its text is taken to start with a
// URL: its delimiters are replaced, which is safe and only looks
// different. (Counting white space, not bytes, keeps the answer the same
// on the output, where replaced delimiters inside a span are longer.)
const maxSpanBlanks = 256

// linkedSpan reports whether the text of the span line[lo:hi] (which has
// white space and a colon or "@") starts with a URL once its spaces and
// tabs are out: a scheme Thunderbird links, or "www." (with a user name:
// hasAt says the span has an "@"). The delimiters of
// inner spans already replaced (repl) are read as their replacements,
// as the output will have them. UNC paths are not looked for:
// Thunderbird does not link them, and Outlook, which links all of
// "<\\host\share with spaces>" without taking its white space out,
// starts that link at the two backslashes, which uncAt finds wherever
// they stand.
func linkedSpan(line []byte, lo, hi int, repl []bool, hasAt bool) bool {
	var buf [64]byte
	stripped := buf[:0]
	blanks := 0
	for k := lo; k < hi && len(stripped) < len(buf)-3; k++ {
		switch c := line[k]; {
		case c == ' ' || c == '\t':
			if blanks++; blanks > maxSpanBlanks {
				return true
			}
		case repl != nil && repl[k]:
			// An inner span's delimiter, as the output will have it.
			stripped = append(stripped, fullWidth(c)...)
		default:
			stripped = append(stripped, c)
		}
	}
	if len(stripped) > 4 && string(stripped[:4]) == "URL:" {
		stripped = stripped[4:] // "<URL:...>" (RFC 1738 appendix): the URL follows
	}
	if len(stripped) == 0 {
		return false
	}
	if sch, _ := schemeAt(stripped, 0, nil); sch != "" || wwwAt(stripped, 0, nil) {
		return true
	}
	if hasAt && len(stripped) > 4 && abbreviated(load4(stripped, 0)) {
		return true // "www." or "ftp." and a user name anywhere in the span
	}
	w, _ := nextOther(stripped, 0)
	return w == 0
}

// fullWidth is the full-width form a span delimiter is replaced by.
func fullWidth(c byte) string {
	switch c {
	case '<':
		return "＜"
	case '>':
		return "＞"
	}
	return "＂"
}
