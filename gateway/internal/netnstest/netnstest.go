package netnstest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Prefix starts the name of every namespace this package creates; Sweep
// removes stale namespaces with this prefix and nothing else.
const Prefix = "mugai-netnstest-"

// NetnsDir is where iproute2 keeps named network namespaces (bind mounts).
const NetnsDir = "/var/run/netns"

// Interface names inside the namespaces. The veths are created directly
// inside the namespaces (ip link add ... netns NS ... peer ... netns NS),
// so they never exist in the host namespace and never collide between runs.
const (
	InternetIf        = "eth-gw"   // in internet, towards gateway
	GatewayInternetIf = "eth-inet" // in gateway, internet side
	GatewayLGWANIf    = "eth-lgwan"
	LGWANIf           = "eth-gw" // in lgwan, towards gateway
)

// Addresses: TEST-NET-1 (RFC 5737) on the internet side, TEST-NET-2 on the
// LGWAN side. They exist only inside the namespaces, so parallel runs can
// share them.
var (
	InternetNet = netip.MustParsePrefix("192.0.2.0/24")
	LGWANNet    = netip.MustParsePrefix("198.51.100.0/24")
)

// envRequire makes a missing root, ip or netns support a failure, not a skip.
const envRequire = "MUGAI_REQUIRE_INTEROP"

// cmdTimeout bounds every ip invocation made while building or removing
// a topology.
const cmdTimeout = 10 * time.Second

// defaultDialTimeout is used when Dial is given a timeout ≤ 0: a dial to
// a dropped destination must still end.
const defaultDialTimeout = 5 * time.Second

// Topology is one test's three namespaces. All fields are set by New and
// must not be changed.
type Topology struct {
	ID string // unique per run: "<pid>.<process start time>-<random hex>"

	// Namespace names, for Command, Dial, Listen, Do and `ip netns exec`.
	Internet, Gateway, LGWAN string

	InternetAddr        netip.Addr // 192.0.2.2, in internet, default route via GatewayInternetAddr
	GatewayInternetAddr netip.Addr // 192.0.2.1, in gateway on GatewayInternetIf
	GatewayLGWANAddr    netip.Addr // 198.51.100.1, in gateway on GatewayLGWANIf
	LGWANAddr           netip.Addr // 198.51.100.2, in lgwan, default route via GatewayLGWANAddr

	tb      testing.TB
	created []string  // namespaces made so far, for cleanup of a half-built topology
	ids     []nsIdent // their identities, parallel to created
}

