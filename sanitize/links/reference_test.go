package links

// This file freezes the implementation of Rewrite as it was before the
// candidate-jumping rewrite (commit 3a032ef), with its identifiers prefixed
// "ref", as the oracle of TestRewriteReference and FuzzRewriteReference:
// Rewrite and Append must give exactly its output and count for any input
// in every mode. Do not change it to follow links.go; it is the behaviour
// that the fast code must keep. It changes only with the rules: file: URLs,
// UNC paths (\\host\share) and schemes without slashes ("http:host") were
// added to both, in the same simple style.

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
	"golang.org/x/text/width"
)

// refRemoved replaces a URL in Remove mode.
const refRemoved = "[リンク削除]"

// refRewrite neutralises the URLs in line according to mode and returns the
// new line and the number of URLs it changed. Keep returns line unchanged.
// An unknown mode is treated as Defang, the safe reading. Defang is
// idempotent: its output contains no URL it would rewrite again.
func refRewrite(line string, mode string) (out string, n int) {
	if mode == Keep {
		return line, 0
	}
	// The other schemes and the spans Thunderbird reads without their
	// white space: the same code as Rewrite's, over the reference's own
	// rewriting.
	written := func(dst, line []byte, mode string) ([]byte, int) {
		r, n := refRewriteCore(string(line), mode)
		out, k := otherURLs(append(dst, r...), len(dst), mode)
		return out, n + k
	}
	b, n := written(nil, []byte(line), mode)
	b, k := spanURLs(b, 0)
	if k > 0 {
		var k2 int
		b, k2 = written(nil, b, mode)
		k += k2
	}
	if n+k == 0 {
		return line, 0
	}
	return string(b), n + k
}

