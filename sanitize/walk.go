package sanitize

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-message/textproto"

	"mugai/sanitize/spill"
)

// sanitizer holds the state of one Message call.
type sanitizer struct {
	opt Options
	pol *policy
	rep *Report

	src      *srcReader
	srcR     srcReader        // src, for the original
	sec      io.SectionReader // the original, read through srcR
	crlf     crlfReader       // the original's line ends made CRLF
	bom      [3]byte          // the first bytes of the original, for a byte order mark
	root     textproto.Header // the original's top-level header
	nparts   int
	stopped  bool // part limit hit: nothing more is read
	leaves   []*leaf
	msgs     []*msgNode
	ambig    bool // some part was ambiguous
	memHeld  int64
	ncal     int   // calendar files summarised (summariseCalendar)
	writeErr error // first failure of our own temporary files
	sc       *scratch
	// subjectRaw is the Subject field whose decoded text the report
	// shows (rep.Subject); the rebuilt header reuses that decoding.
	subjectRaw      string
	subjectReread   bool         // its decoded text read like encoded words
	subjectOut      string       // the decoded text with its links neutralised, for the rebuilt header
	subjectLinks    bool         // subjectOut differs from the decoded text
	bodyLinks       bool         // some body text had links neutralised
	headerLinks     bool         // a header field other than the Subject had links neutralised (build)
	subjectFindings []encFinding // what its decoding met
	// fromRaw is the From field the report shows; the rebuilt header
	// reports what its decoding met from fromFindings.
	fromRaw      string
	fromFindings []encFinding
	size         int64 // of the original
	// findings beyond maxFindings, counted
	droppedFindings int
	nblocks         int  // files cut out of texts, listed (up to maxBlocks)
	moreBlocks      int  // files cut out of the body text beyond those listed
	isoReplaced     bool // ISO-2022-JP output: characters without a code were replaced by 〓
	// addrDropped are the header fields an address was left out of
	// (dropAddress), in the order met, for the notice.
	addrDropped []string
	// fromWritten says how requiredFields wrote the From of an original
	// without a usable one, for the notice: "envelope" or "unknown".
	fromWritten string

	// rootMsg and msgsBuf hold the original's msgNode and the first
	// entries of msgs: a message without forwarded ones needs no more.
	rootMsg msgNode
	msgsBuf [2]*msgNode
}

// msgNode is the original or one message/rfc822 inside it.
type msgNode struct {
	level int // 0 for the original; quoting depth for forwarded ones
	path  string
	// Summary of a forwarded message's header, shown above its quoted text.
	from, date, subject string
	slot                *bodySlot
	returned            bool // the message a bounce or a read receipt returns (in a multipart/report)
}

// bodySlot is where a message's body text comes from: one text part, or
// the candidates of a multipart/alternative; then the text parts that
// continue it.
type bodySlot struct {
	alt    bool
	path   string // alt: the multipart whose parts are the alternatives
	cands  []*leaf
	chosen *leaf
	// shown are the texts of the chosen alternative in document order,
	// when it has more than one: an alternative that is a
	// multipart/mixed (Apple Mail's HTML with a photo in the middle:
	// HTML, image, HTML) shows every text of it, not only the first.
	shown []*leaf
	// more are the texts after the body in a multipart/mixed, each an
	// inline text part or a multipart/alternative of its own: Apple Mail
	// puts the text after an inline photo in a part of its own, and a
	// mailing list appends its footer as one. Mail clients show them in
	// order, as the body goes on; each is chosen like the body, rendered,
	// and follows the body text in the same order.
	more []*bodySlot
	one  [1]*leaf // texts' result without an allocation
	// early is the slot's first candidate, plain text rendered as soon as
	// it was read and found to have visible text: with plain preferred the
	// body is plain text, it or a later plain alternative (chooseBody),
	// unless it turns ambiguous, and then so does every part after it. An
	// HTML alternative after it is hashed but not kept.
	early *leaf
}

// texts are the slot's text parts in the order the body shows them: the
// chosen one, then those that continue it. A nil slot has none.
func (b *bodySlot) texts() []*leaf {
	if b == nil || b.chosen == nil && len(b.more) == 0 {
		return nil
	}
	if len(b.more) == 0 && len(b.shown) == 0 {
		b.one[0] = b.chosen
		return b.one[:]
	}
	out := b.chosenTexts(nil)
	for _, m := range b.more {
		out = m.chosenTexts(out)
	}
	return out
}

// chosenTexts appends the texts of the slot's chosen alternative.
func (b *bodySlot) chosenTexts(out []*leaf) []*leaf {
	if len(b.shown) > 0 {
		return append(out, b.shown...)
	}
	if b.chosen != nil {
		out = append(out, b.chosen)
	}
	return out
}

type leafKind int

const (
	leafText   leafKind = iota // a body text candidate
	leafAttach                 // an attachment (every other leaf)
	leafBlock                  // a file cut out of body text
)

