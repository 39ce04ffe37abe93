package netnstest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// dropTimeout bounds dials that are expected to be dropped silently.
const dropTimeout = 1500 * time.Millisecond

// banner starts a server on ln that greets each connection with name and
// closes it, so a dial proves which listener it reached.
func banner(t *testing.T, ln net.Listener, name string) {
	t.Helper()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.SetDeadline(time.Now().Add(5 * time.Second))
			fmt.Fprintf(c, "220 %s\r\n", name)
			c.Close()
		}
	}()
}

func listenBanner(t *testing.T, tp *Topology, ns, dev, addr, name string) string {
	t.Helper()
	var ln net.Listener
	var err error
	if dev == "" {
		ln, err = tp.Listen(ns, addr)
	} else {
		ln, err = tp.ListenDevice(ns, dev, addr)
	}
	if err != nil {
		t.Fatal(err)
	}
	banner(t, ln, name)
	return ln.Addr().String()
}

type outcome int

const (
	reached outcome = iota
	dropped         // connect timed out: packets silently discarded
	refused         // RST
)

func (o outcome) String() string {
	return [...]string{"reached", "dropped (timeout)", "refused"}[o]
}

// probe dials and classifies the result; on success it returns the
// greeting so the caller can check which listener answered.
func probe(tp *Topology, from, addr string) (outcome, string, error) {
	c, err := tp.Dial(from, addr, dropTimeout)
	if err != nil {
		var ne net.Error
		switch {
		case errors.As(err, &ne) && ne.Timeout():
			return dropped, "", nil
		case errors.Is(err, syscall.ECONNREFUSED):
			return refused, "", nil
		}
		return 0, "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return 0, "", fmt.Errorf("read greeting from %s: %w", addr, err)
	}
	return reached, strings.TrimPrefix(strings.TrimSpace(line), "220 "), nil
}

