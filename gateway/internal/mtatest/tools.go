package mtatest

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"testing"
)

// EnvRequire is the environment variable that turns a missing tool (or a
// missing root privilege for Postfix) from a skipped test into a failed one.
const EnvRequire = "MUGAI_REQUIRE_INTEROP"

// toolDirs are searched after $PATH: a non-login root shell or a CI job may
// not have the sbin directories in $PATH, and Postfix's daemons live
// outside it.
var toolDirs = []string{"/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/lib/postfix/sbin"}

// lookTool returns the path of tool, or "" when it is not installed.
func lookTool(tool string) string {
	if p, err := exec.LookPath(tool); err == nil {
		return p
	}
	for _, d := range toolDirs {
		p := filepath.Join(d, tool)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	return ""
}

// interopRequired reports whether MUGAI_REQUIRE_INTEROP=1.
func interopRequired() bool { return os.Getenv(EnvRequire) == "1" }

// unavailable skips t, or fails it when MUGAI_REQUIRE_INTEROP=1.
func unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if interopRequired() {
		t.Fatalf("mtatest: %s (%s=1 makes this a failure; install with: apt-get install postfix swaks)", msg, EnvRequire)
		return
	}
	t.Skipf("mtatest: %s (set %s=1 to fail instead)", msg, EnvRequire)
}

// Require skips t unless every named tool is installed (looked up in $PATH,
// then in /usr/sbin, /usr/bin, /sbin, /bin and /usr/lib/postfix/sbin).
// With MUGAI_REQUIRE_INTEROP=1 a missing tool fails the test instead.
// Tool names are program names: "smtp-sink", "smtp-source", "postfix",
// "sendmail", "postqueue", "swaks". StartSink, StartPostfix and Swaks call
// it themselves.
func Require(t testing.TB, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if lookTool(tool) == "" {
			unavailable(t, "%s is not installed", tool)
		}
	}
}

// requireRoot skips (or fails) t unless it runs as root: a Postfix master
// must start as root, and it drops privileges to mail_owner itself.
func requireRoot(t testing.TB, what string) {
	t.Helper()
	if os.Geteuid() != 0 {
		unavailable(t, "%s needs root (uid %d)", what, os.Geteuid())
	}
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
// It is picked below the kernel's ephemeral range
// (net.ipv4.ip_local_port_range, 32768-60999 by default): a server that a
// test stops and starts again on the same port would otherwise find it
// taken by some outgoing connection's local port meanwhile ("address
// already in use", seen in a Postfix restart).
func FreePort(t testing.TB) int {
	t.Helper()
	for range 200 {
		port := 20000 + rand.IntN(12000)
		ln, err := net.Listen("tcp4", LoopbackAddr(port))
		if err != nil {
			continue
		}
		if err := ln.Close(); err != nil {
			t.Fatalf("mtatest: free port: %v", err)
		}
		return port
	}
	t.Fatal("mtatest: no free port in 20000-31999")
	return 0
}

// LoopbackAddr returns "127.0.0.1:PORT".
func LoopbackAddr(port int) string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
}

// tempDir makes a directory for a server's files that unprivileged daemon
// users (postfix, nobody) can traverse: t.TempDir's directories are 0700
// and its parent too, so they cannot be used for files that Postfix or
// smtp-sink must reach after dropping root. It is removed by t.Cleanup
// (registered here, so it runs after cleanups registered later, i.e. after
// the server that uses it has been stopped).
func tempDir(t testing.TB, prefix string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "mugai-mtatest-"+prefix+"-")
	if err != nil {
		t.Fatalf("mtatest: temp dir: %v", err)
	}
	t.Cleanup(func() {
		if err := os.RemoveAll(dir); err != nil {
			t.Errorf("mtatest: remove %s: %v", dir, err)
		}
	})
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatalf("mtatest: temp dir: %v", err)
	}
	return dir
}

// lookupIDs returns the numeric uid and gid of a system user.
func lookupIDs(name string) (uid, gid int, err error) {
	u, err := user.Lookup(name)
	if err != nil {
		return 0, 0, fmt.Errorf("user %s: %w", name, err)
	}
	uid, err = strconv.Atoi(u.Uid)
	if err != nil {
		return 0, 0, fmt.Errorf("user %s: uid %q: %w", name, u.Uid, err)
	}
	gid, err = strconv.Atoi(u.Gid)
	if err != nil {
		return 0, 0, fmt.Errorf("user %s: gid %q: %w", name, u.Gid, err)
	}
	return uid, gid, nil
}

// lookupGroup returns the numeric gid of a system group.
func lookupGroup(name string) (int, error) {
	g, err := user.LookupGroup(name)
	if err != nil {
		return 0, fmt.Errorf("group %s: %w", name, err)
	}
	gid, err := strconv.Atoi(g.Gid)
	if err != nil {
		return 0, fmt.Errorf("group %s: gid %q: %w", name, g.Gid, err)
	}
	return gid, nil
}