// leaf is one report entry and what it holds for the rebuild.
type leaf struct {
	part            Part
	kind            leafKind
	msg             *msgNode
	html            bool
	raw             *spill.Buffer // leafText: transfer-decoded bytes, until rendered
	label           string        // leafText: declared charset
	flowed, delsp   bool          // leafText: format=flowed (RFC 3676), and its delsp=yes
	rendered        bool          // leafText: renderText ran (text, stats and pend* are set)
	committed       bool          // leafText: pend* went into the report
	pendFindings    []Finding     // leafText: render's findings, reported once the body choice renders it
	pendBlocks      []*leaf       // leafText: files cut out of it, likewise
	moreBlocks      int           // leafText: files cut out of it beyond maxBlocks, counted, not listed
	ascii           bool          // leafText: the decoded bytes are 7-bit without ESC or SO
	esc             bool          // leafText: the decoded bytes have an ESC (ISO-2022)
	text            *spill.Buffer // leafText: sanitised UTF-8 text, LF line ends (once rendered)
	stats           textStats
	att             *spill.Buffer // leafAttach kept so far: decoded content
	parent          *leaf         // leafBlock: the text it was cut from
	ambig           []string      // ambiguity kinds
	action          string        // a specific action when removed, e.g. tnef-removed
	reject          string        // reason when the decision is reject
	alt             bool          // an alternative not chosen (not listed in the notice)
	member          int           // leafText in an alternative: which one (walkCtx.member)
	group           string        // leafText in an alternative: walkCtx.group
	charsetRepaired bool
	textLinks       int    // leafAttach kept: URLs neutralised in the file
	textFormulas    int    // leafAttach kept: spreadsheet formulas made text
	fileLinks       int    // leafAttach kept: links left clickable in it (a PDF's)
	fileCharset     string // leafAttach kept: the charset a text file was read in
	sheetType       string // leafAttach kept: text/csv or text/tab-separated-values for spreadsheet data
	// leafAttach removed as an encrypted archive: the names of its
	// encrypted entries (the first few) and how many more, for the notice.
	encEntries []string
	encMore    int
	// A calendar file removed (summariseCalendar): its events as body
	// text, what the sink found of it, the findings its reading made,
	// reported once finish writes it (calShown) or finds it shown already.
	cal         []byte
	calStats    textStats
	calFindings []Finding
	calShown    bool
}

func newSanitizer(opt Options, rep *Report) *sanitizer {
	pol := (*policy)(nil)
	if opt.Prepared != nil {
		pol = opt.Prepared.pol
	} else {
		pol = normalise(opt.Policy)
	}
	// The sanitizer lives in the scratch too; close clears it.
	sc := getScratch()
	s := &sc.san
	*s = sanitizer{opt: opt, pol: pol, rep: rep, sc: sc}
	return s
}

func (s *sanitizer) close() {
	defer func() {
		sc := s.sc
		*s = sanitizer{} // nothing of this message stays reachable from the pool
		sc.release()
	}()
	for _, l := range s.leaves {
		for _, b := range []*spill.Buffer{l.raw, l.text} {
			if b != nil {
				b.Close()
			}
		}
		if l.att != nil {
			l.att.Close()
		}
	}
}

// srcReader remembers the first read error of the original that is not
// EOF: that is an I/O failure, everything else is the content's fault.
type srcReader struct {
	r   io.Reader
	err error
}

func (s *srcReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil && err != io.EOF && s.err == nil {
		s.err = err
	}
	return n, err
}

func (s *sanitizer) walk(r io.ReaderAt, size int64) error {
	s.size = size
	// A UTF-8 byte order mark before the first field (an editor saved the
	// .eml so) would make the whole header unparseable, and the message
	// lose its From, Subject and body: it is skipped, and said.
	var start int64
	if size >= 3 {
		if n, _ := r.ReadAt(s.bom[:], 0); n == 3 && s.bom == [3]byte{0xEF, 0xBB, 0xBF} {
			start = 3
			s.finding("", "leading-bom", "a UTF-8 byte order mark before the header was skipped")
		}
	}
	s.sec = *io.NewSectionReader(r, start, size-start)
	s.srcR = srcReader{r: &s.sec}
	s.src = &s.srcR
	s.crlf = crlfReader{r: s.src}
	m := &s.rootMsg
	s.msgs = append(s.msgsBuf[:0], m)
	s.entity(&s.crlf, "", 0, m, walkCtx{root: true, defType: "text/plain"})
	if s.src.err != nil {
		return fmt.Errorf("sanitize: read original: %w", s.src.err)
	}
	if s.writeErr != nil {
		return fmt.Errorf("sanitize: %w", s.writeErr)
	}
	for _, l := range s.leaves {
		for _, b := range []*spill.Buffer{l.text, l.att} {
			if b != nil && b.Err() != nil {
				return fmt.Errorf("sanitize: %w", b.Err())
			}
		}
	}
	return nil
}

type walkCtx struct {
	root       bool      // the top of a message (its own header)
	defType    string    // default Content-Type
	alt        *bodySlot // inside a multipart/alternative that is, or continues, the message's body
	boundaries []string  // of the enclosing multiparts
	forced     []string  // ambiguity kinds every part below inherits
	mixed      bool      // directly inside a multipart shown part after part (mixed, or an unknown subtype)
	report     bool      // directly inside a multipart/report (a bounce or a read receipt)
	member     int       // inside alt: which of its alternatives (the index of the part that is or holds it)
	// group, inside alt: the outermost multipart/alternative nested in
	// the member around the part, whose texts are alternatives of one
	// another; alt's own path when there is none, and the part is shown
	// with every other text of the member (choose).
	group string
}

