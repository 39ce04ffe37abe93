package sanitize

import (
	"encoding/base64"
	"mime"
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-message"
)

// appendBWords appends t as mime.BEncoding.Encode("utf-8", t) writes it,
// B-encoded words, or t itself when it is printable ASCII that does not
// read like an encoded word. (mime returns every printable ASCII text as
// it is, "=?utf-8?b?...?=" included: a reader would decode that, which is
// how a name encoded twice would smuggle controls past the cleaning.)
// mime's encoder allocates a base64 stream encoder (with its own buffer)
// for every call; this writes straight into dst.
func appendBWords(dst []byte, t string) []byte {
	if !needsEncoding(t) && !strings.Contains(t, "=?") {
		return append(dst, t...)
	}
	return appendAllBWords(dst, t)
}

// appendAllBWords appends t as B-encoded words, whatever it holds.
func appendAllBWords(dst []byte, t string) []byte {
	// mime splits UTF-8 text into words of at most 45 bytes, the most
	// whose base64 fits the 63 characters a 75-character word leaves
	// after "=?UTF-8?q?" and "?=", and never inside a rune (an invalid
	// byte is a rune of its own).
	const maxChunk = 45
	if len(t) <= maxChunk {
		return appendBWord(dst, t)
	}
	start, n := 0, 0
	for i := 0; i < len(t); {
		_, size := utf8.DecodeRuneInString(t[i:])
		if n+size > maxChunk {
			dst = appendBWord(dst, t[start:i])
			dst = append(dst, ' ')
			start, n = i, 0
		}
		n += size
		i += size
	}
	return appendBWord(dst, t[start:])
}

// appendBWord appends one encoded word of chunk, at most 45 bytes.
func appendBWord(dst []byte, chunk string) []byte {
	var b [45]byte // a []byte(chunk) conversion would be a heap allocation
	n := copy(b[:], chunk)
	dst = append(dst, "=?utf-8?b?"...)
	dst = base64.StdEncoding.AppendEncode(dst, b[:n])
	return append(dst, "?="...)
}

// needsEncoding is mime's test for text an encoded word must carry: a
// control character but tab, DEL, or anything not ASCII.
func needsEncoding(t string) bool {
	for i := 0; i < len(t); i++ {
		if c := t[i]; c < ' ' && c != '\t' || c > '~' {
			return true
		}
	}
	return false
}

// addressValueFast is addressValue for the address lists nearly every
// mail carries, parsed without net/mail: a comma-separated list of
// elements, each a bare dot-atom addr-spec, an angle-addr, or a display
// name of atoms, simple quoted strings and encoded words before an
// angle-addr, with spaces (no tabs, comments or line breaks) or none
// around them. The result is what net/mail (through go-message's
// mail.ParseAddressList) and formatAddress make of the same list. ok is
// false for anything else, and for the rare inputs inside the subset
// whose reading is less obvious (a word that looks encoded but does not
// decode, a list that keeps no address); the caller then takes the
// general path, which stays the reference.
//
// Nothing in the subset yields a finding on the general path: there are
// no parse errors, and only non-ASCII addresses are reported.
func (s *sanitizer) addressValueFast(raw string) (string, bool) {
	var outBuf [256]byte
	out := outBuf[:0]
	kept := 0
	i := skipSpaces(raw, 0)
	for {
		name, spec, next, ok := s.elementFast(raw, i)
		if !ok || s.localPartLinks(spec) || encodedWordSpec(spec) {
			return "", false // the general path drops and reports it
		}
		// formatAddress drops an angle-addr over 330 bytes, unreported.
		if len(spec)+2 <= 330 {
			if kept > 0 {
				out = append(out, ", "...)
			}
			kept++
			if countBidi(name) > 0 {
				return "", false // the general path reports them
			}
			name = strings.TrimSpace(cleanString(name))
			if strings.Contains(name, "=?") {
				return "", false // rereadWords: the general path decodes it again
			}
			name = strings.TrimSpace(s.headerText(name))
			if name == "" {
				out = append(out, spec...)
			} else {
				out = s.appendPhrase(out, name)
				out = append(out, " <"...)
				out = append(out, spec...)
				out = append(out, '>')
			}
		}
		i = skipSpaces(raw, next)
		if i == len(raw) {
			break
		}
		// net/mail skips empty elements; the subset has none.
		if raw[i] != ',' {
			return "", false
		}
		i = skipSpaces(raw, i+1)
		if i == len(raw) {
			return "", false
		}
	}
	if kept == 0 {
		return "", false // the general path may answer "undisclosed-recipients:;"
	}
	if string(out) == raw {
		return raw, true
	}
	return string(out), true
}

