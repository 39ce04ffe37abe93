package gateway

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"mugai/gateway/spool"
)

// TestDeliveryRecordsCarryReply: a delivered recipient's audit record
// and log line carry the next hop's reply (its "queued as" id, the
// Maildir file name), as a failed one carries its error; the spool's
// LastError stays for errors only.
func TestDeliveryRecordsCarryReply(t *testing.T) {
	tests := []struct {
		name    string
		nextHop func(t *testing.T, dir string) string // "" for the maildir default
		want    string
	}{
		{"smtp", func(t *testing.T, _ string) string { return "smtp://" + startSink(t, false).addr }, "250 2.0.0 OK: queued"},
		{"maildir", func(*testing.T, string) string { return "" }, "250 2.0.0 delivered to maildir as "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			g := startGateway(t, gatewayConfig(t, dir, tt.nextHop(t, dir), ""), true)
			if code, text := g.send("inbound", "a@example.jp", []string{"staff@lgwan.example"}, "Subject: r\r\n\r\nhello\r\n"); code != 250 {
				t.Fatalf("send: %d %s", code, text)
			}
			var rec AuditRecord
			waitFor(t, "the delivery record", 10*time.Second, func() bool {
				for _, r := range readAuditFile(t, g.audit) {
					if r.Event == "delivery" {
						rec = r
						return true
					}
				}
				return false
			})
			if len(rec.Delivery) != 1 {
				t.Fatalf("delivery record %+v", rec)
			}
			d := rec.Delivery[0]
			if d.State != "done" || d.Code != 250 || !strings.HasPrefix(d.Text, tt.want) {
				t.Errorf("delivery outcome %+v, want done 250 with text %q…", d, tt.want)
			}
			waitFor(t, "the log line", 5*time.Second, func() bool { return strings.Contains(g.logs.String(), "msg=\"delivery attempt\"") })
			for _, line := range strings.Split(g.logs.String(), "\n") {
				if strings.Contains(line, `msg="delivery attempt"`) && !strings.Contains(line, `reply="`+tt.want) {
					t.Errorf("log line without the reply %q: %s", tt.want, line)
				}
			}
		})
	}
}

// TestDeliveryFailureKeepsLastError: a refused recipient's record and
// spool entry carry the refusal, unchanged by the success text.
func TestDeliveryFailureKeepsLastError(t *testing.T) {
	nh := startSink(t, false)
	nh.rcptCode["gone@lgwan.example"] = 550
	g := startGateway(t, gatewayConfig(t, t.TempDir(), "smtp://"+nh.addr, ""), true)
	if code, text := g.send("inbound", "a@example.jp", []string{"gone@lgwan.example", "staff@lgwan.example"}, "Subject: r\r\n\r\nhello\r\n"); code != 250 {
		t.Fatalf("send: %d %s", code, text)
	}
	var m spool.Message
	waitFor(t, "the failure", 10*time.Second, func() bool {
		l := g.sp.List()
		if len(l) == 0 || l[0].Rcpts[0].State != spool.Failed {
			return false
		}
		m = l[0]
		return true
	})
	if le := m.Rcpts[0].LastError; !strings.HasPrefix(le, "550") {
		t.Errorf("last error of the refused recipient %q", le)
	}
	if st, le := m.Rcpts[1].State, m.Rcpts[1].LastError; st != spool.Done || le != "" {
		t.Errorf("delivered recipient: %s, last error %q (want done, none)", st, le)
	}
	var rec AuditRecord
	for _, r := range readAuditFile(t, g.audit) {
		if r.Event == "delivery" {
			rec = r
		}
	}
	if len(rec.Delivery) != 2 || !strings.HasPrefix(rec.Delivery[0].Text, "550") || !strings.HasPrefix(rec.Delivery[1].Text, "250") {
		t.Errorf("delivery record %+v", rec.Delivery)
	}
}

// TestOldestAgeCountsFromRequeue: mugai_queue_oldest_message_age_seconds
// of a requeued message counts from the requeue, as its retry lifetime
// does, so MugaiQueueOldMessage does not fire for it at once.
func TestOldestAgeCountsFromRequeue(t *testing.T) {
	g := startGateway(t, gatewayConfig(t, t.TempDir(), "", ""), false)
	if code, text := g.send("inbound", "a@example.jp", []string{"staff@lgwan.example"}, "Subject: r\r\n\r\nhello\r\n"); code != 250 {
		t.Fatalf("send: %d %s", code, text)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	m, err := g.sp.Next(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rc := append([]spool.Recipient(nil), m.Rcpts...)
	rc[0].State, rc[0].Attempts, rc[0].LastError = spool.Failed, 1, "550 5.1.1 no such user"
	if err := g.sp.Update(m.ID, rc); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond) // the message is older than this now
	if _, err := g.sp.Requeue(m.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	r := &Runner{srv: g.srv}
	r.updateGauges()
	age := testutil.ToFloat64(g.m.QueueOldestMessageAge.WithLabelValues("inbound"))
	if age >= 1 {
		t.Errorf("oldest message age %.2fs right after a requeue, want under 1s (the age since the requeue)", age)
	}
}

func TestWaitingSince(t *testing.T) {
	created := time.Date(2025, 4, 1, 9, 0, 0, 0, time.UTC)
	requeued := created.Add(3 * time.Hour)
	tests := []struct {
		name  string
		rcpts []spool.Recipient
		want  time.Time
	}{
		{"pending", []spool.Recipient{{State: spool.Pending}}, created},
		{"requeued", []spool.Recipient{{State: spool.Pending, Requeued: requeued}}, requeued},
		{"deferred after a requeue", []spool.Recipient{{State: spool.Deferred, Requeued: requeued}}, requeued},
		{"one requeued, one waiting since received", []spool.Recipient{{State: spool.Pending, Requeued: requeued}, {State: spool.Deferred}}, created},
		{"the waiting one requeued, an old done one", []spool.Recipient{{State: spool.Done}, {State: spool.Deferred, Requeued: requeued}}, requeued},
		{"a requeued one that failed again does not count", []spool.Recipient{{State: spool.Failed, Requeued: requeued.Add(time.Hour)}, {State: spool.Deferred, Requeued: requeued}}, requeued},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := waitingSince(spool.Message{Created: created, Rcpts: tt.rcpts}); !got.Equal(tt.want) {
				t.Errorf("waitingSince = %v, want %v", got, tt.want)
			}
		})
	}
}