func join(path string, i int) string {
	if path == "" {
		return strconv.Itoa(i)
	}
	return path + "." + strconv.Itoa(i)
}

// structural lists the finding kinds that make parts ambiguous or hit a
// limit: never dropped from the report, however many others there are.
var structural = map[string]bool{
	"too-many-parts": true, "mime-depth-exceeded": true, "header-too-large": true, "header-unparseable": true,
	"duplicate-content-type": true, "duplicate-content-transfer-encoding": true, "duplicate-content-disposition": true,
	"duplicate-boundary": true, "conflicting-boundary": true, "missing-boundary": true, "invalid-boundary": true,
	"boundary-not-found": true, "missing-final-boundary": true, "content-type-unparseable": true,
	"unknown-transfer-encoding": true, "invalid-base64": true, "encoded-multipart": true, "filename-conflict": true,
}

// maxFindings bounds the report (it goes to the audit log whole).
const maxFindings = 200

func (s *sanitizer) finding(path, kind, detail string) {
	if kind == "bidi-control" {
		s.addAction("bidi-removed") // what the reader sees differs from what the sender's screen showed
	}
	if len(s.rep.Findings) >= maxFindings && !structural[kind] {
		s.droppedFindings++
		return
	}
	s.rep.Findings = append(s.rep.Findings, Finding{Path: path, Kind: kind, Detail: detail})
}

// entity handles one MIME entity: its raw bytes (header and body) are r.
// path is its IMAP part number ("" for a multipart original).
func (s *sanitizer) entity(r io.Reader, path string, depth int, msg *msgNode, ctx walkCtx) {
	if s.stopped {
		return
	}
	s.nparts++
	if s.nparts > s.pol.MIME.MaxParts {
		s.stopped = true
		s.ambig = true
		s.finding(path, "too-many-parts", "more than "+strconv.Itoa(s.pol.MIME.MaxParts)+" MIME parts; the rest was not read")
		return
	}
	br := s.sc.reader(r)
	defer s.sc.putReader(br)
	if depth == 0 || ctx.root {
		// An mbox "From " line before the header, of the original or of
		// a message/rfc822 part saved from a mailbox (Thunderbird skips
		// it there too).
		if p, _ := br.Peek(5); string(p) == "From " {
			for {
				if _, err := br.ReadSlice('\n'); err != bufio.ErrBufferFull {
					break
				}
			}
		}
	}
	leafPath := path
	if ctx.root {
		// The body of a single-part message is part 1 (IMAP).
		leafPath = join(path, 1)
	}
	raw, tooBig := readHeaderBlock(s.sc.hdr[:0], br, int(s.pol.MIME.MaxHeaderBytes))
	if tooBig {
		l := s.opaque(leafPath, msg, "", "header-too-large")
		s.finding(leafPath, "header-too-large", "part header over "+strconv.FormatInt(int64(s.pol.MIME.MaxHeaderBytes), 10)+" bytes")
		l.part.Size = drain(br)
		return
	}
	h, err := s.sc.parseHeader(raw)
	if ctx.root {
		if depth == 0 {
			s.root = h
		} else {
			// The quoted summary shows these three: say what their
			// decoding met, as for the original's header.
			for _, f := range []struct {
				key string
				to  *string
			}{{"From", &msg.from}, {"Date", &msg.date}, {"Subject", &msg.subject}} {
				var fs []encFinding
				*f.to, _, fs = headerTextFindings(h, f.key)
				s.decodeFindings(path, f.key, fs)
			}
		}
	}
	if err != nil {
		l := s.opaque(leafPath, msg, "", "header-unparseable")
		s.finding(leafPath, "header-unparseable", truncate(strings.TrimRight(err.Error(), "\r\n"), 120))
		l.part.Size = drain(br)
		return
	}
	ph := analyse(h, ctx.defType)
	for _, f := range ph.findings {
		s.finding(leafPath, f.Kind, f.Detail)
	}

	switch {
	case ph.multipart != "" && len(ph.ambiguous) > 0:
		// Read it as the multipart it may be, to report what it hides;
		// every part under it stays ambiguous.
		for _, k := range ph.ambiguous {
			s.finding(leafPath, k, ph.detail(k))
		}
		ctx.forced = append(ctx.forced[:len(ctx.forced):len(ctx.forced)], ph.ambiguous...)
		mp := *ph
		mp.mediaType, mp.boundary = ph.multipart, ph.multipartBoundary
		s.multipart(br, path, depth, msg, &mp, ctx)
	case strings.HasPrefix(ph.mediaType, "multipart/") && len(ph.ambiguous) == 0:
		s.multipart(br, path, depth, msg, ph, ctx)
	case (ph.mediaType == "message/rfc822" || ph.mediaType == "message/global") && len(ph.ambiguous) == 0:
		s.embedded(br, leafPath, depth, msg, ph, ctx.report)
	default:
		s.leafPart(br, leafPath, msg, ph, ctx)
	}
}

