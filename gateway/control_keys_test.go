package gateway

import (
	"net/http"
	"net/http/httptest"
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
		if code != 400 || !strings.Contains(msg, `unknown key "`+c.key+`" (allowed: `) {
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
	if len(rel) != 2 || rel[0].Verdict != "refused" || rel[0].QuarantineID != id || rel[0].Reason != `release: invalid request: unknown key "recipients" (allowed: id, policy, original, to, again, reason, user)` ||
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
			`purge: invalid request: unknown key "older" (allowed: older_than, user, reason)`, "", ""},
		{metrics.ControlPurge, "/quarantine/purge", "all of them",
			"purge: invalid request: the body is a JSON string: want an object with the keys older_than, user, reason", "", ""},
		{metrics.ControlPurge, "/quarantine/purge", map[string]any{"older_than": "soon", "user": "tanaka", "reason": "x"},
			`purge: invalid request: older_than: "soon" is not a positive duration (such as 7d or 168h)`, "tanaka", "x"},
		// "0s" would purge every original: refused, as the CLI refuses it.
		{metrics.ControlPurge, "/quarantine/purge", map[string]any{"older_than": "0s", "user": "tanaka", "reason": "x"},
			`purge: invalid request: older_than: "0s" is not a positive duration (such as 7d or 168h)`, "tanaka", "x"},
		{metrics.ControlPurge, "/quarantine/purge", map[string]any{"older_than": 7, "user": "tanaka", "reason": "x"},
			"purge: invalid request: older_than: want a string, not a JSON number", "", ""},
		{metrics.ControlLockdown, "/lockdown", map[string]any{"enable": true, "user": "tanaka", "reason": "x"},
			`bad request: unknown key "enable" (allowed: on, user, reason)`, "", ""},
		{metrics.ControlLockdown, "/lockdown", "on",
			"bad request: the body is a JSON string: want an object with the keys on, user, reason", "", ""},
		{metrics.ControlLockdown, "/lockdown", map[string]any{"on": "yes", "user": "tanaka", "reason": "x"},
			"bad request: on: want true or false, not a JSON string", "", ""},
		{metrics.ControlLockdown, "/lockdown", map[string]any{"on": true, "user": "tanaka"},
			"a lockdown is audited: it needs user and reason", "tanaka", ""},
		{metrics.ControlRequeue, "/queue/" + queueID + "/requeue", map[string]any{"user": "tanaka", "reason": "x", "rcpt": "a@b"},
			`bad request: unknown key "rcpt" (allowed: on, user, reason)`, "", ""},
		{metrics.ControlRequeue, "/queue/" + queueID + "/requeue", []string{"tanaka"},
			"bad request: the body is a JSON array: want an object with the keys on, user, reason", "", ""},
	} {
		code, msg := e.call("POST", c.path, c.body, nil)
		if code != 400 || msg != c.msg {
			t.Errorf("POST %s %v: %d %q, want 400 %q", c.path, c.body, code, msg, c.msg)
		}
	}
	want := map[string][]string{
		metrics.ControlPurge: {`purge: invalid request: unknown key "older"`, "purge: invalid request: the body is a JSON string",
			`purge: invalid request: older_than: "soon"`, `purge: invalid request: older_than: "0s"`, "purge: invalid request: older_than: want a string"},
		metrics.ControlLockdown: {`bad request: unknown key "enable"`, "bad request: the body is a JSON string", "bad request: on: want true or false", "a lockdown is audited"},
		metrics.ControlRequeue:  {`bad request: unknown key "rcpt"`, "bad request: the body is a JSON array"},
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
	if r := e.audit(metrics.ControlLockdown)[3]; r.User != "tanaka" {
		t.Errorf("lockdown refusal names user %q, want tanaka", r.User)
	}
	if e.srv.Lockdown() || len(e.q.List(nil)) != 1 {
		t.Error("a refused call acted")
	}
}

// TestDecodeControlErrors: a control call's body that is not one JSON
// object of the call's keys is refused in the call's terms (its keys,
// JSON's kinds), never in Go's ("cannot unmarshal … into Go value of
// type gateway.PurgeRequest"), and a second value after the object is
// refused, not ignored: before, only the first object of a body was
// acted on, and the rest dropped without a word.
func TestDecodeControlErrors(t *testing.T) {
	for _, c := range []struct{ body, want string }{
		{`{"older_than":"7d","user":"tanaka","reason":"x"}`, ""},
		{`  {"user":"tanaka"}` + "\n", ""},
		{``, "the body is empty: want a JSON object with the keys older_than, user, reason"},
		{`{"user":"tanaka",`, "the body ends inside its JSON value"},
		{`{user:"tanaka"}`, "the body is not JSON: invalid character 'u' looking for beginning of object key string (near byte 2)"},
		{`{"user":"tanaka"} {"older_than":"0s"}`, "the body holds more than one JSON value: want one object"},
		{`{"user":"tanaka"} x`, "the body is not JSON: invalid character 'x' looking for beginning of value (near byte 18)"},
		{`{"user":["tanaka"]}`, "user: want a string, not a JSON array"},
		{`{"User":"tanaka","Older":"1d"}`, `unknown key "Older" (allowed: older_than, user, reason)`},
		{`null`, ""},
		{`7`, "the body is a JSON number: want an object with the keys older_than, user, reason"},
		{strings.Repeat(" ", 100) + `{}`, "the request is longer than 64 bytes, the most this call takes"},
	} {
		w := httptest.NewRecorder()
		r := httptest.NewRequest("POST", "/quarantine/purge", strings.NewReader(c.body))
		r.Body = http.MaxBytesReader(w, r.Body, 64)
		var req PurgeRequest
		got := ""
		if err := decodeControl(r, &req); err != nil {
			got = err.Error()
		}
		if got != c.want {
			t.Errorf("body %q: %q, want %q", c.body, got, c.want)
		}
	}
}
