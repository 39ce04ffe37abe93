package htmltext

import (
	"bufio"
	"bytes"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/width"
)

// out writes lines of text as they are produced. Nothing that could end up
// at the end of a line is written early: pending spaces, cell separators,
// line prefixes and newlines wait for the next word, so lines never end in
// white space, there is never more than one blank line in a row, and the
// output is streamed with no buffer larger than a link's text.
type out struct {
	w   *bufio.Writer
	err error

	started   bool   // a word has been written
	hasText   bool   // the current line has a word on it
	owed      int    // newlines to write before the next word: 1 ends the line, 2 adds a blank line
	emptyLine bool   // the current line exists (a &nbsp; opened it) but has no word
	space     bool   // collapsed white space is pending between words
	spaceNL   bool   // ... and it contained a source line break
	ws        []byte // preserved white space pending (<pre>, U+3000)
	sep       bool   // a table cell started: " | " before its first word
	empties   int    // empty cells of a data table before it: one more " | " each
	words     int    // words written, to tell an empty cell
	cellWords int    // words when the current cell started
	cellSeen  bool   // the current line has had a cell with text before
	lead      string // prefix and list marker for the next line (set by <li>)
	lastLead  string // what the last line started with
	last      rune   // last rune written, for the CJK line-break rule
	afterLink bool   // the last word written is a link's "<target>"
	cellBreak bool   // a line break inside a data table's cell: " / " before its next word
	cellEnd   bool   // the line break owed follows the text of a table's cell: the row's next cell takes it back
	mark      string // written just before the next word (the start of struck-through text)
	col       int    // display columns of the current line, counted up to maxCellIndent+1
	textCol   int    // col where the held link text starts

	quotes int // <q> and <rt> elements waiting for their first word
	// openQuotes returns their opening marks, for a first word
	// starting with first, joined to the word before it or not.
	openQuotes func(first rune, joined bool) string

	// pend is set while a link with nothing to show but its target is
	// held back (see converter.endLink); flushPend writes it, before
	// the next word, line break or cell.
	pend      bool
	flushPend func()

	// cellText is told the column at which the text of a table cell
	// after the row's first starts (just after its " | ").
	cellText func(col int)

	// prefix returns the indentation of new lines (quote marks, list nesting).
	prefix func() string
	// inCell reports whether the text is in a table cell, and whether
	// that table holds data: its line breaks keep the row on one line.
	inCell func() (cell, data, own bool)

	// A link's text is held back while it may still turn out to equal its
	// URL, in which case only the URL is printed.
	holding   bool
	hold      []byte
	holdMax   int
	textStart int // offset of the link text in hold, -1 before its first word

	// linkText is the text of the open link (linkOpen), its first
	// maxLinkText bytes, whether held or not, to compare with its
	// target (linkMismatch).
	linkOpen bool
	linkText []byte
}

// maxWS bounds pending preserved white space; more is dropped rather than
// buffered (it is only indentation).
const maxWS = 256

func (o *out) put(b []byte) {
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		o.col = 0
		o.advance(b[i+1:])
	} else {
		o.advance(b)
	}
	if o.holding {
		o.hold = append(o.hold, b...)
		if len(o.hold) > o.holdMax {
			o.release()
		}
		return
	}
	o.write(b)
}

func (o *out) putString(s string) {
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		o.col = 0
		o.advanceString(s[i+1:])
	} else {
		o.advanceString(s)
	}
	if o.holding {
		o.hold = append(o.hold, s...)
		if len(o.hold) > o.holdMax {
			o.release()
		}
		return
	}
	if _, err := o.w.WriteString(s); err != nil && o.err == nil {
		o.err = err
	}
}

func (o *out) write(b []byte) {
	if _, err := o.w.Write(b); err != nil && o.err == nil {
		o.err = err
	}
}

// advance counts the display columns of text added to the current line,
// only as far as a cell's continuation lines may be indented: past that
// the count is not needed, so a long line costs no more to count than a
// short one.
func (o *out) advance(b []byte) {
	for len(b) > 0 && o.col <= maxCellIndent {
		r, n := utf8.DecodeRune(b)
		o.col += runeWidth(r)
		b = b[n:]
	}
}

func (o *out) advanceString(s string) {
	for len(s) > 0 && o.col <= maxCellIndent {
		r, n := utf8.DecodeRuneInString(s)
		o.col += runeWidth(r)
		s = s[n:]
	}
}

// runeWidth is the columns a character takes in a fixed-width font.
func runeWidth(r rune) int {
	if r < 0x80 {
		return 1
	}
	switch width.LookupRune(r).Kind() {
	case width.EastAsianWide, width.EastAsianFullwidth:
		return 2
	case width.EastAsianAmbiguous:
		// ■, ※, ① and the like: a Japanese fixed-width font, which
		// the mail is read in, draws them two columns wide.
		return 2
	}
	return 1
}

