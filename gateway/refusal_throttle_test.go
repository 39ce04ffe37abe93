package gateway

import (
	"net/netip"
	"testing"
	"time"
)

// TestRefusalThrottle: the log lines of refusals are throttled per
// client as the connection limits count one (clientBlock): an IPv6 host
// has a /64 and may send from any address of it, so counted by address
// it would get a line a second for each address it takes, and a new
// connection from a new address would always be logged. Nor may a
// client with many addresses flush what the throttle remembers.
func TestRefusalThrottle(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	type call struct {
		addr string // "" for a client that is no IP address
		at   time.Duration
		want bool
	}
	for _, tc := range []struct {
		name  string
		calls []call
	}{
		{"one IPv4 address", []call{{"192.0.2.1", 0, true}, {"192.0.2.1", 500 * time.Millisecond, false}, {"192.0.2.1", time.Second, true}}},
		{"two IPv4 addresses", []call{{"192.0.2.1", 0, true}, {"192.0.2.2", 0, true}}},
		{"one IPv6 /64", []call{{"2001:db8::1", 0, true}, {"2001:db8::2", 1, false}, {"2001:db8::ffff:1", 2, false}, {"2001:db8::3", time.Second, true}}},
		{"two IPv6 /64s", []call{{"2001:db8::1", 0, true}, {"2001:db8:0:1::1", 0, true}}},
		{"not an IP", []call{{"", 0, true}, {"", 1, false}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var th refusalThrottle
			for i, c := range tc.calls {
				var ip netip.Addr
				if c.addr != "" {
					ip = netip.MustParseAddr(c.addr)
				}
				if got := th.allowAddr(ip, t0.Add(c.at)); got != c.want {
					t.Errorf("call %d (%q at %v): allowed %v, want %v", i, c.addr, c.at, got, c.want)
				}
			}
		})
	}

	// A client cycling through more addresses than the throttle
	// remembers (here /64s of one /48) must not flush it: within a
	// second at most refusalMaxClients lines get through, however many
	// times it goes round.
	t.Run("cycling past the table", func(t *testing.T) {
		var th refusalThrottle
		allowed := 0
		for round := 0; round < 3; round++ {
			for i := 0; i <= refusalMaxClients; i++ {
				ip := netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0, 0, byte(i >> 8), byte(i), 15: 1})
				if th.allowAddr(ip, t0.Add(time.Duration(round)*time.Millisecond)) {
					allowed++
				}
			}
		}
		if allowed > refusalMaxClients {
			t.Errorf("%d lines let through within a second, want at most %d", allowed, refusalMaxClients)
		}
		// Once the second has passed, the entries are stale and a
		// client is logged again.
		if !th.allowAddr(netip.MustParseAddr("192.0.2.9"), t0.Add(time.Second+time.Millisecond)) {
			t.Error("a new client a second later: not allowed")
		}
	})
}
