package sanitize

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"io"
	"math/bits"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxLine bounds one logical line of body text. Longer lines are broken,
// at a space when there is one, so memory stays bounded and no line of
// the output needs more than one encoded block.
const maxLine = 16 << 10

// textStats describes the text a sink wrote.
type textStats struct {
	bytes    int64 // UTF-8 bytes written, line ends included
	nonASCII int64 // bytes >= 0x80
	visible  bool  // some rune is not white space
	links    int   // URLs rewritten
	bidi     int   // bidirectional controls dropped
}

// block is an encoded file cut out of body text (uuencode, yEnc, BinHex).
type block struct {
	kind    string // "uuencode", "yenc", "binhex"
	name    string
	size    int64 // decoded bytes (uuencode) or encoded bytes
	sha     string
	sniffed string
	class   string
}

// textSink receives decoded UTF-8 text (any line ends), cleans each line,
// cuts encoded files out, neutralises links and writes the result with LF
// line ends to out.
type textSink struct {
	out   io.Writer
	links string // links mode
	line  []byte
	// validUTF8 says the input is known to be valid UTF-8 (so is every
	// line of it: lines are cut at ASCII line ends and rune boundaries).
	validUTF8 bool
	clean     []byte // scratch: a line cleaned
	out2      []byte // scratch: a line with its links rewritten
	st        textStats
	blocks    []block
	// moreBlocks counts the files cut out beyond maxBlocks, not listed:
	// 25 MiB of tiny yEnc blocks must not become a million report entries.
	moreBlocks int
	err        error
	skipLF     bool // the last byte written was a CR
	noBlocks   bool // tests: line by line only (no writeLines)

	// encoded-file state
	state int
	// pend says a "begin" line (held[0]) waits for its first data line.
	// held are the lines held back: after a "begin" line until the data
	// starts, and inside a uuencode block the lines since its last data
	// line that are not data. heldJunk counts the non-blank ones of
	// them, heldSize their bytes.
	pend     bool
	held     []string
	heldJunk int
	heldSize int
	begins   int // "begin" lines a client starts a file at, passed as text (a space before them)
	cur      block
	curHash  hash.Hash
	curHead  []byte
	declared int64 // yEnc size= of the open block
	b64      bool  // begin-base64
	binhexOK bool  // BinHex data started
}

const (
	stText = iota
	stUU
	stYEnc
	stBinHex
)

// maxBlocks bounds the files cut out of the texts of one message that
// the report lists; the rest are cut out all the same, and counted.
const maxBlocks = 100

func newTextSink(out io.Writer, linksMode string) *textSink {
	return &textSink{out: out, links: linksMode}
}

func (s *textSink) Write(p []byte) (int, error) {
	n := len(p)
	if s.skipLF && len(p) > 0 {
		if p[0] == '\n' {
			p = p[1:]
		}
		s.skipLF = false
	}
	if len(s.line) == 0 && s.state == stText && !s.pend && !s.noBlocks {
		p = s.writeLines(p)
	}
	for len(p) > 0 {
		i := indexLineEnd(p)
		if i < 0 {
			s.line = append(s.line, p...)
			for len(s.line) > maxLine {
				cut := breakPoint(s.line, maxLine)
				s.processLine(s.line[:cut])
				s.line = append(s.line[:0], s.line[cut:]...)
			}
			break
		}
		if len(s.line) == 0 && i <= maxLine {
			s.processLine(p[:i]) // the whole line is here: no copy
		} else {
			s.line = append(s.line, p[:i]...)
			for len(s.line) > maxLine {
				cut := breakPoint(s.line, maxLine)
				s.processLine(s.line[:cut])
				s.line = append(s.line[:0], s.line[cut:]...)
			}
			s.processLine(s.line)
			s.line = s.line[:0]
		}
		// Skip the line end: LF, CR, CRLF.
		if p[i] == '\r' && i+1 < len(p) && p[i+1] == '\n' {
			i++
		} else if p[i] == '\r' && i+1 == len(p) {
			s.skipLF = true
		}
		p = p[i+1:]
		if s.skipLF && len(p) > 0 {
			if p[0] == '\n' {
				p = p[1:]
			}
			s.skipLF = false
		}
	}
	return n, s.err
}

