package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"mugai/config"
	"mugai/gateway"
	"mugai/gateway/spool"
	"mugai/sanitize/textenc"
)

const queueUsage = "list [-route NAME] [-state STATE] [-domain DOMAIN] [-older-than DURATION] [-limit N] | failed | summary | show ID | retry ID | retry all | requeue ID -reason TEXT | delete ID -reason TEXT"

// runQueue is `mugai queue`: the operator's view of the spool, like
// mailq/postqueue. Read-only commands ask the running gateway through
// its admin listener and read the spool directly when it is not
// running; retry, requeue and delete go through the gateway (the spool log has
// one writer) and work on the spool directly only when no gateway holds
// it.
func runQueue(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("queue", queueUsage, stderr)
	path := configFlag(fs)
	asJSON := fs.Bool("json", false, "print JSON instead of text")
	reason := fs.String("reason", "", "the reason (`TEXT`) the message is deleted or requeued (required for both; recorded in the audit trail)")
	var filter gateway.QueueFilter
	fs.StringVar(&filter.Route, "route", "", "list: only the messages of route `NAME` (its bounces: NAME/bounces)")
	fs.StringVar(&filter.State, "state", "", "list: only the messages in `STATE`: active, deferred or failed")
	fs.StringVar(&filter.Domain, "domain", "", "list: only the messages with a recipient in `DOMAIN`")
	olderThan := fs.String("older-than", "", "list: only the messages received (or requeued) at least `DURATION` ago (30m, 2h, 1d)")
	fs.IntVar(&filter.Limit, "limit", 0, fmt.Sprintf("list: at most `N` messages, the oldest first (1 to %d; default %d)", gateway.QueueListMax, gateway.QueueListMax))
	pos, code, ok := parseInterspersed(fs, args)
	if !ok {
		return code
	}
	// Each subcommand and its operand, as the usage names them.
	operand := map[string]string{"list": "", "failed": "", "summary": "", "show": "ID", "retry": "ID or all", "requeue": "ID", "delete": "ID"}
	if len(pos) == 0 {
		fs.Usage()
		return 1
	}
	if want, ok := operand[pos[0]]; !ok {
		hint := ""
		if pos[0] == "all" {
			hint = ` (did you mean "retry all"?)`
		}
		fmt.Fprintf(stderr, "mugai queue: unknown subcommand %q%s\n", pos[0], hint)
		fs.Usage()
		return 1
	} else if n := len(pos) - 1; want == "" && n > 0 {
		fmt.Fprintf(stderr, "mugai queue %s: unexpected argument %q\n", pos[0], pos[1])
		fs.Usage()
		return 1
	} else if want != "" && n != 1 {
		fmt.Fprintf(stderr, "mugai queue %s: needs one %s, got %d arguments\n", pos[0], want, n)
		fs.Usage()
		return 1
	}
	if (pos[0] == "delete" || pos[0] == "requeue") && strings.TrimSpace(*reason) == "" {
		fmt.Fprintf(stderr, "mugai queue %s: -reason TEXT is required (the audit trail records who did what and why)\n", pos[0])
		return 1
	}
	if *olderThan != "" {
		d, err := config.ParseDuration(*olderThan)
		if err != nil || d <= 0 {
			fmt.Fprintf(stderr, "mugai queue %s: -older-than %q: a duration such as 30m, 2h or 1d\n", pos[0], *olderThan)
			return 1
		}
		filter.OlderThan = time.Duration(d)
	}
	if filter != (gateway.QueueFilter{}) && pos[0] != "list" {
		fmt.Fprintf(stderr, "mugai queue %s: -route, -state, -domain, -older-than and -limit narrow list only\n", pos[0])
		return 1
	}
	filter.Domain = strings.ToLower(strings.TrimSuffix(filter.Domain, "."))
	if _, err := gateway.ParseQueueFilter(filter.Values()); err != nil {
		fmt.Fprintf(stderr, "mugai queue list: %v\n", err)
		return 1
	}
	cfg, err := loadConfig(*path)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	q := newQueueCtl(cfg, stderr)
	q.hint = configHint(*path)
	now := time.Now()
	out := func(v any) { writeJSON(stdout, v) }
	switch pos[0] {
	case "list", "failed":
		if pos[0] == "failed" {
			filter.Failed = true
		}
		msgs, total, err := q.list(filter)
		if err != nil {
			queueFail(stderr, pos[0], err)
			return 1
		}
		if total > len(msgs) {
			fmt.Fprintf(stderr, "mugai queue %s: %s match; listing the oldest %d (mugai queue summary counts them; narrow the list with -route, -state, -domain or -older-than)\n",
				pos[0], plural(total, "message"), len(msgs))
		}
		if *asJSON {
			out(msgs)
		} else {
			printQueue(stdout, msgs, now, pos[0] == "failed", filter != (gateway.QueueFilter{Failed: filter.Failed}))
		}
		return 0
	case "summary":
		sum, err := q.summary()
		if err != nil {
			queueFail(stderr, "summary", err)
			return 1
		}
		if *asJSON {
			out(sum)
		} else {
			printSummary(stdout, sum, now)
		}
		return 0
	case "show":
		m, err := q.show(pos[1])
		if err != nil {
			queueFail(stderr, "show", err)
			return 1
		}
		if *asJSON {
			out(m)
		} else {
			printMessage(stdout, m, now)
		}
		return 0
	case "retry":
		res, err := q.retry(pos[1])
		if err != nil {
			queueFail(stderr, "retry", err)
			return 1
		}
		switch {
		case *asJSON:
			out(res)
		case res.ID != "":
			fmt.Fprintf(stdout, "%s: %s due now\n", safe(res.ID), plural(res.Due, "deferred recipient"))
		default:
			fmt.Fprintf(stdout, "%s due now\n", plural(res.Due, "deferred message"))
		}
		if !*asJSON {
			printResumed(stdout, res.Resumed)
		}
		return 0
	case "requeue":
		who := invokingUser()
		res, err := q.requeue(pos[1], who, strings.TrimSpace(*reason))
		if err != nil {
			queueFail(stderr, "requeue", err)
			return 1
		}
		if *asJSON {
			out(res)
		} else {
			fmt.Fprintf(stdout, "%s: %s queued again, due now; recorded in the audit trail as %s\n", safe(res.ID), plural(res.Due, "failed recipient"), safe(who))
			printResumed(stdout, res.Resumed)
		}
		return 0
	case "delete":
		who := invokingUser()
		m, err := q.delete(pos[1], who, strings.TrimSpace(*reason))
		if err != nil {
			queueFail(stderr, "delete", err)
			return 1
		}
		if *asJSON {
			out(m)
		} else {
			fmt.Fprintf(stdout, "%s: deleted (%s from %s, %s); recorded in the audit trail as %s\n",
				safe(m.ID), safe(m.State), safe(sender(m.Sender)), plural(len(m.Recipients), "recipient"), safe(who))
		}
	}
	return 0
}

