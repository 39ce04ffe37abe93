package links

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"
)

// bareDomains neutralises, in b[from:], the host names written without a
// scheme or "www." ("evil.com/login"): Gmail, Apple Mail and Outlook on
// the web make those links too, though Thunderbird and Outlook for Windows
// do not. A name counts when its last label is a top-level domain on the
// ICANN part of the public suffix list, so file names ("report.pdf"),
// versions ("1.2.3") and abbreviations ("e.g.") stay; names under a real
// top-level domain that are not meant as hosts ("ASP.NET", "data.zip")
// are neutralised too, since a client cannot tell them apart either. So
// are names with a first label in another script (例え.jp, пример.рф) and
// IPv4 addresses (192.0.2.1/login), which linkifiers link as well.
// Wherever the name stands counts: right after "/", "\\" or "_" (a file in
// a path, /pub/x.zip) linkifiers still find it (TestLinkifiersFindNothing).
// Addresses stay readable: a name right after "@", or right before one
// whose domain is a host name (the dotted local part of
// taro.yamada@example.jp), is left alone.
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

// schemeRelativeDots brackets, in b[from:], the first dot of a name right
// after a scheme-relative "//" that bareDomains left: linkify-it links
// "//" and any dotted name of letters and what is not punctuation or
// space, and a browser drops a U+200B or a soft hyphen from it, so
// "//1572395042.\u200b/x" opens 93.184.216.34.
func schemeRelativeDots(b []byte, from int) ([]byte, int) {
	line := b[from:]
	if indexByte(line, '/') < 0 {
		return b, 0 // most lines: no "//", so nothing to look for
	}
	var out []byte
	n, copied := 0, 0
	for i := nextSchemeRelativeDot(line, 0); i >= 0; i = nextSchemeRelativeDot(line, i+1) {
		n++
		out = append(out, line[copied:i]...)
		out = append(out, "[.]"...)
		copied = i + 1
	}
	if n == 0 {
		return b, 0
	}
	out = append(out, line[copied:]...)
	return append(b[:from], out...), n
}

// hasBare reports whether line has a bare host name.
func hasBare[T text](line T) bool {
	if s, _ := nextBare(line, 0); s >= 0 {
		return true
	}
	return indexByte(line, '/') >= 0 && nextSchemeRelativeDot(line, 0) >= 0
}

// nextSchemeRelativeDot is the first dot at or after i that ends the
// first label after a scheme-relative "//" (see schemeRelativeDots), or
// -1.
func nextSchemeRelativeDot[T text](line T, i int) int {
	for ; i < len(line); i++ {
		k := indexByte(line[i:], '.')
		if k < 0 {
			return -1
		}
		if i += k; i == 0 {
			continue
		}
		if st := labelStart(line, 0, i); st < i && schemeRelative(line, st) > 0 {
			return i
		}
	}
	return -1
}

// bareDomainsAgain is bareDomains, then the other passes once more over
// what it changed: a bracketed dot can start a scheme word ("A.news:0"
// becomes "A[.]news:0", where news: now begins a word), and a removed
// name can leave a UNC path at the start of a word ("x.aaa\\h" becomes
// "[リンク削除]\\h"). Those passes make no new host name, so the result
// is final. A dot schemeRelativeDots brackets can leave one after it, in
// the same name: "//Ά0.0.0.0.8" has a label of two scripts after "//",
// whose ASCII run 0.0.0.0.8 is no IPv4 address, but 0.0.0.8 after
// "//Ά0[.]" is; bareDomains then takes that rest of the name, and it is
// not counted again.
func bareDomainsAgain(b []byte, from int, mode string) ([]byte, int) {
	b, n := bareDomains(b, from, mode)
	b, k := schemeRelativeDots(b, from)
	if k > 0 {
		b, _ = bareDomains(b, from, mode)
	}
	n += k
	if n == 0 {
		return b, 0
	}
	b, n = rewriteAgain(b, from, mode, n)
	// In Remove mode that pass drops the "<" ">" around what it removes,
	// which can bring two outer delimiters together into a span.
	b, k = spanURLs(b, from)
	if k > 0 {
		b, n = rewriteAgain(b, from, mode, n+k)
	}
	return b, n
}

