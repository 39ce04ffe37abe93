package sanitize

import (
	"strings"
	"sync"

	"mugai/config"
)

// Defaults for Policy fields left zero (config.Load fills them; a Policy
// literal in a test or a library caller may not).
const (
	defaultMaxDepth       = 20
	defaultMaxParts       = 500
	defaultMaxHeaderBytes = 64 << 10
	defaultMaxHTMLDepth   = 256

	ceilingMaxDepth       = config.CeilingMIMEDepth
	ceilingMaxParts       = config.CeilingMIMEParts
	ceilingMaxHeaderBytes = config.CeilingMIMEHeaderBytes
)

// policy is config.Policy with every default filled in and every value
// lowercased. An unknown value takes the safer reading.
type policy struct {
	config.Policy
	order []string // canonical allow-list in order, X-Mugai-* never in it
	lead  []string // the notice's first lines, cleaned, links neutralised

	qpOnce sync.Once
	qp     []byte // lead encoded as quoted-printable lines (leadQP)
	noQP   bool   // tests: encode the lead with the body, line by line
}

// Prepared is a policy made ready for Message: defaults filled in, values
// normalised, the notice's first lines cleaned and encoded. A caller that
// sanitises many messages with one policy (the gateway, for each policy
// of a configuration) prepares it once. It is safe for concurrent use.
type Prepared struct{ pol *policy }

// Prepare makes p ready for Message (Options.Prepared).
func Prepare(p config.Policy) *Prepared { return &Prepared{pol: normalise(p)} }

// leadQP is the lead as appendQPLine writes it, encoded once.
func (p *policy) leadQP() []byte {
	p.qpOnce.Do(func() {
		for _, l := range p.lead {
			p.qp = appendQPLine(p.qp, []byte(l))
		}
	})
	return p.qp
}

func normalise(p config.Policy) *policy {
	lc := func(s, def string, allowed ...string) string {
		s = strings.ToLower(strings.TrimSpace(s))
		if s == "" {
			return def
		}
		for _, a := range allowed {
			if s == a {
				return s
			}
		}
		return def
	}
	p.Body.Prefer = lc(p.Body.Prefer, "plain", "plain", "html")
	p.Body.Links = lc(p.Body.Links, "defang", "defang", "keep", "remove")
	p.Attachments.Default = lc(p.Attachments.Default, "strip", "strip", "keep", "reject")
	p.Attachments.EncryptedArchives = lc(p.Attachments.EncryptedArchives, "strip", "strip", "reject")
	p.Ambiguous = lc(p.Ambiguous, "strip", "strip", "reject")
	p.Notice.Position = lc(p.Notice.Position, "top", "top", "bottom")
	p.OutputCharset = lc(p.OutputCharset, "utf-8", "utf-8", "iso-2022-jp")
	if p.MIME.MaxDepth <= 0 {
		p.MIME.MaxDepth = defaultMaxDepth
	}
	// Hard ceilings whatever the configuration says: every level of the
	// walk holds buffers, and parts are held until the rebuild.
	p.MIME.MaxDepth = min(p.MIME.MaxDepth, ceilingMaxDepth)
	p.MIME.MaxParts = min(p.MIME.MaxParts, ceilingMaxParts)
	p.MIME.MaxHeaderBytes = min(p.MIME.MaxHeaderBytes, ceilingMaxHeaderBytes)
	if p.MIME.MaxParts <= 0 {
		p.MIME.MaxParts = defaultMaxParts
	}
	if p.MIME.MaxHeaderBytes <= 0 {
		p.MIME.MaxHeaderBytes = defaultMaxHeaderBytes
	}
	if p.MIME.MaxHTMLDepth <= 0 {
		p.MIME.MaxHTMLDepth = defaultMaxHTMLDepth
	}
	p.MIME.MaxHTMLDepth = min(p.MIME.MaxHTMLDepth, config.CeilingHTMLDepth)
	if len(p.Headers) == 0 {
		p.Headers = config.DefaultHeaders
	}
	np := &policy{Policy: p, order: make([]string, 0, len(p.Headers)), lead: defaultLeadLines}
	if t := strings.TrimSpace(p.Notice.Text); t != "" {
		np.lead = leadLines(t)
	}
	if p.Body.Links != "keep" {
		// Notice lines go through the link rewriter like body text, so a
		// URL in an administrator's notice text is not clickable either.
		lead := np.lead
		np.lead = nil
		for _, l := range lead {
			l, _ = rewriteLinks(l, p.Body.Links)
			np.lead = append(np.lead, l)
		}
	}
	for _, h := range p.Headers {
		k := canonicalKey(h)
		if strings.HasPrefix(k, "X-Mugai-") || contains(np.order, k) || config.RebuiltHeader(k) {
			continue
		}
		np.order = append(np.order, k)
	}
	return np
}

// defaultLeadLines is the default notice lead, split and cleaned once.
var defaultLeadLines = leadLines(defaultLead)

// leadLines splits a notice lead into clean lines.
func leadLines(lead string) []string {
	var lines []string
	for _, l := range strings.Split(strings.ReplaceAll(lead, "\r\n", "\n"), "\n") {
		lines = append(lines, cleanString(l))
	}
	return lines
}

// canonicalKey is net/textproto's canonical form (Message-Id, Mime-Version).
func canonicalKey(k string) string {
	k = strings.TrimSpace(k)
	if isCanonical(k) {
		return k
	}
	b := []byte(k)
	upper := true
	for i, c := range b {
		if upper && 'a' <= c && c <= 'z' {
			b[i] = c - 32
		} else if !upper && 'A' <= c && c <= 'Z' {
			b[i] = c + 32
		}
		upper = c == '-'
	}
	return string(b)
}

func isCanonical(k string) bool {
	upper := true
	for i := 0; i < len(k); i++ {
		c := k[i]
		if upper && 'a' <= c && c <= 'z' || !upper && 'A' <= c && c <= 'Z' {
			return false
		}
		upper = c == '-'
	}
	return true
}