// writeLines takes the whole lines at the start of p in one go when
// they are the common text: clean, LF or CRLF line ends, none starting
// an encoded file. What processLine would do line by line, it then does
// for all of them at once (the link rewriter, the statistics and the
// write), which gives the same bytes: FuzzTextSinkLines holds it to
// that. It returns what is left for the line by line loop.
func (s *textSink) writeLines(p []byte) []byte {
	end := bytes.LastIndexByte(p, '\n') + 1
	if end == 0 || end > maxLine {
		return p
	}
	block := p[:end]
	if bytes.IndexByte(block, '\r') >= 0 {
		// CRLF becomes LF; a lone CR is a line end of its own: not here.
		lf := s.clean[:0]
		for rest := block; len(rest) > 0; {
			i := bytes.IndexByte(rest, '\r')
			if i < 0 {
				lf = append(lf, rest...)
				break
			}
			if i+1 == len(rest) || rest[i+1] != '\n' {
				s.clean = lf[:0]
				return p
			}
			lf = append(lf, rest[:i]...)
			rest = rest[i+1:]
		}
		s.clean = lf[:0]
		block = lf
	}
	if !cleanScan(block, s.validUTF8, true) || lineStartsWith(block, beginB, yBeginB) || bytes.Contains(block, binhexMarkB) {
		return p
	}
	if s.err != nil {
		return p[end:]
	}
	out := block
	if s.links != "keep" {
		var k int
		out, k = appendLinks(s.out2[:0], block, s.links)
		s.out2 = out[:0]
		s.st.links += k
	}
	if !s.st.visible {
		s.st.visible = hasVisibleLines(out)
	}
	s.st.nonASCII += countHigh(out)
	s.st.bytes += int64(len(out))
	if _, err := s.out.Write(out); err != nil {
		s.err = err
	}
	return p[end:]
}

// lineStartsWith reports whether one of the LF-separated lines starts
// with a or b: one look at each line start, where searching lines for
// "\n"+a and "\n"+b went through the line ends twice.
func lineStartsWith(lines, a, b []byte) bool {
	for {
		if bytes.HasPrefix(lines, a) || bytes.HasPrefix(lines, b) {
			return true
		}
		i := bytes.IndexByte(lines, '\n')
		if i < 0 {
			return false
		}
		lines = lines[i+1:]
	}
}

// hasVisibleLines is hasVisible for LF-separated lines.
func hasVisibleLines(b []byte) bool {
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			return hasVisible(b)
		}
		if hasVisible(b[:i]) {
			return true
		}
		b = b[i+1:]
	}
	return false
}

// indexLineEnd finds the first CR or LF, with two vectorised scans.
func indexLineEnd(p []byte) int {
	i := bytes.IndexByte(p, '\n')
	if i < 0 {
		return bytes.IndexByte(p, '\r')
	}
	if j := bytes.IndexByte(p[:i], '\r'); j >= 0 {
		return j
	}
	return i
}

// breakPoint picks where to break an overlong line: after the last space
// in the second half of the window, else at a rune boundary.
func breakPoint(b []byte, max int) int {
	for i := max - 1; i > max/2; i-- {
		if b[i] == ' ' || b[i] == '\t' {
			return i + 1
		}
	}
	i := max
	for i > 0 && !utf8.RuneStart(b[i]) {
		i--
	}
	if i == 0 {
		return max
	}
	return i
}

// Close flushes the last line and any open encoded block.
func (s *textSink) Close() error {
	if len(s.line) > 0 {
		s.processLine(s.line)
		s.line = s.line[:0]
	}
	s.flushPending()
	if s.state != stText {
		s.endBlock()
		s.releaseHeld()
	}
	return s.err
}