// New builds the topology and registers its removal with tb.Cleanup before
// creating anything, so a failure half-way, a failed test or a panic still
// removes every namespace and veth. It skips the test when not root, when
// ip is missing or when namespaces cannot be created, unless
// MUGAI_REQUIRE_INTEROP=1, in which case it fails. Stale namespaces from
// aborted runs are swept first.
func New(tb testing.TB) *Topology {
	tb.Helper()
	if os.Geteuid() != 0 {
		skipOrFail(tb, "netnstest: needs root to create network namespaces")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		skipOrFail(tb, "netnstest: iproute2 ip not found: "+err.Error())
	}
	if removed, err := Sweep(); err != nil {
		tb.Logf("netnstest: sweep: %v", err)
	} else if len(removed) > 0 {
		tb.Logf("netnstest: swept stale namespaces %v", removed)
	}
	id, err := runID()
	if err != nil {
		tb.Fatalf("netnstest: %v", err)
	}
	tp := &Topology{
		ID:                  id,
		Internet:            Prefix + id + "-internet",
		Gateway:             Prefix + id + "-gateway",
		LGWAN:               Prefix + id + "-lgwan",
		InternetAddr:        netip.MustParseAddr("192.0.2.2"),
		GatewayInternetAddr: netip.MustParseAddr("192.0.2.1"),
		GatewayLGWANAddr:    netip.MustParseAddr("198.51.100.1"),
		LGWANAddr:           netip.MustParseAddr("198.51.100.2"),
		tb:                  tb,
	}
	tb.Cleanup(tp.destroy)

	for _, ns := range []string{tp.Internet, tp.Gateway, tp.LGWAN} {
		if err := ip("netns", "add", ns); err != nil {
			// The first failure is most likely a missing capability
			// (an unprivileged container): the environment, not the code.
			if len(tp.created) == 0 {
				skipOrFail(tb, err.Error())
			}
			tb.Fatal(err)
		}
		id, err := nsID(NetnsDir + "/" + ns)
		tp.created = append(tp.created, ns)
		tp.ids = append(tp.ids, id)
		if err != nil {
			tb.Fatal(err)
		}
	}
	bits := strconv.Itoa(InternetNet.Bits())
	lbits := strconv.Itoa(LGWANNet.Bits())
	steps := [][]string{
		{"-n", tp.Internet, "link", "set", "lo", "up"},
		{"-n", tp.Gateway, "link", "set", "lo", "up"},
		{"-n", tp.LGWAN, "link", "set", "lo", "up"},
		{"link", "add", "name", InternetIf, "netns", tp.Internet, "type", "veth", "peer", "name", GatewayInternetIf, "netns", tp.Gateway},
		{"link", "add", "name", LGWANIf, "netns", tp.LGWAN, "type", "veth", "peer", "name", GatewayLGWANIf, "netns", tp.Gateway},
		{"-n", tp.Internet, "addr", "add", tp.InternetAddr.String() + "/" + bits, "dev", InternetIf},
		{"-n", tp.Gateway, "addr", "add", tp.GatewayInternetAddr.String() + "/" + bits, "dev", GatewayInternetIf},
		{"-n", tp.Gateway, "addr", "add", tp.GatewayLGWANAddr.String() + "/" + lbits, "dev", GatewayLGWANIf},
		{"-n", tp.LGWAN, "addr", "add", tp.LGWANAddr.String() + "/" + lbits, "dev", LGWANIf},
		{"-n", tp.Internet, "link", "set", InternetIf, "up"},
		{"-n", tp.Gateway, "link", "set", GatewayInternetIf, "up"},
		{"-n", tp.Gateway, "link", "set", GatewayLGWANIf, "up"},
		{"-n", tp.LGWAN, "link", "set", LGWANIf, "up"},
		// Default routes towards the gateway: were forwarding on, packets
		// would cross, so a failed dial proves forwarding is off rather
		// than a route missing.
		{"-n", tp.Internet, "route", "add", "default", "via", tp.GatewayInternetAddr.String()},
		{"-n", tp.LGWAN, "route", "add", "default", "via", tp.GatewayLGWANAddr.String()},
	}
	for _, s := range steps {
		if err := ip(s...); err != nil {
			tb.Fatal(err)
		}
	}
	// Forwarding off explicitly, whatever a new namespace inherits
	// (net.core.devconf_inherit_init_net can copy the host's settings).
	for _, f := range []string{"/proc/sys/net/ipv4/ip_forward", "/proc/sys/net/ipv6/conf/all/forwarding"} {
		if err := tp.Do(tp.Gateway, func() error { return writeSysctl(f, "0") }); err != nil {
			tb.Fatalf("netnstest: %s: %v", tp.Gateway, err)
		}
	}
	return tp
}

func skipOrFail(tb testing.TB, msg string) {
	tb.Helper()
	if os.Getenv(envRequire) == "1" {
		tb.Fatalf("%s (%s=1)", msg, envRequire)
	}
	tb.Skipf("%s (set %s=1 to fail instead)", msg, envRequire)
}

// writeSysctl writes a /proc/sys/net file; the kernel resolves it in the
// network namespace of the calling thread, so call it inside Do.
func writeSysctl(path, v string) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(v); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}

// Namespaces returns the three namespace names: internet, gateway, lgwan.
func (tp *Topology) Namespaces() []string {
	return []string{tp.Internet, tp.Gateway, tp.LGWAN}
}

