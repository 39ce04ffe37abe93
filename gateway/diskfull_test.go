package gateway

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"

	"mugai/gateway/spool"
)

// The disk-full tests put one of the gateway's directories on a small
// tmpfs of its own, fill it with a filler file and check what a sending
// server, the next hop and an operator see: a 452 4.3.1 (never a 250 and
// never a 5xx for our own disk trouble), nothing half-written that is delivered
// later, every 250 delivered byte for byte (also after a restart), new
// mail accepted again once space is freed, and a log line and a metric.

// mountTmpfs mounts a tmpfs of size bytes on a new directory and
// unmounts it when the test ends, failed or not. Mounting needs root:
// without it the test is skipped, unless MUGAI_REQUIRE_INTEROP=1 (CI)
// makes that a failure.
func mountTmpfs(t *testing.T, size int64) string {
	t.Helper()
	skip := func(why string) {
		if os.Getenv("MUGAI_REQUIRE_INTEROP") == "1" {
			t.Fatalf("disk-full test: %s and MUGAI_REQUIRE_INTEROP=1", why)
		}
		t.Skipf("disk-full test: %s (run as root, as CI does, to fill a real tmpfs)", why)
	}
	if os.Geteuid() != 0 {
		skip("not root, cannot mount a small tmpfs")
	}
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, fmt.Sprintf("size=%d,mode=0700", size)); err != nil {
		skip("mount tmpfs: " + err.Error())
	}
	// Registered after t.TempDir's removal, so it runs before it.
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, 0); err != nil {
			t.Logf("unmount %s: %v; detaching it", dir, err)
			syscall.Unmount(dir, syscall.MNT_DETACH)
		}
	})
	return dir
}

// filler fills a file system with one file and frees it again.
type filler struct {
	t    *testing.T
	path string
}

