package deliver

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"os"
	"strings"
	"time"

	"github.com/emersion/go-smtp"

	"mugai/config"
)

// netConn is an SMTP or LMTP next hop driven through go-smtp's Client.
// go-smtp's SendMail stops at the first refused recipient, so MAIL, RCPT
// and DATA are issued one by one here to get a result per recipient.
type netConn struct {
	d        Dialer
	hop      config.Deliver
	hostname string
	lmtp     bool
	network  string // tcp or unix
	addr     string // host:port or socket path
	mode     string // none, opportunistic, required

	cl   *smtp.Client // nil while not connected
	raw  net.Conn     // the socket under cl, closed to abort on ctx
	lim  *replyConn   // checks the replies read by cl
	sent int          // messages carried by the current connection
	buf  []byte       // copy buffer, kept across messages
}

// errHandshake marks a failed TLS handshake in opportunistic mode, after
// which one plaintext connection is tried.
var errHandshake = errors.New("TLS handshake failed")

// plaintext reports (Dialer.Plaintext) that the connection goes on in
// the clear though the next hop offered STARTTLS.
func (c *netConn) plaintext(why string) {
	if c.d.Plaintext != nil {
		c.d.Plaintext(why)
	}
}

func newNetConn(d Dialer, hop config.Deliver, hostname string) (*netConn, error) {
	c := &netConn{d: d, hop: hop, hostname: hostname, network: "tcp", addr: hop.URL.Addr, mode: hop.TLS}
	switch hop.URL.Scheme {
	case "lmtp":
		c.lmtp = true
	case "lmtp+unix":
		c.lmtp, c.network, c.addr = true, "unix", hop.URL.Path
	}
	switch c.mode {
	case "":
		c.mode = "opportunistic"
	case "none", "opportunistic", "required":
	default:
		return nil, fmt.Errorf("deliver: next hop %s: unknown tls mode %q", c.label(), hop.TLS)
	}
	if c.network == "unix" {
		if c.mode == "required" {
			return nil, fmt.Errorf("deliver: next hop %s: tls required is not possible on a unix socket", c.label())
		}
		c.mode = "none"
	}
	if c.addr == "" {
		return nil, fmt.Errorf("deliver: next hop %q: no address", hop.To)
	}
	return c, nil
}

func (c *netConn) label() string {
	if c.hop.To != "" {
		return c.hop.To
	}
	return c.hop.URL.Scheme + "://" + c.addr
}

// wrap gives an error the next hop's name, and reports a cancelled or
// expired ctx (with its cause: ErrTooSlow from WithAttemptTimeout) as such
// rather than as the closed socket it caused. The
// message often quotes the next hop (a 421, a malformed reply): it is made
// one line of at most MaxTextBytes, as Result.Text is.
func (c *netConn) wrap(ctx context.Context, what string, err error) error {
	if ctx.Err() != nil {
		err = context.Cause(ctx)
	}
	return &hopError{msg: capText(oneLine(fmt.Sprintf("deliver: %s: %s: %v", c.label(), what, err))), err: err}
}

// hopError is an error of the next hop's connection with a cleaned message.
type hopError struct {
	msg string
	err error
}

func (e *hopError) Error() string { return e.msg }
func (e *hopError) Unwrap() error { return e.err }

// connect dials a new connection; in opportunistic mode a failed TLS
// handshake is followed by one plaintext attempt, as Postfix does at
// security level "may".
//
// Every error it returns is ErrUnreachable: no session came about.
func (c *netConn) connect(ctx context.Context) error {
	err := c.dial(ctx, c.mode)
	if errors.Is(err, errHandshake) && c.mode == "opportunistic" {
		c.plaintext(err.Error())
		err = c.dial(ctx, "none")
	}
	return unreachable(err)
}

