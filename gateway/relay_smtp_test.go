package gateway

import (
	"strings"
	"testing"
	"time"
)

// TestRelayBatteryOverSMTP runs relay tricks through go-smtp's parser,
// which TestRelayBattery skips: it strips source routes and unquotes
// quoted local parts before Rcpt sees them, so "a@b"@lgwan arrives as
// a@b@lgwan. Whatever it makes of a form, only a recipient of the
// route's domain is accepted, and the envelope spooled names no other.
func TestRelayBatteryOverSMTP(t *testing.T) {
	g := startGateway(t, gatewayConfig(t, t.TempDir(), "", ""), false)
	tests := []struct {
		path string // as written in RCPT TO:
		want string // reply prefix
	}{
		{"<user%evil.example@lgwan.example>", "550 5.7.1"},
		{`<"user@evil.example"@lgwan.example>`, "553 5.1.3"},
		{`<"user%evil.example"@lgwan.example>`, "550 5.7.1"},
		{`<"user\@evil.example"@lgwan.example>`, "553 5.1.3"},
		{`<"user"@evil.example>`, "550 5.7.1"},
		{`<"x@lgwan.example"@evil.example>`, "553 5.1.3"},
		{"<@lgwan.example:user@evil.example>", "550 5.7.1"},
		{"<@relay.example,@lgwan.example:user@evil.example>", "550 5.7.1"},
		{"<@relay.example:user@lgwan.example>", "250"}, // source route ignored (RFC 5321 C)
		{"<evil.example!user@lgwan.example>", "550 5.7.1"},
		{"<user@[127.0.0.1]>", "550 5.7.1"},
		{"<user@[IPv6:::1]>", "553"},
		{"<user@lgwan.example.>", "250"},
		{"<user@lgwan.example..>", "553"},
		{"<USER@LGWAN.EXAMPLE>", "250"},
		{"<user@xn--lgwan-example.jp>", "550 5.7.1"},
		{"<user@ｌｇｗａｎ.example>", "553"},
		{"<user@lgwan.\u212aexample>", "553"}, // KELVIN SIGN lower-cases to k
		{"<user@lgwan.example,@evil.example>", "553"},
		{"<user@lgwan.example@evil.example>", "553"},
		{"<user@evil.example@lgwan.example>", "553"},
		{"<postmaster>", "5"},
	}
	s := rawDial(t, g.addr("inbound"))
	s.reply(5 * time.Second)
	s.cmd("EHLO c.example")
	s.cmd("MAIL FROM:<a@example.jp>")
	for _, tt := range tests {
		if r := s.cmd("RCPT TO:" + tt.path); !strings.HasPrefix(r, tt.want) {
			t.Errorf("RCPT TO:%s: %q, want %s", tt.path, r, tt.want)
		}
	}
	if r := s.bdat("Subject: x\r\n\r\nx\r\n", true); !strings.HasPrefix(r, "250") {
		t.Fatalf("BDAT: %q", r)
	}
	list := g.sp.List()
	if len(list) != 1 {
		t.Fatalf("%d spooled", len(list))
	}
	// Two of the forms accepted read as user@lgwan.example: it is
	// spooled once, for one delivery.
	if to := list[0].Env.To; len(to) != 2 || to[0] != "user@lgwan.example" || to[1] != "USER@lgwan.example" {
		t.Errorf("spooled recipients %q, want user@lgwan.example once and USER@lgwan.example (local parts keep their case)", to)
	}
	for _, rc := range list[0].Env.To {
		if !strings.HasSuffix(rc, "@lgwan.example") || strings.Count(rc, "@") != 1 || strings.ContainsAny(rc, `%!"[:`) {
			t.Errorf("spooled recipient %q", rc)
		}
	}
}