// drain reads r to its end and returns how many bytes it had.
func drain(r io.Reader) int64 {
	n, _ := io.Copy(io.Discard, r)
	return n
}

// opaque records a part that is not looked into (ambiguous structure).
func (s *sanitizer) opaque(path string, msg *msgNode, declared, kind string) *leaf {
	if path == "" {
		path = "1" // the original's whole body
	}
	l := &leaf{kind: leafAttach, msg: msg, part: Part{Path: path, DeclaredType: declared, Decision: DecisionStrip}, ambig: []string{kind}}
	s.leaves = append(s.leaves, l)
	s.ambig = true
	return l
}

func (s *sanitizer) multipart(body io.Reader, path string, depth int, msg *msgNode, ph *partHeader, ctx walkCtx) {
	fail := func(kind, detail string) {
		l := s.opaque(path, msg, ph.declared, kind)
		s.finding(path, kind, detail)
		l.part.Size = drain(body)
	}
	if depth+1 > s.pol.MIME.MaxDepth {
		fail("mime-depth-exceeded", "MIME nesting deeper than "+strconv.Itoa(s.pol.MIME.MaxDepth))
		return
	}
	b := ph.boundary
	if b == "" {
		fail("missing-boundary", "multipart without a boundary parameter")
		return
	}
	if len(b) > 200 {
		fail("invalid-boundary", "boundary longer than 200 characters")
		return
	}
	for _, pb := range ctx.boundaries {
		if pb == b {
			fail("conflicting-boundary", "boundary equal to an enclosing multipart's")
			return
		}
	}
	switch ph.cte {
	case "", "7bit", "8bit", "binary":
	case "quoted-printable":
		// Seen in the wild (go-message #48); the structure is still ASCII.
		s.finding(path, "encoded-multipart", "multipart with Content-Transfer-Encoding quoted-printable (ignored)")
	default:
		fail("encoded-multipart", "multipart with Content-Transfer-Encoding "+ph.cte)
		return
	}
	sub := strings.TrimPrefix(ph.mediaType, "multipart/")
	child := walkCtx{defType: "text/plain", alt: ctx.alt, member: ctx.member, group: ctx.group, forced: ctx.forced, boundaries: append(ctx.boundaries[:len(ctx.boundaries):len(ctx.boundaries)], b)}
	switch sub {
	case "digest":
		child.defType = "message/rfc822"
	case "alternative", "related":
	default:
		// RFC 2046 5.1.3: an unknown subtype is read as mixed.
		child.mixed = true
		child.report = sub == "report"
	}
	// After the body in a multipart/mixed, a multipart/related is shown
	// too, as its root text: it continues the body as an alternative does
	// (its texts are its candidates, its images attachments).
	relatedAfter := sub == "related" && ctx.mixed && msg.slot != nil
	if (sub == "alternative" || relatedAfter) && ctx.alt == nil {
		switch {
		case msg.slot == nil:
			msg.slot = &bodySlot{alt: true, path: path}
			child.alt, child.group = msg.slot, path
		case ctx.mixed:
			// After the body: a text that continues it, in the form the
			// policy prefers.
			cont := &bodySlot{alt: true, path: path}
			msg.slot.more = append(msg.slot.more, cont)
			child.alt, child.group = cont, path
		}
	} else if sub == "alternative" && ctx.alt != nil && ctx.group == ctx.alt.path {
		child.group = path
	}
	window := s.sc.mpBuffer(s.bufSize(mpWindow))
	mr := newMultipartReader(window, body, b)
	lastStart := -1
	for i := 1; !s.stopped; i++ {
		pr, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if errors.Is(err, errNoFinalBoundary) {
			s.finding(path, "missing-final-boundary", "the multipart ends without its close delimiter")
			s.ambig = true
			if lastStart >= 0 {
				for _, l := range s.leaves[lastStart:] {
					l.ambig = append(l.ambig, "missing-final-boundary")
				}
			}
			break
		}
		if errors.Is(err, errNoFirstBoundary) {
			s.finding(path, "boundary-not-found", "no delimiter line for the declared boundary")
			l := s.opaque(path, msg, ph.declared, "boundary-not-found")
			_ = l
			break
		}
		if err != nil {
			break
		}
		lastStart = len(s.leaves)
		if child.alt != ctx.alt {
			child.member = i // each part of a new alternative is one of them
		}
		s.entity(pr, join(path, i), depth+1, msg, child)
	}
	drain(body) // the epilogue
	s.sc.putMPBuffer(window)
}

