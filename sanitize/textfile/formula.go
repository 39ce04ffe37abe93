package textfile

import (
	"strings"
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

// seps are the characters that end a field; a bare CR too, which some
// programs take for a line end.
const seps = ",;\t\r"

// csvState is what carries from one line to the next: whether a quoted
// field is still open.
type csvState struct {
	inQuote bool
}

// neutralise returns line with an apostrophe before every field that a
// spreadsheet would take as a formula, and how many it added. first marks
// the file's first line, whose leading byte order mark is not field text.
func (st *csvState) neutralise(line string, first bool) (string, int) {
	var b strings.Builder
	n, done := 0, 0
	i := 0
	if first && strings.HasPrefix(line, "\uFEFF") {
		i = len("\uFEFF")
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
				if n == 0 {
					b.Grow(len(line) + 8)
				}
				b.WriteString(line[done:start])
				b.WriteByte('\'')
				done = start
				n++
			}
			if st.inQuote {
				i = start
				continue
			}
		}
		// The rest of the field, to the next separator.
		j := strings.IndexAny(line[i:], seps)
		if j < 0 {
			break
		}
		i += j + 1
	}
	if n == 0 {
		return line, 0
	}
	b.WriteString(line[done:])
	return b.String(), n
}

// closingQuote finds the quote that closes a quoted field from i, skipping
// doubled quotes; -1 when the line ends first.
func closingQuote(line string, i int) int {
	for {
		j := strings.IndexByte(line[i:], '"')
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
func formulaAt(line string, start int, quoted bool) bool {
	end := len(line)
	if quoted {
		if j := closingQuote(line, start); j >= 0 {
			end = j
		}
	} else if j := strings.IndexAny(line[start:], seps); j >= 0 {
		end = start + j
	}
	field := strings.TrimLeft(line[start:end], " \u3000")
	if !quoted && strings.HasPrefix(field, `"`) {
		// Blanks then a quote: not a quoted field to Excel, but a
		// program that trims blanks first reads one.
		field = strings.TrimLeft(field[1:], " \u3000")
	}
	r, size := utf8.DecodeRuneInString(field)
	switch r {
	case '=', '+', '-', '@', '＝', '＋', '－', '＠':
	default:
		return false
	}
	rest := strings.TrimRight(field[size:], " \u3000")
	if rest == "" {
		return false // a lone sign is text to every spreadsheet
	}
	if (r == '+' || r == '-') && isNumber(rest) {
		return false
	}
	return true
}

// isNumber reports whether s is a plain decimal number as spreadsheets
// read it: digits with optional thousands commas, a fraction, an exponent
// and a trailing percent sign.
func isNumber(s string) bool {
	s = strings.TrimSuffix(s, "%")
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
