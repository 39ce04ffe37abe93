// Package invariant checks that a message is one the sanitiser may let
// cross (DESIGN.md invariant 1): it parses with go-message, has no
// text/html part and no part the policy does not allow, carries only
// allow-listed header fields plus X-Mugai-* and Received, exactly one
// From with an "@", one Date that parses and one Message-ID (RFC
// 5322 3.6), its encoded words
// are whole (at most 75 characters, a UTF-8 word valid on its own, an
// ISO-2022-JP word back in ASCII at its end), its text is valid
// UTF-8 (or ISO-2022-JP as configured) with no line holding a link the
// policy's link rewriter would neutralise or starting an encoded file
// (uuencode, yEnc, BinHex), and every line is 7-bit, at most 998 octets
// and CRLF-terminated. It is the one checker used by the
// sanitiser's tests, fuzz targets and corpus test and by the gateway's
// tests. It judges output only; it does not sanitise or repair anything.
package invariant
