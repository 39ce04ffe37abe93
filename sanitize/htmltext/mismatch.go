package htmltext

import (
	"net"
	"net/url"
	"strings"
	"unicode"

	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"
)

// MismatchMark follows the target of a link whose text is itself a web
// address on another site than the one the link leads to: the classic
// phishing link, <a href="https://login.example.ru/">https://login.microsoftonline.com/</a>.
// Both addresses are printed anyway; the mark makes the reader look.
const MismatchMark = "[注意: 表示と異なるリンク先]"

// maxLinkText bounds the link text kept to compare with its target: an
// address shown as a link's text is short.
const maxLinkText = 512

// linkMismatch reports whether text, what a link shows, is a web address
// (with a scheme, or starting "www.") whose site is not the site of
// href, the link's target, as Thunderbird's phishing check and ClamAV's
// phishcheck compare them. Sites are registrable domains (the public
// suffix list's eTLD+1), so a tracking host of the sender's own domain,
// or www. against none, is no mismatch; a text with anything else in
// it ("ログインはこちら") is not an address and shows nothing to compare.
func linkMismatch(text, href string) bool {
	th := textHost(strings.TrimSpace(text))
	if th == "" {
		return false
	}
	u, err := url.Parse(href)
	if err != nil || u.Hostname() == "" {
		return false
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https", "ftp":
	default:
		return false
	}
	return site(th) != site(u.Hostname())
}

// textHost is the host of a link text that is a web address, "" when it
// is not one.
func textHost(t string) string {
	if t == "" || strings.IndexFunc(t, unicode.IsSpace) >= 0 {
		return ""
	}
	lower := strings.ToLower(t)
	rest := ""
	for _, p := range []string{"https://", "http://", "ftp://", "www."} {
		if strings.HasPrefix(lower, p) {
			rest = t
			if p != "www." {
				rest = t[len(p):]
			}
			break
		}
	}
	if rest == "" {
		return ""
	}
	// The host the reader sees is what comes first: in
	// "https://www.bank.example.jp@evil.example.net/" a browser goes to
	// what follows the "@", which is what makes it a lure.
	if i := strings.IndexAny(rest, "/?#@"); i >= 0 {
		rest = rest[:i]
	}
	// The host ends where a character no host has begins: a port, or
	// the punctuation of the sentence around it ("www.example.jp、").
	end := strings.IndexFunc(rest, func(r rune) bool {
		return r != '.' && r != '-' && !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	if end >= 0 {
		rest = rest[:end]
	}
	return strings.Trim(rest, ".")
}

// site is the registrable domain of host, in ASCII: fullwidth and
// Unicode names mapped as a browser maps them (UTS #46).
func site(host string) string {
	h := strings.ToLower(strings.Trim(host, "."))
	if a, err := idna.Lookup.ToASCII(h); err == nil {
		h = a
	}
	if net.ParseIP(strings.Trim(h, "[]")) != nil {
		return h
	}
	if s, err := publicsuffix.EffectiveTLDPlusOne(h); err == nil {
		return s
	}
	return h
}
