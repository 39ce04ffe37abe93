package links

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/publicsuffix"
)

// bareDomains neutralises, in b[from:], the host names written without a
// scheme or "www." ("evil.com/login"): Gmail, Apple Mail and Outlook on
// the web make those links too, though Thunderbird and Outlook for Windows
// do not. A name counts when its last label is a top-level domain on the
// ICANN part of the public suffix list, so file names ("report.pdf"),
// versions ("1.2.3") and abbreviations ("e.g.") stay; names under a real
// top-level domain that are not meant as hosts ("ASP.NET", "data.zip")
// are neutralised too, since a client cannot tell them apart either.
// Addresses stay readable: a name right after "@", or right before it
// (the dotted local part of taro.yamada@example.jp), is left alone, and so
// is a name right after "/" or "\\", a file in a path (/pub/x.zip), unless
// a "//" starting a word puts it there (a scheme-relative URL).
// Defang brackets the dots (evil[.]com); Remove replaces the name and any
// path after it with the marker.
func bareDomains(b []byte, from int, mode string) ([]byte, int) {
	line := b[from:]
	s, e := nextBare(line, 0)
	if s < 0 {
		return b, 0
	}
	var out []byte
	n, copied := 0, 0
	for ; s >= 0; s, e = nextBare(line, e) {
		n++
		// A label in Japanese before it (楽天.co.jp): its dot too, or
		// 楽天.co would be left whole.
		if mode != Remove && s >= copied+2 && line[s-1] == '.' {
			if r, _ := utf8.DecodeLastRune(line[copied : s-1]); r >= utf8.RuneSelf && unicode.IsLetter(r) {
				out = append(out, line[copied:s-1]...)
				out = append(out, "[.]"...)
				copied = s
			}
		}
		out = append(out, line[copied:s]...)
		if mode == Remove {
			end := e
			if end < len(line) && line[end] == '/' {
				for end < len(line) && line[end] > ' ' && line[end] < 0x7f && line[end] != '<' && line[end] != '>' && line[end] != '"' {
					end++
				}
				end = trimTrailing(line, s, e, end)
			}
			out = append(out, removed...)
			copied = end
			e = end
			continue
		}
		out = appendBracketDots(out, line[s:e])
		copied = e
	}
	out = append(out, line[copied:]...)
	return append(b[:from], out...), n
}

// hasBare reports whether line has a bare host name.
func hasBare[T text](line T) bool {
	s, _ := nextBare(line, 0)
	return s >= 0
}

// bareDomainsAgain is bareDomains, then the other passes once more over
// what it changed: a bracketed dot can start a scheme word ("A.news:0"
// becomes "A[.]news:0", where news: now begins a word), and a removed
// name can leave a UNC path at the start of a word ("x.aaa\\h" becomes
// "[リンク削除]\\h"). Those passes make no new host name, so the result
// is final.
func bareDomainsAgain(b []byte, from int, mode string) ([]byte, int) {
	b, n := bareDomains(b, from, mode)
	if n == 0 {
		return b, 0
	}
	b, n = rewriteAgain(b, from, mode, n)
	// In Remove mode that pass drops the "<" ">" around what it removes,
	// which can bring two outer delimiters together into a span.
	b, k := spanURLs(b, from)
	if k > 0 {
		b, n = rewriteAgain(b, from, mode, n+k)
	}
	return b, n
}

// nextBare finds the first bare host name at or after from: its start and
// end, or -1, -1.
func nextBare[T text](line T, from int) (start, end int) {
	for i := from; i < len(line); {
		k := indexByte(line[i:], '.')
		if k < 0 {
			break
		}
		dot := i + k
		// A label on each side, the next starting with a letter or digit:
		// most dots (a full stop, "[.]") fail this at once.
		if dot == 0 || dot+1 >= len(line) || !hostByte(line[dot-1]) || line[dot-1] == '.' || !alnum(line[dot+1]) {
			i = dot + 1
			continue
		}
		s := dot
		for s > from && hostByte(line[s-1]) {
			s--
		}
		e := dot + 1
		for e < len(line) && hostByte(line[e]) {
			e++
		}
		i = e
		// The run ends before a full stop or a hyphen that ends a sentence.
		for e > s && (line[e-1] == '.' || line[e-1] == '-') {
			e--
		}
		for s < e && (line[s] == '.' || line[s] == '-') {
			s++
		}
		rel := schemeRelative(line, s)
		if s > 0 && rel == 0 && (addressByte(line[s-1]) || line[s-1] == '/' || line[s-1] == '\\') || e < len(line) && addressByte(line[e]) || localPart(line, e) {
			continue // part of an address, of a path, or of a longer word with "_"
		}
		if bareHost(line[s:e]) {
			return s - rel, e // Remove takes the "//" with the name
		}
	}
	return -1, -1
}

