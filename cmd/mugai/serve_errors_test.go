package main

import (
	"bytes"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"mugai/config"
)

// TestServeErrorsNameKey: when mugai serve cannot start on a file mugai
// check passed (a directory it cannot create, an address in use), the
// error names the file, the line and the key behind it, as a
// configuration error does; before, "create /etc/x/spool: mkdir …" left
// the operator to find which of the file's paths it was.
func TestServeErrorsNameKey(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	dir := t.TempDir()
	notDir := filepath.Join(dir, "file")
	os.WriteFile(notDir, nil, 0o600)
	base := "admin: {listen: \"127.0.0.1:0\"}\n" +
		"spool_dir: " + dir + "/spool\n" +
		"quarantine: {dir: " + dir + "/quarantine}\n" +
		"log: {audit: " + dir + "/audit.log}\n" +
		"routes:\n" +
		"  - name: inbound\n" +
		"    listen: [\"127.0.0.1:0\"]\n" +
		"    clients: [\"127.0.0.0/8\"]\n" +
		"    domains: [lgwan.example]\n" +
		"    policy: default\n" +
		"    deliver: {to: \"maildir:" + dir + "/md\"}\n" +
		"policies:\n" +
		"  default: {}\n"
	for _, tt := range []struct {
		name, old, new, want string
	}{
		{"spool_dir", dir + "/spool", notDir + "/spool", ":2: spool_dir: cannot create " + notDir + "/spool: not a directory"},
		{"quarantine.dir", dir + "/quarantine", notDir + "/q", ":3: quarantine.dir: cannot create " + notDir + "/q: not a directory"},
		{"log.audit", dir + "/audit.log", dir + "/no/such/dir/audit.log", ":4: log.audit: audit trail: open " + dir + "/no/such/dir/audit.log: no such file or directory"},
		{"admin.listen", `"127.0.0.1:0"}`, `"` + busy.Addr().String() + `"}`, ":1: admin.listen: "},
		{"a route's listen", `["127.0.0.1:0"]`, `["` + busy.Addr().String() + `"]`, ":7: routes[0].listen[0]: route inbound: "},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "mugai.yaml")
			if err := os.WriteFile(path, []byte(strings.Replace(base, tt.old, tt.new, 1)), 0o600); err != nil {
				t.Fatal(err)
			}
			if code, out, errs := runCmd("check", "-config", path); code != 0 {
				t.Fatalf("check refuses the file: %s%s", out, errs)
			}
			var o, e bytes.Buffer
			if code := runServe([]string{"-config", path}, nil, &o, &e); code != 1 {
				t.Fatalf("serve: exit %d, want 1\n%s", code, e.String())
			}
			if !strings.Contains(e.String(), path+tt.want) {
				t.Errorf("serve's error lacks %q:\n%s", path+tt.want, e.String())
			}
		})
	}
}

// TestServeLogsWarnings: what mugai check warns of is logged by mugai
// serve at its start and after a reload, for a file reloaded without
// check run on it; a recipients file's line that is not an address once
// each time, by the gateway, not a second time as a warning.
func TestServeLogsWarnings(t *testing.T) {
	dir := t.TempDir()
	list := filepath.Join(dir, "recipients.txt")
	os.WriteFile(list, []byte("taro@lgwan.example\nnot an address\n"), 0o600)
	y := "admin: {listen: \"127.0.0.1:0\"}\n" +
		"spool_dir: " + dir + "/spool\n" +
		"quarantine: {dir: " + dir + "/quarantine}\n" +
		"log: {audit: " + dir + "/audit.log}\n" +
		"routes:\n" +
		"  - name: inbound\n" +
		"    hostname: mx.lgwan.example\n" +
		"    listen: [\"127.0.0.1:0\"]\n" +
		"    clients: [\"127.0.0.0/8\"]\n" +
		"    domains: [lgwan.example]\n" +
		"    recipients: {file: " + list + "}\n" +
		"    policy: default\n" +
		"    deliver: {to: \"maildir:" + dir + "/md\"}\n" +
		"policies:\n" +
		"  default: {body: {links: keep}}\n"
	path := filepath.Join(dir, "mugai.yaml")
	os.WriteFile(path, []byte(y), 0o600)
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncLog{}
	stop := make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- serve(cfg, path, slog.New(slog.NewTextHandler(logs, nil)), stop) }()
	const want = `msg="configuration warning (mugai check lists them)" config=`
	wait := func(n int) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); strings.Count(logs.String(), "policy default: links: keep leaves links clickable") < n; time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("no warning logged (%d wanted):\n%s", n, logs.String())
			}
		}
	}
	wait(1)
	if !strings.Contains(logs.String(), want+path) {
		t.Errorf("the warning line lacks %q:\n%s", want+path, logs.String())
	}
	syscall.Kill(os.Getpid(), syscall.SIGHUP)
	wait(2)
	close(stop)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n, m := strings.Count(logs.String(), `msg="recipients file: a line that is not an address is ignored"`), strings.Count(logs.String(), "lists no one"); n != 2 || m != 0 {
		t.Errorf("the recipients file's bad line was logged %d times by the gateway and %d as a warning over a start and a reload, want 2 and 0:\n%s", n, m, logs.String())
	}
}

// syncLog is a goroutine-safe log sink.
type syncLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
