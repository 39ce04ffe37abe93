// Package textenc turns the text of Internet mail into UTF-8 and back: body
// decoding with detection of wrong or missing charset labels (ISO-2022-JP
// with the NEC and IBM extension characters and half-width katakana,
// Shift_JIS/CP932, EUC-JP, UTF-8 and everything golang.org/x/text knows),
// lenient RFC 2047 header decoding, RFC 2231 parameter parsing and
// ISO-2022-JP encoding for output; its init registers the Japanese charset
// labels go-message lacks. Every repair it makes and every byte it cannot
// decode is reported as a Finding (kinds charset-mislabeled,
// charset-missing, charset-unknown, charset-invalid, encoded-word-invalid,
// param-duplicate, param-invalid) and undecodable bytes become U+FFFD, so
// no text turns silently into mojibake. It deliberately decides nothing:
// it does not parse MIME structure or addresses, and whether a finding
// makes a message ambiguous or rejected is the caller's policy.
package textenc