// fill writes the filler file in dir until the file system is full, then
// gives back leave bytes (whole pages). It returns the filler, whose free
// removes it.
func fill(t *testing.T, dir string, leave int64) *filler {
	t.Helper()
	f := &filler{t: t, path: filepath.Join(dir, "zz-filler")}
	w, err := os.OpenFile(f.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	buf := make([]byte, 64<<10)
	for _, chunk := range []int{64 << 10, 4096, 1} {
		for {
			if _, err := w.Write(buf[:chunk]); err != nil {
				if !errors.Is(err, syscall.ENOSPC) {
					t.Fatalf("fill %s: %v", dir, err)
				}
				break
			}
		}
	}
	if leave > 0 {
		st, err := w.Stat()
		if err != nil {
			t.Fatal(err)
		}
		leave = (leave + 4095) &^ 4095
		if err := w.Truncate(max(0, st.Size()-leave)); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func (f *filler) free() {
	f.t.Helper()
	if err := os.Remove(f.path); err != nil && !os.IsNotExist(err) {
		f.t.Fatal(err)
	}
}

// textMessage is a plain message of about size bytes, its lines tagged.
func textMessage(tag string, size int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "From: Citizen <citizen@example.jp>\r\nTo: staff@lgwan.example\r\nSubject: %s\r\nMessage-ID: <%s@example.jp>\r\nDate: Wed, 25 Nov 2026 10:00:00 +0900\r\n\r\n", tag, tag)
	for i := 0; b.Len() < size; i++ {
		fmt.Fprintf(&b, "%s line %06d: the quick brown fox jumps over the lazy dog 0123456789\r\n", tag, i)
	}
	return b.String()
}

// wantTempFail checks that a reply is a 451 4.3.x, the reply for our own
// disk trouble: the sending server keeps the message and retries.
// wantNoRoom checks that a reply is 452 4.3.1, the reply for a message
// our disk had no room for (Postfix's too).
func wantNoRoom(t *testing.T, what string, code int, text string) {
	t.Helper()
	if code != 452 || !strings.HasPrefix(text, "452 4.3.1 ") {
		t.Errorf("%s: got %d %q, want 452 4.3.1 (no room; the sender keeps it and retries)", what, code, text)
	}
}

func wantTempFail(t *testing.T, what string, code int, text string) {
	t.Helper()
	if code != 451 || !strings.HasPrefix(text, "451 4.3.") {
		t.Errorf("%s: got %d %q, want 451 4.3.x (the sender keeps it and retries)", what, code, text)
	}
}

// spooled returns the body of every message in the spool, by id.
func spooled(t *testing.T, sp *spool.Spool) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, m := range sp.List() {
		r, err := sp.Body(m.ID)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		out[m.ID] = b
	}
	return out
}

// maildirFiles returns the contents of the files in a Maildir's sub
// directory.
func maildirFiles(t *testing.T, dir, sub string) [][]byte {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(dir, sub))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out [][]byte
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, sub, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// sameMessages reports whether got holds exactly the messages of want,
// byte for byte, each once.
func sameMessages(got [][]byte, want map[string][]byte) error {
	var w [][]byte
	for _, b := range want {
		w = append(w, b)
	}
	slices.SortFunc(w, bytes.Compare)
	g := slices.Clone(got)
	slices.SortFunc(g, bytes.Compare)
	if len(g) != len(w) {
		return fmt.Errorf("%d messages delivered, want %d", len(g), len(w))
	}
	for i := range g {
		if !bytes.Equal(g[i], w[i]) {
			return fmt.Errorf("a delivered message differs from the one accepted (%d bytes, want %d)", len(g[i]), len(w[i]))
		}
	}
	return nil
}

// restartAndDeliver stops g, starts the gateway again on the same
// directories, as `mugai serve` would after a restart, with delivery
// to the Maildir md, and checks that exactly the messages of want arrive,
// byte for byte, that recovery dropped nothing and that the spool empties.
func restartAndDeliver(t *testing.T, g *testGateway, tempDir, md string, want map[string][]byte) *testGateway {
	t.Helper()
	g.stop()
	g2 := startGatewayTemp(t, g.cfg, true, tempDir)
	if d := g2.sp.Damage(); len(d) != 0 {
		t.Errorf("spool recovery after the restart dropped data: %+v", d)
	}
	if d := g2.q.Damage(); len(d) != 0 {
		t.Errorf("quarantine recovery after the restart dropped data: %+v", d)
	}
	waitFor(t, "delivery of every accepted message", 10*time.Second, func() bool {
		return len(g2.sp.List()) == 0 && len(maildirFiles(t, md, "new")) >= len(want)
	})
	time.Sleep(300 * time.Millisecond) // a duplicate would come now
	if err := sameMessages(maildirFiles(t, md, "new"), want); err != nil {
		t.Error(err)
	}
	if tmp := maildirFiles(t, md, "tmp"); len(tmp) != 0 {
		t.Errorf("Maildir tmp/ holds %d files", len(tmp))
	}
	return g2
}

func rejects452(g *testGateway) float64 {
	return testutil.ToFloat64(g.m.SMTPRejects.WithLabelValues("inbound", "data", "452"))
}

// wantStorageErrors checks mugai_storage_errors_total{store}, what an
// operator's alert (MugaiStorageErrors) watches, and that
// mugai_disk_free_bytes{path} is exported for the store's file system.
func wantStorageErrors(t *testing.T, g *testGateway, store string, atLeast float64) {
	t.Helper()
	if v := testutil.ToFloat64(g.m.StorageErrors.WithLabelValues(store)); v < atLeast {
		t.Errorf("storage_errors_total{store=%q} = %v, want at least %v", store, v, atLeast)
	}
	var free float64 = -1
	ch := make(chan prometheus.Metric, 8)
	g.m.DiskFree.Collect(ch)
	close(ch)
	for m := range ch {
		var pb dto.Metric
		m.Write(&pb)
		for _, l := range pb.GetLabel() {
			if l.GetName() == "path" && l.GetValue() == store {
				free = pb.GetGauge().GetValue()
			}
		}
	}
	if free < 0 {
		t.Errorf("no disk_free_bytes{path=%q}", store)
	}
}

// TestDiskFullStore: the file system of the spool, or of the quarantine,
// is full, then filled in the middle of a message: 452 each time, counted
// and logged; mail is accepted again once there is space, without a
// restart, and what got 250 is delivered after one.
func TestDiskFullStore(t *testing.T) {
	for _, tc := range []struct {
		store    string // storage_errors_total{store}
		from, to string // the configuration line moved to the tmpfs
		log      string
	}{
		// The floor is off: this is the disk filling all the same (a
		// client that declares no SIZE, other writers on the disk).
		// TestSpoolFloor and TestQuarantineFloor have it on.
		{"spool", "spool_dir: %DIR%/spool", "spool_dir: %MNT%/spool\nspool_min_free: 0", "spool put failed"},
		{"quarantine", "quarantine: {dir: %DIR%/quarantine}", "quarantine: {dir: %MNT%/quarantine}\nspool_min_free: 0", "quarantine put failed"},
	} {
		t.Run(tc.store, func(t *testing.T) {
			mnt := mountTmpfs(t, 4<<20)
			dir := t.TempDir()
			md := filepath.Join(dir, "maildir")
			cfg := gatewayConfig(t, dir, "", "", tc.from, strings.ReplaceAll(tc.to, "%MNT%", mnt))
			tmp := t.TempDir()
			g := startGatewayTemp(t, cfg, false, tmp)
			send := func(tag string, size int) (int, string) {
				return g.send("inbound", "citizen@example.jp", []string{"staff@lgwan.example"}, textMessage(tag, size))
			}
			if code, text := send("before", 20<<10); code != 250 {
				t.Fatalf("before the disk fills: %d %s", code, text)
			}

			f := fill(t, mnt, 0)
			code, text := send("full", 64<<10)
			wantNoRoom(t, tc.store+" full", code, text)
			f.free()
			f = fill(t, mnt, 256<<10)
			code, text = send("middle", 700<<10)
			wantNoRoom(t, tc.store+" filled in the middle of the message", code, text)
			// 256 KiB is free, enough for /readyz's probe file: with the
			// floor off, only the refusals tell a load balancer.
			if code, body := g.ready(); code != 503 || !strings.Contains(body, "because the disk is full (452 4.3.1; spool_min_free 0)") {
				t.Errorf("/readyz after a message was refused for a full disk: %d %q, want 503 saying so", code, body)
			}
			if v := rejects452(g); v != 2 {
				t.Errorf("smtp_rejects_total{data,452} = %v, want 2", v)
			}
			if logs := g.logs.String(); !strings.Contains(logs, tc.log) || !strings.Contains(logs, "no space left on device") {
				t.Errorf("no log line says the %s could not be written:\n%s", tc.store, logs)
			}
			wantStorageErrors(t, g, tc.store, 2)
			if len(g.sp.List()) != 1 {
				t.Errorf("spool holds %d messages, want the 1 accepted before the disk filled", len(g.sp.List()))
			}

			// Space comes back: mail is accepted again, without a restart,
			// and the gateway is ready again once it is.
			f.free()
			if code, text := send("after", 20<<10); code != 250 {
				t.Fatalf("after space was freed: %d %s", code, text)
			}
			if code, body := g.ready(); code != 200 {
				t.Errorf("/readyz once a message was accepted again: %d %q", code, body)
			}
			want := spooled(t, g.sp)
			if len(want) != 2 {
				t.Fatalf("spool holds %d messages, want the 2 accepted", len(want))
			}
			g2 := restartAndDeliver(t, g, tmp, md, want)
			// The original of a message refused because the spool was
			// full, kept first, was removed again (and that audited).
			if n, _ := g2.q.Stats(); n != 2 {
				t.Errorf("quarantine holds %d originals after the restart, want the 2 accepted", n)
			}
			if tc.store == "spool" {
				purged := 0
				for _, r := range readAudit(t, g.audit) {
					if r.Event == "purge" && r.Reason == "not_accepted" && r.QuarantineID != "" {
						purged++
					}
				}
				if purged != 2 {
					t.Errorf("%d purge records for originals of refused messages, want 2", purged)
				}
			}
		})
	}
}

// TestDiskFullTemp: the temporary directory where large messages spill
// is full, then fills in the middle of a message.
func TestDiskFullTemp(t *testing.T) {
	tmp := mountTmpfs(t, 16<<20)
	dir := t.TempDir()
	md := filepath.Join(dir, "maildir")
	cfg := gatewayConfig(t, dir, "", "")
	g := startGatewayTemp(t, cfg, false, tmp)
	send := func(tag string, size int) (int, string) {
		return g.send("inbound", "citizen@example.jp", []string{"staff@lgwan.example"}, textMessage(tag, size))
	}
	const big = 3 << 19 // 1.5 MiB: past the 1 MiB kept in memory
	if code, text := send("before", big); code != 250 {
		t.Fatalf("before the disk fills: %d %s", code, text)
	}
	f := fill(t, tmp, 0)
	code, text := send("full", big)
	wantNoRoom(t, "temp dir full", code, text)
	f.free()
	f = fill(t, tmp, 1<<20+256<<10)
	code, text = send("middle", 2<<20)
	wantNoRoom(t, "temp dir filled in the middle of the message", code, text)
	// The message fits, the sanitiser's own temporary files do not.
	f.free()
	f = fill(t, tmp, 2<<20+512<<10)
	code, text = send("sanitiser", 2<<20)
	wantNoRoom(t, "temp dir filled while sanitising", code, text)
	if v := rejects452(g); v != 3 {
		t.Errorf("smtp_rejects_total{data,452} = %v, want 3", v)
	}
	if logs := g.logs.String(); !strings.Contains(logs, "data: buffering failed") || !strings.Contains(logs, "sanitize failed") || !strings.Contains(logs, "no space left on device") {
		t.Errorf("no log line says the temp dir could not be written:\n%s", logs)
	}
	wantStorageErrors(t, g, "temp", 3)
	// A client that gives up while mugai reads the rest of a message it
	// could not buffer gets no reply: the record says so.
	f.free()
	f = fill(t, tmp, 0)
	auditBefore := len(readAudit(t, g.audit))
	s := rawDial(t, g.addr("inbound"))
	s.toData()
	recs := leaveInData(t, g, s, auditBefore, textMessage("gone", big))
	if len(recs) != 1 || recs[0].Verdict != "error" || recs[0].Reply != 452 || recs[0].Reason != lostReason {
		t.Errorf("accept records %+v, want one error, 452, reason %q", recs, lostReason)
	}
	// A line over the limit in the rest ends the reading there too, but
	// the client is answered: the record does not say it was gone.
	auditBefore = len(readAudit(t, g.audit))
	s = rawDial(t, g.addr("inbound"))
	s.toData()
	fmt.Fprint(s.conn, textMessage("long", big)+strings.Repeat("x", maxLineLength+10)+"\r\n.\r\n")
	if r := s.reply(5 * time.Second); !strings.HasPrefix(r, "452 4.3.1 ") {
		t.Errorf("reply to a message with a line too long after the disk filled: %q, want 452 4.3.1", r)
	}
	waitFor(t, "the accept record", 5*time.Second, func() bool {
		recs = readAudit(t, g.audit)[auditBefore:]
		return len(recs) > 0
	})
	if len(recs) != 1 || recs[0].Verdict != "error" || recs[0].Reply != 452 || recs[0].Reason == lostReason {
		t.Errorf("accept records %+v, want one error, 452, not saying the client was gone", recs)
	}
	f.free()
	if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
		t.Errorf("temp dir holds %d files after the sessions ended", len(ents))
	}
	if code, text := send("after", big); code != 250 {
		t.Fatalf("after space was freed: %d %s", code, text)
	}
	want := spooled(t, g.sp)
	if len(want) != 2 {
		t.Fatalf("spool holds %d messages, want the 2 accepted", len(want))
	}
	restartAndDeliver(t, g, tmp, md, want)
}

