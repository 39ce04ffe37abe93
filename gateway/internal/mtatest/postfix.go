package mtatest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// PostfixOptions configure a private Postfix instance. The two modes can
// be combined: mail for MailboxDomains is stored in Maildirs, all other
// mail goes to RelayHost.
type PostfixOptions struct {
	// Port for smtpd on 127.0.0.1. 0 picks a free port at the first start;
	// Start after Stop reuses the port of the first start.
	Port int
	// Hostname is myhostname: the EHLO name, the greeting and the "by" of
	// Postfix's Received lines. "" means "postfixPORT.mtatest.test". It
	// must differ from the greeting hostname of the relay host, or Postfix
	// refuses to deliver with "mail for ... loops back to myself".
	Hostname string
	// RelayHost ("127.0.0.1:PORT") makes the instance relay every message
	// not for MailboxDomains there (relayhost = [127.0.0.1]:PORT, no MX
	// lookup).
	RelayHost string
	// MailboxDomains makes the instance the final destination for these
	// domains: every recipient of a domain (any local part) is delivered
	// by virtual(8) into one Maildir per domain, DIR/vmail/DOMAIN/, one
	// file per recipient with its own Delivered-To. (Per-user Maildirs
	// would need a map listing every user: virtual(8) refuses regexp
	// substitutions.) Domains are lower case.
	MailboxDomains []string
	// RecipientAccess answers RCPT TO from an access(5) table checked by
	// smtpd (check_recipient_access): the key is a full address, a domain
	// or "local@"; the value an action such as "REJECT", "DEFER",
	// "450 4.2.0 mailbox busy" or "550 5.1.1 no such user".
	RecipientAccess map[string]string
	// Main holds further main.cf parameters; they override the defaults
	// written by this package (e.g. "soft_bounce": "yes",
	// "message_size_limit": "1000000").
	Main map[string]string
}

// Postfix is a private Postfix instance: its own configuration, queue,
// data and Maildir directories under one temporary directory, its master
// in the foreground under the test (never daemonised, never touching
// /etc/postfix or /var/spool/postfix), smtpd on 127.0.0.1 only, no DNS,
// logging to a file, deferred mail retried every 1 to 2 s. Its zero value
// is not usable: call StartPostfix.
type Postfix struct {
	// Options are used by every Start; change them between Stop and Start
	// to make the instance come back configured otherwise (the queue is
	// kept). Port is kept regardless.
	Options PostfixOptions

	dir  string // base directory
	etc  string // config_directory
	port int

	mu sync.Mutex
	p  *proc
}

// Postfix's fixed queue layout (postfix-files): created here rather than
// with "postfix check", which takes 3 to 12 seconds on these machines.
var postfixQueueDirs = []struct {
	name  string
	owner string // "postfix" or "root"
	group string // "postdrop" or "root"
	mode  os.FileMode
}{
	{"active", "postfix", "root", 0o700},
	{"bounce", "postfix", "root", 0o700},
	{"corrupt", "postfix", "root", 0o700},
	{"defer", "postfix", "root", 0o700},
	{"deferred", "postfix", "root", 0o700},
	{"flush", "postfix", "root", 0o700},
	{"hold", "postfix", "root", 0o700},
	{"incoming", "postfix", "root", 0o700},
	{"private", "postfix", "root", 0o700},
	{"saved", "postfix", "root", 0o700},
	{"trace", "postfix", "root", 0o700},
	{"maildrop", "postfix", "postdrop", 0o730},
	{"public", "postfix", "postdrop", 0o710},
	{"pid", "root", "root", 0o755},
}

