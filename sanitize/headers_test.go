package sanitize

import "testing"

// TestAddressSalvage covers address fields net/mail refuses: the address
// in each element is kept when it is whole, and nothing is kept when its
// domain seems to run on past a space (a guess would name another domain).
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
