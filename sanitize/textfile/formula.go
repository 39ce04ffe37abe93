package textfile

import (
	"bytes"
	"slices"
	"unicode/utf8"
)

// A spreadsheet program opening a CSV runs a field that starts with "=",
// "+", "-" or "@" as a formula: =HYPERLINK("http://…") is a live link,
// and DDE (=cmd|' /C calc'!A0) runs a program once the user clicks
// through a warning. OWASP's advice is to prefix such a field with an
// apostrophe, which spreadsheets read as "this is text".
//
// Fields are read the way Excel and LibreOffice read CSV: a field is
// quoted when its first character is a double quote, a quoted field runs
// to the next lone quote (across lines), "" inside it is a quote, and
// what follows a closing quote up to the separator is part of the field.
// Which separator the reader's program uses is not known (comma in Japan,
// semicolon in much of Europe, tab for TSV, or a first line "sep=|" in
// Excel), and a quote means something different under each; so the line
// is read once per separator, each reading with its own quoting state,
// and a field that starts a formula in any reading is prefixed. A bare CR
// ends a field in every reading: some programs take it for a line end.
//
// The cost of reading under separators the file does not use is an
// apostrophe in front of text such as "要確認;-再送". Full-width signs
// ("－500", "＠ご担当者様") are text to spreadsheets and stay.

// csvState is what carries from one line to the next: the separators the
// file is read with and, for each, whether a quoted field is still open.
type csvState struct {
	seps    []byte
	inQuote []bool
	points  []int // insertion points of the current line, reused
}

func newCSVState() csvState {
	return csvState{seps: []byte{',', ';', '\t'}, inQuote: make([]bool, 3)}
}

// neutralise appends line to dst with an apostrophe before every field
// that a spreadsheet would take as a formula, and says how many it added.
// first marks the file's first line, whose leading byte order mark is not
// field text and which may name Excel's separator ("sep=|").
func (st *csvState) neutralise(dst, line []byte, first bool) ([]byte, int) {
	i0 := 0
	if first {
		if bytes.HasPrefix(line, bom) {
			i0 = len(bom)
		}
		if rest := line[i0:]; len(rest) == 5 && string(rest[:4]) == "sep=" && rest[4] < utf8.RuneSelf && !slices.Contains(st.seps, rest[4]) {
			st.seps = append(st.seps, rest[4])
			st.inQuote = append(st.inQuote, false)
		}
	}
	st.points = st.points[:0]
	for k, sep := range st.seps {
		st.points = st.reading(st.points, line, i0, sep, &st.inQuote[k])
	}
	if len(st.points) == 0 {
		return append(dst, line...), 0
	}
	slices.Sort(st.points)
	st.points = slices.Compact(st.points)
	done := 0
	for _, p := range st.points {
		dst = append(dst, line[done:p]...)
		dst = append(dst, '\'')
		done = p
	}
	return append(dst, line[done:]...), len(st.points)
}

// reading appends to points where an apostrophe goes under one separator.
func (st *csvState) reading(points []int, line []byte, i int, sep byte, inQuote *bool) []int {
	for {
		if *inQuote {
			// Inside a quoted field: to its closing quote, then on to
			// the separator.
			j := closingQuote(line, i)
			if j < 0 {
				return points // the field goes on on the next line
			}
			*inQuote = false
			i = j + 1
		} else {
			// At a field start.
			start := i
			if i < len(line) && line[i] == '"' {
				start = i + 1
				*inQuote = true
			}
			if formulaAt(line, start) {
				points = append(points, start)
			}
			if *inQuote {
				i = start
				continue
			}
		}
		j := sepIndex(line[i:], sep)
		if j < 0 {
			return points
		}
		i += j + 1
	}
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

// formulaAt reports whether the field text at start would be a formula.
// Blanks and quotes before the first sign are skipped: one program trims
// blanks, another ends a quoted field early and appends the rest. The
// field is text only when what follows the sign is nothing, a plain
// number (-1,200, +3.5%, -￥1,200, -1200円) or more of the same sign
// ("--"), read to the next separator and, in a quoted field, to its
// closing quote.
func formulaAt(line []byte, start int) bool {
	quoted := start > 0 && line[start-1] == '"' // its opening quote
	field := line[start:]
skip:
	for len(field) > 0 {
		switch {
		case field[0] == ' ':
			field = field[1:]
		case field[0] == '"':
			field, quoted = field[1:], true
		case bytes.HasPrefix(field, ideographicSpace):
			field = field[len(ideographicSpace):]
		default:
			break skip
		}
	}
	if len(field) == 0 {
		return false
	}
	sign := field[0]
	switch sign {
	case '=', '+', '-', '@':
	default:
		return false
	}
	rest := field[1:]
	// To the first character that separates fields in any reading: what
	// follows it starts a field in that reading and is checked there.
	loose := rest
	if j := bytes.IndexAny(rest, ",;\t\r"); j >= 0 {
		loose = rest[:j]
	}
	if !harmless(loose, sign) {
		return true
	}
	if quoted {
		if j := closingQuote(rest, 0); j >= 0 {
			rest = rest[:j]
		}
		return !harmless(rest, sign)
	}
	return false
}

var ideographicSpace = []byte("\u3000")

// harmless reports whether s after a sign leaves the field text or a
// number: blanks and quotes around nothing, a run of the same sign, or a
// plain number.
func harmless(s []byte, sign byte) bool {
	s = bytes.Trim(s, " \u3000\"")
	if len(s) == 0 || len(bytes.Trim(s, string(sign))) == 0 {
		return true
	}
	return (sign == '+' || sign == '-') && isNumber(s)
}

// sepIndex is the index of the first sep or bare CR in b, or -1.
func sepIndex(b []byte, sep byte) int {
	for i, c := range b {
		if c == sep || c == '\r' {
			return i
		}
	}
	return -1
}

// isNumber reports whether s is a plain decimal number as spreadsheets
// read it: an optional currency sign, digits with optional thousands
// commas, a fraction, an exponent, and a trailing percent sign or 円.
func isNumber(s []byte) bool {
	for _, c := range []string{"¥", "￥", "$"} {
		s = bytes.TrimPrefix(s, []byte(c))
	}
	for _, u := range []string{"%", "円"} {
		s = bytes.TrimSuffix(s, []byte(u))
	}
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