var (
	reBegin = regexp.MustCompile(`^begin(-base64)?[ \t]+\+?[0-9]+(?:[ \t]+(.*))?$`) // as loosely as decoders read it: any number of digits
	// reClientBegin is a "begin" line a mail client starts a file at:
	// Thunderbird wants three or four octal digits (mimeunty.cpp),
	// Outlook Express three since KB 900930; more digits are read too,
	// and a sign or a tab, for the clients not read here. A shorter mode
	// ("begin 10 minutes before") only command-line decoders take, and
	// only a user who saves the text and runs one.
	reClientBegin = regexp.MustCompile(`^begin(-base64)?[ \t]+\+?[0-7]{3,}(?:[ \t]|$)`)
	reYBegin      = regexp.MustCompile(`^=ybegin\b.*$`)
	reYName       = regexp.MustCompile(`\bname=(.*)$`)
	reYSize       = regexp.MustCompile(`\bsize=(\d+)`)
	binhexMark    = "(This file must be converted with BinHex"

	beginB, yBeginB, binhexMarkB = []byte("begin"), []byte("=ybegin"), []byte(binhexMark)
)

func (s *textSink) processLine(raw []byte) {
	// The common line, body text outside any encoded block, stays bytes
	// from here to the output: no string per line.
	if s.state == stText && !s.pend {
		b, copied := cleanBytes(s.clean[:0], raw, s.validUTF8)
		if copied {
			s.clean = b[:0]
			s.st.bidi += countBidi(raw)
		}
		if !bytes.HasPrefix(b, beginB) && !bytes.HasPrefix(b, yBeginB) && !bytes.Contains(b, binhexMarkB) {
			s.emitBytes(b)
			return
		}
		s.processString(string(b))
		return
	}
	s.processString(cleanLine(raw))
}

// Bounds of the lenient uuencode (and begin-base64) recognition. Real
// decoders (Mozilla's, GNU's) skip blank lines, pad short lines, ignore
// what follows the data on a line and decode every line up to "end";
// the sink follows them this far.
const (
	// uuLookJunk: lines neither blank nor data between a "begin" line
	// and the first data line.
	uuLookJunk = 4
	// uuBlockJunk: lines in a row that are not data inside a block
	// before the block is taken to have ended without its "end".
	uuBlockJunk = 16
	// uuHeldLines and uuHeldBytes bound what is held back in all.
	uuHeldLines = 64
	uuHeldBytes = 64 << 10
)

func (s *textSink) processString(line string) {
	switch s.state {
	case stUU:
		if s.uuBlockLine(line) {
			return
		}
	case stYEnc:
		s.cur.size += int64(len(line)) + 1
		if strings.HasPrefix(line, "=yend") {
			s.endBlock()
		}
		return
	case stBinHex:
		trim := strings.TrimSpace(line)
		if !s.binhexOK {
			if trim == "" {
				return
			}
			if strings.HasPrefix(trim, ":") {
				s.binhexOK = true
			} else {
				s.endBlock()
				break
			}
		}
		if isBinHexLine(trim) {
			s.cur.size += int64(len(trim))
			if len(trim) > 1 && strings.HasSuffix(trim, ":") {
				s.endBlock()
			}
			return
		}
		s.endBlock()
	}

	if s.pend && s.pendLine(line) {
		return
	}
	if !strings.HasPrefix(line, "begin") && !strings.HasPrefix(line, "=ybegin") && !strings.Contains(line, binhexMark) {
		s.emit(line)
		return
	}
	if m := reBegin.FindStringSubmatch(line); m != nil {
		s.pend = true
		s.b64 = m[1] != ""
		s.cur = block{kind: "uuencode", name: strings.TrimSpace(m[2])}
		s.holdLine(line, false)
		s.heldJunk = 0
		return
	}
	if reYBegin.MatchString(line) {
		s.cur = block{kind: "yenc"}
		if m := reYName.FindStringSubmatch(line); m != nil {
			s.cur.name = strings.TrimSpace(m[1])
		}
		if m := reYSize.FindStringSubmatch(line); m != nil {
			s.declared, _ = strconv.ParseInt(m[1], 10, 64)
		}
		s.state = stYEnc
		return
	}
	if strings.Contains(line, binhexMark) {
		s.cur = block{kind: "binhex"}
		s.binhexOK = false
		s.state = stBinHex
		return
	}
	s.emit(line)
}

