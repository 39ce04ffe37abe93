package sanitize

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	netmail "net/mail"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"
	"golang.org/x/net/idna"
	"golang.org/x/text/encoding/japanese"
)

// field is one rebuilt header field; value is 7-bit, unfolded.
type field struct{ key, value string }

// singletons are the fields RFC 5322 3.6 allows at most once: only the
// first is carried over (go-message's Get returns the topmost as well).
var singletons = map[string]bool{
	"From": true, "Sender": true, "Reply-To": true, "To": true, "Cc": true, "Bcc": true,
	"Date": true, "Subject": true, "Message-Id": true, "In-Reply-To": true, "References": true,
	"Auto-Submitted": true, // RFC 3834 5
	"Precedence":     true,
}

func isAddressField(k string) bool {
	switch k {
	case "From", "Sender", "Reply-To", "To", "Cc", "Bcc", "Resent-From", "Resent-Sender", "Resent-To", "Resent-Cc", "Disposition-Notification-To", "Return-Receipt-To":
		return true
	}
	return false
}

func isMsgIDField(k string) bool {
	switch k {
	case "Message-Id", "In-Reply-To", "References", "Resent-Message-Id":
		return true
	}
	return false
}

// headerFields rebuilds the allow-listed fields of the original header:
// each decoded, cleaned and encoded again.
func (s *sanitizer) headerFields() []field {
	var kvBuf [32]headerKV
	fl := readFields(s.root, kvBuf[:0])
	out := make([]field, 0, len(fl)+8)
	out = s.traceFields(out, fl)
	var valBuf [4]string
	for _, key := range s.pol.order {
		if key == "Received" {
			continue // carried as trace, above, whatever the allow-list says
		}
		vals := fl.values(key, valBuf[:0])
		if len(vals) == 0 {
			continue
		}
		switch {
		case len(vals) < 2 || !singletons[key]:
		case key == "To" || key == "Cc" || key == "Bcc":
			// Recipients are not chosen between: Thunderbird shows the
			// addresses of every To and Cc field (its parser aggregates
			// them), and a reader shown fewer would reply to fewer.
			s.finding("", "duplicate-header", key+" appears "+itoa(len(vals))+" times; their addresses are joined")
			vals = []string{strings.Join(vals, ", ")}
		default:
			s.finding("", "duplicate-header", key+" appears "+itoa(len(vals))+" times; the first is kept")
			vals = vals[:1]
		}
		for _, raw := range vals {
			var v string
			switch {
			case isAddressField(key):
				if key == "From" && raw == s.fromRaw {
					s.decodeFindings("", key, s.fromFindings) // decoded by finish
				} else {
					s.headerFindings("", key, raw)
				}
				v = s.addressValue(key, raw)
			case key == "Date" || key == "Resent-Date":
				v = s.dateValue(key, raw)
			case isMsgIDField(key):
				v = msgIDValue(raw, key == "Message-Id" || key == "Resent-Message-Id")
			case key == "Subject" && raw == s.subjectRaw && raw != "":
				s.decodeFindings("", key, s.subjectFindings)
				v = s.encodeText(strings.TrimSpace(s.subjectOut)) // decoded by finish
				if s.subjectReread {
					s.encodedTwice(key)
				}
			default:
				d, fs := decodeHeaderText(raw)
				if n := countBidi(d); n > 0 {
					fs = append(fs, encFinding{Kind: "bidi-control", Detail: plural(n, "bidirectional control") + " removed"})
				}
				s.decodeFindings("", key, fs)
				v = s.encodeText(strings.TrimSpace(s.headerText(s.reread(key, cleanString(d)))))
			}
			if v != "" {
				out = append(out, field{key, fitFirstWord(key, v)})
			}
		}
	}
	return out
}

// headerFindings reports what decoding a header field's text met: an
// undecodable sequence (shown as U+FFFD), an unknown or wrong charset
// label, a broken encoded word, raw text in a legacy charset. Plain ASCII
// without encoded words or ESC (raw ISO-2022-JP is 7-bit) has nothing to
// report and is not decoded.
func (s *sanitizer) headerFindings(path, key, raw string) {
	if isASCII(raw) && !strings.Contains(raw, "=?") && strings.IndexByte(raw, 0x1b) < 0 {
		return
	}
	_, fs := decodeHeaderText(raw)
	s.decodeFindings(path, key, fs)
}

// decodeFindings reports the findings of decoding field key's text.
func (s *sanitizer) decodeFindings(path, key string, fs []encFinding) {
	for _, f := range fs {
		s.finding(path, f.Kind, key+": "+f.Detail)
	}
}

// headerKV is one header field as go-message parsed it.
type headerKV struct{ key, value string }