// StartPostfix creates and starts a private Postfix instance (skipping or
// failing t as Require does when Postfix is missing or the test is not
// root) and returns once its smtpd greets. t.Cleanup stops it, checks that
// none of its processes is left, and removes its directory.
func StartPostfix(t testing.TB, opt PostfixOptions) *Postfix {
	t.Helper()
	Require(t, "postfix", "master", "postconf", "sendmail", "postqueue")
	requireRoot(t, "a private Postfix instance")
	p := &Postfix{Options: opt, port: opt.Port}
	if p.port == 0 {
		p.port = FreePort(t)
	}
	p.dir = tempDir(t, "postfix")
	p.etc = filepath.Join(p.dir, "etc")
	if err := p.makeDirs(); err != nil {
		t.Fatalf("mtatest: postfix: %v", err)
	}
	t.Cleanup(func() {
		if p.running() {
			p.Stop(t)
		}
	})
	p.Start(t)
	return p
}

func (p *Postfix) makeDirs() error {
	postfixUID, _, err := lookupIDs("postfix")
	if err != nil {
		return err
	}
	postdrop, err := lookupGroup("postdrop")
	if err != nil {
		return err
	}
	nobodyUID, nobodyGID, err := lookupIDs("nobody")
	if err != nil {
		return err
	}
	mk := func(path string, mode os.FileMode, uid, gid int) error {
		if err := os.Mkdir(path, mode); err != nil {
			return err
		}
		if err := os.Chmod(path, mode); err != nil { // umask
			return err
		}
		return os.Chown(path, uid, gid)
	}
	queue := filepath.Join(p.dir, "queue")
	for _, d := range []struct {
		path     string
		mode     os.FileMode
		uid, gid int
	}{
		{p.etc, 0o755, 0, 0},
		{queue, 0o755, 0, 0},
		{filepath.Join(p.dir, "data"), 0o700, postfixUID, 0},
		{filepath.Join(p.dir, "vmail"), 0o755, nobodyUID, nobodyGID},
	} {
		if err := mk(d.path, d.mode, d.uid, d.gid); err != nil {
			return err
		}
	}
	for _, d := range postfixQueueDirs {
		uid, gid := 0, 0
		if d.owner == "postfix" {
			uid = postfixUID
		}
		if d.group == "postdrop" {
			gid = postdrop
		}
		if err := mk(filepath.Join(queue, d.name), d.mode, uid, gid); err != nil {
			return err
		}
	}
	return nil
}

// Addr returns smtpd's address, "127.0.0.1:PORT".
func (p *Postfix) Addr() string { return LoopbackAddr(p.port) }

// Port returns smtpd's port.
func (p *Postfix) Port() int { return p.port }

// ConfigDir returns the instance's config_directory, for postfix -c,
// postconf -c, postqueue -c, sendmail -C.
func (p *Postfix) ConfigDir() string { return p.etc }

// Hostname returns the instance's myhostname.
func (p *Postfix) Hostname() string {
	if p.Options.Hostname != "" {
		return p.Options.Hostname
	}
	return fmt.Sprintf("postfix%d.mtatest.test", p.port)
}

// MaillogPath returns the path of the instance's log file.
func (p *Postfix) MaillogPath() string { return filepath.Join(p.dir, "maillog") }

func (p *Postfix) running() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.p != nil
}

