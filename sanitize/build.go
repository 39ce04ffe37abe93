package sanitize

import (
	"bufio"
	"bytes"
	"cmp"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"mime"
	"slices"
	"strings"
	"unicode/utf8"
)

// build writes the rebuilt message: the allow-listed header fields, the
// X-Mugai-* result fields, a text/plain body with the notice and the kept
// attachments as fresh base64 parts. Everything is 7-bit with CRLF line
// ends of at most 998 octets (RFC 5322 2.1.1). Nothing of the original
// structure is copied; only decoded content is.
func (s *sanitizer) build(w io.Writer) error {
	bw := s.sc.writer(w)
	defer bw.Reset(nil)
	var kept []*leaf
	for _, l := range s.leaves {
		if l.att != nil && l.part.Decision == DecisionKeep {
			kept = append(kept, l)
		}
	}
	// The header first: what decoding it met is in the findings the
	// notice reads (a Subject shown with U+FFFD is explained too).
	fields := s.requiredFields(s.headerFields())
	if s.headerLinks {
		s.addAction(s.linksAction())
	}
	notice := s.notice()
	iso := s.pol.OutputCharset == "iso-2022-jp"
	if iso && s.unencodable(notice) > 0 {
		// The notice comes first, but what ISO-2022-JP cannot hold is
		// known only once the text is encoded: count it first, so the
		// reader is told what each 〓 stands for.
		s.isoReplaced = true
		s.addAction("characters-replaced")
		notice = s.notice()
	}

	// Transfer encoding of the text: quoted-printable keeps mostly-ASCII
	// text readable, base64 is a third of the size for Japanese.
	var total, high int64
	for _, l := range notice {
		total += int64(len(l)) + 2
		high += nonASCII(l)
	}
	for _, m := range s.msgs {
		for _, l := range m.slot.texts() {
			total += l.stats.bytes
			high += l.stats.nonASCII
		}
	}
	for _, l := range s.leaves {
		if l.calShown {
			total += l.calStats.bytes
			high += l.calStats.nonASCII
		}
	}
	textCTE := "quoted-printable"
	switch {
	case iso:
		textCTE = "7bit"
	case high*3 > total:
		textCTE = "base64"
	}
	textType := "text/plain; charset=utf-8"
	if iso {
		textType = "text/plain; charset=ISO-2022-JP"
	}

	fields = append(fields, field{"MIME-Version", "1.0"})
	boundary := ""
	if len(kept) > 0 {
		boundary = newBoundary()
		fields = append(fields, field{"Content-Type", `multipart/mixed; boundary="` + boundary + `"`})
	} else {
		fields = append(fields, field{"Content-Type", textType}, field{"Content-Transfer-Encoding", textCTE})
	}
	fields = append(fields, field{"X-Mugai-Sanitized", s.sanitizedValue()})
	name := cleanID(s.opt.PolicyName)
	if name == "" {
		name = "unnamed"
	}
	fields = append(fields, field{"X-Mugai-Policy", name})
	if id := cleanID(s.opt.OriginalID); id != "" {
		fields = append(fields, field{"X-Mugai-Original-Id", id})
	}
	for _, f := range fields {
		writeField(bw, f.key, f.value)
	}
	bw.WriteString("\r\n")

	if boundary != "" {
		bw.WriteString("This is a multi-part message in MIME format.\r\n\r\n--" + boundary + "\r\n")
		writeField(bw, "Content-Type", textType)
		writeField(bw, "Content-Transfer-Encoding", textCTE)
		bw.WriteString("\r\n")
	}
	if err := s.writeText(bw, textCTE, notice); err != nil {
		return err
	}
	if boundary != "" {
		for _, l := range kept {
			bw.WriteString("\r\n--" + boundary + "\r\n")
			if err := s.writeAttachment(bw, l); err != nil {
				return err
			}
		}
		bw.WriteString("\r\n--" + boundary + "--\r\n")
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("sanitize: write: %w", err)
	}
	return nil
}

