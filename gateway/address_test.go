package gateway

import "testing"

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
