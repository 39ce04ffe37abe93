package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"mugai/config"
	"mugai/gateway/metrics"
	"mugai/gateway/quarantine"
	"mugai/gateway/spool"
)

// TestReadOutAudited: handing an administrator an unsanitised original,
// or its header section, is a release to a person. Every such call,
// refused or not, has an audit record saying who, what and why, and a
// metric counts it; a call that does not say who and why gets nothing.
func TestReadOutAudited(t *testing.T) {
	e := startRelEnv(t, relOptions{key: true})
	e.send("taro@citizen.example", []string{"kikaku@city.example.lg.jp"}, relCitizenMessage(relPDF(1000)))
	e.lgwan.next(t)
	id := e.only().ID
	reads := func(part, result string) float64 {
		return testutil.ToFloat64(e.m.QuarantineReads.WithLabelValues(part, result))
	}

	type call struct {
		path  string
		code  int
		msg   string // in the error
		want  string // in the body of a 200
		who   string // the audit record's user
		state string // and its verdict
	}
	calls := []call{
		{"/quarantine/" + id + "/original", 400, "user is required", "", "", "refused"},
		{"/quarantine/" + id + "/original?user=tanaka", 400, "reason is required", "", "tanaka", "refused"},
		{"/quarantine/" + id + "/headers?reason=x", 400, "user is required", "", "", "refused"},
		// Recorded, but without the escape the check refused.
		{"/quarantine/" + id + "/original?user=%1B%5B2Jroot&reason=x", 400, "control", "", "?[2Jroot", "refused"},
		{"/quarantine/0000000000000000/original" + relReader, 404, `no original "0000000000000000" in the quarantine (purged or never there)`, "", "tanaka", "refused"},
		{"/quarantine/" + id + "/headers" + relReader, 200, "", "From: Yamada Taro", "tanaka", "headers-read"},
		{"/quarantine/" + id + "/original" + relReader, 200, "", relSecret, "tanaka", "original-read"},
	}
	for _, c := range calls {
		var body []byte
		code, msg := e.call("GET", c.path, nil, &body)
		if code != c.code || !strings.Contains(msg, c.msg) || !bytes.Contains(body, []byte(c.want)) {
			t.Errorf("GET %s: %d %q, want %d %q", c.path, code, msg, c.code, c.msg)
		}
		if c.code != 200 && bytes.Contains(body, []byte(relSecret)) {
			t.Errorf("GET %s: refused, but the original was sent", c.path)
		}
	}
	ex := e.audit("export")
	if len(ex) != len(calls) {
		t.Fatalf("%d export records for %d calls: %+v", len(ex), len(calls), ex)
	}
	for i, c := range calls {
		r := ex[i]
		u, _ := url.Parse(c.path)
		if r.User != c.who || r.Verdict != c.state || r.Why != u.Query().Get("reason") || r.Client == "" ||
			!strings.Contains(c.path, "/"+r.QuarantineID+"/") {
			t.Errorf("GET %s audited as user %q verdict %q why %q id %q client %q; want %q %q", c.path, r.User, r.Verdict, r.Why, r.QuarantineID, r.Client, c.who, c.state)
		}
		if c.code == 200 && (r.Sender != "taro@citizen.example" || r.Size == 0) {
			t.Errorf("GET %s: read audited without whose original it was: %+v", c.path, r)
		}
	}
	for _, w := range []struct {
		part, result string
		n            float64
	}{{metrics.ReadOriginal, metrics.ReadRefused, 4}, {metrics.ReadHeaders, metrics.ReadRefused, 1},
		{metrics.ReadOriginal, metrics.ReadDone, 1}, {metrics.ReadHeaders, metrics.ReadDone, 1}} {
		if got := reads(w.part, w.result); got != w.n {
			t.Errorf("mugai_quarantine_reads_total{part=%q,result=%q} = %v, want %v", w.part, w.result, got, w.n)
		}
	}
}

