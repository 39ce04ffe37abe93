package gateway

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestSTARTTLSCommandInjection (CVE-2011-0411, server side): commands a
// client sends in plain text in the same write as STARTTLS must not be
// run inside the TLS session, where they would pass for commands of
// whoever holds the TLS session. No reply to them comes, before the
// handshake or after it (the first reply over TLS is the one to EHLO),
// the gateway has no transaction (a RCPT is refused for want of MAIL),
// and the one message spooled is the TLS session's own.
func TestSTARTTLSCommandInjection(t *testing.T) {
	dir := t.TempDir()
	cert, key, pool := selfSigned(t, dir)
	cfg := gatewayConfig(t, dir, "", "", "    policy: default\n", "    policy: default\n    tls: {cert: "+cert+", key: "+key+"}\n")
	g := startGateway(t, cfg, false)
	s := rawDial(t, g.addr("inbound"))
	s.reply(5 * time.Second)
	s.cmd("EHLO c.example")
	fmt.Fprint(s.conn, "STARTTLS\r\nMAIL FROM:<injected@evil.example>\r\nRCPT TO:<s@lgwan.example>\r\n")
	if r := s.reply(5 * time.Second); !strings.HasPrefix(r, "220") {
		t.Fatalf("STARTTLS: %q", r)
	}
	if s.r.Buffered() > 0 {
		t.Fatalf("replies to the injected commands before the handshake: %d bytes", s.r.Buffered())
	}
	tc := tls.Client(s.conn, &tls.Config{RootCAs: pool, ServerName: "gw.lgwan.example"})
	if err := tc.Handshake(); err != nil {
		t.Fatalf("handshake: %v", err)
	}
	s.conn, s.r = tc, bufio.NewReader(tc)
	if r := s.cmd("EHLO c.example"); !strings.HasPrefix(r, "250") {
		t.Fatalf("EHLO over TLS: %q", r)
	}
	// go-smtp answers 502 5.5.1 (RFC 5321 would have 503).
	if r := s.cmd("RCPT TO:<s@lgwan.example>"); !strings.HasPrefix(r, "502 5.5.1 Missing MAIL FROM") {
		t.Errorf("RCPT over TLS without MAIL: %q, want 502 5.5.1 Missing MAIL FROM: the injected MAIL was run", r)
	}
	if r := s.cmd("MAIL FROM:<a@example.jp>"); !strings.HasPrefix(r, "250") {
		t.Errorf("MAIL over TLS: %q", r)
	}
	if r := s.cmd("RCPT TO:<s@lgwan.example>"); !strings.HasPrefix(r, "250") {
		t.Errorf("RCPT over TLS: %q", r)
	}
	s.data()
	list := g.sp.List()
	if len(list) != 1 || list[0].Env.From != "a@example.jp" {
		t.Errorf("spooled %+v, want one message from a@example.jp", list)
	}
}
