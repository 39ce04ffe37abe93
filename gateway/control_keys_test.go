package gateway

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestControlUnknownKeys: a control call whose JSON body has a key the
// call does not take is refused with 400 and the key named, and nothing
// is done. Before, the key was ignored: a script that wrote "recipients"
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
