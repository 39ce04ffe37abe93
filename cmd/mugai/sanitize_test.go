package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"mugai/config"
	"mugai/sanitize"
	"mugai/sanitize/invariant"
)

const sampleMessage = "From: a@example.jp\r\nTo: b@city.example.lg.jp\r\nSubject: hello\r\nMIME-Version: 1.0\r\n" +
	"Content-Type: multipart/mixed; boundary=\"x\"\r\n\r\n--x\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" +
	"<p>Visit <a href=\"https://evil.example/a\">us</a></p>\r\n--x\r\nContent-Type: application/zip; name=\"a.zip\"\r\n" +
	"Content-Type: application/octet-stream\r\n\r\nPK\x03\x04\r\n--x--\r\n"

// writeConfig writes the embedded default configuration with a change.
func writeConfig(t *testing.T, old, new string) string {
	t.Helper()
	y := string(config.DefaultYAML())
	if !strings.Contains(y, old) {
		t.Fatalf("default config lacks %q", old)
	}
	path := filepath.Join(t.TempDir(), "mugai.yaml")
	if err := os.WriteFile(path, []byte(strings.Replace(y, old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestSanitizeCommand(t *testing.T) {
	dir := t.TempDir()
	input := filepath.Join(dir, "in.eml")
	if err := os.WriteFile(input, []byte(sampleMessage), 0o644); err != nil {
		t.Fatal(err)
	}
	strict := writeConfig(t, "ambiguous: strip", "ambiguous: reject")
	tests := []struct {
		name       string
		args       []string
		stdin      string
		code       int
		stdoutHas  []string
		stdoutNone bool
		stderrHas  []string
	}{
		{name: "file", args: []string{input}, code: 0, stdoutHas: []string{"X-Mugai-Sanitized: html-to-text links-defanged", "X-Mugai-Policy: default"}},
		{name: "stdin", args: nil, stdin: sampleMessage, code: 0, stdoutHas: []string{"X-Mugai-Sanitized:"}},
		{name: "stdin dash", args: []string{"-"}, stdin: sampleMessage, code: 0, stdoutHas: []string{"X-Mugai-Sanitized:"}},
		{name: "rejected", args: []string{"-config", strict, input}, code: 3, stdoutNone: true, stderrHas: []string{"rejected", "ambiguous MIME structure"}},
		{name: "report to stderr", args: []string{"-report", "-", input}, code: 0, stderrHas: []string{`"verdict": "rebuilt"`, `"decision": "strip"`}},
		{name: "unknown policy", args: []string{"-policy", "nope", input}, code: 1, stdoutNone: true, stderrHas: []string{`no policy "nope"`, "default"}},
		{name: "policy none", args: []string{"-policy", "none", input}, code: 1, stdoutNone: true, stderrHas: []string{"does not sanitise"}},
		{name: "missing input", args: []string{filepath.Join(dir, "missing.eml")}, code: 1, stdoutNone: true, stderrHas: []string{"no such file"}},
		{name: "bad config", args: []string{"-config", filepath.Join(dir, "missing.yaml"), input}, code: 1, stdoutNone: true},
		{name: "two inputs", args: []string{input, input}, code: 1, stdoutNone: true, stderrHas: []string{"at most one INPUT"}},
		{name: "help", args: []string{"-h"}, code: 0, stdoutNone: true, stderrHas: []string{"Usage: mugai sanitize", "-policy", "-report"}},
		{name: "bad flag", args: []string{"-nope"}, code: 1, stdoutNone: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var o, e bytes.Buffer
			code := runSanitize(tt.args, strings.NewReader(tt.stdin), &o, &e)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstderr: %s", code, tt.code, e.String())
			}
			for _, s := range tt.stdoutHas {
				if !strings.Contains(o.String(), s) {
					t.Errorf("stdout lacks %q", s)
				}
			}
			if tt.stdoutNone && o.Len() > 0 {
				t.Errorf("stdout not empty: %q", o.String())
			}
			for _, s := range tt.stderrHas {
				if !strings.Contains(e.String(), s) {
					t.Errorf("stderr lacks %q:\n%s", s, e.String())
				}
			}
			if code == 0 && len(tt.stdoutHas) > 0 {
				if err := invariant.Check(bytes.NewReader(o.Bytes()), config.Default().Policies["default"]); err != nil {
					t.Error(err)
				}
			}
		})
	}
}

func TestSanitizeCommandFiles(t *testing.T) {
	dir := t.TempDir()
	input := filepath.Join(dir, "in.eml")
	os.WriteFile(input, []byte(sampleMessage), 0o644)
	out, report := filepath.Join(dir, "out.eml"), filepath.Join(dir, "report.json")
	var o, e bytes.Buffer
	if code := runSanitize([]string{"-o", out, "-report", report, input}, strings.NewReader(""), &o, &e); code != 0 {
		t.Fatalf("exit %d: %s", code, e.String())
	}
	if o.Len() > 0 {
		t.Error("stdout not empty with -o")
	}
	msg, err := os.ReadFile(out)
	if err != nil || !bytes.Contains(msg, []byte("X-Mugai-Sanitized:")) {
		t.Fatalf("output file: %v %q", err, msg)
	}
	var rep sanitize.Report
	b, _ := os.ReadFile(report)
	if err := json.Unmarshal(b, &rep); err != nil || rep.Verdict != "rebuilt" || len(rep.Parts) != 2 {
		t.Errorf("report: %v %+v", err, rep)
	}

	// A rejection leaves no output file behind.
	strict := writeConfig(t, "ambiguous: strip", "ambiguous: reject")
	out2 := filepath.Join(dir, "out2.eml")
	if code := runSanitize([]string{"-config", strict, "-o", out2, input}, strings.NewReader(""), &o, &e); code != 3 {
		t.Fatalf("exit %d, want 3", code)
	}
	if _, err := os.Stat(out2); !os.IsNotExist(err) {
		t.Errorf("output file after rejection: %v", err)
	}
	ents, _ := os.ReadDir(dir)
	for _, en := range ents {
		if strings.HasPrefix(en.Name(), ".mugai-sanitize") {
			t.Errorf("temporary file left: %s", en.Name())
		}
	}
}

// TestSanitizeCommandRules: with -from and -to the configuration's rules
// pick the policy, as the gateway would for that envelope, and stderr
// says which rule did.
func TestSanitizeCommandRules(t *testing.T) {
	y := strings.Replace(string(config.DefaultYAML()), "rules: []", `rules:
  - name: partner-kikaku
    match: {sender_domain: [partner.example.co.jp], recipient: [kikaku@lgwan.example]}
    policy: partner
  - name: one-sender
    match: {sender: [sato@other.example]}
    policy: partner
  - name: prefecture
    match: {sender_domain: [pref.example.lg.jp], clients: [127.0.0.8/29]}
    policy: partner`, 1)
	y = strings.Replace(y, "policies:\n", `policies:
  partner:
    attachments:
      keep: [{extensions: [.zip], types: [application/zip]}]
`, 1)
	cfg := filepath.Join(t.TempDir(), "mugai.yaml")
	if err := os.WriteFile(cfg, []byte(y), 0o644); err != nil {
		t.Fatal(err)
	}
	input := filepath.Join(t.TempDir(), "in.eml")
	os.WriteFile(input, []byte(sampleMessage), 0o644)
	tests := []struct {
		name      string
		args      []string
		code      int
		policy    string // X-Mugai-Policy of the rebuilt message
		stderrHas string
	}{
		{"the rule matches", []string{"-from", "Yamada@Partner.example.co.jp", "-to", "kikaku@lgwan.example"}, 0, "partner", `route inbound: rule "partner-kikaku" picks policy "partner"`},
		{"another sender", []string{"-from", "x@other.example", "-to", "kikaku@lgwan.example"}, 0, "default", `route inbound: no rule matches, the route's policy "default" applies`},
		// Each recipient's mail is checked under its own policy: the
		// gateway defers one whose policy is not the first recipient's
		// (452 4.5.3) to a message of its own, so a second recipient
		// changes nothing for the first, either way.
		{"a second recipient the rule does not name", []string{"-from", "y@partner.example.co.jp", "-to", "kikaku@lgwan.example, soumu@lgwan.example"}, 0, "partner",
			`route inbound: rule "partner-kikaku" picks policy "partner" for kikaku@lgwan.example; the gateway answers 452 4.5.3 to soumu@lgwan.example (policy "default"), whose mail is checked under another policy, and the sending server sends that in a message of its own: what follows is the message as kikaku@lgwan.example gets it`},
		{"a first recipient the rule does not name", []string{"-from", "y@partner.example.co.jp", "-to", "soumu@lgwan.example, kikaku@lgwan.example"}, 0, "default",
			`route inbound: no rule matches, the route's policy "default" applies for soumu@lgwan.example; the gateway answers 452 4.5.3 to kikaku@lgwan.example (policy "partner")`},
		{"the route named", []string{"-route", "inbound", "-from", "y@partner.example.co.jp", "-to", "kikaku@lgwan.example"}, 0, "partner", "picks policy"},
		{"no such route", []string{"-route", "nope", "-from", "a@b.example", "-to", "c@lgwan.example"}, 1, "", `no route "nope"`},
		{"-to missing", []string{"-from", "a@b.example"}, 1, "", "-from and -to are both needed"},
		// Recipients separated as a shell user might: said as such, not
		// as one address the route refuses.
		{"-to with spaces", []string{"-from", "a@b.example", "-to", "kikaku@lgwan.example soumu@lgwan.example"}, 1, "",
			`-to "kikaku@lgwan.example soumu@lgwan.example": separate recipients with commas (-to kikaku@lgwan.example,soumu@lgwan.example)`},
		// The gateway refuses a recipient outside the route's domains at
		// RCPT: the dry run picks no policy for it.
		{"a recipient outside the route's domains", []string{"-from", "a@b.example", "-to", "kikaku@lgwan.example, nobody@other.example"}, 1, "",
			"route inbound refuses nobody@other.example at RCPT TO: 550 5.7.1 Relaying denied"},
		// The rules see a recipient as the gateway keeps it after RCPT:
		// the domain lower-cased without its trailing dot, a quoted local
		// part unquoted.
		{"a recipient in another form", []string{"-from", "y@partner.example.co.jp", "-to", "kikaku@LGWAN.example., \"kikaku\"@lgwan.example"}, 0, "partner", `rule "partner-kikaku" picks policy "partner"`},
		// The sender too, as the gateway keeps it after MAIL; one it
		// refuses there is an error.
		{"a sender in another form", []string{"-from", "\"sato\"@Other.example.", "-to", "soumu@lgwan.example"}, 0, "partner", `rule "one-sender" picks policy "partner"`},
		{"a sender refused at MAIL", []string{"-from", "a b@other.example", "-to", "soumu@lgwan.example"}, 1, "", "route inbound refuses a b@other.example at MAIL FROM: 553 5.1.7"},
		// An internationalised address the gateway does not take: said
		// as such, as it answers over SMTP.
		{"a non-ASCII sender", []string{"-from", "太郎@other.example", "-to", "soumu@lgwan.example"}, 1, "",
			"route inbound refuses 太郎@other.example at MAIL FROM: 553 5.6.7 Sender address not accepted: this gateway does not accept non-ASCII (internationalised) addresses"},
		{"a non-ASCII recipient", []string{"-from", "a@b.example", "-to", "soumu@lgwan.example, ユーザー@lgwan.example"}, 1, "",
			"route inbound refuses ユーザー@lgwan.example at RCPT TO: 553 5.6.7 Recipient address not accepted: this gateway does not accept non-ASCII (internationalised) addresses"},
		{"with -policy", []string{"-policy", "default", "-from", "a@b.example", "-to", "c@lgwan.example"}, 1, "", "not both"},
		// A rule with clients: the sending server's address, which the
		// dry run must be given when such a rule would otherwise match.
		{"a rule's client", []string{"-client", "127.0.0.9", "-from", "a@pref.example.lg.jp", "-to", "c@lgwan.example"}, 0, "partner", `rule "prefecture" picks policy "partner"`},
		{"another client", []string{"-client", "127.0.0.1", "-from", "a@pref.example.lg.jp", "-to", "c@lgwan.example"}, 0, "default", "no rule matches"},
		{"an IPv4-mapped client", []string{"-client", "::ffff:127.0.0.9", "-from", "a@pref.example.lg.jp", "-to", "c@lgwan.example"}, 0, "partner", `rule "prefecture" picks policy "partner"`},
		{"no client given", []string{"-from", "a@pref.example.lg.jp", "-to", "c@lgwan.example"}, 1, "",
			`-client is needed: rule "prefecture" picks policy "partner" for mail to c@lgwan.example when the sending server is in 127.0.0.8/29`},
		{"no client needed", []string{"-from", "x@other.example", "-to", "kikaku@lgwan.example"}, 0, "default", "no rule matches"},
		{"a client the route refuses", []string{"-client", "192.0.2.1", "-from", "a@pref.example.lg.jp", "-to", "c@lgwan.example"}, 1, "",
			"route inbound refuses connections from 192.0.2.1 (its clients: 127.0.0.0/8 ::1/128)"},
		{"no address", []string{"-client", "pref-mx", "-from", "a@pref.example.lg.jp", "-to", "c@lgwan.example"}, 1, "", `-client "pref-mx" is not an IP address`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var o, e bytes.Buffer
			code := runSanitize(append(append([]string{"-config", cfg}, tt.args...), input), strings.NewReader(""), &o, &e)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstderr: %s", code, tt.code, e.String())
			}
			if !strings.Contains(e.String(), tt.stderrHas) {
				t.Errorf("stderr lacks %q:\n%s", tt.stderrHas, e.String())
			}
			if tt.policy != "" && !strings.Contains(o.String(), "X-Mugai-Policy: "+tt.policy+"\r\n") {
				t.Errorf("rebuilt message not under policy %q:\n%s", tt.policy, o.String())
			}
			if tt.code != 0 && o.Len() > 0 {
				t.Errorf("stdout not empty: %q", o.String())
			}
		})
	}
}

