package textfile

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/width"
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
// names (a UTF-16 file also with the tab: Excel opens it as tab-separated
// "Unicode text"). Each reading keeps its own quoting state across lines
// (a bare CR ends a line, as LF does), and a field that starts a formula
// in any of them gets the apostrophe right before its sign. That changes
// no reading's quoting, since no separator may be a quote, an apostrophe
// or a sign; and the line is read once more to make sure no reading finds
// another field to prefix.
//
// Calc's handling of quotes outside RFC 4180 is its own: a quoted field
// opened among odd quotes (a quote inside an unquoted field, text after a
// closing quote) may end at the line end, and a quote never closed makes
// it read the following lines afresh. So the Calc readings start the
// next line afresh after such a line, and a file is refused that ends
// inside a quoted field in any reading or that has odd quotes inside a
// field spanning lines (whether Calc reads on inside it depends on a
// closing quote further on).
//
// One more reading per separator ignores quotes altogether, with the
// comma, the semicolon and the tab whatever the first line shows: a
// program that reads the file in another charset (Japanese Excel reads a
// UTF-8 file without a byte order mark as Shift_JIS) can lose a quote
// into a character and fall out of step, so that text inside a quoted
// cell becomes fields, and Calc may be set to separators the file does
// not use. In these readings only what a formula can do harm with is
// prefixed: a function call, DDE or an external reference ("(", "|",
// "!"), so that "- 確認済み" in a multi-line note stays as it is.
//
// The spreadsheet does not read the bytes in the charset they were read
// in here either: Japanese Excel reads a file without a byte order mark
// as Shift_JIS, LibreOffice may be told UTF-8. The lines as written are
// read once more in each of those the file was not read in
// (otherReading), and a harmful formula found there only refuses the
// file: the apostrophe cannot be put where two readings want it.
//
// The full-width signs "＝＋－＠" count as signs: Japanese Excel may read
// full-width input as half-width, and an apostrophe costs little. Plain
// numbers (-1,200, －５００, -￥1,200, -1200円, +5%), a lone sign and runs
// of one sign ("--") stay.

// reading is one way of reading the file: a separator and a quoting.
type reading struct {
	sep     byte
	calc    bool // LibreOffice Calc's quoting, else Excel's
	blind   bool // no quoting at all (see the comment above)
	inQuote bool // a quoted field runs on from the line before
	lost    bool // Calc: odd quotes inside a field carried over a line end
	// calls: only a formula that can do harm counts (harmful), as in
	// the blind readings: a file read in a charset other than its own
	// (otherReading) reads "-￥1,200" as a sign before garbage.
	calls bool
}

// csvState is what carries from one line to the next.
type csvState struct {
	tsv      bool // the file is TSV by its name or type, or UTF-16
	calls    bool // its readings count only harmful formulas (reading.calls)
	readings []reading
	before   []reading // the readings' state before the current line
	points   []int     // insertion points of the current line, reused
}

