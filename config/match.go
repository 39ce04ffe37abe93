package config

import (
	"net/netip"
	"slices"
	"strings"
)

// Route returns the route named name, or nil.
func (c *Config) Route(name string) *Route {
	for i := range c.Routes {
		if c.Routes[i].Name == name {
			return &c.Routes[i]
		}
	}
	return nil
}

// PolicyFor picks the policy for one message: the first rule that
// matches, else the route's own. A pass-through route (policy none) is
// never turned into a sanitising one by a rule, and a rule never turns
// sanitising off (Load refuses policy none in rules).
//
// Recipient conditions must hold for every recipient: otherwise a sender
// could add one matching recipient to get a relaxed policy for all. The
// gateway asks it of one recipient at a time (PolicyForRecipient).
// client is the address the message came from (invalid when unknown,
// which no clients condition matches).
func (c *Config) PolicyFor(route *Route, client netip.Addr, sender string, rcpts []string) string {
	if r := c.RuleFor(route, client, sender, rcpts); r != nil {
		return r.Policy
	}
	return route.Policy
}

// PolicyForRecipient picks the policy of mail to rcpt on route: the
// first rule that matches with rcpt the message's only recipient, else
// the route's own. The gateway takes in one message only recipients
// whose policies agree (a RCPT whose policy differs from the first
// recipient's gets 452 4.5.3, and the sending server sends it in a
// message of its own), so that no recipient's policy depends on who
// else a message is addressed to: a rule giving one office a stricter
// policy cannot be evaded by adding a recipient, nor a relaxed one be
// had for a recipient it does not name.
func (c *Config) PolicyForRecipient(route *Route, client netip.Addr, sender, rcpt string) string {
	if r := c.RuleFor(route, client, sender, []string{rcpt}); r != nil {
		return r.Policy
	}
	return route.Policy
}

// RuleFor returns the rule that picks the policy of a message on route
// (the first that matches), or nil when the route's own policy applies;
// a pass-through route has no rules.
func (c *Config) RuleFor(route *Route, client netip.Addr, sender string, rcpts []string) *Rule {
	return c.ruleFor(route, client, sender, rcpts, false)
}

// RuleAnyClient is RuleFor with every clients condition taken to hold:
// a dry run that does not know the sending server's address learns
// which rule would need it.
func (c *Config) RuleAnyClient(route *Route, sender string, rcpts []string) *Rule {
	return c.ruleFor(route, netip.Addr{}, sender, rcpts, true)
}

// PoliciesOf lists the policies a message on route may get: the route's
// own, then each rule's that may match there (in rule order, each once).
func (c *Config) PoliciesOf(route *Route) []string {
	names := []string{route.Policy}
	if route.Policy == PolicyNone {
		return names
	}
	for _, r := range c.Rules {
		if (len(r.Match.Route) == 0 || slices.Contains(r.Match.Route, route.Name)) && !slices.Contains(names, r.Policy) {
			names = append(names, r.Policy)
		}
	}
	return names
}

func (c *Config) ruleFor(route *Route, client netip.Addr, sender string, rcpts []string, anyClient bool) *Rule {
	if route.Policy == PolicyNone {
		return nil
	}
	sender = strings.ToLower(sender)
	for i := range c.Rules {
		if c.Rules[i].Match.matches(route.Name, client, sender, rcpts, anyClient) {
			return &c.Rules[i]
		}
	}
	return nil
}

func (m *Match) matches(route string, client netip.Addr, sender string, rcpts []string, anyClient bool) bool {
	if len(m.Route) > 0 && !slices.Contains(m.Route, route) {
		return false
	}
	if len(m.Clients) > 0 && !anyClient && !slices.ContainsFunc(m.Clients, func(p Prefix) bool { return p.Contains(client.Unmap()) }) {
		return false
	}
	if len(m.Sender) > 0 && !slices.Contains(m.Sender, sender) {
		return false
	}
	if len(m.SenderDomain) > 0 && !slices.Contains(m.SenderDomain, domainOf(sender)) {
		return false
	}
	if len(m.Recipient) == 0 && len(m.RecipientDomain) == 0 {
		return true
	}
	if len(rcpts) == 0 {
		return false
	}
	for _, rc := range rcpts {
		rc = strings.ToLower(rc)
		if len(m.Recipient) > 0 && !slices.Contains(m.Recipient, rc) {
			return false
		}
		if len(m.RecipientDomain) > 0 && !slices.Contains(m.RecipientDomain, domainOf(rc)) {
			return false
		}
	}
	return true
}

func domainOf(addr string) string {
	i := strings.LastIndexByte(addr, '@')
	if i < 0 {
		return ""
	}
	return strings.TrimSuffix(strings.ToLower(addr[i+1:]), ".")
}

// ShadowedBy returns, for rule i, the first rule before it that matches
// every message rule i matches, or -1: rule i then never picks its
// policy, however it is written (the first rule that matches wins).
// It is decided on the conditions as written, so a rule can be
// unreachable through a combination this does not see (two earlier
// rules each covering part of it); what it reports is always so.
func (c *Config) ShadowedBy(i int) int {
	b := &c.Rules[i].Match
	for j := 0; j < i; j++ {
		if c.Rules[j].Match.covers(b) {
			return j
		}
	}
	return -1
}

// covers reports whether every message b matches, a matches too.
func (a *Match) covers(b *Match) bool {
	return subset(b.Route, a.Route) &&
		addrsCovered(a.Sender, a.SenderDomain, b.Sender, b.SenderDomain) &&
		addrsCovered(a.Recipient, a.RecipientDomain, b.Recipient, b.RecipientDomain) &&
		clientsCovered(a.Clients, b.Clients)
}

// subset: a condition list a holds for every value b's allows; an empty
// list allows every value.
func subset(b, a []string) bool {
	if len(a) == 0 {
		return true
	}
	if len(b) == 0 {
		return false
	}
	for _, x := range b {
		if !slices.Contains(a, x) {
			return false
		}
	}
	return true
}

// addrsCovered: every address that b's address and domain lists admit
// (all its lists must hold) is admitted by a's. Recipients are each
// held to the lists, senders are one address: the same test serves.
func addrsCovered(aAddrs, aDomains, bAddrs, bDomains []string) bool {
	if len(aAddrs) > 0 && !subset(bAddrs, aAddrs) {
		return false
	}
	if len(aDomains) == 0 {
		return true
	}
	if len(bDomains) > 0 && subset(bDomains, aDomains) {
		return true
	}
	if len(bAddrs) == 0 {
		return false
	}
	for _, x := range bAddrs {
		if !slices.Contains(aDomains, domainOf(x)) {
			return false
		}
	}
	return true
}

// clientsCovered: every address in b's networks is in one of a's.
func clientsCovered(a, b []Prefix) bool {
	if len(a) == 0 {
		return true
	}
	if len(b) == 0 {
		return false
	}
	for _, pb := range b {
		if !slices.ContainsFunc(a, func(pa Prefix) bool {
			return pa.Addr().BitLen() == pb.Addr().BitLen() && pa.Bits() <= pb.Bits() && pa.Contains(pb.Addr())
		}) {
			return false
		}
	}
	return true
}