// fieldList is a header's fields in order, read once: looking up each
// allow-listed key with Header.Values canonicalises the key and
// allocates the result every time.
type fieldList []headerKV

func readFields(h textproto.Header, dst []headerKV) fieldList {
	for fs := h.Fields(); fs.Next(); {
		dst = append(dst, headerKV{fs.Key(), fs.Value()})
	}
	return dst
}

// values appends to dst the values of the fields named key, in order:
// h.Values(key) for a key in canonicalKey's form (go-message keeps every
// key in that form; TestFieldListValues holds the two together).
func (l fieldList) values(key string, dst []string) []string {
	for _, f := range l {
		if f.key == key {
			dst = append(dst, f.value)
		}
	}
	return dst
}

// maxTrace bounds the Received fields carried over; Postfix refuses mail
// with more than 50 (hopcount_limit), so more is a loop or an attack.
const maxTrace = 100

// traceFields carries the original's Received fields over, in their
// order, at the top of the rebuilt header: RFC 5321 4.4 forbids a relay
// to remove them, and they are how a message is traced back to the
// sending MTA's queue (its queue id). They are cleaned to printable
// 7-bit text like every other field.
func (s *sanitizer) traceFields(out []field, fl fieldList) []field {
	var valBuf [4]string
	vals := fl.values("Received", valBuf[:0])
	if len(vals) > maxTrace {
		s.finding("", "trace-too-long", itoa(len(vals))+" Received fields; the first "+itoa(maxTrace)+" are kept")
		vals = vals[:maxTrace]
	}
	for _, raw := range vals {
		if v := collapseSpace(cleanString(raw)); v != "" {
			out = append(out, field{"Received", v})
		}
	}
	return out
}

var reAddrSpec = regexp.MustCompile(`[A-Za-z0-9.!#$%&'*+/=?^_` + "`" + `{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?`)

// addressValue parses an address list and formats it again: names
// decoded and re-encoded, domains in IDNA form. Addresses that cannot be
// written in 7 bits (a non-ASCII local part) are dropped, and so are those
// whose local part holds a link (localPartLinks).
func (s *sanitizer) addressValue(key, raw string) string {
	links := s.headerLinks
	if v, ok := s.addressValueFast(raw); ok {
		return v
	}
	s.headerLinks = links // as the general path finds it
	return s.addressValueGeneral(key, raw)
}

// addressValueGeneral is addressValue for every input, through net/mail;
// it is also the reference addressValueFast is tested against.
func (s *sanitizer) addressValueGeneral(key, raw string) string {
	list, err := parseAddressList(raw)
	if err != nil {
		// Keep every element that parses on its own.
		s.finding("", "address-unparseable", key+": "+truncate(cleanString(raw), 100))
		list = nil
		for _, el := range splitAddressList(raw) {
			if l, err := parseAddressList(el); err == nil {
				list = append(list, l...)
			} else if a, ok := salvageAddress(el); ok {
				list = append(list, &mail.Address{Address: a})
			}
		}
	}
	var parts []string
	for _, a := range list {
		if f, ok := s.formatAddress(key, a); ok {
			parts = append(parts, f)
		}
	}
	if len(parts) == 0 && strings.Contains(raw, ":") && strings.Contains(raw, ";") && (key == "To" || key == "Cc") {
		return "undisclosed-recipients:;"
	}
	return strings.Join(parts, ", ")
}

// salvageAddress finds the address in an element of an address list that
// does not parse, and only where there is no doubt which it is. Quoted
// strings and encoded words are display names and are not looked into.
//   - With angle brackets, it is what they enclose, and it must be all
//     they enclose ("Taro <taro@example.jp" gives taro@example.jp). An
//     address-like display name is never taken for the address:
//     "mayor@city.lg.jp <attacker@evil.example>" is from the attacker.
//     More than one "<" is a guess either way, so nothing is taken.
//   - Without, it is the one address in the element, and it must end
//     there: at the end (a final dot aside), a space, ",", ";" or ">".
//     Its domain must not seem to run on after a space ("e@ex ample.com",
//     "e@ex .com"): "e@ex" would name another domain. A word after it
//     ("taro@example.jp Yamada") is taken for a misplaced name.
func salvageAddress(el string) (string, bool) {
	if strings.HasSuffix(strings.TrimSpace(el), "@") {
		return "", false
	}
	m := maskNames(el)
	if i := strings.IndexByte(m, '<'); i >= 0 {
		in := m[i+1:]
		if strings.IndexByte(in, '<') >= 0 {
			return "", false
		}
		if j := strings.IndexByte(in, '>'); j >= 0 {
			in = in[:j]
		}
		in = strings.TrimSpace(in)
		if a := reAddrSpec.FindString(in); a != "" && a == in {
			return a, true
		}
		return "", false
	}
	all := reAddrSpec.FindAllStringIndex(m, 2)
	if len(all) != 1 {
		return "", false
	}
	loc := all[0]
	if after := m[loc[1]:]; after != "" {
		switch after[0] {
		case ' ', '\t':
			next := strings.TrimLeft(after, " \t")
			if end := strings.IndexAny(next, " \t>,;()\""); end >= 0 {
				next = next[:end]
			}
			if strings.HasPrefix(next, ".") || strings.Contains(next, ".") && isASCII(next) {
				return "", false
			}
		case ',', ';', '>':
		case '.':
			if strings.TrimSpace(after[1:]) != "" {
				return "", false
			}
		default:
			return "", false // "e@ex_ample.com", "e@ex(ample).com", "e@exämple.com"
		}
	}
	return el[loc[0]:loc[1]], true
}

