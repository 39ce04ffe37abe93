package main

import (
	"bytes"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"mugai/config"
)

func runCmd(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = run(args, strings.NewReader(""), &o, &e)
	return code, o.String(), e.String()
}

func TestCheck(t *testing.T) {
	tests := []struct {
		args     []string
		code     int
		inOut    string
		inStderr []string
	}{
		{[]string{"check"}, 0, "(embedded default): ok", nil},
		// The disk floor below which MAIL gets 452, in force.
		{[]string{"check"}, 0, "spool ./mugai-data/spool (spool_min_free 256MiB)", nil},
		{[]string{"config", "default"}, 0, "spool_min_free: 256MiB", nil},
		// A Maildir has neither TLS nor a next hop to wait for.
		{[]string{"check"}, 0, "deliver maildir:./mugai-data/maildir\n", nil},
		{[]string{"check", "-config", "../../deploy/mugai.example.yaml"}, 0, "routes (2):", nil},
		// The limits in force, defaults filled in (outbound sets no
		// timeouts or per-client count).
		{[]string{"check", "-config", "../../deploy/mugai.example.yaml"}, 0,
			"limits max_message_size 25MiB (EHLO SIZE 26214401), max_recipients 100, max_connections 200 (10 per client), session_timeout 10m\n", nil},
		{[]string{"check", "-config", "../../deploy/mugai.example.yaml"}, 0,
			"limits max_message_size 25MiB (EHLO SIZE 26214401), max_recipients 500, max_connections 50 (50 per client), session_timeout 10m\n", nil},
		{[]string{"check", "-config", "../../deploy/mugai.example.yaml"}, 0, "deliver smtp://10.1.0.25:25 (tls opportunistic, attempt_timeout 30m)", nil},
		// A rule says what it matches.
		{[]string{"check", "-config", "../../deploy/mugai.example.yaml"}, 0, "1. prefecture: route inbound and sender_domain pref.example.lg.jp and clients 198.51.100.0/28 → policy relaxed", nil},
		{[]string{"check", "-config", "../../config/testdata/unknown_key.bad.yaml"}, 1, "",
			[]string{"../../config/testdata/unknown_key.bad.yaml:7:", "polciy", "unknown key"}},
		{[]string{"check", "-config", "../../config/testdata/many.bad.yaml"}, 1, "", []string{"3 errors"}},
		{[]string{"check", "-nope"}, 1, "", []string{"flag provided but not defined"}},
		// A file given without -config is not silently replaced by the
		// embedded default (serve would start on it).
		{[]string{"check", "../../config/testdata/unknown_key.bad.yaml"}, 1, "", []string{`mugai check: unexpected argument "../../config/testdata/unknown_key.bad.yaml" (a configuration file is given with -config FILE)`}},
		{[]string{"check", "-config", "../../deploy/mugai.example.yaml", "extra"}, 1, "", []string{`unexpected argument "extra"`}},
		{[]string{"serve", "/etc/mugai/mugai.yaml"}, 1, "", []string{`mugai serve: unexpected argument "/etc/mugai/mugai.yaml"`, "Usage: mugai serve"}},
		{[]string{"check", "-h"}, 0, "", []string{"Usage: mugai check"}},
		{[]string{"bogus"}, 1, "", []string{`unknown command "bogus"`}},
		{[]string{"help"}, 0, "check", nil},
		// What a script may test for, said where a newcomer looks.
		{[]string{"help"}, 0, "Exit status: 0 done", nil},
		{[]string{"version"}, 0, "mugai ", nil},
		{[]string{"config", "default"}, 0, "policies:", nil},
		{[]string{"config"}, 1, "", []string{"Usage: mugai config"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, out, errOut := runCmd(tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, out, errOut)
			}
			if !strings.Contains(out, tt.inOut) {
				t.Errorf("stdout lacks %q:\n%s", tt.inOut, out)
			}
			for _, w := range tt.inStderr {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
		})
	}
}

