package htmltext

import (
	"net"
	"net/url"
	"strings"
	"unicode"

	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"
	"golang.org/x/text/unicode/norm"
)

// MismatchMark follows the target of a link whose text shows a web
// address on another site than the one the link leads to: the classic
// phishing link, <a href="https://login.example.ru/">https://login.microsoftonline.com/</a>.
// Both addresses are printed anyway; the mark makes the reader look.
const MismatchMark = "[注意: 表示と異なるリンク先]"

// maxLinkText bounds the link text kept to compare with its target: an
// address shown as a link's text is near its start.
const maxLinkText = 512

// linkMismatch reports whether text, what a link shows, holds a web
// address whose site is not the site of href, the link's target, as
// Thunderbird's phishing check and ClamAV's phishcheck compare them.
// The address is the first in the text: with a scheme or "www." (also
// inside a Japanese sentence, "詳しくはhttps://…"), or a host name alone
// under a public suffix ("login.microsoftonline.com"); fullwidth forms
// are read as a browser reads them (NFKC). Sites are registrable domains
// (the public suffix list's eTLD+1), so a tracking host of the sender's
// own domain, or www. against none, is no mismatch; a text without an
// address ("ログインはこちら") has nothing to compare.
func linkMismatch(text, href string) bool {
	th := textAddress(text)
	if th == "" {
		return false
	}
	hh := targetHost(href, 0)
	if hh == "" {
		return false
	}
	return site(th) != site(hh)
}

// textAddress is the host of the first web address in a link's text, ""
// when it shows none.
func textAddress(text string) string {
	t := norm.NFKC.String(text)
	for _, tok := range strings.FieldsFunc(t, unicode.IsSpace) {
		// ASCII only, byte for byte: strings.ToLower changes the
		// length of some letters (Ⱥ grows, İ shrinks), and the index
		// found in it must hold in tok.
		lower := asciiLower(tok)
		at := -1
		for _, p := range []string{"https://", "http://", "ftp://", "www."} {
			if i := strings.Index(lower, p); i >= 0 && (at < 0 || i < at) {
				at = i
			}
		}
		if at >= 0 {
			if h := addressHost(tok[at:]); h != "" {
				return h
			}
			continue
		}
		if h := bareHost(strings.TrimFunc(tok, notHostRune)); h != "" {
			return h
		}
	}
	return ""
}

// asciiLower is s with its ASCII capitals in lower case, byte for byte.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// addressHost is the host of an address written with a scheme or
// "www.": the one the reader sees, what comes first ("https://www.bank.
// example.jp@evil.example.net/" reads as the bank's, which makes it a
// lure).
func addressHost(a string) string {
	rest := a
	if i := strings.Index(rest, "://"); i >= 0 && !strings.HasPrefix(asciiLower(rest), "www.") {
		rest = rest[i+3:]
	}
	if i := strings.IndexAny(rest, "/?#@\\"); i >= 0 {
		rest = rest[:i]
	}
	// The host ends where a character no host has begins: a port, or
	// the punctuation of the sentence around it ("www.example.jp、").
	if end := strings.IndexFunc(rest, notHostRune); end >= 0 {
		rest = rest[:end]
	}
	rest = strings.Trim(rest, ".")
	if !strings.Contains(rest, ".") {
		return "" // "www." alone, "https://intranet": nothing to compare
	}
	return rest
}

// bareHost is tok when it is a host name alone, with a path perhaps
// ("login.microsoftonline.com/x"), "" otherwise. A name under a suffix of
// two labels or more (co.jp, lg.jp, com.au) or under a top-level domain
// mail is sent from is one; a file name or a word is not, though many
// end in a top-level domain too (README.md, setup.py, ASP.NET, 資料.zip).
func bareHost(tok string) string {
	host, _, _ := strings.Cut(tok, "/")
	host = asciiLower(host)
	if strings.Count(host, ".") < 1 || strings.IndexFunc(host, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '.')
	}) >= 0 || strings.HasPrefix(host, ".") || strings.Contains(host, "..") {
		return ""
	}
	suffix, icann := publicsuffix.PublicSuffix(host)
	if !icann || suffix == host || !strings.Contains(suffix, ".") && !bareTLDs[suffix] {
		return ""
	}
	if suffix == "net" && strings.Count(host, ".") == 1 {
		return "" // ASP.NET, VB.NET: names, not hosts, unless deeper
	}
	return host
}

// bareTLDs are the top-level domains a host name written alone is read
// under: the common generic ones and Japan's. Others are file types or
// words first (.md, .py, .sh, .ai, .zip, .world).
var bareTLDs = map[string]bool{"com": true, "net": true, "org": true, "jp": true, "info": true, "biz": true, "gov": true, "edu": true}

// notHostRune reports a character no host name has.
func notHostRune(r rune) bool {
	return r != '.' && r != '-' && !unicode.IsLetter(r) && !unicode.IsDigit(r)
}

// targetHost is the host a browser goes to for href, read as a browser
// reads it (the WHATWG URL standard's special schemes): a backslash is a
// slash, the slashes after the scheme may be one or none, the host
// follows the last "@" of the authority; a protocol-relative "//host" is
// https. A Microsoft Safe Links address (what Exchange Online writes in
// place of every link) stands for the one in its url parameter. "" for
// another scheme or no host.
func targetHost(href string, depth int) string {
	h := strings.ReplaceAll(strings.TrimSpace(href), `\`, "/")
	var rest string
	if strings.HasPrefix(h, "//") {
		rest = h[2:]
	} else {
		scheme, r, ok := strings.Cut(h, ":")
		if !ok {
			return ""
		}
		switch strings.ToLower(scheme) {
		case "http", "https", "ftp":
		default:
			return ""
		}
		rest = strings.TrimLeft(r, "/")
	}
	auth := rest
	if i := strings.IndexAny(auth, "/?#"); i >= 0 {
		auth = auth[:i]
	}
	if i := strings.LastIndexByte(auth, '@'); i >= 0 {
		auth = auth[i+1:]
	}
	if strings.HasPrefix(auth, "[") {
		if i := strings.IndexByte(auth, ']'); i > 0 {
			auth = auth[1:i]
		}
	} else if i := strings.LastIndexByte(auth, ':'); i >= 0 {
		auth = auth[:i]
	}
	if u, err := url.PathUnescape(auth); err == nil {
		auth = u
	}
	auth = strings.ToLower(strings.Trim(auth, "."))
	if depth == 0 && strings.HasSuffix(auth, ".safelinks.protection.outlook.com") {
		if u, err := url.Parse(strings.ReplaceAll(strings.TrimSpace(href), `\`, "/")); err == nil {
			if inner := u.Query().Get("url"); inner != "" {
				if ih := targetHost(inner, depth+1); ih != "" {
					return ih
				}
			}
		}
	}
	return auth
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
