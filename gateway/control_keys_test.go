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
// is done; so is one past the 64 KiB a call takes, saying so. A release
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
	// A body past 64 KiB is said to be so, not as net/http's "request
	// body too large".
	long := ReleaseRequest{Policy: "relaxed", To: []string{strings.Repeat("a", 70<<10) + "@city.example.lg.jp"}, User: "tanaka", Reason: "x"}
	if code, msg := e.call("POST", "/quarantine/"+id+"/release", long, nil); code != 400 ||
		msg != "release: invalid request: the request is longer than 65536 bytes, the most a control call takes" {
		t.Errorf("release with a 70 KiB body: %d %q", code, msg)
	}
	// The two refused releases are audited and counted as refusals.
	rel := e.audit("release")
	if len(rel) != 2 || rel[0].Verdict != "refused" || rel[0].QuarantineID != id || rel[0].Reason != `release: invalid request: json: unknown field "recipients"` ||
		rel[1].Verdict != "refused" || !strings.Contains(rel[1].Reason, "longer than 65536 bytes") {
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
