package links

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/width"
)

// Modes of Rewrite, as in the policy's body.links setting.
const (
	Defang = "defang"
	Keep   = "keep"
	Remove = "remove"
)

// removed replaces a URL in Remove mode.
const removed = "[リンク削除]"

// Rewrite neutralises the URLs in line according to mode and returns the
// new line and the number of URLs it changed. Keep returns line unchanged.
// An unknown mode is treated as Defang, the safe reading. Defang is
// idempotent: its output contains no URL it would rewrite again.
func Rewrite(line string, mode string) (out string, n int) {
	if mode == Keep || !mayHaveURL(line) {
		return line, 0
	}
	var b strings.Builder
	copied := 0 // line[:copied] has been written to b
	for i := 0; i < len(line); {
		u, ok := urlAt(line, i)
		if !ok {
			i++
			continue
		}
		if n == 0 {
			b.Grow(len(line) + 16)
		}
		n++
		if mode == Remove {
			// "<URL>" as htmltext prints links loses its brackets too.
			start, end := u.start, u.end
			if start > copied && line[start-1] == '<' && end < len(line) && line[end] == '>' {
				start--
				end++
			}
			b.WriteString(line[copied:start])
			b.WriteString(removed)
			copied, i = end, end
			continue
		}
		b.WriteString(line[copied:u.start])
		if u.scheme != "" {
			b.WriteString(u.scheme)
			b.WriteString(line[u.start+len(u.scheme) : u.hostStart]) // ":" and slashes as written
		}
		bracketDots(&b, line[u.hostStart:u.hostEnd])
		b.WriteString(line[u.hostEnd:u.end])
		copied, i = u.end, u.end
	}
	if n == 0 {
		return line, 0
	}
	b.WriteString(line[copied:])
	return b.String(), n
}

// url is one URL found in a line, as byte offsets.
type url struct {
	start, end         int    // the whole URL
	hostStart, hostEnd int    // the authority (userinfo, host, port)
	scheme             string // defanged scheme ("hxxps"), "" for a bare www. host
}

// urlAt reports the URL starting at line[i], if any.
func urlAt(s string, i int) (url, bool) {
	var u url
	if c := s[i] | 0x20; c != 'h' && c != 'f' && c != 'w' {
		return u, false // the common case: no URL can start here
	}
	if sch, sep := schemeAt(s, i); sch != "" {
		u = url{start: i, scheme: sch, hostStart: sep}
	} else if wwwAt(s, i) {
		u = url{start: i, hostStart: i}
	} else {
		return u, false
	}
	u.hostEnd = scanHost(s, u.hostStart)
	u.end = u.hostEnd
	if u.end < len(s) && strings.IndexByte("/?#\\", s[u.end]) >= 0 {
		u.end = scanPath(s, u.end)
	}
	floor := u.hostStart
	if u.scheme == "" {
		// The dot of "www." is never sentence punctuation: keeping it in
		// the URL gets it bracketed, which keeps Rewrite idempotent even
		// when another URL follows right after it.
		floor += len("www.")
	}
	if sch, _ := schemeAt(s, u.end); sch == "" {
		// Punctuation before another URL glued to this one stays: it may
		// be a host's dot that must be bracketed.
		u.end = trimTrailing(s, u.start, floor, u.end)
	}
	u.hostEnd = min(u.hostEnd, u.end)
	return u, true
}

// schemeAt matches http:, https: or ftp: at s[i], case-insensitively,
// followed by at least one slash or backslash (browsers read "http:\\" and
// "http:/" as "http://"). It returns the defanged scheme and the offset
// after the slashes.
func schemeAt(s string, i int) (defanged string, after int) {
	if i >= len(s) || s[i]|0x20 != 'h' && s[i]|0x20 != 'f' {
		return "", 0
	}
	var n int
	switch {
	case hasFoldPrefix(s[i:], "https:"):
		defanged, n = "hxxps", len("https:")
	case hasFoldPrefix(s[i:], "http:"):
		defanged, n = "hxxp", len("http:")
	case hasFoldPrefix(s[i:], "ftp:"):
		defanged, n = "fxp", len("ftp:")
	default:
		return "", 0
	}
	j := i + n
	for j < len(s) && (s[j] == '/' || s[j] == '\\') {
		j++
	}
	if j == i+n {
		return "", 0
	}
	return defanged, j
}

