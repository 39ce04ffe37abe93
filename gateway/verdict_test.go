package gateway

import (
	"path/filepath"
	"strings"
	"testing"
)

// A message refused with 451 because mugai could not write it (the
// spool or the quarantine full, a temporary file that could not be
// written while it was sanitised) did not cross: its accept record's
// verdict is error with a reason saying what failed, not the rebuilt or
// passed of the sanitiser's decision, and mugai_messages_verdict_total
// does not count it. Before, both said rebuilt (passed), and the sender's
// retry was counted again: while the spool's disk was full the Verdicts
// panel went on rising as if mail crossed, and an auditor's
// select(.verdict=="rebuilt") listed messages that never did.
func TestRefusedMessageVerdict(t *testing.T) {
	tests := []struct {
		name     string
		repl     []string // configuration changes; %MNT% is the full disk
		temp     bool     // the full disk is the temporary directory
		size     int      // of the refused message
		leave    int64    // bytes left free on the full disk
		verdict  string   // of the accepted messages
		policy   string
		reason   string // the refused one's reason starts so
		storeErr string // storage_errors_total{store}
	}{
		{"spool", []string{"spool_dir: %DIR%/spool", "spool_dir: %MNT%/spool\nspool_min_free: 0"}, false, 64 << 10, 0,
			"rebuilt", "default", "the spool could not take the message: ", "spool"},
		{"quarantine", []string{"quarantine: {dir: %DIR%/quarantine}", "quarantine: {dir: %MNT%/quarantine}\nspool_min_free: 0"}, false, 64 << 10, 0,
			"rebuilt", "default", "the original could not be kept in quarantine: ", "quarantine"},
		{"spool of a pass-through route", []string{"spool_dir: %DIR%/spool", "spool_dir: %MNT%/spool\nspool_min_free: 0", "    policy: default\n", "    policy: none\n"}, false, 64 << 10, 0,
			"passed", "none", "the spool could not take the message: ", "spool"},
		// The message (1.5 MiB, past what is kept in memory) spills to
		// the temporary directory whole; its rebuilt copy finds no room
		// there.
		{"temporary file of the rebuilt message", nil, true, 3 << 19, 2 << 20,
			"rebuilt", "default", "the message could not be sanitised: ", "temp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mnt := mountTmpfs(t, 8<<20)
			dir := t.TempDir()
			var repl []string
			for _, r := range tt.repl {
				repl = append(repl, strings.ReplaceAll(r, "%MNT%", mnt))
			}
			tmp := t.TempDir()
			if tt.temp {
				tmp = mnt
			}
			g := startGatewayTemp(t, gatewayConfig(t, dir, "", "", repl...), false, tmp)
			send := func(tag string, size int) (int, string) {
				return g.send("inbound", "citizen@example.jp", []string{"staff@lgwan.example"}, textMessage(tag, size))
			}
			if code, text := send("before", 20<<10); code != 250 {
				t.Fatalf("before the disk fills: %s", text)
			}
			f := fill(t, mnt, tt.leave)
			code, text := send("refused", tt.size)
			wantNoRoom(t, "disk full", code, text)
			f.free()
			if code, text := send("again", 20<<10); code != 250 {
				t.Fatalf("after space was freed: %s", text)
			}

			s := scrape(t, "http://"+g.admin+"/metrics")
			series := `mugai_messages_verdict_total{policy="` + tt.policy + `",route="inbound",verdict="` + tt.verdict + `"}`
			if v := s[series]; v != 2 {
				t.Errorf("%s = %v, want 2: the messages accepted, not the one refused with 451", series, v)
			}
			if v := s[`mugai_storage_errors_total{store="`+tt.storeErr+`"}`]; v < 1 {
				t.Errorf("storage_errors_total{store=%q} = %v, want at least 1", tt.storeErr, v)
			}
			var accepted, refused []AuditRecord
			for _, r := range readAudit(t, filepath.Join(dir, "audit.log")) {
				switch {
				case r.Event != "accept":
				case r.Reply == 250:
					accepted = append(accepted, r)
				default:
					refused = append(refused, r)
				}
			}
			if len(accepted) != 2 || accepted[0].Verdict != tt.verdict || accepted[1].Verdict != tt.verdict {
				t.Errorf("accepted: %+v, want 2 records with verdict %s", accepted, tt.verdict)
			}
			if len(refused) != 1 {
				t.Fatalf("%d records of a refused message, want 1: %+v", len(refused), refused)
			}
			r := refused[0]
			if r.Verdict != "error" || r.Reply != 452 || !strings.HasPrefix(r.Reason, tt.reason) || r.QueueID != "" {
				t.Errorf("the refused message's record: verdict %q, reply %d, reason %q, queue id %q; want error, 452 (no room), a reason starting %q, no queue id",
					r.Verdict, r.Reply, r.Reason, r.QueueID, tt.reason)
			}
		})
	}
}