// sanitizedValue is the X-Mugai-Sanitized field: the actions taken.
func (s *sanitizer) sanitizedValue() string {
	var t []string
	for _, a := range s.rep.Actions {
		switch a {
		case "attachment-stripped":
			t = append(t, "attachments-removed="+itoa(s.rep.Removed))
		case "ambiguous":
			t = append(t, "ambiguous-structure")
		default:
			t = append(t, a)
		}
	}
	if s.rep.Kept > 0 {
		t = append(t, "attachments-kept="+itoa(s.rep.Kept))
	}
	if len(t) == 0 {
		return "rebuilt"
	}
	return strings.Join(t, " ")
}

func nonASCII(s string) int64 {
	var n int64
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			n++
		}
	}
	return n
}

func newBoundary() string {
	var b [12]byte
	rand.Read(b[:])
	// "=_" never occurs in base64 or quoted-printable text (RFC 2045 6.7).
	return "=_mugai_" + hex.EncodeToString(b[:])
}

// writeField writes one header field folded at spaces to 76 columns where
// the value allows (values are 7-bit and have no word over 998 octets).
func writeField(w *bufio.Writer, key, value string) {
	value = headerSafe(value)
	w.WriteString(key)
	if len(key)+2+len(value) <= 76 {
		// Short enough for one line: the loop below would not fold it.
		w.WriteString(": ")
		w.WriteString(value)
		w.WriteString("\r\n")
		return
	}
	w.WriteString(":")
	col := len(key) + 1
	for i := 0; ; i++ {
		word := value
		j := strings.IndexByte(value, ' ')
		if j >= 0 {
			word = value[:j]
		}
		if i > 0 && col+1+len(word) > 76 && col > 1 {
			w.WriteString("\r\n")
			col = 0
		}
		w.WriteString(" ")
		w.WriteString(word)
		col += 1 + len(word)
		if j < 0 {
			break
		}
		value = value[j+1:]
	}
	w.WriteString("\r\n")
}

// headerSafe is the last guard of a header value: printable ASCII and
// spaces only, no word longer than 900 octets.
func headerSafe(v string) string {
	if printableASCII(v) && !hasLongWord(v, 900) {
		return v
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '\t':
			b.WriteByte(' ')
		case c < 0x20 || c >= 0x7f:
		default:
			b.WriteByte(c)
		}
	}
	v = b.String()
	if hasLongWord(v, 900) {
		f := strings.Fields(v)
		for i := range f {
			if len(f[i]) > 900 {
				f[i] = f[i][:900]
			}
		}
		v = strings.Join(f, " ")
	}
	return v
}

// printableASCII reports text of printable ASCII and spaces only.
func printableASCII(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}

// writeText writes the body text: notice, the original's text, then each
// forwarded message's text quoted, in the chosen transfer encoding.
func (s *sanitizer) writeText(w *bufio.Writer, cte string, notice []string) error {
	t := s.sc.bodyText(w, cte)
	t.links = s.pol.Body.Links
	if cte == "quoted-printable" && !s.pol.noQP {
		t.lead = s.pol.leadQP()
	}
	err := s.eachBodyLine(notice, t)
	if err == nil {
		err = t.close()
	}
	if t.unencodable > 0 {
		s.finding("", "charset-unencodable", itoa(t.unencodable)+" characters have no ISO-2022-JP code and were replaced")
	}
	return err
}

// unencodable counts the characters of the body text, notice included,
// that have no ISO-2022-JP code: the lines the text would be written
// in, counted, not encoded.
func (s *sanitizer) unencodable(notice []string) int {
	t := s.sc.bodyText(nil, "count")
	if err := s.eachBodyLine(notice, t); err != nil {
		return 0 // the real pass meets it again and reports it
	}
	return t.unencodable
}