// parseInterspersed parses flags wherever they stand, so that both
// `mugai queue -json list` and `mugai queue list -json` work.
func parseInterspersed(fs *flag.FlagSet, args []string) (pos []string, code int, ok bool) {
	for {
		if code, ok := parseFlags(fs, args); !ok {
			return nil, code, false
		}
		if fs.NArg() == 0 {
			return pos, 0, true
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// queueCtl reaches the queue: through the admin listener of a running
// gateway, or the spool directory when none answers.
type queueCtl struct {
	cfg   *config.Config
	admin *adminClient
	note  io.Writer
	hint  string // configHint of the -config given
}

// openSpool opens the spool directory of the configuration when the
// gateway does not answer; readOnly works beside a running gateway, a
// writer is refused while one holds the spool.
func (q *queueCtl) openSpool(readOnly bool) (*spool.Spool, error) {
	dir := q.cfg.SpoolDir
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("spool %s: %w (has mugai serve run with this configuration?)%s", dir, err, q.hint)
	}
	sp, err := spool.Open(dir, spool.Options{ReadOnly: readOnly})
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return nil, fmt.Errorf("the spool %s is in use by a running gateway, but nothing answers on its admin listener %s "+
			"(is it running with another configuration?); changes go through the running gateway only, so that the spool has one writer",
			dir, q.admin.addr)
	}
	return sp, err
}

// offline says, on stderr, that the spool is read directly.
func (q *queueCtl) offline(err error, how string) {
	fmt.Fprintf(q.note, "mugai queue: the gateway is not running (%v); %s the spool %s directly\n", err, how, q.cfg.SpoolDir)
}

func (q *queueCtl) list(f gateway.QueueFilter) ([]gateway.QueueMessage, int, error) {
	var msgs []gateway.QueueMessage
	total, err := q.admin.callTotal(http.MethodGet, "/queue", f.Values(), &msgs)
	if !errors.Is(err, errAdminDown) {
		return msgs, max(total, len(msgs)), err
	}
	q.offline(err, "reading")
	sp, err := q.openSpool(true)
	if err != nil {
		return nil, 0, err
	}
	defer sp.Close()
	msgs, total = gateway.QueueSelect(sp, f, time.Now())
	return msgs, total, nil
}

func (q *queueCtl) summary() (gateway.QueueSummary, error) {
	var sum gateway.QueueSummary
	err := q.admin.call(http.MethodGet, "/queue/summary", nil, &sum)
	if !errors.Is(err, errAdminDown) {
		return sum, err
	}
	q.offline(err, "reading")
	sp, err := q.openSpool(true)
	if err != nil {
		return sum, err
	}
	defer sp.Close()
	return gateway.QueueSummarise(sp, time.Now()), nil
}

func (q *queueCtl) show(id string) (gateway.QueueMessage, error) {
	var m gateway.QueueMessage
	err := q.admin.call(http.MethodGet, "/queue/"+url.PathEscape(id), nil, &m)
	if !errors.Is(err, errAdminDown) {
		return m, err
	}
	q.offline(err, "reading")
	sp, err := q.openSpool(true)
	if err != nil {
		return m, err
	}
	defer sp.Close()
	m, err = gateway.QueueShow(sp, q.cfg.Log.Audit, id)
	return m, notFound(id, err)
}

func notFound(id string, err error) error {
	if errors.Is(err, spool.ErrNotFound) {
		return errors.New(gateway.NoSuchMessage(id))
	}
	return err
}

func (q *queueCtl) retry(id string) (gateway.QueueRetry, error) {
	var res gateway.QueueRetry
	path := "/queue/" + url.PathEscape(id) + "/retry"
	if id == "all" {
		path = "/queue/retry"
	}
	err := q.admin.call(http.MethodPost, path, nil, &res)
	if !errors.Is(err, errAdminDown) {
		return res, err
	}
	// A retry moves the next attempt in the running gateway's schedule
	// (the spool keeps it in memory); without a gateway there is no one
	// to attempt anything. Say so, after checking the id.
	sp, serr := q.openSpool(true)
	if serr != nil {
		return res, serr
	}
	defer sp.Close()
	when := ""
	if id != "all" {
		m, gerr := sp.Get(id)
		if gerr != nil {
			return res, notFound(id, gerr)
		}
		if next := nextAttempt(m); !next.IsZero() {
			when = "; its recorded next attempt is " + localTime(next)
		}
	}
	return res, fmt.Errorf("the gateway is not running (%v): a retry acts on the running gateway's delivery schedule. "+
		"Start it with mugai serve: at start it tries at once every message whose next attempt has come%s", err, when)
}

// nextAttempt is the earliest recorded retry time of a message's
// deferred recipients (zero if none).
func nextAttempt(m spool.Message) time.Time {
	var next time.Time
	for _, rc := range m.Rcpts {
		if rc.State == spool.Deferred && (next.IsZero() || rc.NextAttempt.Before(next)) {
			next = rc.NextAttempt
		}
	}
	return next
}

func (q *queueCtl) delete(id, who, reason string) (gateway.QueueMessage, error) {
	var m gateway.QueueMessage
	err := q.admin.call(http.MethodDelete, "/queue/"+url.PathEscape(id), url.Values{"user": {who}, "reason": {reason}}, &m)
	if !errors.Is(err, errAdminDown) {
		return m, err
	}
	err = q.direct(err, id, "deleted", func(sp *spool.Spool, audit *gateway.Audit) (err error) {
		m, err = gateway.QueueDelete(sp, audit, id, who, reason, "")
		return err
	})
	return m, err
}

func (q *queueCtl) requeue(id, who, reason string) (gateway.QueueRetry, error) {
	var res gateway.QueueRetry
	err := q.admin.post("/queue/"+url.PathEscape(id)+"/requeue", gateway.ControlRequest{User: who, Reason: reason}, &res)
	if !errors.Is(err, errAdminDown) {
		return res, err
	}
	err = q.direct(err, id, "requeued", func(sp *spool.Spool, audit *gateway.Audit) (err error) {
		res, err = gateway.QueueRequeue(sp, audit, id, who, reason, "")
		return err
	})
	return res, err
}

// direct makes an audited change (what it did: "deleted") to the spool
// itself when no gateway answers (down is why): the spool has one writer.
func (q *queueCtl) direct(down error, id, did string, change func(*spool.Spool, *gateway.Audit) error) error {
	q.offline(down, "changing")
	sp, err := q.openSpool(false)
	if err != nil {
		return err
	}
	defer sp.Close()
	var auditErr error
	audit, err := gateway.OpenAudit(q.cfg.Log.Audit, func(err error) { auditErr = err })
	if err != nil {
		return fmt.Errorf("nothing %s: %w", did, err)
	}
	err = change(sp, audit)
	if cerr := audit.Close(); auditErr == nil {
		auditErr = cerr
	}
	if err != nil {
		return notFound(id, err)
	}
	if auditErr != nil {
		return fmt.Errorf("%s was %s, but its audit record was not written: %w", id, did, auditErr)
	}
	return nil
}

// localTime is how the CLI prints a time, in every command and column:
// local time with its offset from UTC, so that a time read on one host
// or copied into a ticket still says when it was.
func localTime(t time.Time) string { return t.Local().Format("2006-01-02 15:04:05 -0700") }

// printQueue prints a listing like mailq: a line per message, then its
// recipients with state, next attempt and last error.
func printQueue(w io.Writer, msgs []gateway.QueueMessage, now time.Time, failed, filtered bool) {
	if len(msgs) > 0 {
		fmt.Fprintf(w, "%-16s  %-8s  %6s  %10s  %-12s  %s\n", "QUEUE ID", "STATE", "AGE", "SIZE", "ROUTE", "SENDER")
	}
	count := map[string]int{}
	for _, m := range msgs {
		count[m.State]++
		from := safe(sender(m.Sender))
		if m.Released {
			from += "  (released from quarantine " + safe(m.QuarantineID) + ")"
		}
		// The size as quarantine list gives it (humanSize, at most
		// "1023.9 KiB": ten columns); -json keeps the bytes.
		fmt.Fprintf(w, "%-16s  %-8s  %6s  %10s  %-12s  %s\n", safe(m.ID), safe(m.State), age(now.Sub(m.Created)), humanSize(m.Size), safe(m.Route), from)
		if m.Suspended != nil {
			fmt.Fprintf(w, "    %s\n", suspendedLine(m.Suspended, now))
		}
		printRecipients(w, m.Recipients, now)
	}
	switch {
	case failed && len(msgs) == 0:
		fmt.Fprintln(w, "-- no messages with failed recipients")
	case failed:
		fmt.Fprintf(w, "-- %s with failed recipients\n", plural(len(msgs), "message"))
	case len(msgs) == 0 && filtered:
		fmt.Fprintln(w, "-- no message matches")
	case len(msgs) == 0:
		fmt.Fprintln(w, "-- queue is empty")
	default:
		parts := []string{plural(len(msgs), "message")}
		for _, st := range []string{"active", "deferred", "failed"} {
			if count[st] > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", count[st], st))
			}
		}
		fmt.Fprintf(w, "-- %s\n", strings.Join(parts, ", "))
	}
}