// nextBare finds the first bare host name at or after from: its start and
// end, or -1, -1. Its start is the first dot of the name when the label
// before it is in another script (例え.jp), whose letters stay.
func nextBare[T text](line T, from int) (start, end int) {
	var run foreignRun
	for i := from; i < len(line); {
		k := indexByte(line[i:], '.')
		if k < 0 {
			break
		}
		dot := i + k
		i = dot + 1
		// A label on each side: most dots (a full stop, "[.]") fail this
		// at once.
		if dot == 0 || dot+1 >= len(line) || line[dot-1] == '.' {
			continue
		}
		// Right after the name found before (from > 0), its last label
		// is this one's first to a linkifier: "1ü[.]рф" goes on in
		// ".co例え", 見てрф[.]city in ".рф".
		lo := from
		if dot == from {
			lo = 0
		}
		if !alnum(line[dot+1]) {
			if line[dot+1] >= utf8.RuneSelf {
				if e := foreignName(line, lo, dot, &run); e > 0 {
					return dot, e
				}
			}
			continue
		}
		foreign := !nameByte(line[dot-1]) // no ASCII label before the dot
		if foreign && !letterBefore(line, lo, dot) {
			continue
		}
		// The run of name bytes around the dot; ".." ends it, as an
		// empty label ends a linkifier's name.
		s := dot
		for s > from && nameByte(line[s-1]) && !(line[s-1] == '.' && line[s] == '.') {
			s--
		}
		e := dot + 1
		for e < len(line) && nameByte(line[e]) && !(line[e] == '.' && line[e-1] == '.') {
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
		if foreign {
			// 例え.jp, 楽天.co.jp: the name starts in another script.
			if e > s && (tldName(line[s:e], 1) || hostPrefix(line[s:e], 1)) && !addressDomain(line, from, dot) && !localPart(line, s, e) {
				return dot, e
			}
			// Labels that go on in another script after a dot
			// (\u00ad.8080.рф), or a number a browser reads as an
			// IPv4 address after "//" (//①.1).
			if i < len(line) && line[i] >= utf8.RuneSelf {
				if e2 := foreignName(line, lo, dot, &run); e2 > 0 {
					return dot, e2
				}
			}
			if e > s && endsInNumber(line[s:e]) && schemeRelative(line, labelStart(line, lo, dot)) > 0 {
				return dot, e
			}
			continue
		}
		rel := schemeRelative(line, s)
		if rel == 0 && afterAt(line, from, s) || localPart(line, s, e) {
			continue // the domain or the local part of an address
		}
		// After "//" linkify-it links any dotted name, and a browser
		// reads one that ends in a number as an IPv4 address (//0x7f.1,
		// //127.1).
		if bareHost(line[s:e]) || ipv4(line[s:e]) || hostPrefix(line[s:e], 2) || rel > 0 && endsInNumber(line[s:e]) {
			return s - rel, e // Remove takes the "//" with the name
		}
		// A top-level domain that goes on in characters a browser maps
		// to ASCII (evil.wſ is evil.ws), or labels that do after a dot
		// (1.ftp.рф).
		// (Not when the run starts at the dot: "-.fi・" has no name.)
		if s < dot && i < len(line) && line[i] >= utf8.RuneSelf {
			if e2 := foreignName(line, from, dot, &run); e2 > 0 {
				return s - rel, e2
			}
		}
	}
	return -1, -1
}

// hostPrefix reports whether a name ends, at a hyphen, a dot or "_", a run
// that is not one (evil.com-x, evil.com.x, evil.com_x): linkifiers link
// the name. It is tldName of every such prefix, in one pass: a run of
// "a." does not cost its length squared.
func hostPrefix[T text](run T, min int) bool {
	labels, start, ok := 0, 0, true // labels before run[start:], all of 1 to 63 bytes
	for k := 0; k < len(run); k++ {
		c := run[k]
		if c != '-' && c != '.' && c != '_' {
			continue
		}
		if n := k - start; k > 0 && ok && n >= 1 && n <= 63 && labels+1 >= min && tldLabel(run[start:k]) {
			return true
		}
		if c == '.' {
			n := k - start
			ok = ok && n >= 1 && n <= 63
			labels, start = labels+1, k+1
		}
	}
	return false
}

// endsInNumber reports whether the last label of name is a number as the
// URL standard reads one (decimal, 0x hexadecimal), which makes a browser
// parse the host as an IPv4 address: 127.1, 0x7f.1, 0177.0.0.1.
func endsInNumber[T text](name T) bool {
	i := len(name)
	for i > 0 && name[i-1] != '.' {
		i--
	}
	l := name[i:]
	if len(l) > 2 && l[0] == '0' && (l[1] == 'x' || l[1] == 'X') {
		l = l[2:]
		for j := 0; j < len(l); j++ {
			if !(l[j] >= '0' && l[j] <= '9' || l[j] >= 'a' && l[j] <= 'f' || l[j] >= 'A' && l[j] <= 'F') {
				return false
			}
		}
		return true
	}
	for j := 0; j < len(l); j++ {
		if l[j] < '0' || l[j] > '9' {
			return false
		}
	}
	return len(l) > 0
}

// labelStart is where the label that ends at line[dot] starts: letters,
// digits and what a host name maps to one, in any script, looked at for
// at most 63 characters.
func labelStart[T text](line T, from, dot int) int {
	j := dot
	for n := 0; j > from && n < 63; n++ {
		if c := line[j-1]; c < utf8.RuneSelf {
			if !nameByte(c) || c == '.' {
				break
			}
			j--
			continue
		}
		if !letterBefore(line, from, j) {
			break
		}
		for j > from && !utf8.RuneStart(line[j-1]) {
			j--
		}
		j--
	}
	return j
}

// ipv4 reports whether h is four decimal labels of at most 255.
func ipv4[T text](h T) bool {
	labels, v, digits := 0, 0, 0
	for i := 0; i <= len(h); i++ {
		if i < len(h) && h[i] >= '0' && h[i] <= '9' {
			v, digits = v*10+int(h[i]-'0'), digits+1
			if digits > 3 || v > 255 {
				return false
			}
			continue
		}
		if digits == 0 || i < len(h) && h[i] != '.' {
			return false
		}
		labels, v, digits = labels+1, 0, 0
	}
	return labels == 4
}

// afterAt reports whether the name at line[s:] is an address's domain: an
// "@" before it, a local part before that (letters, digits and "._-+=",
// one letter or digit at least, not ending in "." nor after "//"), and a
// domain after it (no "_"). Linkifiers link the name of "「@evil.com",
// " @evil.com", "+@evil.com", "x.@evil.com", "x?@evil.com", "//x@evil.com",
// "a@b_evil.com" or "x@example.jp@evil.com".
func afterAt[T text](line T, from, s int) bool {
	if s-2 < from || line[s-1] != '@' || line[s-2] == '.' {
		return false
	}
	j, letters := s-1, false // line[j:s-1] is the local part
scan:
	for j > from {
		if s-1-j > maxLocal {
			return false
		}
		c := line[j-1]
		switch {
		case alnum(c):
			letters = true
		case c == '@':
			return false // x@example.jp@evil.com: linkifyjs links evil.com
		case c < utf8.RuneSelf && strings.IndexByte("._-+=", c) < 0:
			break scan
		case c >= utf8.RuneSelf:
			// A letter or digit; not one a host name maps to one or
			// drops (a soft hyphen, U+200B), which linkifyjs reads as
			// no local part.
			if r := runeBefore(line, from, j); !unicode.IsLetter(r) && !unicode.IsDigit(r) {
				break scan
			}
			letters = true
			for j > from && !utf8.RuneStart(line[j-1]) {
				j--
			}
		}
		j--
	}
	// Also where the scan ended at from, as it does for a line alone
	// and not for the same line after another in a block.
	if !letters || s-1-j > maxLocal {
		return false
	}
	// "//" before it, past what an address cannot hold but a URL's
	// user name can (//x'y@evil.com), makes it a URL's host. That user
	// name can hold a name found before (//w.cy.\xade@g.jp, where w.cy
	// ends at the invalid byte), so the look goes back past from.
	for k := j; k > 0 && s-k <= maxLocal; k-- {
		if c := line[k-1]; c <= ' ' || c == '@' {
			break
		} else if c == '/' {
			if k >= 2 && line[k-2] == '/' {
				return false
			}
			break
		}
	}
	return mailDomain(line, s, true)
}

// letterBefore reports whether a letter or digit of another script than
// ASCII ends line[from:i], or a character a host name maps to one (㎏ is
// kg).
func letterBefore[T text](line T, from, i int) bool {
	r := runeBefore(line, from, i)
	return r != utf8.RuneError && (unicode.IsLetter(r) || unicode.IsDigit(r) || mapsToHost(r))
}

// runeBefore is the character of another script than ASCII that ends
// line[from:i], or utf8.RuneError.
func runeBefore[T text](line T, from, i int) rune {
	j := i
	for j > from && i-j < utf8.UTFMax && !utf8.RuneStart(line[j-1]) {
		j--
	}
	if j == from || line[j-1] < utf8.RuneSelf {
		return utf8.RuneError
	}
	r, n := decodeRune(line, j-1)
	if j-1+n != i {
		return utf8.RuneError // "㎎\x8f": an invalid byte ends it, not ㎎
	}
	return r
}

// addressDomain reports whether the word that ends at line[i] is an
// address's domain (info@例え.jp): see afterAt.
func addressDomain[T text](line T, from, i int) bool {
	for end := i; i > from && end-i <= maxDomain; {
		if line[i-1] == '@' {
			return afterAt(line, from, i)
		}
		j := i - 1
		for j > from && !utf8.RuneStart(line[j]) {
			j--
		}
		r, _ := decodeRune(line, j)
		if !(r < utf8.RuneSelf && hostByte(byte(r)) || r >= utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.M, r))) {
			return false
		}
		i = j
	}
	return false
}