// bodyText encodes the lines of the body text in its transfer encoding.
// The scratch holds one, so its buffers serve one message after another.
type bodyText struct {
	w           *bufio.Writer
	cte         string
	qp          []byte // quoted-printable: encoded lines, written in pieces of 8 KiB
	b64         base64Lines
	lead        []byte // the notice's lead lines encoded already (quoted-printable)
	iso         []byte // ISO-2022-JP: a line encoded
	unencodable int    // ISO-2022-JP: characters without a code
	str         []byte // a line given as a string
	split       lineSplitter
	links       string // ISO-2022-JP: the policy's links mode, for the pieces of a split line
	prep        []byte // ISO-2022-JP: a line prepared (isoPrepared)
}

// bodyText readies the scratch's bodyText for writing to w in cte.
func (sc *scratch) bodyText(w *bufio.Writer, cte string) *bodyText {
	t := &sc.body
	*t = bodyText{
		w: w, cte: cte, qp: t.qp[:0], str: t.str[:0], iso: t.iso[:0], prep: t.prep[:0],
		b64:   base64Lines{w: w, out: t.b64.out[:0]},
		split: lineSplitter{part: t.split.part[:0], buf: t.split.buf[:0]},
	}
	t.split.to = t
	return t
}

// bodyLine writes one line of text, without its line end.
func (t *bodyText) bodyLine(line []byte) error {
	switch t.cte {
	case "count": // ISO-2022-JP, counting what it cannot hold (unencodable)
		t.unencodable += countUnencodable(t.isoPrepared(line))
		return nil
	case "7bit": // ISO-2022-JP
		line = t.isoPrepared(line)
		b, n := appendISO2022JP(t.iso[:0], line)
		t.iso = b[:0]
		if len(b) <= 990 {
			t.unencodable += n
			t.w.Write(b)
			t.w.WriteString("\r\n")
			return nil
		}
		for _, chunk := range splitForISO(string(line), t.links, &t.unencodable) {
			t.w.Write(chunk)
			t.w.WriteString("\r\n")
		}
		return nil
	case "base64":
		t.b64.Write(line)
		_, err := t.b64.Write(crlf)
		return err
	}
	t.qp = appendQPLine(t.qp, line)
	if len(t.qp) < 8<<10 {
		return nil
	}
	_, err := t.w.Write(t.qp)
	t.qp = t.qp[:0]
	return err
}

// leadLines writes the notice's lead lines when they are encoded already.
func (t *bodyText) leadLines() bool {
	if t.lead == nil {
		return false
	}
	t.qp = append(t.qp, t.lead...)
	return true
}

func (t *bodyText) close() error {
	switch t.cte {
	case "7bit":
		return nil
	case "base64":
		partial, err := t.b64.Close()
		if partial {
			t.w.WriteString("\r\n")
		}
		return err
	}
	_, err := t.w.Write(t.qp)
	return err
}

var crlf = []byte("\r\n")

// appendQPLine appends one line of text (no CR or LF in it) encoded as
// quoted-printable, with its CRLF. The output is byte for byte what
// mime/quotedprintable's Writer makes of the line and a CRLF (a test
// holds it to that), without its byte-at-a-time loop: runs of printable
// ASCII are copied whole.
func appendQPLine(dst, line []byte) []byte {
	const max = 75 // the Writer breaks before the 76th character
	i := 0         // column in the current output line
	for len(line) > 0 {
		if n := qpLiteralRun(line); n > 0 {
			// Copied whole, broken where the output line is full.
			for run := line[:n]; len(run) > 0; {
				if i == max {
					dst = append(dst, '=', '\r', '\n')
					i = 0
				}
				k := min(len(run), max-i)
				dst = append(dst, run[:k]...)
				i += k
				run = run[k:]
			}
			line = line[n:]
			continue
		}
		// A run of bytes to escape (Japanese text is all of them),
		// written as many at a time as fit on the output line.
		j := 1
		for j < len(line) && !qpLiteral(line[j]) {
			j++
		}
		dst, i = appendQPEscaped(dst, line[:j], i)
		line = line[j:]
	}
	// White space at the end of a line is encoded (RFC 2045 6.7 (3)).
	if i > 0 {
		if c := dst[len(dst)-1]; c == ' ' || c == '\t' {
			dst = dst[:len(dst)-1]
			i--
			if max-i < 3 {
				dst = append(dst, '=', '\r', '\n')
			}
			dst = append(dst, '=', upperhex[c>>4], upperhex[c&0x0f])
		}
	}
	return append(dst, '\r', '\n')
}

