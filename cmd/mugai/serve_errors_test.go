package main

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