// startsBlock reports a line that opens an encoded file of any kind: the
// lines processString does not take as text when no block is open.
func startsBlock(line string) bool {
	return strings.HasPrefix(line, "begin") && reBegin.MatchString(line) ||
		strings.HasPrefix(line, "=ybegin") && reYBegin.MatchString(line) ||
		strings.Contains(line, binhexMark)
}

// pendLine takes a line that follows a "begin" line before any data. The
// first plausible data line starts the block, and the lines held since
// the "begin" line become part of it: a decoder skips blank lines and
// decodes junk into the file. Blank lines and a few junk lines are held
// while it looks; after more, at "end" or at the start of another
// encoded file the "begin" line and what was held are text after all.
// It reports whether it took the line; false: the line is to be
// processed as text.
func (s *textSink) pendLine(line string) bool {
	if s.uuData(line) {
		s.startUU()
		s.uuData(line)
		return true
	}
	trim := strings.TrimSpace(line)
	if trim == "end" || s.b64 && trim == "====" || startsBlock(line) {
		s.flushPending()
		return false
	}
	s.holdLine(line, trim == "")
	if s.heldJunk > uuLookJunk || len(s.held) > uuHeldLines || s.heldSize > uuHeldBytes {
		s.flushPending()
	}
	return true
}

// uuBlockLine takes a line inside a uuencode or begin-base64 block, as a
// decoder would, up to "end" ("====" for base64): data lines are decoded;
// other lines are held, and become part of the block when more data or
// the "end" line follows. After uuBlockJunk of them in a row, or when
// another encoded file starts, the block is taken to have ended with its
// last data line (its "end" is missing) and the lines held are text. It
// reports whether it took the line; false: the block has ended and the
// line is to be processed as text.
func (s *textSink) uuBlockLine(line string) bool {
	trim := strings.TrimSpace(line)
	if trim == "end" || s.b64 && trim == "====" {
		s.dropHeld()
		s.endBlock()
		return true
	}
	if s.uuData(line) {
		s.dropHeld()
		return true
	}
	if startsBlock(line) {
		s.endBlock()
		s.releaseHeld()
		return false
	}
	s.holdLine(line, trim == "")
	if s.heldJunk > uuBlockJunk || len(s.held) > uuHeldLines || s.heldSize > uuHeldBytes {
		s.endBlock()
		s.releaseHeld()
	}
	return true
}

// holdLine holds a line back; blank says it is white space only.
func (s *textSink) holdLine(line string, blank bool) {
	s.held = append(s.held, line)
	s.heldSize += len(line) + 1
	if !blank {
		s.heldJunk++
	}
}

// dropHeld discards the lines held: they are part of the block.
func (s *textSink) dropHeld() {
	clear(s.held)
	s.held = s.held[:0]
	s.heldJunk, s.heldSize = 0, 0
}

// releaseHeld writes the lines held as text, as they are: none of them
// starts an encoded file (pendLine and uuBlockLine let those through)
// but a pending "begin" line, held[0], that turned out to be text.
func (s *textSink) releaseHeld() {
	for _, l := range s.held {
		s.emit(l)
	}
	s.dropHeld()
}

// flushPending writes a held "begin" line, and the lines held after it,
// that turned out to be text. A "begin" line a mail client would start a
// file at gets a space before it: the client takes whatever follows it,
// up to "end", for a file, junk and all, however little it looks like
// one to us. Other "begin" lines are prose and stay as written.
func (s *textSink) flushPending() {
	if s.pend {
		s.pend = false
		s.b64 = false
		s.cur = block{}
		if len(s.held) > 0 && reClientBegin.MatchString(s.held[0]) {
			s.held[0] = " " + s.held[0]
			s.begins++
		}
		s.releaseHeld()
	}
}

func (s *textSink) startUU() {
	s.pend = false
	s.dropHeld()
	s.state = stUU
	s.curHash = sha256.New()
	s.curHead = s.curHead[:0]
}