func TestTopology(t *testing.T) {
	tp := New(t)

	t.Run("configuration", func(t *testing.T) {
		// Read back through `ip netns exec`, independently of Do.
		tests := []struct {
			ns   string
			cmd  []string
			want string
		}{
			{tp.Gateway, []string{"cat", "/proc/sys/net/ipv4/ip_forward"}, "0"},
			{tp.Gateway, []string{"cat", "/proc/sys/net/ipv6/conf/all/forwarding"}, "0"},
			{tp.Internet, []string{"ip", "-4", "route", "show", "default"}, "default via 192.0.2.1 dev " + InternetIf},
			{tp.LGWAN, []string{"ip", "-4", "route", "show", "default"}, "default via 198.51.100.1 dev " + LGWANIf},
			{tp.Gateway, []string{"ip", "-4", "-o", "addr", "show", "dev", GatewayInternetIf}, "inet 192.0.2.1/24"},
			{tp.Gateway, []string{"ip", "-4", "-o", "addr", "show", "dev", GatewayLGWANIf}, "inet 198.51.100.1/24"},
			{tp.Internet, []string{"ip", "-o", "link", "show", "lo"}, "UP"},
			{tp.Gateway, []string{"ip", "-o", "link", "show", "lo"}, "UP"},
			{tp.LGWAN, []string{"ip", "-o", "link", "show", "lo"}, "UP"},
		}
		for _, tc := range tests {
			t.Run(strings.Join(tc.cmd, " ")+" in "+tc.ns, func(t *testing.T) {
				out, err := tp.Command(tc.ns, tc.cmd[0], tc.cmd[1:]...).CombinedOutput()
				if err != nil {
					t.Fatalf("%v: %s", err, out)
				}
				if !strings.Contains(string(out), tc.want) {
					t.Errorf("got %q, want it to contain %q", out, tc.want)
				}
			})
		}
		// The host's own namespace has none of it.
		out, err := exec.Command("ip", "-o", "link", "show").CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		for _, dev := range []string{GatewayInternetIf, GatewayLGWANIf, InternetIf} {
			if strings.Contains(string(out), " "+dev+"@") || strings.Contains(string(out), " "+dev+":") {
				t.Errorf("veth %s visible in the host namespace: %s", dev, out)
			}
		}
	})

	port := func(a netip.Addr) string { return netip.AddrPortFrom(a, 0).String() }
	internetHost := listenBanner(t, tp, tp.Internet, "", port(tp.InternetAddr), "internet-host")
	gwInet := listenBanner(t, tp, tp.Gateway, "", port(tp.GatewayInternetAddr), "gateway-internet-side")
	gwLGWAN := listenBanner(t, tp, tp.Gateway, "", port(tp.GatewayLGWANAddr), "gateway-lgwan-side")
	gwLGWANDev := listenBanner(t, tp, tp.Gateway, GatewayLGWANIf, port(tp.GatewayLGWANAddr), "gateway-lgwan-side-bound")
	lgwanHost := listenBanner(t, tp, tp.LGWAN, "", port(tp.LGWANAddr), "lgwan-host")
	lgwanAny := listenBanner(t, tp, tp.LGWAN, "", "0.0.0.0:0", "lgwan-any")
	_, lgwanAnyPort, _ := net.SplitHostPort(lgwanAny)
	lgwanLoop := listenBanner(t, tp, tp.LGWAN, "", "127.0.0.1:0", "lgwan-loopback")

	tests := []struct {
		name     string
		from, to string
		want     outcome
		greeting string
	}{
		{"internet reaches gateway internet side", tp.Internet, gwInet, reached, "gateway-internet-side"},
		{"internet cannot reach lgwan host (forwarding off)", tp.Internet, lgwanHost, dropped, ""},
		{"internet cannot reach lgwan wildcard listener", tp.Internet, net.JoinHostPort(tp.LGWANAddr.String(), lgwanAnyPort), dropped, ""},
		{"lgwan cannot reach internet host (forwarding off)", tp.LGWAN, internetHost, dropped, ""},
		{"gateway reaches internet host", tp.Gateway, internetHost, reached, "internet-host"},
		{"gateway reaches lgwan host", tp.Gateway, lgwanHost, reached, "lgwan-host"},
		{"lgwan reaches gateway lgwan side", tp.LGWAN, gwLGWAN, reached, "gateway-lgwan-side"},
		// Linux is a weak host: with forwarding off, a packet for the
		// gateway's LGWAN-side address arriving on its internet side is
		// still delivered locally. Binding to the address is not enough to
		// hide a listener from the internet; SO_BINDTODEVICE is.
		{"internet reaches gateway lgwan-side address bound without device (weak host)", tp.Internet, gwLGWAN, reached, "gateway-lgwan-side"},
		{"internet refused by gateway lgwan-side listener bound to device", tp.Internet, gwLGWANDev, refused, ""},
		{"lgwan reaches gateway lgwan-side listener bound to device", tp.LGWAN, gwLGWANDev, reached, "gateway-lgwan-side-bound"},
		// Loopbacks are per namespace: Dial really runs in the namespace asked for.
		{"lgwan reaches its own loopback", tp.LGWAN, lgwanLoop, reached, "lgwan-loopback"},
		{"gateway loopback is not lgwan loopback", tp.Gateway, lgwanLoop, refused, ""},
	}
	t.Run("reachability", func(t *testing.T) {
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				got, greeting, err := probe(tp, tc.from, tc.to)
				if err != nil {
					t.Fatal(err)
				}
				if got != tc.want || greeting != tc.greeting {
					t.Errorf("dial %s from %s: %v %q, want %v %q", tc.to, tc.from, got, greeting, tc.want, tc.greeting)
				}
			})
		}
	})

	t.Run("dial refuses destinations outside the namespaces", func(t *testing.T) {
		for _, addr := range []string{"203.0.113.1:25", "8.8.8.8:53", "localhost:25", "[2001:db8::1]:25", "192.0.2.1"} {
			if c, err := tp.Dial(tp.Internet, addr, time.Second); err == nil {
				c.Close()
				t.Errorf("Dial(%s) succeeded", addr)
			}
		}
	})

	t.Run("unknown namespace refused", func(t *testing.T) {
		if err := tp.Command("mugai-not-ours", "true").Run(); err == nil {
			t.Error("Command in a foreign namespace ran")
		}
		if _, err := tp.Dial("mugai-not-ours", tp.GatewayInternetAddr.String()+":25", time.Second); err == nil {
			t.Error("Dial from a foreign namespace succeeded")
		}
	})
}

// TestForwardingControl turns forwarding on in a second topology and shows
// that the dial TestTopology expects to be dropped then succeeds: the
// routes are in place, so only forwarding stops it.
func TestForwardingControl(t *testing.T) {
	tp := New(t)
	lgwanHost := listenBanner(t, tp, tp.LGWAN, "", netip.AddrPortFrom(tp.LGWANAddr, 0).String(), "lgwan-host")
	internetHost := listenBanner(t, tp, tp.Internet, "", netip.AddrPortFrom(tp.InternetAddr, 0).String(), "internet-host")

	setForward := func(v string) {
		t.Helper()
		out, err := tp.Command(tp.Gateway, "sh", "-c", "echo "+v+" > /proc/sys/net/ipv4/ip_forward").CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %s", err, out)
		}
	}
	for _, step := range []struct {
		forward string
		want    outcome
	}{{"1", reached}, {"0", dropped}} {
		setForward(step.forward)
		for _, d := range []struct{ from, to string }{{tp.Internet, lgwanHost}, {tp.LGWAN, internetHost}} {
			got, _, err := probe(tp, d.from, d.to)
			if err != nil {
				t.Fatal(err)
			}
			if got != step.want {
				t.Errorf("ip_forward=%s: dial %s from %s: %v, want %v", step.forward, d.to, d.from, got, step.want)
			}
		}
	}
}

func nsExists(name string) bool {
	_, err := os.Stat(NetnsDir + "/" + name)
	return err == nil
}