func (tp *Topology) check(ns string) error {
	for _, n := range tp.Namespaces() {
		if n == ns {
			return nil
		}
	}
	return fmt.Errorf("netnstest: %q is not a namespace of topology %s", ns, tp.ID)
}

// Command returns `ip netns exec NS name args...`, not started. It is
// bound to the test's context, so it is killed when the test ends, and
// destroy kills anything still inside the namespace afterwards. For a
// namespace not in this topology, Start returns an error.
func (tp *Topology) Command(ns, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(tp.tb.Context(), "ip", append([]string{"netns", "exec", ns, name}, args...)...)
	cmd.WaitDelay = 5 * time.Second
	if err := tp.check(ns); err != nil {
		cmd.Err = err
	}
	return cmd
}

// Do runs fn on an OS thread that is inside namespace ns, and returns
// fn's error. Every socket fn creates belongs to ns for its whole life,
// whatever thread later uses it — but only sockets fn creates itself,
// synchronously: goroutines started by fn run on other threads, in the
// test's own namespace.
//
// How: a new goroutine locks its OS thread, setns(2)s it into ns, checks
// that the thread now really is in ns, runs fn, and setns(2)s back. Only
// when the way back is verified is the thread unlocked; otherwise the
// goroutine exits still locked and the Go runtime discards the thread, so
// no other goroutine can ever run in the wrong namespace. Since Go 1.10 the
// runtime never clones new threads from a locked thread, so the changed
// namespace cannot leak to new threads either.
func (tp *Topology) Do(ns string, fn func() error) error {
	if err := tp.check(ns); err != nil {
		return err
	}
	type result struct{ fnErr, err error }
	done := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		fnErr, err, restored := inNetns(NetnsDir+"/"+ns, fn)
		if restored {
			runtime.UnlockOSThread()
		}
		done <- result{fnErr, err}
	}()
	r := <-done
	if r.err != nil {
		return fmt.Errorf("netnstest: in %s: %w", ns, r.err)
	}
	return r.fnErr
}

// inNetns must run on a locked thread. restored reports whether the thread
// is verified to be back in its original namespace.
func inNetns(path string, fn func() error) (fnErr, err error, restored bool) {
	const self = "/proc/thread-self/ns/net"
	orig, err := os.Open(self)
	if err != nil {
		return nil, err, true
	}
	defer orig.Close()
	origID, err := nsID(self)
	if err != nil {
		return nil, err, true
	}
	target, err := os.Open(path)
	if err != nil {
		return nil, err, true
	}
	defer target.Close()
	targetID, err := nsID(path)
	if err != nil {
		return nil, err, true
	}
	if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
		return nil, fmt.Errorf("setns %s: %w", path, err), true
	}
	restore := func() bool {
		if unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET) != nil {
			return false
		}
		id, err := nsID(self)
		return err == nil && id == origID
	}
	if id, err := nsID(self); err != nil || id != targetID {
		return nil, fmt.Errorf("setns %s: thread is not in the namespace afterwards (%v)", path, err), restore()
	}
	defer func() {
		restored = restore()
		if !restored && err == nil {
			err = errors.New("could not return to the original namespace; thread discarded")
		}
	}()
	return fn(), nil, false
}

type nsIdent struct{ dev, ino uint64 }

func nsID(path string) (nsIdent, error) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return nsIdent{}, fmt.Errorf("stat %s: %w", path, err)
	}
	return nsIdent{st.Dev, st.Ino}, nil
}

