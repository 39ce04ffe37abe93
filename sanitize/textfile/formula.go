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
// Where a field starts depends on the reader's separator and on how it
// reads quotes, and the two programs in municipal offices differ:
//   - Excel: a field is quoted when its first character is a double
//     quote; the first lone quote closes it ("" is a quote), and what
//     follows up to the separator is appended to the cell.
//   - LibreOffice Calc: blanks before the opening quote are skipped, and a
//     quote closes the field only when a separator or the line end
//     follows it; another quote is part of the text.
//
// So each line is read under each quoting with each separator the reader
// may use: the comma (Excel in Japan always uses it for .csv), the tab
// for TSV files, the semicolon when the first line is separated by
// semicolons and not commas, and the separator an Excel "sep=" first line
// names. Each reading keeps its own quoting state across lines, and a
// field that starts a formula in any of them gets the apostrophe right
// before its sign, where it changes no reading's quoting. A bare CR ends
// a field in every reading: some programs take it for a line end.
//
// Full-width signs ("－500", "＠ご担当者様") are text to spreadsheets
// and stay, as do plain numbers (-1,200, -￥1,200, -1200円, +5%), a lone
// sign and runs of one sign ("--").

// reading is one way of reading the file: a separator and a quoting.
type reading struct {
	sep     byte
	calc    bool // LibreOffice Calc's quoting, else Excel's
	inQuote bool // a quoted field runs on from the line before
}

// csvState is what carries from one line to the next.
type csvState struct {
	tsv      bool // the file is TSV by its name or type
	readings []reading
	points   []int // insertion points of the current line, reused
}

// neutralise appends line to dst with an apostrophe before every field
// that a spreadsheet would take as a formula, and says how many it added.
// first marks the file's first line, which decides the separators: its
// byte order mark is not field text, and it may be Excel's "sep=|".
func (st *csvState) neutralise(dst, line []byte, first bool) ([]byte, int, error) {
	i0 := 0
	if first {
		if bytes.HasPrefix(line, bom) {
			i0 = len(bom)
		}
		seps := []byte{','}
		if st.tsv || bytes.IndexByte(line, '\t') >= 0 && bytes.IndexByte(line, ',') < 0 {
			seps = append(seps, '\t')
		}
		if bytes.IndexByte(line, ';') >= 0 && bytes.IndexByte(line, ',') < 0 {
			seps = append(seps, ';')
		}
		if sep, ok := sepLine(line[i0:]); ok {
			if sep >= utf8.RuneSelf {
				return dst, 0, ErrReadings // a separator these readings cannot follow
			}
			if bytes.IndexByte(seps, byte(sep)) < 0 {
				seps = append(seps, byte(sep))
			}
		}
		for _, sep := range seps {
			st.readings = append(st.readings, reading{sep: sep}, reading{sep: sep, calc: true})
		}
	}
	st.points = st.points[:0]
	for k := range st.readings {
		st.points = st.readings[k].scan(st.points, line, i0)
	}
	if len(st.points) == 0 {
		return append(dst, line...), 0, nil
	}
	slices.Sort(st.points)
	st.points = slices.Compact(st.points)
	done := 0
	for _, p := range st.points {
		dst = append(dst, line[done:p]...)
		dst = append(dst, '\'')
		done = p
	}
	return append(dst, line[done:]...), len(st.points), nil
}

var bom = []byte("\uFEFF")

// sepLine reads Excel's separator line: sep=X, in any case, perhaps
// quoted, perhaps followed by blanks or empty fields.
func sepLine(line []byte) (rune, bool) {
	l := bytes.TrimRight(line, " \t,;")
	l = bytes.Trim(l, `"`)
	if len(l) < 5 || !bytes.EqualFold(l[:4], []byte("sep=")) {
		return 0, false
	}
	r, n := utf8.DecodeRune(l[4:])
	if 4+n != len(l) {
		return 0, false
	}
	return r, true
}

// scan appends to points where apostrophes go in line under r.
func (r *reading) scan(points []int, line []byte, i int) []int {
	for {
		cellStart := i
		if r.inQuote {
			// A quoted field from the line before: its sign was checked
			// where it started.
			cellStart = -1
		} else {
			q := i
			if r.calc {
				for q < len(line) && line[q] == ' ' {
					q++
				}
			}
			if q < len(line) && line[q] == '"' {
				r.inQuote = true
				i = q + 1
			}
		}
		if r.inQuote {
			j := r.closing(line, i)
			if j < 0 {
				if cellStart >= 0 {
					points = check(points, line, cellStart, len(line))
				}
				return points // the field goes on on the next line
			}
			r.inQuote = false
			i = j + 1
		}
		end := len(line)
		if k := r.sepIndex(line[i:]); k >= 0 {
			end = i + k
		}
		if cellStart >= 0 {
			points = check(points, line, cellStart, end)
		}
		if end == len(line) {
			return points
		}
		i = end + 1
	}
}

// closing finds the quote that closes a quoted field from i, -1 when the
// line ends first.
func (r *reading) closing(line []byte, i int) int {
	for {
		j := bytes.IndexByte(line[i:], '"')
		if j < 0 {
			return -1
		}
		i += j
		if i+1 < len(line) && line[i+1] == '"' {
			i += 2 // a doubled quote is a quote
			continue
		}
		if r.calc && i+1 < len(line) && line[i+1] != r.sep && line[i+1] != '\r' {
			i++ // Calc: a quote not before a separator is text
			continue
		}
		return i
	}
}

// sepIndex is the index of the first separator (or bare CR) in b, or -1.
func (r *reading) sepIndex(b []byte) int {
	for i, c := range b {
		if c == r.sep || c == '\r' {
			return i
		}
	}
	return -1
}

// check appends the position of the sign of the cell line[start:end] when
// the cell is a formula: after blanks and quotes, "=", "+", "-" or "@"
// followed by more than blanks, quotes, the same sign or a plain number.
func check(points []int, line []byte, start, end int) []int {
	i := start
	for i < end {
		switch {
		case line[i] == ' ' || line[i] == '"':
			i++
			continue
		case bytes.HasPrefix(line[i:end], ideographicSpace):
			i += len(ideographicSpace)
			continue
		}
		break
	}
	if i == end {
		return points
	}
	sign := line[i]
	switch sign {
	case '=', '+', '-', '@':
	default:
		return points
	}
	rest := bytes.Trim(line[i+1:end], " \"")
	if len(rest) == 0 || len(bytes.Trim(rest, string(sign))) == 0 {
		return points
	}
	if (sign == '+' || sign == '-') && isNumber(rest) {
		return points
	}
	return append(points, i)
}

var ideographicSpace = []byte("\u3000")

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