// mainCF returns main.cf's parameters.
func (p *Postfix) mainCF() (map[string]string, error) {
	o := p.Options
	m := map[string]string{
		"compatibility_level":    "3.6",
		"queue_directory":        filepath.Join(p.dir, "queue"),
		"data_directory":         filepath.Join(p.dir, "data"),
		"mail_owner":             "postfix",
		"setgid_group":           "postdrop",
		"myhostname":             p.Hostname(),
		"mydomain":               "mtatest.test",
		"myorigin":               "$myhostname",
		"mydestination":          "",
		"local_transport":        "error:5.1.1 local delivery is disabled",
		"alias_maps":             "",
		"alias_database":         "",
		"inet_interfaces":        "127.0.0.1",
		"inet_protocols":         "ipv4",
		"mynetworks":             "127.0.0.0/8",
		"smtp_dns_support_level": "disabled",
		"maillog_file":           p.MaillogPath(),
		"maillog_file_prefixes":  p.dir,
		"biff":                   "no",
		"append_dot_mydomain":    "no",
		"smtpd_banner":           "$myhostname ESMTP mtatest",
		"message_size_limit":     "0",
		"virtual_mailbox_limit":  "0",
		"mailbox_size_limit":     "0",
		// Tests cannot wait Postfix's default 300 s between attempts.
		"queue_run_delay":      "1s",
		"minimal_backoff_time": "1s",
		"maximal_backoff_time": "2s",
		"smtp_connect_timeout": "5s",
		"delay_warning_time":   "0h",
		"relayhost":            "",
	}
	if o.RelayHost != "" {
		host, port, err := net.SplitHostPort(o.RelayHost)
		if err != nil {
			return nil, fmt.Errorf("relay host %q: %w", o.RelayHost, err)
		}
		m["relayhost"] = "[" + host + "]:" + port
	}
	if len(o.MailboxDomains) > 0 {
		nobodyUID, nobodyGID, err := lookupIDs("nobody")
		if err != nil {
			return nil, err
		}
		m["virtual_mailbox_domains"] = strings.Join(o.MailboxDomains, ", ")
		m["virtual_mailbox_base"] = filepath.Join(p.dir, "vmail")
		m["virtual_mailbox_maps"] = "texthash:" + filepath.Join(p.etc, "vmailbox")
		m["virtual_uid_maps"] = "static:" + strconv.Itoa(nobodyUID)
		m["virtual_gid_maps"] = "static:" + strconv.Itoa(nobodyGID)
		m["virtual_minimum_uid"] = "1"
	}
	if len(o.RecipientAccess) > 0 {
		m["smtpd_recipient_restrictions"] = "check_recipient_access texthash:" + filepath.Join(p.etc, "rcpt_access") +
			", permit_mynetworks, reject_unauth_destination"
	}
	maps.Copy(m, o.Main)
	return m, nil
}

// masterCF is the instance's master.cf: Debian's services without chroot,
// smtpd on 127.0.0.1:PORT only, and postlogd for maillog_file.
const masterCF = `%s inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
`

func (p *Postfix) writeConfig() error {
	m, err := p.mainCF()
	if err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString("# Written by mugai/gateway/internal/mtatest for one test.\n")
	for _, k := range slices.Sorted(maps.Keys(m)) {
		fmt.Fprintf(&b, "%s = %s\n", k, m[k])
	}
	files := map[string]string{
		"main.cf":   b.String(),
		"master.cf": fmt.Sprintf(masterCF, p.Addr()),
	}
	// "@domain" is virtual(8)'s catch-all key; the value is relative to
	// virtual_mailbox_base, and its trailing slash asks for a Maildir.
	var vm strings.Builder
	for _, d := range p.Options.MailboxDomains {
		d = strings.ToLower(d)
		fmt.Fprintf(&vm, "@%s %s/\n", d, d)
	}
	files["vmailbox"] = vm.String()
	var acc strings.Builder
	for _, k := range slices.Sorted(maps.Keys(p.Options.RecipientAccess)) {
		fmt.Fprintf(&acc, "%s %s\n", strings.ToLower(k), p.Options.RecipientAccess[k])
	}
	files["rcpt_access"] = acc.String()
	// Postfix re-reads a file modified in the last second or so every
	// 300 ms until it has "cooled down" (dict_load_file), which made every
	// start take 2 s more: date the files back.
	past := time.Now().Add(-time.Minute)
	for name, content := range files {
		path := filepath.Join(p.etc, name)
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			return err
		}
		if err := os.Chtimes(path, past, past); err != nil {
			return err
		}
	}
	return nil
}