// neutralise appends line to dst with an apostrophe before every field
// that a spreadsheet would take as a formula, and says how many it added.
// first marks the file's first line, which decides the separators: its
// byte order mark is not field text, and it may be Excel's "sep=|".
func (st *csvState) neutralise(dst, line []byte, first bool) ([]byte, int, error) {
	i0 := 0
	if first {
		if bytes.HasPrefix(line, []byte(bom)) {
			i0 = len(bom)
		}
		if sylkID(line[i0:]) {
			return dst, 0, ErrSYLK
		}
		seps := []byte{','}
		if st.tsv || bytes.IndexByte(line, '\t') >= 0 && bytes.IndexByte(line, ',') < 0 {
			seps = append(seps, '\t')
		}
		if bytes.IndexByte(line, ';') >= 0 && bytes.IndexByte(line, ',') < 0 {
			seps = append(seps, ';')
		}
		if sep, ok := sepLine(line[i0:]); ok {
			switch {
			case sep >= utf8.RuneSelf, strings.ContainsRune("\"'=+-@", sep):
				// A separator these readings cannot follow, or one the
				// apostrophe or a sign would be read as.
				return dst, 0, fmt.Errorf("%w (an Excel sep= line naming %q)", ErrReadings, sep)
			case bytes.IndexByte(seps, byte(sep)) < 0:
				seps = append(seps, byte(sep))
			}
		}
		for _, sep := range seps {
			st.readings = append(st.readings, reading{sep: sep, calls: st.calls}, reading{sep: sep, calc: true, calls: st.calls})
		}
		// Blind readings with every separator a program may be set to.
		for _, sep := range []byte{',', ';', '\t'} {
			if bytes.IndexByte(seps, sep) < 0 {
				seps = append(seps, sep)
			}
		}
		for _, sep := range seps {
			st.readings = append(st.readings, reading{sep: sep, blind: true, calls: st.calls})
		}
	}
	st.before = append(st.before[:0], st.readings...)
	st.points = st.points[:0]
	for k := range st.readings {
		st.points = st.readings[k].scan(st.points, line, i0)
		if st.readings[k].lost {
			return dst, 0, fmt.Errorf("%w (odd quotes inside a field that spans lines)", ErrReadings)
		}
	}
	if len(st.points) == 0 {
		return append(dst, line...), 0, nil
	}
	slices.Sort(st.points)
	st.points = slices.Compact(st.points)
	from, done := len(dst), 0
	for _, p := range st.points {
		dst = append(dst, line[done:p]...)
		dst = append(dst, '\'')
		done = p
	}
	dst = append(dst, line[done:]...)
	// The line as written must leave every reading nothing to prefix and
	// in the same quoting state.
	for k := range st.before {
		r := st.before[k]
		if len(r.scan(nil, dst[from:], i0)) > 0 || r.inQuote != st.readings[k].inQuote {
			return dst, 0, ErrReadings
		}
	}
	return dst, len(st.points), nil
}

const bom = "\uFEFF"

// finish says whether the file ended as every reading can follow it: a
// quoted field still open at the end is read by Calc line by line, and
// its formulas with it.
func (st *csvState) finish() error {
	for _, r := range st.readings {
		if r.inQuote {
			return fmt.Errorf("%w (a quoted field that is never closed)", ErrReadings)
		}
	}
	return nil
}

// sylkID reports a first line that is SYLK's ID record ("ID;P…", or
// "ID" alone): Excel takes a file starting with the letters "ID" for
// SYLK whatever its name, and loads it as such when its first record is
// an ID record, running the formulas of its C records (EXEC, CALL, DDE),
// which start with no sign. After a byte order mark too: whether Excel
// looks past one is not known here.
func sylkID(line []byte) bool {
	if !bytes.HasPrefix(line, []byte("ID")) {
		return false
	}
	rest := bytes.TrimLeft(line[2:], " \t")
	return len(rest) == 0 || rest[0] == ';'
}

// sepLine reads Excel's separator line: "sep=" (in any case, perhaps in
// quotes) and the one character that follows it.
func sepLine(line []byte) (rune, bool) {
	l := line
	if len(l) > 0 && l[0] == '"' {
		l = bytes.TrimSuffix(l[1:], []byte(`"`))
	}
	if len(l) < 5 || !bytes.EqualFold(l[:4], []byte("sep=")) {
		return 0, false
	}
	r, _ := utf8.DecodeRune(l[4:])
	return r, true
}