func (s *textSink) endBlock() {
	switch s.cur.kind {
	case "uuencode":
		if s.curHash != nil {
			s.cur.sha = hex.EncodeToString(s.curHash.Sum(nil))
		}
		s.cur.sniffed, s.cur.class = sniff(s.curHead)
	case "yenc":
		if s.declared > 0 {
			s.cur.size = s.declared
		}
	}
	s.declared = 0
	if len(s.blocks) < maxBlocks {
		s.blocks = append(s.blocks, s.cur)
	} else {
		s.moreBlocks++
	}
	s.cur = block{}
	s.curHash = nil
	s.state = stText
}

// uuData decodes line if it is a data line of the current uuencode (or
// begin-base64) block and reports whether it was. Before the block
// starts (pendLine) it only tells whether line is plausibly its first.
//
// A uuencode line is taken as decoders take it: its length character
// says how many bytes it holds, a longer line has junk after the data
// (ignored), a line up to four characters short was stripped of
// trailing spaces (zero sextets; padded), and every character counts
// modulo 64, lower case letters too. Lines of words are not data.
func (s *textSink) uuData(line string) bool {
	if s.b64 {
		t := strings.TrimSpace(line)
		if t == "" || t == "====" || len(t) > 200 {
			return false
		}
		for i := 0; i < len(t); i++ {
			if v := b64Table[t[i]]; v >= 64 && v != 0xFE {
				return false
			}
		}
		if s.state == stUU {
			d := newB64Reader(strings.NewReader(t))
			b, _ := io.ReadAll(d)
			s.add(b)
		}
		return true
	}
	l := strings.TrimRight(line, " \t")
	if l == "" || l[0] <= ' ' || l[0] > '`' {
		return false
	}
	n := int(l[0]-32) & 63
	if n == 0 {
		// "`" closes the data before "end"; it cannot start it.
		return s.state == stUU && len(l) == 1
	}
	want := (n + 2) / 3 * 4
	// The trailing spaces count for the length: in classic uuencode a
	// space is a zero sextet, and an executable's header ends in zeros.
	body := line[1:]
	if len(body) < want-4 {
		return false
	}
	letters, space := 0, false
	for i := 1; i < len(l); i++ {
		switch c := l[i]; {
		case c < ' ' || c > '~':
			return false
		case c == ' ':
			space = true
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
			letters++
		}
	}
	if space && letters*100 >= 65*(len(l)-1) && proseWords(l[1:]) {
		return false
	}
	if s.state == stUU {
		if len(body) > want {
			body = body[:want]
		}
		for len(body) < want {
			body += " "
		}
		out := make([]byte, 0, want/4*3)
		for i := 0; i+3 < len(body); i += 4 {
			a, b, c, d := (body[i]-32)&63, (body[i+1]-32)&63, (body[i+2]-32)&63, (body[i+3]-32)&63
			out = append(out, a<<2|b>>4, b<<4|c>>2, c<<6|d)
		}
		if len(out) > n {
			out = out[:n]
		}
		s.add(out)
	}
	return true
}