// Start starts the instance again after Stop with the current Options
// (configuration files are rewritten; the queue is kept). It returns once
// smtpd answers 220, failing t after 20 seconds.
func (p *Postfix) Start(t testing.TB) {
	t.Helper()
	if p.running() {
		t.Fatalf("mtatest: postfix on %s: already running", p.Addr())
	}
	if err := p.writeConfig(); err != nil {
		t.Fatalf("mtatest: postfix: config: %v", err)
	}
	if err := portFree(p.port); err != nil {
		t.Fatalf("mtatest: postfix: %v", err)
	}
	// The master stays in the foreground (no -w) under a small shell that
	// sends it SIGTERM, which it passes on to its daemons, when its stdin
	// reaches EOF: on Stop, or when the test binary dies. A parent-death
	// signal on the master itself would not do: the kernel clears it when
	// the master switches its effective uid to mail_owner for a moment.
	// -s keeps stdout open; -c also sets MAIL_CONFIG for every daemon.
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatalf("mtatest: postfix: %v", err)
	}
	proc, err := startProc(procSpec{
		path:       lookTool("sh"),
		args:       []string{"-c", masterWrapper, lookTool("master"), p.etc},
		stdout:     w,
		stderrPath: filepath.Join(p.dir, "master.stderr"),
		stopByEOF:  true,
	})
	_ = w.Close()
	if err != nil {
		_ = r.Close()
		t.Fatalf("mtatest: postfix: %v", err)
	}
	p.mu.Lock()
	p.p = proc
	p.mu.Unlock()
	masterPID, err := readPID(r, 10*time.Second)
	if err != nil {
		p.Stop(t)
		t.Fatalf("mtatest: postfix: master wrapper: %v; stderr: %s", err, proc.stderr())
	}

	deadline := time.Now().Add(20 * time.Second)
	var lastErr error
	for time.Now().Before(deadline) && alive(masterPID) {
		if !listening(masterPID, p.port) {
			lastErr = fmt.Errorf("master not listening on %s", p.Addr())
		} else if lastErr = greet(p.Addr()); lastErr == nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	log := p.Log()
	exited := !alive(masterPID)
	p.Stop(t)
	// Before postlogd runs, the master logs only to syslog (/dev/log),
	// which test machines rarely have: postconf's warnings are the best
	// diagnostics left.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conf, _ := exec.CommandContext(ctx, lookTool("postconf"), "-c", p.etc, "-n").CombinedOutput()
	t.Fatalf("mtatest: postfix on %s did not start (master exited: %v, wrapper: %v): %v\nmaster stderr: %s\npostconf -n:\n%s\nmaillog:\n%s\n"+
		"(the master logs startup errors only to syslog; try: postconf -c %s -n; postfix -c %s check)",
		p.Addr(), exited, proc.err, lastErr, proc.stderr(), conf, log, p.etc, p.etc)
}

// masterWrapper runs "$0 -c $1 -s" (the master), prints its pid, and
// stops it when stdin reaches EOF. A non-interactive shell gives a
// background job /dev/null as stdin, so the master never holds the pipe.
const masterWrapper = `"$0" -c "$1" -s </dev/null &
pid=$!
echo "$pid"
read -r _
kill -TERM "$pid" 2>/dev/null
wait "$pid"
`

// readPID reads the first line of r as a pid, within timeout; the rest of
// r is drained and r closed in the background.
func readPID(r *os.File, timeout time.Duration) (int, error) {
	line := make(chan string, 1)
	go func() {
		defer r.Close()
		br := bufio.NewReader(r)
		l, _ := br.ReadString('\n')
		line <- l
		_, _ = io.Copy(io.Discard, br)
	}()
	select {
	case l := <-line:
		pid, err := strconv.Atoi(strings.TrimSpace(l))
		if err != nil {
			return 0, fmt.Errorf("no pid in %q", l)
		}
		return pid, nil
	case <-time.After(timeout):
		return 0, fmt.Errorf("no pid within %v", timeout)
	}
}

// greet connects to an SMTP server, reads a 220 greeting and says QUIT.
func greet(addr string) error {
	c, err := net.DialTimeout("tcp4", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return fmt.Errorf("greeting: %w", err)
	}
	if !strings.HasPrefix(line, "220") {
		return fmt.Errorf("greeting: %q", strings.TrimSpace(line))
	}
	_, _ = c.Write([]byte("QUIT\r\n"))
	return nil
}