// scan appends to points where apostrophes go in line under r.
func (r *reading) scan(points []int, line []byte, i int) []int {
	if r.blind {
		for {
			end := len(line)
			if k := r.sepIndex(line[i:]); k >= 0 {
				end = i + k
			}
			if p, ok := formula(line, i, end); ok && r.harmful(line[p:end]) {
				points = append(points, p)
			}
			if end == len(line) {
				return points
			}
			i = end + 1
		}
	}
	odd := false // quotes outside RFC 4180's on this line
	for {
		cellStart := i
		quoted := r.inQuote
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
				r.inQuote, quoted = true, true
				i = q + 1
			}
		}
		if r.inQuote {
			j, lone := r.closing(line, i)
			odd = odd || lone
			if r.calc && lone && cellStart < 0 {
				// Whether Calc still reads this line inside the field
				// depends on whether a quote ever closes it: not known here.
				r.lost = true
			}
			if j < 0 {
				if cellStart >= 0 {
					points = r.check(points, line, cellStart, len(line))
				}
				if r.calc && odd {
					// Calc does not carry a field opened among odd
					// quotes over the line end the way Excel does: it
					// may read the next line afresh, so this reading does.
					r.inQuote = false
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
		if quoted && i != end || !quoted && bytes.IndexByte(line[i:end], '"') >= 0 {
			odd = true // text after a closing quote, or a quote inside an unquoted field
		}
		if cellStart >= 0 {
			points = r.check(points, line, cellStart, end)
		}
		if end == len(line) {
			return points
		}
		i = end + 1
	}
}

// closing finds the quote that closes a quoted field from i, -1 when the
// line ends first, and says whether it passed a lone quote that does not
// close the field (Calc reads such a quote as text).
func (r *reading) closing(line []byte, i int) (int, bool) {
	lone := false
	for {
		j := bytes.IndexByte(line[i:], '"')
		if j < 0 {
			return -1, lone
		}
		i += j
		if i+1 < len(line) && line[i+1] == '"' {
			i += 2 // a doubled quote is a quote
			continue
		}
		if r.calc && i+1 < len(line) && line[i+1] != r.sep {
			i++ // Calc: a quote not before a separator is text
			lone = true
			continue
		}
		return i, lone
	}
}

// sepIndex is the index of the first separator in b, or -1.
func (r *reading) sepIndex(b []byte) int {
	return bytes.IndexByte(b, r.sep)
}

// check appends the position of the sign of the cell line[start:end] when
// the cell is a formula (with calls, one that can do harm).
func (r *reading) check(points []int, line []byte, start, end int) []int {
	if p, ok := formula(line, start, end); ok && (!r.calls || r.harmful(line[p:end])) {
		points = append(points, p)
	}
	return points
}

// harmful reports whether a formula can do harm: it calls a function,
// runs DDE or refers to another sheet or file. With calls, in full
// width too, as Japanese Excel may read it.
func (r *reading) harmful(f []byte) bool {
	if r.calls {
		return bytes.ContainsAny(f, "(|!（｜！")
	}
	return bytes.ContainsAny(f, "(|!")
}

// formula reports whether the cell line[start:end] is a formula, and
// where its sign is: after blanks and quotes, a sign followed by more than
// blanks, quotes, the same sign or a plain number.
func formula(line []byte, start, end int) (int, bool) {
	i := start
	for i < end && (line[i] == ' ' || line[i] == '\t' || line[i] == '"' || hasAt(line[:end], i, ideographicSpace)) {
		if line[i] < utf8.RuneSelf {
			i++
		} else {
			i += len(ideographicSpace)
		}
	}
	if i == end {
		return 0, false
	}
	sign, size := utf8.DecodeRune(line[i:end])
	switch sign {
	case '=', '+', '-', '@', '＝', '＋', '－', '＠':
	default:
		return 0, false
	}
	rest := bytes.Trim(line[i+size:end], " \t\"")
	if len(rest) == 0 || len(bytes.Trim(rest, string(sign))) == 0 {
		return 0, false
	}
	if (sign == '+' || sign == '-' || sign == '＋' || sign == '－') && isNumber(rest) {
		return 0, false
	}
	return i, true
}

const ideographicSpace = "\u3000"

func hasAt(b []byte, i int, s string) bool {
	return len(b)-i >= len(s) && string(b[i:i+len(s)]) == s
}

// isNumber reports whether s is a plain decimal number as spreadsheets
// read it: an optional currency sign, digits with optional thousands
// commas, a fraction, an exponent, and a trailing percent sign or 円, in
// half-width or full-width forms.
func isNumber(s []byte) bool {
	if bytes.ContainsFunc(s, func(r rune) bool { return r >= utf8.RuneSelf }) {
		if !utf8.Valid(s) {
			return false
		}
		s = width.Narrow.Bytes(s) // ０-９，．％￥ as half-width
	}
	for _, c := range []string{"¥", "$"} {
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
