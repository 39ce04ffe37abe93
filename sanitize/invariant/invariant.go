package invariant

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	netmail "net/mail"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // decode ISO-2022-JP text
	"github.com/emersion/go-message/mail"

	"mugai/config"
	"mugai/sanitize/filetype"
	"mugai/sanitize/links"
)

// maxProblems bounds the report of one Check.
const maxProblems = 10

// Check reads a rebuilt message from r and returns an error describing
// every way (up to ten) it breaks the invariants under policy p. Fields
// of p left zero take the sanitiser's defaults.
func Check(r io.Reader, p config.Policy) error {
	c := &checker{pol: p}
	lc := &lineChecker{c: c}
	tee := io.TeeReader(r, lc)
	c.parse(tee)
	if _, err := io.Copy(io.Discard, tee); err != nil {
		c.fail("read: %v", err)
	}
	lc.finish()
	if len(c.problems) == 0 {
		return nil
	}
	return errors.New("invariant: " + strings.Join(c.problems, "; "))
}

type checker struct {
	pol      config.Policy
	problems []string
	more     int
}

func (c *checker) fail(format string, args ...any) {
	if len(c.problems) >= maxProblems {
		c.more++
		return
	}
	c.problems = append(c.problems, fmt.Sprintf(format, args...))
}

// lineChecker sees every byte: 7-bit, no NUL, CRLF only, lines ≤ 998
// octets (RFC 5322 2.1.1, 2.3).
type lineChecker struct {
	c      *checker
	line   int
	col    int
	prevCR bool
	bad    int
}

func (l *lineChecker) Write(p []byte) (int, error) {
	for _, b := range p {
		switch {
		case l.prevCR && b != '\n':
			l.report("bare CR")
		case b == '\n' && !l.prevCR:
			l.report("bare LF")
		case b == 0:
			l.report("NUL byte")
		case b >= 0x80:
			l.report("8-bit byte")
		}
		switch b {
		case '\r':
			l.prevCR = true
			continue
		case '\n':
			l.line++
			l.col = 0
		default:
			l.col++
			if l.col == 999 {
				l.report("line longer than 998 octets")
			}
		}
		l.prevCR = false
	}
	return len(p), nil
}

func (l *lineChecker) report(what string) {
	l.bad++
	if l.bad <= 3 {
		l.c.fail("line %d: %s", l.line+1, what)
	}
}

func (l *lineChecker) finish() {
	if l.prevCR || l.col > 0 {
		l.c.fail("last line not CRLF-terminated")
	}
}

// allowedTop reports whether a top-level field may appear.
func (c *checker) allowedTop(k string) bool {
	switch {
	case strings.HasPrefix(k, "X-Mugai-"), k == "Received", k == "Mime-Version", k == "Content-Type", k == "Content-Transfer-Encoding",
		k == "From", k == "Date", k == "Message-Id": // required, written when the original has none
		return true
	}
	hs := c.pol.Headers
	if len(hs) == 0 {
		hs = config.DefaultHeaders
	}
	for _, h := range hs {
		if strings.EqualFold(strings.TrimSpace(h), k) {
			return true
		}
	}
	return false
}

// required checks the fields RFC 5322 3.6 requires (From, Date) or asks
// for (Message-ID): exactly one of each, a From with an "@", a Date
// that net/mail parses and a Message-ID that is one identifier in angle
// brackets.
func (c *checker) required(h message.Header) {
	froms, dates, ids := h.Values("From"), h.Values("Date"), h.Values("Message-Id")
	if len(froms) != 1 {
		c.fail("%d From fields, want 1", len(froms))
	} else if !strings.Contains(froms[0], "@") {
		// Not held to parse: an odd domain the sanitiser kept
		// ("a@b..c") is the original's, and shownFields reads no
		// address in it either.
		c.fail("From %q holds no address", froms[0])
	}
	if len(dates) != 1 {
		c.fail("%d Date fields, want 1", len(dates))
	} else if _, err := netmail.ParseDate(dates[0]); err != nil {
		c.fail("Date %q: %v", dates[0], err)
	}
	if len(ids) != 1 {
		c.fail("%d Message-ID fields, want 1", len(ids))
	} else if id := strings.TrimSpace(ids[0]); len(id) < 3 || id[0] != '<' || id[len(id)-1] != '>' || strings.ContainsAny(id[1:len(id)-1], "<> \t") {
		// Not always <left@right>: an original's "<xxxx>" is carried as
		// it is, what replies to it refer to.
		c.fail("Message-ID %q is not one <id>", ids[0])
	}
}