// embedded descends into a message/rfc822 (or message/global) part: its
// text becomes a quoted section, its attachments follow the policy.
func (s *sanitizer) embedded(body io.Reader, path string, depth int, parent *msgNode, ph *partHeader, returned bool) {
	if depth+1 > s.pol.MIME.MaxDepth {
		l := s.opaque(path, parent, ph.declared, "mime-depth-exceeded")
		s.finding(path, "mime-depth-exceeded", "MIME nesting deeper than "+strconv.Itoa(s.pol.MIME.MaxDepth))
		l.part.Size = drain(body)
		return
	}
	dec, check := s.transferDecoder(ph.cte, body)
	m := &msgNode{level: parent.level + 1, path: path, returned: returned}
	s.msgs = append(s.msgs, m)
	start := len(s.leaves)
	s.entity(newCRLFReader(dec), path, depth+1, m, walkCtx{root: true, defType: "text/plain"})
	drain(dec)
	if kinds := check(); len(kinds) > 0 {
		s.ambig = true
		for _, k := range kinds {
			s.finding(path, k, "in the transfer encoding of a forwarded message")
		}
		for _, l := range s.leaves[start:] {
			l.ambig = append(l.ambig, kinds...)
		}
		if len(s.leaves) == start {
			s.opaque(path, parent, ph.declared, kinds[0])
		}
	}
}

// transferDecoder returns the decoded body and a function that, after the
// body was read, lists the ambiguities the decoding met.
func (s *sanitizer) transferDecoder(cte string, r io.Reader) (io.Reader, func() []string) {
	switch cte {
	case "", "7bit", "8bit", "binary":
		return r, func() []string { return nil }
	case "base64":
		d := newB64Reader(r)
		return d, func() []string {
			if d.invalid > 0 {
				return []string{"invalid-base64"}
			}
			return nil
		}
	case "quoted-printable":
		d := newQPReader(r)
		return d, func() []string { return nil }
	}
	return r, func() []string { return []string{"unknown-transfer-encoding"} }
}

// leafPart handles a part that is not multipart and not a message.
func (s *sanitizer) leafPart(body io.Reader, path string, msg *msgNode, ph *partHeader, ctx walkCtx) {
	l := &leaf{
		msg:   msg,
		part:  Part{Path: path, DeclaredType: ph.declared, Filename: ph.filename},
		ambig: append(append([]string(nil), ph.ambiguous...), ctx.forced...),
	}
	if l.part.DeclaredType == "" {
		l.part.DeclaredType = ph.mediaType
	}
	s.leaves = append(s.leaves, l)
	for _, k := range ph.ambiguous {
		s.finding(path, k, ph.detail(k))
	}
	isText := ph.mediaType == "text/plain" || ph.mediaType == "text/html"
	inline := isText && len(l.ambig) == 0 && ph.disposition != "attachment" && ph.filename == ""
	candidate := inline && (ctx.alt != nil || msg.slot == nil)
	if inline && !candidate && ctx.mixed && ctx.alt == nil {
		l.kind = leafText
		l.html = ph.mediaType == "text/html"
		if file := s.textPart(l, ph, body, true); file != nil {
			s.fileAsText(l, ph, file)
		} else {
			msg.slot.more = append(msg.slot.more, &bodySlot{cands: []*leaf{l}})
		}
	} else if candidate {
		l.kind = leafText
		l.html = ph.mediaType == "text/html"
		l.member, l.group = ctx.member, ctx.group
		slot := ctx.alt
		// An HTML alternative after plain text that will be the body is
		// only hashed and counted: it is never rendered. (Not one inside
		// a multipart alternative, which may show it beside a plain
		// text: see choose.)
		keep := !(l.html && slot != nil && slot.early != nil && len(slot.early.ambig) == 0 && s.pol.Body.Prefer == "plain" && path == join(slot.path, l.member))
		if file := s.textPart(l, ph, body, keep); file != nil {
			s.fileAsText(l, ph, file)
		} else if slot != nil {
			slot.cands = append(slot.cands, l)
		} else {
			msg.slot = &bodySlot{cands: []*leaf{l}}
		}
		if l.kind == leafText && slot != nil && len(slot.cands) == 1 && !l.html && len(l.ambig) == 0 && s.pol.Body.Prefer == "plain" {
			s.renderText(l)
			// A short text may be a placeholder for the HTML
			// (fullerHTML), which is then kept to compare.
			if l.stats.visible && l.stats.bytes > placeholderMax {
				slot.early = l
			}
		}
	} else {
		l.kind = leafAttach
		s.attachment(l, ph, body)
	}
	if len(l.ambig) > 0 {
		s.ambig = true
	}
}

// bufSize is a buffer size of at most n, smaller for a small message: a
// 2 KiB message need not clear 100 KiB of buffers.
func (s *sanitizer) bufSize(n int) int {
	if s.size+64 < int64(n) {
		return max(int(s.size)+64, 512)
	}
	return n
}

// copy is io.Copy with one buffer for the whole message, allocated only
// when neither side can copy by itself (bufio.Reader has WriteTo).
func (s *sanitizer) copy(dst io.Writer, src io.Reader) (int64, error) {
	if wt, ok := src.(io.WriterTo); ok {
		return wt.WriteTo(dst)
	}
	return io.CopyBuffer(onlyWriter{dst}, src, s.sc.buffer())
}

// onlyWriter hides a ReaderFrom so that io.CopyBuffer uses the buffer.
type onlyWriter struct{ io.Writer }