// TestSanitizeVerifyNote: on a route that asks its next hop about each
// recipient, the dry run says that it does not, the one refusal at RCPT
// it cannot foresee.
func TestSanitizeVerifyNote(t *testing.T) {
	cfg := writeConfig(t, "recipients: {verify: none}", "recipients: {verify: next-hop}")
	y, _ := os.ReadFile(cfg)
	os.WriteFile(cfg, []byte(strings.Replace(string(y), `to: "maildir:./mugai-data/maildir"`, `to: "smtp://127.0.0.1:25"`, 1)), 0o644)
	input := filepath.Join(t.TempDir(), "in.eml")
	os.WriteFile(input, []byte(sampleMessage), 0o644)
	var o, e bytes.Buffer
	if code := runSanitize([]string{"-config", cfg, "-from", "a@b.example", "-to", "c@lgwan.example", input}, nil, &o, &e); code != 0 {
		t.Fatalf("exit %d: %s", code, e.String())
	}
	const want = "route inbound asks its next hop at RCPT whether each recipient exists (recipients.verify: next-hop); the dry run does not"
	if !strings.Contains(e.String(), want) {
		t.Errorf("stderr lacks %q:\n%s", want, e.String())
	}
}

// TestSanitizeFromNote: for a message without a From the gateway writes
// the envelope sender. Given -from, the dry run does too; without it,
// it says so on stderr rather than let its undisclosed-sender From pass
// for what the gateway delivers.
func TestSanitizeFromNote(t *testing.T) {
	input := filepath.Join(t.TempDir(), "in.eml")
	os.WriteFile(input, []byte("To: c@lgwan.example\r\nSubject: scan\r\n\r\nscanned\r\n"), 0o644)
	const note = "the message has no usable From: the gateway writes the envelope sender there"
	for _, c := range []struct {
		args     []string
		from     string
		wantNote bool
	}{
		{nil, "undisclosed-sender@mugai.invalid", true},
		{[]string{"-policy", "default"}, "undisclosed-sender@mugai.invalid", true},
		{[]string{"-route", "inbound", "-from", "scanner@example.jp", "-to", "c@lgwan.example"}, "scanner@example.jp", false},
		{[]string{"-route", "inbound", "-from", "<>", "-to", "c@lgwan.example"}, "undisclosed-sender@mugai.invalid", false},
	} {
		var o, e bytes.Buffer
		if code := runSanitize(append(c.args, input), nil, &o, &e); code != 0 {
			t.Fatalf("%q: exit %d: %s", c.args, code, e.String())
		}
		if !strings.Contains(o.String(), "\r\nFrom: "+c.from+"\r\n") && !strings.HasPrefix(o.String(), "From: "+c.from+"\r\n") {
			t.Errorf("%q: From is not %s:\n%s", c.args, c.from, o.String())
		}
		if strings.Contains(e.String(), note) != c.wantNote {
			t.Errorf("%q: stderr has the note: %v, want %v:\n%s", c.args, !c.wantNote, c.wantNote, e.String())
		}
	}
}