func (c *checker) parse(r io.Reader) {
	e, err := message.Read(r)
	if err != nil {
		c.fail("go-message: %v", err)
		if e == nil {
			return
		}
	}
	sanitized := 0
	fields := e.Header.Fields()
	for fields.Next() {
		k := fields.Key()
		if !c.allowedTop(k) {
			c.fail("header field %s not allowed", k)
		}
		if k == "X-Mugai-Sanitized" {
			sanitized++
		}
		switch strings.ToLower(k) {
		case "message-id", "resent-message-id", "references", "in-reply-to", "received":
			// Identifiers and trace: no client decodes encoded words
			// there, and an id is kept as written ("<=?x?B?y?=@z>").
		default:
			c.encodedWords(k, fields.Value())
		}
	}
	if sanitized != 1 {
		c.fail("%d X-Mugai-Sanitized fields, want 1", sanitized)
	}
	c.required(e.Header)
	c.shownFields(e.Header)
	mt, _, err := e.Header.ContentType()
	if err != nil {
		c.fail("Content-Type: %v", err)
	}
	switch {
	case mt == "text/plain":
		c.text(e)
	case mt == "multipart/mixed":
		mr := e.MultipartReader()
		for i := 0; ; i++ {
			part, err := mr.NextPart()
			if err == io.EOF {
				if i == 0 {
					c.fail("multipart/mixed without parts")
				}
				break
			}
			if err != nil {
				c.fail("part %d: go-message: %v", i+1, err)
				break
			}
			c.partFields(part, i+1)
			if i == 0 {
				if t, _, _ := part.Header.ContentType(); t != "text/plain" {
					c.fail("first part is %s, want text/plain", t)
				}
				c.text(part)
				continue
			}
			c.attachment(part, i+1)
		}
	default:
		c.fail("top-level type %s, want text/plain or multipart/mixed", mt)
	}
}

// shownFields checks the header fields a mail client shows for links, as
// textLines checks the text: the Subject, and the display names and the
// local parts of the addresses (an address's domain is the address's).
func (c *checker) shownFields(h message.Header) {
	mode := c.pol.Body.Links
	if mode == links.Keep {
		return
	}
	if mode == "" {
		mode = links.Defang
	}
	if subj, err := h.Text("Subject"); err != nil {
		c.fail("Subject: %v", err)
	} else if _, n := links.Rewrite(subj, mode); n > 0 {
		c.fail("Subject holds a link: %.80q", subj)
	}
	mh := mail.Header{Header: h}
	for _, k := range []string{"From", "To", "Cc", "Reply-To"} {
		// A field go-message does not parse (an odd domain the
		// sanitiser kept) has no address for a client to show as one.
		list, _ := mh.AddressList(k)
		for _, a := range list {
			if _, n := links.Rewrite(a.Name, mode); n > 0 {
				c.fail("%s: a display name holds a link: %.80q", k, a.Name)
			}
			spec := strings.TrimSuffix(strings.TrimPrefix((&mail.Address{Address: a.Address}).String(), "<"), ">")
			if links.InLocalPart(spec, mode) {
				c.fail("%s: an address's local part holds a link: %.80q", k, spec)
			}
		}
	}
}

func (c *checker) partFields(e *message.Entity, n int) {
	fields := e.Header.Fields()
	for fields.Next() {
		switch fields.Key() {
		case "Content-Type", "Content-Transfer-Encoding", "Content-Disposition":
		default:
			c.fail("part %d: header field %s not allowed", n, fields.Key())
		}
	}
	for _, k := range []string{"Content-Type", "Content-Transfer-Encoding", "Content-Disposition"} {
		if len(e.Header.Values(k)) > 1 {
			c.fail("part %d: duplicate %s", n, k)
		}
	}
}

// text checks the body text: declared charset as configured, decodable,
// valid.
func (c *checker) text(e *message.Entity) {
	_, params, _ := e.Header.ContentType()
	cs := strings.ToLower(params["charset"])
	want := "utf-8"
	if strings.EqualFold(c.pol.OutputCharset, "iso-2022-jp") {
		want = "iso-2022-jp"
	}
	if cs != want {
		c.fail("text charset %q, want %q", cs, want)
	}
	b, err := io.ReadAll(e.Body)
	if err != nil {
		c.fail("text: decode: %v", err)
		return
	}
	if !utf8.Valid(b) {
		c.fail("text: invalid UTF-8")
	}
	if want == "iso-2022-jp" && bytes.ContainsRune(b, utf8.RuneError) {
		c.fail("text: invalid ISO-2022-JP sequence")
	}
	c.textLines(string(b))
}

// clientBegin is a line a mail client starts a uuencoded or yEnc file at.
var clientBegin = regexp.MustCompile(`^(begin(-base64)?[ \t]+\+?[0-7]{3,}(?:[ \t]|$)|=ybegin\b)`)

// textLines checks each line of the text as a mail client reads it: no
// link the policy's rewriter would neutralise (its output has none, so
// one here came from somewhere the rewriter did not look), and no line
// that starts an encoded file a client would decode.
func (c *checker) textLines(text string) {
	mode := c.pol.Body.Links
	if mode == "" {
		mode = links.Defang
	}
	bad := 0
	for i, l := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		what := ""
		if _, n := links.Rewrite(l, mode); n > 0 && mode != links.Keep {
			what = "a link"
		}
		if clientBegin.MatchString(l) || strings.Contains(l, "(This file must be converted with BinHex") {
			what = "the start of an encoded file"
		}
		if what != "" {
			if bad++; bad <= 3 {
				c.fail("text line %d holds %s: %.80q", i+1, what, l)
			}
		}
	}
}

