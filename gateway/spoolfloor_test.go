package gateway

import (
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestSpoolFloor: with the spool's file system short of spool_min_free,
// plus the size a client declares, MAIL gets Postfix's 452 4.3.1 before
// the client sends its message, /readyz fails, and the refusal is
// counted and logged; once there is room mail is accepted again, without
// a restart.
func TestSpoolFloor(t *testing.T) {
	mnt := mountTmpfs(t, 16<<20)
	dir := t.TempDir()
	cfg := gatewayConfig(t, dir, "", "", "spool_dir: %DIR%/spool", "spool_dir: "+mnt+"/spool\nspool_min_free: 4MiB")
	g := startGateway(t, cfg, false)
	mail := func(size int64) (int, string) {
		c := g.dial("inbound")
		defer c.Close()
		var opts *smtp.MailOptions
		if size > 0 {
			opts = &smtp.MailOptions{Size: size}
		}
		if err := c.Mail("citizen@example.jp", opts); err != nil {
			return smtpCode(err)
		}
		return 250, ""
	}
	rejects := func() float64 {
		return testutil.ToFloat64(g.m.SMTPRejects.WithLabelValues("inbound", "mail", "452"))
	}
	const noRoom = "452 4.3.1 Insufficient system storage, try again later"

	if code, text := mail(1 << 20); code != 250 {
		t.Fatalf("16 MiB free, 1 MiB declared: %d %s", code, text)
	}
	first := time.Now() // the first refusal, logged
	if code, text := mail(13 << 20); text != noRoom {
		t.Errorf("16 MiB free, 13 MiB declared over a 4 MiB floor: %d %q, want %q", code, text, noRoom)
	}
	if code, text := g.ready(); code != 200 {
		t.Errorf("/readyz with room: %d %s", code, text)
	}

	f := fill(t, mnt, 2<<20)
	if code, text := mail(0); text != noRoom {
		t.Errorf("2 MiB free under a 4 MiB floor: %d %q, want %q", code, text, noRoom)
	}
	if code, text := g.send("inbound", "citizen@example.jp", []string{"staff@lgwan.example"}, textMessage("low", 10<<10)); code != 452 {
		t.Errorf("a whole transaction under the floor: %d %s, want it refused at MAIL", code, text)
	}
	if code, text := g.ready(); code != 503 || !readyNoRoom.MatchString(text) {
		t.Errorf("/readyz under the floor: %d %q, want 503 %s", code, text, readyNoRoom)
	}
	if v := rejects(); v != 3 {
		t.Errorf("smtp_rejects_total{mail,452} = %v, want 3", v)
	}
	if logs := g.logs.String(); !strings.Contains(logs, "mail refused: disk low") || !strings.Contains(logs, "plus the 13 MiB declared") {
		t.Errorf("want the refusal logged, naming the declared size:\n%s", logs)
	}

	// A client sending MAIL again and again, in one session, onto a
	// disk already short: every MAIL is refused and counted, and the
	// log says so at most once a second for that client, not once a
	// command.
	const flood = 300
	c := g.dial("inbound")
	for i := range flood {
		if err := c.Mail("citizen@example.jp", nil); err == nil {
			t.Fatalf("MAIL %d of a flood under the floor: accepted", i)
		} else if code, text := smtpCode(err); text != noRoom {
			t.Fatalf("MAIL %d of a flood under the floor: %d %q, want %q", i, code, text, noRoom)
		}
		if err := c.Reset(); err != nil {
			t.Fatal(err)
		}
	}
	c.Close()
	if v := rejects(); v != 3+flood {
		t.Errorf("smtp_rejects_total{mail,452} = %v after the flood, want %d", v, 3+flood)
	}
	if n, most := strings.Count(g.logs.String(), "mail refused: disk low"), int(time.Since(first)/time.Second)+2; n > most {
		t.Errorf("%d log lines for %d refused MAIL from one client in %v, want at most %d (one a second)", n, 3+flood, time.Since(first).Round(time.Millisecond), most)
	}
	if n := len(g.sp.List()); n != 0 {
		t.Errorf("spool holds %d messages, want none", n)
	}

	f.free()
	if code, text := g.send("inbound", "citizen@example.jp", []string{"staff@lgwan.example"}, textMessage("after", 10<<10)); code != 250 {
		t.Fatalf("after space was freed: %d %s", code, text)
	}
	if n := len(g.sp.List()); n != 1 {
		t.Errorf("spool holds %d messages, want the one accepted", n)
	}
	if code, text := g.ready(); code != 200 {
		t.Errorf("/readyz after space was freed: %d %s", code, text)
	}
}

// TestSpoolFloorHuge: a floor larger than any disk (written by mistake,
// 9223372036854775807 bytes is a size) refuses every MAIL, with or
// without SIZE=, and /readyz fails: the floor plus the declared size
// must not wrap around to a negative number that lets every message in.
// The start says so.
func TestSpoolFloorHuge(t *testing.T) {
	dir := t.TempDir()
	cfg := gatewayConfig(t, dir, "", "", "spool_dir: %DIR%/spool", "spool_dir: %DIR%/spool\nspool_min_free: 9223372036854775807")
	g := startGateway(t, cfg, false)
	// Said at the start: a gateway on a disk below its floor takes no
	// mail at all.
	if logs := g.logs.String(); !strings.Contains(logs, "disk below spool_min_free: MAIL is refused with 452 4.3.1") {
		t.Errorf("no warning at the start that MAIL is refused:\n%s", logs)
	}
	const noRoom = "452 4.3.1 Insufficient system storage, try again later"
	for _, size := range []int64{0, 1, 1 << 20} {
		c := g.dial("inbound")
		var opts *smtp.MailOptions
		if size > 0 {
			opts = &smtp.MailOptions{Size: size}
		}
		if err := c.Mail("citizen@example.jp", opts); err == nil {
			t.Errorf("MAIL SIZE=%d under a floor larger than the disk: accepted", size)
		} else if code, text := smtpCode(err); text != noRoom {
			t.Errorf("MAIL SIZE=%d under a floor larger than the disk: %d %q, want %q", size, code, text, noRoom)
		}
		c.Close()
	}
	if code, text := g.ready(); code != 503 {
		t.Errorf("/readyz under a floor larger than the disk: %d %s, want 503", code, text)
	}
}

// TestQuarantineFloor: a sanitising route keeps the original before its
// 250, so the quarantine's file system, on a disk of its own, is held
// to spool_min_free too: MAIL is refused with 452 4.3.1 and /readyz
// names the quarantine. So is a quarantine whose file system cannot be
// asked for its free space (removed under the running gateway): the
// message could not be kept, and is refused before it is sent rather
// than at its end. A pass-through route (policy none) keeps no
// original and takes mail on; a gateway with no other route is ready.
func TestQuarantineFloor(t *testing.T) {
	mnt := mountTmpfs(t, 16<<20)
	f := fill(t, mnt, 2<<20)
	defer f.free()
	const noRoom = "452 4.3.1 Insufficient system storage, try again later"
	for _, tc := range []struct {
		name, policy string
		gone         bool // the quarantine's directory removed, on a disk with room
		want, ready  string
	}{
		{"full", "default", false, noRoom, "quarantine disk has"},
		{"full-pass-through", "none", false, "", ""},
		{"gone", "default", true, noRoom, "quarantine disk: cannot tell its free space"},
		{"gone-pass-through", "none", true, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			q := mnt + "/q-" + tc.policy
			if tc.gone {
				q = dir + "/quarantine"
			}
			cfg := gatewayConfig(t, dir, "", "", "quarantine: {dir: %DIR%/quarantine}", "quarantine: {dir: "+q+"}\nspool_min_free: 4MiB",
				"    policy: default\n", "    policy: "+tc.policy+"\n")
			g := startGateway(t, cfg, false)
			if tc.gone {
				if err := os.RemoveAll(q); err != nil {
					t.Fatal(err)
				}
			}
			c := g.dial("inbound")
			defer c.Close()
			var text string
			if err := c.Mail("citizen@example.jp", nil); err != nil {
				_, text = smtpCode(err)
			}
			if text != tc.want {
				t.Errorf("MAIL: %q, want %q", text, tc.want)
			}
			// A gateway whose routes all pass mail through keeps no
			// original: it takes mail, and a load balancer must keep
			// sending it some (as the floor's metric has no quarantine
			// series then, no alert says otherwise).
			switch code, text := g.ready(); {
			case tc.ready == "" && code != 200:
				t.Errorf("/readyz: %d %q, want 200: no route keeps an original", code, text)
			case tc.ready != "" && (code != 503 || !strings.Contains(text, tc.ready)):
				t.Errorf("/readyz: %d %q, want 503 saying %q", code, text, tc.ready)
			}
		})
	}
}