// qpLiteralRun is the length of the run of bytes at the start of b that
// quoted-printable writes as themselves, looked at eight at a time.
func qpLiteralRun(b []byte) int {
	rest := b
	for len(rest) >= 8 && qpLiteral8(binary.LittleEndian.Uint64(rest)) {
		rest = rest[8:]
	}
	for len(rest) > 0 && qpLiteral(rest[0]) {
		rest = rest[1:]
	}
	return len(b) - len(rest)
}

// appendQPEscaped appends the bytes of run as "=XX", starting at column
// i of the output line and breaking it before the 76th character, and
// returns the column after them.
func appendQPEscaped(dst, run []byte, i int) ([]byte, int) {
	const max = 75
	for len(run) > 0 {
		if max-i < 3 {
			dst = append(dst, '=', '\r', '\n')
			i = 0
		}
		n := min(len(run), (max-i)/3)
		o := len(dst)
		dst = slices.Grow(dst, 3*n)[:o+3*n]
		for _, c := range run[:n] {
			dst[o], dst[o+1], dst[o+2] = '=', upperhex[c>>4], upperhex[c&0x0f]
			o += 3
		}
		i += 3 * n
		run = run[n:]
	}
	return dst, i
}

// qpLiteral reports a byte quoted-printable writes as itself.
func qpLiteral(c byte) bool { return qpLiteralTable[c] }

// qpLiteral8 reports eight bytes (little-endian) that are all printable
// ASCII or spaces but "=": a tab or any other byte is left to qpLiteral.
// Each term sets the high bit of a byte it flags, exactly for the lowest
// such byte (a carry or borrow only starts at a flagged byte): x itself
// flags bytes >= 0x80, x-0x20… those below a space, x+0x01… DEL, and the
// last term a zero byte of x^"========", an "=".
func qpLiteral8(x uint64) bool {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	eq := x ^ 0x3d3d3d3d3d3d3d3d
	return (x|(x-0x2020202020202020)|(x+lo)|(eq-lo)&^eq)&hi == 0
}

// qpLiteralTable: printable ASCII but "=", space and tab.
var qpLiteralTable = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = c >= '!' && c <= '~' && c != '=' || c == ' ' || c == '\t'
	}
	return t
}()

const upperhex = "0123456789ABCDEF"

// isoPrepared is line as the ISO-2022-JP encoder writes it (half-width
// kana widened, sound marks composed, an emoji's parts one 〓), its links
// neutralised again: they were neutralised in the text before, and what
// the preparation changes changes what reads as a link (ﾞ@evil.com, an
// address to the rewriter, is ゛@evil.com, a domain after a symbol, once
// widened). The rewriter leaves what it neutralised already as it is.
func (t *bodyText) isoPrepared(line []byte) []byte {
	if t.links == "keep" || !needsISOPrepare(line) {
		return line
	}
	p := prepareISO2022JP(string(line))
	p, _ = rewriteLinks(p, t.links)
	t.prep = append(t.prep[:0], p...)
	return t.prep
}

// splitForISO encodes one line as ISO-2022-JP, split so that no output
// line is over 998 octets. The text was neutralised as one line, but a
// mail client reads each piece as a line of its own, and a cut makes new
// line starts and ends: "user@evil.com" cut after the "@" leaves the
// bare domain "evil.com" at a line start, "evil.commandos" cut leaves
// "evil.co" at an end, and "... begin 644 evil.exe" cut before "begin"
// is the first line of a uuencoded file to a client that decodes them.
// So every piece has its links neutralised again (links mode; the
// rewriter leaves what it neutralised already as it is) and a piece
// after the first that would start an encoded file gets a space before
// it, as the text sink does for such a line it passes as text.
func splitForISO(line, links string, bad *int) [][]byte {
	b, n := encodeISO2022JP(line)
	if len(b) <= 990 {
		*bad += n
		return [][]byte{b}
	}
	var out [][]byte
	r := []rune(line)
	for first := true; len(r) > 0; first = false {
		k := min(len(r), 200)
		for {
			piece := string(r[:k])
			if !first && startsBlock(piece) {
				piece = " " + piece
			}
			if links != "keep" {
				piece, _ = rewriteLinks(piece, links)
			}
			b, n = encodeISO2022JP(piece)
			if len(b) <= 990 || k == 1 {
				break
			}
			k /= 2
		}
		*bad += n
		out = append(out, b)
		r = r[k:]
	}
	return out
}