// proseWords reports whether every run of letters in l is written as a
// word of prose is: "word", "Word", "WORD" or "WORDs". With the spaces
// between words and few digits and signs (uuData counts those), that
// tells a line of prose from data, where upper and lower case letters
// (the lower case ones stand for digits and signs, modulo 64) mix.
func proseWords(l string) bool {
	for i := 0; i < len(l); {
		if !isLetter(l[i]) {
			i++
			continue
		}
		j := i
		for j < len(l) && isLetter(l[j]) {
			j++
		}
		w := l[i:j]
		i = j
		upper := 0
		for upper < len(w) && 'A' <= w[upper] && w[upper] <= 'Z' {
			upper++
		}
		switch rest := w[upper:]; {
		case upper <= 1 || rest == "" || rest == "s":
			// word, Word, WORD, WORDs
			for k := 0; k < len(rest); k++ {
				if rest[k] < 'a' || rest[k] > 'z' {
					return false
				}
			}
		default:
			return false
		}
	}
	return true
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

func (s *textSink) add(b []byte) {
	s.cur.size += int64(len(b))
	if s.curHash != nil {
		s.curHash.Write(b)
	}
	if len(s.curHead) < 512 {
		s.curHead = append(s.curHead, b[:min(len(b), 512-len(s.curHead))]...)
	}
}

func isBinHexLine(t string) bool {
	if t == "" || len(t) > 128 {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if c == ':' || '!' <= c && c <= ',' || '-' <= c && c <= '0' || '1' <= c && c <= '9' || '@' <= c && c <= '[' || '`' <= c && c <= 'r' {
			continue
		}
		return false
	}
	return true
}

func (s *textSink) emit(line string) {
	s.emitBytes(append(s.clean[:0], line...))
}

// emitBytes neutralises the links of one clean line, counts it and
// writes it with an LF. line may be the sink's clean scratch buffer.
func (s *textSink) emitBytes(line []byte) {
	if s.err != nil {
		return
	}
	var out []byte
	if s.links != "keep" {
		var n int
		out, n = appendLinks(s.out2[:0], line, s.links)
		s.st.links += n
	} else {
		out = append(s.out2[:0], line...)
	}
	if !s.st.visible {
		s.st.visible = hasVisible(out)
	}
	s.st.nonASCII += countHigh(out)
	s.st.bytes += int64(len(out)) + 1
	out = append(out, '\n')
	s.out2 = out[:0]
	if _, err := s.out.Write(out); err != nil {
		s.err = err
	}
}

// hasVisible reports a rune that a reader sees: not white space, and not
// one drawn as nothing at all (blankRune).
func hasVisible(b []byte) bool {
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			if c != ' ' && c != '\t' {
				return true
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if !unicode.IsSpace(r) && !blankRune(r) {
			return true
		}
		i += size
	}
	return false
}

// blankRune reports a character drawn as nothing or as an empty cell:
// format characters (zero-width space and joiners, the soft hyphen, bidi
// marks, tag characters), variation selectors, the Hangul fillers and the
// braille blank. A text/plain alternative of these alone is as empty as
// one of spaces, and must not win over the HTML one (chooseBody).
func blankRune(r rune) bool {
	return unicode.In(r, unicode.Cf, unicode.Variation_Selector, unicode.Other_Default_Ignorable_Code_Point) || r == '\u2800'
}

// countHigh counts the bytes >= 0x80, eight at a time.
func countHigh(b []byte) int64 {
	n := 0
	for len(b) >= 8 {
		n += bits.OnesCount64(binary.LittleEndian.Uint64(b) & 0x8080808080808080)
		b = b[8:]
	}
	for _, c := range b {
		if c >= 0x80 {
			n++
		}
	}
	return int64(n)
}

// cleanBytes is cleanLine for the body text path: b itself when it is
// clean already (copied false), else the cleaned line appended to dst.
func cleanBytes(dst, b []byte, valid bool) (out []byte, copied bool) {
	if isClean(b, valid) {
		return b, false
	}
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		b = b[size:]
		switch {
		case r == utf8.RuneError && size == 1:
			dst = utf8.AppendRune(dst, utf8.RuneError)
		case r == '\t':
			dst = append(dst, '\t')
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
		case isBidiControl(r) || r == 0xFEFF:
		default:
			dst = utf8.AppendRune(dst, r)
		}
	}
	return dst, true
}

// isClean reports a line cleanLine leaves as it is: printable ASCII and
// tabs, or valid UTF-8 without C1 controls, bidirectional overrides and
// byte order marks. valid says b is known to be valid UTF-8. In valid
// UTF-8 only four lead bytes can start a rune cleanLine drops, so the
// line is looked at eight bytes at a time for those and for controls.
func isClean(b []byte, valid bool) bool { return cleanScan(b, valid, false) }

