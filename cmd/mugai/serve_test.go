package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"mugai/config"
	"mugai/sanitize/invariant"
)

// TestMain lets a test run `mugai serve` as a real child process: the
// test binary re-executes itself with MUGAI_TEST_CHILD set.
func TestMain(m *testing.M) {
	if args := os.Getenv("MUGAI_TEST_CHILD"); args != "" {
		os.Exit(run(strings.Fields(args), os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// freePort is an address for a child to listen on, free when it was
// asked for. The child binds it later, and between the two another
// process may take it, so it is on a loopback address of its own
// (127.100.0.0/16 and up: every 127/8 address is this host's on Linux),
// where no other test and no kernel-chosen port of 127.0.0.1 lands.
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", fmt.Sprintf("127.%d.%d.%d:0", 100+rand.IntN(100), rand.IntN(256), 1+rand.IntN(254)))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// child is `mugai serve` running as a separate process.
type child struct {
	cmd *exec.Cmd
	log *bytes.Buffer
	mu  *sync.Mutex
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func startChild(t *testing.T, cfgFile, smtpAddr string) *child {
	t.Helper()
	c := &child{log: &bytes.Buffer{}, mu: &sync.Mutex{}}
	c.cmd = exec.Command(os.Args[0], "-test.run=^$")
	c.cmd.Env = append(os.Environ(), "MUGAI_TEST_CHILD=serve -config "+cfgFile)
	c.cmd.Stdout = lockedWriter{c.mu, c.log}
	c.cmd.Stderr = lockedWriter{c.mu, c.log}
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if c.cmd.ProcessState == nil {
			c.cmd.Process.Kill()
			c.cmd.Wait()
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", smtpAddr, time.Second)
		if err == nil {
			conn.Close()
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("mugai serve did not start:\n%s", c.logs())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (c *child) logs() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.log.String()
}

func (c *child) kill() {
	c.cmd.Process.Signal(syscall.SIGKILL)
	c.cmd.Wait()
}

// recordingHop is the next hop: it outlives every restart of mugai and
// counts deliveries by Message-ID.
type recordingHop struct {
	mu   sync.Mutex
	seen map[string]int
	bad  []string
}

func (h *recordingHop) NewSession(*smtp.Conn) (smtp.Session, error) { return &hopSession{h: h}, nil }

type hopSession struct{ h *recordingHop }

var msgIDRE = regexp.MustCompile(`(?im)^Message-Id: <([^>]+)>`)

func (s *hopSession) Reset()                               {}
func (s *hopSession) Logout() error                        { return nil }
func (s *hopSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *hopSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *hopSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.h.mu.Lock()
	defer s.h.mu.Unlock()
	m := msgIDRE.FindSubmatch(b)
	if m == nil {
		s.h.bad = append(s.h.bad, "no Message-ID")
		return nil
	}
	if err := invariant.Check(bytes.NewReader(b), config.Default().Policies["default"]); err != nil {
		s.h.bad = append(s.h.bad, string(m[1])+": "+err.Error())
	}
	s.h.seen[string(m[1])]++
	return nil
}

func writeServeConfig(t *testing.T, dir, smtpAddr, adminAddr, hop, policyExtra string) string {
	t.Helper()
	y := fmt.Sprintf(`admin: {listen: %q}
spool_dir: %s/spool
quarantine: {dir: %s/quarantine}
log: {audit: %s/audit.log}
routes:
  - name: inbound
    listen: [%q]
    hostname: gw.lgwan.example
    clients: ["127.0.0.0/8"]
    domains: [lgwan.example]
    policy: default
    deliver: {to: %q, connections: 4, retry: {initial: 1s, max: 2s, lifetime: 1h}}
policies:
  default: {%s}
`, adminAddr, dir, dir, dir, smtpAddr, hop, policyExtra)
	path := filepath.Join(dir, "mugai.yaml")
	if err := os.WriteFile(path, []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func sendOne(addr, id string) error {
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	c.Hello("client.example")
	msg := fmt.Sprintf("From: a@example.jp\r\nTo: s@lgwan.example\r\nMessage-ID: <%s>\r\nSubject: crash %s\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>本文 %s <a href=\"https://example.jp/x\">link</a></p>\r\n", id, id, id)
	if err := c.Mail("a@example.jp", nil); err != nil {
		return err
	}
	if err := c.Rcpt("s@lgwan.example", nil); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	io.WriteString(w, msg)
	return w.Close()
}

// TestCrashSafety runs `mugai serve` as a child process under concurrent
// load, kills it with SIGKILL at random moments, restarts it, and checks
// that every message that got a 250 is delivered intact at least once.
func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test in -short mode")
	}
	dir := t.TempDir()
	hop := &recordingHop{seen: map[string]int{}}
	hopLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := smtp.NewServer(hop)
	hs.Domain = "hop.lgwan.example"
	hs.ErrorLog = log.New(io.Discard, "", 0) // resets from killed clients are expected
	go hs.Serve(hopLn)
	defer hs.Close()
	smtpAddr, adminAddr := freePort(t), freePort(t)
	cfg := writeServeConfig(t, dir, smtpAddr, adminAddr, "smtp://"+hopLn.Addr().String(), "")

	var mu sync.Mutex
	acked := map[string]bool{}
	seq := 0
	const kills = 10
	for round := 0; round < kills; round++ {
		c := startChild(t, cfg, smtpAddr)
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for w := 0; w < 8; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					mu.Lock()
					seq++
					id := fmt.Sprintf("crash-%d@example.jp", seq)
					mu.Unlock()
					if err := sendOne(smtpAddr, id); err == nil {
						mu.Lock()
						acked[id] = true
						mu.Unlock()
					}
				}
			}()
		}
		time.Sleep(time.Duration(100+rand.IntN(500)) * time.Millisecond)
		c.kill()
		close(stop)
		wg.Wait()
	}
	c := startChild(t, cfg, smtpAddr)
	deadline := time.Now().Add(60 * time.Second)
	for {
		hop.mu.Lock()
		missing := 0
		for id := range acked {
			if hop.seen[id] == 0 {
				missing++
			}
		}
		hop.mu.Unlock()
		if missing == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d acknowledged messages never delivered\n%s", missing, len(acked), c.logs())
		}
		time.Sleep(100 * time.Millisecond)
	}
	hop.mu.Lock()
	defer hop.mu.Unlock()
	dups, extra := 0, 0
	for id, n := range hop.seen {
		if n > 1 {
			dups += n - 1
		}
		if !acked[id] {
			extra++ // killed between fsync and the 250: allowed, the sender retries
		}
	}
	for _, b := range hop.bad {
		t.Errorf("delivered message not intact: %s", b)
	}
	if len(acked) < kills {
		t.Errorf("only %d messages acknowledged across %d runs: the load did not run", len(acked), kills)
	}
	t.Logf("crash test: %d kills, %d messages acknowledged, all delivered; %d duplicate deliveries, %d delivered without a 250 seen by the client", kills, len(acked), dups, extra)
}

// TestReload: SIGHUP with a changed policy changes the next message's
// verdict; SIGHUP with a broken file keeps the old configuration serving.
func TestReload(t *testing.T) {
	dir := t.TempDir()
	smtpAddr, adminAddr := freePort(t), freePort(t)
	cfg := writeServeConfig(t, dir, smtpAddr, adminAddr, "maildir:"+dir+"/md", "")
	c := startChild(t, cfg, smtpAddr)
	defer c.kill()
	withExe := "From: a@example.jp\r\nSubject: exe\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b\r\nContent-Type: application/octet-stream; name=a.exe\r\nContent-Transfer-Encoding: base64\r\n\r\nTVqQAAMAAAAEAAAA\r\n--b--\r\n"
	send := func() error {
		cl, err := smtp.Dial(smtpAddr)
		if err != nil {
			return err
		}
		defer cl.Close()
		return cl.SendMail("a@example.jp", []string{"s@lgwan.example"}, strings.NewReader(withExe))
	}
	if err := send(); err != nil {
		t.Fatalf("default policy strips and accepts: %v", err)
	}
	writeServeConfig(t, dir, smtpAddr, adminAddr, "maildir:"+dir+"/md", "attachments: {default: reject}")
	// The audit trail moved away, as logrotate does before the reload:
	// the journal says where the moved file ends and the new one begins.
	audit := filepath.Join(dir, "audit.log")
	if err := os.Rename(audit, audit+".1"); err != nil {
		t.Fatal(err)
	}
	c.cmd.Process.Signal(syscall.SIGHUP)
	waitLog(t, c, "configuration reloaded")
	moved, _ := os.ReadFile(audit + ".1")
	lines := strings.Split(strings.TrimSpace(string(moved)), "\n")
	last := sha256.Sum256([]byte(lines[len(lines)-1]))
	if want := `"audit trail rotated" file=` + audit + " continues_from=" + hex.EncodeToString(last[:]); !strings.Contains(c.logs(), want) {
		t.Errorf("reload after a rotation: the log lacks %q:\n%s", want, c.logs())
	}
	// The log line says which file is in force: sha256sum's first 12.
	b, _ := os.ReadFile(filepath.Join(dir, "mugai.yaml"))
	sum := sha256.Sum256(b)
	if want := "sha256=" + hex.EncodeToString(sum[:])[:12]; !strings.Contains(c.logs(), want) {
		t.Errorf("reload log lacks %s:\n%s", want, c.logs())
	}
	if err := send(); err == nil || !strings.Contains(err.Error(), "550") {
		t.Fatalf("after reload the policy rejects: got %v, want 550", err)
	}
	metric := func() string { return scrapeLine(t, adminAddr, "mugai_config_last_reload_successful") }
	if m := metric(); m != "mugai_config_last_reload_successful 1" {
		t.Errorf("after a reload: %q", m)
	}
	os.WriteFile(cfg, []byte("routes: [\n"), 0o600)
	c.cmd.Process.Signal(syscall.SIGHUP)
	waitLog(t, c, "reload refused")
	if err := send(); err == nil || !strings.Contains(err.Error(), "550") {
		t.Fatalf("after a broken reload the previous policy stays: got %v", err)
	}
	// MugaiConfigReloadFailed fires on this.
	if m := metric(); m != "mugai_config_last_reload_successful 0" {
		t.Errorf("after a refused reload: %q", m)
	}
	// Keys read only at the start are not taken half-way: the reload is
	// refused and names them, and the running gateway keeps its spool.
	y, _ := os.ReadFile(writeServeConfig(t, dir, smtpAddr, adminAddr, "maildir:"+dir+"/md", ""))
	y = bytes.Replace(y, []byte("/spool\n"), []byte("/spool2\n"), 1)
	y = bytes.Replace(y, []byte("log: {"), []byte("log: {level: debug, "), 1)
	os.WriteFile(cfg, y, 0o600)
	c.cmd.Process.Signal(syscall.SIGHUP)
	waitLog(t, c, "spool_dir, log.level changed, which takes effect only at a start; restart mugai to apply")
	if err := send(); err == nil || !strings.Contains(err.Error(), "550") {
		t.Fatalf("after a refused reload the previous policy stays: got %v", err)
	}
	if resp, err := http.Get("http://" + adminAddr + "/readyz"); err != nil || resp.StatusCode != 200 {
		t.Errorf("readyz after a refused spool_dir change: %v %v", resp, err)
	}
	writeServeConfig(t, dir, smtpAddr, adminAddr, "maildir:"+dir+"/md", "")
	c.cmd.Process.Signal(syscall.SIGHUP)
	for deadline := time.Now().Add(10 * time.Second); strings.Count(c.logs(), "configuration reloaded") < 2; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the second reload was not taken:\n%s", c.logs())
		}
	}
	if m := metric(); m != "mugai_config_last_reload_successful 1" {
		t.Errorf("after a good reload again: %q", m)
	}
	c.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- c.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("SIGTERM: exit %v, want 0\n%s", err, c.logs())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no exit after SIGTERM")
	}
}