// eachBodyLine writes every line of the body text to t, in order. The
// notice starts with the policy's lead lines; t writes them itself when it
// has them encoded already.
func (s *sanitizer) eachBodyLine(notice []string, t *bodyText) error {
	str := func(line string) {
		t.str = append(t.str[:0], line...)
		t.bodyLine(t.str)
	}
	writeNotice := func() {
		rest := notice
		if n := len(s.pol.lead); len(rest) >= n && t.leadLines() {
			rest = rest[n:]
		}
		for _, l := range rest {
			str(l)
		}
	}
	top := s.pol.Notice.Position != "bottom"
	if top {
		writeNotice()
		str(noticeRule)
		str("")
	}
	if len(s.msgs) == 1 {
		if err := s.messageText(s.msgs[0], "", t, str); err != nil {
			return err
		}
	} else if err := s.inDocumentOrder(t, str); err != nil {
		return err
	}
	if !top {
		str("")
		str(noticeRule)
		writeNotice()
	}
	return nil
}

// inDocumentOrder passes the texts of the original and of the messages
// forwarded in it in the order they stand in the original, as a mail
// client shows them: a forwarded message's section, quoted and under its
// From, Date and Subject, stands where it was attached, so a text after
// it (a list footer, the rest of a letter) follows it.
func (s *sanitizer) inDocumentOrder(t *bodyText, str func(string)) error {
	type item struct {
		path string
		m    *msgNode
		l    *leaf // nil: the forwarded message's header lines
	}
	var items []item
	for i, m := range s.msgs {
		if i > 0 {
			items = append(items, item{m.path, m, nil})
		}
		for _, l := range m.slot.texts() {
			items = append(items, item{l.part.Path, m, l})
		}
	}
	// A calendar's events stand where its file stood, as a text would.
	for _, l := range s.leaves {
		if l.calShown {
			items = append(items, item{l.part.Path, l.msg, l})
		}
	}
	slices.SortStableFunc(items, func(a, b item) int { return comparePaths(a.path, b.path) })
	shown := map[*msgNode]bool{} // some text of it with something visible was passed
	var last *msgNode
	for _, it := range items {
		m := it.m
		q := strings.Repeat("> ", m.level)
		if it.l == nil {
			str("")
			if m.returned {
				str(q + "---------- 返送された元のメッセージ / Returned message ----------")
			} else {
				str(q + "---------- 転送されたメッセージ / Forwarded message ----------")
			}
			for _, f := range []struct{ k, v string }{{"From", m.from}, {"Date", m.date}, {"Subject", m.subject}} {
				if f.v != "" {
					v := f.v
					if s.pol.Body.Links != "keep" {
						v, _ = rewriteLinks(v, s.pol.Body.Links)
					}
					str(q + f.k + ": " + v)
				}
			}
			str(strings.TrimRight(q, " "))
			last = m
			continue
		}
		switch {
		case last != nil && last != m:
			str(strings.TrimRight(q, " ")) // back from a forwarded section
		case shown[m] && (!it.l.calShown || !t.split.blank):
			// (A calendar's section after a text that ends in a
			// blank line needs no other.)
			str(strings.TrimRight(q, " "))
		}
		if it.l.calShown {
			if err := eachLine(bytes.NewReader(it.l.cal), q, &t.split); err != nil {
				return err
			}
			shown[m] = true
			last = m
			continue
		}
		if err := eachLine(it.l.text, q, &t.split); err != nil {
			return err
		}
		shown[m] = shown[m] || it.l.stats.visible
		last = m
	}
	return nil
}

