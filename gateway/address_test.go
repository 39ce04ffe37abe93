package gateway

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// The open-relay battery: the classic relay-test forms against a gateway
// that accepts only lgwan.example. Only the legitimate forms pass.
func TestRelayBattery(t *testing.T) {
	domains := []string{"lgwan.example", "localhost"}
	tests := []struct {
		addr string
		want string // normalised address, or "" when refused
		code int
	}{
		{"user@lgwan.example", "user@lgwan.example", 0},
		{"user@LGWAN.Example", "user@lgwan.example", 0},
		{"user@lgwan.example.", "user@lgwan.example", 0},
		{"first.last+tag@lgwan.example", "first.last+tag@lgwan.example", 0},
		{`"john doe"@lgwan.example`, "", 553}, // space: refused outright
		// Quoted as the release API gets it (go-smtp unquotes SMTP's):
		// no more than the unquoted form passes, and it is unquoted.
		{`"user"@lgwan.example`, "user@lgwan.example", 0},
		{`"x>"@lgwan.example`, "", 553},
		{`"a,b"@lgwan.example`, "", 553},
		{`"(x)"@lgwan.example`, "", 553},
		{`""@lgwan.example`, "", 553},
		{`".x"@lgwan.example`, "", 553},
		{"user@localhost", "user@localhost", 0},
		{"user@other.example", "", 550},
		{"user@lgwan.example.other.example", "", 550},
		{"user@sub.lgwan.example", "", 550},
		{"user%other.example@lgwan.example", "", 550},
		{"user%other.example", "", 553},
		{`"user@other.example"@lgwan.example`, "", 550},
		{`"user%other.example"@lgwan.example`, "", 550},
		{"@lgwan.example:user@other.example", "", 553},
		{"@a.example,@lgwan.example:user@other.example", "", 553},
		{"other.example!user@lgwan.example", "", 550},
		{"other.example!user", "", 553},
		{"user@[127.0.0.1]", "", 550},
		{"user@[IPv6:::1]", "", 553},
		{"user@lgwan.example@other.example", "", 553},
		{"user", "", 553},
		{"", "", 553},
		{"user@", "", 553},
		{"user\r\n@lgwan.example", "", 553},
		{"user\x00@lgwan.example", "", 553},
		{"us er@lgwan.example", "", 553},
		{"ユーザー@lgwan.example", "", 553},
		{"user@lgwan..example", "", 553},
		{".user@lgwan.example", "", 553},
		{"user.@lgwan.example", "", 553},
		{"user@-lgwan.example", "", 553},
		{"user(comment)@lgwan.example", "", 553},
		{"user@lgwan.example(comment)", "", 553},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			got, err := parseRcpt(tt.addr, domains)
			switch {
			case tt.code == 0 && err != nil:
				t.Fatalf("refused with %d %v: %s", err.Code, err.EnhancedCode, err.Message)
			case tt.code == 0 && got != tt.want:
				t.Fatalf("normalised to %q, want %q", got, tt.want)
			case tt.code != 0 && err == nil:
				t.Fatalf("accepted as %q, want %d", got, tt.code)
			case tt.code != 0 && err.Code != tt.code:
				t.Fatalf("refused with %d, want %d", err.Code, tt.code)
			}
		})
	}
}

func TestWildcardDomain(t *testing.T) {
	if got, err := parseRcpt("x@anything.example", []string{"*"}); err != nil || got != "x@anything.example" {
		t.Errorf("wildcard route refused %v", err)
	}
	if _, err := parseRcpt("x%y@anything.example", []string{"*"}); err == nil {
		t.Error("wildcard route accepted a %-hack")
	}
}