func TestCleanup(t *testing.T) {
	var names []string
	var sleeper *exec.Cmd
	t.Run("topology", func(t *testing.T) {
		tp := New(t)
		names = tp.Namespaces()
		for _, n := range names {
			if !nsExists(n) {
				t.Fatalf("namespace %s missing while the test runs", n)
			}
		}
		if _, err := tp.Listen(tp.Gateway, "192.0.2.1:0"); err != nil {
			t.Fatal(err)
		}
		// A process left running in a namespace must not keep it alive.
		sleeper = tp.Command(tp.LGWAN, "sleep", "300")
		if err := sleeper.Start(); err != nil {
			t.Fatal(err)
		}
	})
	for _, n := range names {
		if nsExists(n) {
			t.Errorf("namespace %s still present after cleanup", n)
		}
	}
	done := make(chan error, 1)
	go func() { done <- sleeper.Wait() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Errorf("process %d in the namespace still running after cleanup", sleeper.Process.Pid)
	}
}

// childEnv selects the behaviour of TestChild when this test binary is
// re-run as a child process.
const childEnv = "NETNSTEST_CHILD"

// TestChild is run only as a child of TestAbortedRuns: it builds a
// topology, prints the namespace names and a pid running inside one, then
// fails, panics or waits to be killed.
func TestChild(t *testing.T) {
	mode := os.Getenv(childEnv)
	if mode == "" {
		t.Skip("helper for TestAbortedRuns")
	}
	tp := New(t)
	cmd := tp.Command(tp.Gateway, "sleep", "300")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait until ip netns exec has entered the namespace: a process still
	// on its way in when its run is killed can escape Sweep (ip holds the
	// namespace open) and would make the check below flaky.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		out, err := ipOutput("netns", "pids", tp.Gateway)
		if err != nil {
			t.Fatal(err)
		}
		if contains(strings.Fields(out), strconv.Itoa(cmd.Process.Pid)) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("process %d never entered %s", cmd.Process.Pid, tp.Gateway)
		}
	}
	fmt.Printf("NAMES %s %d\n", strings.Join(tp.Namespaces(), " "), cmd.Process.Pid)
	switch mode {
	case "fatal":
		t.Fatal("failing on purpose")
	case "panic":
		panic("panicking on purpose")
	case "kill":
		time.Sleep(time.Minute) // killed by the parent long before
	}
}

func procGone(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	// A killed orphan may linger as a zombie if nobody reaps it.
	i := strings.LastIndexByte(string(b), ')')
	return i >= 0 && strings.HasPrefix(string(b[i+1:]), " Z")
}

// TestAbortedRuns runs TestChild in a child process: a failing or
// panicking test still removes its namespaces; a killed one leaves them,
// and Sweep removes them (and the process left inside) while leaving a
// live run's namespaces alone.
func TestAbortedRuns(t *testing.T) {
	live := New(t) // must survive every Sweep below
	for _, mode := range []string{"fatal", "panic", "kill"} {
		t.Run(mode, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestChild$", "-test.count=1")
			cmd.Env = append(os.Environ(), childEnv+"="+mode, envRequire+"=1")
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			var stderr strings.Builder
			cmd.Stderr = &stderr
			defer func() {
				if t.Failed() {
					t.Logf("child stderr:\n%s", stderr.String())
				}
			}()
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			var names []string
			pid := 0
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				if f := strings.Fields(sc.Text()); len(f) == 5 && f[0] == "NAMES" {
					names = f[1:4]
					pid, _ = strconv.Atoi(f[4])
					break
				}
			}
			if names == nil {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatal("child printed no namespace names")
			}
			if mode == "kill" {
				cmd.Process.Kill()
			}
			go io.Copy(io.Discard, stdout)
			if err := cmd.Wait(); err == nil {
				t.Fatal("child succeeded; it should have failed or been killed")
			}
			if mode == "kill" {
				for _, n := range names {
					if !nsExists(n) {
						t.Skipf("namespace %s of the killed run already gone: swept by a concurrent run", n)
					}
				}
				removed, err := Sweep()
				if err != nil {
					t.Fatal(err)
				}
				// Each name is reported unless a concurrent run's Sweep
				// took it first; nothing live is ever reported.
				for _, n := range removed {
					if contains(live.Namespaces(), n) || !strings.HasPrefix(n, Prefix) {
						t.Errorf("Sweep removed %s", n)
					}
				}
			}
			for _, n := range names {
				if nsExists(n) {
					t.Errorf("namespace %s still present", n)
				}
			}
			deadline := time.Now().Add(10 * time.Second)
			for !procGone(pid) && time.Now().Before(deadline) {
				time.Sleep(50 * time.Millisecond)
			}
			if !procGone(pid) {
				t.Errorf("process %d left in the namespace still runs", pid)
			}
			for _, n := range live.Namespaces() {
				if !nsExists(n) {
					t.Fatalf("live namespace %s was removed", n)
				}
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