func waitLog(t *testing.T, c *child, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(c.logs(), what) {
		if time.Now().After(deadline) {
			t.Fatalf("log never said %q:\n%s", what, c.logs())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestEmbeddedDefault is the README's promise: `mugai serve` with no
// configuration accepts a message for user@lgwan.example on
// 127.0.0.1:2525 and writes it, sanitised, into ./mugai-data/maildir/new
// within a second.
func TestEmbeddedDefault(t *testing.T) {
	for _, addr := range []string{"127.0.0.1:2525", "127.0.0.1:9925"} {
		if l, err := net.Listen("tcp", addr); err != nil {
			t.Skipf("%s is in use here: %v", addr, err)
		} else {
			l.Close()
		}
	}
	dir := t.TempDir()
	c := &child{log: &bytes.Buffer{}, mu: &sync.Mutex{}}
	c.cmd = exec.Command(os.Args[0], "-test.run=^$")
	c.cmd.Dir = dir
	c.cmd.Env = append(os.Environ(), "MUGAI_TEST_CHILD=serve")
	c.cmd.Stdout, c.cmd.Stderr = lockedWriter{c.mu, c.log}, lockedWriter{c.mu, c.log}
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer c.kill()
	deadline := time.Now().Add(20 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", "127.0.0.1:2525", time.Second)
		if err == nil {
			conn.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not listening:\n%s", c.logs())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := sendOne("127.0.0.1:2525", "readme@example.jp"); err != nil {
		t.Fatal(err)
	}
	sent := time.Now()
	newDir := filepath.Join(dir, "mugai-data", "maildir", "new")
	for {
		files, _ := os.ReadDir(newDir)
		if len(files) == 1 {
			b, _ := os.ReadFile(filepath.Join(newDir, files[0].Name()))
			if err := invariant.Check(bytes.NewReader(b), config.Default().Policies["default"]); err != nil {
				t.Errorf("delivered file breaks the invariants: %v", err)
			}
			break
		}
		if time.Since(sent) > time.Second {
			t.Fatalf("no file in %s a second after the 250\n%s", newDir, c.logs())
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, p := range []string{"quarantine", "spool", "audit.log"} {
		if _, err := os.Stat(filepath.Join(dir, "mugai-data", p)); err != nil {
			t.Errorf("mugai-data/%s: %v", p, err)
		}
	}
	// The delivery record follows the accept record.
	auditPath := filepath.Join(dir, "mugai-data", "audit.log")
	for i := 0; i < 200; i++ {
		if b, _ := os.ReadFile(auditPath); bytes.Count(b, []byte("\n")) >= 2 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	var out, errb bytes.Buffer
	if code := run([]string{"audit", "verify", filepath.Join(dir, "mugai-data", "audit.log")}, nil, &out, &errb); code != 0 || !strings.Contains(out.String(), "chain intact") {
		t.Errorf("audit verify: %d %s %s", code, out.String(), errb.String())
	}
	// A changed line breaks the chain at the line after it.
	c.kill()
	path := filepath.Join(dir, "mugai-data", "audit.log")
	b, _ := os.ReadFile(path)
	lines := strings.SplitAfter(string(b), "\n")
	if len(lines) < 3 {
		t.Fatalf("audit trail has %d lines", len(lines)-1)
	}
	lines[0] = strings.Replace(lines[0], `"sender":"a@example.jp"`, `"sender":"b@example.jp"`, 1)
	os.WriteFile(path, []byte(strings.Join(lines, "")), 0o600)
	out.Reset()
	errb.Reset()
	if code := run([]string{"audit", "verify", path}, nil, &out, &errb); code != 1 || !strings.Contains(errb.String(), "line 2: chain broken") {
		t.Errorf("tampered audit trail: exit %d, stderr %q", code, errb.String())
	}
}

// TestJSONLogDurations: with log.format json a duration reads as in the
// text format ("6ms"), not as integer nanoseconds.
func TestJSONLogDurations(t *testing.T) {
	for _, tc := range []struct{ format, want string }{
		{"json", `"duration":"6ms"`},
		{"text", "duration=6ms"},
	} {
		cfg := config.Default()
		cfg.Log.Format = tc.format
		var b bytes.Buffer
		newLogger(cfg, &b).Info("delivery attempt", "duration", 6*time.Millisecond)
		if !strings.Contains(b.String(), tc.want) {
			t.Errorf("%s log: %s, want %s", tc.format, b.String(), tc.want)
		}
	}
}