// foreignName is the end of the name whose first dot is line[dot] when the
// labels after it are in another script, in part at least, and the name
// ends in an ICANN top-level domain once mapped (пример.рф, evil.wſ), or
// a run does before a "-", "." or "_" (пример.рф-x), or -1. run keeps
// what it found of the run of name characters after the dot for the
// next dots in it, which nextBare passes in order: a line of "例." is
// scanned once, not once for every dot.
func foreignName[T text](line T, from, dot int, run *foreignRun) int {
	if !letterBefore(line, from, dot) && !(dot > from && nameByte(line[dot-1])) {
		return -1 // Autolinker links taro_.рф
	}
	if dot >= run.end {
		scanForeign(line, dot, run)
	}
	// The longest name of the run after this dot.
	if run.tld <= dot {
		return -1
	}
	if addressDomain(line, from, dot) || localPart(line, dot, run.name) {
		return -1
	}
	return run.name
}

// foreignRun is a run of name characters in any script (see foreignName).
type foreignRun struct {
	end  int // where the run ends
	tld  int // start of the last label of its longest name, 0 if none
	name int // end of that name
}

// scanForeign finds the run that starts after line[dot] and its longest
// name:
// the run itself or the longest part of it that ends before a "-", "."
// or "_" (linkifyjs links пример.рф in пример.рф-x, as evil.com in
// evil.com-x: see hostPrefix), ending in an ICANN top-level domain. A
// top-level domain here has no "-" or "_" (one in ASCII, xn--p1ai, is
// nextBare's).
func scanForeign[T text](line T, dot int, run *foreignRun) {
	e := dot + 1
	for e < len(line) {
		if line[e] == '.' {
			e++
			continue
		}
		r, n := decodeRune(line, e)
		if !(r == '-' || r < utf8.RuneSelf && nameByte(byte(r)) || r >= utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.M, r) || mapsToHost(r))) {
			break
		}
		e += n
	}
	run.end, run.tld, run.name = e, 0, 0
	for e > dot+1 && line[e-1] == '.' {
		e--
	}
	// From separator to separator, right to left: each byte once. A
	// character that is no letter, digit or mark (a soft hyphen, U+200B)
	// ends a label to a linkifier, while a browser drops it: the label
	// up to the first such character counts, and the whole label too.
	for k := e; k > dot+1; {
		l, soft := k-1, -1
		for l > dot && line[l] != '.' && line[l] != '-' && line[l] != '_' {
			if line[l] >= utf8.RuneSelf {
				p := l
				for p > dot+1 && l-p < utf8.UTFMax-1 && !utf8.RuneStart(line[p]) {
					p--
				}
				if r, _ := decodeRune(line, p); !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.Is(unicode.M, r) {
					soft = p
				}
				l = p
			}
			l--
		}
		// xn--p1ai: the hyphens of an ASCII label in its ASCII form.
		if line[l] == '-' && l-3 > dot && line[l-1] == '-' && (line[l-2] == 'n' || line[l-2] == 'N') && (line[l-3] == 'x' || line[l-3] == 'X') && line[l-4] == '.' {
			l -= 4
		}
		if line[l] == '.' {
			for _, end := range [2]int{k, soft} {
				if end > l+1 && icannTLD(string(line[l+1:end])) {
					run.tld, run.name = l+1, end
					return
				}
			}
		}
		k = l
	}
}

