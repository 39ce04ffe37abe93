package sanitize

import "sort"

// findingKinds is every Finding.Kind Message reports, with what it means.
// The set is closed: the gateway counts findings by kind, and a metric
// label must not grow with its input. TestFindingKindsComplete holds this
// table to the kinds the code can produce, both ways.
var findingKinds = map[string]string{
	// Structure: the parts involved are ambiguous (policy "ambiguous").
	"too-many-parts":                      "more MIME parts than mime.max_parts; the rest was not read",
	"mime-depth-exceeded":                 "MIME nesting deeper than mime.max_depth",
	"header-too-large":                    "a part header over mime.max_header_bytes",
	"header-unparseable":                  "a part header that does not parse",
	"duplicate-content-type":              "two or more Content-Type fields in one header",
	"duplicate-content-transfer-encoding": "two or more Content-Transfer-Encoding fields in one header",
	"duplicate-content-disposition":       "two or more Content-Disposition fields in one header",
	"duplicate-boundary":                  "a multipart with two boundary parameters",
	"conflicting-boundary":                "a boundary that differs between its plain and RFC 2231 forms, or equals an enclosing one",
	"missing-boundary":                    "a multipart without a boundary parameter",
	"invalid-boundary":                    "a boundary longer than 200 characters",
	"boundary-not-found":                  "no delimiter line for the declared boundary",
	"missing-final-boundary":              "a multipart that ends without its close delimiter",
	"content-type-unparseable":            "a Content-Type that does not parse",
	"unknown-transfer-encoding":           "a Content-Transfer-Encoding other than 7bit, 8bit, binary, base64, quoted-printable",
	"invalid-base64":                      "bytes outside the base64 alphabet in a base64 part",
	"encoded-multipart":                   "a multipart with a transfer encoding",
	"filename-conflict":                   "name and filename parameters that disagree",

	// Header fields of the original.
	"leading-bom":                   "a UTF-8 byte order mark before the header; skipped",
	"duplicate-header":              "a field allowed once (From, Subject, ...) given more than once; the first is kept (To, Cc and Bcc: their addresses are joined)",
	"trace-too-long":                "more than 100 Received fields; the first 100 are kept",
	"address-unparseable":           "an address field that does not parse; what parses is kept",
	"address-non-ascii":             "an address with a non-ASCII local part or an invalid domain was dropped",
	"address-link":                  "an address whose local part a mail client would link (a URL or host name in it) was dropped",
	"address-encoded-word":          "an address that reads as holding an RFC 2047 encoded word, which a lenient client may decode and show as another address, was dropped",
	"date-unparseable":              "a Date or Resent-Date field that does not parse (or whose zone is a day or more off UT); it was dropped, and for a Date the time the gateway received the message written instead",
	"from-missing":                  "no From field, or none with an address that could be kept; the envelope sender was written, or undisclosed-sender@mugai.invalid where it is null or unusable (RFC 5322 requires a From)",
	"date-missing":                  "no Date field; the time the gateway received the message was written (RFC 5322 requires one)",
	"message-id-missing":            "no Message-ID field, or one that holds no message identifier; one was made with the gateway's host name",
	"date-zone-unknown":             "a Date field whose zone is a name RFC 5322 gives no offset for; read as -0000 (UT, zone unknown)",
	"encoded-word-in-text":          "decoded header text read as encoded words again (encoded twice, or quoted); decoded again and cleaned",
	"content-disposition-malformed": "a Content-Disposition that does not parse",

	// Charsets and parameters.
	"charset-missing":      "text without a declared charset, or unencoded non-ASCII or ISO-2022-JP header text; the charset was detected",
	"charset-unknown":      "a charset label no decoder knows; the text was decoded by detection",
	"charset-mislabeled":   "text whose bytes do not match the declared charset; decoded as what they are",
	"charset-invalid":      "byte sequences invalid in the charset; replaced by U+FFFD",
	"charset-unencodable":  "characters with no ISO-2022-JP code in the output; replaced",
	"encoded-word-invalid": "a broken RFC 2047 encoded word, repaired",
	"param-duplicate":      "a MIME parameter given more than once",
	"param-invalid":        "a MIME parameter that does not parse",

	// Content.
	"type-mismatch":       "an attachment whose content is not what its type or filename says",
	"attachment":          "something found inside an attachment (an archive's entries, encryption, nesting)",
	"spreadsheet-formula": "fields of a kept CSV or TSV that a spreadsheet would run as formulas; made text",
	"pdf-links":           "links to web pages, mail addresses or phone numbers in a kept PDF (URI actions) or Office document (hyperlinks), or in those of a kept archive; delivered clickable, as the file is not changed",
	"html-error":          "HTML that could not be converted",
	"html-depth-exceeded": "HTML nested deeper than mime.max_html_depth; flattened",
	"html-hidden":         "HTML elements a reader would not see (hidden attribute, invisible or white-on-white text, tracking pixels), by their own style or a style sheet's; dropped",
	"html-style-limit":    "HTML style sheets past their limits (256 KiB, 2048 rules, 1,048,576 selector tests); what is past them was not applied",
	"link-mismatch":       "HTML links whose text is a web address on another site than the one they lead to (a phishing lure: https://login.microsoftonline.com/ leading to a look-alike); marked in the text, and the notice says so",
	"bidi-control":        "bidirectional controls (U+202E and the like, which make text read in another order than it is written) in the text or a header field; removed",
	"plain-placeholder":   "a short plain-text alternative with far fewer words than its HTML one (a placeholder such as \"this mail is in HTML\"): the HTML's text is the body, though the policy prefers plain",
	"calendar-truncated":  "a calendar file whose events are written in the body text went past a limit of its reading (256 KiB, 16 KiB a line, 20 events; what was read is written, and the text says so), or a message with more than 5 calendar files (the others are removed without their events in the text)",

	// The report itself.
	"findings-truncated": "more than 200 findings; the rest were counted, not listed",
	"blocks-truncated":   "more than 100 files encoded in the texts (uuencode, yEnc, BinHex); all were cut out, the rest counted, not listed",
	"panic":              "the sanitiser failed on this message; it took the fail-closed path",
}

// FindingKinds lists every kind of Finding, sorted.
func FindingKinds() []string {
	kinds := make([]string, 0, len(findingKinds))
	for k := range findingKinds {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	return kinds
}

// KnownFinding reports whether kind is one of FindingKinds.
func KnownFinding(kind string) bool {
	_, ok := findingKinds[kind]
	return ok
}