// Stop stops the instance: SIGTERM to the master (which passes it on to
// its daemons), waiting up to 10 s for it, then up to 5 s for every
// process of the instance (found by MAIL_CONFIG in /proc) to end.
// Leftovers are killed and reported as a test error. Queued mail stays in
// the queue.
func (p *Postfix) Stop(t testing.TB) {
	t.Helper()
	p.mu.Lock()
	proc := p.p
	p.p = nil
	p.mu.Unlock()
	if proc == nil {
		return
	}
	if err := proc.stop(10 * time.Second); err != nil {
		t.Errorf("mtatest: postfix on %s: %v", p.Addr(), err)
	}
	if err := reapLeftovers(p.etc, 5*time.Second); err != nil {
		t.Errorf("mtatest: postfix on %s: %v", p.Addr(), err)
	}
}

// run runs a Postfix command with a timeout and returns its stdout.
func (p *Postfix) run(stdin []byte, timeout time.Duration, tool string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, lookTool(tool), args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	if err := cmd.Run(); err != nil {
		return stdout.Bytes(), fmt.Errorf("%s %s: %w: %s", tool, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.Bytes(), nil
}

// Sendmail submits msg with Postfix's sendmail(1) (sendmail -C DIR -i -f
// from -- to...), as a local program would: it goes through postdrop and
// pickup, so the Received line reads "(Postfix, from userid 0)". It fails
// t when sendmail fails or takes longer than 30 s.
func (p *Postfix) Sendmail(t testing.TB, from string, to []string, msg []byte) {
	t.Helper()
	args := append([]string{"-C", p.etc, "-i", "-f", from, "--"}, to...)
	if _, err := p.run(msg, 30*time.Second, "sendmail", args...); err != nil {
		t.Fatalf("mtatest: postfix: %v", err)
	}
}

// Flush asks the queue manager to attempt every deferred message now
// (postqueue -f), instead of waiting for its backoff (1 to 2 s here).
func (p *Postfix) Flush(t testing.TB) {
	t.Helper()
	if _, err := p.run(nil, 30*time.Second, "postqueue", "-c", p.etc, "-f"); err != nil {
		t.Fatalf("mtatest: postfix: %v", err)
	}
}

// QueueEntry is one message in the queue, from postqueue -j.
type QueueEntry struct {
	QueueName  string `json:"queue_name"` // "incoming", "active", "deferred", "hold", ...
	QueueID    string `json:"queue_id"`
	Sender     string `json:"sender"`
	Recipients []struct {
		Address     string `json:"address"`
		DelayReason string `json:"delay_reason"`
	} `json:"recipients"`
}

// Queue lists the messages still in the queue (postqueue -j).
func (p *Postfix) Queue(t testing.TB) []QueueEntry {
	t.Helper()
	out, err := p.run(nil, 30*time.Second, "postqueue", "-c", p.etc, "-j")
	if err != nil {
		t.Fatalf("mtatest: postfix: %v", err)
	}
	var q []QueueEntry
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var e QueueEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("mtatest: postfix: postqueue -j: %v: %q", err, sc.Text())
		}
		q = append(q, e)
	}
	return q
}

