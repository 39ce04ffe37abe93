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
// could add one matching recipient to get a relaxed policy for all.
// client is the address the message came from (invalid when unknown,
// which no clients condition matches).
func (c *Config) PolicyFor(route *Route, client netip.Addr, sender string, rcpts []string) string {
	if r := c.RuleFor(route, client, sender, rcpts); r != nil {
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
