package gateway

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/emersion/go-smtp"

	"mugai/config"
)

// Replies for refused addresses. RFC 3463: 5.1.3 bad destination mailbox
// address syntax, 5.1.7 bad sender address syntax, 5.7.1 delivery not
// authorised. RFC 6531 3.7.4.1 (code from RFC 5248): 553 5.6.7,
// non-ASCII addresses not permitted for that sender or recipient, for an
// address that is well formed as SMTPUTF8 writes addresses (UTF-8 in the
// local part, a domain in U-labels) but that the gateway does not take:
// said as such, not as a syntax error, which sends the sending
// postmaster looking for a typing mistake in a valid address.
var (
	errRelayDenied  = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "Relaying denied"}
	errBadRcptSyn   = &smtp.SMTPError{Code: 553, EnhancedCode: smtp.EnhancedCode{5, 1, 3}, Message: "Recipient address syntax not accepted"}
	errBadFromSyn   = &smtp.SMTPError{Code: 553, EnhancedCode: smtp.EnhancedCode{5, 1, 7}, Message: "Sender address syntax not accepted"}
	errNonASCIIRcpt = &smtp.SMTPError{Code: 553, EnhancedCode: smtp.EnhancedCode{5, 6, 7}, Message: "Recipient address not accepted: this gateway does not accept non-ASCII (internationalised) addresses"}
	errNonASCIIFrom = &smtp.SMTPError{Code: 553, EnhancedCode: smtp.EnhancedCode{5, 6, 7}, Message: "Sender address not accepted: this gateway does not accept non-ASCII (internationalised) addresses"}
)

// parseRcpt checks a RCPT TO address against the route's domains and
// returns it normalised (domain lower-cased, trailing dot removed). It
// refuses every form that has ever been used to relay through a gateway
// that only meant to accept mail for its own domains: source routes,
// %-hacks, UUCP bang paths, quoted local parts hiding an @, IP literals,
// and anything with control characters or spaces.
func parseRcpt(addr string, domains []string) (string, *smtp.SMTPError) {
	local, domain, err := splitAddr(addr)
	if err != nil {
		return "", err
	}
	if strings.ContainsAny(local, "%!") || strings.HasPrefix(domain, "[") {
		return "", errRelayDenied
	}
	if !domainAllowed(domain, domains) {
		return "", errRelayDenied
	}
	return local + "@" + domain, nil
}

// CheckRecipients is what route answers to the RCPT TOs of one
// transaction, in order, as far as the addresses and the configuration
// go (their syntax, the route's domains, its recipients.file and
// limits.max_recipients; not recipient verification, which asks the
// next hop): the recipients as the gateway keeps them (each once, the
// domain lower-cased without a trailing dot, a quoted local part
// unquoted), which the rules then see, or the first one refused, with a
// *RefusedError whose Reply is the reply ("550 5.7.1 Relaying denied").
// Any other error is the recipients file's. The dry run (mugai sanitize
// -to) asks it so as not to pick a policy for a recipient the gateway
// refuses, nor another policy than the gateway's.
func CheckRecipients(addrs []string, route *config.Route) (kept []string, refused string, err error) {
	var list map[string]bool
	if f := route.Recipients.File; f != "" {
		if list, _, err = ReadRecipients(f); err != nil {
			return nil, "", err
		}
	}
	for _, a := range addrs {
		// In the order of Session.Rcpt.
		addr, serr := parseRcpt(a, route.Domains)
		if serr != nil {
			return nil, a, &RefusedError{Reply: replyText(serr), Why: "route " + route.Name + ": the address's form or domain (domains: " + strings.Join(route.Domains, " ") + ")"}
		}
		if slices.Contains(kept, addr) {
			continue // delivered once (errDupRcpt)
		}
		if len(kept) >= route.Limits.MaxRecipients {
			return nil, a, &RefusedError{Reply: replyText(errTooMany), Why: fmt.Sprintf("route %s: limits.max_recipients is %d; the sending server sends the others in another message, whose policy the rules pick for its own recipients", route.Name, route.Limits.MaxRecipients)}
		}
		if list != nil && !list[strings.ToLower(addr)] {
			return nil, a, &RefusedError{Reply: replyText(errNoSuchUser), Why: "route " + route.Name + ": not in recipients.file " + route.Recipients.File}
		}
		kept = append(kept, addr)
	}
	return kept, "", nil
}

// CheckSender is CheckRecipients for MAIL FROM: the sender as the
// gateway keeps it, which the rules see, or the refusal as the reply.
func CheckSender(addr string) (string, error) {
	a, err := parseSender(addr)
	if err != nil {
		return "", &RefusedError{Reply: replyText(err)}
	}
	return a, nil
}

