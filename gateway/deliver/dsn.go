package deliver

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/textproto"
	"strings"
	"time"

	"mugai/sanitize/links"
)

// ErrNullSender: a message with the null reverse-path (MAIL FROM:<>) is
// itself a notification and never gets a DSN (RFC 5321 4.5.5: notifying
// about a notification could loop). The caller checks the sender first;
// BuildDSN refuses it as a safety net.
var ErrNullSender = errors.New("deliver: no DSN for the null sender")

// MaxDSNHeaderBytes bounds the original header copied into a DSN.
const MaxDSNHeaderBytes = 64 << 10

// DSNParams describe one delivery status notification.
type DSNParams struct {
	// ReportingMTA is our hostname: Reporting-MTA, the From address
	// MAILER-DAEMON@ReportingMTA and the Message-ID's domain.
	ReportingMTA string
	// Sender is the envelope sender of the failed message; the DSN goes to
	// it, sent by the caller with the null sender (MAIL FROM:<>).
	Sender string
	// QueueID is ours for the failed message (optional, for operators).
	QueueID string
	// Arrival is when we accepted the failed message.
	Arrival time.Time
	// Date is when the DSN is made; zero means now.
	Date time.Time
	// Recipients are the failed ones (at least one).
	Recipients []DSNRecipient
	// Original is the failed message; only its header is read, up to
	// MaxDSNHeaderBytes. Nil leaves the headers part out.
	Original io.Reader
}

// DSNRecipient is one failed recipient.
type DSNRecipient struct {
	// Result is the last outcome: Rcpt, and the next hop's reply when
	// there was one. Code 0 means there was no reply, and Text says why
	// (e.g. "connect to 10.1.0.25:25: connection refused").
	Result
	// Status overrides the RFC 3463 status, e.g. "5.4.7" for a message
	// that expired in the queue. When empty it comes from Result.Enhanced,
	// or "5.0.0". A 4.x.x becomes 5.x.x: the action is "failed".
	Status string
	// RemoteMTA is the next hop's host name or address (optional).
	RemoteMTA string
	// LastAttempt is when the last attempt was made (optional).
	LastAttempt time.Time
}

