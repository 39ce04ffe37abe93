package gateway

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mugai/gateway/internal/mtatest"
	"mugai/gateway/spool"
)

// swaks, a real external SMTP client, against the gateway: plain,
// STARTTLS with a certificate made here, and an 8-bit Japanese message.
func TestSwaks(t *testing.T) {
	mtatest.Require(t, "swaks")
	dir := t.TempDir()
	cert, key, _ := selfSigned(t, dir)
	cfg := gatewayConfig(t, dir, "", "", "    policy: default\n", "    policy: default\n    tls: {cert: "+cert+", key: "+key+"}\n")
	g := startGateway(t, cfg, true)
	addr := g.addr("inbound")

	out, err := mtatest.Swaks(t, "--server", addr, "--to", "user@lgwan.example", "--from", "a@example.jp", "--helo", "swaks.example")
	if err != nil || !strings.Contains(out, "250 2.0.0 Ok: queued as ") {
		t.Fatalf("plain: %v\n%s", err, out)
	}
	out, err = mtatest.Swaks(t, "--server", addr, "--tls", "--to", "user@lgwan.example", "--from", "a@example.jp")
	if err != nil || !strings.Contains(out, "TLS started") || !strings.Contains(out, "250 2.0.0 Ok: queued as ") {
		t.Fatalf("STARTTLS: %v\n%s", err, out)
	}
	jp := filepath.Join(dir, "jp.eml")
	os.WriteFile(jp, []byte("From: 市民 <a@example.jp>\r\nTo: user@lgwan.example\r\nSubject: 住民票の申請について\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n担当者様\r\n住民票の写しを一通お願いします。①㈱髙\r\n"), 0o600)
	out, err = mtatest.Swaks(t, "--server", addr, "--to", "user@lgwan.example", "--from", "a@example.jp", "--data", "@"+jp)
	if err != nil || !strings.Contains(out, "250 2.0.0 Ok: queued as ") {
		t.Fatalf("8-bit Japanese: %v\n%s", err, out)
	}
	out, err = mtatest.Swaks(t, "--server", addr, "--to", "user@other.example", "--from", "a@example.jp")
	if err == nil || !strings.Contains(out, "550 5.7.1") {
		t.Errorf("relay attempt: %v\n%s", err, out)
	}

	var files []os.DirEntry
	waitFor(t, "three Maildir files", 10*time.Second, func() bool {
		files, _ = os.ReadDir(filepath.Join(dir, "maildir", "new"))
		return len(files) == 3
	})
	found := false
	for _, f := range files {
		b, _ := os.ReadFile(filepath.Join(dir, "maildir", "new", f.Name()))
		if strings.Contains(string(b), "Subject: =?utf-8?") || strings.Contains(string(b), "Subject: =?UTF-8?") {
			found = true
			if !isSevenBit(b) {
				t.Errorf("delivered Japanese message is not 7-bit clean")
			}
		}
	}
	if !found {
		t.Error("no delivered message carries the Japanese subject as an encoded word")
	}
}

func isSevenBit(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

// Postfix's smtp-sink as the next hop: 4xx defers, and the message is
// delivered when the sink recovers; 5xx fails it.
func TestSmtpSinkNextHop(t *testing.T) {
	sink := mtatest.StartSink(t, mtatest.SinkOptions{TempFail: []string{"RCPT"}})
	dir := t.TempDir()
	g := startGateway(t, gatewayConfig(t, dir, "smtp://"+sink.Addr(), ""), true)
	if code, text := g.send("inbound", "a@example.jp", []string{"s@lgwan.example"}, "Message-ID: <sink-1@example.jp>\r\nSubject: sink\r\n\r\nhello\r\n"); code != 250 {
		t.Fatalf("send: %d %s", code, text)
	}
	waitFor(t, "a deferral", 10*time.Second, func() bool {
		l := g.sp.List()
		return len(l) == 1 && l[0].Rcpts[0].State == spool.Deferred && strings.HasPrefix(l[0].Rcpts[0].LastError, "450")
	})
	sink.Stop(t)
	sink.Options.TempFail = nil
	sink.Start(t)
	sink.WaitCount(t, 1, 15*time.Second)
	waitFor(t, "an empty queue", 10*time.Second, func() bool { return len(g.sp.List()) == 0 })
	if ids := sink.MessageIDs(t); len(ids) != 1 || !strings.Contains(ids[0], "sink-1@example.jp") {
		t.Errorf("sink received %v", ids)
	}

	perm := mtatest.StartSink(t, mtatest.SinkOptions{PermFail: []string{"RCPT"}})
	dir2 := t.TempDir()
	g2 := startGateway(t, gatewayConfig(t, dir2, "smtp://"+perm.Addr(), ""), true)
	if code, text := g2.send("inbound", "a@example.jp", []string{"s@lgwan.example"}, "Subject: perm\r\n\r\nhello\r\n"); code != 250 {
		t.Fatalf("send: %d %s", code, text)
	}
	waitFor(t, "a failure", 10*time.Second, func() bool {
		l := g2.sp.List()
		return len(l) == 1 && l[0].Rcpts[0].State == spool.Failed && strings.HasPrefix(l[0].Rcpts[0].LastError, "500")
	})
}
