// Package netnstest builds, for one test, three Linux network namespaces
// — internet, gateway and lgwan — joined by two veth pairs, with IP
// forwarding off in gateway and default routes in internet and lgwan
// pointing at the gateway, so that a test can prove mugai is the only path
// between the segments (issue 8, segmentation proof). It runs commands,
// dials and listens from inside those namespaces and removes them, with
// their veths and any process left in them, when the test ends, fails or
// panics; Sweep removes what aborted runs left behind. It is imported only
// by _test.go files, needs root and iproute2's ip, and deliberately
// configures nothing beyond addresses, routes and the forwarding sysctl:
// no firewall, no policy routing, no strong-host setting, so what a test
// shows about reachability is what a plain dual-homed Linux host does.
// Traffic never leaves the namespaces: Dial refuses any destination
// outside the two test subnets and loopback.
package netnstest