// TestSanitizeRoutePolicy: without -policy or an envelope, the dry run
// applies the policy of the only sanitising route, which the gateway
// applies where no rule matches, and says so; it took the policy named
// "default" whatever the route's was.
func TestSanitizeRoutePolicy(t *testing.T) {
	path := writeConfig(t, "    policy: default\n", "    policy: standard\n")
	y, _ := os.ReadFile(path)
	os.WriteFile(path, []byte(strings.Replace(string(y), "policies:\n", "policies:\n  standard:\n    body: {links: remove}\n", 1)), 0o644)
	input := filepath.Join(t.TempDir(), "in.eml")
	os.WriteFile(input, []byte(sampleMessage), 0o644)
	var o, e bytes.Buffer
	if code := runSanitize([]string{"-config", path, input}, nil, &o, &e); code != 0 {
		t.Fatalf("exit %d: %s", code, e.String())
	}
	// Without an envelope the route's limits are not applied: said, so
	// that an admin trying max_message_size is not misled.
	if !strings.Contains(o.String(), "X-Mugai-Policy: standard\r\n") || !strings.Contains(e.String(), `policy "standard", route inbound's; its limits are not applied: give -from and -to for them`) {
		t.Errorf("not the route's policy, or not said:\n%s\n%s", e.String(), o.String())
	}
	// -policy still chooses.
	o.Reset()
	if code := runSanitize([]string{"-config", path, "-policy", "default", input}, nil, &o, &e); code != 0 || !strings.Contains(o.String(), "X-Mugai-Policy: default\r\n") {
		t.Errorf("-policy default: exit %d:\n%s", code, o.String())
	}
}

