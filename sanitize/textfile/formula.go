package textfile

import (
	"bytes"
	"unicode/utf8"
)

// A spreadsheet program opening a CSV runs a field that starts with "=",
// "+", "-" or "@" as a formula: =HYPERLINK("http://…") is a live link,
// and DDE (=cmd|' /C calc'!A0) runs a program once the user clicks
// through a warning. OWASP's advice is to prefix such a field with an
// apostrophe, which spreadsheets read as "this is text". The full-width
// signs "＝＋－＠" that Japanese input methods type count too: whether a
// spreadsheet converts them is its business, and an apostrophe costs
// little.
//
// Fields are read the way Excel reads CSV: a field is quoted when its
// first character is a double quote, a quoted field runs to the next
// lone quote (across lines), and "" inside it is a quote. Comma,
// semicolon (European Excel), tab and a bare CR all separate fields
// here, so a formula behind any of them is caught; a wrong split costs
// an apostrophe in front of text that started with one of these signs.

// The characters that end a field (sepIndex): comma, semicolon, tab, and
// a bare CR, which some programs take for a line end.

// csvState is what carries from one line to the next: whether a quoted
// field is still open.
type csvState struct {
	inQuote bool
}

// neutralise appends line to dst with an apostrophe before every field
// that a spreadsheet would take as a formula, and says how many it added.
// first marks the file's first line, whose leading byte order mark is not
// field text.
func (st *csvState) neutralise(dst, line []byte, first bool) ([]byte, int) {
	n, done := 0, 0
	i := 0
	if first && bytes.HasPrefix(line, bom) {
		i = len(bom)
	}
	for {
		if st.inQuote {
			// Inside a quoted field: to its closing quote.
			j := closingQuote(line, i)
			if j < 0 {
				break // the field goes on on the next line
			}
			st.inQuote = false
			i = j + 1
		} else {
			// At a field start.
			start := i
			if i < len(line) && line[i] == '"' {
				start = i + 1
				st.inQuote = true
			}
			if formulaAt(line, start, st.inQuote) {
				dst = append(dst, line[done:start]...)
				dst = append(dst, '\'')
				done = start
				n++
			}
			if st.inQuote {
				i = start
				continue
			}
		}
		// The rest of the field, to the next separator.
		j := sepIndex(line[i:])
		if j < 0 {
			break
		}
		i += j + 1
	}
	return append(dst, line[done:]...), n
}

var bom = []byte("\uFEFF")

// closingQuote finds the quote that closes a quoted field from i, skipping
// doubled quotes; -1 when the line ends first.
func closingQuote(line []byte, i int) int {
	for {
		j := bytes.IndexByte(line[i:], '"')
		if j < 0 {
			return -1
		}
		i += j
		if i+1 < len(line) && line[i+1] == '"' {
			i += 2
			continue
		}
		return i
	}
}

// formulaAt reports whether the field text at start would be a formula:
// after blanks, a formula sign followed by more than blanks, unless the
// field is a plain number such as -1,234.5 or +3%. quoted fields end at
// their closing quote, others at a separator.
func formulaAt(line []byte, start int, quoted bool) bool {
	field := bytes.TrimLeft(line[start:], " \u3000")
	if !quoted && len(field) > 0 && field[0] == '"' {
		// Blanks then a quote: not a quoted field to Excel, but a
		// program that trims blanks first reads one.
		field = bytes.TrimLeft(field[1:], " \u3000")
	}
	r, size := utf8.DecodeRune(field)
	switch r {
	case '=', '+', '-', '@', '＝', '＋', '－', '＠':
	default:
		return false
	}
	// The field's end: its closing quote, or the next separator.
	rest := field[size:]
	if quoted {
		if j := closingQuote(rest, 0); j >= 0 {
			rest = rest[:j]
		}
	} else if j := sepIndex(rest); j >= 0 {
		rest = rest[:j]
	}
	rest = bytes.TrimRight(rest, " \u3000")
	if len(rest) == 0 {
		return false // a lone sign is text to every spreadsheet
	}
	if (r == '+' || r == '-') && isNumber(rest) {
		return false
	}
	return true
}

// sepIndex is the index of the first separator in b, or -1.
func sepIndex(b []byte) int {
	for i, c := range b {
		switch c {
		case ',', ';', '\t', '\r':
			return i
		}
	}
	return -1
}

// isNumber reports whether s is a plain decimal number as spreadsheets
// read it: digits with optional thousands commas, a fraction, an exponent
// and a trailing percent sign.
func isNumber(s []byte) bool {
	s = bytes.TrimSuffix(s, []byte("%"))
	i, digits := 0, 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == ',' && digits > 0) {
		if s[i] != ',' {
			digits++
		}
		i++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			digits++
			i++
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		exp := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			exp++
			i++
		}
		if exp == 0 {
			return false
		}
	}
	return i == len(s)
}