// attachment checks one kept attachment against the policy.
func (c *checker) attachment(e *message.Entity, n int) {
	mt, _, err := e.Header.ContentType()
	if err != nil {
		c.fail("part %d: Content-Type: %v", n, err)
	}
	if strings.HasPrefix(mt, "multipart/") || strings.HasPrefix(mt, "message/") || mt == "text/html" {
		c.fail("part %d: type %s not allowed", n, mt)
	}
	disp, dp, err := e.Header.ContentDisposition()
	if err != nil || disp != "attachment" {
		c.fail("part %d: Content-Disposition %q, want attachment", n, disp)
	}
	name := dp["filename"]
	if strings.ContainsAny(name, "/\\\x00") {
		c.fail("part %d: filename with a path separator", n)
	}
	br := bufio.NewReaderSize(e.Body, 4096)
	head, _ := br.Peek(512)
	sniffed, class := filetype.Sniff(head)
	size, err := io.Copy(io.Discard, br)
	if err != nil {
		c.fail("part %d: decode: %v", n, err)
	}
	if class == filetype.ClassExecutable {
		c.fail("part %d: executable content", n)
	}
	if strings.EqualFold(c.pol.Attachments.Default, "keep") {
		return
	}
	ext := ""
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		ext = strings.ToLower(name[i:])
	}
	for _, rule := range c.pol.Attachments.Keep {
		if rule.MaxSize > 0 && size > int64(rule.MaxSize) {
			continue
		}
		// Keep rules name the type the content sniffs as; a CSV that
		// sniffs as text/plain is delivered as text/csv.
		if len(rule.Types) > 0 && !containsFold(rule.Types, mt) && !containsFold(rule.Types, sniffed) {
			continue
		}
		if len(rule.Extensions) > 0 && !containsExt(rule.Extensions, ext) {
			continue
		}
		return
	}
	c.fail("part %d: %s %q (%d bytes) not allowed by any keep rule", n, mt, name, size)
}

func containsFold(l []string, s string) bool {
	for _, x := range l {
		if strings.EqualFold(strings.TrimSpace(x), s) {
			return true
		}
	}
	return false
}

func containsExt(l []string, ext string) bool {
	for _, x := range l {
		x = strings.ToLower(strings.TrimSpace(x))
		if !strings.HasPrefix(x, ".") {
			x = "." + x
		}
		if x == ext {
			return true
		}
	}
	return false
}

// encodedWords checks the RFC 2047 encoded words of a header field as the
// clients that read them strictly would: each at most 75 characters
// (RFC 2047 2), its text decodable on its own; a UTF-8 word valid UTF-8
// by itself, as Outlook and Becky! decode each word alone and show a
// character split between two as mojibake; an ISO-2022-JP word 7-bit and
// back in ASCII before its "?=" (RFC 1468).
func (c *checker) encodedWords(key, v string) {
	for i := 0; ; {
		j := strings.Index(v[i:], "=?")
		if j < 0 {
			return
		}
		start := i + j
		parts := strings.SplitN(v[start+2:], "?", 4)
		if len(parts) < 4 || !strings.HasPrefix(parts[3], "=") || strings.ContainsAny(parts[0]+parts[1]+parts[2], " \t\r\n") {
			i = start + 2
			continue
		}
		word := v[start : start+len(parts[0])+len(parts[1])+len(parts[2])+6]
		i = start + len(word)
		if len(word) > 75 {
			c.fail("%s: encoded word longer than 75 characters: %.80q", key, word)
		}
		// mime.WordDecoder decodes the word; its CharsetReader keeps the
		// bytes of an ISO-2022-JP one, whose escapes are the check.
		var raw []byte
		dec := mime.WordDecoder{CharsetReader: func(_ string, in io.Reader) (io.Reader, error) {
			b, err := io.ReadAll(in)
			raw = b
			return bytes.NewReader(b), err
		}}
		text, err := dec.Decode(word)
		if err != nil {
			c.fail("%s: encoded word that does not decode (%v): %.80q", key, err, word)
			continue
		}
		switch strings.ToLower(parts[0]) {
		case "utf-8":
			if !utf8.ValidString(text) {
				c.fail("%s: encoded word not valid UTF-8 on its own: %.80q", key, word)
			}
		case "iso-2022-jp":
			if !isoEndsInASCII(raw) {
				c.fail("%s: ISO-2022-JP encoded word does not end in ASCII: %.80q", key, word)
			}
		}
	}
}

// isoEndsInASCII reports 7-bit ISO-2022-JP text whose last designation
// is ASCII (ESC ( B), or that has none.
func isoEndsInASCII(b []byte) bool {
	ascii := true
	for i := 0; i < len(b); i++ {
		if b[i] >= 0x80 {
			return false
		}
		if b[i] == 0x1b && i+2 < len(b) {
			ascii = b[i+1] == '(' && b[i+2] == 'B'
		}
	}
	return ascii
}
