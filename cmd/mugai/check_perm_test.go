package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// TestCheckUnreadableFile: a file of the configuration that the user
// running mugai check cannot read (the TLS key, 0600 and another
// owner's) is one error, which says who read it and that the gateway
// reads it as its own user; before, it was two errors (the key, then
// the pair) and no word of whose rights were used. As root the check
// runs as nobody, in a copy of this test binary nobody may run.
func TestCheckUnreadableFile(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{dir, filepath.Dir(dir)} {
		os.Chmod(d, 0o755)
	}
	crt, _ := os.ReadFile("../../deploy/testdata/tls.crt")
	key, _ := os.ReadFile("../../deploy/testdata/tls.key")
	os.WriteFile(filepath.Join(dir, "tls.crt"), crt, 0o644)
	keyFile := filepath.Join(dir, "tls.key")
	os.WriteFile(keyFile, key, 0o600)
	path := writeConfig(t, "    hostname: localhost\n", "    hostname: localhost\n    tls: {cert: "+dir+"/tls.crt, key: "+keyFile+"}\n")
	cfg := filepath.Join(dir, "mugai.yaml")
	b, _ := os.ReadFile(path)
	os.WriteFile(cfg, b, 0o644)

	var out string
	who := ""
	if os.Getuid() == 0 {
		nobody, err := user.Lookup("nobody")
		if err != nil {
			t.Skip("no user nobody to run mugai check as")
		}
		who = "nobody"
		exe := filepath.Join(dir, "mugai.test")
		src, err := os.Open(os.Args[0])
		if err != nil {
			t.Fatal(err)
		}
		dst, _ := os.OpenFile(exe, os.O_CREATE|os.O_WRONLY, 0o755)
		io.Copy(dst, src)
		src.Close()
		dst.Close()
		uid, _ := strconv.Atoi(nobody.Uid)
		gid, _ := strconv.Atoi(nobody.Gid)
		cmd := exec.Command(exe, "-test.run=^$")
		cmd.Env = append(os.Environ(), "MUGAI_TEST_CHILD=check -config "+cfg)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
		o, _ := cmd.CombinedOutput()
		out = string(o)
	} else {
		u, _ := user.Current()
		who = u.Username
		os.Chmod(keyFile, 0)
		_, o, e := runCmd("check", "-config", cfg)
		out = o + e
	}
	want := cfg + ":" + "27: routes[0].tls.key: cannot read " + keyFile + ": permission denied (read as user " + who + "; mugai serve reads it as its own user"
	if !strings.Contains(out, want) {
		t.Errorf("check lacks %q:\n%s", want, out)
	}
	if strings.Count(out, keyFile) != 1 {
		t.Errorf("the unreadable key is reported more than once:\n%s", out)
	}
}

// TestCheckSecretFileModes: a route's TLS private key or the
// quarantine's encryption key that every user on the host may read
// (or write) is a warning naming the key, the file and its mode; the
// modes the install gives (0640 root:mugai, or 0600) and a certificate,
// which is public, are not. Through a symbolic link (mode 0777 itself)
// the target's mode is judged, under the path the file gives.
func TestCheckSecretFileModes(t *testing.T) {
	crt, err := os.ReadFile("../../deploy/testdata/tls.crt")
	if err != nil {
		t.Fatal(err)
	}
	tlsKey, err := os.ReadFile("../../deploy/testdata/tls.key")
	if err != nil {
		t.Fatal(err)
	}
	const (
		tlsRead = "route inbound: tls.key %s is mode %s: every user on this host can read it (pose as the gateway with the route's TLS private key)"
		qRead   = "quarantine.encryption_key_file %s is mode %s: every user on this host can read it (decrypt the quarantined originals)"
		write   = "write it (put a key of their own in its place)"
		fix     = "; give it the gateway's group and mode 640 (chown root:mugai, chmod 640, as deploy/README.md installs it), or mode 600 where the gateway's user owns it"
	)
	for _, tt := range []struct {
		name       string
		quarantine bool // the file is quarantine.encryption_key_file, not routes[0].tls.key
		mode       os.FileMode
		link       bool   // the configuration names a symbolic link to it
		want       string // the warning, with %s for the path the configuration gives
	}{
		{name: "tls key 0644", mode: 0o644, want: tlsRead + fix},
		{name: "tls key 0666", mode: 0o666, want: tlsRead + " and " + write + fix},
		{name: "tls key 0642", mode: 0o642, want: "route inbound: tls.key %s is mode %s: every user on this host can " + write + fix},
		{name: "tls key 0640", mode: 0o640},
		{name: "tls key 0600", mode: 0o600},
		// A group that may write is taken to be the gateway's.
		{name: "tls key 0660", mode: 0o660},
		{name: "tls key link to 0600", mode: 0o600, link: true},
		{name: "tls key link to 0644", mode: 0o644, link: true, want: tlsRead + fix},
		{name: "quarantine key 0644", quarantine: true, mode: 0o644, want: qRead + fix},
		{name: "quarantine key 0640", quarantine: true, mode: 0o640},
		{name: "quarantine key 0600", quarantine: true, mode: 0o600},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
			qFile := filepath.Join(dir, "quarantine.key")
			secret := keyFile
			if tt.quarantine {
				secret = qFile
			}
			for _, f := range []struct {
				path string
				data []byte
				mode os.FileMode
			}{
				{certFile, crt, 0o644}, // public: never judged
				{keyFile, tlsKey, 0o600},
				{qFile, bytes.Repeat([]byte{0x5a}, 32), 0o600},
			} {
				if err := os.WriteFile(f.path, f.data, f.mode); err != nil {
					t.Fatal(err)
				}
				// Explicitly: WriteFile's mode passes through the umask.
				mode := f.mode
				if f.path == secret {
					mode = tt.mode
				}
				if err := os.Chmod(f.path, mode); err != nil {
					t.Fatal(err)
				}
			}
			named := secret
			if tt.link {
				named = filepath.Join(dir, "link.key")
				if err := os.Symlink(secret, named); err != nil {
					t.Fatal(err)
				}
			}
			tlsNamed, qNamed := keyFile, qFile
			if tt.quarantine {
				qNamed = named
			} else {
				tlsNamed = named
			}
			path := writeConfig(t, "    hostname: localhost\n", "    hostname: localhost\n    tls: {cert: "+certFile+", key: "+tlsNamed+"}\n")
			y, _ := os.ReadFile(path)
			os.WriteFile(path, []byte(strings.Replace(string(y), "  retention: 30d\n", "  retention: 30d\n  encryption_key_file: "+qNamed+"\n", 1)), 0o644)

			code, out, errs := runCmd("check", "-config", path)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			if strings.Contains(out, certFile) {
				t.Errorf("the certificate, which is public, is named:\n%s", out)
			}
			if tt.want == "" {
				if strings.Contains(out, named) {
					t.Errorf("mode %04o is warned of:\n%s", tt.mode, out)
				}
				return
			}
			want := "  " + fmt.Sprintf(tt.want, named, fmt.Sprintf("%04o", tt.mode)) + "\n"
			if !strings.Contains(out, want) {
				t.Errorf("check output lacks\n%q:\n%s", want, out)
			}
			if n := strings.Count(out, "is mode "); n != 1 {
				t.Errorf("%d file mode warnings, want 1 (the other key is 0600):\n%s", n, out)
			}
		})
	}
}
