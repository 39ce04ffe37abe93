package gateway

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"mugai/config"
	"mugai/gateway/metrics"
	"mugai/gateway/spool"
)

// TestReleasedOriginalAfterReload: an untouched original released to a
// domain of quarantine.release_original_to waits in the queue for a
// retry (the smarthost answered 451); a reload then takes the domain out
// of release_original_to, or out of the pass-through route's domains, or
// makes that route sanitise. The release was checked against the
// configuration of its time only, and the retry delivered the original
// anyway, where the configuration in force no longer lets one go (with
// a sanitising route, to what is then the LGWAN side's next hop). Now
// each attempt checks again: the recipient fails, for the administrator
// (no bounce), with the reason in the queue and the audit trail, counted
// as a refusal (no_longer_allowed); a recipient still allowed is
// delivered.
func TestReleasedOriginalAfterReload(t *testing.T) {
	const rcpt, other = "kikaku@inet.city.example.jp", "soumu@audit.city.example.jp"
	for _, tc := range []struct {
		name   string
		change func(c *config.Config)
		why    string
		// kept: other stays allowed and is delivered
		kept bool
	}{
		{"release_original_to emptied", func(c *config.Config) { c.Quarantine.ReleaseOriginalTo = nil },
			"no longer in quarantine.release_original_to", false},
		{"domain taken out of release_original_to", func(c *config.Config) {
			c.Quarantine.ReleaseOriginalTo = []string{"audit.city.example.jp"}
		}, "no longer in quarantine.release_original_to", true},
		{"domain taken out of the route", func(c *config.Config) {
			c.Routes[1].Domains = []string{"audit.city.example.jp"}
		}, "no longer one of route internet's domains", true},
		{"route sanitises now", func(c *config.Config) { c.Routes[1].Policy = "default" },
			"route internet sanitises now", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := startRelEnv(t, relOptions{})
			c := *e.cfg
			c.Quarantine.ReleaseOriginalTo = []string{"inet.city.example.jp", "audit.city.example.jp"}
			if err := e.srv.Reload(&c); err != nil {
				t.Fatal(err)
			}
			e.send("taro@citizen.example", []string{"kikaku@city.example.lg.jp"}, relCitizenMessage(relPDF(1000)))
			e.lgwan.next(t)
			id := e.only().ID

			e.inet.defer_.Store(rcpt, true)
			e.inet.defer_.Store(other, true)
			var res ReleaseResult
			req := ReleaseRequest{Original: true, To: []string{rcpt, other}, Reason: "signed PDF as sent", User: "tanaka"}
			if code, msg := e.call("POST", "/quarantine/"+id+"/release", req, &res); code != 200 {
				t.Fatalf("release -original: %d %s", code, msg)
			}
			waitRcpt(t, e.sp, res.QueueID, rcpt, spool.Deferred)

			n := *e.cfg
			n.Quarantine.ReleaseOriginalTo = slicesClone(c.Quarantine.ReleaseOriginalTo)
			n.Routes = append([]config.Route(nil), e.cfg.Routes...)
			n.Routes[1].Domains = []string{"inet.city.example.jp", "audit.city.example.jp"}
			tc.change(&n)
			if err := e.srv.Reload(&n); err != nil {
				t.Fatal(err)
			}
			e.inet.defer_.Delete(rcpt)
			e.inet.defer_.Delete(other)

			m := waitRcpt(t, e.sp, res.QueueID, rcpt, spool.Failed)
			if !strings.Contains(m.LastError, tc.why) {
				t.Errorf("recipient's error %q, want it to say %q", m.LastError, tc.why)
			}
			if tc.kept {
				got := e.inet.next(t)
				if strings.Join(got.To, ",") != other {
					t.Errorf("delivered to %v, want only %s", got.To, other)
				}
			}
			e.inet.none(t, 500*time.Millisecond)
			e.lgwan.none(t, 0)
			want := 2.0 // each recipient refused
			if tc.kept {
				want = 1
			}
			if got := testutil.ToFloat64(e.m.QuarantineReleaseRefusals.WithLabelValues(metrics.ReleaseNoLongerAllowed)); got != want {
				t.Errorf("no_longer_allowed refusals %v, want %v", got, want)
			}
			found := false
			for _, r := range e.audit("delivery") {
				for _, d := range r.Delivery {
					found = found || r.QueueID == res.QueueID && d.Rcpt == rcpt && d.State == "failed" && strings.Contains(d.Text, tc.why)
				}
			}
			if !found {
				t.Errorf("no delivery record of %s failing with %q", rcpt, tc.why)
			}
		})
	}
}