// comparePaths orders part paths ("1.2.10") as they stand in the
// message: number by number, a part before the parts inside it.
func comparePaths(a, b string) int {
	for a != "" && b != "" {
		x, ra, _ := strings.Cut(a, ".")
		y, rb, _ := strings.Cut(b, ".")
		if c := cmp.Compare(len(x), len(y)); c != 0 {
			return c // no leading zeros: the longer number is the larger
		}
		if c := strings.Compare(x, y); c != 0 {
			return c
		}
		a, b = ra, rb
	}
	return cmp.Compare(len(a), len(b))
}

// messageText passes the lines of a message's body text, and of the
// parts that continue it, each after an empty line, prefixed; then the
// events of its calendar files, likewise.
func (s *sanitizer) messageText(m *msgNode, prefix string, t *bodyText, str func(string)) error {
	shown := false // some text with something visible was passed
	for _, l := range m.slot.texts() {
		if shown {
			str(strings.TrimRight(prefix, " "))
		}
		if err := eachLine(l.text, prefix, &t.split); err != nil {
			return err
		}
		shown = shown || l.stats.visible
	}
	for _, l := range s.leaves {
		if !l.calShown || l.msg != m {
			continue
		}
		if shown && !t.split.blank {
			str(strings.TrimRight(prefix, " "))
		}
		if err := eachLine(bytes.NewReader(l.cal), prefix, &t.split); err != nil {
			return err
		}
		shown = true
	}
	return nil
}

// eachLine passes each line of a text (a text leaf's, or a calendar's
// events), prefixed, without its LF, to ls's sink.
func eachLine(text io.WriterTo, prefix string, ls *lineSplitter) error {
	ls.prefix, ls.emptyQuote, ls.part, ls.err = prefix, strings.TrimRight(prefix, " "), ls.part[:0], nil
	if _, err := text.WriteTo(ls); err != nil && ls.err == nil {
		return fmt.Errorf("sanitize: read body text: %w", err)
	}
	if ls.err == nil && len(ls.part) > 0 {
		ls.line(ls.part)
	}
	return ls.err
}

// lineSink takes lines of text without their line ends. The line passed
// is only valid during the call.
type lineSink interface{ bodyLine([]byte) error }

// lineFunc is a function as a lineSink.
type lineFunc func([]byte) error

func (f lineFunc) bodyLine(b []byte) error { return f(b) }

// lineSplitter cuts what is written to it into lines at LF and passes
// each, prefixed, to its sink; a line split between writes is carried over.
type lineSplitter struct {
	prefix, emptyQuote string
	to                 lineSink
	part               []byte // the start of a line cut by the end of a write
	buf                []byte // a prefixed line
	err                error
	blank              bool // the last line passed was blank (before its prefix)
}

func (ls *lineSplitter) Write(p []byte) (int, error) {
	n := len(p)
	for ls.err == nil && len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			ls.part = append(ls.part, p...)
			break
		}
		b := p[:i]
		if len(ls.part) > 0 {
			ls.part = append(ls.part, b...)
			b = ls.part
		}
		ls.line(b)
		ls.part = ls.part[:0]
		p = p[i+1:]
	}
	return n, ls.err
}

func (ls *lineSplitter) line(b []byte) {
	ls.blank = len(bytes.TrimSpace(b)) == 0
	if ls.prefix != "" {
		if len(b) == 0 {
			ls.buf = append(ls.buf[:0], ls.emptyQuote...)
		} else {
			ls.buf = append(append(ls.buf[:0], ls.prefix...), b...)
		}
		b = ls.buf
	}
	ls.err = ls.to.bodyLine(b)
}

