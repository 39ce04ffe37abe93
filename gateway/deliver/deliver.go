package deliver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"mugai/config"
)

// Defaults of a zero Dialer. The command and data timeouts are Postfix's
// (smtp_helo_timeout, smtp_data_xfer_timeout, smtp_data_done_timeout),
// which follow RFC 5321 4.5.3.2.
const (
	DefaultConnectTimeout = 30 * time.Second
	DefaultCommandTimeout = 5 * time.Minute
	DefaultDataTimeout    = 3 * time.Minute
	DefaultDoneTimeout    = 10 * time.Minute
	DefaultQuitTimeout    = 10 * time.Second
	// DefaultMaxMessages is how many messages one connection carries before
	// it is closed and the next Send dials a fresh one (Postfix's
	// smtp_connection_reuse_count_limit is unlimited by default; a bound
	// spreads load over a next hop's processes and limits the damage of a
	// leak on either side).
	DefaultMaxMessages = 100
	// DefaultIdleTimeout is how long the caller should keep an unused Conn
	// open before calling Close. The Conn does not run a timer itself: the
	// queue runner knows when it last called Send.
	DefaultIdleTimeout = 30 * time.Second
)

// Errors a caller or a test may want to tell apart. Every error returned by
// Dial or Send means "all recipients deferred".
var (
	// ErrNoStartTLS: tls is required but the next hop did not offer
	// STARTTLS, or refused it.
	ErrNoStartTLS = errors.New("STARTTLS required but not available")
	// ErrTLSInjection: the next hop sent bytes after its 220 reply to
	// STARTTLS and before the handshake (CVE-2011-0411 style injection).
	ErrTLSInjection = errors.New("unexpected data after STARTTLS reply")
	// ErrProtocol: the next hop answered with something that is not a
	// valid reply to the command.
	ErrProtocol = errors.New("protocol error")
	// ErrReplyTooLong: one reply of the next hop (all its lines) exceeded
	// MaxReplyBytes.
	ErrReplyTooLong = fmt.Errorf("reply longer than %d bytes", MaxReplyBytes)
	// ErrTooSlow: the deadline of WithAttemptTimeout passed.
	ErrTooSlow = errors.New("next hop too slow")
	// ErrReadingMessage: the message given to Send could not be read (the
	// spool's disk), which is no fault of the next hop.
	ErrReadingMessage = errors.New("reading message")
	// ErrUnreachable is in (errors.Is) every error of Dial, and an error
	// of Send that dialled again, when no session with the next hop came
	// about: the connection refused or timed out, no greeting or a 421
	// or other refusal of it or of EHLO, TLS that the hop's tls mode
	// requires not set up (STARTTLS missing or refused, a failed
	// handshake or certificate), a Maildir directory that cannot be
	// made. It says that the next hop, not the message, is the trouble,
	// so that the caller may stop sending it other messages for a while.
	// A failure once the session is up (a connection lost in the
	// transaction, a reply to MAIL, RCPT or DATA) is not one: the
	// message itself may be its cause.
	ErrUnreachable = errors.New("next hop unreachable")
)

// unreachableError marks an error as ErrUnreachable without changing its
// text, which the spool, the log and the audit trail keep.
type unreachableError struct{ error }

func (e unreachableError) Unwrap() error        { return e.error }
func (e unreachableError) Is(target error) bool { return target == ErrUnreachable }

func unreachable(err error) error {
	if err == nil || errors.Is(err, ErrUnreachable) {
		return err
	}
	return unreachableError{err}
}

// WithAttemptTimeout returns ctx with the deadline of one delivery
// attempt: pass it to Dial (when a connection is made) and to Send. Each
// command has its own timeout, but a next hop that answers every command
// just inside it holds the caller for recipients × CommandTimeout; this
// bounds the whole. When the deadline passes the connection is closed and
// the error (ErrTooSlow) names the limit, as do the deferrals of LMTP
// recipients left without a reply.
func WithAttemptTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeoutCause(ctx, d, fmt.Errorf("%w: attempt exceeded %v", ErrTooSlow, d))
}

// MaxReplyBytes bounds what the next hop may send in answer to one command:
// the greeting, an EHLO reply with all its extensions, the reply to MAIL,
// RCPT, DATA or the final dot (for LMTP, per recipient). go-smtp limits a
// line to 2000 bytes but not the number of lines, and net/textproto keeps
// every line of a multi-line reply in memory; the STARTTLS prelude reads
// lines with no limit at all. RFC 5321 4.5.3.1.5 allows 512 octets a
// line; Postfix's EHLO reply is about 200 bytes.
const MaxReplyBytes = 64 << 10

// MaxTextBytes bounds the next hop's reply text kept in a Result and the
// message of an error that quotes the next hop: what the spool keeps per
// recipient at every attempt, and the log and the audit trail repeat.
const MaxTextBytes = 1000

// Result is the outcome for one recipient: the reply code, the enhanced
// status code (RFC 3463, "" when the next hop sent none) and the reply
// text without the codes, on one line.
type Result struct {
	Rcpt     string
	Code     int
	Enhanced string
	Text     string
}

// OK reports a 2xx: the recipient is done.
func (r Result) OK() bool { return r.Code >= 200 && r.Code < 300 }

// Temporary reports a 4xx: the recipient is deferred and retried later.
func (r Result) Temporary() bool { return r.Code >= 400 && r.Code < 500 }

// Permanent reports a 5xx: the recipient has failed.
func (r Result) Permanent() bool { return r.Code >= 500 && r.Code < 600 }

// String formats the reply as a server would send it: "550 5.1.1 text".
func (r Result) String() string {
	s := strconv.Itoa(r.Code)
	if r.Enhanced != "" {
		s += " " + r.Enhanced
	}
	if r.Text != "" {
		s += " " + r.Text
	}
	return s
}