func (c *netConn) dial(ctx context.Context, mode string) error {
	nd := net.Dialer{Timeout: c.d.ConnectTimeout}
	raw, err := nd.DialContext(ctx, c.network, c.addr)
	if err != nil {
		return c.wrap(ctx, "connect", err)
	}
	stop := context.AfterFunc(ctx, func() { raw.Close() })
	defer stop()
	fail := func(what string, err error) error {
		raw.Close()
		return c.wrap(ctx, what, err)
	}

	var conn net.Conn = &writeTimeoutConn{Conn: raw, timeout: c.d.DataTimeout}
	var lim *replyConn
	greeted := false
	switch {
	case c.hop.URL.Scheme == "smtps":
		cfg, err := c.tlsConfig(mode == "required")
		if err != nil {
			return fail("tls", err)
		}
		tc := tls.Client(conn, cfg)
		if err := c.handshake(ctx, tc); err != nil {
			return fail("tls handshake", err)
		}
		conn = tc
	case mode == "none":
	default:
		verb := "EHLO"
		if c.lmtp {
			verb = "LHLO"
		}
		pc := newReplyConn(conn)
		offered, why, err := startTLSPrelude(pc, verb, c.hostname, c.d.CommandTimeout)
		if err != nil {
			return fail("starttls", err)
		}
		greeted = true
		if !offered && mode == "required" {
			return fail("starttls", fmt.Errorf("%w (%s)", ErrNoStartTLS, why))
		}
		if !offered && why != notOffered {
			c.plaintext("STARTTLS " + why)
		}
		if offered {
			cfg, err := c.tlsConfig(mode == "required")
			if err != nil {
				return fail("tls", err)
			}
			tc := tls.Client(conn, cfg)
			if err := c.handshake(ctx, tc); err != nil {
				if mode == "opportunistic" {
					err = fmt.Errorf("%w: %w", errHandshake, err)
				}
				return fail("tls handshake", err)
			}
			conn = tc
		} else {
			// Still plaintext: go-smtp reads on where the prelude stopped.
			lim = pc
		}
	}
	if lim == nil {
		lim = newReplyConn(conn)
	}
	conn = lim
	if greeted {
		// The greeting was consumed before STARTTLS; go-smtp's Client
		// insists on reading one, so it gets a stand-in. Its EHLO after
		// this is the one RFC 3207 4.2 requires after TLS starts (or, when
		// STARTTLS was not used, a repeated EHLO, which RFC 5321 4.1.4
		// allows).
		conn = &greetedConn{Conn: conn, pending: []byte("220 greeting already read\r\n")}
	}
	var cl *smtp.Client
	if c.lmtp {
		cl = smtp.NewClientLMTP(conn)
	} else {
		cl = smtp.NewClient(conn)
	}
	cl.CommandTimeout = c.d.CommandTimeout
	cl.SubmissionTimeout = c.d.DoneTimeout
	if err := cl.Hello(c.hostname); err != nil {
		cl.Close()
		return c.wrap(ctx, "greeting", err)
	}
	if !stop() {
		cl.Close()
		return c.wrap(ctx, "connect", ctx.Err())
	}
	c.cl, c.raw, c.lim, c.sent = cl, raw, lim, 0
	return nil
}

func (c *netConn) handshake(ctx context.Context, tc *tls.Conn) error {
	hctx, cancel := context.WithTimeout(ctx, c.d.ConnectTimeout)
	defer cancel()
	return tc.HandshakeContext(hctx)
}

