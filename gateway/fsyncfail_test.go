package gateway

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// mountFailingDisk mounts an ext4 file system of fsSize bytes whose loop
// device is backed by a file on a tmpfs of only backing bytes: writes are
// taken into the page cache, and the writeback that fsync waits for fails
// once the tmpfs is full. That is a real fsync failure (EIO or ENOSPC at
// fdatasync), as a failing disk or a thin-provisioned volume gives.
// Everything is undone when the test ends. Needs root, losetup and
// mkfs.ext4: without them the test is skipped, unless
// MUGAI_REQUIRE_INTEROP=1 (CI) makes that a failure.
func mountFailingDisk(t *testing.T, fsSize, backing int64) string {
	t.Helper()
	skip := func(why string) {
		if os.Getenv("MUGAI_REQUIRE_INTEROP") == "1" {
			t.Fatalf("fsync-failure test: %s and MUGAI_REQUIRE_INTEROP=1", why)
		}
		t.Skipf("fsync-failure test: %s (run as root, as CI does)", why)
	}
	for _, tool := range []string{"losetup", "mkfs.ext4"} {
		if _, err := exec.LookPath(tool); err != nil {
			skip(tool + " not found")
		}
	}
	back := mountTmpfs(t, backing)
	img := filepath.Join(back, "disk.img")
	if err := os.Truncate(img, 0); err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	f, err := os.Create(img)
	if err != nil {
		t.Fatal(err)
	}
	f.Truncate(fsSize)
	f.Close()
	if out, err := exec.Command("mkfs.ext4", "-q", "-F", img).CombinedOutput(); err != nil {
		skip(fmt.Sprintf("mkfs.ext4: %v %s", err, out))
	}
	out, err := exec.Command("losetup", "-f", "--show", img).Output()
	if err != nil {
		skip(fmt.Sprintf("losetup: %v", err))
	}
	dev := strings.TrimSpace(string(out))
	t.Cleanup(func() { exec.Command("losetup", "-d", dev).Run() })
	dir := t.TempDir()
	if err := syscall.Mount(dev, dir, "ext4", 0, "errors=continue"); err != nil {
		skip("mount " + dev + ": " + err.Error())
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, 0); err != nil {
			syscall.Unmount(dir, syscall.MNT_DETACH)
		}
	})
	return dir
}

// ready asks the admin listener's /readyz.
func (g *testGateway) ready() (int, string) {
	g.t.Helper()
	resp, err := http.Get("http://" + g.admin + "/readyz")
	if err != nil {
		g.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestSpoolFsyncFailed: once an fsync of the spool fails the spool takes
// nothing more until a restart (the kernel may have dropped the data:
// a later fsync could report success for it). Mail is refused with 451,
// and /readyz says why, so a load balancer sends it elsewhere.
func TestSpoolFsyncFailed(t *testing.T) {
	mnt := mountFailingDisk(t, 512<<20, 6<<20)
	dir := t.TempDir()
	cfg := gatewayConfig(t, dir, "", "", "spool_dir: %DIR%/spool", "spool_dir: "+mnt+"/spool\nspool_min_free: 0")
	g := startGateway(t, cfg, false)
	if code, body := g.ready(); code != 200 {
		t.Fatalf("/readyz before: %d %s", code, body)
	}
	accepted, refused := 0, 0
	for i := 0; i < 40 && refused == 0; i++ {
		code, text := g.send("inbound", "citizen@example.jp", []string{"staff@lgwan.example"}, textMessage(fmt.Sprint(i), 512<<10))
		switch code {
		case 250:
			accepted++
		case 451:
			refused++
		default:
			t.Fatalf("message %d: %d %s", i, code, text)
		}
	}
	if refused == 0 {
		t.Fatalf("%d messages accepted and the disk never failed", accepted)
	}
	if g.sp.Err() == nil {
		t.Fatal("451 but the spool log has not failed")
	}
	code, body := g.ready()
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "spool log failed") {
		t.Errorf("/readyz after the failed fsync: %d %q, want 503 naming the spool", code, body)
	}
	if code, text := g.send("inbound", "citizen@example.jp", []string{"staff@lgwan.example"}, "Subject: small\r\n\r\nx\r\n"); code != 451 {
		t.Errorf("a small message after the failure: %d %s, want 451", code, text)
	}
	wantStorageErrors(t, g, "spool", 1)
}