// maskNames returns el with its quoted strings and encoded words blanked
// out, byte for byte, so that what is found in it is found in el at the
// same offsets.
func maskNames(el string) string {
	b := []byte(el)
	for i := 0; i < len(b); i++ {
		switch {
		case b[i] == '"':
			j := i + 1
			for j < len(b) && b[j] != '"' {
				if b[j] == '\\' && j+1 < len(b) {
					b[j] = ' '
					j++
				}
				b[j] = ' '
				j++
			}
			b[i] = ' '
			if j < len(b) {
				b[j] = ' '
			}
			i = j
		case b[i] == '=' && i+1 < len(b) && b[i+1] == '?':
			// "=?charset?enc?text?=": the end is the "?=" after the third "?".
			k := i + 2
			for q := 0; q < 2 && k < len(b); k++ {
				if b[k] == '?' {
					q++
				}
			}
			if e := strings.Index(el[k:], "?="); e >= 0 {
				for x := i; x < k+e+2; x++ {
					b[x] = ' '
				}
				i = k + e + 1
			}
		}
	}
	return string(b)
}

// splitAddressList splits at commas outside quotes, comments and angle
// brackets.
func splitAddressList(raw string) []string {
	var out []string
	depth, inq, esc, start := 0, false, false, 0
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case esc:
			esc = false
		case c == '\\':
			esc = true
		case c == '"':
			inq = !inq
		case inq:
		case c == '<' || c == '(':
			depth++
		case (c == '>' || c == ')') && depth > 0:
			depth--
		case c == ',' && depth == 0:
			out = append(out, raw[start:i])
			start = i + 1
		}
	}
	return append(out, raw[start:])
}

func parseAddressList(raw string) ([]*mail.Address, error) {
	if isASCII(raw) {
		if l, err := mail.ParseAddressList(raw); err == nil {
			return l, nil
		}
	}
	d, _ := decodeHeaderText(raw)
	return netmail.ParseAddressList(d)
}

func (s *sanitizer) formatAddress(key string, a *mail.Address) (string, bool) {
	at := strings.LastIndexByte(a.Address, '@')
	if at <= 0 || at == len(a.Address)-1 {
		return "", false
	}
	local, domain := a.Address[:at], a.Address[at+1:]
	if !isASCII(local) || strings.ContainsAny(local, "\r\n") {
		s.dropAddress(key, "address-non-ascii", "an address with a non-ASCII local part was dropped")
		return "", false
	}
	if !isASCII(domain) {
		d, err := idna.Lookup.ToASCII(domain)
		if err != nil {
			s.dropAddress(key, "address-non-ascii", "an address with an invalid domain was dropped")
			return "", false
		}
		domain = d
	}
	addr := (&netmail.Address{Address: local + "@" + domain}).String() // quotes the local part when needed
	if len(addr) > 330 {
		return "", false
	}
	if s.localPartLinks(addr[1 : len(addr)-1]) {
		s.dropAddress(key, "address-link", "an address whose local part holds a link was dropped")
		return "", false
	}
	if encodedWordSpec(local + "@" + domain) {
		s.dropAddress(key, "address-encoded-word", "an address that reads as an encoded word was dropped")
		return "", false
	}
	if n := countBidi(a.Name); n > 0 && key != "From" {
		// The From's are reported with its decoding (headerTextFindings).
		s.finding("", "bidi-control", key+": "+plural(n, "bidirectional control")+" removed from a display name")
	}
	name := strings.TrimSpace(s.headerText(strings.TrimSpace(s.reread(key, cleanString(a.Name)))))
	if name == "" {
		return strings.TrimSuffix(strings.TrimPrefix(addr, "<"), ">"), true
	}
	return s.encodePhrase(name) + " " + addr, true
}