// TestFloorMetric: disk_min_free_bytes says the floor in force, for the
// alerts to compare disk_free_bytes with: the spool's, and the
// quarantine's while a route sanitises; a reload changes it.
func TestFloorMetric(t *testing.T) {
	dir := t.TempDir()
	cfg := gatewayConfig(t, dir, "", "", "spool_dir: %DIR%/spool", "spool_dir: %DIR%/spool\nspool_min_free: 4MiB")
	g := startGateway(t, cfg, false)
	want := func(when string, spool float64, quarantine bool) {
		t.Helper()
		if v := testutil.ToFloat64(g.m.DiskMinFree.WithLabelValues("spool")); v != spool {
			t.Errorf("%s: disk_min_free_bytes{path=spool} = %v, want %v", when, v, spool)
		}
		n := testutil.CollectAndCount(g.m.DiskMinFree)
		switch {
		case quarantine && n != 2:
			t.Errorf("%s: %d disk_min_free_bytes series, want spool and quarantine", when, n)
		case quarantine:
			if v := testutil.ToFloat64(g.m.DiskMinFree.WithLabelValues("quarantine")); v != spool {
				t.Errorf("%s: disk_min_free_bytes{path=quarantine} = %v, want %v", when, v, spool)
			}
		case n != 1:
			t.Errorf("%s: %d disk_min_free_bytes series, want the spool's only", when, n)
		}
	}
	want("at the start", 4<<20, true)

	if err := g.srv.Reload(gatewayConfig(t, dir, "", "", "spool_dir: %DIR%/spool", "spool_dir: %DIR%/spool\nspool_min_free: 0",
		"    policy: default\n", "    policy: none\n")); err != nil {
		t.Fatal(err)
	}
	want("reloaded with the floor off and no route sanitising", 0, false)

	if err := g.srv.Reload(gatewayConfig(t, dir, "", "")); err != nil {
		t.Fatal(err)
	}
	want("reloaded with the default floor", 256<<20, true)
}