// hashCounter hashes and counts what passes through, and passes it on
// to next when set.
type hashCounter struct {
	sc   *scratch // where the hash state goes back
	next io.Writer
	h    hash.Hash
	n    int64
	high bool // saw a byte >= 0x80, an ESC or SO (not plain ASCII)
	esc  bool // saw an ESC (ISO-2022 text is 7-bit and valid UTF-8)
}

func (c *hashCounter) Write(p []byte) (int, error) {
	if c.next != nil {
		if n, err := c.next.Write(p); err != nil {
			return n, err
		}
	}
	c.h.Write(p)
	c.n += int64(len(p))
	if !c.high {
		// SO shifts ISO-2022-JP text to half-width katakana (CP50221/
		// CP50222) without an ESC: such text is not its own UTF-8 either.
		c.high = !plain7bit(p) || bytes.IndexByte(p, 0x0e) >= 0
	}
	if c.high && !c.esc && bytes.IndexByte(p, 0x1b) >= 0 {
		c.esc = true
	}
	return len(p), nil
}

// utf8Check validates UTF-8 written in pieces.
type utf8Check struct {
	invalid bool
	carry   []byte // an incomplete UTF-8 sequence at the end of the last write
}

func (c *utf8Check) Write(p []byte) (int, error) {
	n := len(p)
	if c.invalid {
		return n, nil
	}
	for len(c.carry) > 0 && len(p) > 0 {
		c.carry = append(c.carry, p[0])
		p = p[1:]
		if utf8.FullRune(c.carry) {
			if r, _ := utf8.DecodeRune(c.carry); r == utf8.RuneError {
				c.invalid = true
				return n, nil
			}
			c.carry = c.carry[:0]
		}
	}
	end := len(p)
	for i := 1; i <= 3 && i <= len(p); i++ {
		if utf8.RuneStart(p[len(p)-i]) {
			if !utf8.FullRune(p[len(p)-i:]) {
				end = len(p) - i
			}
			break
		}
	}
	if !utf8.Valid(p[:end]) {
		c.invalid = true
		return n, nil
	}
	c.carry = append(c.carry, p[end:]...)
	return n, nil
}

// valid reports whether everything written was valid UTF-8.
func (c *utf8Check) valid() bool { return !c.invalid && len(c.carry) == 0 }

// plain7bit reports bytes below 0x80 without ESC, eight at a time.
func plain7bit(p []byte) bool {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	for len(p) >= 8 {
		x := binary.LittleEndian.Uint64(p)
		y := x ^ 0x1b1b1b1b1b1b1b1b // an ESC becomes a zero byte
		if x&hi != 0 || (y-lo)&^y&hi != 0 {
			return false
		}
		p = p[8:]
	}
	for _, b := range p {
		if b >= 0x80 || b == 0x1b {
			return false
		}
	}
	return true
}

// newSpill returns a buffer whose memory share shrinks once the message
// already holds a few MiB in memory.
func (s *sanitizer) newSpill() *spill.Buffer {
	th := int64(1 << 20)
	if s.memHeld > 4<<20 {
		th = 64 << 10
	}
	return spill.New(th, s.opt.TempDir)
}

// hold accounts for a buffer kept until the rebuild. A spilled one is
// written in full: its pending small writes go to its file now, so that
// it holds no memory until it is read.
func (s *sanitizer) hold(b *spill.Buffer) {
	if !b.Spilled() {
		s.memHeld += b.Size()
	} else if err := b.Flush(); err != nil {
		s.ioErr(err)
	}
}

// textPart decodes a body text candidate into sanitised UTF-8 text.
func (s *sanitizer) textPart(l *leaf, ph *partHeader, body io.Reader, keep bool) (file *spill.Buffer) {
	dec, check := s.transferDecoder(ph.cte, body)
	hc := s.sc.hashCounter()
	if keep {
		l.raw = s.newSpill()
		l.raw.Grow(int(min(s.size, 16<<10)))
		hc.next = l.raw
		if _, err := s.copy(hc, dec); err != nil && l.raw.Err() != nil {
			s.ioErr(l.raw.Err())
		}
	} else {
		s.copy(hc, dec)
	}
	drain(dec)
	if keep && l.raw.Size() > 0 {
		// A file sent as a text part (an encrypted ZIP or a program
		// labelled text/plain) is an attachment, with its checks and
		// the policy's decision, not text to print.
		head := s.sc.head[:]
		n, _ := l.raw.ReaderAt().ReadAt(head, 0)
		if _, class := sniffFile(head[:n]); class != "" {
			file, l.raw = l.raw, nil
		}
	}
	if l.raw != nil {
		s.hold(l.raw)
	}
	l.label = strings.TrimSpace(ph.params["charset"])
	if !l.html && strings.EqualFold(strings.TrimSpace(ph.params["format"]), "flowed") {
		l.flowed, l.delsp = true, strings.EqualFold(strings.TrimSpace(ph.params["delsp"]), "yes")
	}
	l.ascii = !hc.high
	l.esc = hc.esc
	l.part.Size = hc.n
	l.part.SHA256 = hc.sum()
	l.part.SniffedType = ph.mediaType
	l.part.Class = "text"
	if kinds := check(); len(kinds) > 0 {
		l.ambig = append(l.ambig, kinds...)
		for _, k := range kinds {
			s.finding(l.part.Path, k, "")
		}
	}
	return file
}