// encodedWordSpec reports an addr-spec that reads as holding an encoded
// word, "=?utf-8?b?…?=@evil.example": one has no place in an address, but
// a lenient client may decode it there and show the sender as another
// address.
func encodedWordSpec(spec string) bool {
	i := strings.Index(spec, "=?")
	return i >= 0 && strings.Contains(spec[i+2:], "?=")
}

// dropAddress reports an address left out of the rebuilt field key and
// names the field in the notice: a reader who finds no sender, or fewer
// recipients than were written, must be told why. It is an action, in
// X-Mugai-Sanitized too, as everything the notice says was done is.
func (s *sanitizer) dropAddress(key, kind, detail string) {
	s.finding("", kind, key+": "+detail)
	s.addAction("addresses-removed")
	if !slices.Contains(s.addrDropped, key) {
		s.addrDropped = append(s.addrDropped, key)
	}
}

// localPartLinks reports whether a client would link something in the
// local part of spec, an addr-spec as the header writes it
// (links.InLocalPart). No client links the field itself, but it shows
// the address as written and a reply or forward quotes it into a body,
// as it does a display name (headerText). Unlike a name, an address
// cannot be defanged and stay the sender's, so the caller drops it.
func (s *sanitizer) localPartLinks(spec string) bool {
	return inLocalPart(spec, s.pol.Body.Links)
}

// encodePhrase writes a display name: an atom sequence as it is, other
// ASCII as a quoted string, anything else as encoded words.
func (s *sanitizer) encodePhrase(name string) string {
	switch phraseForm(name) {
	case phraseAtoms:
		return name
	case phraseQuoted:
		return string(appendQuoted(nil, name))
	}
	return string(s.appendPhraseWords(nil, name))
}

// appendPhrase appends encodePhrase(name) to dst.
func (s *sanitizer) appendPhrase(dst []byte, name string) []byte {
	switch phraseForm(name) {
	case phraseAtoms:
		return append(dst, name...)
	case phraseQuoted:
		return appendQuoted(dst, name)
	}
	return s.appendPhraseWords(dst, name)
}

// appendPhraseWords appends name as encoded words, printable ASCII too:
// encodeWords leaves that as it is, which for a name too long to quote
// (phraseForm) put its "," "<" "@" and '"' back into the address list,
// a second sender or a recipient without an address.
func (s *sanitizer) appendPhraseWords(dst []byte, name string) []byte {
	if s.pol.OutputCharset == "iso-2022-jp" {
		if w, ok := iso2022jpWords(name, s.pol.Body.Links); ok {
			return append(dst, w...)
		}
	}
	return appendAllBWords(dst, name)
}

const (
	phraseAtoms = iota
	phraseQuoted
	phraseWords
)

// phraseForm picks how encodePhrase writes name.
func phraseForm(name string) int {
	if isASCII(name) && !strings.Contains(name, "=?") {
		atoms := true
		for _, r := range name {
			if !(r == ' ' || isAtext(r)) {
				atoms = false
				break
			}
		}
		if atoms && len(name) < 200 {
			return phraseAtoms
		}
		if len(name) < 200 {
			return phraseQuoted
		}
	}
	return phraseWords
}

// appendQuoted appends name as a quoted string, '\\' and '"' escaped.
func appendQuoted(dst []byte, name string) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(name); i++ {
		if c := name[i]; c == '\\' || c == '"' {
			dst = append(dst, '\\')
		}
		dst = append(dst, name[i])
	}
	return append(dst, '"')
}

func isAtext(r rune) bool {
	return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || strings.ContainsRune("!#$%&'*+-/=?^_`{|}~", r)
}

// encodeText writes unstructured text (Subject and the like).
func (s *sanitizer) encodeText(t string) string {
	if t == "" {
		return ""
	}
	if isASCII(t) && !strings.Contains(t, "=?") && !hasLongWord(t, 900) {
		return t
	}
	return s.encodeWords(t)
}

// hasLongWord reports a run of more than n bytes without white space.
func hasLongWord(t string, n int) bool {
	if len(t) <= n {
		return false // every header field of a common message: no need to look
	}
	run := 0
	for i := 0; i < len(t); i++ {
		switch t[i] {
		case ' ', '\t', '\n', '\r', '\v', '\f':
			run = 0
		default:
			if run++; run > n {
				return true
			}
		}
	}
	return false
}

// encodeWords writes t as RFC 2047 encoded words: ISO-2022-JP when the
// policy asks for it and every character has a JIS code, UTF-8 otherwise.
func (s *sanitizer) encodeWords(t string) string {
	if s.pol.OutputCharset == "iso-2022-jp" {
		if w, ok := iso2022jpWords(t, s.pol.Body.Links); ok {
			return w
		}
	}
	if !needsEncoding(t) && !strings.Contains(t, "=?") {
		return t
	}
	// Text that reads like an encoded word is encoded all the same (mime
	// would return it as it is): a reader decodes it once and sees the
	// text, rather than decoding what an attacker encoded twice.
	return string(appendBWords(nil, t))
}