// printSummary prints a queue summary as Postfix's qshape does: the
// messages by route and state, then the waiting recipients by domain
// (the most first) and by the age of their message.
func printSummary(w io.Writer, s gateway.QueueSummary, now time.Time) {
	if s.Total == 0 {
		fmt.Fprintln(w, "-- queue is empty")
		return
	}
	fmt.Fprintf(w, "%-24s  %8s  %8s  %8s  %8s\n", "ROUTE", "MESSAGES", "ACTIVE", "DEFERRED", "FAILED")
	for _, r := range s.Routes {
		fmt.Fprintf(w, "%-24s  %8d  %8d  %8d  %8d\n", safe(r.Route), r.Total, r.States["active"], r.States["deferred"], r.States["failed"])
	}
	fmt.Fprintf(w, "%-24s  %8d  %8d  %8d  %8d\n", "(all)", s.Total, s.States["active"], s.States["deferred"], s.States["failed"])
	for _, r := range s.Routes {
		if r.Suspended != nil {
			fmt.Fprintf(w, "%s: %s\n", safe(r.Route), suspendedLine(r.Suspended, now))
		}
	}
	if len(s.Domains) == 0 {
		return
	}
	fmt.Fprintf(w, "\n%-24s  %8s", "RECIPIENT DOMAIN", "WAITING")
	for _, a := range s.Ages {
		fmt.Fprintf(w, "  %6s", a)
	}
	fmt.Fprintf(w, "  %s\n", "OLDEST")
	for _, d := range s.Domains {
		fmt.Fprintf(w, "%-24s  %8d", safe(d.Domain), d.Total)
		for _, n := range d.ByAge {
			fmt.Fprintf(w, "  %6d", n)
		}
		fmt.Fprintf(w, "  %s\n", age(now.Sub(d.Oldest)))
	}
}