// waitRcpt waits until rcpt of queued message id is in state want.
func waitRcpt(t *testing.T, sp *spool.Spool, id, rcpt string, want spool.State) spool.Recipient {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	var last spool.Recipient
	for time.Now().Before(deadline) {
		if m, err := sp.Get(id); err == nil {
			for _, r := range m.Rcpts {
				if r.Addr == rcpt {
					last = r
					if r.State == want {
						return r
					}
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s of %s: state %v (%q), want %v", rcpt, id, last.State, last.LastError, want)
	return last
}

func slicesClone(s []string) []string { return append([]string(nil), s...) }

// TestQueueShowWithholdsReleasedOriginal: an untouched original released
// from quarantine waits in the queue (its next hop answered 451). Its
// header section is the original's, which the quarantine hands out only
// with a user, a reason and an export record (show -headers); GET
// /queue/{id} (mugai queue show) returned it whole with none. Now it says
// where to read it instead; a message sanitised again still shows its
// (rebuilt) headers.
func TestQueueShowWithholdsReleasedOriginal(t *testing.T) {
	const rcpt = "kikaku@inet.city.example.jp"
	e := startRelEnv(t, relOptions{})
	e.send("taro@citizen.example", []string{"kikaku@city.example.lg.jp"}, relCitizenMessage(relPDF(1000)))
	e.lgwan.next(t)
	id := e.only().ID
	e.inet.defer_.Store(rcpt, true)
	var res ReleaseResult
	req := ReleaseRequest{Original: true, To: []string{rcpt}, Reason: "signed PDF as sent", User: "tanaka"}
	if code, msg := e.call("POST", "/quarantine/"+id+"/release", req, &res); code != 200 {
		t.Fatalf("release -original: %d %s", code, msg)
	}
	waitRcpt(t, e.sp, res.QueueID, rcpt, spool.Deferred)
	var body []byte
	if code, msg := e.call("GET", "/queue/"+res.QueueID, nil, &body); code != 200 {
		t.Fatalf("queue show: %d %s", code, msg)
	}
	if strings.Contains(string(body), "Yamada") || strings.Contains(string(body), `"headers":`) {
		t.Errorf("queue show hands out the original's header section:\n%s", body)
	}
	if !strings.Contains(string(body), `"headers_withheld":"the untouched original of quarantine `+id) {
		t.Errorf("queue show does not say why the headers are withheld:\n%s", body)
	}

	// A release under a policy: the rebuilt message's headers, shown.
	e.lgwan.refuse.Store("kikaku@city.example.lg.jp", true) // fails at once, stays in the queue
	var res2 ReleaseResult
	if code, msg := e.call("POST", "/quarantine/"+id+"/release", ReleaseRequest{Policy: "relaxed", User: "tanaka", Reason: "pdf"}, &res2); code != 200 {
		t.Fatalf("release -policy: %d %s", code, msg)
	}
	waitRcpt(t, e.sp, res2.QueueID, "kikaku@city.example.lg.jp", spool.Failed)
	var qm QueueMessage
	if code, msg := e.call("GET", "/queue/"+res2.QueueID, nil, &qm); code != 200 || len(qm.Headers) == 0 || qm.HeadersWithheld != "" {
		t.Errorf("queue show of a message sanitised again: %d %s headers %d withheld %q", code, msg, len(qm.Headers), qm.HeadersWithheld)
	}
}

// TestReleaseSameMailboxOnce: one release naming a mailbox twice in two
// cases (-to Kikaku@…,kikaku@…). A release compares mailboxes without
// case: a second release to kikaku@ after one to Kikaku@ is refused as
// already released (releasedTo). Yet within one release the two forms
// were kept apart, two recipients of the queued message (two RCPTs to
// the next hop), which a server that takes them for one mailbox, as the
// LGWAN servers do, may deliver there twice. Now they are one recipient.
func TestReleaseSameMailboxOnce(t *testing.T) {
	e := startRelEnv(t, relOptions{})
	e.send("taro@citizen.example", []string{"kikaku@city.example.lg.jp"}, relCitizenMessage(relPDF(1000)))
	e.lgwan.next(t)
	id := e.only().ID
	for _, tc := range []struct {
		name string
		req  ReleaseRequest
		rec  *relRecorder
		want string
	}{
		{"original", ReleaseRequest{Original: true, To: []string{"Kikaku@inet.city.example.jp", "kikaku@INET.city.example.jp."},
			User: "tanaka", Reason: "twice in one"}, e.inet, "Kikaku@inet.city.example.jp"},
		{"policy", ReleaseRequest{Policy: "relaxed", To: []string{"kikaku@city.example.lg.jp", "KIKAKU@city.example.lg.jp"},
			User: "tanaka", Reason: "twice in one", Again: true}, e.lgwan, "kikaku@city.example.lg.jp"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var res ReleaseResult
			if code, msg := e.call("POST", "/quarantine/"+id+"/release", tc.req, &res); code != 200 {
				t.Fatalf("release: %d %s", code, msg)
			}
			if strings.Join(res.To, ",") != tc.want {
				t.Errorf("released to %v, want [%s]", res.To, tc.want)
			}
			if got := tc.rec.next(t); strings.Join(got.To, ",") != tc.want {
				t.Errorf("delivered to %v, want [%s]", got.To, tc.want)
			}
			tc.rec.none(t, 300*time.Millisecond)
		})
	}
}

// TestReleaseUnderPolicyNamedOriginal: "original" is a name an operator
// may give a policy, and the policy a release records for an untouched
// original. A release sanitised again under such a policy is delivered
// through its sanitising route, not taken for an untouched original at
// delivery (which would refuse it there): the queue marks untouched
// originals apart (spool.Envelope.Untouched).
func TestReleaseUnderPolicyNamedOriginal(t *testing.T) {
	e := startRelEnv(t, relOptions{})
	c := *e.cfg
	c.Policies = map[string]config.Policy{}
	for k, v := range e.cfg.Policies {
		c.Policies[k] = v
	}
	c.Policies["original"] = e.cfg.Policies["relaxed"]
	if err := e.srv.Reload(&c); err != nil {
		t.Fatal(err)
	}
	e.send("taro@citizen.example", []string{"kikaku@city.example.lg.jp"}, relCitizenMessage(relPDF(1000)))
	e.lgwan.next(t)
	id := e.only().ID
	var res ReleaseResult
	if code, msg := e.call("POST", "/quarantine/"+id+"/release", ReleaseRequest{Policy: "original", User: "tanaka", Reason: "pdf"}, &res); code != 200 {
		t.Fatalf("release -policy original: %d %s", code, msg)
	}
	got := e.lgwan.next(t)
	if !strings.Contains(string(got.Data), "X-Mugai-") {
		t.Errorf("delivered message is not a rebuilt one:\n%.400s", got.Data)
	}
	var qm QueueMessage
	if code, _ := e.call("GET", "/queue/"+res.QueueID, nil, &qm); code == 200 && qm.HeadersWithheld != "" {
		t.Errorf("queue show withholds a rebuilt message's headers: %q", qm.HeadersWithheld)
	}
}

// TestReleaseRecoveredAtStart: the gateway stops between queuing a
// release's message and recording the release with its original (made
// here by queuing such a message while it is stopped, as the crash would
// leave it). Before, the original had no release after the restart, and
// a second release to the same recipient went through without -again
// while the first was still queued: two deliveries. Now the start
// records the queued release with its original, and the second is
// refused (409) unless it asks again.
func TestReleaseRecoveredAtStart(t *testing.T) {
	const rcpt = "kikaku@inet.city.example.jp"
	dir := t.TempDir()
	e := startRelEnv(t, relOptions{dir: dir})
	e.send("taro@citizen.example", []string{"kikaku@city.example.lg.jp"}, relCitizenMessage(relPDF(1000)))
	e.lgwan.next(t)
	id := e.only().ID
	e.stop()

	sp, err := spool.Open(e.cfg.SpoolDir, spool.Options{})
	if err != nil {
		t.Fatal(err)
	}
	qid := spool.NewID()
	env := spool.Envelope{Route: "internet", From: "taro@citizen.example", To: []string{rcpt}, Received: time.Now(),
		Policy: "original", QuarantineID: id, Released: true, Untouched: true}
	body := "Received: by gw (mugai, released from quarantine " + id + ")\r\n" + relCitizenMessage(relPDF(1000))
	if err := sp.PutID(qid, env, strings.NewReader(body), int64(len(body))); err != nil {
		t.Fatal(err)
	}
	if err := sp.Close(); err != nil {
		t.Fatal(err)
	}

	e = startRelEnv(t, relOptions{dir: dir})
	if got := e.inet.next(t); strings.Join(got.To, ",") != rcpt {
		t.Fatalf("the queued release delivered to %v", got.To)
	}
	req := ReleaseRequest{Original: true, To: []string{rcpt}, Reason: "again?", User: "suzuki"}
	if code, msg := e.call("POST", "/quarantine/"+id+"/release", req, nil); code != 409 || !strings.Contains(msg, qid) {
		t.Errorf("second release after the restart: %d %q, want 409 naming queue id %s", code, msg, qid)
	}
	e.inet.none(t, 500*time.Millisecond)
	if m, _ := e.q.Get(id); len(m.Releases) != 1 || m.Releases[0].QueueID != qid || m.Releases[0].User != recoveredUser {
		t.Errorf("releases recorded: %+v", m.Releases)
	}
}
