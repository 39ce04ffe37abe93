package gateway

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"mugai/gateway/metrics"
)

// TestControlUnknownKeys: a control call whose JSON body has a key the
// call does not take is refused with 400 and the key named, and nothing
// is done; so is one past the bound of its body, saying so. A release
// refused so is audited and counted as the other refused releases are
// (before, it left no record). Before, the key was ignored: a script that wrote "recipients"
// for "to" released the original to its original recipients, one that
// wrote "older" for "older_than" purged by the retention, and one that
// wrote "enable" for "on" had the lockdown switched off, not on.
func TestControlUnknownKeys(t *testing.T) {
	e := startRelEnv(t, relOptions{})
	e.send("taro@citizen.example", []string{"kikaku@city.example.lg.jp"}, relCitizenMessage(relPDF(1000)))
	e.lgwan.next(t)
	id := e.only().ID
	for _, c := range []struct {
		path string
		body map[string]any
		key  string
	}{
		{"/quarantine/" + id + "/release", map[string]any{"policy": "relaxed", "recipients": []string{"soumu@city.example.lg.jp"}, "user": "tanaka", "reason": "x"}, "recipients"},
		{"/quarantine/purge", map[string]any{"older": "1s", "user": "tanaka", "reason": "x"}, "older"},
		{"/lockdown", map[string]any{"enable": true, "user": "tanaka", "reason": "x"}, "enable"},
		{"/queue/" + id + "/requeue", map[string]any{"user": "tanaka", "reason": "x", "rcpt": "a@b"}, "rcpt"},
	} {
		code, msg := e.call("POST", c.path, c.body, nil)
		if code != 400 || !strings.Contains(msg, `unknown field "`+c.key+`"`) {
			t.Errorf("POST %s with %q: %d %q, want 400 naming the key", c.path, c.key, code, msg)
		}
	}
	// A body past its bound (64 KiB, and room for 100 recipients of 256
	// bytes: TestReleaseManyLongRecipients) is said to be so, not as
	// net/http's "request body too large".
	long := ReleaseRequest{Policy: "relaxed", To: []string{strings.Repeat("a", 200<<10) + "@city.example.lg.jp"}, User: "tanaka", Reason: "x"}
	if code, msg := e.call("POST", "/quarantine/"+id+"/release", long, nil); code != 400 ||
		msg != "release: invalid request: the request is longer than 117136 bytes, the most this call takes: room for 100 recipients (the largest limits.max_recipients) of up to 256 bytes each, a user and a reason; give fewer recipients in one release (-to)" {
		t.Errorf("release with a 200 KiB body: %d %q", code, msg)
	}
	// The two refused releases are audited and counted as refusals.
	rel := e.audit("release")
	if len(rel) != 2 || rel[0].Verdict != "refused" || rel[0].QuarantineID != id || rel[0].Reason != `release: invalid request: json: unknown field "recipients"` ||
		rel[1].Verdict != "refused" || !strings.Contains(rel[1].Reason, "longer than 117136 bytes") {
		t.Errorf("release records %+v, want the two refusals", rel)
	}
	if n := testutil.ToFloat64(e.m.QuarantineReleaseRefusals.WithLabelValues(metrics.ReleaseInvalid)); n != 2 {
		t.Errorf("mugai_quarantine_release_refusals_total{reason=invalid} = %v, want 2", n)
	}
	e.lgwan.none(t, 300*time.Millisecond)
	if n := testutil.ToFloat64(e.m.QuarantineReleases); n != 0 {
		t.Errorf("mugai_quarantine_releases_total = %v", n)
	}
	if len(e.q.List(nil)) != 1 {
		t.Error("the original was purged")
	}
	if e.srv.Lockdown() {
		t.Error("lockdown switched on")
	}
}