// BuildDSN writes an RFC 3464 multipart/report (report-type
// delivery-status) to w: a human-readable part in Japanese and English, a
// message/delivery-status part with one block per recipient (Action:
// failed), and the original header as text/rfc822-headers. The whole
// output is 7-bit: non-ASCII header bytes of the original are replaced by
// "?", the next hop's reply text is reduced to printable ASCII, and
// non-ASCII addresses use the RFC 6533 utf-8 type with \x{...} escapes.
func BuildDSN(w io.Writer, p DSNParams) error {
	if p.Sender == "" {
		return ErrNullSender
	}
	if !isHostname(p.ReportingMTA) {
		return fmt.Errorf("deliver: dsn: reporting MTA %q is not a host name", p.ReportingMTA)
	}
	if len(p.Recipients) == 0 {
		return fmt.Errorf("deliver: dsn: no recipients")
	}
	date := p.Date
	if date.IsZero() {
		date = time.Now()
	}
	var rnd [12]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return fmt.Errorf("deliver: dsn: %w", err)
	}
	boundary := "mugai-dsn-" + hex.EncodeToString(rnd[:])
	host := p.ReportingMTA

	bw := bufio.NewWriter(w)
	hdr := func(name, value string) { bw.WriteString(fold(name, value)) }
	hdr("From", "Mail Delivery System <MAILER-DAEMON@"+host+">")
	if isPrintableASCII(p.Sender) && !strings.ContainsAny(p.Sender, " <>") {
		hdr("To", "<"+p.Sender+">")
	} else {
		// Such an address cannot be a 7-bit header; the envelope carries it.
		hdr("To", "undisclosed-recipients:;")
	}
	hdr("Subject", mime.BEncoding.Encode("utf-8", "配送不能のお知らせ")+" (Undelivered Mail Returned to Sender)")
	hdr("Date", date.Format(time.RFC1123Z))
	hdr("Message-ID", fmt.Sprintf("<%d.dsn.%s@%s>", date.Unix(), hex.EncodeToString(rnd[:6]), host))
	hdr("Auto-Submitted", "auto-replied") // RFC 3834 5
	hdr("MIME-Version", "1.0")
	hdr("Content-Type", `multipart/report; report-type=delivery-status; boundary="`+boundary+`"`)
	hdr("Content-Transfer-Encoding", "7bit")
	bw.WriteString("\r\nThis is a MIME-encapsulated message.\r\n\r\n")

	mw := multipart.NewWriter(bw)
	if err := mw.SetBoundary(boundary); err != nil {
		return fmt.Errorf("deliver: dsn: %w", err)
	}

	// 1. For people.
	pw, err := mw.CreatePart(textproto.MIMEHeader{
		"Content-Description":       {"Notification"},
		"Content-Type":              {"text/plain; charset=utf-8"},
		"Content-Transfer-Encoding": {"quoted-printable"},
	})
	if err != nil {
		return fmt.Errorf("deliver: dsn: %w", err)
	}
	qp := quotedprintable.NewWriter(pw)
	io.WriteString(qp, humanText(p, host))
	if err := qp.Close(); err != nil {
		return fmt.Errorf("deliver: dsn: %w", err)
	}

	// 2. For programs (RFC 3464 2.2, 2.3).
	pw, err = mw.CreatePart(textproto.MIMEHeader{
		"Content-Description": {"Delivery report"},
		"Content-Type":        {"message/delivery-status"},
	})
	if err != nil {
		return fmt.Errorf("deliver: dsn: %w", err)
	}
	var ds strings.Builder
	ds.WriteString(fold("Reporting-MTA", "dns; "+host))
	if p.QueueID != "" {
		ds.WriteString(fold("X-Mugai-Queue-ID", printable(p.QueueID, 200)))
	}
	if !p.Arrival.IsZero() {
		ds.WriteString(fold("Arrival-Date", p.Arrival.Format(time.RFC1123Z)))
	}
	for _, r := range p.Recipients {
		ds.WriteString("\r\n")
		ds.WriteString(fold("Final-Recipient", addressField(r.Rcpt)))
		ds.WriteString(fold("Action", "failed"))
		ds.WriteString(fold("Status", r.status()))
		if r.RemoteMTA != "" {
			ds.WriteString(fold("Remote-MTA", "dns; "+printable(r.RemoteMTA, 255)))
		}
		if d := r.diagnostic(); d != "" {
			ds.WriteString(fold("Diagnostic-Code", d))
		}
		if !r.LastAttempt.IsZero() {
			ds.WriteString(fold("Last-Attempt-Date", r.LastAttempt.Format(time.RFC1123Z)))
		}
	}
	if _, err := io.WriteString(pw, ds.String()); err != nil {
		return fmt.Errorf("deliver: dsn: %w", err)
	}

	// 3. What it was about (RFC 6522 text/rfc822-headers).
	if p.Original != nil {
		head, err := originalHeader(p.Original)
		if err != nil {
			return fmt.Errorf("deliver: dsn: reading original: %w", err)
		}
		pw, err = mw.CreatePart(textproto.MIMEHeader{
			"Content-Description": {"Undelivered Message Headers"},
			"Content-Type":        {"text/rfc822-headers"},
		})
		if err != nil {
			return fmt.Errorf("deliver: dsn: %w", err)
		}
		if _, err := pw.Write(head); err != nil {
			return fmt.Errorf("deliver: dsn: %w", err)
		}
	}
	if err := mw.Close(); err != nil {
		return fmt.Errorf("deliver: dsn: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("deliver: dsn: %w", err)
	}
	return nil
}