// wwwAt matches a bare "www." host at s[i] that starts a word: not inside
// another host name or an e-mail address (user@www.example.jp stays a
// readable address).
func wwwAt(s string, i int) bool {
	if !hasFoldPrefix(s[i:], "www.") || i+4 >= len(s) || !label(s[i+4]) {
		return false
	}
	if i == 0 {
		return true
	}
	p := s[i-1]
	return !label(p) && p != '.' && p != '@'
}

// label reports an ASCII character of a host name label.
func label(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_'
}

// hostByte reports ASCII characters of an authority: labels, dots, port,
// userinfo (user:pass@), IPv6 brackets and percent-encoding.
func hostByte(c byte) bool {
	return label(c) || strings.IndexByte(".:@[]%!$&'*+,;=~", c) >= 0
}

// scanHost returns the end of the authority starting at s[i]. Non-ASCII
// letters belong to it (IDN hosts such as bücher.example or 例え.jp), except
// a wide (Japanese) character right after ASCII letters: that is text
// written against the URL, as in "https://example.jpです".
func scanHost(s string, i int) int {
	afterASCII := false
	for i < len(s) {
		if sch, _ := schemeAt(s, i); sch != "" {
			return i // another URL starts here
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if !hostByte(c) {
				return i
			}
			afterASCII = label(c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError || !unicode.In(r, unicode.L, unicode.M, unicode.Nd) {
			return i
		}
		if afterASCII && wide(r) {
			return i
		}
		i += size
	}
	return i
}

// scanPath returns the end of the path, query and fragment starting at
// s[i]: printable ASCII except quotes and angle brackets. It stops at
// non-ASCII (text written against the URL) and where another URL starts,
// so every URL in a redirect chain is rewritten on its own.
func scanPath(s string, i int) int {
	for ; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || c == '<' || c == '>' || c == '"' {
			return i
		}
		if sch, _ := schemeAt(s, i); sch != "" || wwwAt(s, i) {
			return i
		}
	}
	return i
}

// trimTrailing drops punctuation that ends the sentence rather than the
// URL: "see https://example.jp/." and "(https://example.jp/)".
// Nothing before floor is trimmed.
func trimTrailing(s string, start, floor, end int) int {
	for end > floor {
		switch c := s[end-1]; c {
		case '.', ',', ':', ';', '!', '?', '\'', '*':
		case ')':
			if strings.Count(s[start:end], "(") >= strings.Count(s[start:end], ")") {
				return end
			}
		case ']':
			if strings.Count(s[start:end], "[") >= strings.Count(s[start:end], "]") {
				return end
			}
		default:
			return end
		}
		end--
	}
	return end
}

// bracketDots writes host with every dot as "[.]", leaving dots that are
// already bracketed alone so that rewriting twice changes nothing.
func bracketDots(b *strings.Builder, host string) {
	for i := 0; i < len(host); i++ {
		if host[i] == '.' && !(i > 0 && host[i-1] == '[' && i+1 < len(host) && host[i+1] == ']') {
			b.WriteString("[.]")
			continue
		}
		b.WriteByte(host[i])
	}
}

func hasFoldPrefix(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// wide reports East Asian wide, fullwidth and halfwidth characters (kana,
// kanji, fullwidth forms, halfwidth katakana): Japanese text.
func wide(r rune) bool {
	k := width.LookupRune(r).Kind()
	return k == width.EastAsianWide || k == width.EastAsianFullwidth || k == width.EastAsianHalfwidth
}

// mayHaveURL is a fast filter for the common line with no URL at all:
// every URL found here has a scheme's colon or starts with "www.".
func mayHaveURL(line string) bool {
	if strings.IndexByte(line, ':') >= 0 {
		return true
	}
	for i := strings.IndexAny(line, "wW"); i >= 0 && i+4 <= len(line); {
		if wwwAt(line, i) {
			return true
		}
		j := strings.IndexAny(line[i+1:], "wW")
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return false
}