// cleanScan is isClean, and with lines set it also allows LF: b is then
// lines, each of which isClean.
func cleanScan(b []byte, valid, lines bool) bool {
	if !valid && !utf8.Valid(b) {
		return false
	}
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	zero := func(x uint64) bool { return (x-lo)&^x&hi != 0 } // some byte of x is zero
	i := 0
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		if x&hi == 0 && ((x-0x2020202020202020)|(x+lo))&hi == 0 {
			// Printable ASCII and spaces, most words of most text: a
			// control (LF and tab too) borrows, DEL carries into the high
			// bit. Everything else is looked at below.
			continue
		}
		if lines {
			// Each LF becomes an "a" (0x0a ^ 0x6b = 0x61) for the tests below.
			x ^= exactZero(x^0x0a0a0a0a0a0a0a0a) >> 7 * 0x6b
		}
		if (x-0x2020202020202020)&^x&hi == 0 && !zero(x^0x7f7f7f7f7f7f7f7f) &&
			(x&hi == 0 || !zero(x^0xC2C2C2C2C2C2C2C2) && !zero(x^0xD8D8D8D8D8D8D8D8) && !zero(x^0xE2E2E2E2E2E2E2E2) && !zero(x^0xEFEFEFEFEFEFEFEF)) {
			continue // no control, no DEL, none of the four lead bytes
		}
		for j := i; j < i+8; j++ {
			if !(lines && b[j] == '\n' || cleanAt(b, j)) {
				return false
			}
		}
	}
	for j := i; j < len(b); j++ {
		if !(lines && b[j] == '\n' || cleanAt(b, j)) {
			return false
		}
	}
	return true
}

// exactZero has 0x80 in each byte of v that is zero and nothing else
// (the cheaper test in isClean may also flag a byte above a zero one).
func exactZero(v uint64) uint64 {
	const m = 0x7f7f7f7f7f7f7f7f
	return ^((v&m + m) | v | m)
}

// cleanAt checks the byte at b[j] of valid UTF-8: a control, or the lead
// byte of a rune cleanLine drops.
func cleanAt(b []byte, j int) bool {
	switch c := b[j]; {
	case c < 0x80:
		return !(c < 0x20 && c != '\t' || c == 0x7f)
	case c == 0xC2: // U+0080–U+009F: C1 controls
		return b[j+1] >= 0xA0
	case c == 0xD8: // U+061C
		return b[j+1] != 0x9C
	case c == 0xE2: // U+200E, U+200F, U+202A–U+202E, U+2066–U+2069
		c1, c2 := b[j+1], b[j+2]
		return !(c1 == 0x80 && (c2 == 0x8E || c2 == 0x8F || c2 >= 0xAA && c2 <= 0xAE) || c1 == 0x81 && c2 >= 0xA6 && c2 <= 0xA9)
	case c == 0xEF: // U+FEFF
		return !(b[j+1] == 0xBB && b[j+2] == 0xBF)
	}
	return true
}

func isCleanString(s string) bool {
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if !harmlessRune(r, size) {
			return false
		}
		i += size
	}
	return true
}

// harmlessRune reports a decoded non-ASCII rune cleanLine keeps as it is.
func harmlessRune(r rune, size int) bool {
	return !(r == utf8.RuneError && size == 1) && r >= 0xa0 && !isBidiControl(r) && r != 0xFEFF
}

// cleanString is cleanLine for a string: s itself when it is clean.
func cleanString(s string) string {
	if isCleanString(s) {
		return s
	}
	return cleanLine([]byte(s))
}

// cleanLine makes one line of body text safe to show: invalid UTF-8
// becomes U+FFFD, control characters (but tab) and the bidirectional
// overrides that can disguise text are dropped.
func cleanLine(b []byte) string {
	out, _ := cleanBytes(nil, b, false)
	return string(out)
}

// countBidi counts the bidirectional controls cleanLine drops from s: the
// sender made text read in another order than it is written (請求書
// \u202Efdp.exe, an amount written backwards), which the reader is told.
func countBidi[T ~string | ~[]byte](s T) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == 0xE2 || c == 0xD8 {
			r, size := decodeRuneAt(s, i)
			if isBidiControl(r) {
				n++
			}
			i += size - 1
		}
	}
	return n
}

func decodeRuneAt[T ~string | ~[]byte](s T, i int) (rune, int) {
	var buf [utf8.UTFMax]byte
	k := copy(buf[:], s[i:min(len(s), i+utf8.UTFMax)])
	return utf8.DecodeRune(buf[:k])
}

func isBidiControl(r rune) bool {
	return r >= 0x202A && r <= 0x202E || r >= 0x2066 && r <= 0x2069 || r == 0x200E || r == 0x200F || r == 0x061C
}