// schemeRelative is the length of the "//" that starts a word right
// before the name at line[s:], 0 if none: a scheme-relative URL
// (//evil.com/login), as htmltext prints an href written so. It is a
// host, not a file in a path, and clients that link bare names link it.
// A browser reads "///" and "/\\" so too (a backslash is a slash in an
// http URL), so any run of two or more with a "/" in it counts; one of
// backslashes alone is a UNC path, which the other passes own. After a
// path, a scheme or a scheme already broken ("x[:]//") it is not.
func schemeRelative[T text](line T, s int) int {
	k, slash := 0, false
	for k < s && (line[s-1-k] == '/' || line[s-1-k] == '\\') {
		slash = slash || line[s-1-k] == '/'
		k++
	}
	if k < 2 || !slash {
		return 0
	}
	if k == s {
		return k
	}
	if c := line[s-1-k]; hostByte(c) || c == ':' || c == ']' || c == '_' || c == '%' || c == '@' || c == '~' {
		return 0
	}
	return k
}

func alnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' }

// localPart reports whether the word going on at line[i:] is the rest of
// a mail address's local part: atext up to an "@" (kikaku.tokyo+ml@…,
// SRS0=…=example.com=taro@…). "/", "?" and "#" are atext too, but after a
// host name they start its path, query or fragment, which may hold an "@"
// of its own: evil.com/login?next=a@b is a link to evil.com wherever a
// bare name is one, not an address.
func localPart[T text](line T, i int) bool {
	for ; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '@':
			return true
		case alnum(c) || strings.IndexByte("!$%&'*+-=^_`{|}~.", c) >= 0:
		default:
			return false
		}
	}
	return false
}

// hostByte: what a host name written in ASCII is made of.
func hostByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.'
}

// addressByte: next to a host name, a byte that makes it part of a mail
// address or of a longer word (file_name.py). After "=" or "+" a name is
// still one a client links (url=evil.com/login).
func addressByte(c byte) bool {
	return c == '@' || c == '_'
}

// bareHost reports whether h is labels of 1 to 63 bytes joined by dots,
// at least two, the last all letters and an ICANN top-level domain.
func bareHost[T text](h T) bool {
	last := -1
	for i := 0; i <= len(h); i++ {
		if i < len(h) && h[i] != '.' {
			continue
		}
		if n := i - last - 1; n < 1 || n > 63 {
			return false
		}
		if i < len(h) {
			last = i
		}
	}
	if last < 0 {
		return false // one label
	}
	tld := h[last+1:]
	if len(tld) < 2 {
		return false
	}
	// Letters, or an internationalised name in its ASCII form (xn--p1ai).
	var buf [63]byte
	idn := len(tld) > 4 && (tld[0] == 'x' || tld[0] == 'X') && (tld[1] == 'n' || tld[1] == 'N') && tld[2] == '-' && tld[3] == '-'
	for i := 0; i < len(tld); i++ {
		c := tld[i]
		switch {
		case c >= 'a' && c <= 'z':
			buf[i] = c
		case c >= 'A' && c <= 'Z':
			buf[i] = c + 'a' - 'A'
		case idn && (c >= '0' && c <= '9' || c == '-'):
			buf[i] = c
		default:
			return false
		}
	}
	// A name the list does not have falls under its default rule "*",
	// which is not ICANN's.
	_, icann := publicsuffix.PublicSuffix(string(buf[:len(tld)]))
	return icann
}