// keptName neutralises the links in a kept file's name, as the body's:
// a client shows the name beside the message, and a reply or forward
// lists it in a body. The extension the file was kept by stays: the name
// before it is rewritten (and parted from an extension that is a domain
// by a space), and a name that would still read as a link, or end
// otherwise, becomes "attachment" and the extension.
func (s *sanitizer) keptName(name string) string {
	mode := s.pol.Body.Links
	if mode == "keep" {
		return name
	}
	if _, n := rewriteLinks(name, mode); n == 0 {
		return name
	}
	// The extension as written: extension lowercases it, which can
	// change its length.
	ext, suffix := extension(name), ""
	if ext != "" {
		suffix = name[strings.LastIndexByte(name, '.'):]
	}
	base, _ := rewriteLinks(strings.TrimSuffix(name, suffix), mode)
	out := cleanFilename(base + suffix)
	if _, n := rewriteLinks(out, mode); n > 0 && base != "" {
		// The extension is a top-level domain (.zip, .mov) and makes
		// one of the name before it: a space ends it, and the names
		// of several such files stay apart ("見積書 .zip").
		out = cleanFilename(base + " " + suffix)
	}
	if _, n := rewriteLinks(out, mode); n > 0 || extension(out) != ext {
		return "attachment" + suffix
	}
	return out
}

// writeAttachment writes one kept attachment as a new base64 part with the
// sniffed type and a clean filename.
func (s *sanitizer) writeAttachment(w *bufio.Writer, l *leaf) error {
	typ := strings.ToLower(strings.TrimSpace(strings.SplitN(l.part.SniffedType, ";", 2)[0]))
	if l.sheetType != "" {
		typ = l.sheetType
	}
	if !validMediaType(typ) {
		typ = "application/octet-stream"
	}
	name := s.keptName(cleanFilename(l.part.Filename))
	if name == "" {
		name = "attachment"
		if exts, _ := mime.ExtensionsByType(typ); len(exts) > 0 {
			name += exts[0]
		} else {
			name += ".bin"
		}
	}
	ctv, cdv := attachmentParams(typ, name)
	if strings.HasPrefix(typ, "text/") {
		// The charset the file was read in to neutralise it (textfile),
		// so the client reads what was checked: 7-bit ISO-2022-JP is also
		// valid UTF-8, and would read differently as that. UTF-16 with
		// its byte order mark is "utf-16" (RFC 2781).
		cs := l.fileCharset
		switch cs {
		case "utf-16le", "utf-16be":
			cs = "utf-16"
		case "", "us-ascii":
			cs = textCharset(l.att.Reader())
		}
		if cs != "" && validMediaType("text/"+cs) {
			ctv = typ + "; charset=" + cs + strings.TrimPrefix(ctv, typ)
		}
	}
	writeField(w, "Content-Type", ctv)
	writeField(w, "Content-Disposition", cdv)
	writeField(w, "Content-Transfer-Encoding", "base64")
	w.WriteString("\r\n")
	enc := newBase64Lines(w)
	if _, err := l.att.WriteTo(enc); err != nil {
		return fmt.Errorf("sanitize: attachment %s: %w", l.part.Path, err)
	}
	_, err := enc.Close()
	return err
}

// textCharset names the charset of a text file when its bytes prove it:
// us-ascii for 7-bit text without ESC, utf-8 for valid UTF-8.
func textCharset(r io.Reader) string {
	br := bufio.NewReaderSize(r, 8<<10)
	ascii := true
	var carry []byte
	for {
		chunk, err := br.Peek(8 << 10)
		if len(chunk) == 0 {
			break
		}
		b := append(carry, chunk...)
		// Hold back an incomplete rune at the end of a chunk.
		end := len(b)
		if err == nil {
			for i := 1; i <= 3 && i <= len(b); i++ {
				if utf8.RuneStart(b[len(b)-i]) {
					if !utf8.FullRune(b[len(b)-i:]) {
						end = len(b) - i
					}
					break
				}
			}
		}
		for _, c := range b[:end] {
			if c >= 0x80 || c == 0x1b {
				ascii = false
				break
			}
		}
		if !utf8.Valid(b[:end]) {
			return ""
		}
		carry = append(carry[:0], b[end:]...)
		br.Discard(len(chunk))
		if err != nil {
			break
		}
	}
	if len(carry) > 0 {
		return ""
	}
	if ascii {
		return "us-ascii"
	}
	return "utf-8"
}