// elementFast reads one element of the list at raw[i:]: its display name
// as net/mail decodes it, its addr-spec, and where it ends.
func (s *sanitizer) elementFast(raw string, i int) (name, spec string, next int, ok bool) {
	// net/mail tries an addr-spec first; in the subset only a bare one
	// has an '@' right after its first word.
	if j := atomEnd(raw, i); j > i && j < len(raw) && raw[j] == '@' {
		end, ok := addrSpecEnd(raw, i, j)
		if !ok {
			return "", "", 0, false
		}
		return "", raw[i:end], end, true
	}
	name, i, ok = s.phraseFast(raw, i)
	if !ok || i >= len(raw) || raw[i] != '<' {
		return "", "", 0, false
	}
	at := atomEnd(raw, i+1)
	if at >= len(raw) || raw[at] != '@' {
		return "", "", 0, false
	}
	end, ok := addrSpecEnd(raw, i+1, at)
	if !ok || end >= len(raw) || raw[end] != '>' {
		return "", "", 0, false
	}
	return name, raw[i+1 : end], end + 1, true
}

// phraseFast reads a display name at raw[i:] the way net/mail's
// consumePhrase does: words joined by single spaces, except that the
// text of adjacent encoded words is joined with nothing between. It
// stops before the '<' of an angle-addr; ok is false at anything outside
// the subset, at an encoded-looking word that does not decode, and when
// the words decode to nothing at all (net/mail's "missing word in
// phrase"). A '<' at i is an angle-addr without a display name.
func (s *sanitizer) phraseFast(raw string, i int) (name string, next int, ok bool) {
	var nameBuf, encBuf [128]byte
	nb, enc := nameBuf[:0], encBuf[:0]
	words, start := 0, i
	for {
		i = skipSpaces(raw, i)
		if i >= len(raw) || raw[i] == '<' {
			break
		}
		var word string
		encoded := false
		switch c := raw[i]; {
		case c == '"':
			j := i + 1
			for j < len(raw) && raw[j] >= ' ' && raw[j] <= '~' && raw[j] != '"' && raw[j] != '\\' {
				j++
			}
			if j >= len(raw) || raw[j] != '"' {
				return "", 0, false
			}
			word, i = raw[i+1:j], j+1
		case isAtomByte(c):
			j := atomEnd(raw, i)
			word, i = raw[i:j], j
			if strings.HasPrefix(word, "=?") {
				var ok bool
				if enc, ok = appendDecodedWord(enc, word); !ok {
					return "", 0, false
				}
				encoded = true
			}
		default:
			return "", 0, false
		}
		if i < len(raw) && raw[i] != ' ' && raw[i] != '<' && raw[i] != '"' && !isAtomByte(raw[i]) {
			return "", 0, false
		}
		if encoded {
			continue
		}
		if len(enc) > 0 {
			nb = appendWord(nb, words, enc)
			words++
			enc = enc[:0]
		}
		nb = appendWord(nb, words, word)
		words++
	}
	if len(enc) > 0 {
		nb = appendWord(nb, words, enc)
		words++
	}
	if words > 0 {
		return string(nb), i, true
	}
	if i == start && i < len(raw) {
		return "", i, true // no display name: "<local@domain>"
	}
	return "", 0, false
}

// appendWord appends w to a name of n words, with a space between.
func appendWord[T string | []byte](name []byte, n int, w T) []byte {
	if n > 0 {
		name = append(name, ' ')
	}
	return append(name, w...)
}