// TestDiskFullMaildir: the Maildir the route delivers to is full, then
// fills in the middle of a message. Delivery defers, leaves nothing in
// new/ or tmp/, and delivers each message once when space comes back.
func TestDiskFullMaildir(t *testing.T) {
	mnt := mountTmpfs(t, 2<<20)
	md := filepath.Join(mnt, "maildir")
	dir := t.TempDir()
	cfg := gatewayConfig(t, dir, "maildir:"+md, "", "retry: {initial: 1s", "retry: {initial: 200ms")
	tmp := t.TempDir()
	g := startGatewayTemp(t, cfg, true, tmp)
	// Maildir directories exist once the first delivery opened it.
	if code, text := g.send("inbound", "citizen@example.jp", []string{"staff@lgwan.example"}, textMessage("first", 10<<10)); code != 250 {
		t.Fatalf("first: %d %s", code, text)
	}
	waitFor(t, "the first delivery", 5*time.Second, func() bool { return len(g.sp.List()) == 0 })
	first := maildirFiles(t, md, "new")

	f := fill(t, mnt, 0)
	want := map[string][]byte{}
	deferred := func() float64 {
		return testutil.ToFloat64(g.m.DeliveryAttempts.WithLabelValues("inbound", "deferred"))
	}
	sendDeferred := func(tag string, size int) {
		t.Helper()
		d0 := deferred()
		if code, text := g.send("inbound", "citizen@example.jp", []string{"staff@lgwan.example"}, textMessage(tag, size)); code != 250 {
			t.Fatalf("%s: %d %s: the gateway's own disks are fine", tag, code, text)
		}
		waitFor(t, tag+" deferred", 5*time.Second, func() bool { return deferred() > d0 })
		for id, b := range spooled(t, g.sp) {
			want[id] = b
		}
	}
	sendDeferred("full", 64<<10)
	f.free()
	f = fill(t, mnt, 128<<10)
	sendDeferred("middle", 512<<10)
	// A retry may have delivered the first message in between; what is
	// in new/ is whole and there once.
	seen := map[string]bool{}
	for _, b := range maildirFiles(t, md, "new") {
		whole := slices.ContainsFunc(first, func(x []byte) bool { return bytes.Equal(x, b) })
		for _, w := range want {
			whole = whole || bytes.Equal(w, b)
		}
		if !whole || seen[string(b)] {
			t.Errorf("new/ holds a partial or duplicate file of %d bytes while the Maildir is full", len(b))
		}
		seen[string(b)] = true
	}
	if n := len(maildirFiles(t, md, "tmp")); n != 0 {
		t.Errorf("tmp/ holds %d partial files", n)
	}
	if !strings.Contains(g.logs.String(), "no space left on device") {
		t.Errorf("no log line says the Maildir is full")
	}
	f.free()
	waitFor(t, "delivery once space is back", 10*time.Second, func() bool { return len(g.sp.List()) == 0 })
	for i, b := range first {
		want[fmt.Sprint("first", i)] = b
	}
	if err := sameMessages(maildirFiles(t, md, "new"), want); err != nil {
		t.Error(err)
	}
	restartAndDeliver(t, g, tmp, md, want)
}