func humanText(p DSNParams, host string) string {
	// What the sender can do depends on why: an address to check, a
	// server that never answered (send again later), or a refusal whose
	// reason is on the recipient's line. "Check the address" for a
	// message that expired in the queue sent senders looking for a typo.
	var address, expired, refused bool
	for _, r := range p.Recipients {
		switch st := r.status(); {
		case strings.HasPrefix(st, "5.1.") && st != "5.1.7" && st != "5.1.8":
			// 5.1.7 and 5.1.8 are about the sender's address, which
			// "check the addresses below" would not find.
			address = true
		case st == statusExpired:
			expired = true
		default:
			refused = true
		}
	}
	var b strings.Builder
	for _, t := range dsnTexts {
		fmt.Fprintf(&b, t.head, host)
		b.WriteString(t.lead)
		for _, advice := range []struct {
			on   bool
			text string
		}{{address, t.address}, {expired, t.expired}, {refused, t.refused}} {
			if advice.on {
				b.WriteString(advice.text)
			}
		}
		b.WriteString(t.tail)
	}
	for _, r := range p.Recipients {
		fmt.Fprintf(&b, "<%s>: %s\n", capRunes(oneLine(r.Rcpt), maxAddr), r.reason())
	}
	b.WriteString("\n")
	if p.QueueID != "" {
		fmt.Fprintf(&b, "キューID / Queue ID: %s\n", printable(p.QueueID, 200))
	}
	if !p.Arrival.IsZero() {
		fmt.Fprintf(&b, "受付日時 / Arrival: %s\n", p.Arrival.Format(time.RFC1123Z))
	}
	return b.String()
}

// dsnTexts are the human-readable part's paragraphs, in Japanese and in
// English: what happened, what to do by why (humanText), and that
// replies are not read.
var dsnTexts = [...]struct{ head, lead, address, expired, refused, tail string }{
	{
		head:    "このメールは %s のメール配送システムが自動で送信しています。\n\n",
		lead:    "お送りいただいたメールは、次の宛先に配送できませんでした。\n",
		address: "宛先アドレスに誤りがないかご確認ください。\n",
		expired: "受信側のメールサーバに配送の期限まで届けられなかったため、配送をあきらめました。時間をおいて送り直してください。\n",
		refused: "受信側のメールサーバが受け取りを拒否しました。理由は各宛先の行のとおりです。\n",
		tail:    "この通知に返信されても届きません。\n\n",
	},
	{
		head:    "This is the mail delivery system at %s.\n\n",
		lead:    "Your message could not be delivered to the recipients below.\n",
		address: "Please check the addresses.\n",
		expired: "It could not be handed to the receiving mail server before the delivery deadline; please send it again later.\n",
		refused: "The receiving mail server refused it, for the reason given beside each address.\n",
		tail:    "Replies to this notice are not read.\n\n",
	},
}

// status is the RFC 3463 code of a failed recipient, always class 5.
func (r DSNRecipient) status() string {
	s := r.Status
	if s == "" {
		s = r.Enhanced
	}
	if enh, rest := splitEnhanced(s); enh == "" || rest != "" {
		return "5.0.0"
	}
	return "5" + s[1:]
}

// diagnostic is the Diagnostic-Code value: the reply as "smtp; ..." or,
// without one, our own reason as "X-Mugai; ..." (as Postfix uses
// "X-Postfix;").
func (r DSNRecipient) diagnostic() string {
	if r.Code != 0 {
		return "smtp; " + printable(defang(r.Result.String()), maxDiag)
	}
	if r.Text != "" {
		return "X-Mugai; " + printable(defang(r.Text), maxDiag)
	}
	return ""
}

// reason is the human-readable line; the part is UTF-8 quoted-printable,
// so only line breaks need removing. A message that expired says so
// before the last attempt's outcome, which alone reads as a refusal.
func (r DSNRecipient) reason() string {
	why := r.status()
	switch {
	case r.Code != 0:
		why = capRunes(defang(r.Result.String()), maxDiag)
	case r.Text != "":
		why = capRunes(defang(r.Text), maxDiag)
	}
	if r.status() == statusExpired {
		return "配送期限切れ / expired in queue; last attempt: " + why
	}
	return why
}

// statusExpired is RFC 3463's "delivery time expired".
const statusExpired = "5.4.7"

// defang makes text one line and neutralises its links as the sanitiser
// does (hxxps://evil[.]example). The reply text is the next hop's choice,
// and a DSN is a message that no sanitiser rebuilds: on the outbound route
// an internet server's words would reach an LGWAN user as clickable links.
func defang(text string) string {
	out, _ := links.Rewrite(oneLine(text), links.Defang)
	return out
}

// Caps on what a next hop or a sender controls, so that a DSN stays small
// and every line within RFC 5322's 998 octets.
const (
	maxDiag = 900 // reply text
	maxAddr = 512 // an address (RFC 5321 4.5.3.1.3 allows 256 for a path)
)