// TestReleaseOperatorText: who released and why go to the audit trail as
// given, so they must say something, be bounded and be text: no terminal
// escapes, bidi overrides or line breaks for whoever reads the trail. A
// refused release is counted apart from the releases.
func TestReleaseOperatorText(t *testing.T) {
	e := startRelEnv(t, relOptions{})
	e.send("taro@citizen.example", []string{"kikaku@city.example.lg.jp"}, relCitizenMessage(relPDF(1000)))
	e.lgwan.next(t)
	id := e.only().ID
	bad := []struct{ name, user, reason, msg string }{
		{"escape in user", "\x1b[2Jroot", "x", "user has control"},
		{"NUL user", "\x00", "x", "user has control"},
		{"bidi override in user", "\u202etoor", "x", "user has control or formatting"},
		{"newline in reason", "tanaka", "ok\n{\"event\":\"release\"}", "reason has control"},
		{"very long user", strings.Repeat("u", 5000), "x", "user is 5000 bytes long"},
		{"very long reason", "tanaka", strings.Repeat("r", 5000), "reason is 5000 bytes long"},
	}
	for _, b := range bad {
		req := ReleaseRequest{Policy: "relaxed", User: b.user, Reason: b.reason}
		if code, msg := e.call("POST", "/quarantine/"+id+"/release", req, nil); code != 400 || !strings.Contains(msg, b.msg) {
			t.Errorf("%s: %d %q, want 400 %q", b.name, code, msg, b.msg)
		}
	}
	e.lgwan.none(t, 300*time.Millisecond)
	if n := testutil.ToFloat64(e.m.QuarantineReleaseRefusals.WithLabelValues(metrics.ReleaseInvalid)); n != float64(len(bad)) {
		t.Errorf("mugai_quarantine_release_refusals_total = %v, want %d", n, len(bad))
	}
	if n := testutil.ToFloat64(e.m.QuarantineReleases); n != 0 {
		t.Errorf("mugai_quarantine_releases_total = %v after refusals", n)
	}
	// A refusal is recorded with what was asked, and its record keeps
	// none of what the checks keep out: escapes, bidi overrides and
	// line breaks become "?", the length is bounded. So are the rest of
	// the request (the recipients, the policy, the id) and a read's.
	badID := "\x1b[2J\u202e" + id
	if code, msg := e.call("POST", "/quarantine/"+url.PathEscape(badID)+"/release",
		ReleaseRequest{Policy: "\u202erelaxed", User: "tanaka", Reason: "x"}, nil); code != 404 {
		t.Errorf("release of id %q: %d %q, want 404", badID, code, msg)
	}
	if code, msg := e.call("POST", "/quarantine/"+id+"/release", ReleaseRequest{Policy: "relaxed", User: "tanaka", Reason: "x",
		To: []string{"kikaku\u202e@city.example.lg.jp", "\x1b]0;x\x07@city.example.lg.jp"}}, nil); code != 403 {
		t.Errorf("release to recipients with escapes: %d %q, want 403", code, msg)
	}
	if code, msg := e.call("GET", "/quarantine/"+id+"/original?user=%E2%80%AEtoor&reason=x", nil, nil); code != 400 {
		t.Errorf("read by a user with a bidi override: %d %q, want 400", code, msg)
	}
	rel := e.audit("release")
	if len(rel) != len(bad)+2 {
		t.Errorf("%d release records for %d refusals", len(rel), len(bad)+2)
	}
	for _, r := range append(rel, e.audit("export")...) {
		for _, f := range append([]string{r.User, r.Why, r.QuarantineID, r.Policy, r.Reason}, r.Rcpts...) {
			if strings.ContainsAny(f, "\x00\x1b\x07\n\u202e") || len(f) > maxOperatorReason+100 {
				t.Errorf("%s record holds %.80q", r.Event, f)
			}
		}
	}
	// Japanese names and reasons are text, and fine.
	req := ReleaseRequest{Policy: "relaxed", User: "田中 (sudo as root)", Reason: "申請書の PDF、チケット 2025-118"}
	if code, msg := e.call("POST", "/quarantine/"+id+"/release", req, nil); code != 200 {
		t.Fatalf("release: %d %s", code, msg)
	}
	e.lgwan.next(t)
	// The same rules for a manual purge.
	if code, msg := e.call("POST", "/quarantine/purge", PurgeRequest{OlderThan: "1h", User: "\x1b]0;x\x07", Reason: "x"}, nil); code != 400 || !strings.Contains(msg, "control") {
		t.Errorf("purge by a user with escapes: %d %q", code, msg)
	}
}