// fileAsText makes a text part whose content is a file (textPart found
// it, in buf) an attachment.
func (s *sanitizer) fileAsText(l *leaf, ph *partHeader, buf *spill.Buffer) {
	l.kind, l.html = leafAttach, false
	s.decideAttachment(l, ph, buf)
}

// render turns a body text candidate's decoded bytes into sanitised UTF-8
// text: charset decoding (with label repair), HTML conversion, line
// cleaning, encoded-file cutting and link neutralising. Only candidates
// that may be chosen are rendered, in order of preference.
func (s *sanitizer) render(l *leaf) {
	if !l.rendered {
		s.renderText(l)
	}
	if l.committed {
		return
	}
	l.committed = true
	for _, f := range l.pendFindings {
		s.finding(f.Path, f.Kind, f.Detail)
	}
	// Files cut out of the text are reported right after it.
	if len(l.pendBlocks) > 0 {
		for i, x := range s.leaves {
			if x == l {
				s.leaves = append(s.leaves[:i+1], append(l.pendBlocks, s.leaves[i+1:]...)...)
				break
			}
		}
	}
	l.pendFindings, l.pendBlocks = nil, nil
}

// renderText does render's work but for the report: what it finds waits
// in the leaf until render commits it, so that rendering a candidate
// early changes nothing in the report.
func (s *sanitizer) renderText(l *leaf) {
	l.rendered = true
	if l.raw == nil {
		// Only hashed (an alternative known not to be needed): no text.
		l.text = s.newSpill()
		return
	}
	label := l.label
	metaOver := false // the <meta> charset stands for the MIME label
	if l.html && (label == "" || !l.ascii && !l.esc && sevenBitLabel(label)) {
		// An HTML part's head, read for its <meta> charset: the label
		// when MIME gives none, and when MIME gives us-ascii or
		// ISO-2022-JP, which 8-bit text cannot be in (a Japanese
		// client's default label on a web page's EUC-JP or Shift_JIS):
		// the document's own word beats a guess from the bytes where
		// they read two ways (EUC-JP half-width katakana are Shift_JIS
		// kanji).
		br := bufio.NewReaderSize(l.raw.Reader(), 4096)
		head, _ := br.Peek(1024)
		switch m := htmlCharset(head); {
		case label == "":
			label = m
		case m != "" && !sevenBitLabel(m) && lineCharset(m):
			// A charset ASCII reads the same in, as the <meta> itself
			// was read: not UTF-16, which HTML takes there as UTF-8.
			label, metaOver = m, true
		}
	}
	// plain: the bytes are their own UTF-8 text, 7-bit ASCII under an
	// ASCII-compatible label, or valid UTF-8 declared UTF-8 (checked
	// here, not while reading, so that an alternative never rendered is
	// never validated).
	plain := l.ascii && asciiCompatible(label) || !l.esc && isUTF8Label(label) && validUTF8(l.raw)
	l.text = s.newSpill()
	l.text.Grow(int(l.raw.Size()) + 256)
	// The scratch's sink, its buffers kept: renders never overlap.
	sink := &s.sc.sink
	*sink = textSink{out: l.text, links: s.pol.Body.Links, clean: s.sc.clean[:0], out2: s.sc.out2[:0], line: sink.line[:0]}
	defer func() {
		s.sc.clean, s.sc.out2 = sink.clean[:0], sink.out2[:0]
		*sink = textSink{line: sink.line[:0]}
	}()
	var findings []encFinding
	switch {
	case l.html:
		// The converter reads the part up to three times, first for
		// its style sheets (htmltext.Convert): each pass decodes it
		// afresh, and the findings are the last pass's.
		var td interface {
			io.Reader
			Findings() []encFinding
		}
		open := func() io.Reader {
			src := l.raw.Reader()
			td = plainASCII{src}
			if !plain {
				td = newTextDecoder(label, src)
			}
			return td
		}
		st, err := convertHTML(sink, open, s.pol.MIME.MaxHTMLDepth)
		if err != nil {
			l.pendFindings = append(l.pendFindings, Finding{l.part.Path, "html-error", truncate(err.Error(), 120)})
		}
		if st.DepthExceeded {
			l.pendFindings = append(l.pendFindings, Finding{l.part.Path, "html-depth-exceeded", "HTML nested deeper than " + strconv.Itoa(s.pol.MIME.MaxHTMLDepth) + " (flattened)"})
		}
		if st.StyleLimit {
			l.pendFindings = append(l.pendFindings, Finding{l.part.Path, "html-style-limit", "style sheets past their limits; the rest not applied"})
		}
		if st.Hidden > 0 {
			// What a reader of the HTML would not have seen: an admin
			// asking why text is missing finds it here.
			detail := strconv.Itoa(st.Hidden) + " hidden elements dropped"
			if st.Hidden == 1 {
				detail = "1 hidden element dropped"
			}
			l.pendFindings = append(l.pendFindings, Finding{l.part.Path, "html-hidden", detail})
		}
		if st.Mismatched > 0 {
			l.pendFindings = append(l.pendFindings, Finding{l.part.Path, "link-mismatch", strconv.Itoa(st.Mismatched) + " links whose text is the address of another site than the one they lead to; marked " + mismatchMark})
		}
		if td != nil {
			findings = td.Findings()
		}
		if metaOver && !hasCharsetRepair(findings) {
			// The decoder took the <meta>'s charset as declared: the
			// MIME label it stood for was wrong all the same.
			cs := label
			if r, ok := td.(interface{ Charset() string }); ok && r.Charset() != "" {
				cs = r.Charset()
			}
			findings = append(findings, encFinding{Kind: "charset-mislabeled", Detail: "declared " + truncate(l.label, 40) + ", decoded as " + cs + " (the HTML's <meta>)"})
		}
	default:
		var w io.Writer = sink
		var fw *flowedWriter
		if l.flowed {
			fw = newFlowedWriter(sink, l.delsp)
			w = fw
		}
		if plain {
			// No decoder: straight from the buffer, known valid UTF-8
			// (which unflowing, taking off and putting in ASCII, keeps).
			sink.validUTF8 = true
			l.raw.WriteTo(w)
		} else {
			td := newTextDecoder(label, l.raw.Reader())
			s.copy(w, td)
			findings = td.Findings()
		}
		if fw != nil {
			fw.Close()
		}
	}
	sink.Close()
	l.raw.Close()
	if l.text.Err() != nil {
		s.ioErr(l.text.Err())
	}
	s.hold(l.text)
	l.stats = sink.st
	if sink.st.bidi > 0 {
		l.pendFindings = append(l.pendFindings, Finding{l.part.Path, "bidi-control", plural(sink.st.bidi, "bidirectional control") + " removed"})
	}
	for _, f := range findings {
		l.pendFindings = append(l.pendFindings, Finding{l.part.Path, f.Kind, f.Detail})
		switch f.Kind {
		case "charset-mislabeled", "charset-missing", "charset-unknown":
			l.charsetRepaired = true
		}
	}
	more := sink.moreBlocks
	for i, b := range sink.blocks {
		if s.nblocks >= maxBlocks {
			more++
			continue
		}
		s.nblocks++
		l.pendBlocks = append(l.pendBlocks, &leaf{kind: leafBlock, msg: l.msg, parent: l, part: Part{
			Path:         l.part.Path + "#" + b.kind + "-" + strconv.Itoa(i+1),
			DeclaredType: "text/x-" + b.kind,
			SniffedType:  b.sniffed,
			Class:        b.class,
			Filename:     b.name,
			Size:         b.size,
			SHA256:       b.sha,
		}, action: b.kind + "-removed"})
	}
	l.moreBlocks = more
	if more > 0 {
		l.pendFindings = append(l.pendFindings, Finding{l.part.Path, "blocks-truncated",
			itoa(more) + " more encoded files cut out of the text, counted, not listed"})
	}
}

