package config

import (
	"strings"
	"testing"
)

// TestShadowedBy: a rule below one that matches every message it
// matches never picks its policy; one that matches a message the other
// does not is reachable.
func TestShadowedBy(t *testing.T) {
	for _, tt := range []struct {
		name         string
		first, later string // the match of rules[0] and rules[1]
		shadowed     bool
	}{
		{"same sender domain", "{sender_domain: [pref.example.lg.jp]}", "{sender_domain: [pref.example.lg.jp], recipient: [kikaku@lgwan.example]}", true},
		{"a sender of that domain", "{sender_domain: [pref.example.lg.jp]}", "{sender: [sato@pref.example.lg.jp]}", true},
		{"a recipient of that domain", "{recipient_domain: [lgwan.example]}", "{recipient: [kikaku@lgwan.example], clients: [10.0.0.0/8]}", true},
		{"a narrower network", "{clients: [10.0.0.0/8]}", "{clients: [10.1.0.0/16, 10.2.0.1], sender_domain: [a.example]}", true},
		{"the route", "{route: [inbound]}", "{route: [inbound], sender_domain: [a.example]}", true},
		{"another sender domain", "{sender_domain: [pref.example.lg.jp]}", "{sender_domain: [other.example.jp]}", false},
		{"a wider network", "{clients: [10.1.0.0/16]}", "{clients: [10.0.0.0/8]}", false},
		{"the first needs clients", "{sender_domain: [a.example], clients: [10.0.0.0/8]}", "{sender_domain: [a.example]}", false},
		{"a domain the sender list leaves", "{sender_domain: [a.example]}", "{sender: [x@a.example, y@b.example]}", false},
		{"no recipient condition later", "{recipient_domain: [lgwan.example]}", "{sender_domain: [a.example]}", false},
		{"one route of two", "{route: [inbound]}", "{route: [inbound, second], sender_domain: [a.example]}", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			y := `spool_dir: /tmp/spool
routes:
  - name: inbound
    listen: ["127.0.0.1:2525"]
    clients: ["0.0.0.0/0"]
    domains: [lgwan.example]
    policy: default
    deliver: {to: "maildir:/tmp/md"}
  - name: second
    listen: ["127.0.0.1:2526"]
    clients: ["0.0.0.0/0"]
    domains: [lgwan.example]
    policy: default
    deliver: {to: "maildir:/tmp/md2"}
rules:
  - {name: first, match: FIRST, policy: relaxed}
  - {name: later, match: LATER, policy: relaxed}
policies:
  default: {}
  relaxed: {}
`
			c, err := Parse("shadow.yaml", []byte(strings.NewReplacer("FIRST", tt.first, "LATER", tt.later).Replace(y)))
			if err != nil {
				t.Fatal(err)
			}
			if got := c.ShadowedBy(1) == 0; got != tt.shadowed {
				t.Errorf("ShadowedBy(1) = %d, want shadowed %v", c.ShadowedBy(1), tt.shadowed)
			}
			if c.ShadowedBy(0) != -1 {
				t.Error("the first rule is shadowed")
			}
		})
	}
}
