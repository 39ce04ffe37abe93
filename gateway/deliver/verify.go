package deliver

import (
	"context"
	"fmt"
	"os"

	"github.com/emersion/go-smtp"

	"mugai/config"
)

// Verify asks hop whether it would take mail for rcpt: MAIL FROM:<>,
// RCPT TO:<rcpt>, RSET and QUIT, on a connection of its own dialled and
// secured exactly as Dial does (STARTTLS or implicit TLS per hop.TLS), so
// a probe goes where and how the delivery it stands for would. The Result
// is the reply to RCPT. An error means the question could not be put (no
// connection, TLS refused, MAIL refused) and says nothing about rcpt.
func (d Dialer) Verify(ctx context.Context, hop config.Deliver, hostname, rcpt string) (Result, error) {
	d = d.withDefaults()
	switch hop.URL.Scheme {
	case "smtp", "smtps", "lmtp", "lmtp+unix":
	default:
		return Result{}, fmt.Errorf("deliver: verify %s: a %q next hop cannot be asked about recipients", rcpt, hop.URL.Scheme)
	}
	if hostname == "" {
		h, err := os.Hostname()
		if err != nil {
			return Result{}, fmt.Errorf("deliver: hostname: %w", err)
		}
		hostname = h
	}
	if !validAddress(rcpt, false) {
		return localResult(rcpt, 501, "5.1.3", "invalid recipient address"), nil
	}
	c, err := newNetConn(d, hop, hostname)
	if err != nil {
		return Result{}, err
	}
	if err := c.connect(ctx); err != nil {
		return Result{}, err
	}
	defer c.Close()
	raw := c.raw
	stop := context.AfterFunc(ctx, func() { raw.Close() })
	defer stop()
	var opts *smtp.MailOptions
	if !isASCII(rcpt) {
		if ok, _ := c.cl.Extension("SMTPUTF8"); !ok {
			// As a delivery would be refused (RFC 6531 3.2).
			return localResult(rcpt, 553, "5.6.7", "next hop does not offer SMTPUTF8, required for this address"), nil
		}
		opts = &smtp.MailOptions{UTF8: true}
	}
	if err := c.cl.Mail("", opts); err != nil {
		c.drop()
		return Result{}, c.wrap(ctx, "verify: MAIL FROM", err)
	}
	err = c.cl.Rcpt(rcpt, nil)
	res := withRcpt(okResult(""), rcpt)
	if err != nil {
		r, ok := reply(err)
		if !ok {
			c.drop()
			return Result{}, c.wrap(ctx, "verify: RCPT TO", err)
		}
		res = withRcpt(r, rcpt)
	}
	if err := c.cl.Reset(); err != nil {
		c.drop()
	}
	return res, nil
}
