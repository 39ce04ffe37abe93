package sanitize

import (
	"encoding/base64"
	"unicode/utf8"
)

// appendBWords appends what mime.BEncoding.Encode("utf-8", t) returns:
// t itself when it is printable ASCII, else B-encoded words. mime's
// encoder allocates a base64 stream encoder (with its own buffer) for
// every call; this writes straight into dst.
func appendBWords(dst []byte, t string) []byte {
	if !needsEncoding(t) {
		return append(dst, t...)
	}
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