// TestSanitizeText: with -text the dry run writes what the recipient's
// mail client shows, not the base64 and encoded words the message is
// sent in: the header decoded, the notice and the text, UTF-8 or
// ISO-2022-JP output alike, and a line naming each attachment kept.
func TestSanitizeText(t *testing.T) {
	dir := t.TempDir()
	msg := "From: =?UTF-8?B?5bGx55Sw?= <taro@example.jp>\r\nTo: b@city.example.lg.jp\r\nSubject: =?UTF-8?B?44GK55+l44KJ44Gb?=\r\n" +
		"Date: Wed, 1 Apr 2026 08:00:00 +0900\r\nMessage-ID: <t1@example.jp>\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" +
		"<p>詳しくは <a href=\"https://evil.example/a\">こちら</a>。①㈱</p>\r\n" +
		"--b\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Disposition: attachment; filename=\"=?UTF-8?B?5ZCN57C/LnR4dA==?=\"\r\n\r\n名前,数量\r\n--b--\r\n"
	input := filepath.Join(dir, "in.eml")
	if err := os.WriteFile(input, []byte(msg), 0o644); err != nil {
		t.Fatal(err)
	}
	iso := writeConfig(t, "output_charset: utf-8", "output_charset: iso-2022-jp")
	want := []string{
		"From: 山田 <taro@example.jp>\n",
		"Subject: お知らせ\n",
		"X-Mugai-Sanitized: html-to-text links-defanged attachments-kept=1\n",
		"\n【お知らせ】このメールはメールゲートウェイで無害化",
		"詳しくは こちら <hxxps://evil[.]example/a>。①㈱\n",
		"\n[添付ファイル / attachment: 名簿.txt (text/plain, ",
	}
	out := filepath.Join(dir, "out.txt")
	for _, c := range []struct {
		name string
		args []string
		file string // where the text goes: "" for standard output
	}{
		{"utf-8", []string{"-text", input}, ""},
		{"iso-2022-jp", []string{"-config", iso, "-text", input}, ""},
		{"to a file", []string{"-text", "-o", out, input}, out},
	} {
		t.Run(c.name, func(t *testing.T) {
			var o, e bytes.Buffer
			if code := runSanitize(c.args, strings.NewReader(""), &o, &e); code != 0 {
				t.Fatalf("exit %d: %s", code, e.String())
			}
			got := o.String()
			if c.file != "" {
				if o.Len() > 0 {
					t.Errorf("stdout not empty with -o: %q", o.String())
				}
				b, err := os.ReadFile(c.file)
				if err != nil {
					t.Fatal(err)
				}
				got = string(b)
			}
			for _, w := range want {
				if !strings.Contains(got, w) {
					t.Errorf("the text lacks %q:\n%s", w, got)
				}
			}
			for _, bad := range []string{"=?", "\r", "Content-Transfer-Encoding", "\x1b"} {
				if strings.Contains(got, bad) {
					t.Errorf("the text holds %q:\n%s", bad, got)
				}
			}
		})
	}
}
