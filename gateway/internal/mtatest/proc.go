package mtatest

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// proc is a long-running child process (a server) with its exit observed
// by one goroutine.
type proc struct {
	cmd        *exec.Cmd
	name       string        // for messages
	done       chan struct{} // closed when the process has exited and been reaped
	err        error         // Wait's result, valid after done
	stderrPath string
	stdin      *os.File // write end of the child's stdin when stopped by EOF
}

// procSpec says how to start a proc.
type procSpec struct {
	path string
	args []string
	// cred, when non-nil, runs the child as another user. Go switches
	// before exec, which keeps the parent-death signal; a program that
	// switches itself (smtp-sink -u) loses it, as the kernel clears it on
	// every change of (effective) credentials.
	cred *syscall.Credential
	// stdout receives the child's stdout; nil discards it.
	stdout *os.File
	// stderrPath is a file for the child's stderr (a file, not a pipe: a
	// daemon's children may inherit it and outlive it, and exec.Cmd.Wait
	// would wait for them).
	stderrPath string
	// stopByEOF gives the child a pipe as stdin and stops it by closing
	// the pipe instead of SIGTERM: the pipe also closes when the test
	// binary dies, for a child that would not keep a parent-death signal.
	stopByEOF bool
}

// startProc starts a child that is stopped if the test binary dies
// without running its cleanups (SIGKILL, go test's -timeout panic): by a
// parent-death SIGTERM, or by EOF on its stdin with stopByEOF.
func startProc(spec procSpec) (*proc, error) {
	name := filepath.Base(spec.path)
	errFile, err := os.OpenFile(spec.stderrPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	defer errFile.Close()
	cmd := exec.Command(spec.path, spec.args...)
	cmd.Dir = "/"
	p := &proc{cmd: cmd, name: name, done: make(chan struct{}), stderrPath: spec.stderrPath}
	if spec.stdout != nil {
		cmd.Stdout = spec.stdout
	}
	cmd.Stderr = errFile
	var stdinR *os.File
	if spec.stopByEOF {
		if stdinR, p.stdin, err = os.Pipe(); err != nil {
			return nil, fmt.Errorf("start %s: %w", name, err)
		}
		cmd.Stdin = stdinR
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: spec.cred}
	if !spec.stopByEOF {
		// Not with stopByEOF: the signal would kill a wrapper before it
		// could pass the stop on.
		cmd.SysProcAttr.Pdeathsig = syscall.SIGTERM
	}
	err = cmd.Start()
	if stdinR != nil {
		_ = stdinR.Close()
	}
	if err != nil {
		if p.stdin != nil {
			_ = p.stdin.Close()
		}
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

// stderr returns what the process wrote to stderr so far.
func (p *proc) stderr() string {
	b, _ := os.ReadFile(p.stderrPath)
	return strings.TrimSpace(string(b))
}

// exited reports whether the process has ended.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop asks the process to end (SIGTERM, or EOF on its stdin), waits up to
// grace, then SIGKILLs it and waits again.
func (p *proc) stop(grace time.Duration) error {
	if p.stdin != nil {
		_ = p.stdin.Close()
	} else if !p.exited() {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
	}
	select {
	case <-p.done:
		return nil
	case <-time.After(grace):
	}
	_ = p.cmd.Process.Kill()
	select {
	case <-p.done:
		return fmt.Errorf("%s did not stop within %v and was killed", p.name, grace)
	case <-time.After(5 * time.Second):
		return fmt.Errorf("%s (pid %d) survived SIGKILL", p.name, p.pid())
	}
}

// procInfo is what /proc says about one live (non-zombie) process.
type procInfo struct {
	PID     int
	Cmdline string
}

// findProcs lists live processes whose command line or environment
// contains marker. Postfix daemons (pickup, qmgr, smtpd ...) do not name
// their configuration directory on the command line, but they inherit
// MAIL_CONFIG=DIR from their master, so the environment finds them.
// Reading another user's environment needs root; as another user only
// command lines are matched.
func findProcs(marker string) []procInfo {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	self := os.Getpid()
	var out []procInfo
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		dir := filepath.Join("/proc", e.Name())
		stat, err := os.ReadFile(filepath.Join(dir, "stat"))
		if err != nil || procState(stat) == 'Z' || procState(stat) == 'X' {
			continue // gone, or a zombie waiting for a reaper that is not us
		}
		cmdline, _ := os.ReadFile(filepath.Join(dir, "cmdline"))
		environ, _ := os.ReadFile(filepath.Join(dir, "environ"))
		if bytes.Contains(cmdline, []byte(marker)) || bytes.Contains(environ, []byte(marker)) {
			out = append(out, procInfo{PID: pid, Cmdline: strings.TrimSpace(strings.ReplaceAll(string(cmdline), "\x00", " "))})
		}
	}
	return out
}

// alive reports whether pid is a live process (not a zombie).
func alive(pid int) bool {
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return false
	}
	st := procState(stat)
	return st != 0 && st != 'Z' && st != 'X'
}

// procState returns the state letter of a /proc/PID/stat line; the command
// name in parentheses may itself contain spaces and parentheses.
func procState(stat []byte) byte {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 || i+2 >= len(stat) {
		return 0
	}
	return stat[i+2]
}

// reapLeftovers waits up to wait for every live process matching marker to
// end, then SIGKILLs the rest and reports them (an error means the server
// did not shut down cleanly by itself).
func reapLeftovers(marker string, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	for {
		left := findProcs(marker)
		if len(left) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			var desc []string
			for _, p := range left {
				_ = syscall.Kill(p.PID, syscall.SIGKILL)
				desc = append(desc, fmt.Sprintf("%d %q", p.PID, p.Cmdline))
			}
			return fmt.Errorf("processes of %s still running after %v, killed: %s", marker, wait, strings.Join(desc, ", "))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// openFiles returns the set of files under dir that process pid holds
// open, read from /proc/PID/fd.
func openFiles(pid int, dir string) map[string]bool {
	fdDir := filepath.Join("/proc", strconv.Itoa(pid), "fd")
	ents, err := os.ReadDir(fdDir)
	if err != nil {
		return nil
	}
	open := make(map[string]bool)
	for _, e := range ents {
		target, err := os.Readlink(filepath.Join(fdDir, e.Name()))
		if err != nil {
			continue
		}
		if strings.HasPrefix(target, dir+"/") {
			open[target] = true
		}
	}
	return open
}

// listening reports whether process pid holds a TCP socket listening on
// 127.0.0.1:port (or on every address), per /proc/net/tcp and the
// process's file descriptors: a successful connect alone could reach
// another program that took the port.
func listening(pid, port int) bool {
	tcp, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		return false
	}
	want := map[string]bool{
		fmt.Sprintf("0100007F:%04X", port): true, // 127.0.0.1, little-endian hex
		fmt.Sprintf("00000000:%04X", port): true, // 0.0.0.0
	}
	inodes := make(map[string]bool)
	for _, line := range strings.Split(string(tcp), "\n")[1:] {
		f := strings.Fields(line)
		// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
		if len(f) >= 10 && want[f[1]] && f[3] == "0A" { // 0A: TCP_LISTEN
			inodes["socket:["+f[9]+"]"] = true
		}
	}
	if len(inodes) == 0 {
		return false
	}
	fdDir := filepath.Join("/proc", strconv.Itoa(pid), "fd")
	ents, err := os.ReadDir(fdDir)
	if err != nil {
		return false
	}
	for _, e := range ents {
		if target, err := os.Readlink(filepath.Join(fdDir, e.Name())); err == nil && inodes[target] {
			return true
		}
	}
	return false
}

// portFree fails when something already listens on 127.0.0.1:port, so
// that a server started there is not mistaken for the one that has it.
//
// A server stopped a moment ago may still hold its port while the kernel
// tears its daemons' sockets down (Postfix's smtpd processes share the
// master's listening socket), and a restart on the same port would fail
// under load: the port gets up to 10 seconds to come free.
func portFree(port int) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		ln, err := net.Listen("tcp4", LoopbackAddr(port))
		if err == nil {
			return ln.Close()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("port %d is taken: %w", port, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