// suspendedLine says why a queue's due messages wait without an
// attempt, in Postfix's words: its next hop was found unreachable.
func suspendedLine(s *gateway.QueueSuspension, now time.Time) string {
	probe := fmt.Sprintf("next probe in %s (%s)", age(s.NextProbe.Sub(now)), localTime(s.NextProbe))
	switch {
	case s.Probing:
		probe = "probing now"
	case !s.NextProbe.After(now):
		// Due, and no message was to probe with: the next one is.
		probe = "the next message due probes it"
	}
	return fmt.Sprintf("delivery temporarily suspended since %s (%s ago), %s: %s", localTime(s.Since), age(now.Sub(s.Since)), probe, safe(s.Reason))
}

func printRecipients(w io.Writer, rcpts []gateway.QueueRecipient, now time.Time) {
	for _, rc := range rcpts {
		line := fmt.Sprintf("    %-8s  <%s>", safe(rc.State), safe(rc.Addr))
		if rc.Attempts > 0 {
			line += fmt.Sprintf("  %s", plural(rc.Attempts, "attempt"))
		}
		// In the order they happened: a requeue clears FailedAt
		// (spool.Requeue), so a recipient with both failed again after
		// it was requeued ("requeued 07:27:40, failed 07:27:47").
		if !rc.Requeued.IsZero() {
			line += ", requeued " + localTime(rc.Requeued)
		}
		if !rc.FailedAt.IsZero() {
			line += ", failed " + localTime(rc.FailedAt)
		}
		if !rc.NextAttempt.IsZero() {
			line += fmt.Sprintf(", next in %s (%s)", age(rc.NextAttempt.Sub(now)), localTime(rc.NextAttempt))
		}
		fmt.Fprintln(w, line)
		if rc.LastError != "" {
			fmt.Fprintf(w, "              %s\n", safe(rc.LastError))
		}
	}
}