// release stops holding back a link's text and writes what was held
// (its columns were counted as it was held).
func (o *out) release() {
	if !o.holding {
		return
	}
	o.holding = false
	o.write(o.hold)
	o.hold = o.hold[:0]
}

// clearInline forgets white space and separators pending on the current line.
func (o *out) clearInline() {
	o.space, o.spaceNL, o.sep, o.cellBreak = false, false, false, false
	o.ws = o.ws[:0]
}

// breakInCell keeps a data table's row on one line: in a cell after the
// row's first, a line break after text becomes " / " before the cell's
// next word. Read line by line, such a cell's second line ("午後2時 |
// 公民館") would be a row of its own. A break before a cell's text is
// dropped. The first cell keeps the lines after its first words (blank
// ones too): it may be the row's only one (a box with a title above),
// whose paragraphs must stay paragraphs. It reports whether it took the
// break.
//
// A layout table's cells keep their lines, which continue under the
// cell's start (see cellText), but a row that starts short (a label, up
// to maxCellIndent columns) stays together as a data table's does: a
// break before a cell's text is dropped, and one after it is taken back
// when the row's next cell starts. Outlook's borderless tables write
// each cell as a paragraph, and "日時" and "4月1日" read as two lines.
func (o *out) breakInCell() bool {
	if o.inCell == nil {
		return false
	}
	cell, data, own := o.inCell()
	if !data {
		if o.words == o.cellWords {
			return own && o.hasText && o.col <= maxCellIndent
		}
		o.cellEnd = cell && o.col <= maxCellIndent
		return false
	}
	switch {
	case o.words == o.cellWords:
		// Nothing of the cell yet: the row's own line is enough.
	case !o.cellSeen:
		o.cellEnd = true // unless the cell's text goes on: see joinCell
		return false
	case !o.hasText:
	default:
		o.clearInline()
		o.cellBreak = true
	}
	return true
}

// joinCell takes back the line break owed at the end of a data table's
// cell when the next cell of its row starts: Outlook writes each cell's
// text as a <p class=MsoNormal>, Thunderbird ends it with a <br>, and
// without this each cell of such a table was a line of its own, its
// rows and columns lost ("日付\n内容\n4/1\n説明会").
func (o *out) joinCell() {
	if o.cellEnd && !o.hasText && o.owed > 0 && !o.pend {
		o.hasText, o.owed = true, 0
	}
	o.cellEnd = false
}

// block asks for the current line to end (n=1) or for a blank line (n=2)
// before the next word.
func (o *out) block(n int) {
	if n > 0 && o.pend {
		o.flushPend()
	}
	if n == 0 || !o.started || o.breakInCell() {
		return // no blank lines at the top
	}
	o.cellSeen, o.empties = false, 0
	if o.hasText {
		o.owed = n
		o.hasText = false
	} else {
		if o.emptyLine {
			o.owed = min(o.owed+1, 2)
		}
		o.owed = max(o.owed, n)
	}
	o.emptyLine = false
	o.clearInline()
}

// br ends the current line, or adds an empty line when already at the start
// of one (<br><br> is a blank line).
func (o *out) br() {
	if o.pend {
		o.flushPend()
	}
	if !o.started || o.breakInCell() {
		return
	}
	o.cellSeen, o.empties = false, 0
	if o.hasText {
		o.owed = 1
		o.hasText = false
	} else {
		o.owed = min(o.owed+1, 2)
	}
	o.emptyLine = false
	o.clearInline()
}

// openEmpty records white space that, like &nbsp;, gives a line height in a
// browser: a paragraph of only &nbsp; is an empty line, not nothing.
func (o *out) openEmpty() {
	if o.started && !o.hasText {
		o.emptyLine = true
	}
}

// preserve queues white space that is kept as it is (<pre>, U+3000).
func (o *out) preserve(b []byte) {
	if len(o.ws)+len(b) <= maxWS {
		o.ws = append(o.ws, b...)
	}
	o.openEmpty()
}