// parseSender checks a MAIL FROM address; "" is the null sender.
func parseSender(addr string) (string, *smtp.SMTPError) {
	if addr == "" {
		return "", nil
	}
	local, domain, err := splitAddr(addr)
	if err == errNonASCIIRcpt {
		return "", errNonASCIIFrom
	}
	if err != nil {
		return "", errBadFromSyn
	}
	return local + "@" + domain, nil
}

func splitAddr(addr string) (local, domain string, err *smtp.SMTPError) {
	if addr == "" || len(addr) > 254 || strings.HasPrefix(addr, "@") || strings.Contains(addr, ":") && !strings.HasPrefix(addr, `"`) {
		return "", "", errBadRcptSyn
	}
	for i := 0; i < len(addr); i++ {
		// RFC 5321 4.1.2: no controls, no spaces outside quotes; we
		// refuse spaces everywhere.
		switch c := addr[i]; {
		case c <= ' ' || c == 0x7f:
			return "", "", errBadRcptSyn
		case c >= utf8.RuneSelf:
			return "", "", nonASCII(addr)
		}
	}
	i := strings.LastIndexByte(addr, '@')
	if i <= 0 || i == len(addr)-1 {
		return "", "", errBadRcptSyn
	}
	local, domain = addr[:i], strings.TrimSuffix(strings.ToLower(addr[i+1:]), ".")
	if strings.HasPrefix(local, `"`) {
		// A quoted local part is legal, but one hiding routing
		// characters is the classic relay trick. What is left after
		// the quotes must pass as an unquoted one: go-smtp unquotes an
		// address given over SMTP before we see it, so the release
		// API, which gets it as typed, must accept no more than that.
		if len(local) < 2 || !strings.HasSuffix(local, `"`) || strings.ContainsAny(local[1:len(local)-1], `@%!"\`) {
			return "", "", errRelayDenied
		}
		local = local[1 : len(local)-1]
	}
	if local == "" || strings.ContainsAny(local, `@"\(),:;<>[]`) || strings.HasPrefix(local, ".") || strings.HasSuffix(local, ".") || strings.Contains(local, "..") {
		return "", "", errBadRcptSyn
	}
	if len(local) > 64 || !validDomain(domain) && !validLiteral(domain) {
		return "", "", errBadRcptSyn
	}
	return local, domain, nil
}

// nonASCII is the refusal of addr, which has a byte beyond ASCII. The
// gateway takes no internationalised address (RFC 6531: UTF-8 in the
// local part, a domain in U-labels), though a sanitising route offers
// SMTPUTF8 in EHLO: for the raw UTF-8 header fields it rebuilds as 7-bit
// encoded words, which Postfix sends only to a server that offers it.
// Such an address is refused with errNonASCIIRcpt where it is well
// formed but for its non-ASCII characters: where splitAddr takes it with
// each of them written as as many ASCII letters as it has octets (RFC
// 5321 4.5.3.1 limits lengths in octets). Bytes that are not UTF-8, and
// a control or a space beyond ASCII (NEL, NO-BREAK SPACE, IDEOGRAPHIC
// SPACE), are no address in any form: a syntax error, as is what
// splitAddr refuses in the ASCII form. A domain in U-labels is not
// mapped to A-labels (IDNA would take user@ｌｇｗａｎ.example, in
// FULLWIDTH letters, for user@lgwan.example): its A-label form is taken.
func nonASCII(addr string) *smtp.SMTPError {
	if !utf8.ValidString(addr) {
		return errBadRcptSyn
	}
	var b strings.Builder
	for _, r := range addr {
		switch {
		case r < utf8.RuneSelf:
			b.WriteRune(r)
		case unicode.IsControl(r) || unicode.IsSpace(r):
			return errBadRcptSyn
		default:
			b.WriteString(strings.Repeat("x", utf8.RuneLen(r)))
		}
	}
	if _, _, err := splitAddr(b.String()); err != nil {
		return err
	}
	return errNonASCIIRcpt
}

func validDomain(d string) bool {
	if d == "" || len(d) > 253 {
		return false
	}
	for _, l := range strings.Split(d, ".") {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// validLiteral reports whether d is an IPv4 address literal,
// "[192.0.2.1]" (RFC 5321 4.1.3; an IPv6 one has colons, refused above).
// Anything else in brackets is no address a reply could go to.
func validLiteral(d string) bool {
	if len(d) < 2 || d[0] != '[' || d[len(d)-1] != ']' {
		return false
	}
	ip, err := netip.ParseAddr(d[1 : len(d)-1])
	return err == nil && ip.Is4()
}

func domainAllowed(domain string, domains []string) bool {
	for _, d := range domains {
		if d == "*" || d == domain {
			return true
		}
	}
	return false
}