// TestControlRefusalsAudited: a purge, lockdown or requeue refused
// before it acted (a key the call does not take, a body that is not the
// call's JSON object, no reason) is an audit record of its event with
// "verdict":"refused" and the answer's text as its reason, as a refused
// release is, and counted in
// mugai_control_refusals_total{call,reason="invalid"}. Before, only
// the 400 said it: an operator's refused control action left no trace.
func TestControlRefusalsAudited(t *testing.T) {
	e := startRelEnv(t, relOptions{})
	e.send("taro@citizen.example", []string{"kikaku@city.example.lg.jp"}, relCitizenMessage(relPDF(1000)))
	e.lgwan.next(t)
	const queueID = "06H1QUEUEID00001"
	for _, c := range []struct {
		call, path string
		body       any
		msg        string // the answer, and the record's reason
		user, why  string // as the record keeps them
	}{
		{metrics.ControlPurge, "/quarantine/purge", map[string]any{"older": "1s", "user": "tanaka", "reason": "x"},
			`purge: invalid request: json: unknown field "older"`, "", ""},
		{metrics.ControlPurge, "/quarantine/purge", "all of them",
			"purge: invalid request: json: cannot unmarshal string into Go value of type gateway.PurgeRequest", "", ""},
		{metrics.ControlPurge, "/quarantine/purge", map[string]any{"older_than": "soon", "user": "tanaka", "reason": "x"},
			`purge: invalid request: older_than: time: invalid duration "soon"`, "tanaka", "x"},
		{metrics.ControlLockdown, "/lockdown", map[string]any{"enable": true, "user": "tanaka", "reason": "x"},
			`bad request: json: unknown field "enable"`, "", ""},
		{metrics.ControlLockdown, "/lockdown", "on",
			"bad request: json: cannot unmarshal string into Go value of type gateway.ControlRequest", "", ""},
		{metrics.ControlLockdown, "/lockdown", map[string]any{"on": true, "user": "tanaka"},
			"a lockdown is audited: it needs user and reason", "tanaka", ""},
		{metrics.ControlRequeue, "/queue/" + queueID + "/requeue", map[string]any{"user": "tanaka", "reason": "x", "rcpt": "a@b"},
			`bad request: json: unknown field "rcpt"`, "", ""},
		{metrics.ControlRequeue, "/queue/" + queueID + "/requeue", []string{"tanaka"},
			"bad request: json: cannot unmarshal array into Go value of type gateway.ControlRequest", "", ""},
	} {
		code, msg := e.call("POST", c.path, c.body, nil)
		if code != 400 || msg != c.msg {
			t.Errorf("POST %s %v: %d %q, want 400 %q", c.path, c.body, code, msg, c.msg)
		}
	}
	want := map[string][]string{
		metrics.ControlPurge:    {`purge: invalid request: json: unknown field "older"`, "purge: invalid request: json: cannot unmarshal", `purge: invalid request: older_than: time: invalid duration "soon"`},
		metrics.ControlLockdown: {`bad request: json: unknown field "enable"`, "bad request: json: cannot unmarshal", "a lockdown is audited"},
		metrics.ControlRequeue:  {`bad request: json: unknown field "rcpt"`, "bad request: json: cannot unmarshal"},
	}
	for call, reasons := range want {
		recs := e.audit(call)
		if len(recs) != len(reasons) {
			t.Errorf("%s records %+v, want %d refusals", call, recs, len(reasons))
			continue
		}
		for i, r := range recs {
			if r.Verdict != "refused" || !strings.HasPrefix(r.Reason, reasons[i]) {
				t.Errorf("%s record %d: %+v, want refused %q", call, i, r, reasons[i])
			}
			if call == metrics.ControlRequeue && r.QueueID != queueID {
				t.Errorf("requeue record %d names queue id %q, want %q", i, r.QueueID, queueID)
			}
		}
		if n := testutil.ToFloat64(e.m.ControlRefusals.WithLabelValues(call, metrics.ControlInvalid)); n != float64(len(reasons)) {
			t.Errorf("mugai_control_refusals_total{call=%q,reason=invalid} = %v, want %d", call, n, len(reasons))
		}
	}
	if r := e.audit(metrics.ControlPurge)[2]; r.User != "tanaka" || r.Why != "x" {
		t.Errorf("purge refusal names user %q, why %q; want tanaka, x", r.User, r.Why)
	}
	if r := e.audit(metrics.ControlLockdown)[2]; r.User != "tanaka" {
		t.Errorf("lockdown refusal names user %q, want tanaka", r.User)
	}
	if e.srv.Lockdown() || len(e.q.List(nil)) != 1 {
		t.Error("a refused call acted")
	}
}