// TestCheckWarnings: valid settings that weaken what the gateway promises
// are named, and the exit status stays 0.
func TestCheckWarnings(t *testing.T) {
	ca, err := filepath.Abs("../../deploy/testdata/tls.crt")
	if err != nil {
		t.Fatal(err)
	}
	y := strings.NewReplacer(
		"links: defang ", "links: keep   ",
		"default: strip                 # strip, keep, reject", "default: keep",
		"original: quarantine ", "original: discard    ",
		`to: "maildir:./mugai-data/maildir"`, `to: "smtp://127.0.0.1:25"`+"\n      attempt_timeout: 2m\n      ca_file: "+ca,
		"spool_min_free: 256MiB", "spool_min_free: 0",
		"types: [text/plain]", "types: [text/plain, text/csv, application/pfd, application/x-pdf, application/x-mugai-custom]",
		"headers: [From,", "headers: [Content-Type, From,",
		`listen: "127.0.0.1:9925"`, `listen: ":9925"`,
		"min_data_rate: 1KiB", "min_data_rate: 100",
		"audit: ./mugai-data/audit.log", "audit: stdout",
		"output_charset: utf-8 ", "mime: {max_depth: 1000, max_parts: 10000, max_header_bytes: 2MiB, max_html_depth: 100000}\n    output_charset: utf-8 ",
		"hostname: localhost\n", "hostname: localhost\n    interface: eth-nosuch\n",
	).Replace(string(config.DefaultYAML()))
	path := filepath.Join(t.TempDir(), "risky.yaml")
	if err := os.WriteFile(path, []byte(y), 0o644); err != nil {
		t.Fatal(err)
	}
	var o, e bytes.Buffer
	if code := run([]string{"check", "-config", path}, strings.NewReader(""), &o, &e); code != 0 {
		t.Fatalf("exit %d: %s", code, e.String())
	}
	for _, w := range []string{
		"warnings (19):",
		// Opportunistic TLS verifies nothing, ca_file or not.
		"route inbound: deliver.ca_file is used only with tls: required; with tls: opportunistic the next hop's certificate is not verified at all",
		// Clamped by the sanitiser: not the limit the file says.
		"policy default: mime.max_depth 1000 is above the 100 the sanitiser holds to whatever is written: 100 applies",
		"policy default: mime.max_header_bytes 2MiB is above the 1MiB the sanitiser holds to whatever is written: 1MiB applies",
		"policy default: mime.max_html_depth 100000 is above the 512 the sanitiser holds to whatever is written: 512 applies",
		// The journal drops what passes its rate limit.
		"log.audit: stdout (the default when it is not set) writes the audit trail to standard output: under systemd the journal takes it",
		// SO_BINDTODEVICE to an interface the host lacks: serve fails.
		"route inbound: interface eth-nosuch does not exist on this host (it has lo",
		// 25 MiB at 100 bytes a second, past the session time limit.
		"route inbound: limits.min_data_rate 100 lets one message take up to 3d1h to send (data_timeout 1m, then max_message_size 25MiB at that rate), which session_timeout does not cut short: a client sending that slowly holds a connection that long; raise min_data_rate or lower max_message_size",
		// Metrics and health for anyone on the network.
		"admin.listen :9925 is reachable off the host: /metrics, /healthz and /readyz answer anyone who can connect",
		"spool_min_free: 0 takes mail until the spool's disk is full",
		"route inbound: deliver.attempt_timeout 2m is shorter than the 10m",
		"route inbound: no bounces: a sender whose mail the next hop refuses for good",
		"policy default: links: keep leaves links clickable",
		"policy default: attachments default keep delivers every kind of file",
		"policy default: original: discard keeps no original",
		"policy default: headers[0]: the rebuild writes Content-Type itself, the rebuilt message's structure being new, so listing it carries nothing of the original's",
		// A type mugai never reads from a file's content, which is what a
		// rule is compared with: the rule keeps nothing by it. A typo; a
		// type only senders declare; the type a CSV file is delivered as.
		"policy default: attachments.keep[0].types: application/pfd is no type mugai reads from a file's content, which is what the rule is compared with, so the rule keeps no file by it; did you mean application/pdf?",
		"policy default: attachments.keep[0].types: application/x-pdf is no type mugai reads from a file's content, which is what the rule is compared with, so the rule keeps no file by it; did you mean application/pdf?",
		"policy default: attachments.keep[0].types: text/csv is no type mugai reads from a file's content, which is what the rule is compared with, so the rule keeps no file by it (a CSV, TSV or other text file reads as text/plain)",
		"application/x-mugai-custom is no type mugai reads from a file's content, which is what the rule is compared with, so the rule keeps no file by it\n",
	} {
		if !strings.Contains(o.String(), w) {
			t.Errorf("check output lacks %q:\n%s", w, o.String())
		}
	}
	o.Reset()
	run([]string{"check"}, strings.NewReader(""), &o, &e)
	if strings.Contains(o.String(), "warnings") {
		t.Errorf("the embedded default has warnings:\n%s", o.String())
	}
}