// printMessage prints one message: envelope, recipients, history and
// header lines (control characters escaped, encoded words decoded
// beside them); never the body.
func printMessage(w io.Writer, m gateway.QueueMessage, now time.Time) {
	field := func(name, value string) { fmt.Fprintf(w, "%-12s %s\n", name+":", value) }
	orNone := func(s string) string {
		if s == "" {
			return "-"
		}
		return safe(s)
	}
	field("Queue ID", safe(m.ID))
	field("State", safe(m.State))
	field("Route", safe(m.Route))
	field("Arrived", fmt.Sprintf("%s (%s ago)", localTime(m.Created), age(now.Sub(m.Created))))
	field("Size", fmt.Sprintf("%s (%d bytes)", humanSize(m.Size), m.Size))
	field("Sender", safe(sender(m.Sender)))
	field("Client", orNone(m.Client))
	field("HELO", orNone(m.Helo))
	field("TLS", map[bool]string{true: "yes", false: "no"}[m.TLS])
	field("Policy", orNone(m.Policy))
	field("Quarantine", orNone(m.QuarantineID))
	if m.Released {
		field("Released", "by an administrator from quarantine; a failure is not bounced to the sender (requeue it once the cause is fixed)")
	}
	if m.Suspended != nil {
		field("Delivery", suspendedLine(m.Suspended, now))
	}
	fmt.Fprintln(w, "Recipients:")
	printRecipients(w, m.Recipients, now)
	if len(m.History) > 0 {
		fmt.Fprintln(w, "History:")
		for _, e := range m.History {
			line := fmt.Sprintf("    %s  %-8s", localTime(e.Time), safe(e.Event))
			if e.Rcpt != "" {
				line += "  <" + safe(e.Rcpt) + ">"
			}
			if e.State != "" {
				line += "  " + safe(e.State)
			}
			if e.NextHop != "" {
				line += "  via " + safe(e.NextHop)
			}
			if e.Text != "" {
				line += "  " + safe(e.Text)
			}
			fmt.Fprintln(w, line)
		}
	}
	if m.HeadersWithheld != "" {
		fmt.Fprintf(w, "Headers: withheld: %s\n", safe(m.HeadersWithheld))
		return
	}
	fmt.Fprintln(w, "Headers:")
	for _, f := range headerFields(m.Headers) {
		for _, l := range f {
			fmt.Fprintf(w, "    %s\n", safe(l))
		}
		if _, value, ok := strings.Cut(strings.Join(f, "\n"), ":"); ok && strings.Contains(value, "=?") {
			decoded, _ := textenc.DecodeHeader(value)
			if decoded != "" && decoded != strings.TrimSpace(value) {
				fmt.Fprintf(w, "        (decoded) %s\n", safe(decoded))
			}
		}
	}
	if m.HeadersTruncated {
		fmt.Fprintf(w, "    [headers cut at %d bytes]\n", gateway.QueueHeaderMax)
	}
}