// TestReleaseWhileAuditDown: while the audit trail cannot be written
// (its disk is full), nothing is released, read out or purged by hand:
// 503, nothing at the next hop, no original in the answer. Once space is
// back the refusals are in the trail and its chain verifies.
func TestReleaseWhileAuditDown(t *testing.T) {
	mnt := mountTmpfs(t, 1<<20)
	e := startRelEnv(t, relOptions{audit: filepath.Join(mnt, "audit.log")})
	e.send("taro@citizen.example", []string{"kikaku@city.example.lg.jp"}, relCitizenMessage(relPDF(1000)))
	e.lgwan.next(t)
	id := e.only().ID

	// A message no worker takes (its route is not configured), for the
	// queue's audited changes below.
	qid := spool.NewID()
	env := spool.Envelope{Route: "gone", From: "taro@citizen.example", To: []string{"kikaku@city.example.lg.jp"}, Received: time.Now()}
	msg := "Subject: x\r\n\r\nx\r\n"
	if err := e.sp.PutID(qid, env, strings.NewReader(msg), int64(len(msg))); err != nil {
		t.Fatal(err)
	}

	f := fill(t, mnt, 0)
	// The trail's last page may still hold a few records: release until
	// the gateway notices; each release before that was audited.
	released, refusedAt := 0, -1
	for i := 0; i < 200 && refusedAt < 0; i++ {
		req := ReleaseRequest{Policy: "relaxed", User: "tanaka", Reason: fmt.Sprintf("try %d", i), Again: true}
		switch code, msg := e.call("POST", "/quarantine/"+id+"/release", req, nil); code {
		case 200:
			released++
		case 503:
			if !strings.Contains(msg, "audit trail cannot be written") {
				t.Errorf("release %d: 503 %q", i, msg)
			}
			refusedAt = i
		default:
			t.Fatalf("release %d: %d %q", i, code, msg)
		}
	}
	if refusedAt < 0 {
		t.Fatalf("%d releases while the audit trail could not be written", released)
	}
	for range released {
		e.lgwan.next(t)
	}
	// Once refused, refused until the trail can be written again.
	req := ReleaseRequest{Original: true, To: []string{"kikaku@inet.city.example.jp"}, User: "tanaka", Reason: "again"}
	if code, msg := e.call("POST", "/quarantine/"+id+"/release", req, nil); code != 503 {
		t.Errorf("release -original with the trail down: %d %q", code, msg)
	}
	var body []byte
	if code, _ := e.call("GET", "/quarantine/"+id+"/original"+relReader, nil, &body); code != 503 || bytes.Contains(body, []byte(relSecret)) {
		t.Errorf("original read out with the trail down: %d", code)
	}
	if code, _ := e.call("GET", "/quarantine/"+id+"/headers"+relReader, nil, nil); code != 503 {
		t.Errorf("headers read out with the trail down: %d", code)
	}
	if code, _ := e.call("POST", "/quarantine/purge", PurgeRequest{OlderThan: "1ms", User: "tanaka", Reason: "disk"}, nil); code != 503 {
		t.Errorf("purge with the trail down: %d", code)
	}
	// A requeue sends a message across again, a delete drops one: not
	// without their records either.
	if code, msg := e.call("POST", "/queue/"+qid+"/requeue", ControlRequest{User: "tanaka", Reason: "again"}, nil); code != 503 ||
		!strings.Contains(msg, "audit trail cannot be written") {
		t.Errorf("requeue with the trail down: %d %q", code, msg)
	}
	if code, msg := e.call("DELETE", "/queue/"+qid+"?user=tanaka&reason=gone", nil, nil); code != 503 ||
		!strings.Contains(msg, "audit trail cannot be written") {
		t.Errorf("delete with the trail down: %d %q", code, msg)
	}
	if _, err := e.sp.Get(qid); err != nil {
		t.Errorf("queued message deleted while the trail was down: %v", err)
	}
	// The lockdown goes on (its record held), not off.
	if code, msg := e.call("POST", "/lockdown", ControlRequest{On: true, User: "tanaka", Reason: "phishing"}, nil); code != 200 || !e.srv.Lockdown() {
		t.Errorf("lockdown on with the trail down: %d %q", code, msg)
	}
	if code, msg := e.call("POST", "/lockdown", ControlRequest{On: false, User: "tanaka", Reason: "over"}, nil); code != 503 || !e.srv.Lockdown() {
		t.Errorf("lockdown off with the trail down: %d %q", code, msg)
	}
	if n := testutil.ToFloat64(e.m.AdminRefused.WithLabelValues(metrics.AdminRefusedAuditDown)); n != 3 {
		t.Errorf("mugai_admin_refused_total{reason=audit-down} = %v, want 3", n)
	}
	e.lgwan.none(t, 300*time.Millisecond)
	e.inet.none(t, 0)
	if _, err := e.q.Get(id); err != nil {
		t.Errorf("original purged while the trail was down: %v", err)
	}

	f.free()
	if err := e.srv.Audit.Ready(); err != nil {
		t.Fatalf("trail still down after space came back: %v", err)
	}
	rel := e.audit("release") // verifies the chain too
	var ok, down int
	for _, r := range rel {
		switch {
		case r.Verdict == "rebuilt" && r.QueueID != "":
			ok++
		case r.Verdict == "error" && strings.Contains(r.Reason, "audit trail cannot be written"):
			down++
		}
	}
	if ok != released || down != 2 {
		t.Errorf("trail has %d releases (want %d) and %d refused for the trail (want 2)", ok, released, down)
	}
	if ex := e.audit("export"); len(ex) != 2 || ex[0].Verdict != "error" || ex[1].Verdict != "error" {
		t.Errorf("refused reads audited as %+v", ex)
	}
	if ctl := e.audit("control"); len(ctl) != 3 || ctl[0].Verdict != "refused" || !strings.Contains(ctl[0].Reason, "/requeue: ") ||
		!strings.Contains(ctl[1].Reason, "DELETE /queue/") || !strings.Contains(ctl[2].Reason, "POST /lockdown: ") {
		t.Errorf("refused changes audited as %+v", ctl)
	}
	if ld := e.audit("lockdown"); len(ld) != 1 || ld[0].Verdict != "on" {
		t.Errorf("lockdown audited as %+v", ld)
	}
	if n := testutil.ToFloat64(e.m.QuarantineReleases); n != float64(released) {
		t.Errorf("mugai_quarantine_releases_total = %v, want %d", n, released)
	}
	if _, err := os.Stat(e.cfg.Log.Audit); err != nil {
		t.Fatal(err)
	}
}