// TestCheckSenderRules: the envelope sender is anyone's to write on a
// route open to the internet, so a rule that relaxes the policy by it
// alone is said to be forgeable; with clients, the networks of that
// sender's own servers, it is not.
func TestCheckSenderRules(t *testing.T) {
	example, err := os.ReadFile("../../deploy/mugai.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	const clients = "      clients: [198.51.100.0/28]       # the prefecture's outbound mail servers\n"
	if !bytes.Contains(example, []byte(clients)) {
		t.Fatalf("the example's rule has no line %q", clients)
	}
	const warning = "rule prefecture: sender_domain is the envelope sender (MAIL FROM), which any client of route inbound (0.0.0.0/0) may write: whoever forges it gets policy relaxed; give the rule clients, the networks of those senders' own servers"
	for _, tt := range []struct {
		name, yaml string
		warned     bool
	}{
		{"with clients", string(example), false},
		{"without clients", strings.Replace(string(example), clients, "", 1), true},
		{"clients open to all", strings.Replace(string(example), clients, "      clients: [198.51.100.0/28, 0.0.0.0/0]\n", 1), true},
	} {
		// Beside the example's keys and certificate, which it names
		// relative to itself; the keys with the modes an install gives
		// them (a checkout leaves them readable by all, which check
		// warns of).
		dir := t.TempDir()
		if err := os.Mkdir(filepath.Join(dir, "testdata"), 0o755); err != nil {
			t.Fatal(err)
		}
		for f, mode := range map[string]os.FileMode{"tls.crt": 0o644, "tls.key": 0o640, "quarantine.key": 0o600} {
			b, err := os.ReadFile(filepath.Join("../../deploy/testdata", f))
			if err != nil {
				t.Fatal(err)
			}
			to := filepath.Join(dir, "testdata", f)
			if err := os.WriteFile(to, b, mode); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(to, mode); err != nil { // past the umask
				t.Fatal(err)
			}
		}
		path := filepath.Join(dir, "mugai.yaml")
		if err := os.WriteFile(path, []byte(tt.yaml), 0o644); err != nil {
			t.Fatal(err)
		}
		var o, e bytes.Buffer
		if code := run([]string{"check", "-config", path}, strings.NewReader(""), &o, &e); code != 0 {
			t.Fatalf("%s: exit %d: %s", tt.name, code, e.String())
		}
		if got := strings.Contains(o.String(), warning); got != tt.warned {
			t.Errorf("%s: warned %v, want %v:\n%s", tt.name, got, tt.warned, o.String())
		}
		if !tt.warned {
			// The example's interfaces (eth-inet, eth-lgwan) are the
			// gateway host's: this one may lack them, and is told.
			_, ws, _ := strings.Cut(o.String(), "warnings (")
			for _, w := range strings.Split(ws, "\n")[1:] {
				if w != "" && !strings.Contains(w, "does not exist on this host") {
					t.Errorf("%s: warning %q", tt.name, w)
				}
			}
		}
	}
}

// TestCheckShadowedRule: a rule below one that matches every message it
// matches never picks its policy; check says so, and the dry run for
// the later rule's own envelope shows the earlier rule's policy.
func TestCheckShadowedRule(t *testing.T) {
	const general = `
  - name: prefecture
    match: {sender_domain: [pref.example.lg.jp], clients: [127.0.0.0/8]}
    policy: partner`
	const narrow = `
  - name: prefecture-kikaku
    match: {sender: [sato@pref.example.lg.jp], recipient: [kikaku@lgwan.example], clients: [127.0.0.8/29]}
    policy: kikaku`
	write := func(rules string) string {
		y := strings.Replace(string(config.DefaultYAML()), "rules: []", "rules:"+rules, 1)
		y = strings.Replace(y, "policies:\n", "policies:\n  partner: {}\n  kikaku: {}\n", 1)
		path := filepath.Join(t.TempDir(), "mugai.yaml")
		if err := os.WriteFile(path, []byte(y), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	path := write(general + narrow)
	code, out, errs := runCmd("check", "-config", path)
	if code != 0 {
		t.Fatalf("check: exit %d: %s", code, errs)
	}
	const want = "rule prefecture-kikaku never picks policy kikaku: rule prefecture, before it, matches every message it matches (sender_domain pref.example.lg.jp and clients 127.0.0.0/8), and the first rule that matches wins; put rule prefecture-kikaku first, or narrow rule prefecture"
	if !strings.Contains(out, want) {
		t.Errorf("check output lacks %q:\n%s", want, out)
	}
	input := filepath.Join(t.TempDir(), "in.eml")
	os.WriteFile(input, []byte(sampleMessage), 0o644)
	code, _, errs = runCmd("sanitize", "-config", path, "-client", "127.0.0.9", "-from", "sato@pref.example.lg.jp", "-to", "kikaku@lgwan.example", input)
	if code != 0 || !strings.Contains(errs, `rule "prefecture" picks policy "partner"`) {
		t.Errorf("dry run: exit %d, %s", code, errs)
	}
	// In the other order both are reached: no warning.
	if code, out, errs = runCmd("check", "-config", write(narrow+general)); code != 0 || strings.Contains(out, "never picks") || !strings.Contains(out, "1. prefecture-kikaku:") {
		t.Errorf("rules reordered: exit %d, still warned or not reordered:\n%s%s", code, out, errs)
	}
}

// TestCheckUnreachableEntries: a rule's recipient, recipient_domain or
// clients entry that the route refuses (a typo, most often) never
// matches; check names it, and the dry run refuses that envelope.
func TestCheckUnreachableEntries(t *testing.T) {
	y := strings.Replace(string(config.DefaultYAML()), "rules: []", `rules:
  - name: kikaku
    match: {recipient: [kikaku@lgwan.example, kikaku@lgwan.exmaple], recipient_domain: [lgwan.example, lgwan.exmaple], clients: [127.0.0.8/29, 192.0.2.0/24]}
    policy: partner`, 1)
	y = strings.Replace(y, "policies:\n", "policies:\n  partner: {}\n", 1)
	path := filepath.Join(t.TempDir(), "mugai.yaml")
	if err := os.WriteFile(path, []byte(y), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runCmd("check", "-config", path)
	if code != 0 {
		t.Fatalf("check: exit %d: %s", code, errs)
	}
	for _, w := range []string{
		"warnings (3):",
		"rule kikaku: match.recipient_domain[1] lgwan.exmaple is none of the domains of route inbound, which refuses such recipients: the entry never matches",
		"rule kikaku: match.recipient[1] kikaku@lgwan.exmaple is in none of the domains of route inbound, which refuses it: the entry never matches",
		"rule kikaku: match.clients[1] 192.0.2.0/24 is outside the clients of route inbound, which refuses connections from it: the entry never matches",
	} {
		if !strings.Contains(out, w) {
			t.Errorf("check output lacks %q:\n%s", w, out)
		}
	}
	input := filepath.Join(t.TempDir(), "in.eml")
	os.WriteFile(input, []byte(sampleMessage), 0o644)
	if code, _, errs := runCmd("sanitize", "-config", path, "-client", "127.0.0.9", "-from", "a@b.example", "-to", "kikaku@lgwan.exmaple", input); code != 1 || !strings.Contains(errs, "refuses kikaku@lgwan.exmaple at RCPT TO") {
		t.Errorf("dry run for the entry: exit %d, %s", code, errs)
	}
}

// TestCheckBouncesConnections: a route's notices go over one connection
// (StartDelivery starts one worker a route for them), so a
// bounces.connections written in the file is said to do nothing; the
// default filled in is not.
func TestCheckBouncesConnections(t *testing.T) {
	for _, tt := range []struct {
		bounces string
		warned  bool
	}{
		{`{to: "smtp://127.0.0.1:25", connections: 4}`, true},
		{`{to: "smtp://127.0.0.1:25"}`, false},
	} {
		path := writeConfig(t, `to: "maildir:./mugai-data/maildir"`, `to: "maildir:./mugai-data/maildir"`+"\n    bounces: "+tt.bounces)
		code, out, errs := runCmd("check", "-config", path)
		if code != 0 {
			t.Fatalf("check: exit %d: %s", code, errs)
		}
		const w = "route inbound: bounces.connections is not used: a route's notices go over one connection at a time, whatever it says"
		if strings.Contains(out, w) != tt.warned {
			t.Errorf("bounces %s: warned %v, want %v:\n%s", tt.bounces, !tt.warned, tt.warned, out)
		}
	}
}

// TestMIMECeilingApplies: what check warns of is what the sanitiser
// does: with mime.max_depth 1000 written, a message nested 120 deep is
// cut at 100.
func TestMIMECeilingApplies(t *testing.T) {
	path := writeConfig(t, "output_charset: utf-8 ", "mime: {max_depth: 1000}\n    output_charset: utf-8 ")
	var msg strings.Builder
	msg.WriteString("From: a@b.example\r\nSubject: deep\r\nMIME-Version: 1.0\r\n")
	for i := 0; i < 120; i++ {
		fmt.Fprintf(&msg, "Content-Type: multipart/mixed; boundary=\"b%d\"\r\n\r\n--b%d\r\n", i, i)
	}
	msg.WriteString("Content-Type: text/plain\r\n\r\nhi\r\n")
	input := filepath.Join(t.TempDir(), "deep.eml")
	os.WriteFile(input, []byte(msg.String()), 0o644)
	code, _, errs := runCmd("sanitize", "-config", path, "-report", "-", input)
	if code != 0 || !strings.Contains(errs, "MIME nesting deeper than 100") {
		t.Errorf("exit %d, report:\n%s", code, errs)
	}
}

// TestCheckRecipientsFile: a line of recipients.file that is not an
// address lists no one; check names the file and the line.
func TestCheckRecipientsFile(t *testing.T) {
	list := filepath.Join(t.TempDir(), "rcpts")
	os.WriteFile(list, []byte("\ufeffkikaku@lgwan.example\r\nzaimu@lgwan.example # 財務課\r\nユーザー@lgwan.example\r\n"), 0o600)
	path := writeConfig(t, "recipients: {verify: none}", "recipients: {verify: none, file: "+list+"}")
	code, out, errs := runCmd("check", "-config", path)
	if code != 0 {
		t.Fatalf("check: exit %d: %s", code, errs)
	}
	want := "route inbound: recipients.file " + list + `:2: "zaimu@lgwan.example # 財務課" is not an address, so it lists no one`
	if !strings.Contains(out, want) || strings.Contains(out, ":1:") {
		t.Errorf("check output lacks %q (or names line 1, whose byte order mark is no part of it):\n%s", want, out)
	}
	// An address RCPT refuses for its characters is said to be one.
	want = "route inbound: recipients.file " + list + `:3: "ユーザー@lgwan.example" is a non-ASCII (internationalised) address, which RCPT refuses with 553 5.6.7, so it lists no one`
	if !strings.Contains(out, want) {
		t.Errorf("check output lacks %q:\n%s", want, out)
	}
}

// TestCheckHostname: a route's hostname is its EHLO to the next hop,
// which may refuse a name that is not fully qualified; unset, it is the
// machine's name, often a short one.
func TestCheckHostname(t *testing.T) {
	host, _ := os.Hostname()
	for _, tt := range []struct {
		line, want string
	}{
		{"hostname: mx", "route inbound: hostname mx (as written) is not a fully-qualified domain name"},
		{"hostname: mx.city.example.lg.jp", ""},
		{"hostname: localhost", ""}, // the embedded default's, for a loopback trial
		{"", map[bool]string{true: "", false: "route inbound: hostname " + host + " (this machine's name, as hostname is not set) is not a fully-qualified domain name"}[strings.Contains(host, ".")]},
	} {
		path := writeConfig(t, "    hostname: localhost\n", map[bool]string{true: "", false: "    " + tt.line + "\n"}[tt.line == ""])
		code, out, errs := runCmd("check", "-config", path)
		if code != 0 {
			t.Fatalf("%q: exit %d: %s", tt.line, code, errs)
		}
		if tt.want == "" && strings.Contains(out, "fully-qualified") || tt.want != "" && !strings.Contains(out, tt.want) {
			t.Errorf("%q: want %q:\n%s", tt.line, tt.want, out)
		}
	}
}

// TestCheckReleaseOriginalTo: an untouched original leaves only through
// a pass-through route taking its recipient's domain (originalRoute); a
// domain of release_original_to that none takes is said.
func TestCheckReleaseOriginalTo(t *testing.T) {
	path := writeConfig(t, "  retention: 30d\n", "  retention: 30d\n  release_original_to: [inet.city.example.jp, city.example.lg.jp]\n")
	y, _ := os.ReadFile(path)
	y = []byte(strings.Replace(string(y), "\nrules: []", `
  - name: internet
    listen: ["127.0.0.1:2526"]
    hostname: gw.city.example.lg.jp
    clients: ["127.0.0.1/32"]
    domains: [inet.city.example.jp]
    policy: none
    deliver: {to: "smtp://192.0.2.1:25"}

rules: []`, 1))
	os.WriteFile(path, y, 0o644)
	code, out, errs := runCmd("check", "-config", path)
	if code != 0 {
		t.Fatalf("check: exit %d: %s", code, errs)
	}
	const want = "quarantine.release_original_to[1] city.example.lg.jp is in no pass-through route's domains: an untouched original leaves only through such a route, so a release -original to it is refused"
	if !strings.Contains(out, want) || strings.Contains(out, "release_original_to[0]") {
		t.Errorf("check output: want %q and nothing of [0]:\n%s", want, out)
	}
}

// TestCheckDiskFloor: spool_min_free held against the real file system
// the spool and the quarantine are on (a temporary directory's here): a
// floor the disk can never clear refuses all mail, and one above what
// is free now refuses it from the start; check says so before serve.
func TestCheckDiskFloor(t *testing.T) {
	dir := t.TempDir()
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	// What a user other than root can ever have: the blocks kept for
	// root never are.
	total, free := int64(st.Blocks-(st.Bfree-st.Bavail))*st.Bsize, int64(st.Bavail)*st.Bsize
	// The spool's directory is not made yet: its parent's disk counts.
	paths := "spool_dir: " + filepath.Join(dir, "spool", "new") + "\nspool_min_free: %s\nquarantine:\n  dir: " + filepath.Join(dir, "q")
	for _, c := range []struct {
		name, floor string
		want        []string
	}{
		{"never", "1048576GiB", []string{
			"spool_min_free 1048576GiB: the file system of spool_dir " + filepath.Join(dir, "spool", "new") + " (not made yet; " + dir + "'s disk) has " + fmt.Sprint(total>>20) + " MiB in all, less than the floor itself: every MAIL gets 452 4.3.1; lower spool_min_free or give spool_dir a larger disk",
			"spool_min_free 1048576GiB: the file system of quarantine.dir " + filepath.Join(dir, "q"),
		}},
		// 10 MiB short of a 25 MiB message above the floor.
		{"small", fmt.Sprintf("%dMiB", total>>20-15), []string{
			fmt.Sprintf("spool_min_free %dMiB: the file system of spool_dir %s (not made yet; %s's disk) has %d MiB in all, so it never has the floor plus a message of max_message_size 25MiB free: MAIL of that size always gets 452 4.3.1, and mail without SIZE= once the disk holds ", total>>20-15, filepath.Join(dir, "spool", "new"), dir, total>>20),
		}},
		// Above what is free, below what the disk holds: freeing space
		// would let mail in.
		{"now", fmt.Sprintf("%dMiB", (free+total)/2>>20), []string{
			"spool_dir " + filepath.Join(dir, "spool", "new") + " (not made yet; " + dir + "'s disk) has ",
			fmt.Sprintf(" MiB free, less than spool_min_free %dMiB: every MAIL gets 452 4.3.1 until space is freed", (free+total)/2>>20),
			"quarantine.dir " + filepath.Join(dir, "q") + " (not made yet; " + dir + "'s disk) has ",
		}},
		{"room", "256MiB", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.name == "now" && (total-free)/2 < 64<<20 {
				t.Skipf("the disk is nearly empty (%d MiB used): no floor between free and total leaves room for a message", (total-free)>>20)
			}
			if c.name == "room" && free < 1<<30 {
				t.Skipf("the disk has %d MiB free: the default floor may refuse mail here", free>>20)
			}
			path := writeConfig(t, "spool_dir: ./mugai-data/spool        # sanitised messages waiting for delivery\nspool_min_free: 256MiB               # less free on its disk (plus SIZE=): MAIL gets 452 4.3.1; 0 is off\nquarantine:\n  dir: ./mugai-data/quarantine",
				fmt.Sprintf(paths, c.floor))
			out := checkSays(t, path, c.want)
			if c.want == nil && strings.Contains(out, "spool_min_free") && strings.Contains(out, "452") {
				t.Errorf("a disk with room is warned of:\n%s", out)
			}
		})
	}
}

// TestCheckKeepRules: keep rules that keep other files than they seem
// to: one split in two by a second dash (a rule with no types keeps
// files of those names whatever they are read as; one with no
// extensions keeps content under any name), and rules whose extensions
// and types never meet in one file.
func TestCheckKeepRules(t *testing.T) {
	for _, c := range []struct {
		name, keep string
		want       []string
	}{
		{"a dash too many", "        - extensions: [.txt, .csv]\n        - types: [text/plain]\n", []string{
			"policy default: attachments.keep[0] names no types: it keeps files named .txt .csv whatever mugai reads them as (but not content it cannot identify: list application/octet-stream for that); keep[1] has types and no extensions: if they are one rule, the dash before its types: is one too many",
			"policy default: attachments.keep[1] names no extensions: it keeps content read as text/plain under any name",
		}},
		{"a name no type fits", "        - extensions: [.pdf]\n          types: [image/png]\n", []string{
			"policy default: attachments.keep[0] keeps no file named .pdf: mugai reads such a file as application/pdf, which the rule does not list (its types: image/png)",
			"policy default: attachments.keep[0] keeps no image/png content: none of its extensions (.pdf) names such a file",
		}},
		// Excel's legacy type fits the .xlsx name, but an .xlsx file
		// reads as the OOXML workbook type.
		{"the legacy type for the new format", "        - extensions: [.xlsx, .xls]\n          types: [application/vnd.ms-excel]\n", []string{
			"policy default: attachments.keep[0] keeps no file named .xlsx: mugai reads such a file as application/vnd.ms-excel.sheet.macroenabled.12 or application/vnd.openxmlformats-officedocument.spreadsheetml.sheet, which the rule does not list",
		}},
		{"a sound rule", "        - extensions: [.xlsx, .xls]\n          types: [application/vnd.ms-excel, application/vnd.openxmlformats-officedocument.spreadsheetml.sheet]\n", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := writeConfig(t, "        - extensions: [.txt, .csv]\n          types: [text/plain]        # the type read from the content: a CSV or TSV file is text/plain\n", c.keep)
			out := checkSays(t, path, c.want)
			if c.want == nil && strings.Contains(out, "attachments.keep") {
				t.Errorf("a sound rule is warned of:\n%s", out)
			}
		})
	}
}

// TestUnreadableByServiceUser: run as root, check reads every file; the
// gateway's user may not. Judged by modes and owners for a real user
// (nobody here, mugai in the warning) on real files.
func TestUnreadableByServiceUser(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root, to own files the user cannot read")
	}
	u, err := user.Lookup("nobody")
	if err != nil {
		t.Skipf("no user nobody: %v", err)
	}
	gid, _ := strconv.Atoi(u.Gid)
	dir := t.TempDir()
	// t.TempDir's directory and the one above it are 0700: opened.
	os.Chmod(dir, 0o755)
	os.Chmod(filepath.Dir(dir), 0o755)
	write := func(name string, mode os.FileMode, group int) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("k"), mode); err != nil {
			t.Fatal(err)
		}
		os.Chmod(p, mode)
		if err := os.Chown(p, 0, group); err != nil {
			t.Fatal(err)
		}
		return p
	}
	closed := filepath.Join(dir, "closed")
	for _, c := range []struct {
		file, want string
	}{
		{write("open.key", 0o644, 0), ""},
		{write("root.key", 0o600, 0), "mode 0600, owned by root:"},
		{write("group.key", 0o640, gid), ""},
		{write("closed/x.key", 0o644, 0), "it may not enter " + closed},
	} {
		if c.file == filepath.Join(closed, "x.key") {
			os.Chmod(closed, 0o700)
		}
		got := unreadableBy(u, c.file)
		if c.want == "" && got != "" || c.want != "" && !strings.HasPrefix(got, c.want) {
			t.Errorf("%s: %q, want %q", c.file, got, c.want)
		}
	}
}

// checkSays runs mugai check on the configuration at path, which must
// pass, and checks that its output has each of want; it returns it.
func checkSays(t *testing.T, path string, want []string) string {
	t.Helper()
	code, out, errs := runCmd("check", "-config", path)
	if code != 0 {
		t.Fatalf("check: exit %d: %s", code, errs)
	}
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("check output lacks %q:\n%s", w, out)
		}
	}
	return out
}
