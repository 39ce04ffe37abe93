package deliver

import (
	"errors"
	"fmt"
	"net/textproto"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// startTLSPrelude reads the greeting, says EHLO (LHLO) and, when the next
// hop offers it, STARTTLS. go-smtp's own STARTTLS path (DialStartTLS,
// NewClientStartTLS) greets as "localhost" before TLS and gives no way to
// pass our name, so this short exchange is done here. offered is false when
// STARTTLS was not offered or was refused with a reply (why says which);
// err is a connection failure.
func startTLSPrelude(conn *replyConn, verb, hostname string, timeout time.Duration) (offered bool, why string, err error) {
	if err := conn.SetDeadline(time.Now().Add(timeout)); err != nil {
		return false, "", err
	}
	defer conn.SetDeadline(time.Time{})
	// Not closed: the socket lives on under TLS or under go-smtp.
	tp := textproto.NewConn(conn)
	if _, _, err := tp.ReadResponse(220); err != nil {
		return false, "", fmt.Errorf("greeting: %w", err)
	}
	if err := tp.PrintfLine("%s %s", verb, hostname); err != nil {
		return false, "", err
	}
	_, msg, err := tp.ReadResponse(250)
	if err != nil {
		return false, "", fmt.Errorf("%s: %w", verb, err)
	}
	if !hasExtension(msg, "STARTTLS") {
		return false, notOffered, nil
	}
	if err := tp.PrintfLine("STARTTLS"); err != nil {
		return false, "", err
	}
	if code, msg, err := tp.ReadResponse(220); err != nil {
		var te *textproto.Error
		if errors.As(err, &te) && code >= 400 && code < 600 && code != 421 {
			return false, fmt.Sprintf("refused: %d %s", code, oneLine(msg)), nil
		}
		return false, "", fmt.Errorf("STARTTLS: %w", err)
	}
	// RFC 3207 5: nothing may come between the reply and the handshake;
	// bytes already buffered here were sent in plaintext by someone.
	if tp.R.Buffered() > 0 || conn.pending() {
		return false, "", ErrTLSInjection
	}
	return true, "", nil
}

// notOffered is startTLSPrelude's why when the next hop did not offer
// STARTTLS at all.
const notOffered = "not offered"

// hasExtension reports whether an EHLO reply text (lines joined by "\n",
// as net/textproto returns it, the first line being the server's name)
// lists the keyword ext (RFC 5321 4.1.1.1: keyword, then parameters).
func hasExtension(msg, ext string) bool {
	lines := strings.Split(msg, "\n")
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		if len(f) > 0 && strings.EqualFold(f[0], ext) {
			return true
		}
	}
	return false
}

// splitEnhanced splits an RFC 3463 enhanced status code ("2.0.0",
// class.subject.detail, subject and detail of 1 to 3 digits) off the front
// of a reply text; go-smtp does this for error replies only.
func splitEnhanced(text string) (enhanced, rest string) {
	code, rest, _ := strings.Cut(text, " ")
	parts := strings.Split(code, ".")
	if len(parts) != 3 || len(parts[0]) != 1 || !strings.Contains("245", parts[0]) {
		return "", text
	}
	for _, p := range parts[1:] {
		if len(p) < 1 || len(p) > 3 {
			return "", text
		}
		for i := 0; i < len(p); i++ {
			if p[i] < '0' || p[i] > '9' {
				return "", text
			}
		}
	}
	return code, rest
}

// oneLine joins a multi-line reply text with spaces and drops control
// characters, for logs and Result.Text: C0 and C1 controls (ESC and CSI
// start terminal escapes) and the bidirectional controls (U+202E and its
// kin reorder what a reader sees). Invalid UTF-8 becomes U+FFFD.
func oneLine(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if r < 0x20 || r >= 0x7f && r < 0xa0 || unicode.Is(unicode.Bidi_Control, r) {
			r = ' '
		}
		if r == ' ' {
			if space || b.Len() == 0 {
				continue
			}
			space = true
		} else {
			space = false
		}
		b.WriteRune(r)
	}
	return strings.TrimRight(b.String(), " ")
}

// capText cuts s to at most MaxTextBytes, on a character boundary.
func capText(s string) string {
	if len(s) <= MaxTextBytes {
		return s
	}
	n := MaxTextBytes
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