// hasCharsetRepair reports a finding that the decoder corrected a label.
func hasCharsetRepair(fs []encFinding) bool {
	for _, f := range fs {
		switch f.Kind {
		case "charset-mislabeled", "charset-missing", "charset-unknown":
			return true
		}
	}
	return false
}

// validUTF8 reports whether b holds valid UTF-8.
func validUTF8(b *spill.Buffer) bool {
	var c utf8Check
	b.WriteTo(&c)
	return c.valid()
}

// plainASCII passes 7-bit text through: every ASCII-compatible charset
// decodes it to itself.
type plainASCII struct{ io.Reader }

func (plainASCII) Findings() []encFinding { return nil }

func isUTF8Label(label string) bool {
	switch strings.ToLower(strings.Trim(label, `" `)) {
	case "utf-8", "utf8":
		return true
	}
	return false
}

// asciiCompatible lists labels under which 7-bit text without ESC means
// the same characters (not UTF-7, UTF-16 or the like).
func asciiCompatible(label string) bool {
	switch strings.ToLower(strings.Trim(label, `" `)) {
	case "", "us-ascii", "ascii", "utf-8", "utf8", "iso-8859-1", "latin1", "windows-1252", "iso-2022-jp", "shift_jis", "euc-jp", "cp932", "windows-31j":
		return true
	}
	return false
}

// htmlCharset finds the charset an HTML document declares for itself: a
// byte order mark or a <meta> in its first 1024 bytes.
func htmlCharset(head []byte) string {
	return metaCharset(head)
}

// headerTextFindings decodes an unstructured header field for display,
// and reports whether the decoded text still read like encoded words (see
// rereadWords) and what decoding met (see headerFindings).
func headerTextFindings(h textproto.Header, key string) (string, bool, []encFinding) {
	v := h.Get(key)
	if v == "" {
		return "", false, nil
	}
	d, fs := decodeHeaderText(v)
	if n := countBidi(d); n > 0 {
		fs = append(fs, encFinding{Kind: "bidi-control", Detail: plural(n, "bidirectional control") + " removed"})
	}
	d = cleanString(d)
	return rereadWords(d), strings.Contains(d, "=?"), fs
}