// appendWords appends encodeWords(t) to dst.
func (s *sanitizer) appendWords(dst []byte, t string) []byte {
	if s.pol.OutputCharset == "iso-2022-jp" {
		if w, ok := iso2022jpWords(t, s.pol.Body.Links); ok {
			return append(dst, w...)
		}
	}
	return appendBWords(dst, t)
}

// fitFirstWord splits the first word of a field's value in two, at a
// character boundary, when it is an encoded word this package wrote that
// does not fit the field's first line beside "Key: ": RFC 2047 2 allows a
// line with an encoded word 76 characters, and a 75-character word after
// "Subject: " made 84. The field is not folded after its colon instead,
// which some parsers take for an empty value. The value is returned as
// it is when no split fits.
func fitFirstWord(key, v string) string {
	budget := 76 - len(key) - 2
	word, rest, more := strings.Cut(v, " ")
	if len(word) <= budget || !strings.HasPrefix(word, "=?") {
		return v
	}
	var prefix string
	switch {
	case strings.HasPrefix(word, "=?utf-8?b?"):
		prefix = "=?utf-8?b?"
	case strings.HasPrefix(word, "=?ISO-2022-JP?B?"):
		prefix = "=?ISO-2022-JP?B?"
	default:
		return v
	}
	if !strings.HasSuffix(word, "?=") || len(word) < len(prefix)+2 {
		return v
	}
	text, err := base64.StdEncoding.DecodeString(word[len(prefix) : len(word)-2])
	if err != nil {
		return v
	}
	encode := func(t []byte) (string, bool) { return prefix + base64.StdEncoding.EncodeToString(t) + "?=", true }
	if prefix != "=?utf-8?b?" {
		if text, err = japanese.ISO2022JP.NewDecoder().Bytes(text); err != nil {
			return v
		}
		encode = func(t []byte) (string, bool) {
			b, bad := encodeISO2022JP(string(t))
			return prefix + base64.StdEncoding.EncodeToString(b) + "?=", bad == 0
		}
	}
	// The longest head, at a character boundary, whose word fits.
	for n := len(text) - 1; n > 0; n-- {
		if !utf8.RuneStart(text[n]) {
			continue
		}
		head, ok := encode(text[:n])
		if !ok || len(head) > budget {
			continue
		}
		tail, ok := encode(text[n:])
		if !ok || len(tail) > 75 {
			return v
		}
		if more {
			return head + " " + tail + " " + rest
		}
		return head + " " + tail
	}
	return v
}

// iso2022jpWords splits t into encoded words of at most 75 characters,
// each a complete ISO-2022-JP sequence ending in ASCII (RFC 1468).
func iso2022jpWords(t, links string) (string, bool) {
	const prefix, suffix = "=?ISO-2022-JP?B?", "?="
	var words []string
	// Prepared before it is split: a voiced mark (ｶﾞ, テ U+3099) parted
	// from its kana would be encoded apart, as ゛. Its links neutralised
	// again, as the text's are (bodyText.isoPrepared).
	p := prepareISO2022JP(t)
	if p != t && links != "keep" {
		p, _ = rewriteLinks(p, links)
	}
	runes := []rune(p)
	for len(runes) > 0 {
		n := min(len(runes), 20)
		var enc []byte
		for {
			b, bad := encodeISO2022JP(string(runes[:n]))
			if bad > 0 {
				return "", false
			}
			if len(prefix)+base64.StdEncoding.EncodedLen(len(b))+len(suffix) <= 75 || n == 1 {
				enc = b
				break
			}
			n--
		}
		words = append(words, prefix+base64.StdEncoding.EncodeToString(enc)+suffix)
		runes = runes[n:]
	}
	return strings.Join(words, " "), true
}

func (s *sanitizer) dateValue(key, raw string) string {
	raw = strings.TrimSpace(raw)
	// The form nearly every client writes, parsed directly: net/mail
	// tries its 48 layouts in turn, paying an error value for each miss.
	// Where this layout parses, net/mail's reading is the same time.
	if t, err := time.Parse("Mon, 2 Jan 2006 15:04:05 -0700", raw); err == nil && zoneFits(t) {
		return t.Format(dateLayout)
	}
	zoned, known := numericZone(raw)
	t, err := netmail.ParseDate(zoned)
	if err != nil || !zoneFits(t) {
		s.finding("", "date-unparseable", key+": "+truncate(cleanString(raw), 80))
		return ""
	}
	if !known {
		s.finding("", "date-zone-unknown", key+": "+truncate(cleanString(raw), 80))
	}
	if t.Year() >= 2050 && twoDigitYear(zoned) {
		t = t.AddDate(-100, 0, 0) // RFC 5322 4.3: 50 to 99 are 1950 to 1999
	}
	return t.Format(dateLayout)
}