// refRewriteCore is refRewrite without the spans.
func refRewriteCore(line string, mode string) (out string, n int) {
	if mode == Keep || !refMayHaveURL(line) {
		return line, 0
	}
	var b strings.Builder
	copied := 0 // line[:copied] has been written to b
	for i := 0; i < len(line); {
		u, ok := refURLAt(line, i)
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
			b.WriteString(refRemoved)
			copied, i = end, end
			continue
		}
		b.WriteString(line[copied:u.start])
		if u.scheme != "" {
			b.WriteString(u.scheme)
			if sep := line[u.start+len(u.scheme) : u.hostStart]; strings.Contains(sep, `\`) {
				b.WriteString(sep[:1] + "[" + sep[1:] + "]") // backslashes would start a UNC path
			} else {
				b.WriteString(sep) // ":" and slashes as written
			}
		}
		if u.unc {
			b.WriteString(`[\\]` + line[u.start+2:u.hostStart])
		}
		refBracketDots(&b, line[u.hostStart:u.hostEnd])
		b.WriteString(line[u.hostEnd:u.end])
		copied, i = u.end, u.end
	}
	if n == 0 {
		return line, 0
	}
	b.WriteString(line[copied:])
	return b.String(), n
}

// refURL is one URL found in a line, as byte offsets.
type refURL struct {
	start, end         int    // the whole URL
	hostStart, hostEnd int    // the authority (userinfo, host, port)
	scheme             string // defanged scheme ("hxxps"), "" for a bare www. host or a UNC path
	unc                bool   // a UNC path: \\host\share
}

// refURLAt reports the URL starting at line[i], if any.
func refURLAt(s string, i int) (refURL, bool) {
	var u refURL
	if c := s[i] | 0x20; c != 'h' && c != 'f' && c != 'w' && s[i] != '\\' {
		return u, false // the common case: no URL can start here
	}
	if sch, sep := refSchemeAt(s, i); sch != "" {
		u = refURL{start: i, scheme: sch, hostStart: sep}
	} else if refWwwAt(s, i) {
		u = refURL{start: i, hostStart: i}
	} else if refUNCAt(s, i) {
		u = refURL{start: i, hostStart: i + 2, unc: true}
		// Win32's \\?\UNC\host and \\.\UNC\host: the host follows.
		// Any other "?" or "." is no host, and the backslash after it
		// may start another UNC path.
		for _, p := range []string{`?\UNC\`, `.\UNC\`, `?`, `.`} {
			if refHasFoldPrefix(s[i+2:], p) {
				u.hostStart += len(p)
				break
			}
		}
	} else {
		return u, false
	}
	u.hostEnd = refScanHost(s, u.hostStart)
	u.end = u.hostEnd
	if u.end < len(s) && strings.IndexByte("/?#\\", s[u.end]) >= 0 {
		u.end = refScanPath(s, u.end)
	}
	floor := u.hostStart
	if !u.unc && u.hostEnd-u.hostStart >= len("www.") && (refHasFoldPrefix(s[u.hostStart:], "www.") || refHasFoldPrefix(s[u.hostStart:], "ftp.")) {
		// The dot of "www." is never sentence punctuation: keeping it in
		// the URL gets it bracketed, which keeps Rewrite idempotent even
		// when another URL or a user name follows right after it.
		floor += len("www.")
	}
	if sch, _ := refSchemeAt(s, u.end); sch == "" {
		// Punctuation before another URL glued to this one stays: it may
		// be a host's dot that must be bracketed.
		u.end = refTrimTrailing(s, u.start, floor, u.end)
		if u.end < u.hostEnd && s[u.end] == '.' && u.end-3 > u.start && refWwwAt(s, u.end-3) {
			u.end++ // the dot of a "www." that would be a URL of its own
		}
	}
	u.hostEnd = min(u.hostEnd, u.end)
	return u, true
}

// refSchemeAt matches http:, https:, ftp: or file: at s[i], case-insensitively,
// followed by slashes or backslashes (browsers read "http:\\" and "http:/"
// as "http://"), or by none when the scheme is a word of its own and a host
// follows. It returns the defanged scheme and the offset after the slashes.
func refSchemeAt(s string, i int) (defanged string, after int) {
	if i >= len(s) || s[i]|0x20 != 'h' && s[i]|0x20 != 'f' {
		return "", 0
	}
	var n int
	switch {
	case refHasFoldPrefix(s[i:], "https:"):
		defanged, n = "hxxps", len("https:")
	case refHasFoldPrefix(s[i:], "http:"):
		defanged, n = "hxxp", len("http:")
	case refHasFoldPrefix(s[i:], "ftp:"):
		defanged, n = "fxp", len("ftp:")
	case refHasFoldPrefix(s[i:], "file:"):
		defanged, n = "fxle", len("file:")
	default:
		return "", 0
	}
	j := i + n
	for j < len(s) && (s[j] == '/' || s[j] == '\\') {
		j++
	}
	if j == i+n {
		// No slash: a link when the scheme is a word of its own and a
		// host follows ("http:evil.example", "http:@evil.example",
		// "http:例え.jp"; not "Profile:Taro" nor "x1http:a"; "-", "+",
		// "." and digits alone before it do not make it part of a word).
		k := i
		for k > 0 && strings.IndexByte("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", s[k-1]) >= 0 {
			k--
		}
		glued := strings.ContainsAny(s[k:i], "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
		if j < len(s) && refVisibleAt(s, j) && !glued {
			return defanged, j
		}
		return "", 0
	}
	return defanged, j
}

// refWwwAt matches a bare "www." or "ftp." host at s[i] that starts a
// word: not inside another host name or an e-mail address
// (user@www.example.jp stays a readable address).
func refWwwAt(s string, i int) bool {
	if !refHasFoldPrefix(s[i:], "www.") && !refHasFoldPrefix(s[i:], "ftp.") || i+4 >= len(s) ||
		!refLabel(s[i+4]) && !(s[i+4] >= 0x80 && refHostRune(s[i+4:])) && !refUserinfo(s[i+4:]) &&
			!(i+6 < len(s) && s[i+4] == '%' && refIsHex(s[i+5]) && refIsHex(s[i+6])) {
		return false
	}
	if i == 0 {
		return true
	}
	if strings.HasSuffix(s[:i], "[.]") {
		return false // still inside a host
	}
	p := s[i-1]
	return !refLabel(p) && p != '.' && p != '@'
}

// refUNCAt matches a UNC path at s[i]: two backslashes and a host name
// label (or a non-ASCII letter, or Win32's "?\\" or ".\\"), starting a word (not after a letter or digit, another backslash,
// a slash, or a colon after a drive letter or one of our schemes:
// "http:\\host", "http:/\\host", "C:\\").
func refUNCAt(s string, i int) bool {
	if !strings.HasPrefix(s[i:], `\\`) || i+2 >= len(s) ||
		!refLabel(s[i+2]) && !(s[i+2] >= 0x80 && refLetterAt(s, i+2)) && !strings.HasPrefix(s[i+2:], `?\`) && !strings.HasPrefix(s[i+2:], `.\`) {
		return false
	}
	if i == 0 {
		return true
	}
	switch p := s[i-1]; {
	case p == ':':
		// Not after a drive letter or one of our schemes ("C:\\",
		// "http:\\", "xhttp:\\"), whose rewriting brackets them.
		w := strings.TrimRight(s[:i-1], "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
		word := strings.ToLower(s[len(w) : i-1])
		if len(word) == 1 {
			return false
		}
		for _, h := range []string{"http", "https", "ftp", "file"} {
			if strings.HasSuffix(word, h) {
				return false
			}
		}
		return true
	case refLabel(p), p == '\\', p == '/':
		return false
	}
	return true
}

// refVisibleAt reports a host or user name after "http:" at s[j]: visible
// ASCII but <, > and ", or beyond ASCII a letter or digit, or anything
// but white space before an "@".
func refVisibleAt(s string, j int) bool {
	r, size := utf8.DecodeRuneInString(s[j:])
	if r == utf8.RuneError && size <= 1 {
		return false
	}
	if r >= 0x80 {
		return !unicode.IsSpace(r) && (refHostRune(s[j:]) || refUserinfo(s[j:]))
	}
	if r == '[' {
		return j+1 < len(s) && strings.IndexByte(":0123456789abcdefABCDEF", s[j+1]) >= 0 // IPv6
	}
	return r > ' ' && r != 0x7f && r != '<' && r != '>' && r != '"'
}

// refUserinfo reports an "@" in s before white space, <, > or ", or a
// word of 4096 bytes or more.
func refUserinfo(s string) bool {
	if i := strings.IndexAny(s, " \t\n\r\f\v<>\"\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f"); i >= 0 {
		s = s[:i]
	}
	if j := strings.IndexByte(s, '@'); j >= 0 && j < 4096 {
		return true
	}
	return len(s) >= 4096
}

// refHostRune reports a rune at the start of s that starts a host name:
// a letter, mark or digit, one UTS #46 ignores (soft hyphen, zero-width
// space and the like), or one whose NFKC form starts with an ASCII letter
// or digit or a letter, mark or digit (ⓔ, ①).
func refHostRune(s string) bool {
	r, size := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError && size <= 1 {
		return false
	}
	if strings.ContainsRune("\u00ad\u180b\u180c\u180d\u180e\u180f\u200b\u200c\u200d\u2060\u2064\ufeff\U0001bca0\U0001bca1\U0001bca2\U0001bca3", r) {
		return true
	}
	if r < 0xa0 || unicode.IsSpace(r) {
		return false
	}
	m, _ := utf8.DecodeRuneInString(norm.NFKC.String(string(r)))
	if m < 0x80 {
		return refLabel(byte(m)) && m != '_'
	}
	return unicode.In(m, unicode.L, unicode.M, unicode.Nd)
}

func refIsHex(c byte) bool { return strings.IndexByte("0123456789abcdefABCDEF", c) >= 0 }

// refLetterAt reports a non-ASCII letter, mark or digit at s[i].
func refLetterAt(s string, i int) bool {
	r, size := utf8.DecodeRuneInString(s[i:])
	return !(r == utf8.RuneError && size <= 1) && unicode.In(r, unicode.L, unicode.M, unicode.Nd)
}

// refLabel reports an ASCII character of a host name label.
func refLabel(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_'
}

// refHostByte reports ASCII characters of an authority: labels, dots, port,
// userinfo (user:pass@), IPv6 brackets and percent-encoding.
func refHostByte(c byte) bool {
	return refLabel(c) || strings.IndexByte(".:@[]%!$&'*+,;=~", c) >= 0
}

// refScanHost returns the end of the authority starting at s[i]. Non-ASCII
// letters belong to it (IDN hosts such as bücher.example or 例え.jp), except
// a wide (Japanese) character right after ASCII letters: that is text
// written against the URL, as in "https://example.jpです".
func refScanHost(s string, i int) int {
	afterASCII := false
	for i < len(s) {
		if sch, _ := refSchemeAt(s, i); sch != "" {
			return i // another URL starts here
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if !refHostByte(c) {
				return i
			}
			afterASCII = refLabel(c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError || !unicode.In(r, unicode.L, unicode.M, unicode.Nd) {
			return i
		}
		if afterASCII && refWide(r) {
			return i
		}
		i += size
	}
	return i
}

// refScanPath returns the end of the path, query and fragment starting at
// s[i]: printable ASCII except quotes and angle brackets. It stops at
// non-ASCII (text written against the URL) and where another URL starts,
// so every URL in a redirect chain is rewritten on its own.
func refScanPath(s string, i int) int {
	for ; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || c == '<' || c == '>' || c == '"' {
			return i
		}
		if sch, _ := refSchemeAt(s, i); sch != "" || refWwwAt(s, i) || refUNCAt(s, i) {
			return i
		}
	}
	return i
}

// refTrimTrailing drops punctuation that ends the sentence rather than the
// URL: "see https://example.jp/." and "(https://example.jp/)".
// Nothing before floor is trimmed.
func refTrimTrailing(s string, start, floor, end int) int {
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

// refBracketDots writes host with every dot as "[.]", leaving dots that are
// already bracketed alone so that rewriting twice changes nothing.
func refBracketDots(b *strings.Builder, host string) {
	for i := 0; i < len(host); i++ {
		if host[i] == '.' && !(i > 0 && host[i-1] == '[' && i+1 < len(host) && host[i+1] == ']') {
			b.WriteString("[.]")
			continue
		}
		b.WriteByte(host[i])
	}
}

func refHasFoldPrefix(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// refWide reports East Asian wide, fullwidth and halfwidth characters (kana,
// kanji, fullwidth forms, halfwidth katakana): Japanese text.
func refWide(r rune) bool {
	k := width.LookupRune(r).Kind()
	return k == width.EastAsianWide || k == width.EastAsianFullwidth || k == width.EastAsianHalfwidth
}

// refMayHaveURL is a fast filter for the common line with no URL at all:
// every URL found here has a scheme's colon, starts with "www." or "ftp."
// or is a UNC path's two backslashes.
func refMayHaveURL(line string) bool {
	if strings.IndexByte(line, ':') >= 0 || strings.Contains(line, `\\`) {
		return true
	}
	for i := strings.IndexAny(line, "wWfF"); i >= 0 && i+4 <= len(line); {
		if refWwwAt(line, i) {
			return true
		}
		j := strings.IndexAny(line[i+1:], "wWfF")
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return false
}