// schemeRelative is the length of the "//" that starts a word right
// before the name at line[s:], 0 if none: a scheme-relative URL
// (//evil.com/login), as htmltext prints an href written so. It is a
// host, not a file in a path, and clients that link bare names link it.
// A browser reads "///" and "/\\" so too (a backslash is a slash in an
// http URL), so any run of two or more with a "/" in it counts; one of
// backslashes alone is a UNC path, which the other passes own. After a
// letter or digit (a path: /pub//x.com), "_", "~" or a scheme's colon it
// is not; after other punctuation it is, as linkify-it links it there:
// "a-//0x7f.1", "[:]//1.2" (a scheme already broken).
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
	if c := line[s-1-k]; alnum(c) || c == ':' || c == '_' || c == '~' {
		// Backslashes before the "//" are punctuation to linkify-it,
		// which links "x\\//0x7f.1" from the "//" on.
		if k > 2 && line[s-3] == '\\' && line[s-2] == '/' && line[s-1] == '/' {
			return 2
		}
		return 0
	}
	return k
}

func alnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' }

// localPart reports whether the name at line[s:e] is in the local part of
// an address that every linkifier takes for one, so that none links the
// name: kikaku.tokyo+ml@…, SRS0=…=example.com=taro@…. The local part is
// ASCII letters, digits and "._-+=" up to an "@", not ending in ".", and
// a domain after it that is a host name: linkify-it reads no other
// letters in an address, linkifyjs and Autolinker link evil.com in
// "evil.com.@…" and "evil.com$@…". And it starts the line or follows a
// space, a control character, "<", ">", "(", '"' or "｜", where
// linkify-it begins an address: it links evil.com in "x!evil.com@…",
// "「evil.com@…" and "見て1evil.com@…" (as 見て1evil.com). "/", "?" and "#"
// are atext too, but after a host name they start its path, query or
// fragment, which may hold an "@" of its own: evil.com/login?next=a@b is
// a link to evil.com wherever a bare name is one, not an address. So is
// evil.com@x, which is no address.
func localPart[T text](line T, s, e int) bool {
	j := s
	for j > 0 && localByte(line[j-1]) && s-j <= maxLocal {
		j--
	}
	if j > 0 && !addressStart(line, j) {
		return false
	}
	for i := e; i < len(line) && i-j <= maxLocal; i++ {
		switch c := line[i]; {
		case c == '@':
			// No cut before Japanese: linkify-it and Autolinker read no
			// address in evil.com@x.jpまで, and link evil.com.
			return line[i-1] != '.' && mailDomain(line, i+1, false)
		case !localByte(c):
			return false
		}
	}
	return false
}