// headerFields groups header lines into fields: a line that starts with
// white space continues the one before it.
func headerFields(lines []string) [][]string {
	var out [][]string
	for _, l := range lines {
		if len(out) > 0 && (strings.HasPrefix(l, " ") || strings.HasPrefix(l, "\t")) {
			out[len(out)-1] = append(out[len(out)-1], l)
			continue
		}
		out = append(out, []string{l})
	}
	return out
}

func sender(s string) string { return "<" + s + ">" }

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

// age is a short duration for listings: 42s, 12m, 5h03m, 3d04h.
func age(d time.Duration) string {
	d = max(d, 0)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d/time.Hour), int(d%time.Hour/time.Minute))
	default:
		return fmt.Sprintf("%dd%02dh", int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour))
	}
}

// safe makes text from the network fit for a terminal: control
// characters (C0 but tab, DEL, C1), invisible format characters such as
// bidi overrides, line and paragraph separators and invalid UTF-8 are
// written as escapes, so a header or reply cannot move the cursor,
// recolour the screen or hide text.
func safe(s string) string {
	clean := true
	for _, r := range s {
		if needsEscape(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x80 && needsEscape(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		case needsEscape(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
		i += size
	}
	return b.String()
}

func needsEscape(r rune) bool {
	switch {
	case r == '\t':
		return false
	case r == utf8.RuneError:
		return true // invalid UTF-8 (or U+FFFD itself, harmless to escape)
	case unicode.IsControl(r):
		return true
	case unicode.Is(unicode.Cf, r), r == '\u2028', r == '\u2029':
		return true
	}
	return false
}

func newQueueCtl(cfg *config.Config, note io.Writer) *queueCtl {
	return &queueCtl{cfg: cfg, note: note, admin: newAdminClient(cfg)}
}

// writeJSON prints v as indented JSON for an operator, with what safe
// escapes written as JSON \u escapes: encoding/json leaves DEL, C1
// controls, bidi overrides and zero-width characters as they are, and
// -json output is read on a terminal too. The escapes decode to the same
// text, so jq and scripts see what was answered.
func writeJSON(w io.Writer, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	// Addresses and Message-IDs as written (<a@b>), not \u003ca@b\u003e:
	// the output is read and searched, never put into a page.
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(escapeJSON(buf.Bytes()))
	return err
}

// escapeJSON writes every rune of encoded JSON that needsEscape (other
// than the encoder's own line breaks and indentation) as a \u escape;
// such runes only occur inside strings, where the escape means the same.
func escapeJSON(b []byte) []byte {
	var out bytes.Buffer
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		switch {
		case r == '\n' || r == '\t' || !needsEscape(r):
			out.Write(b[:size])
		case r > 0xffff:
			r1, r2 := utf16.EncodeRune(r)
			fmt.Fprintf(&out, `\u%04x\u%04x`, r1, r2)
		default:
			// The encoder writes valid UTF-8 only (invalid bytes become
			// U+FFFD), so r is the rune itself.
			fmt.Fprintf(&out, `\u%04x`, r)
		}
		b = b[size:]
	}
	return out.Bytes()
}

// queueFail prints err of `mugai queue sub` after "mugai queue sub: ",
// as every error of a subcommand is. An error of the gateway that names
// the queue and the subcommand ("queue: requeue ID: no failed
// recipient") has them said once: "mugai queue requeue: ID: no failed
// recipient", not "mugai queue requeue: queue: requeue ID: …".
func queueFail(w io.Writer, sub string, err error) {
	msg := err.Error()
	if rest, ok := strings.CutPrefix(msg, "queue: "); ok {
		msg = rest
		if rest, ok := strings.CutPrefix(msg, sub+" "); ok {
			msg = rest
		}
	}
	fmt.Fprintf(w, "mugai queue %s: %s\n", sub, msg)
}

// printResumed says which queues' suspensions a retry or requeue lifted.
func printResumed(w io.Writer, resumed []string) {
	if len(resumed) == 0 {
		return
	}
	names := make([]string, len(resumed))
	for i, q := range resumed {
		names[i] = safe(q)
	}
	fmt.Fprintf(w, "delivery resumed on %s (it was suspended, the next hop found unreachable)\n", strings.Join(names, ", "))
}
