package textenc

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/text/transform"
)

// Codec reads and writes text in one charset, line by line: what
// rewriting a text file in its own encoding needs (a kept attachment
// whose links are neutralised must still open in the reader's program as
// the sender wrote it).
type Codec struct {
	c codec
}

// LookupCodec resolves a charset name, such as Reader.Charset reports, to
// a Codec. It fails for unknown names and for charsets that a line cannot
// be read in on its own or that cannot be written back: UTF-7 and UTF-16
// (whose line ends are not single bytes).
func LookupCodec(name string) (Codec, bool) {
	c, ok := lookup(name)
	if !ok || c.kind == kindUTF7 || !c.asciiCompatible() {
		return Codec{}, false
	}
	return Codec{c}, true
}

// Name is the charset's canonical name.
func (k Codec) Name() string { return k.c.name }

// Decode decodes one line (no line end) to UTF-8. Each line is read from
// the initial state, as mail and text editors write ISO-2022-JP. invalid
// counts the sequences replaced by U+FFFD.
func (k Codec) Decode(b []byte) (s string, invalid int) {
	if k.c.kind == kindUTF8 || k.c.kind == kindASCII {
		if utf8.Valid(b) {
			return string(b), 0
		}
	}
	t := k.c.newDecoder(&invalid)
	out, _, err := transform.Bytes(t, b)
	if err != nil {
		return strings.ToValidUTF8(string(b), "\uFFFD"), invalid + 1
	}
	return string(out), invalid
}

// Encode encodes UTF-8 text in the charset. A character the charset
// cannot hold becomes "?"; replaced reports how many did. us-ascii is
// written as UTF-8, its superset.
func (k Codec) Encode(s string) (b []byte, replaced int) {
	if k.c.kind == kindUTF8 || k.c.kind == kindASCII {
		return []byte(s), 0
	}
	enc := k.c.encoding().NewEncoder()
	if out, err := enc.Bytes([]byte(s)); err == nil {
		return out, 0
	}
	// Character by character, so one that does not fit costs only itself.
	var tmp [utf8.UTFMax]byte
	for _, r := range s {
		n := utf8.EncodeRune(tmp[:], r)
		enc.Reset()
		out, err := enc.Bytes(tmp[:n])
		if err != nil || r == utf8.RuneError {
			b = append(b, '?')
			replaced++
			continue
		}
		b = append(b, out...)
	}
	return b, replaced
}