func capRunes(s string, n int) string {
	i := 0
	for j := range s {
		if i == n {
			return s[:j]
		}
		i++
	}
	return s
}

// addressField is a Final-Recipient value: "rfc822; addr" for ASCII,
// otherwise "utf-8; " with RFC 6533 embedded-unicode-char escapes, which
// keeps the field 7-bit.
func addressField(a string) string {
	a = capRunes(a, maxAddr)
	if isPrintableASCII(a) && !strings.Contains(a, `\`) {
		return "rfc822; " + a
	}
	var b strings.Builder
	for _, r := range a {
		if b.Len() >= maxDiag {
			break
		}
		if r > 0x20 && r < 0x7f && r != '\\' {
			b.WriteRune(r)
		} else {
			fmt.Fprintf(&b, `\x{%X}`, r)
		}
	}
	return "utf-8; " + b.String()
}

// printable reduces s to printable ASCII on one line, at most max bytes:
// other bytes become "?", line breaks and tabs become spaces.
func printable(s string, max int) string {
	out := make([]byte, 0, len(s))
	for _, r := range oneLine(s) {
		if r >= 0x80 {
			r = '?' // one per character, oneLine made it valid UTF-8
		}
		out = append(out, byte(r))
	}
	if len(out) > max {
		out = out[:max]
	}
	return string(out)
}

func isPrintableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

// isHostname accepts a DNS name of letters, digits, '-' and '.'.
func isHostname(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// fold writes "Name: value" folded at spaces before 78 columns (RFC 5322
// 2.2.3), ending in CRLF. value must be one line of ASCII. A word too long
// for 998 octets is split (values are capped well below that, this is the
// last guard).
func fold(name, value string) string {
	const hard = 990
	var b strings.Builder
	b.WriteString(name)
	b.WriteString(":")
	col := len(name) + 1
	for i, word := range strings.Split(value, " ") {
		if i > 0 && col+1+len(word) > 78 && col > 1 {
			b.WriteString("\r\n")
			col = 0
		}
		for col+1+len(word) > hard {
			n := max(hard-col-1, 1)
			b.WriteString(" ")
			b.WriteString(word[:n])
			b.WriteString("\r\n")
			word, col = word[n:], 0
		}
		b.WriteString(" ")
		b.WriteString(word)
		col += 1 + len(word)
	}
	b.WriteString("\r\n")
	return b.String()
}

// originalHeader returns the header block of a message, up to the blank
// line and at most MaxDSNHeaderBytes (whole lines), with CRLF line ends,
// every byte that is not printable ASCII or a tab replaced by "?", links
// defanged and lines cut at 998 octets (RFC 5322 2.1.1).
//
// The part is text that mail clients show, and make links clickable in,
// while in the message it was about these were header fields nobody
// reads: on a sanitising route the rebuilt header carries the sender's
// Received fields as they came (RFC 5321 4.4), links and all, and a
// sender who gives an LGWAN address as its own has the notice delivered
// there.
func originalHeader(r io.Reader) ([]byte, error) {
	br := bufio.NewReader(io.LimitReader(r, MaxDSNHeaderBytes))
	var out bytes.Buffer
	n := 0
	for {
		line, err := br.ReadBytes('\n')
		n += len(line)
		if err != nil && err != io.EOF {
			return nil, err
		}
		complete := err == nil
		line = bytes.TrimRight(line, "\r\n")
		if complete && len(line) == 0 {
			break // the blank line: end of header
		}
		if !complete {
			// The input ended without a newline (keep the line), or the
			// limit cut it (drop the partial line).
			if n < MaxDSNHeaderBytes && len(line) > 0 {
				writeHeaderLine(&out, line)
			}
			break
		}
		writeHeaderLine(&out, line)
	}
	return out.Bytes(), nil
}

func writeHeaderLine(out *bytes.Buffer, line []byte) {
	b := make([]byte, len(line))
	for i, c := range line {
		if (c < 0x20 && c != '\t') || c >= 0x7f {
			c = '?'
		}
		b[i] = c
	}
	s, _ := links.Rewrite(string(b), links.Defang)
	if len(s) > 998 {
		s = s[:998]
	}
	out.WriteString(s)
	out.WriteString("\r\n")
}