// zoneFits reports whether t's zone offset is one a Date can be written
// with and read back: time.Parse takes "+2460" as 25 hours, which it
// would write as "+2500", and no parser reads that.
func zoneFits(t time.Time) bool {
	_, off := t.Zone()
	return off >= -24*3600 && off <= 24*3600
}

// dateLayout is how the rebuilt message writes a Date.
const dateLayout = "Mon, 02 Jan 2006 15:04:05 -0700"

// requiredFields adds to the rebuilt header the fields RFC 5322 3.6
// requires (From, Date) or asks for (Message-ID) where the original gave
// none that the allow-list let through. A reader's client sorts, threads and
// removes duplicates by them: without a Date, Outlook and Thunderbird
// show the time of arrival or nothing, and mail servers behind the
// gateway differ on whether they add one. The Date written is when the
// gateway received the message; the Message-ID is made from the
// gateway's queue id (or the quarantine id), an operator's key to the
// message, and the gateway's host name. The From is the envelope sender,
// which the sending server gave for the message as a header From is
// given, where it passes the checks a From address does; the notice
// says so, as a reader who replies writes to it. Else the reader gets a
// From that says no sender is known and takes no reply.
func (s *sanitizer) requiredFields(out []field) []field {
	var from, date, id bool
	for _, f := range out {
		switch f.key {
		case "From":
			from = true
		case "Date":
			date = true
		case "Message-Id":
			id = true
		}
	}
	if !from {
		v, ok := s.senderAddress(s.opt.Sender)
		s.fromWritten = "envelope"
		detail := "the envelope sender is written"
		if !ok {
			v, s.fromWritten, detail = UnknownSender, "unknown", "no usable envelope sender; "+UnknownSender+" is written"
		}
		if slices.Contains(s.pol.order, "From") {
			what := "none"
			if s.root.Has("From") {
				what = "no usable address" // dropAddress or address-unparseable said why
			}
			s.finding("", "from-missing", "From: "+what+"; "+detail)
		} else {
			s.fromWritten = "" // the policy's choice, not the original's lack
		}
		if s.fromWritten != "" {
			// The notice says so; a filter on the LGWAN side reads it
			// in X-Mugai-Sanitized, as every change the notice names.
			s.addAction("from-written")
		}
		// First after the trace fields, where a header has it.
		i := 0
		for i < len(out) && out[i].key == "Received" {
			i++
		}
		out = slices.Insert(out, i, field{"From", v})
	}
	if !date {
		// One that is there but does not parse was reported by dateValue.
		if slices.Contains(s.pol.order, "Date") && !s.root.Has("Date") {
			s.finding("", "date-missing", "Date: none; the time received is written")
		}
		t := s.opt.Received
		if t.IsZero() {
			t = time.Now()
		}
		out = append(out, field{"Date", t.Format(dateLayout)})
	}
	if !id {
		if slices.Contains(s.pol.order, "Message-Id") {
			raw := s.root.Get("Message-Id")
			detail := "Message-ID: none"
			if s.root.Has("Message-Id") {
				detail = "Message-ID: no message identifier in " + truncate(cleanString(raw), 80)
			}
			s.finding("", "message-id-missing", detail+"; one is made")
		}
		out = append(out, field{"Message-Id", madeMessageID(s.opt.Hostname, s.opt.QueueID, s.opt.OriginalID)})
	}
	return out
}

// UnknownSender is the From of a rebuilt message whose original has no
// usable From and whose envelope sender (Options.Sender) is null or
// unusable: a reply to it fails at once (RFC 2606 .invalid) rather than
// reaching anyone.
const UnknownSender = "undisclosed-sender@mugai.invalid"

// senderAddress is the envelope sender as a From address: a dot-atom
// local part (what the gateway takes at MAIL FROM; one that would need
// quoting is not taken) and a host name, IDNA-encoded where it is not
// ASCII, or an IPv4 literal, with the checks formatAddress holds a From
// address to (no link in the local part, no encoded word). Unlike
// formatAddress it reports nothing, as the envelope is not the header.
// A quarantined original from before the gateway's MAIL FROM checks
// were as strict is released with its envelope too, so nothing is
// taken on trust.
func (s *sanitizer) senderAddress(sender string) (string, bool) {
	at := strings.LastIndexByte(sender, '@')
	if at <= 0 || at == len(sender)-1 || len(sender) > 254 {
		return "", false
	}
	local, domain := sender[:at], sender[at+1:]
	if !isDotAtom(local) {
		return "", false
	}
	for i := 0; i < len(local); i++ {
		if !isAtomByte(local[i]) {
			return "", false
		}
	}
	switch {
	case strings.HasPrefix(domain, "["):
		ip, err := netip.ParseAddr(strings.TrimSuffix(domain[1:], "]"))
		if err != nil || !ip.Is4() || !strings.HasSuffix(domain, "]") {
			return "", false
		}
	case !isASCII(domain):
		d, err := idna.Lookup.ToASCII(domain)
		if err != nil || !asciiDomain(d) {
			return "", false
		}
		domain = d
	case !asciiDomain(domain):
		return "", false
	}
	spec := local + "@" + domain
	if s.localPartLinks(spec) || encodedWordSpec(spec) {
		return "", false
	}
	return spec, true
}