// Conn is an open next hop. It is meant to be kept by one delivery worker
// and used for message after message; it is not safe for concurrent use,
// and Close must not race with Send (cancel Send's context instead).
//
// A worker's loop: Dial once; for each message call Send and record each
// Result (OK: done, Temporary: retry after Backoff, Permanent: failed) or,
// on an error, defer every recipient; when no message came for
// DefaultIdleTimeout, call Close and keep the Conn (the next Send dials).
// The Dialer's MaxMessages closes a connection after that many messages.
type Conn interface {
	// Send delivers one message and returns one Result per recipient, in
	// the order of rcpts. An error means nothing is known about any
	// recipient: all of them are deferred. The connection is reused for
	// the next Send; a connection that died is dialled again, and a reused
	// connection found dead at MAIL FROM is replaced and the message sent
	// on the new one (nothing had been sent yet). A 4xx or 5xx that the
	// next hop sent in the middle of the body, before it hung up or
	// stopped reading, is every recipient's Result, not an error. body is
	// read exactly once unless an error is returned.
	Send(ctx context.Context, from string, rcpts []string, body io.Reader) ([]Result, error)
	// Close ends the current connection politely (QUIT). The Conn stays
	// usable: a later Send dials again, so a worker may Close after an idle
	// time and keep the value.
	Close() error
}

// Dialer holds the timeouts and limits of next-hop connections. The zero
// value uses the Default constants.
type Dialer struct {
	ConnectTimeout time.Duration // TCP connect (and TLS handshake)
	CommandTimeout time.Duration // greeting and each command's reply
	DataTimeout    time.Duration // longest stall while writing the body
	DoneTimeout    time.Duration // reply to the final "."
	QuitTimeout    time.Duration // reply to QUIT at Close
	// MaxMessages closes a connection after it carried this many messages;
	// the next Send dials a new one. Negative means no limit.
	MaxMessages int
	// Plaintext, when set, is called each time a connection in
	// opportunistic mode goes on without TLS although the next hop
	// offered STARTTLS: it refused the command (why is its reply), or
	// the handshake failed and a plaintext connection is tried (why is
	// the handshake's error). A next hop that does not offer STARTTLS
	// is not reported: that is what opportunistic mode is for. The
	// mail is still delivered; whoever watches the gateway should know
	// it crossed in the clear.
	Plaintext func(why string)
}

func (d Dialer) withDefaults() Dialer {
	set := func(v *time.Duration, def time.Duration) {
		if *v <= 0 {
			*v = def
		}
	}
	set(&d.ConnectTimeout, DefaultConnectTimeout)
	set(&d.CommandTimeout, DefaultCommandTimeout)
	set(&d.DataTimeout, DefaultDataTimeout)
	set(&d.DoneTimeout, DefaultDoneTimeout)
	set(&d.QuitTimeout, DefaultQuitTimeout)
	if d.MaxMessages == 0 {
		d.MaxMessages = DefaultMaxMessages
	}
	return d
}

// Dial opens hop with the default Dialer. hostname is ours, sent in
// EHLO/LHLO and used in Maildir file names.
func Dial(ctx context.Context, hop config.Deliver, hostname string) (Conn, error) {
	return Dialer{}.Dial(ctx, hop, hostname)
}

// Dial opens hop: it connects, reads the greeting, says EHLO (LHLO for
// LMTP) with hostname and negotiates TLS per hop.TLS. For a Maildir it
// creates cur/, new/ and tmp/ when missing. hop.URL must be filled (as
// config.Load does).
//
// TLS modes for smtp:// and lmtp://:
//   - "none": plaintext.
//   - "opportunistic" (also when empty): STARTTLS when the next hop offers
//     it, without certificate verification, and plaintext when it does not
//     or when the handshake fails (then on a new connection). This is
//     RFC 7435 opportunistic security: it defeats passive listening on the
//     wire, and internal next hops commonly present self-signed or
//     private-CA certificates, so insisting on verification here would only
//     turn encrypted delivery into plaintext delivery or no delivery. Use
//     "required" where the certificate can be checked.
//   - "required": STARTTLS must be offered and the certificate must verify
//     against hop.CAFile (or the system pool when empty) for the host in
//     hop.URL.Addr; otherwise Dial fails, which defers the message.
//
// smtps:// always uses implicit TLS, verified as above when hop.TLS is
// "required" and unverified otherwise. lmtp+unix:// never uses TLS, and
// "required" with it is an error.
func (d Dialer) Dial(ctx context.Context, hop config.Deliver, hostname string) (Conn, error) {
	d = d.withDefaults()
	if hostname == "" {
		h, err := os.Hostname()
		if err != nil {
			return nil, fmt.Errorf("deliver: hostname: %w", err)
		}
		hostname = h
	}
	switch hop.URL.Scheme {
	case "maildir":
		m, err := openMaildir(hop.URL.Path, hostname)
		if err != nil {
			return nil, unreachable(err)
		}
		return m, nil
	case "smtp", "smtps", "lmtp", "lmtp+unix":
		c, err := newNetConn(d, hop, hostname)
		if err != nil {
			return nil, unreachable(err)
		}
		if err := c.connect(ctx); err != nil {
			return nil, err
		}
		return c, nil
	case "":
		return nil, unreachable(fmt.Errorf("deliver: next hop %q: not parsed (config.Load fills Deliver.URL)", hop.To))
	default:
		return nil, unreachable(fmt.Errorf("deliver: next hop %q: unknown scheme %q", hop.To, hop.URL.Scheme))
	}
}
