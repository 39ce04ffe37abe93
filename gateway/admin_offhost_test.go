package gateway_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"mugai/gateway"
	"mugai/gateway/internal/netnstest"
)

// TestAdminOffHost: an operator binds admin.listen to the gateway's
// LGWAN-side address so that a Prometheus on the LGWAN can scrape it.
// /metrics, /healthz and /readyz then answer the network, but no control
// call does: not from the LGWAN, and not from the internet, which reaches
// that address too (Linux's weak host model). `mugai quarantine` and
// `mugai queue` on the gateway host itself still work.
func TestAdminOffHost(t *testing.T) {
	tp := netnstest.New(t)
	bin := buildMugai(t)
	dir := t.TempDir()

	ap := func(a netip.Addr, port uint16) string { return netip.AddrPortFrom(a, port).String() }
	admin := ap(tp.GatewayLGWANAddr, 9925)
	inbound := ap(tp.GatewayInternetAddr, segSMTPPort)
	lgwanSinkAddr := ap(tp.LGWANAddr, segSMTPPort)
	startSegSink(t, tp, tp.LGWAN, lgwanSinkAddr, "sink.lgwan.example")

	cfgFile := filepath.Join(dir, "mugai.yaml")
	writeSegConfig(t, cfgFile, dir, admin, tp, inbound, ap(tp.GatewayLGWANAddr, segSMTPPort), lgwanSinkAddr, ap(tp.InternetAddr, segSMTPPort))
	m := startSegMugai(t, tp, bin, cfgFile)
	m.waitReady(t, segAdminClient(t, tp), admin)
	if !strings.Contains(m.out.String(), "admin listener is reachable off the host") {
		t.Errorf("no warning at start that the admin listener is reachable off the host:\n%s", m.out.String())
	}

	// An original in quarantine: what an attacker would want to read.
	if err := segSend(tp, tp.Internet, inbound, "citizen@example.jp", []string{"user@lgwan.example"}, segInboundMessage()); err != nil {
		t.Fatal(err)
	}

	// On the gateway host the CLI reaches the listener at its LGWAN-side
	// address, and is answered (not refused, and not falling back to
	// reading the store directly).
	cli := func(args ...string) string {
		t.Helper()
		cmd := tp.Command(tp.Gateway, bin, args...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil || strings.Contains(stderr.String(), "directly") {
			t.Fatalf("mugai %s on the gateway host: %v\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
		}
		return stdout.String()
	}
	var entries []gateway.QuarantineEntry
	if err := json.Unmarshal([]byte(cli("quarantine", "list", "-json", "-config", cfgFile)), &entries); err != nil || len(entries) != 1 {
		t.Fatalf("quarantine list on the gateway host: %v, %d entries, want 1", err, len(entries))
	}
	id := entries[0].ID
	orig := filepath.Join(dir, "original.eml")
	cli("quarantine", "show", "-original", "-o", orig, "-reason", "check the setup.exe", "-config", cfgFile, id)
	if b, err := os.ReadFile(orig); err != nil || !bytes.Contains(b, []byte("setup.exe")) {
		t.Errorf("quarantine show -original on the gateway host did not export the original: %v\n%.300s", err, b)
	}

	// A client on the host without the token, as a port forwarder or a
	// reverse proxy in front of the listener makes every client look:
	// refused too.
	local := segAdminClient(t, tp)
	for _, path := range []string{"/queue", "/quarantine/" + id + "/original"} {
		req, _ := http.NewRequest("GET", "http://"+admin+path, nil)
		if code, body := do(t, local, req); code != http.StatusUnauthorized || strings.Contains(body, "setup.exe") {
			t.Errorf("GET %s on the host without the token: %d %q, want 401", path, code, body)
		}
	}

	type call struct{ method, path, body string }
	control := []call{
		{"GET", "/quarantine", ""},
		{"GET", "/quarantine/" + id + "/original", ""},
		{"POST", "/quarantine/" + id + "/release", `{"id":"` + id + `","user":"attacker","reason":"x","to":["user@lgwan.example"]}`},
		{"POST", "/quarantine/purge", `{"older_than":"1s","user":"attacker","reason":"x"}`},
		{"GET", "/queue", ""},
		{"POST", "/lockdown", `{"on":true,"user":"attacker","reason":"x"}`},
	}
	refused := 0
	for _, ns := range []string{tp.LGWAN, tp.Internet} {
		hc := segNSClient(t, tp, ns)
		for _, c := range control {
			req, _ := http.NewRequest(c.method, "http://"+admin+c.path, strings.NewReader(c.body))
			if c.body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			code, body := do(t, hc, req)
			if code != http.StatusForbidden || !strings.Contains(body, "only to clients on the gateway host") || strings.Contains(body, "setup.exe") {
				t.Errorf("%s %s from %s: %d %q, want 403 and no content", c.method, c.path, ns, code, body)
			}
			refused++
		}
		for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
			req, _ := http.NewRequest("GET", "http://"+admin+path, nil)
			if code, _ := do(t, hc, req); code != http.StatusOK {
				t.Errorf("GET %s from %s: %d, want 200", path, ns, code)
			}
		}
	}

	// Bounded: a request line over the header limit is refused before
	// any handler, and a client off the host holds at most 8 connections
	// (the 9th is closed at once) while the host's own still get in.
	huge, _ := http.NewRequest("GET", "http://"+admin+"/queue/"+strings.Repeat("A", 64<<10), nil)
	if code, _ := do(t, segNSClient(t, tp, tp.LGWAN), huge); code != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("64 KiB request line: %d, want 431", code)
	}
	var held []net.Conn
	for range 9 {
		c, err := tp.Dial(tp.LGWAN, admin, 2*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		held = append(held, c)
	}
	// The 9th: closed by the gateway, so a read ends at once; the 8th is
	// still open, so a read waits.
	held[8].SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := held[8].Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("9th connection from one host: read %v, want EOF (closed by the gateway)", err)
	}
	held[7].SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	if _, err := held[7].Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("8th connection from one host: read %v, want it open", err)
	}
	cli("queue", "list", "-config", cfgFile)
	for _, c := range held {
		c.Close()
	}

	// Eight more LGWAN hosts fill the cap of 64 for other hosts; the CLI
	// on the gateway host, which reaches the listener at its own
	// address, is not counted against it.
	held = held[:0]
	for h := 10; h < 18; h++ {
		src := netip.AddrFrom4([4]byte{198, 51, 100, byte(h)})
		if out, err := tp.Command(tp.LGWAN, "ip", "addr", "add", src.String()+"/24", "dev", netnstest.LGWANIf).CombinedOutput(); err != nil {
			t.Fatalf("ip addr add %s: %v %s", src, err, out)
		}
		for range 8 {
			var c net.Conn
			err := tp.Do(tp.LGWAN, func() (err error) {
				d := net.Dialer{Timeout: 2 * time.Second, LocalAddr: net.TCPAddrFromAddrPort(netip.AddrPortFrom(src, 0))}
				c, err = d.Dial("tcp", admin)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			held = append(held, c)
		}
	}
	time.Sleep(100 * time.Millisecond) // the gateway accepts them all
	cli("queue", "list", "-config", cfgFile)
	for _, c := range held {
		c.Close()
	}

	// Nothing the refused calls asked for happened, and the gateway says
	// what it refused.
	if out := cli("quarantine", "list", "-json", "-config", cfgFile); !strings.Contains(out, id) {
		t.Errorf("the original was purged or released by a refused call:\n%s", out)
	}
	req, _ := http.NewRequest("GET", "http://"+admin+"/metrics", nil)
	_, metrics := do(t, segNSClient(t, tp, tp.LGWAN), req)
	for _, want := range []string{
		"mugai_lockdown_enabled 0",
		`mugai_admin_refused_total{reason="remote"} ` + strconv.Itoa(refused),
		`mugai_admin_refused_total{reason="host"} 0`,
		`mugai_admin_refused_total{reason="token"} 2`,
	} {
		if !strings.Contains(metrics, want+"\n") {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	m.stop(t)
	var records int
	for _, r := range readSegAudit(t, filepath.Join(dir, "audit.log")) {
		if r.Event != "control" {
			continue
		}
		records++
		ap, err := netip.ParseAddrPort(r.Client)
		if r.Verdict != "refused" || err != nil || (ap.Addr() != tp.LGWANAddr && ap.Addr() != tp.InternetAddr && ap.Addr() != tp.GatewayLGWANAddr) || !strings.HasPrefix(r.Reason, "GET /queue") && !strings.Contains(r.Reason, "/quarantine") && !strings.Contains(r.Reason, "/lockdown") || len(r.Reason) > 200 {
			t.Errorf("audit record %+v, want a refusal of a call from lgwan or internet", r)
		}
	}
	// At most one record a second per client: the calls above take well
	// under a second each, so there is one from each side and from the
	// host at least, and fewer than one per call.
	if records < 3 || records >= refused+2 {
		t.Errorf("%d audit records of refused control calls for %d calls, want at least 3 and fewer than %d", records, refused+2, refused+2)
	}
}

func do(t *testing.T, hc *http.Client, req *http.Request) (int, string) {
	t.Helper()
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