// madeMessageID is a Message-ID for a rebuilt message whose original has
// none: "<mugai.ID@HOST>" with the first of ids that is left with 1 to 64
// characters once only letters, digits, "-" and "_" are kept (so that it
// is a dot-atom), or random hex. A host name that is no ASCII domain
// gives way to "mugai.invalid" (RFC 2606).
func madeMessageID(host string, ids ...string) string {
	left := ""
	for _, id := range ids {
		left = strings.Map(func(r rune) rune {
			if r < 0x80 && (r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
				return r
			}
			return -1
		}, id)
		if left != "" && len(left) <= 64 {
			break
		}
		left = ""
	}
	if left == "" {
		var b [12]byte
		rand.Read(b[:])
		left = hex.EncodeToString(b[:])
	}
	host = strings.TrimSuffix(strings.TrimSpace(host), ".")
	if !asciiDomain(host) {
		host = "mugai.invalid"
	}
	return "<mugai." + left + "@" + host + ">"
}

// asciiDomain reports whether name is a host name of letters, digits and
// hyphens in dot-separated labels, as a Message-ID's right side may be.
func asciiDomain(name string) bool {
	if name == "" || len(name) > 253 {
		return false
	}
	for _, label := range strings.Split(name, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			if !isLDH(label[i]) {
				return false
			}
		}
	}
	return true
}

// zoneNames are the zone names RFC 5322 4.3 (obs-zone) gives offsets
// for, and JST, which Japanese mailers wrote and Thunderbird (NSPR's
// PR_ParseTimeString) reads as +0900. time.Parse, under net/mail, takes
// any name it does not know for UT with offset 0: "10:00 JST" came out
// as "10:00 +0000", nine hours late in every client.
var zoneNames = map[string]string{
	"UT": "+0000", "GMT": "+0000", "UTC": "+0000",
	"EST": "-0500", "EDT": "-0400", "CST": "-0600", "CDT": "-0500",
	"MST": "-0700", "MDT": "-0600", "PST": "-0800", "PDT": "-0700",
	"JST": "+0900",
}

// numericZone returns raw with a zone name at its end written as the
// offset it stands for (and a comment after the name left out), or raw
// as it is. A name after a numeric zone ("+0900 JST") is a remark and
// left to the parser, which reads the number. known is false for a name
// RFC 5322 gives no offset for: it reads such a zone as "-0000", UT with
// the local zone unknown, and so does this.
func numericZone(raw string) (string, bool) {
	// A comment after the zone ("JST (Japan)") is the parser's to skip,
	// and no part of the zone.
	base := raw
	for strings.HasSuffix(base, ")") {
		j := strings.LastIndexByte(base, '(')
		if j < 0 {
			break
		}
		base = strings.TrimRight(base[:j], " \t")
	}
	i := strings.LastIndexAny(base, " \t")
	if i < 0 {
		return raw, true
	}
	name := base[i+1:]
	if name == "" || len(name) > 5 {
		return raw, true
	}
	for j := 0; j < len(name); j++ {
		if c := name[j] | 0x20; c < 'a' || c > 'z' {
			return raw, true
		}
	}
	if prev := strings.TrimRight(base[:i], " \t"); len(prev) >= 5 && (prev[len(prev)-5] == '+' || prev[len(prev)-5] == '-') {
		return raw, true
	}
	off, ok := zoneNames[strings.ToUpper(name)]
	if !ok {
		off = "-0000"
	}
	return base[:i+1] + off, ok
}

// twoDigitYear reports a date whose year, the third of day, month and
// year after an optional day name, has two digits.
func twoDigitYear(raw string) bool {
	f := strings.Fields(raw)
	if len(f) > 0 && strings.HasSuffix(f[0], ",") {
		f = f[1:]
	} else if len(f) > 1 && f[1] == "," {
		f = f[2:]
	}
	return len(f) >= 3 && len(f[2]) == 2 && f[2][0] >= '0' && f[2][0] <= '9' && f[2][1] >= '0' && f[2][1] <= '9'
}

