package gateway

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestDiskFullAudit: the audit trail's file system fills up. Mail is
// refused with 451 rather than accepted without an audit record, the
// chain stays verifiable, and no record is lost once space is back.
func TestDiskFullAudit(t *testing.T) {
	mnt := mountTmpfs(t, 1<<20)
	dir := t.TempDir()
	md := filepath.Join(dir, "maildir")
	auditPath := filepath.Join(mnt, "audit.log")
	cfg := gatewayConfig(t, dir, "", "", "log: {audit: %DIR%/audit.log}", "log: {audit: "+auditPath+"}")
	tmp := t.TempDir()
	g := startGatewayTemp(t, cfg, false, tmp)
	send := func(tag string) (int, string) {
		return g.send("inbound", "citizen@example.jp", []string{"staff@lgwan.example"}, textMessage(tag, 2<<10))
	}
	if code, text := send("before"); code != 250 {
		t.Fatalf("before the disk fills: %d %s", code, text)
	}
	f := fill(t, mnt, 0)
	// The audit file's last page still has room for a few records; the
	// first reply that is not 250 shows the gateway noticed.
	accepted, refused := 1, 0
	for i := 0; i < 12 && refused < 2; i++ {
		code, text := send(fmt.Sprintf("full-%d", i))
		switch code {
		case 250:
			if refused > 0 {
				t.Errorf("full-%d accepted after an earlier message was refused: the audit trail is still full", i)
			}
			accepted++
		default:
			wantTempFail(t, fmt.Sprintf("full-%d", i), code, text)
			refused++
		}
	}
	if refused == 0 {
		t.Errorf("%d messages accepted while the audit trail could not be written", accepted)
	}
	if !strings.Contains(g.logs.String(), "audit write failed") {
		t.Error("no log line says the audit trail could not be written")
	}
	wantStorageErrors(t, g, "audit", 1)
	if code, body := g.ready(); code != 503 || !strings.Contains(body, "audit trail cannot be written") {
		t.Errorf("/readyz while the audit trail is full: %d %q, want 503 naming it", code, body)
	}

	// Space comes back: mail is accepted again, without a restart.
	f.free()
	if code, body := g.ready(); code != 200 {
		t.Errorf("/readyz after space was freed: %d %q", code, body)
	}
	if code, text := send("after"); code != 250 {
		t.Fatalf("after space was freed: %d %s", code, text)
	}
	accepted++
	want := spooled(t, g.sp)
	if len(want) != accepted {
		t.Fatalf("spool holds %d messages, %d were accepted", len(want), accepted)
	}
	checkAudit := func(when string) []AuditRecord {
		t.Helper()
		b, err := os.ReadFile(auditPath)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := VerifyAudit(bytes.NewReader(b)); err != nil {
			t.Errorf("%s: mugai audit verify: %v", when, err)
			return nil
		}
		return readAudit(t, auditPath)
	}
	recs := checkAudit("after space was freed")
	// Every message that got 250 has its accept record, and so does every
	// one refused.
	ok250, n451 := map[string]bool{}, 0
	for _, r := range recs {
		if r.Event != "accept" {
			continue
		}
		switch r.Reply {
		case 250:
			ok250[r.QueueID] = true
		case 451:
			n451++
		}
	}
	for id := range want {
		if !ok250[id] {
			t.Errorf("message %s got 250 but the audit trail has no accept record for it", id)
		}
	}
	// A refusal comes at MAIL once the gateway knows the trail cannot be
	// written (the client need not send its message), else at the end
	// of DATA, with its accept record.
	atMail := int(testutil.ToFloat64(g.m.SMTPRejects.WithLabelValues("inbound", "mail", "451")))
	if atMail == 0 {
		t.Error("no message was refused at MAIL while the audit trail could not be written")
	}
	if n451+atMail != refused {
		t.Errorf("%d accept records with reply 451 and %d refusals at MAIL, %d messages were refused", n451, atMail, refused)
	}

	g2 := restartAndDeliver(t, g, tmp, md, want)
	waitFor(t, "delivery records", 5*time.Second, func() bool {
		n := 0
		for _, r := range readAudit(t, auditPath) {
			if r.Event == "delivery" {
				n++
			}
		}
		return n == len(want)
	})
	g2.stop()
	checkAudit("after the restart")
}

// failingWriter fails every write while fail is set, after taking half
// of it, as a write to a full disk does.
type failingWriter struct {
	buf  bytes.Buffer
	fail bool
}

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.fail {
		w.buf.Write(p[:len(p)/2])
		return len(p) / 2, errors.New("no space left on device")
	}
	return w.buf.Write(p)
}

// TestAuditHeldRecordsBounded: while the trail cannot be written, at most
// maxPending records are held; the ones past that are not silently
// forgotten: a record in the trail says how many were lost.
func TestAuditHeldRecordsBounded(t *testing.T) {
	var errs int
	w := &failingWriter{}
	a := &Audit{w: w, err: func(error) { errs++ }}
	a.Write(&AuditRecord{Event: "accept", QueueID: "first"})
	w.fail = true
	for i := range maxPending + 5 {
		a.Write(&AuditRecord{Event: "delivery", QueueID: fmt.Sprint(i)})
	}
	if a.Ready() == nil || errs == 0 {
		t.Fatal("a failed write is not reported")
	}
	w.fail = false
	w.buf.Reset() // a stdout trail cannot cut a partial line; a file is checked in TestDiskFullAudit
	if err := a.Ready(); err != nil {
		t.Fatalf("Ready after the writes work again: %v", err)
	}
	a.Write(&AuditRecord{Event: "accept", QueueID: "last"})
	lines := strings.Split(strings.TrimSuffix(w.buf.String(), "\n"), "\n")
	if len(lines) != maxPending+2 {
		t.Fatalf("%d lines, want %d held records, the gap and the last", len(lines), maxPending)
	}
	if !strings.Contains(lines[maxPending], `"event":"audit","verdict":"lost","reason":"5 audit records were lost`) {
		t.Errorf("no record of the lost records: %s", lines[maxPending])
	}
	if !strings.Contains(lines[0], `"queue_id":"0"`) || !strings.Contains(lines[maxPending+1], `"queue_id":"last"`) {
		t.Errorf("records out of order: %.100s … %.100s", lines[0], lines[maxPending+1])
	}
}