// readyNoRoom is /readyz under the floor of TestSpoolFloor (4 MiB): the
// free space and the floor in the same unit.
var readyNoRoom = regexp.MustCompile(`^not ready: spool disk has [0-3] MiB free, below the 4 MiB floor \(spool_min_free\)\n$`)

// TestNoRoomText: /readyz and the log say the free space, the floor and
// a declared size in one unit, whole MiB, rounded so that they never
// seem to leave room where there is none. Before, /readyz said "has
// 1843 MiB free, below the 2GiB floor", in two units and two spellings.
func TestNoRoomText(t *testing.T) {
	for _, c := range []struct {
		free, floor, size int64
		want              string
	}{
		{1843 << 20, 2 << 30, 0, "spool disk has 1843 MiB free, below the 2048 MiB floor (spool_min_free)"},
		{2<<30 + 512<<10, 2 << 30, 25 << 20, "spool disk has 2048 MiB free, below the 2048 MiB floor (spool_min_free) plus the 25 MiB declared"},
		{(4 << 20) - 1, 4<<20 + 1, 1, "spool disk has 3 MiB free, below the 5 MiB floor (spool_min_free) plus the 1 MiB declared"},
		{100 << 20, 256 << 20, 0, "spool disk has 100 MiB free, below the 256 MiB floor (spool_min_free)"},
	} {
		if got := noRoom("spool", c.free, c.floor, c.size); got.Error() != c.want {
			t.Errorf("noRoom(%d, %d, %d) = %q\nwant %q", c.free, c.floor, c.size, got, c.want)
		}
	}
}