// WaitQueueEmpty waits until the queue is empty, failing t (with the queue
// and the log) after timeout.
func (p *Postfix) WaitQueueEmpty(t testing.TB, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		q := p.Queue(t)
		if len(q) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("mtatest: postfix on %s: queue not empty after %v: %+v\nmaillog:\n%s", p.Addr(), timeout, q, p.Log())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Log returns the instance's maillog so far ("" before the first line).
// postlogd writes it asynchronously: a line may appear shortly after the
// event it reports; use WaitLog to wait for one.
func (p *Postfix) Log() string {
	b, _ := os.ReadFile(p.MaillogPath())
	return string(b)
}

// WaitLog waits until a maillog line matches the regular expression
// pattern and returns that line's submatches (index 0 is the whole
// match), failing t after timeout.
func (p *Postfix) WaitLog(t testing.TB, pattern string, timeout time.Duration) []string {
	t.Helper()
	re, err := regexp.Compile(pattern)
	if err != nil {
		t.Fatalf("mtatest: postfix: WaitLog: %v", err)
	}
	deadline := time.Now().Add(timeout)
	for {
		log := p.Log()
		for _, line := range strings.Split(log, "\n") {
			if m := re.FindStringSubmatch(line); m != nil {
				return m
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("mtatest: postfix on %s: no maillog line matches %q after %v\nmaillog:\n%s", p.Addr(), pattern, timeout, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// QueueID returns the queue id Postfix gave the message with this
// Message-ID (with or without angle brackets), from cleanup's
// "QUEUEID: message-id=<...>" log line, waiting up to timeout for it.
func (p *Postfix) QueueID(t testing.TB, messageID string, timeout time.Duration) string {
	t.Helper()
	id := "<" + strings.TrimSuffix(strings.TrimPrefix(messageID, "<"), ">") + ">"
	m := p.WaitLog(t, `postfix/cleanup\[\d+\]: ([0-9A-Za-z]+): message-id=`+regexp.QuoteMeta(id)+`$`, timeout)
	return m[1]
}

// Maildir returns the Maildir of a domain in MailboxDomains,
// DIR/vmail/DOMAIN (the domain part of an address is used if one is
// given). Postfix creates it at the first delivery.
func (p *Postfix) Maildir(domain string) string {
	if i := strings.LastIndexByte(domain, '@'); i >= 0 {
		domain = domain[i+1:]
	}
	return filepath.Join(p.dir, "vmail", strings.ToLower(domain))
}

// Delivered returns the messages delivered to rcpt, oldest first: the
// files in new/ of its domain's Maildir whose Delivered-To is rcpt (case
// insensitive). A bare domain as rcpt returns every message of the
// domain. Postfix moves a file into new/ only when it is complete.
func (p *Postfix) Delivered(t testing.TB, rcpt string) []Message {
	t.Helper()
	dir := filepath.Join(p.Maildir(rcpt), "new")
	ents, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatalf("mtatest: postfix: %v", err)
	}
	type dated struct {
		m   Message
		mod time.Time
	}
	var out []dated
	for _, e := range ents {
		path := filepath.Join(dir, e.Name())
		info, err := e.Info()
		if err != nil || !info.Mode().IsRegular() {
			continue
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("mtatest: postfix: %v", err)
		}
		m := Message{File: path, Data: data, MessageID: firstHeader(data, "Message-ID")}
		m.From = angleAddr(firstHeader(data, "Return-Path"))
		to := firstHeader(data, "Delivered-To")
		if to != "" {
			m.To = []string{to}
		}
		if strings.Contains(rcpt, "@") && !strings.EqualFold(to, rcpt) {
			continue
		}
		out = append(out, dated{m, info.ModTime()})
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].mod.Equal(out[j].mod) {
			return out[i].mod.Before(out[j].mod)
		}
		return out[i].m.File < out[j].m.File
	})
	msgs := make([]Message, len(out))
	for i, d := range out {
		msgs[i] = d.m
	}
	return msgs
}

// WaitDelivered waits until Delivered(t, rcpt) returns at least n
// messages and returns them, failing t (with the queue and the log) after
// timeout.
func (p *Postfix) WaitDelivered(t testing.TB, rcpt string, n int, timeout time.Duration) []Message {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		msgs := p.Delivered(t, rcpt)
		if len(msgs) >= n {
			return msgs
		}
		if time.Now().After(deadline) {
			t.Fatalf("mtatest: postfix on %s: %d messages for %s after %v, want %d; queue: %+v\nmaillog:\n%s",
				p.Addr(), len(msgs), rcpt, timeout, n, p.Queue(t), p.Log())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