// tlsConfig verifies against hop.CAFile (or the system pool) for the host
// of the address when verify is set; otherwise it encrypts without
// checking the certificate (opportunistic, see Dialer.Dial).
func (c *netConn) tlsConfig(verify bool) (*tls.Config, error) {
	host, _, err := net.SplitHostPort(c.addr)
	if err != nil {
		return nil, err
	}
	cfg := &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	if !verify {
		cfg.InsecureSkipVerify = true
		return cfg, nil
	}
	if c.hop.CAFile != "" {
		pem, err := os.ReadFile(c.hop.CAFile)
		if err != nil {
			return nil, fmt.Errorf("ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("ca_file %s: no PEM certificate", c.hop.CAFile)
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}

// drop abandons the connection without QUIT.
func (c *netConn) drop() {
	if c.cl != nil {
		c.cl.Close()
	}
	c.cl, c.raw, c.lim = nil, nil, nil
}

// Close sends QUIT and closes the connection; a QUIT that fails does not
// matter, the socket is closed either way.
func (c *netConn) Close() error {
	if c.cl == nil {
		return nil
	}
	c.cl.CommandTimeout = c.d.QuitTimeout
	if err := c.cl.Quit(); err != nil {
		c.cl.Close()
	}
	c.cl, c.raw, c.lim = nil, nil, nil
	return nil
}

// staleError is a failure before anything of the message was accepted: on
// a reused connection it usually means the next hop closed it while idle.
type staleError struct{ err error }

func (e *staleError) Error() string { return e.err.Error() }
func (e *staleError) Unwrap() error { return e.err }

func (c *netConn) Send(ctx context.Context, from string, rcpts []string, body io.Reader) ([]Result, error) {
	results := make([]Result, len(rcpts))
	for i, r := range rcpts {
		results[i].Rcpt = r
	}
	if err := ctx.Err(); err != nil {
		return nil, c.wrap(ctx, "send", err)
	}
	if !validAddress(from, true) {
		for i := range results {
			results[i] = localResult(rcpts[i], 501, "5.1.7", "invalid sender address")
		}
		return results, nil
	}
	// Each distinct valid recipient is sent once (LMTP replies are keyed by
	// address, and a second RCPT for the same address gains nothing).
	var send []string
	seen := make(map[string]bool, len(rcpts))
	for i, r := range rcpts {
		switch {
		case !validAddress(r, false):
			results[i] = localResult(r, 501, "5.1.3", "invalid recipient address")
		case !seen[r]:
			seen[r] = true
			send = append(send, r)
		}
	}
	if len(send) == 0 {
		return results, nil
	}

	reused := c.cl != nil
	if !reused {
		if err := c.connect(ctx); err != nil {
			return nil, err
		}
	}
	got, err := c.attempt(ctx, from, send, body)
	var stale *staleError
	if errors.As(err, &stale) && reused && ctx.Err() == nil {
		// The connection we kept died while idle; nothing was sent yet.
		c.drop()
		if err := c.connect(ctx); err != nil {
			return nil, err
		}
		got, err = c.attempt(ctx, from, send, body)
	}
	if err != nil {
		c.drop()
		return nil, c.wrap(ctx, "send", err)
	}
	for i, r := range rcpts {
		if res, ok := got[r]; ok {
			results[i] = res
		} else if results[i].Code == 0 {
			// Not expected: every recipient sent has a reply above. Defer
			// rather than report a code the caller cannot classify.
			results[i] = localResult(r, 451, "4.3.0", "no reply recorded for this recipient")
		}
	}
	c.sent++
	if c.d.MaxMessages > 0 && c.sent >= c.d.MaxMessages {
		c.Close()
	}
	return results, nil
}

// attempt runs one transaction on the current connection, aborting it by
// closing the socket when ctx ends.
func (c *netConn) attempt(ctx context.Context, from string, rcpts []string, body io.Reader) (map[string]Result, error) {
	raw := c.raw
	stop := context.AfterFunc(ctx, func() { raw.Close() })
	got, err := c.transaction(ctx, from, rcpts, body)
	if !stop() && err == nil {
		// The results stand; the socket is gone.
		c.drop()
	}
	return got, err
}

func (c *netConn) transaction(ctx context.Context, from string, rcpts []string, body io.Reader) (map[string]Result, error) {
	got := make(map[string]Result, len(rcpts))
	cl := c.cl

	var opts *smtp.MailOptions
	if !isASCII(from) || !allASCII(rcpts) {
		if ok, _ := cl.Extension("SMTPUTF8"); !ok {
			// RFC 6531 3.2: without SMTPUTF8 such an address cannot be
			// transmitted at all; this will not change on retry.
			res := Result{Code: 553, Enhanced: "5.6.7", Text: "mugai: next hop does not offer SMTPUTF8, required for this address"}
			if !isASCII(from) {
				for _, r := range rcpts {
					got[r] = withRcpt(res, r)
				}
				return got, nil
			}
			var ascii []string
			for _, r := range rcpts {
				if isASCII(r) {
					ascii = append(ascii, r)
				} else {
					got[r] = withRcpt(res, r)
				}
			}
			if len(ascii) == 0 {
				return got, nil
			}
			rcpts = ascii
		} else {
			opts = &smtp.MailOptions{UTF8: true}
		}
	}

	if err := cl.Mail(from, opts); err != nil {
		res, ok := reply(err)
		if !ok {
			return nil, &staleError{err}
		}
		for _, r := range rcpts {
			got[r] = withRcpt(res, r)
		}
		return got, nil
	}
	var accepted []string
	for _, r := range rcpts {
		err := cl.Rcpt(r, nil)
		if err == nil {
			accepted = append(accepted, r)
			continue
		}
		res, ok := reply(err)
		if !ok {
			return nil, err
		}
		got[r] = withRcpt(res, r)
	}
	if len(accepted) == 0 {
		c.reset()
		return got, nil
	}
	w, err := cl.Data()
	if err != nil {
		res, ok := reply(err)
		if !ok {
			return nil, err
		}
		for _, r := range accepted {
			got[r] = withRcpt(res, r)
		}
		c.reset()
		return got, nil
	}
	br := &errReader{r: body}
	if c.buf == nil {
		c.buf = make([]byte, 32<<10)
	}
	c.lim.werr = nil
	// refused gives every accepted recipient the reply the next hop sent
	// before a write of the body (or of the final dot) failed.
	refused := func(res Result) (map[string]Result, error) {
		c.drop()
		for _, r := range accepted {
			got[r] = withRcpt(res, r)
		}
		return got, nil
	}
	if _, err := io.CopyBuffer(w, br, c.buf); err != nil {
		// There is no way to abandon DATA but closing the connection; the
		// final "." is never sent, so a truncated message is not delivered.
		if br.err != nil {
			return nil, fmt.Errorf("%w: %w", ErrReadingMessage, br.err)
		}
		if res, ok := c.lateReply(); ok {
			return refused(res)
		}
		return nil, fmt.Errorf("writing message: %w", err)
	}
	if !c.lmtp {
		dr, err := w.CloseWithResponse()
		if err != nil && c.lim.werr != nil {
			// The final dot was not sent: nothing was read after it.
			if res, ok := c.lateReply(); ok {
				return refused(res)
			}
			return nil, fmt.Errorf("writing message: %w", err)
		}
		if err != nil {
			res, ok := reply(err)
			if !ok {
				return nil, err
			}
			for _, r := range accepted {
				got[r] = withRcpt(res, r)
			}
			return got, nil
		}
		res := okResult(dr.StatusText)
		for _, r := range accepted {
			got[r] = withRcpt(res, r)
		}
		return got, nil
	}

	// LMTP (RFC 2033 4.2): one reply per accepted recipient, in order,
	// all read after the final dot.
	c.lim.limit = MaxReplyBytes * len(accepted)
	resp, err := w.CloseWithLMTPResponse()
	c.lim.limit = MaxReplyBytes
	if err != nil && c.lim.werr != nil {
		if res, ok := c.lateReply(); ok {
			return refused(res)
		}
		return nil, fmt.Errorf("writing message: %w", err)
	}
	var perRcpt smtp.LMTPDataError
	errors.As(err, &perRcpt)
	var missing []string
	closing := false
	for _, r := range accepted {
		if dr, ok := resp[r]; ok {
			got[r] = withRcpt(okResult(dr.StatusText), r)
			continue
		}
		if se, ok := perRcpt[r]; ok {
			res, valid := reply(se)
			if !valid && se.Code == 421 {
				// A real reply for this recipient, and the server is
				// going away.
				res, valid, closing = smtpResult(se), true, true
			}
			if valid {
				got[r] = withRcpt(res, r)
				continue
			}
		}
		missing = append(missing, r)
	}
	if closing {
		c.drop()
	}
	if len(missing) == 0 {
		return got, nil
	}
	if len(missing) == len(accepted) {
		return nil, err
	}
	// Some recipients already have their message: they must not be sent it
	// again, so the lost replies become per-recipient deferrals.
	c.drop()
	why := err
	if ctx.Err() != nil {
		why = context.Cause(ctx) // we closed it
	}
	for _, r := range missing {
		got[r] = Result{Rcpt: r, Code: 451, Enhanced: "4.4.2", Text: capText(oneLine("mugai: connection lost before this recipient's reply: " + why.Error()))}
	}
	return got, nil
}

// lateReplyWait bounds the wait for a reply after a write of the body
// failed. A reply the next hop sent before it hung up arrived before the
// reset that failed the write (TCP keeps the order), and one sent before
// it stopped reading has had the whole data timeout to arrive: either is
// in our buffer already, so the wait only has to cover a slow link.
const lateReplyWait = 2 * time.Second

// lateReply reads the reply a next hop sent in the middle of the body,
// before it hung up or stopped reading (RFC 5321 3.3 and 4.1.1.4 let a
// server refuse the data before its end; Postfix past message_size_limit,
// a content filter). Only a 4xx or 5xx counts: the message was not
// complete, so nothing else can be an answer to it. The reply is bounded
// and cleaned as every other reply.
func (c *netConn) lateReply() (Result, bool) {
	if err := c.raw.SetReadDeadline(time.Now().Add(min(lateReplyWait, c.d.CommandTimeout))); err != nil {
		return Result{}, false
	}
	code, msg, err := textproto.NewReader(bufio.NewReader(c.lim)).ReadResponse(0)
	if err != nil || code < 400 || code > 599 {
		return Result{}, false
	}
	enh, rest := splitEnhanced(msg)
	if enh != "" {
		// RFC 2034 3: each line of the reply repeats the code.
		rest = strings.ReplaceAll(rest, "\n"+enh+" ", "\n")
	}
	return Result{Code: code, Enhanced: enh, Text: capText(oneLine(rest))}, true
}

// reset ends an open transaction (RSET) and says EHLO again, which go-smtp
// requires after Reset; a failure drops the connection.
func (c *netConn) reset() {
	if c.cl == nil {
		return
	}
	if err := c.cl.Reset(); err != nil {
		c.drop()
		return
	}
	if err := c.cl.Hello(c.hostname); err != nil {
		c.drop()
	}
}

// reply converts a go-smtp error into a Result when it is a 4xx or 5xx
// reply to a command. 421 (service closing, RFC 5321 3.8) and anything
// that is not a reply are connection failures.
func reply(err error) (Result, bool) {
	var se *smtp.SMTPError
	if !errors.As(err, &se) {
		return Result{}, false
	}
	if se.Code == 421 || se.Code < 400 || se.Code > 599 {
		return Result{}, false
	}
	return smtpResult(se), true
}

func smtpResult(se *smtp.SMTPError) Result {
	r := Result{Code: se.Code, Text: capText(oneLine(se.Message))}
	if e := se.EnhancedCode; e[0] > 0 {
		r.Enhanced = fmt.Sprintf("%d.%d.%d", e[0], e[1], e[2])
	}
	return r
}

func okResult(text string) Result {
	enh, rest := splitEnhanced(oneLine(text))
	return Result{Code: 250, Enhanced: enh, Text: capText(rest)}
}

func withRcpt(r Result, rcpt string) Result {
	r.Rcpt = rcpt
	return r
}

func localResult(rcpt string, code int, enh, text string) Result {
	return Result{Rcpt: rcpt, Code: code, Enhanced: enh, Text: "mugai: " + text}
}

// validAddress refuses what cannot be written into MAIL or RCPT: control
// characters (a CR or LF would inject commands), angle brackets, and an
// empty recipient. The null sender is valid.
func validAddress(a string, sender bool) bool {
	if a == "" {
		return sender
	}
	for i := 0; i < len(a); i++ {
		if b := a[i]; b < 0x20 || b == 0x7f || b == '<' || b == '>' {
			return false
		}
	}
	return true
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func allASCII(ss []string) bool {
	for _, s := range ss {
		if !isASCII(s) {
			return false
		}
	}
	return true
}

// errReader remembers the body's own read error, to tell it from a write
// error on the connection.
type errReader struct {
	r   io.Reader
	err error
}

func (e *errReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF {
		e.err = err
	}
	return n, err
}

// writeTimeoutConn bounds every write by timeout, so a next hop that stops
// reading in the middle of a large body cannot hold a worker forever
// (go-smtp sets no deadline while the body is written).
type writeTimeoutConn struct {
	net.Conn
	timeout time.Duration
}

func (c *writeTimeoutConn) Write(p []byte) (int, error) {
	if err := c.Conn.SetWriteDeadline(time.Now().Add(c.timeout)); err != nil {
		return 0, err
	}
	return c.Conn.Write(p)
}

// replyConn sits between go-smtp (or the STARTTLS prelude) and the
// connection and checks what the next hop sends:
//   - at most limit bytes are read after each of our writes (a command),
//     so that no reply can grow without end (MaxReplyBytes says why);
//   - a Read hands out at most one line, so the reader above never holds
//     bytes past the reply it asked for; bytes still waiting here when we
//     write the next command were sent before it was asked (we never
//     pipeline): a reply too many, which would shift every later reply
//     onto the wrong command. The write then fails with ErrProtocol.
type replyConn struct {
	net.Conn
	limit int
	read  int
	space []byte
	buf   []byte // read from Conn, not yet handed out
	werr  error  // the last write error, which the caller clears
}

func newReplyConn(c net.Conn) *replyConn {
	return &replyConn{Conn: c, limit: MaxReplyBytes, space: make([]byte, 4096)}
}

// pending reports bytes received and not yet read above.
func (c *replyConn) pending() bool { return len(c.buf) > 0 }

func (c *replyConn) Read(p []byte) (int, error) {
	if len(c.buf) == 0 {
		if c.read >= c.limit {
			return 0, ErrReplyTooLong
		}
		n, err := c.Conn.Read(c.space[:min(len(c.space), c.limit-c.read)])
		c.read += n
		c.buf = c.space[:n]
		if n == 0 {
			return 0, err
		}
		// An error with data comes again at the next Read of Conn.
	}
	line := c.buf
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i+1]
	}
	n := copy(p, line)
	c.buf = c.buf[n:]
	return n, nil
}

func (c *replyConn) Write(p []byte) (int, error) {
	if c.pending() {
		return 0, fmt.Errorf("%w: the next hop sent %q before our command", ErrProtocol, capText(oneLine(string(c.buf))))
	}
	c.read = 0
	n, err := c.Conn.Write(p)
	if err != nil {
		c.werr = err
	}
	return n, err
}

// greetedConn hands the client a stand-in greeting before the real stream.
type greetedConn struct {
	net.Conn
	pending []byte
}

func (g *greetedConn) Read(p []byte) (int, error) {
	if len(g.pending) > 0 {
		n := copy(p, g.pending)
		g.pending = g.pending[n:]
		return n, nil
	}
	return g.Conn.Read(p)
}
