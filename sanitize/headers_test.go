package sanitize

import "testing"

// TestAddressSalvage covers address fields net/mail refuses: the address
// in each element is kept only when there is no doubt which it is and it
// is whole. A guess could name another domain, or take a display name
// made to look like an address for the sender.
func TestAddressSalvage(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"Taro <taro@example.jp", "taro@example.jp"},
		{"taro@example.jp 山田", "taro@example.jp"},
		{"taro@example.jp Yamada", "taro@example.jp"},
		{"Taro <a@example.com>x", "a@example.com"},
		{"a@example.com.", "a@example.com"},
		{"Taro <taro@example.jp>x, Hanako <hanako@example.jp>", "taro@example.jp, Hanako <hanako@example.jp>"},
		{"e@ex ample.com", ""},
		{"e@ex .com", ""},
		{"Taro <taro@exa mple.jp>", ""},
		{"Taro <taro@exa\tmple.jp>", ""},
		{"a@b c@d.com", ""},
		{"e@ex ample.com, b@example.com", "b@example.com"},
		{"taro@", ""},
		// A display name that looks like an address is not the address.
		{"mayor@city.lg.jp <attacker@evil.example>", "attacker@evil.example"},
		{"=?utf-8?q?a,mayor@city.lg.jp?= <attacker@evil.example>", "attacker@evil.example"},
		{"=?utf-8?q?mayor@city.lg.jp?= <attacker@evil.example", "attacker@evil.example"},
		{"mayor@city.lg.jp attacker@evil.example", ""},
		{"x <a@example.com> <b@example.com>", ""},
		{"Taro <taro@example.jp> junk", "taro@example.jp"},
		// The address must end where the match ends.
		{"e@ex_ample.com x", ""},
		{"e@ex(ample).com", ""},
		{"e@exämple.com x y", ""},
		{"e@ex@ample.com", ""},
		{"e@ex:ample.com", ""},
		// Quoted strings and encoded words are names, not addresses.
		{`"x <mayor@city.lg.jp>" attacker@evil.example`, "attacker@evil.example"},
		{"=?utf-8?q?<mayor@city.lg.jp>?= attacker@evil.example", "attacker@evil.example"},
		{`"mayor@city.lg.jp" attacker@evil.example junk`, "attacker@evil.example"},
	} {
		rep := &Report{}
		s := newSanitizer(Options{Policy: defaultPolicy(t)}, rep)
		if got := s.addressValue("From", c.in); got != c.want {
			t.Errorf("addressValue(%q) = %q, want %q", c.in, got, c.want)
		}
		if len(rep.Findings) == 0 || rep.Findings[0].Kind != "address-unparseable" {
			t.Errorf("addressValue(%q): findings %v, want address-unparseable", c.in, rep.Findings)
		}
	}
}