// maxLocal and maxDomain bound what is read as an address's local part
// and domain, in bytes, so that a long line of near-addresses is read in
// time linear in its length: RFC 5321 4.5.3.1 allows 64 and 255 octets,
// and a longer one is taken for no address, whose names are neutralised.
// (A domain in another script takes more bytes than its ASCII form.)
const (
	maxLocal  = 256
	maxDomain = 1024
)

// localByte: what a local part that every linkifier reads whole is made
// of (see localPart).
func localByte(c byte) bool {
	return alnum(c) || c == '.' || c == '_' || c == '-' || c == '+' || c == '='
}

// addressStart reports whether an address can start at line[j], j > 0,
// for linkify-it: after a space or a control character, "<", ">", "(",
// '"' or "｜".
func addressStart[T text](line T, j int) bool {
	k := j - 1
	for k > 0 && j-k < utf8.UTFMax && !utf8.RuneStart(line[k]) {
		k--
	}
	r, n := decodeRune(line, k)
	if k+n != j {
		return false // invalid UTF-8
	}
	return r == '<' || r == '>' || r == '(' || r == '"' || r == '｜' || unicode.In(r, unicode.Z, unicode.Cc)
}

// mailDomain reports whether line[i:] starts with a domain a linkifier
// takes for an address's: labels in any script, the last an ICANN
// top-level domain. With cut, the domain may end where the top-level
// domain's ASCII letters meet letters of another script, as linkifyjs
// ends it: enough to leave that address's domain alone (afterAt), not
// to leave a name before its "@" (localPart), which the other
// linkifiers then link.
func mailDomain[T text](line T, i int, cut bool) bool {
	e, last := i, -1
	for e < len(line) {
		if e-i > maxDomain {
			return false
		}
		if line[e] == '.' {
			if e == i || line[e-1] == '.' {
				return false // no empty label: x@.www.рф
			}
			last = e
			e++
			continue
		}
		r, n := decodeRune(line, e)
		if !(r == '-' || r < utf8.RuneSelf && alnum(byte(r)) || r >= utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.M, r))) {
			break
		}
		e += n
	}
	for e > i && line[e-1] == '.' {
		e--
	}
	for last >= e {
		last--
		for last >= i && line[last] != '.' {
			last--
		}
	}
	if last <= i || last >= e-1 || e < len(line) && line[e] == '_' {
		return false // x.jp_y is no domain
	}
	if !icannTLD(string(line[last+1 : e])) {
		if !cut {
			return false
		}
		// Japanese runs on after an address with no space
		// (soumu@city.example.lg.jpまで): linkifyjs ends the domain
		// where the top-level domain's ASCII letters meet letters of
		// another script, and links the address, which stays readable.
		k := last + 1
		for k < e && line[k] < utf8.RuneSelf && (line[k]|0x20 >= 'a' && line[k]|0x20 <= 'z') {
			k++
		}
		if k == last+1 || k == e || !icannTLD(string(line[last+1:k])) {
			return false
		}
		if r, _ := decodeRune(line, k); unicode.Is(unicode.M, r) {
			return false // a mark belongs to the letter before it
		}
		e = k
	}
	// No label starts or ends with "-" (a@b.-x.jp is no address).
	for k := i; k < e; k++ {
		if line[k] == '-' && (k == i || line[k-1] == '.' || k+1 == e || line[k+1] == '.') {
			return false
		}
	}
	return true
}

