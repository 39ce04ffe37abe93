package gateway

import (
	"sync"

	"mugai/config"
	"mugai/sanitize"
)

// preparedPolicies holds the policies of one configuration made ready
// for the sanitiser (sanitize.Prepare), so that a message does not pay
// for normalising its policy; a reload brings a new set.
type preparedPolicies struct {
	cfg *config.Config
	mu  sync.Mutex
	m   map[preparedKey]*sanitize.Prepared
}

type preparedKey struct {
	name     string
	lockdown bool
}

// preparedPolicy returns cfg's policy name, in its lockdown form when
// lockdown is set, prepared. Sessions still running on the configuration
// before a reload get theirs prepared from that configuration.
func (srv *Server) preparedPolicy(cfg *config.Config, name string, lockdown bool) *sanitize.Prepared {
	set := srv.prepared.Load()
	if set == nil || set.cfg != cfg {
		fresh := &preparedPolicies{cfg: cfg, m: map[preparedKey]*sanitize.Prepared{}}
		srv.prepared.CompareAndSwap(set, fresh)
		set = fresh
	}
	k := preparedKey{name, lockdown}
	set.mu.Lock()
	defer set.mu.Unlock()
	p := set.m[k]
	if p == nil {
		pol := cfg.Policies[name]
		if lockdown {
			pol = LockdownPolicy(pol)
		}
		p = sanitize.Prepare(pol)
		set.m[k] = p
	}
	return p
}