// msgIDs finds the tokens of the form <[!-;=?-~]{1,250}> in raw, leftmost
// first, not overlapping: a well-formed "<id>". Of more than max it keeps
// the first and the last max-1, as RFC 5537 3.4.4 trims References: the
// first is a thread's root, the last the parent a client threads a reply
// under (RFC 5322 3.6.4); the first max lost the parent of a reply deep in
// a long discussion.
func msgIDs(raw string, max int) []string {
	var ids []string
	next := 1 // where the next id goes once ids is full: ids[1:] is a ring
	for i := 0; i < len(raw); {
		j := strings.IndexByte(raw[i:], '<')
		if j < 0 {
			break
		}
		start := i + j
		k := start + 1
		for k < len(raw) && raw[k] >= '!' && raw[k] <= '~' && raw[k] != '<' && raw[k] != '>' {
			k++
		}
		if n := k - start - 1; k < len(raw) && raw[k] == '>' && n >= 1 && n <= 250 {
			switch {
			case len(ids) < max:
				ids = append(ids, raw[start:k+1])
			case max == 1:
				return ids
			default:
				ids[next] = raw[start : k+1]
				if next++; next == max {
					next = 1
				}
			}
			i = k + 1
			continue
		}
		i = start + 1
	}
	if next > 1 {
		// The ring's oldest entry is at next: rotate it to ids[1].
		slices.Reverse(ids[1:next])
		slices.Reverse(ids[next:])
		slices.Reverse(ids[1:])
	}
	return ids
}

// msgIDValue keeps the well-formed <id> tokens of a Message-ID,
// In-Reply-To or References field.
func msgIDValue(raw string, one bool) string {
	limit := 200
	if one {
		limit = 1
	}
	ids := msgIDs(raw, limit)
	if len(ids) == 0 {
		t := strings.TrimSpace(raw)
		if strings.Count(t, "@") == 1 && len(t) <= 250 && !strings.ContainsAny(t, " \t<>\"") && isASCII(t) && utf8.ValidString(t) && !hasControl(t) {
			ids = []string{"<" + t + ">"}
		}
	}
	if len(ids) == 0 {
		return ""
	}
	if one {
		ids = ids[:1]
	}
	return strings.Join(ids, " ")
}

func hasControl(t string) bool {
	for i := 0; i < len(t); i++ {
		if t[i] < 0x20 || t[i] == 0x7f {
			return true
		}
	}
	return false
}

func itoa(n int) string { return strconv.Itoa(n) }

// rereadWords takes decoded header text that still reads like encoded
// words (a display name quoting an encoded word, which many clients
// decode, or text encoded twice) and decodes it again, as a reader's
// client would, and cleans it: the text that is checked and written is
// the text the reader would see. A few rounds at most; whatever still
// reads like an encoded word after them is encoded on output
// (encodeWords) and so shown as it is.
// reread is rereadWords for a field of the rebuilt header, with a finding
// when the text read like encoded words: someone encoded it twice, or
// quoted an encoded word.
func (s *sanitizer) reread(key, t string) string {
	if !strings.Contains(t, "=?") {
		return t
	}
	s.encodedTwice(key)
	return rereadWords(t)
}

// headerText neutralises the links of a header field's text other than
// the Subject's: a display name or an unstructured field. No client links
// them in the header, but a reply or forward quotes them into a body,
// and a display name written as a URL is a phishing lure.
func (s *sanitizer) headerText(t string) string {
	mode := s.pol.Body.Links
	if mode == "keep" || t == "" {
		return t
	}
	out, n := rewriteLinks(t, mode)
	if n > 0 {
		s.headerLinks = true
	}
	return out
}

// encodedTwice records it, once per field name.
func (s *sanitizer) encodedTwice(key string) {
	detail := key + ": decoded text read as encoded words; decoded again and cleaned"
	for _, f := range s.rep.Findings {
		if f.Kind == "encoded-word-in-text" && f.Detail == detail {
			return
		}
	}
	s.finding("", "encoded-word-in-text", detail)
}

func rereadWords(t string) string {
	for i := 0; i < 3 && strings.Contains(t, "=?"); i++ {
		d, _ := decodeHeaderText(t)
		if d = cleanString(d); d == t {
			break
		}
		t = d
	}
	return t
}

// collapseSpace is strings.Join(strings.Fields(v), " "), without the
// slice when v is already single-spaced.
func collapseSpace(v string) string {
	single := true
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == ' ' && (i == 0 || i == len(v)-1 || v[i+1] == ' ') || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' || c >= 0x80 {
			single = false
			break
		}
	}
	if single {
		return v
	}
	return strings.Join(strings.Fields(v), " ")
}