// appendDecodedWord appends the text of the RFC 2047 encoded word w as
// go-message's mail.ParseAddressList decodes it: mime.WordDecoder with
// go-message's CharsetReader. UTF-8, the charset of most such words, is
// decoded here without allocating, checked as mime.WordDecoder.Decode
// checks; other charsets go to that decoder itself. ok is false for
// anything Decode refuses.
func appendDecodedWord(dst []byte, w string) ([]byte, bool) {
	if len(w) < 8 || !strings.HasPrefix(w, "=?") || !strings.HasSuffix(w, "?=") || strings.Count(w, "?") != 4 {
		return dst, false
	}
	charset, rest, _ := strings.Cut(w[2:len(w)-2], "?")
	encoding, text, _ := strings.Cut(rest, "?")
	if charset == "" || len(encoding) != 1 {
		return dst, false
	}
	if !strings.EqualFold(charset, "utf-8") {
		dec := mime.WordDecoder{CharsetReader: message.CharsetReader}
		t, err := dec.Decode(w)
		if err != nil {
			return dst, false
		}
		return append(dst, t...), true
	}
	switch encoding[0] {
	case 'B', 'b':
		// DecodeString, with both buffers on the stack.
		var src [128]byte
		var buf [96]byte
		if len(text) > len(src) {
			t, err := base64.StdEncoding.DecodeString(text)
			return append(dst, t...), err == nil
		}
		copy(src[:], text)
		n, err := base64.StdEncoding.Decode(buf[:base64.StdEncoding.DecodedLen(len(text))], src[:len(text)])
		return append(dst, buf[:n]...), err == nil
	case 'Q', 'q':
		return appendQDecoded(dst, text)
	}
	return dst, false
}

// appendQDecoded is mime's qDecode, appending.
func appendQDecoded(dst []byte, t string) ([]byte, bool) {
	for i := 0; i < len(t); i++ {
		switch c := t[i]; {
		case c == '_':
			dst = append(dst, ' ')
		case c == '=':
			if i+2 >= len(t) {
				return dst, false
			}
			hi, ok1 := unhex(t[i+1])
			lo, ok2 := unhex(t[i+2])
			if !ok1 || !ok2 {
				return dst, false
			}
			dst = append(dst, hi<<4|lo)
			i += 2
		case c >= ' ' && c <= '~' || c == '\n' || c == '\r' || c == '\t':
			dst = append(dst, c)
		default:
			return dst, false
		}
	}
	return dst, true
}

// addrSpecEnd checks raw[i:] as local "@" domain with the '@' at at,
// both dot-atoms, the domain of letters, digits and hyphens only (so
// that it needs no IDNA and net/mail reads the same domain), and returns
// the index after the domain.
func addrSpecEnd(raw string, i, at int) (int, bool) {
	if !isDotAtom(raw[i:at]) {
		return 0, false
	}
	j := at + 1
	for j < len(raw) && (isLDH(raw[j]) || raw[j] == '.') {
		j++
	}
	if j < len(raw) && isAtomByte(raw[j]) {
		return 0, false // net/mail's domain would run on
	}
	return j, isDotAtom(raw[at+1 : j])
}

// isDotAtom reports a non-empty s with no leading, trailing or doubled
// dot: what net/mail's strict consumeAtom takes, and what its
// Address.String writes without quotes.
func isDotAtom(s string) bool {
	return s != "" && s[0] != '.' && s[len(s)-1] != '.' && !strings.Contains(s, "..")
}

func isLDH(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-'
}

// isAtomByte reports RFC 5322 atext or a dot: what net/mail's dot-atom
// scan takes of ASCII. It is looked up in two bit sets, as it is asked of
// every byte of the field.
func isAtomByte(c byte) bool {
	const (
		lo = 1<<'!' | 1<<'#' | 1<<'$' | 1<<'%' | 1<<'&' | 1<<'\'' | 1<<'*' | 1<<'+' | 1<<'-' | 1<<'.' | 1<<'/' |
			(1<<10-1)<<'0' | 1<<'=' | 1<<'?'
		hi = (1<<26-1)<<('A'-64) | (1<<26-1)<<('a'-64) |
			1<<('^'-64) | 1<<('_'-64) | 1<<('`'-64) | 1<<('{'-64) | 1<<('|'-64) | 1<<('}'-64) | 1<<('~'-64)
	)
	if c < 64 {
		return uint64(lo)>>c&1 != 0
	}
	return c < 128 && uint64(hi)>>(c-64)&1 != 0
}

// atomEnd returns the end of the run of atom bytes at raw[i:].
func atomEnd(raw string, i int) int {
	for i < len(raw) && isAtomByte(raw[i]) {
		i++
	}
	return i
}

func skipSpaces(raw string, i int) int {
	for i < len(raw) && raw[i] == ' ' {
		i++
	}
	return i
}
