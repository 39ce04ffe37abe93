package gateway

import "mugai/config"

// lockdownPolicy is p with every attachment stripped and every link
// removed: the emergency mode (緊急時対応) of a sanitising route.
func lockdownPolicy(p config.Policy) config.Policy {
	p.Attachments.Default = "strip"
	p.Attachments.Keep = nil
	p.Body.Links = "remove"
	return p
}