// Dial opens a TCP connection from inside namespace ns to addr, an IP
// literal with port ("198.51.100.2:25"); host names are refused, so no
// resolver traffic is ever sent. The destination must be loopback or in
// InternetNet or LGWANNet, so nothing is ever sent outside the
// namespaces. timeout bounds the connect (≤ 0 means 5s). A destination
// behind the gateway is silently dropped while forwarding is off (the
// kernel sends no ICMP when it does not forward), so expect a timeout
// error there, not "connection refused".
func (tp *Topology) Dial(ns, addr string, timeout time.Duration) (net.Conn, error) {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return nil, fmt.Errorf("netnstest: dial %s: want IP:port: %w", addr, err)
	}
	dst := ap.Addr().Unmap()
	if !dst.IsLoopback() && !InternetNet.Contains(dst) && !LGWANNet.Contains(dst) {
		return nil, fmt.Errorf("netnstest: dial %s: destination outside the test subnets and loopback", addr)
	}
	if timeout <= 0 {
		timeout = defaultDialTimeout
	}
	var c net.Conn
	err = tp.Do(ns, func() error {
		// An IP literal of one family: net.Dialer connects in this
		// goroutine (no resolver, no parallel fallback goroutine).
		d := net.Dialer{Timeout: timeout}
		var err error
		c, err = d.Dial("tcp", ap.String())
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("netnstest: dial %s from %s: %w", addr, ns, err)
	}
	return c, nil
}

// Listen opens a TCP listener inside namespace ns on addr (IP literal and
// port, port 0 for any; "0.0.0.0:0" for every address of ns). Accept,
// and everything done with accepted connections, may run on any goroutine:
// pass it to (*smtp.Server).Serve to run a go-smtp sink in ns:
//
//	ln, err := tp.Listen(tp.LGWAN, netip.AddrPortFrom(tp.LGWANAddr, 25).String())
//	go srv.Serve(ln) // srv is a *smtp.Server; its sessions run in lgwan
//
// The listener is closed when the test ends.
func (tp *Topology) Listen(ns, addr string) (net.Listener, error) {
	return tp.listen(ns, "", addr)
}

// ListenDevice is Listen with SO_BINDTODEVICE to interface dev of ns: the
// socket then only sees connections that arrive on dev. A plain bind to an
// address does not do that on Linux (weak host model): a packet for the
// gateway's LGWAN-side address that arrives on its internet side is
// delivered locally even with forwarding off.
func (tp *Topology) ListenDevice(ns, dev, addr string) (net.Listener, error) {
	if dev == "" {
		return nil, fmt.Errorf("netnstest: listen %s in %s: empty device", addr, ns)
	}
	return tp.listen(ns, dev, addr)
}

func (tp *Topology) listen(ns, dev, addr string) (net.Listener, error) {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return nil, fmt.Errorf("netnstest: listen %s: want IP:port: %w", addr, err)
	}
	lc := net.ListenConfig{}
	if dev != "" {
		lc.Control = func(_, _ string, rc syscall.RawConn) error {
			var serr error
			if err := rc.Control(func(fd uintptr) {
				serr = unix.BindToDevice(int(fd), dev)
			}); err != nil {
				return err
			}
			if serr != nil {
				return fmt.Errorf("SO_BINDTODEVICE %s: %w", dev, serr)
			}
			return nil
		}
	}
	var ln net.Listener
	err = tp.Do(ns, func() error {
		var err error
		ln, err = lc.Listen(context.Background(), "tcp", ap.String())
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("netnstest: listen %s in %s: %w", addr, ns, err)
	}
	tp.tb.Cleanup(func() { ln.Close() })
	return ln, nil
}

// destroy removes everything New created. It is registered first, so it
// runs last, after the test's own cleanups.
func (tp *Topology) destroy() {
	for i, ns := range tp.created {
		if err := killProcesses(ns, tp.ids[i]); err != nil {
			tp.tb.Errorf("netnstest: cleanup: %v", err)
		}
	}
	if len(tp.created) == 3 {
		// Delete the veths explicitly (deleting one end removes its peer):
		// a socket still open somewhere keeps a namespace alive after its
		// name is gone, and its veths with it.
		for _, dev := range []string{GatewayInternetIf, GatewayLGWANIf} {
			if err := ip("-n", tp.Gateway, "link", "del", dev); err != nil && !strings.Contains(err.Error(), "Cannot find device") {
				tp.tb.Errorf("netnstest: cleanup: %v", err)
			}
		}
	}
	for i, ns := range tp.created {
		if err := ip("netns", "del", ns); err != nil {
			tp.tb.Errorf("netnstest: cleanup: %v", err)
		}
		if _, err := os.Stat(NetnsDir + "/" + ns); !errors.Is(err, os.ErrNotExist) {
			tp.tb.Errorf("netnstest: cleanup: namespace %s still present (%v)", ns, err)
		}
		// Again after the name is gone, for a process that was entering
		// the namespace (ip netns exec holding it open) during the first pass.
		if err := killProcesses(ns, tp.ids[i]); err != nil {
			tp.tb.Errorf("netnstest: cleanup: %v", err)
		}
	}
}

