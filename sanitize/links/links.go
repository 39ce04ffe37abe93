package links

import (
	"bytes"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
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
// A line without a URL is returned as it is, without allocating.
func Rewrite(line string, mode string) (out string, n int) {
	if mode == Keep {
		return line, 0
	}
	c := candidates{scheme: -1, www: -1, unc: -1}
	i := nextURL(&c, line, 0)
	if _, c := nextOther(line, 0); i == len(line) && c < 0 && !maySpan(line) && !hasBare(line) {
		return line, 0
	}
	b := make([]byte, 0, len(line)+16)
	if i == len(line) {
		b = append(b, line...)
	} else {
		b, n = rewrite(b, line, mode, &c, i)
	}
	b, k := otherURLs(b, 0, mode)
	n += k
	b, k = spanURLs(b, 0)
	if k > 0 {
		b, k = rewriteAgain(b, 0, mode, k)
	}
	b, bare := bareDomainsAgain(b, 0, mode)
	if bare > 0 {
		b, bare = settleBare(b, 0, mode, bare)
	}
	k += bare
	if n+k == 0 {
		return line, 0
	}
	b, k = settleLong(b, 0, mode, n+k, appendOnce)
	// The copy keeps unsafe out of a security boundary; the hot path
	// (body text) uses Append.
	return string(b), k
}

// settleLong rewrites a line (out[from:]) again until nothing changes, at
// most three times, when one pass may leave what a second would rewrite:
// a long line, since a rewrite lengthens words, and past maxUserinfo
// bytes a "www." word reads as having a user name (userinfoAhead); a line
// with an "@", since a rewrite inside an address's domain can end the
// address ("0@0.Amｻe.co" is an address, "0@0.Amｻe[.]co" ends in a name
// "0.Am" no longer an address's). Other lines, most of them, are final
// after one pass.
// out[from:] may hold several lines (the text sink passes a block of
// them at once): a word ends at a line end, so the length that matters
// is the longest line's, not the block's.
// pass is the pass that made the line (appendOnce, appendDataOnce).
func settleLong(out []byte, from int, mode string, n int, pass func(dst, line []byte, mode string) ([]byte, int)) ([]byte, int) {
	for i := 0; i < 3 && n > 0 && (hasLongLine(out[from:]) || bytes.IndexByte(out[from:], '@') >= 0); i++ {
		line := append([]byte(nil), out[from:]...)
		var k int
		out, k = pass(out[:from], line, mode)
		if k == 0 {
			break
		}
		n += k
	}
	return out, n
}

// hasLongLine reports whether one of the LF-separated lines of b is
// longer than maxUserinfo bytes.
func hasLongLine(b []byte) bool {
	for len(b) > maxUserinfo {
		i := bytes.IndexByte(b, '\n')
		if i < 0 || i > maxUserinfo {
			return true
		}
		b = b[i+1:]
	}
	return false
}

// maySpan is the quick test of spanURLs: a colon or "@", and "<" or '"'.
func maySpan[T text](line T) bool {
	return (indexByte(line, ':') >= 0 || indexByte(line, '@') >= 0) && (indexByte(line, '<') >= 0 || indexByte(line, '"') >= 0)
}

// Append is Rewrite for byte slices: it appends line, with its URLs
// neutralised according to mode, to dst and returns the extended slice and
// the number of URLs it changed. A line without a URL, or any line in Keep
// mode, is appended unchanged. Append allocates only to grow dst. dst and
// line must not overlap.
func Append(dst, line []byte, mode string) (out []byte, n int) {
	return appendSettled(dst, line, mode, appendOnce)
}

// AppendData is Append without the pass over bare host names: for
// spreadsheet data (CSV, TSV), whose cells hold host names as data (a
// list of offices' sites) that spreadsheets do not link, nor Thunderbird,
// which shows such a file inline as plain text. Thunderbird's span rule
// is applied, though the double quotes are the fields' quoting: it
// changes only a span whose text would link.
func AppendData(dst, line []byte, mode string) (out []byte, n int) {
	return appendSettled(dst, line, mode, appendDataOnce)
}

// appendSettled is one pass over line, settled (settleLong).
func appendSettled(dst, line []byte, mode string, pass func(dst, line []byte, mode string) ([]byte, int)) (out []byte, n int) {
	if mode == Keep {
		return append(dst, line...), 0
	}
	out, n = pass(dst, line, mode)
	if n == 0 {
		return out, 0
	}
	return settleLong(out, len(dst), mode, n, pass)
}

// appendDataOnce is one pass of AppendData.
func appendDataOnce(dst, line []byte, mode string) (out []byte, n int) {
	from := len(dst)
	out, n = appendWritten(dst, line, mode)
	out, k := spanURLs(out, from)
	if k > 0 {
		out, n = rewriteAgain(out, from, mode, n+k)
	}
	return out, n
}

// appendOnce is one pass of Append: AppendData's, then the bare host
// names, settled when those changed something.
func appendOnce(dst, line []byte, mode string) (out []byte, n int) {
	out, n = appendDataOnce(dst, line, mode)
	out, k := bareDomainsAgain(out, len(dst), mode)
	if k > 0 {
		out, k = settleBare(out, len(dst), mode, k)
	}
	return out, n + k
}

// settleBare takes the passes over out[from:] again, until nothing
// changes or three times, after bareDomainsAgain changed it: a bracketed
// dot, or a scheme broken after it, can make what an earlier pass takes
// ("w.bank.mplTTPS://b." becomes "w[.]bank[.]mplTTPS://b.", where
// "mplTTPS:" now begins a word, whose colon bracketed leaves "[:]//b.", a
// name after "//"). Each case found was once fixed by running a pass
// again at its place; this is the net under the ones not found. Lines
// without a bare host name, most of them, are not read again.
func settleBare(out []byte, from int, mode string, n int) ([]byte, int) {
	for i := 0; i < 3; i++ {
		line := append([]byte(nil), out[from:]...)
		o, k := appendDataOnce(out[:from], line, mode)
		o, b := bareDomainsAgain(o, from, mode)
		out = o
		if k+b == 0 {
			break
		}
		n += k + b
	}
	return out, n
}

// rewriteAgain rewrites out[from:] once more after spanURLs replaced
// delimiters: a "＂" can make a user name ('"http: http:"@evil.example'
// becomes "http:＂@evil.example"). That pass makes no new span, so the
// result is final.
func rewriteAgain(out []byte, from int, mode string, n int) ([]byte, int) {
	line := append([]byte(nil), out[from:]...)
	out, k := appendWritten(out[:from], line, mode)
	return out, n + k
}

// appendWritten is Append without spanURLs: the URLs as they are
// written, http, https, ftp and file ones, then the other schemes.
func appendWritten(dst, line []byte, mode string) ([]byte, int) {
	from := len(dst)
	out, n := appendCore(dst, line, mode)
	out, k := otherURLs(out, from, mode)
	return out, n + k
}

// appendCore rewrites http, https, ftp and file URLs, www. hosts and UNC
// paths.
func appendCore(dst, line []byte, mode string) ([]byte, int) {
	c := candidates{scheme: -1, www: -1, unc: -1}
	i := nextURL(&c, line, 0)
	if i == len(line) {
		return append(dst, line...), 0
	}
	return rewrite(dst, line, mode, &c, i)
}

// text is the input of the generic core shared by Rewrite and Append.
type text interface{ ~string | ~[]byte }

// rewrite appends line with its URLs rewritten to b. The first URL starts
// at line[i], as found by nextURL(c, line, 0).
func rewrite[T text](b []byte, line T, mode string, c *candidates, i int) ([]byte, int) {
	n := 0
	copied := 0 // line[:copied] has been appended to b
	var u url
	for i < len(line) {
		switch i {
		case c.scheme:
			u = url{start: i, scheme: c.name, hostStart: c.after}
		case c.www:
			u = url{start: i, hostStart: i} // a bare www. host
		default:
			u = url{start: i, hostStart: uncHostStart(line, i), unc: true} // \\host\share
		}
		urlAt(&u, line, &c.ahead)
		n++
		if mode == Remove {
			// "<URL>" as htmltext prints links loses its brackets too.
			start, end := u.start, u.end
			if start > copied && line[start-1] == '<' && end < len(line) && line[end] == '>' {
				start--
				end++
			}
			b = append(b, line[copied:start]...)
			b = append(b, removed...)
			copied = end
		} else {
			b = append(b, line[copied:u.start]...)
			if u.scheme != "" {
				b = append(b, u.scheme...)
				b = appendSeparator(b, line[u.start+len(u.scheme):u.hostStart])
			}
			if u.unc {
				b = append(b, `[\\]`...) // no longer two backslashes and a host
				b = append(b, line[u.start+2:u.hostStart]...)
			}
			b = appendBracketDots(b, line[u.hostStart:u.hostEnd])
			b = append(b, line[u.hostEnd:u.end]...)
			copied = u.end
		}
		i = nextURL(c, line, copied)
	}
	return append(b, line[copied:]...), n
}

// appendSeparator appends the ":" and slashes after a scheme as written,
// except that backslashes are put in brackets ("hxxp:[\\]host"): after the
// defanged scheme they would still start a UNC path.
func appendSeparator[T text](b []byte, sep T) []byte {
	if indexByte(sep, '\\') < 0 {
		return append(b, sep...)
	}
	b = append(b, sep[0]) // the colon
	b = append(b, '[')
	b = append(b, sep[1:]...)
	return append(b, ']')
}

// candidates caches the next offsets where a scheme (schemeAt), a bare
// www. host (wwwAt) and a UNC path (uncAt) start, len(s) for none; -1
// means not searched yet. name and after are what schemeAt returned for
// scheme. ahead is what userinfoAhead has read of the same text.
type candidates struct {
	scheme, www, unc int
	name             string
	after            int
	ahead            ahead
}

// nextURL returns the first offset at or after from where a URL starts
// (where schemeAt or wwwAt matches), or len(s) if there is none. The
// offsets asked for must not decrease from call to call with the same c.
//
// Rather than trying every byte, it jumps with IndexByte between the
// characters that every URL has at a fixed distance from its start: the
// colon of "ftp:", "http:" and "https:" is 3, 4 or 5 bytes after it, the dot
// of "www." 3 bytes after it.
func nextURL[T text](c *candidates, s T, from int) int {
	if c.scheme < from {
		c.scheme, c.name, c.after = nextScheme(s, from, &c.ahead)
	}
	if c.www < from {
		c.www = nextWWW(s, from, &c.ahead)
	}
	if c.unc < from {
		c.unc = nextUNC(s, from)
	}
	return min(c.scheme, c.www, c.unc)
}

// nextScheme returns the first offset at or after from where schemeAt
// matches and what it returned there, or len(s). The letters of a scheme
// contain no colon, so the scheme's colon is the first one after its
// start: going through the colons in order finds the schemes in order.
func nextScheme[T text](s T, from int, a *ahead) (i int, defanged string, after int) {
	// The colon is at from+3 or later and has a slash after it.
	for c := from + 3; c < len(s)-1; c++ {
		k := indexByte(s[c:len(s)-1], ':')
		if k < 0 {
			break
		}
		c += k
		if d := s[c+1]; d != '/' && d != '\\' && !hostStart(d) {
			continue
		}
		// The letter before the colon tells which scheme it may end.
		j := c - len("http")
		switch s[c-1] | 0x20 {
		case 's':
			j = c - len("https")
		case 'p':
			if s[c-3]|0x20 == 'f' {
				j = c - len("ftp")
			}
		case 'e':
			j = c - len("file")
		default:
			continue
		}
		if j >= from {
			if sch, after := schemeAt(s, j, a); sch != "" {
				return j, sch, after
			}
		}
	}
	return len(s), "", 0
}

// nextUNC returns the first offset at or after from where uncAt matches,
// or len(s).
func nextUNC[T text](s T, from int) int {
	for i := from; i+2 < len(s); i++ {
		k := indexByte(s[i:len(s)-2], '\\')
		if k < 0 {
			break
		}
		i += k
		if uncAt(s, i) {
			return i
		}
	}
	return len(s)
}

// uncAt matches a UNC path at s[i]: two backslashes and a host name label
// (\\fileserver\share, which Outlook and Windows open over SMB), starting a
// word: not after a letter or digit, another backslash or a slash. After a
// colon it is one unless the colon ends a drive letter ("C:\\") or an http,
// https, ftp or file scheme ("http:\\host", "xhttp:\\host": the scheme
// rule owns those backslashes and brackets them). "保存先:\\fileserver",
// "Path:\\srv", "location:\\srv" and an already defanged "hxxp:\\srv"
// start a UNC path. The host name may start with a non-ASCII letter
// (\\ファイルサーバ\共有, \\ｅｖｉｌ.example\s): Outlook links the whole
// text of "<\\...>", Japanese and spaces too, which is how Japanese users
// are told to send a path to a share. Win32's \\?\UNC\host\share and
// \\.\UNC\host\share name a share too.
func uncAt[T text](s T, i int) bool {
	if i+2 >= len(s) || s[i] != '\\' || s[i+1] != '\\' || !uncHost(s, i+2) {
		return false
	}
	if i == 0 {
		return true
	}
	p := s[i-1]
	if p == ':' {
		w := i - 1
		for w > 0 && asciiLetter(s[w-1]) {
			w--
		}
		return i-1-w != 1 && !ownScheme(s[w:i-1])
	}
	return !label(p) && p != '\\' && p != '/'
}

// uncHost reports what may follow the two backslashes of a UNC path at
// s[j]: a host name label, starting in ASCII or with a non-ASCII letter or
// digit, or the "?" or "." of a Win32 path ("\\?\UNC\host\share").
func uncHost[T text](s T, j int) bool {
	switch c := s[j]; {
	case label(c):
		return true
	case c >= utf8.RuneSelf:
		return letterAt(s, j)
	case c == '?' || c == '.':
		return j+1 < len(s) && s[j+1] == '\\'
	}
	return false
}

// uncHostStart returns where the host name of the UNC path at s[i]
// starts: after the two backslashes, or after Win32's "?\UNC\" or
// ".\UNC\" ("\\?\UNC\evil.example\s" names evil.example, whose dots are
// bracketed as those of "\\evil.example\s" are). After any other "?" or
// "." (\\.\COM1) it is the backslash that follows, which is not a host's
// dot and may start another UNC path ("\\.\\host", which scanPath finds).
func uncHostStart[T text](s T, i int) int {
	j := i + 2
	if c := s[j]; c == '?' || c == '.' {
		j++ // uncAt saw a backslash after it
		if len(s)-j >= len(`\UNC\`) && s[j+1]|0x20 == 'u' && s[j+2]|0x20 == 'n' && s[j+3]|0x20 == 'c' && s[j+4] == '\\' {
			j += len(`\UNC\`)
		}
	}
	return j
}

// ownScheme reports a word ending in http, https, ftp or file.
func ownScheme[T text](w T) bool {
	for _, s := range [...]string{"http", "https", "ftp", "file"} {
		if len(w) >= len(s) && foldEnds(w, s) {
			return true
		}
	}
	return false
}

// foldEnds reports whether w ends in the lower-case ASCII word s, in any
// letter case.
func foldEnds[T text](w T, s string) bool {
	tail := w[len(w)-len(s):]
	for i := 0; i < len(s); i++ {
		if tail[i]|0x20 != s[i] {
			return false
		}
	}
	return true
}

// handledWords are the scheme words that the http, https, ftp and file
// rewriting owns: those schemes and what they become.
var handledWords = [...]string{"http", "https", "ftp", "file", "hxxp", "hxxps", "fxp", "fxle"}

// handledWord reports a word ending in one of handledWords (in any letter
// case): those schemes, glued to a word or not ("xhxxp", "sfxp"). Every
// one ends in p, s or e, so the last letter picks the few to compare: the
// other-scheme pass asks for every colon of the text, and most are a
// defanged "hxxps:" or "hxxp:".
func handledWord[T text](w T) bool {
	if len(w) == 0 {
		return false
	}
	switch w[len(w)-1] | 0x20 {
	case 'p':
		return foldSuffix(w, "http") || foldSuffix(w, "hxxp") || foldSuffix(w, "ftp") || foldSuffix(w, "fxp")
	case 's':
		return foldSuffix(w, "https") || foldSuffix(w, "hxxps")
	case 'e':
		return foldSuffix(w, "file") || foldSuffix(w, "fxle")
	}
	return false
}

// foldSuffix is foldEnds for a w of any length.
func foldSuffix[T text](w T, s string) bool { return len(w) >= len(s) && foldEnds(w, s) }

// asciiLetter reports a to z and A to Z.
func asciiLetter(c byte) bool { return 'a' <= c|0x20 && c|0x20 <= 'z' }

// nextWWW returns the first offset at or after from where wwwAt matches, or
// len(s).
func nextWWW[T text](s T, from int, a *ahead) int {
	// The dot is at from+3 or later and has a label character after it.
	end := len(s) - 1
	for d := from + 3; d < end; d++ {
		if s[d] != '.' { // not a run of dots ("以上......")
			k := indexByte(s[d:end], '.')
			if k < 0 {
				break
			}
			d += k
		}
		if (s[d-1]|0x20 == 'w' || s[d-1]|0x20 == 'p') && wwwAt(s, d-3, a) {
			return d - 3
		}
	}
	return len(s)
}

// url is one URL found in a line, as byte offsets.
type url struct {
	start, end         int    // the whole URL
	hostStart, hostEnd int    // the authority (userinfo, host, port)
	scheme             string // defanged scheme ("hxxps"), "" for a bare www. host or a UNC path
	unc                bool   // a UNC path: \\host\share
}

// urlAt completes u, a URL starting at s[u.start] where schemeAt or wwwAt
// matches, with u.scheme and u.hostStart set from schemeAt (u.start and ""
// for a bare www. host).
func urlAt[T text](u *url, s T, a *ahead) {
	u.hostEnd = scanHost(s, u.hostStart, a)
	u.end = u.hostEnd
	if u.end < len(s) {
		switch s[u.end] {
		case '/', '?', '#', '\\':
			u.end = scanPath(s, u.end, a)
		}
	}
	floor := u.hostStart
	if !u.unc && u.hostEnd-u.hostStart >= len("www.") && abbreviated(load4(s, u.hostStart)) {
		// The dot of "www." (or "ftp.") is never sentence punctuation: keeping it in
		// the URL gets it bracketed, which keeps Rewrite idempotent even
		// when another URL follows right after it, or a user name does
		// ("http:www.(@x" must not leave "www.(@x" to a second pass).
		floor += len("www.")
	}
	if sch, _ := schemeAt(s, u.end, a); sch == "" {
		// Punctuation before another URL glued to this one stays: it may
		// be a host's dot that must be bracketed.
		u.end = trimTrailing(s, u.start, floor, u.end)
		if u.end < u.hostEnd && s[u.end] == '.' && u.end-3 > u.start && wwwAt(s, u.end-3, a) {
			// Not a sentence's full stop but the dot of a "www." that
			// would be a URL of its own once this one ends before it
			// ("www.!www.(@x"): it stays, and is bracketed.
			u.end++
		}
	}
	u.hostEnd = min(u.hostEnd, u.end)
}

// schemeAt matches http:, https:, ftp: or file: at s[i], case-insensitively,
// followed by slashes or backslashes (browsers read "http:\\" and "http:/"
// as "http://"), or by none when the scheme is a word of its own and a host
// follows: Thunderbird links "http:evil.example/login" (Gecko reads it as
// http://evil.example/login), taking for the scheme the whole run of
// letters, digits, "+", "-" and "." before the colon, so "Profile:Taro" is
// not file:. A dot before it does not join it to a word here: a host's
// dot becomes "[.]", after which "www.HTTP:0" would be a link.
// It returns the defanged scheme and the offset after the slashes.
func schemeAt[T text](s T, i int, a *ahead) (defanged string, after int) {
	if len(s)-i < len("ftp:/") {
		return "", 0
	}
	var n int
	switch w := load4(s, i); {
	case w|lower4 == wordHTTP:
		switch {
		case s[i+4] == ':':
			defanged, n = "hxxp", len("http:")
		case s[i+4]|0x20 == 's' && len(s)-i > len("https:") && s[i+5] == ':':
			defanged, n = "hxxps", len("https:")
		default:
			return "", 0
		}
	case w|lower3 == wordFTP:
		defanged, n = "fxp", len("ftp:")
	case w|lower4 == wordFILE && len(s)-i > len("file:") && s[i+4] == ':':
		defanged, n = "fxle", len("file:")
	default:
		return "", 0
	}
	j := i + n
	for j < len(s) && (s[j] == '/' || s[j] == '\\') {
		j++
	}
	if j == i+n && !(j < len(s) && hostAt(s, j, a) && !glued(s, i)) {
		return "", 0
	}
	return defanged, j
}

// hostStart reports a byte after which a scheme written without slashes
// is a link (see hostAt), for the quick filter of nextScheme.
func hostStart(c byte) bool { return c > ' ' && c != 0x7f && c != '<' && c != '>' && c != '"' }

// hostAt reports whether what follows a scheme's colon at s[j], with no
// slashes, makes a link: Thunderbird takes the text up to the next space
// (or <, >, ") and Gecko reads nearly any of it as a host or a user name
// ("http:evil.example", "http:@evil.example", "https:!@evil.example",
// "http:例え.jp"). So anything visible in ASCII counts, and beyond ASCII a
// letter or digit (an IDN or full-width host) or anything before an "@"
// ("https:・@evil.example"); other symbols, such as the "＂" spanURLs
// writes, make no host.
func hostAt[T text](s T, j int, a *ahead) bool {
	if c := s[j]; c == '[' {
		// An IPv6 literal, not the "[リンク削除]" of remove mode.
		return j+1 < len(s) && (s[j+1] == ':' || hexDigit(s[j+1]))
	} else if c < utf8.RuneSelf {
		return hostStart(c)
	}
	r, size := decodeRune(s, j)
	if r == utf8.RuneError && size <= 1 || unicode.IsSpace(r) {
		return false
	}
	return letterAt(s, j) || mapsToHost(r) || userinfoAhead(s, j, a)
}

// mapsToHost reports a non-ASCII rune, not a letter, mark or digit, that
// a browser's host parser deletes or turns into one: Gecko percent-decodes
// a host and maps it by UTS #46 (Firefox's test_bug412457.js), which
// ignores the soft hyphen, the zero-width space and their kind, and maps a
// compatibility character such as ⓔ, ① or ㎏ to its NFKC form. So
// "http:\u200B192.0.2.1/login" and "www.\u00ADevil.example" are links to
// Thunderbird, which takes them up to white space, with the invisible
// character gone.
func mapsToHost(r rune) bool {
	switch {
	case r == 0xAD, 0x180B <= r && r <= 0x180F, 0x200B <= r && r <= 0x200D, r == 0x2060, r == 0x2064, r == 0xFEFF, 0x1BCA0 <= r && r <= 0x1BCA3:
		return true // UTS #46 ignored (and the joiners, deviations)
	case r < 0xA0 || unicode.IsSpace(r):
		return false
	}
	m := nfkcFirst(r)
	return m < utf8.RuneSelf && label(byte(m)) && m != '_' || m >= utf8.RuneSelf && unicode.In(m, unicode.L, unicode.M, unicode.Nd)
}

// nfkcFirst returns the first rune of r's compatibility decomposition, or
// r if it has none, without allocating: norm.NFKC.String(string(r))
// allocated on every call, and hostAt and wwwAt call mapsToHost for every
// "http:" or "www." followed by a symbol, thousands of times on a hostile
// line of 16 KiB. Composition would only join that rune to a mark after
// it, which keeps a letter a letter (TestMapsToHostAllRunes checks every
// rune against the normalised string).
func nfkcFirst(r rune) rune {
	var buf [utf8.UTFMax]byte
	p := norm.NFKC.Properties(buf[:utf8.EncodeRune(buf[:], r)])
	if d := p.Decomposition(); len(d) > 0 {
		m, _ := utf8.DecodeRune(d)
		return m
	}
	return r
}

// hostRuneAt reports a non-ASCII rune at s[j] that starts a host: a
// letter, mark or digit, or one that maps to one (mapsToHost).
func hostRuneAt[T text](s T, j int) bool {
	// mapsToHost for letters too: a letter whose compatibility form
	// starts with no host character (U+037A is " ι") starts no host.
	r, size := decodeRune(s, j)
	return !(r == utf8.RuneError && size <= 1) && mapsToHost(r)
}

// pctAt reports a percent-encoded byte at s[j], which Gecko decodes in a
// host ("www.%65vil.example" is www.evil.example).
func pctAt[T text](s T, j int) bool {
	return j+2 < len(s) && s[j] == '%' && hexDigit(s[j+1]) && hexDigit(s[j+2])
}

func hexDigit(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c|0x20 && c|0x20 <= 'f' }

// letterAt reports a non-ASCII letter, mark or digit at s[i], as scanHost
// takes into a host.
func letterAt[T text](s T, i int) bool {
	r, _ := decodeRune(s, i)
	return r != utf8.RuneError && unicode.In(r, unicode.L, unicode.M, unicode.Nd)
}

// glued reports whether the scheme at s[i] ends a longer word that is a
// scheme of its own: letters and digits before it, one letter at least
// ("Profile:Taro", "x1http:a"). After "-", "+" or digits alone it does
// not, whatever RFC 3986 allows: linkifiers link "file:C:/x" in
// "ms-file:C:/x" and "http:x.example" in "1http:x.example".
func glued[T text](s T, i int) bool {
	for j := i - 1; j >= 0 && alnum(s[j]); j-- {
		if asciiLetter(s[j]) {
			return true
		}
	}
	return false
}

// schemeJoin reports a character that makes a scheme after it part of a
// longer one: a letter, digit, "+" or "-" (RFC 3986 3.1; "." too, but see
// schemeAt).
func schemeJoin(c byte) bool { return class[c]&isLabel != 0 && c != '_' || c == '+' }

// wwwAt matches a bare "www." or "ftp." host at s[i] that starts a word:
// not inside another host name or an e-mail address (user@www.example.jp
// stays a readable address). Thunderbird completes a word starting with
// either as http://www. or ftp://ftp. (mozTXTToHTMLConv's
// CompleteAbbreviatedURL), whatever its top-level domain
// ("ftp.fileserver/pub", "ftp.evil.example"). The host may go on in
// non-ASCII: Thunderbird links "www.ｅｖｉｌ.example", which maps to
// www.evil.example; or with a user name ("www.!@evil.example", see
// userinfoAhead).
func wwwAt[T text](s T, i int, a *ahead) bool {
	if len(s)-i <= len("www.") || !abbreviated(load4(s, i)) ||
		!label(s[i+4]) && (s[i+4] < utf8.RuneSelf || !hostRuneAt(s, i+4)) && !pctAt(s, i+4) && !userinfoAhead(s, i+4, a) {
		return false
	}
	if i == 0 {
		return true
	}
	p := s[i-1]
	if p == ']' && i >= 3 && s[i-3] == '[' && s[i-2] == '.' {
		return false // after a bracketed dot: still inside a host ("www[.]www.x")
	}
	return !label(p) && p != '.' && p != '@'
}

// abbreviated reports "www." or "ftp." (as load4 returns four bytes), in
// any letter case.
func abbreviated(w uint32) bool { return w|lower3 == wordWWW || w|lower3 == wordFTPDot }

// userinfoAhead reports an "@" in the word at s[j], up to white space, <,
// > or ": "www.@evil.example" and "www.!@evil.example" are links to
// Thunderbird, which completes any "www." word with http://, making
// "www." a user name. A word longer than maxUserinfo is taken to have
// one, so that the look stays bounded (a URL too many is only defanged).
// a, if not nil, remembers the stretch of the word already read, so that
// the "http:" and "www." in one long word are not each read up to
// maxUserinfo bytes ahead: a line of "http:】" repeated cost 700 ns a
// byte without it.
func userinfoAhead[T text](s T, j int, a *ahead) bool {
	k, known := j, a != nil && a.from <= j && j < a.to
	if known {
		k = a.to
	}
	for ; k < len(s) && k-j < maxUserinfo; k++ {
		if c := s[k]; c == '@' || c <= ' ' || c == '<' || c == '>' || c == '"' {
			break
		}
	}
	switch {
	case known:
		a.to = k
	case a != nil:
		a.from, a.to = j, k
	}
	if k-j >= maxUserinfo {
		return j+maxUserinfo < len(s)
	}
	return k < len(s) && s[k] == '@'
}

// ahead is what userinfoAhead has read of one text: s[from:to] holds no
// "@" and none of the characters that end a word.
type ahead struct{ from, to int }

// maxUserinfo bounds the look of userinfoAhead.
const maxUserinfo = 4096

// The schemes and "www." are matched four bytes at a time, ignoring the
// case of ASCII letters: c|0x20 is the lower-case letter l only for l and
// its upper case. Punctuation is compared exactly (':'|0x20 would also
// accept 0x1a). This is what strings.EqualFold(s[i:i+len(w)], w) did for
// these words: the only other characters that fold to ASCII letters (ſ to
// s, K to k) take more than one byte, so they never match in the same
// number of bytes.
const (
	lower4 = 0x20202020 // all four bytes are letters
	lower3 = 0x00202020 // the fourth is punctuation, compared exactly
)

// The words as load4 returns them.
const (
	wordHTTP   = 'h' | 't'<<8 | 't'<<16 | 'p'<<24
	wordFTP    = 'f' | 't'<<8 | 'p'<<16 | ':'<<24
	wordFILE   = 'f' | 'i'<<8 | 'l'<<16 | 'e'<<24
	wordWWW    = 'w' | 'w'<<8 | 'w'<<16 | '.'<<24
	wordFTPDot = 'f' | 't'<<8 | 'p'<<16 | '.'<<24
)

// load4 returns s[i:i+4] as a little-endian word.
func load4[T text](s T, i int) uint32 {
	_ = s[i+3]
	return uint32(s[i]) | uint32(s[i+1])<<8 | uint32(s[i+2])<<16 | uint32(s[i+3])<<24
}

// label reports an ASCII character of a host name label.
func label(c byte) bool { return class[c]&isLabel != 0 }

// Bits of class. isHost marks the ASCII characters of an authority:
// labels, dots, port, userinfo (user:pass@), IPv6 brackets and
// percent-encoding.
const (
	isLabel  = 1 << iota // label
	isHost               // authority
	isScheme             // may start a scheme: h, f in either case
	isWWW                // w in either case
)

// class holds the character classes of bytes, for the loops over hosts and
// paths.
var class = func() (t [256]uint8) {
	for c := range 256 {
		b := byte(c)
		if 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' || b == '-' || b == '_' {
			t[c] |= isLabel | isHost
		}
		if strings.IndexByte(".:@[]%!$&'*+,;=~", b) >= 0 {
			t[c] |= isHost
		}
		switch b {
		case 'h', 'H', 'f', 'F':
			t[c] |= isScheme
		case 'w', 'W':
			t[c] |= isWWW
		}
	}
	return t
}()

// scanHost returns the end of the authority starting at s[i]. Non-ASCII
// letters belong to it (IDN hosts such as bücher.example or 例え.jp), except
// a wide (Japanese) character right after ASCII letters: that is text
// written against the URL, as in "https://example.jpです".
func scanHost[T text](s T, i int, a *ahead) int {
	afterASCII := false
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			k := class[c]
			if k&isHost == 0 {
				return i
			}
			if k&isScheme != 0 {
				if sch, _ := schemeAt(s, i, a); sch != "" {
					return i // another URL starts here
				}
			}
			afterASCII = k&isLabel != 0
			i++
			continue
		}
		r, size := decodeRune(s, i)
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
func scanPath[T text](s T, i int, a *ahead) int {
	for ; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || c == '<' || c == '>' || c == '"' {
			return i
		}
		switch k := class[c]; {
		case k&isScheme != 0:
			if sch, _ := schemeAt(s, i, a); sch != "" || c|0x20 == 'f' && wwwAt(s, i, a) {
				return i
			}
		case k&isWWW != 0:
			if wwwAt(s, i, a) {
				return i
			}
		case c == '\\':
			if uncAt(s, i) {
				return i
			}
		}
	}
	return i
}

// trimTrailing drops punctuation that ends the sentence rather than the
// URL: "see https://example.jp/." and "(https://example.jp/)".
// Nothing before floor is trimmed.
func trimTrailing[T text](s T, start, floor, end int) int {
	// The brackets are counted once and then as they are dropped: counting
	// the whole URL again for each ")" of "http://a/)))…" was quadratic.
	counted := false
	var open, closed, openSq, closedSq int
	for end > floor {
		switch c := s[end-1]; c {
		case '.', ',', ':', ';', '!', '?', '\'', '*':
		case ')', ']':
			if !counted {
				open, closed = countByte(s[start:end], '('), countByte(s[start:end], ')')
				openSq, closedSq = countByte(s[start:end], '['), countByte(s[start:end], ']')
				counted = true
			}
			if c == ')' {
				if open >= closed {
					return end
				}
				closed--
			} else {
				if openSq >= closedSq {
					return end
				}
				closedSq--
			}
		default:
			return end
		}
		end--
	}
	return end
}

// appendBracketDots appends host with every dot as "[.]", leaving dots that
// are already bracketed alone so that rewriting twice changes nothing.
func appendBracketDots[T text](b []byte, host T) []byte {
	copied := 0 // host[:copied] has been appended to b
	for i := 0; i < len(host); i++ {
		if host[i] != '.' || i > 0 && host[i-1] == '[' && i+1 < len(host) && host[i+1] == ']' {
			continue
		}
		b = append(b, host[copied:i]...)
		b = append(b, "[.]"...)
		copied = i + 1
	}
	return append(b, host[copied:]...)
}

// decodeRune is utf8.DecodeRuneInString(s[i:]) for strings and byte slices.
func decodeRune[T text](s T, i int) (rune, int) {
	var buf [utf8.UTFMax]byte
	n := copy(buf[:], s[i:])
	return utf8.DecodeRune(buf[:n])
}

// indexByte is strings.IndexByte or bytes.IndexByte.
func indexByte[T text](s T, c byte) int {
	switch s := any(s).(type) {
	case string:
		return strings.IndexByte(s, c)
	case []byte:
		return bytes.IndexByte(s, c)
	}
	for i := 0; i < len(s); i++ { // other string and byte slice types
		if s[i] == c {
			return i
		}
	}
	return -1
}

// countByte is strings.Count(s, string(c)).
func countByte[T text](s T, c byte) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			n++
		}
	}
	return n
}

// wide reports East Asian wide, fullwidth and halfwidth characters (kana,
// kanji, fullwidth forms, halfwidth katakana): Japanese text.
func wide(r rune) bool {
	k := width.LookupRune(r).Kind()
	return k == width.EastAsianWide || k == width.EastAsianFullwidth || k == width.EastAsianHalfwidth
}

// InLocalPart reports whether a client would link something in the local
// part of spec, an addr-spec as a header writes it ("x!evil.com@…",
// "evil.com/login@…", "\"see https://evil.example/\"@…"), in mode. The
// whole addr-spec is read, as the rewriter knows addresses: a dotted
// local part a linkifier takes as part of the address (kikaku.tokyo+ml@,
// SRS) is none, nor is a link only in the domain, which a quoted local
// part makes of it. A leading "www." or "ftp." is passed over: Thunderbird
// reads "www.admin@city.example.jp" as a URL with a user name, whose host
// is the address's own domain, and such addresses are real.
func InLocalPart(spec, mode string) bool {
	if mode == Keep {
		return false
	}
	if len(spec) > 4 && (strings.EqualFold(spec[:4], "www.") || strings.EqualFold(spec[:4], "ftp.")) {
		spec = spec[4:]
	}
	at := strings.LastIndexByte(spec, '@')
	if at < 0 || !strings.ContainsAny(spec[:at], ".:\\") {
		// Every link has one of these before its host: a dotted host
		// name, a scheme's colon, a UNC path's backslash. Most local
		// parts (taro@) have none, and need no rewrite.
		return false
	}
	out, n := Rewrite(spec, mode)
	if n == 0 {
		return false
	}
	return !strings.HasPrefix(out, spec[:at+1])
}