// TestQuarantineListBounded: a listing of a huge quarantine is bounded:
// the newest maxListEntries of those that match, still oldest first, and
// X-Mugai-Total says how many matched.
func TestQuarantineListBounded(t *testing.T) {
	defer func(n int) { maxListEntries = n }(maxListEntries)
	maxListEntries = 3
	base := time.Now().Add(-time.Hour)
	e := startRelEnv(t, relOptions{})
	var ids []string
	for i := range 5 {
		msg := fmt.Sprintf("From: a@citizen.example\r\nSubject: %d\r\n\r\nhello\r\n", i)
		id, err := e.q.Put(quarantineMetaForTest(base.Add(time.Duration(i)*time.Minute)), strings.NewReader(msg), int64(len(msg)))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	req, _ := http.NewRequest("GET", e.admin+"/quarantine?sender=citizen", nil)
	req.Header.Set("Authorization", "Bearer "+e.srv.ControlToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var l []QuarantineEntry
	if err := json.NewDecoder(resp.Body).Decode(&l); err != nil || resp.StatusCode != 200 {
		t.Fatalf("list: %d %v", resp.StatusCode, err)
	}
	var got []string
	for _, x := range l {
		got = append(got, x.ID)
	}
	if strings.Join(got, ",") != strings.Join(ids[2:], ",") || resp.Header.Get("X-Mugai-Total") != "5" {
		t.Errorf("listed %v with X-Mugai-Total %q; want the newest 3 %v and 5", got, resp.Header.Get("X-Mugai-Total"), ids[2:])
	}
	// Within the bound: everything, no header.
	var few []QuarantineEntry
	if code, msg := e.call("GET", "/quarantine?sender=nobody", nil, &few); code != 200 || len(few) != 0 {
		t.Errorf("list of none: %d %s %v", code, msg, few)
	}
}

func quarantineMetaForTest(at time.Time) quarantine.Meta {
	return quarantine.Meta{Time: at, Route: "inbound", From: "a@citizen.example", To: []string{"kikaku@city.example.lg.jp"}, Policy: "default", Verdict: "rebuilt"}
}

// TestExportDirectRefusals: a direct read of an original is refused,
// with nothing handed out, when its record could not go to the gateway's
// chained trail: a trail on stdout (the gateway's journal), a trail the
// gateway has not created, a spool a gateway holds; and, as through the
// admin listener, without a user and a reason.
func TestExportDirectRefusals(t *testing.T) {
	dir := t.TempDir()
	q, err := quarantine.Open(filepath.Join(dir, "quarantine"), quarantine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	id, err := q.Put(quarantineMetaForTest(time.Now()), strings.NewReader("Subject: x\r\n\r\nbody\r\n"), 20)
	if err != nil {
		t.Fatal(err)
	}
	sp, err := spool.Open(filepath.Join(dir, "spool"), spool.Options{})
	if err != nil {
		t.Fatal(err)
	}
	trail := filepath.Join(dir, "audit.log")
	os.WriteFile(trail, nil, 0o600)
	cfg := &config.Config{SpoolDir: filepath.Join(dir, "spool"), Log: config.Log{Audit: trail}}
	tests := []struct {
		name, audit, user, reason string
		want                      error
	}{
		{"gateway running", trail, "tanaka", "ticket 1", ErrGatewayRunning},
		{"trail on stdout", "stdout", "tanaka", "ticket 1", ErrAuditDown},
		{"trail not created", filepath.Join(dir, "none.log"), "tanaka", "ticket 1", ErrAuditDown},
		{"no reason", trail, "tanaka", " ", ErrInvalid},
		{"escape in user", trail, "\x1b[2J", "ticket 1", ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := *cfg
			c.Log.Audit = tt.audit
			_, rc, _, err := ExportDirect(&c, q, "DIR", id, metrics.ReadOriginal, tt.user, tt.reason)
			if !errors.Is(err, tt.want) || rc != nil {
				t.Errorf("got %v, %v; want %v and nothing handed out", rc, err, tt.want)
			}
		})
	}
	sp.Close()
	_, rc, last, err := ExportDirect(cfg, q, "DIR", id, metrics.ReadOriginal, "tanaka", "ticket 2")
	if err != nil {
		t.Fatalf("with the gateway stopped: %v", err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	data, _ := os.ReadFile(trail)
	if string(b) != "Subject: x\r\n\r\nbody\r\n" || bytes.Count(data, []byte("\n")) != 1 || !bytes.Contains(data, []byte(`"verdict":"original-read"`)) {
		t.Errorf("read %q; trail %s", b, data)
	}
	// The hash it says the trail ends with is its record's.
	if c, err := VerifyAuditChain(bytes.NewReader(data)); err != nil || c.Last != last {
		t.Errorf("ExportDirect says the trail ends at %q; it ends at %q (%v)", last, c.Last, err)
	}
}

// TestReadOutRecordFirst: the audit trail's disk fills while an
// administrator reads originals out. Before, the read whose record was
// the first the disk could not take was answered 200 with the original,
// its record only held in memory (to be written once there is room, and
// lost if the gateway stops meanwhile): unsanitised content handed to a
// person with no record on disk. Now each read's record is written and
// synced before the original is sent (Audit.Commit), or the read is
// refused with 503; every 200 has its record in the file at that moment.
func TestReadOutRecordFirst(t *testing.T) {
	mnt := mountTmpfs(t, 1<<20)
	e := startRelEnv(t, relOptions{audit: filepath.Join(mnt, "audit.log")})
	e.send("taro@citizen.example", []string{"kikaku@city.example.lg.jp"}, relCitizenMessage(relPDF(1000)))
	e.lgwan.next(t)
	id := e.only().ID
	onDisk := func() int {
		b, err := os.ReadFile(e.cfg.Log.Audit)
		if err != nil {
			t.Fatal(err)
		}
		return bytes.Count(b, []byte(`"verdict":"original-read"`))
	}

	f := fill(t, mnt, 0)
	read, refusedAt := 0, -1
	for i := 0; i < 200 && refusedAt < 0; i++ {
		var body []byte
		switch code, msg := e.call("GET", "/quarantine/"+id+"/original"+relReader, nil, &body); code {
		case 200:
			read++
			if !bytes.Contains(body, []byte(relSecret)) {
				t.Fatalf("read %d: 200 without the original", i)
			}
			if n := onDisk(); n != read {
				t.Fatalf("read %d handed out the original with %d of its %d records in the trail", i, n, read)
			}
		case 503:
			if !strings.Contains(msg, "audit trail cannot be written") {
				t.Errorf("read %d: 503 %q", i, msg)
			}
			refusedAt = i
		default:
			t.Fatalf("read %d: %d %q", i, code, msg)
		}
	}
	if refusedAt < 0 {
		t.Fatalf("%d reads while the audit trail could not be written", read)
	}
	f.free()
	if err := e.srv.Audit.Ready(); err != nil {
		t.Fatalf("trail still down after space came back: %v", err)
	}
	ex := e.audit("export") // verifies the chain too
	var ok, down int
	for _, r := range ex {
		switch {
		case r.Verdict == "original-read":
			ok++
		case r.Verdict == "error" && strings.Contains(r.Reason, "audit trail cannot be written"):
			down++
		}
	}
	if ok != read || down != 1 {
		t.Errorf("trail has %d reads (want %d) and %d refused for the trail (want 1)", ok, read, down)
	}
	if n := testutil.ToFloat64(e.m.QuarantineReads.WithLabelValues(metrics.ReadOriginal, metrics.ReadDone)); n != float64(read) {
		t.Errorf("reads counted %v, want %d", n, read)
	}
}

// TestReleaseRecordFirst: the audit trail's disk fills while an
// administrator releases. Before, the release whose record was the first
// the disk could not take was queued, delivered and answered 200, its
// record only held in memory (lost if the gateway stopped before there
// was room). Now the record, with its queue id, is written and synced
// before the message is queued, or the release is refused with 503 and
// nothing is queued: every 200 has its record in the file at that
// moment, and only released messages are delivered.
func TestReleaseRecordFirst(t *testing.T) {
	mnt := mountTmpfs(t, 1<<20)
	e := startRelEnv(t, relOptions{audit: filepath.Join(mnt, "audit.log")})
	e.send("taro@citizen.example", []string{"kikaku@city.example.lg.jp"}, relCitizenMessage(relPDF(1000)))
	e.lgwan.next(t)
	id := e.only().ID
	onDisk := func(queueID string) bool {
		b, err := os.ReadFile(e.cfg.Log.Audit)
		if err != nil {
			t.Fatal(err)
		}
		return bytes.Contains(b, []byte(`"event":"release"`)) && bytes.Contains(b, []byte(`"queue_id":"`+queueID+`"`))
	}

	f := fill(t, mnt, 0)
	released, refusedAt := 0, -1
	for i := 0; i < 200 && refusedAt < 0; i++ {
		var res ReleaseResult
		req := ReleaseRequest{Policy: "relaxed", User: "tanaka", Reason: fmt.Sprintf("try %d", i), Again: true}
		switch code, msg := e.call("POST", "/quarantine/"+id+"/release", req, &res); code {
		case 200:
			released++
			if !onDisk(res.QueueID) {
				t.Fatalf("release %d queued as %s with no record of it in the trail", i, res.QueueID)
			}
		case 503:
			if !strings.Contains(msg, "audit trail cannot be written") {
				t.Errorf("release %d: 503 %q", i, msg)
			}
			refusedAt = i
		default:
			t.Fatalf("release %d: %d %q", i, code, msg)
		}
	}
	if refusedAt < 0 {
		t.Fatalf("%d releases while the audit trail could not be written", released)
	}
	for range released {
		e.lgwan.next(t)
	}
	e.lgwan.none(t, 500*time.Millisecond)
	f.free()
	if err := e.srv.Audit.Ready(); err != nil {
		t.Fatalf("trail still down after space came back: %v", err)
	}
	var ok, down int
	for _, r := range e.audit("release") { // verifies the chain too
		switch {
		case r.Verdict == "rebuilt" && r.QueueID != "":
			ok++
		case r.Verdict == "error" && strings.Contains(r.Reason, "audit trail cannot be written"):
			down++
		}
	}
	if ok != released || down != 1 {
		t.Errorf("trail has %d releases (want %d) and %d refused for the trail (want 1)", ok, released, down)
	}
	if m, _ := e.q.Get(id); len(m.Releases) != released {
		t.Errorf("the original records %d releases, want %d", len(m.Releases), released)
	}
}

// armedWriter is an audit trail's writer that fails every write while
// fail is set, taking nothing.
type armedWriter struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	fail bool
}

func (w *armedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.fail {
		return 0, errors.New("no space left on device")
	}
	return w.buf.Write(p)
}

func (w *armedWriter) set(fail bool) {
	w.mu.Lock()
	w.fail = fail
	w.mu.Unlock()
}

// TestPurgeRecordFirst: the audit trail's next write fails, after the
// last one worked (so the purge's check that the trail can be written
// passes). Before, a purge by hand then removed the originals and only
// held their records in memory (lost if the gateway stopped before the
// trail could take them): originals gone with no record on disk of who
// removed them. Now a "requested" record, naming the user, the reason,
// how many and how much, is written and synced first, or nothing is
// purged (503).
func TestPurgeRecordFirst(t *testing.T) {
	e := startRelEnv(t, relOptions{})
	e.send("taro@citizen.example", []string{"kikaku@city.example.lg.jp"}, relCitizenMessage(relPDF(1000)))
	e.lgwan.next(t)
	id := e.only().ID
	// The delivery's record is the last the runner writes; then the
	// trail's writer is swapped under its lock (the runner reads
	// srv.Audit, which must not be replaced while it runs).
	deadline := time.Now().Add(10 * time.Second)
	for len(e.audit("delivery")) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	w := &armedWriter{}
	a := e.srv.Audit
	a.mu.Lock()
	a.w, a.f, a.err = w, nil, func(error) {}
	a.mu.Unlock()

	w.set(true)
	if code, msg := e.call("POST", "/quarantine/purge", PurgeRequest{OlderThan: "1ms", User: "tanaka", Reason: "disk"}, nil); code != 503 ||
		!strings.Contains(msg, "audit trail cannot be written") {
		t.Errorf("purge whose record the trail cannot take: %d %q, want 503", code, msg)
	}
	if _, err := e.q.Get(id); err != nil {
		t.Fatalf("original purged with no record on disk: %v", err)
	}

	w.set(false)
	var res PurgeResult
	if code, msg := e.call("POST", "/quarantine/purge", PurgeRequest{OlderThan: "1ms", User: "tanaka", Reason: "disk"}, &res); code != 200 || res.Purged != 1 {
		t.Fatalf("purge: %d %q %+v", code, msg, res)
	}
	lines := strings.Split(strings.TrimSpace(w.buf.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"event":"purge"`) ||
		!strings.Contains(lines[0], `"verdict":"requested","reason":"manual: 1 original(s) received before `) ||
		!strings.Contains(lines[0], `"user":"tanaka","why":"disk"`) ||
		!strings.Contains(lines[1], `"verdict":"purged","reason":"manual","quarantine_id":"`+id) {
		t.Errorf("trail:\n%s", w.buf.String())
	}
}

// TestQuarantineListShowsIndex: a listing is made from the store's
// index, which keeps the first quarantine.IndexRemoved removed files and
// the count of the others, and the From: field and Message-ID for the
// filters, not the report; show reads the whole metadata back, the report
// and every removed file.
func TestQuarantineListShowsIndex(t *testing.T) {
	e := startRelEnv(t, relOptions{})
	m := quarantineMetaForTest(time.Now().Add(-time.Minute))
	for i := range quarantine.IndexRemoved + 5 {
		m.Removed = append(m.Removed, fmt.Sprintf("f%d.exe (executable, not allowed)", i))
	}
	m.Report = json.RawMessage(`{"verdict":"rebuilt","from":"市民 <taro@citizen.example>","message_id":"<abc@citizen.example>","parts":[]}`)
	msg := "From: taro@citizen.example\r\nSubject: s\r\n\r\nhello\r\n"
	id, err := e.q.Put(m, strings.NewReader(msg), int64(len(msg)))
	if err != nil {
		t.Fatal(err)
	}
	var l []QuarantineEntry
	if code, body := e.call("GET", "/quarantine?message_id=abc@citizen&sender=taro@", nil, &l); code != 200 || len(l) != 1 {
		t.Fatalf("list: %d %s %v", code, body, l)
	}
	if x := l[0]; len(x.Removed) != quarantine.IndexRemoved || x.RemovedMore != 5 || x.HeaderFrom != "市民 <taro@citizen.example>" {
		t.Errorf("listed %d+%d removed, header from %q", len(x.Removed), x.RemovedMore, x.HeaderFrom)
	}
	var d QuarantineDetail
	if code, body := e.call("GET", "/quarantine/"+id, nil, &d); code != 200 {
		t.Fatalf("show: %d %s", code, body)
	}
	var got, want any
	json.Unmarshal(d.Report, &got)
	json.Unmarshal(m.Report, &want)
	if len(d.Removed) != len(m.Removed) || d.RemovedMore != 0 || fmt.Sprint(got) != fmt.Sprint(want) || d.MessageID != "<abc@citizen.example>" {
		t.Errorf("show: %d+%d removed, report %s, message-id %q", len(d.Removed), d.RemovedMore, d.Report, d.MessageID)
	}
}