// killProcesses SIGKILLs every process whose network namespace is id (a
// server started with Command and never stopped), never this process
// itself. It scans /proc like `ip netns pids`, but by identity, so it also
// works once the name is gone.
func killProcesses(ns string, id nsIdent) error {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return fmt.Errorf("kill processes in %s: %w", ns, err)
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		if got, err := nsID("/proc/" + e.Name() + "/ns/net"); err != nil || got != id {
			continue // gone meanwhile, or elsewhere
		}
		if err := unix.Kill(pid, unix.SIGKILL); err != nil && !errors.Is(err, unix.ESRCH) {
			return fmt.Errorf("kill %d in %s: %w", pid, ns, err)
		}
	}
	return nil
}

// Sweep removes namespaces with Prefix whose owning test process (pid and
// start time are part of the name) no longer runs, killing any process
// left inside them first. Namespaces of live runs, including parallel
// ones, are left alone. It returns the names removed.
func Sweep() ([]string, error) {
	entries, err := os.ReadDir(NetnsDir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("netnstest: sweep: %w", err)
	}
	var removed []string
	var errs []error
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, Prefix) || ownerAlive(name) {
			continue
		}
		id, idErr := nsID(NetnsDir + "/" + name) // fails for a half-made namespace: nothing inside
		if idErr == nil {
			if err := killProcesses(name, id); err != nil {
				errs = append(errs, err)
			}
		}
		if err := ip("netns", "del", name); err != nil {
			// Another run's Sweep may have removed it meanwhile.
			if _, serr := os.Stat(NetnsDir + "/" + name); !errors.Is(serr, os.ErrNotExist) {
				errs = append(errs, err)
			}
			continue
		}
		removed = append(removed, name)
		if idErr == nil {
			if err := killProcesses(name, id); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return removed, fmt.Errorf("netnstest: sweep: %w", err)
	}
	return removed, nil
}

// ownerAlive parses "<Prefix><pid>.<start>-<rand>-<role>" and reports
// whether that process still runs. Names it cannot parse are stale.
func ownerAlive(name string) bool {
	owner, _, _ := strings.Cut(strings.TrimPrefix(name, Prefix), "-")
	pidS, start, ok := strings.Cut(owner, ".")
	if !ok {
		return false
	}
	pid, err := strconv.Atoi(pidS)
	if err != nil || pid <= 0 {
		return false
	}
	got, err := procStart(pid)
	return err == nil && got == start
}

// runID is "<pid>.<start time>-<random>": pid and start time together
// name this process uniquely for the life of the machine's boot (a pid
// alone is reused, even by the next run in a fresh container), so Sweep
// can tell a live run from an aborted one.
func runID() (string, error) {
	start, err := procStart(os.Getpid())
	if err != nil {
		return "", err
	}
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return fmt.Sprintf("%d.%s-%s", os.Getpid(), start, hex.EncodeToString(b)), nil
}

// procStart returns field 22 of /proc/PID/stat, the start time in clock
// ticks since boot.
func procStart(pid int) (string, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return "", err
	}
	// The command name (field 2) is in parentheses and may hold spaces.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return "", fmt.Errorf("/proc/%d/stat: no command field", pid)
	}
	f := strings.Fields(string(b[i+1:])) // f[0] is field 3
	if len(f) < 20 {
		return "", fmt.Errorf("/proc/%d/stat: short", pid)
	}
	return f[19], nil
}

func ip(args ...string) error {
	_, err := ipOutput(args...)
	return err
}

func ipOutput(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "ip", args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("ip %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}