// nameByte: what a name a linkifier takes for a host is made of in ASCII
// (Autolinker takes "_").
func nameByte(c byte) bool { return hostByte(c) || c == '_' }

// hostByte: what a host name written in ASCII is made of.
func hostByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.'
}

// bareHost reports whether h is labels of 1 to 63 bytes joined by dots,
// at least two, the last all letters and an ICANN top-level domain.
func bareHost[T text](h T) bool { return tldName(h, 2) }

// tldName reports whether h is at least min labels of 1 to 63 bytes
// joined by dots, the last all letters and an ICANN top-level domain.
func tldName[T text](h T, min int) bool {
	last, labels := -1, 0
	for i := 0; i <= len(h); i++ {
		if i < len(h) && h[i] != '.' {
			continue
		}
		if n := i - last - 1; n < 1 || n > 63 {
			return false
		}
		labels++
		if i < len(h) {
			last = i
		}
	}
	if labels < min {
		return false
	}
	return tldLabel(h[last+1:])
}

// tldLabel reports whether tld, letters or an internationalised name in
// its ASCII form, is an ICANN top-level domain.
func tldLabel[T text](tld T) bool {
	if len(tld) < 2 || len(tld) > 63 {
		return false
	}
	// Letters, or an internationalised name in its ASCII form (xn--p1ai),
	// after "x.": the label before it matters for the top-level domains
	// listed only as "*.kh" (kh, ck, fk, ...).
	var buf [2 + 63]byte
	buf[0], buf[1] = 'x', '.'
	idn := len(tld) > 4 && (tld[0] == 'x' || tld[0] == 'X') && (tld[1] == 'n' || tld[1] == 'N') && tld[2] == '-' && tld[3] == '-'
	for i := 0; i < len(tld); i++ {
		c := tld[i]
		switch {
		case c >= 'a' && c <= 'z':
			buf[2+i] = c
		case c >= 'A' && c <= 'Z':
			buf[2+i] = c + 'a' - 'A'
		case idn && (c >= '0' && c <= '9' || c == '-'):
			buf[2+i] = c
		default:
			return false
		}
	}
	// A name the list does not have falls under its default rule "*",
	// which is not ICANN's.
	_, icann := publicsuffix.PublicSuffix(string(buf[:2+len(tld)]))
	return icann
}

// icannTLD reports whether label, in ASCII or not (рф), is an ICANN
// top-level domain.
func icannTLD(label string) bool {
	a, err := idna.Lookup.ToASCII(label)
	if err != nil || strings.Contains(a, ".") {
		return false
	}
	return tldName(a, 1)
}
