package main

import (
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