// attachmentParams returns the Content-Type and Content-Disposition values
// for a file: a plain quoted filename when it is short ASCII, otherwise
// RFC 2231 (with continuations) in Content-Disposition and an RFC 2047
// name in Content-Type for older clients.
func attachmentParams(typ, name string) (ct, cd string) {
	if isASCII(name) && len(name) <= 60 && !strings.ContainsAny(name, `"\`) && !strings.Contains(name, "=?") {
		return typ + `; name="` + name + `"`, `attachment; filename="` + name + `"`
	}
	ct = typ + `; name="` + string(appendBWords(nil, name)) + `"`
	var enc strings.Builder
	for i := 0; i < len(name); i++ {
		c := name[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$&+-.^_`|~", c) >= 0 {
			enc.WriteByte(c)
		} else {
			fmt.Fprintf(&enc, "%%%02X", c)
		}
	}
	e := enc.String()
	var chunks []string
	for len(e) > 0 {
		n := min(len(e), 60)
		// Never split a %XX escape.
		if i := strings.LastIndexByte(e[:n], '%'); i >= 0 && i > n-3 && n < len(e) {
			n = i
		}
		chunks = append(chunks, e[:n])
		e = e[n:]
	}
	if len(chunks) == 1 {
		return ct, "attachment; filename*=utf-8''" + chunks[0]
	}
	var b strings.Builder
	b.WriteString("attachment")
	for i, c := range chunks {
		fmt.Fprintf(&b, "; filename*%d*=", i)
		if i == 0 {
			b.WriteString("utf-8''")
		}
		b.WriteString(c)
	}
	return ct, b.String()
}

// base64Lines writes base64 in lines of 76 characters, each ending in CRLF
// but the last partial one (its caller decides what follows it). Whole
// lines are encoded from 57-byte groups straight into one buffer.
type base64Lines struct {
	w    io.Writer
	pend [57]byte
	n    int    // bytes pending in pend
	out  []byte // encoded lines not yet written
	err  error
}

func newBase64Lines(w io.Writer) *base64Lines { return &base64Lines{w: w} }

func (b *base64Lines) Write(p []byte) (int, error) {
	n := len(p)
	if b.n > 0 {
		k := copy(b.pend[b.n:], p)
		b.n += k
		p = p[k:]
		if b.n < len(b.pend) {
			return n, b.err
		}
		b.line(b.pend[:])
		b.n = 0
	}
	for len(p) >= 57 {
		b.line(p[:57])
		p = p[57:]
		if len(b.out) >= 8<<10 {
			b.flush()
		}
	}
	b.n = copy(b.pend[:], p)
	return n, b.err
}

func (b *base64Lines) line(g []byte) {
	if cap(b.out) == 0 {
		b.out = make([]byte, 0, 8<<10+78)
	}
	k := len(b.out)
	b.out = append(b.out, make([]byte, 76)...)
	base64.StdEncoding.Encode(b.out[k:], g)
	b.out = append(b.out, '\r', '\n')
}

func (b *base64Lines) flush() {
	if len(b.out) > 0 && b.err == nil {
		_, b.err = b.w.Write(b.out)
	}
	b.out = b.out[:0]
}

// Close writes what is pending: the last line, without its CRLF, and
// reports whether there was one.
func (b *base64Lines) Close() (partial bool, err error) {
	if b.n > 0 {
		k := len(b.out)
		m := base64.StdEncoding.EncodedLen(b.n)
		b.out = append(b.out, make([]byte, m)...)
		base64.StdEncoding.Encode(b.out[k:], b.pend[:b.n])
		b.n = 0
		// 55 or 56 bytes pad out to a whole line of 76.
		if partial = m < 76; !partial {
			b.out = append(b.out, '\r', '\n')
		}
	}
	b.flush()
	return partial, b.err
}