// TestSenderSyntax: MAIL FROM is held to RCPT TO's syntax, without the
// route's domains; an address literal must be an IPv4 address.
func TestSenderSyntax(t *testing.T) {
	tests := []struct{ addr, want string }{
		{"", ""}, // the null sender
		{"citizen@Example.JP.", "citizen@example.jp"},
		{"citizen@[192.0.2.1]", "citizen@[192.0.2.1]"},
		{"citizen@[192.0.2.1", "553"},
		{"citizen@[..", "553"},
		{"citizen@[", "553"},
		{"citizen@[example.jp]", "553"},
		{"citizen@[300.0.2.1]", "553"},
		{"citizen@[IPv6:2001:db8::1]", "553"},
		{"citizen", "553"},
		{"citizen@example.jp@other.example", "553"},
		{"ci tizen@example.jp", "553"},
		// RFC 6531 addresses, not taken: 553 5.6.7, but for what is no
		// address in UTF-8 either.
		{"太郎@example.jp", "5.6.7"},
		{"citizen@例え.jp", "5.6.7"},
		{"\"太郎\"@example.jp", "5.6.7"},
		{"太郎@[192.0.2.1]", "5.6.7"},
		{"太郎@[例え.jp]", "553"},
		{"太郎@example.jp@other.example", "553"},
		{"太郎\xff@example.jp", "553"},
		{"太\u3000郎@example.jp", "553"},
		{"太郎\u0085@example.jp", "553"},
		{"太郎\r\n@example.jp", "553"},
		{"太郎..x@example.jp", "553"},
		{"x@例え..jp", "553"},
		{strings.Repeat("太", 21) + "@example.jp", "5.6.7"}, // 63 octets
		{strings.Repeat("太", 22) + "@example.jp", "553"},   // 66 octets: RFC 5321 4.5.3.1.1 allows 64
	}
	for _, tt := range tests {
		got, err := parseSender(tt.addr)
		switch {
		case tt.want == "553" && (err == nil || err.Code != 553 || err.EnhancedCode != [3]int{5, 1, 7}):
			t.Errorf("MAIL FROM %q: got %q, %v; want 553 5.1.7", tt.addr, got, err)
		case tt.want == "5.6.7" && err != errNonASCIIFrom:
			t.Errorf("MAIL FROM %q: got %q, %v; want 553 5.6.7", tt.addr, got, err)
		case tt.want != "553" && tt.want != "5.6.7" && (err != nil || got != tt.want):
			t.Errorf("MAIL FROM %q: got %q, %v; want %q", tt.addr, got, err, tt.want)
		}
	}
}

// FuzzParseRcpt: any RCPT TO address is refused with 550 5.7.1, 553
// 5.1.3 or, only for valid UTF-8 beyond ASCII, 553 5.6.7, or accepted
// as local@domain for one of the route's domains, without a routing
// character, a space or a control, and accepted again unchanged (what
// the rules and the next hop see is what was checked). MAIL FROM is
// held to the same syntax, with 553 5.1.7 and 553 5.6.7.
func FuzzParseRcpt(f *testing.F) {
	for _, s := range []string{"user@lgwan.example", `"user"@lgwan.example`, "user%other.example@lgwan.example",
		"@a.example:user@lgwan.example", "other!user@lgwan.example", "user@[127.0.0.1]", "user@LGWAN.example.",
		`"a@b"@lgwan.example`, "first.last+tag@localhost", "user@lgwan.example@other.example", "",
		"ユーザー@lgwan.example", "user@例え.jp", "\xe3\x83@lgwan.example", "太\u3000郎@lgwan.example"} {
		f.Add(s)
	}
	domains := []string{"lgwan.example", "localhost"}
	beyondASCII := func(addr string) bool {
		return utf8.ValidString(addr) && strings.ContainsFunc(addr, func(r rune) bool { return r >= utf8.RuneSelf })
	}
	f.Fuzz(func(t *testing.T, addr string) {
		got, err := parseRcpt(addr, domains)
		if err != nil {
			if got != "" || !(err.Code == 550 && err.EnhancedCode == [3]int{5, 7, 1} || err.Code == 553 && err.EnhancedCode == [3]int{5, 1, 3} ||
				err == errNonASCIIRcpt && beyondASCII(addr)) {
				t.Fatalf("%q: refused with %q %d %v", addr, got, err.Code, err.EnhancedCode)
			}
		} else {
			local, domain, ok := strings.Cut(got, "@")
			if !ok || local == "" || !slices.Contains(domains, domain) || strings.ContainsAny(local, `@%!"\:[]<>(),;`) {
				t.Fatalf("%q accepted as %q", addr, got)
			}
			for _, c := range []byte(got) {
				if c <= ' ' || c >= 0x7f {
					t.Fatalf("%q accepted as %q: byte %#x", addr, got, c)
				}
			}
			if again, err := parseRcpt(got, domains); err != nil || again != got {
				t.Fatalf("%q accepted as %q, which gives %q, %v", addr, got, again, err)
			}
		}
		from, ferr := parseSender(addr)
		switch {
		case ferr != nil:
			if from != "" || !(ferr == errBadFromSyn || ferr == errNonASCIIFrom && beyondASCII(addr)) {
				t.Fatalf("MAIL FROM %q: refused with %q %d %v", addr, from, ferr.Code, ferr.EnhancedCode)
			}
			// One reply for an address, whichever command gives it.
			if (ferr == errNonASCIIFrom) != (err == errNonASCIIRcpt) {
				t.Fatalf("%q: MAIL FROM refused with %v, RCPT TO with %v", addr, ferr.EnhancedCode, err)
			}
		case addr == "":
			if from != "" {
				t.Fatalf("null sender kept as %q", from)
			}
		default:
			if strings.Count(from, "@") != 1 || strings.ContainsAny(from, " \r\n\x00") {
				t.Fatalf("MAIL FROM %q kept as %q", addr, from)
			}
			if again, err := parseSender(from); err != nil || again != from {
				t.Fatalf("MAIL FROM %q kept as %q, which gives %q, %v", addr, from, again, err)
			}
		}
	})
}