// word writes a run of visible characters with whatever must precede it.
func (o *out) word(b []byte) {
	if len(b) == 0 {
		return
	}
	if o.pend {
		o.flushPend()
	}
	// Whether the word follows the last one directly, for a quote.
	joined := o.hasText && o.owed == 0 && !o.space && len(o.ws) == 0 && !o.sep && !o.cellBreak
	// Whether white space parts it from the word before, for a link's
	// text: a line break inside an address ("https://a.<br>example/")
	// leaves it one address.
	spaced := o.space || len(o.ws) > 0 || o.sep || o.cellBreak
	if o.owed > 0 {
		// A link whose text spans lines is not a bare URL; line breaks
		// before its text (a link that starts a paragraph) are held
		// with it.
		if o.textStart >= 0 {
			o.release()
		}
		o.putString("\n")
	}
	lead := o.lead
	if !o.hasText && lead == "" {
		lead = o.prefix()
	}
	if o.owed > 1 {
		// A blank line inside a quote keeps the quote marks both lines share.
		n := min(quoteDepth(o.lastLead), quoteDepth(lead))
		o.putString(strings.TrimSuffix(strings.Repeat("> ", n), " "))
		o.putString("\n")
	}
	o.owed = 0
	switch {
	case !o.hasText:
		o.putString(lead)
		o.lastLead = lead
		o.put(o.ws) // collapsed space is dropped at the start of a line
	case o.sep:
		o.putString(" | ")
		for ; o.empties > 0; o.empties-- {
			o.putString(" | ")
		}
		if o.cellText != nil {
			o.cellText(o.col)
		}
	case o.cellBreak:
		o.putString(" / ")
	case len(o.ws) > 0:
		o.put(o.ws)
	case o.space:
		first, _ := utf8.DecodeRune(b)
		if !o.spaceNL || !wide(o.last) || !wide(first) {
			o.putString(" ")
		}
	case o.afterLink:
		// "<https://x.example/a>Respected": the image the link was laid
		// out beside separated them. A full stop or Japanese text still
		// follows the ">" directly.
		if first, _ := utf8.DecodeRune(b); (unicode.IsLetter(first) || unicode.IsDigit(first)) && !wide(first) {
			o.putString(" ")
		}
	}
	o.afterLink = false
	o.lead = ""
	o.words++
	o.clearInline()
	if o.quotes > 0 {
		first, _ := utf8.DecodeRune(b)
		o.putString(o.openQuotes(first, joined))
		o.quotes = 0
	}
	if o.mark != "" {
		m := o.mark
		if strings.HasSuffix(m, "^") && !raised(o.last, b) {
			m = m[:len(m)-1]
		}
		if first, _ := utf8.DecodeRune(b); strings.HasSuffix(m, headingMark) && strings.ContainsRune(headingSymbols, first) {
			// "<h2>■ 目次</h2>": the title has its mark already.
			m = strings.TrimSuffix(m, headingMark)
		}
		o.putString(m)
		o.mark = ""
	}
	// A link's text starts after the marks opened with it: a link
	// whose text is its URL prints the URL once, inside them
	// ("“<https://b>”", not "“https://b <https://b>”").
	if o.holding && o.textStart < 0 {
		o.textStart, o.textCol = len(o.hold), o.col
	}
	if o.linkOpen && len(o.linkText) < maxLinkText {
		if spaced && len(o.linkText) > 0 {
			o.linkText = append(o.linkText, ' ')
		}
		o.linkText = append(o.linkText, b[:min(len(b), maxLinkText-len(o.linkText))]...)
	}
	o.put(b)
	o.last, _ = utf8.DecodeLastRune(b)
	o.started, o.hasText, o.emptyLine = true, true, false
}

// endMark closes what mark opened: right after the last word, or nothing
// when no word came after mark.
func (o *out) endMark(s string) {
	if o.mark != "" {
		o.mark = ""
		return
	}
	o.putString(s)
	o.last, _ = utf8.DecodeLastRuneInString(s)
	o.afterLink = false
}

// endQuote closes a quote right after its last word.
func (o *out) endQuote(s string) {
	o.putString(s)
	o.last, _ = utf8.DecodeLastRuneInString(s)
	o.afterLink = false
}

// quoteDepth counts the "> " marks a line prefix starts with.
func quoteDepth(s string) int {
	n := 0
	for strings.HasPrefix(s[2*n:], "> ") {
		n++
	}
	return n
}

func (o *out) wordString(s string) { o.word([]byte(s)) }

// wide reports whether a line break between two such characters is removed
// rather than shown as a space (CSS Text 3, segment break transformation):
// Japanese text wrapped in the HTML source must not gain spaces.
func wide(r rune) bool {
	switch width.LookupRune(r).Kind() {
	case width.EastAsianWide, width.EastAsianFullwidth, width.EastAsianHalfwidth:
		return !unicode.Is(unicode.Hangul, r)
	}
	return false
}

// finish ends the text with exactly one newline (nothing for empty text).
func (o *out) finish() error {
	if o.pend {
		o.flushPend()
	}
	o.release()
	if o.started {
		o.putString("\n")
	}
	if err := o.w.Flush(); err != nil && o.err == nil {
		o.err = err
	}
	return o.err
}

// raised reports whether a superscript starting with word, after the
// rune last, is written with "^": an exponent or a note's number (x^2,
// 10^-3, 料金^1), but not an ordinal's ending (1st) or a trademark sign
// (Windows®, Office TM), which read as they are.
func raised(last rune, word []byte) bool {
	r, _ := utf8.DecodeRune(word)
	switch {
	case strings.ContainsRune("®™©℠", r):
		return false
	case len(word) == 2 && (strings.EqualFold(string(word), "TM") || strings.EqualFold(string(word), "SM")):
		return false
	case len(word) == 2 && last >= '0' && last <= '9':
		switch strings.ToLower(string(word)) {
		case "st", "nd", "rd", "th":
			return false
		}
	}
	return true
}
