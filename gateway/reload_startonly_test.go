package gateway

import "testing"

// TestReloadStartOnly: a reload that changes what the gateway sets up
// only at a start is refused as a whole, saying what changed, and the
// configuration in force stays: a changed deliver.connections (the
// number of delivery workers) was taken as reloaded while the workers
// stayed as many, and a renamed route was refused as "listen addresses
// changed".
func TestReloadStartOnly(t *testing.T) {
	dir := t.TempDir()
	g := startGateway(t, gatewayConfig(t, dir, "", ""), true)
	for _, tt := range []struct {
		name string
		repl []string
		want string
	}{
		{"deliver.connections", []string{"retry: {initial: 1s", "connections: 2, retry: {initial: 1s"},
			"reload: route inbound: deliver.connections changed (8 to 2), which takes effect only at a start; restart mugai to apply"},
		{"a route renamed", []string{"name: inbound", "name: entrance"},
			"reload: route inbound is not in the new configuration (renamed, or removed as another was added); restart mugai to apply"},
		{"listen", []string{`listen: ["127.0.0.1:0"]`, `listen: ["127.0.0.2:0"]`},
			"reload: route inbound: listen addresses changed; restart mugai to apply"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			next := gatewayConfig(t, dir, "", "", tt.repl...)
			err := g.srv.Reload(next)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("Reload: %v\nwant: %s", err, tt.want)
			}
			if g.srv.Config() == next || g.srv.Config().Routes[0].Name != "inbound" || g.srv.Config().Routes[0].Deliver.Connections != 8 {
				t.Errorf("the refused configuration is in force: %+v", g.srv.Config().Routes[0])
			}
		})
	}
}
