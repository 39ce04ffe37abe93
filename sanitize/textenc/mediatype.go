package textenc

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// ErrNoMediaType is returned by ParseMediaType for a value without a type.
var ErrNoMediaType = errors.New("textenc: no media type")

// maxSections bounds RFC 2231 continuation numbers.
const maxSections = 1000

// ParseMediaType parses a Content-Type or Content-Disposition value like
// mime.ParseMediaType, leniently, as mail clients read them:
//   - RFC 2231 extended values in any charset this package knows
//     (filename*=iso-2022-jp'ja'%1B%24B..., shift_jis'ja'%82%A0) and
//     continuations (filename*0*=, filename*1=), charset detected when
//     the label is missing or wrong;
//   - RFC 2047 encoded words and raw 8-bit text inside values
//     (name="=?UTF-8?B?...?="), as DecodeHeader decodes them;
//   - missing quotes, unterminated quotes, stray and trailing semicolons.
//
// Parameter names are lowercased. A parameter given more than once
// (boundary twice, or filename and filename* with different values) is a
// param-duplicate finding and the first value in the header is returned:
// the caller decides what the ambiguity means. The boundary value is
// returned exactly as written (no decoding), since it must match the body
// byte for byte. err is non-nil only when the type itself is missing or
// malformed; params are returned even then.
func ParseMediaType(v string) (mediaType string, params map[string]string, findings []Finding, err error) {
	var fs findingSet
	v = unfold(v)
	mt, rest, _ := strings.Cut(v, ";")
	mt = strings.ToLower(strings.TrimSpace(stripComment(mt)))
	if i := indexBlank(mt); i >= 0 {
		if before, after, ok := strings.Cut(mt, "/"); ok && strings.TrimSpace(before) != "" && !strings.ContainsAny(strings.TrimSpace(after), " \t") {
			// "text / plain"
			mt = strings.TrimSpace(before) + "/" + strings.TrimSpace(after)
		} else {
			// "text/plain charset=utf-8": a ';' is missing.
			fs.add(Finding{KindParamInvalid, "missing ';' after the media type"})
			rest = mt[i:] + ";" + rest
			mt = mt[:i]
		}
	}
	switch {
	case mt == "":
		err = ErrNoMediaType
	case !validMediaType(mt):
		err = fmt.Errorf("textenc: invalid media type %q", clip(mt, 64))
		mt = ""
	}
	params = parseParams(rest, &fs)
	return mt, params, fs.list, err
}

// indexBlank is strings.IndexAny(s, " \t") without building a set for
// every call.
func indexBlank(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' || s[i] == '\t' {
			return i
		}
	}
	return -1
}

// stripComment removes an RFC 822 comment that follows a token
// ("us-ascii (Plain text)", RFC 2045 5.1); a parenthesis inside a value
// ("report(1).pdf", "my file (2).txt") is left alone.
func stripComment(v string) string {
	tok, rest, ok := strings.Cut(strings.TrimSpace(v), " ")
	if ok && !strings.ContainsAny(tok, "()") && isComment(strings.TrimSpace(rest)) {
		return tok
	}
	return v
}

func isComment(s string) bool {
	return strings.HasPrefix(s, "(") && strings.HasSuffix(s, ")")
}

func validMediaType(mt string) bool {
	typ, sub, hasSlash := strings.Cut(mt, "/")
	if !isToken(typ) {
		return false
	}
	return !hasSlash || isToken(sub)
}

func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !tokenByte[s[i]] {
			return false
		}
	}
	return true
}

// tokenByte holds the bytes of an RFC 2045 token: printable ASCII but
// the tspecials. A table, as every media type is checked byte by byte.
var tokenByte = func() (t [256]bool) {
	for c := 0x21; c < 0x7f; c++ {
		t[c] = !strings.ContainsRune(`()<>@,;:\"/[]?=`, rune(c))
	}
	return t
}()

// paramGroup gathers every form of one parameter.
type paramGroup struct {
	base     string
	first    int // order of first appearance
	plain    []paramValue
	ext      []paramValue
	sections map[int][]paramValue
	secFirst int
}

type paramValue struct {
	order int
	raw   string
	ext   bool // an RFC 2231 extended (percent-encoded) section
}

// rawParam is one parameter as written, its name split.
type rawParam struct {
	base    string
	raw     string
	ext     bool
	section int // -1 when none
}

func parseParams(s string, fs *findingSet) map[string]string {
	// A header value carries a handful of parameters: gathered on the
	// stack, they need no grouping when each name is plain and given once,
	// which is how nearly all mail writes them.
	var buf [8]rawParam
	list := buf[:0]
	simple := true
	for i := 0; i < len(s); {
		for i < len(s) && (s[i] == ';' || s[i] == ' ' || s[i] == '\t') {
			i++
		}
		if i >= len(s) {
			break
		}
		start := i
		for i < len(s) && s[i] != '=' && s[i] != ';' && s[i] != ' ' && s[i] != '\t' {
			i++
		}
		name := strings.ToLower(s[start:i])
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		if i >= len(s) || s[i] != '=' {
			fs.add(Finding{KindParamInvalid, fmt.Sprintf("parameter %q without a value", clip(name, 40))})
			for i < len(s) && s[i] != ';' {
				i++
			}
			continue
		}
		i++ // '='
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		var val string
		if i < len(s) && s[i] == '"' {
			i++
			closed := false
			// Without a quoted-pair or ISO-2022-JP the value is the text
			// up to the closing quote as it stands: no copy.
			k := i
			for k < len(s) && s[k] != '"' && s[k] != '\\' && s[k] != 0x1b {
				k++
			}
			if k < len(s) && s[k] == '"' {
				val, i, closed = s[i:k], k+1, true
			} else {
				val, i, closed = unquote(s, i)
			}
			if !closed {
				fs.add(Finding{KindParamInvalid, fmt.Sprintf("unterminated quoted value of %q", clip(name, 40))})
			}
			j := i
			for j < len(s) && s[j] != ';' {
				j++
			}
			if after := strings.TrimSpace(s[i:j]); after != "" && !isComment(after) {
				fs.add(Finding{KindParamInvalid, fmt.Sprintf("text after the quoted value of %q ignored", clip(name, 40))})
			}
			i = j
		} else {
			j, jis := i, false
			for j < len(s) && (s[j] != ';' || jis) {
				if s[j] == 0x1b || jis {
					jis = jisShift(s[j:], jis)
				}
				j++
			}
			val = strings.TrimSpace(stripComment(s[i:j]))
			i = j
		}
		if name == "" {
			fs.add(Finding{KindParamInvalid, "parameter without a name"})
			continue
		}

		base, ext, section := splitParamName(name)
		if base == "" {
			fs.add(Finding{KindParamInvalid, "parameter without a name"})
			continue
		}
		if section >= maxSections {
			fs.add(Finding{KindParamInvalid, fmt.Sprintf("continuation number of %q too large", clip(name, 40))})
			continue
		}
		if ext || section >= 0 {
			simple = false
		}
		list = append(list, rawParam{base: base, raw: val, ext: ext, section: section})
	}

	if simple && len(list) <= len(buf) && distinctBases(list) {
		params := make(map[string]string, len(list))
		for _, p := range list {
			params[p.base] = decodePlain(p.base, p.raw, fs)
		}
		return params
	}
	return groupParams(list, fs)
}

// unquote reads a quoted value from s[i:], just after its opening quote,
// through the closing quote; closed is false when there is none.
func unquote(s string, i int) (val string, next int, closed bool) {
	var b strings.Builder
	jis := false
	for i < len(s) {
		c := s[i]
		if c == 0x1b || jis {
			// Raw ISO-2022-JP (old Japanese mailers): its
			// two-byte text may contain '"' and '\\'.
			jis = jisShift(s[i:], jis)
			b.WriteByte(c)
			i++
			continue
		}
		if c == '\\' && i+1 < len(s) {
			b.WriteByte(s[i+1])
			i += 2
			continue
		}
		i++
		if c == '"' {
			closed = true
			break
		}
		b.WriteByte(c)
	}
	return b.String(), i, closed
}

func distinctBases(list []rawParam) bool {
	for i := range list {
		for j := i + 1; j < len(list); j++ {
			if list[i].base == list[j].base {
				return false
			}
		}
	}
	return true
}

// groupParams gathers every form of each parameter (plain, RFC 2231
// extended, continuations, duplicates) and resolves each to one value.
func groupParams(list []rawParam, fs *findingSet) map[string]string {
	groups := map[string]*paramGroup{}
	var order []*paramGroup
	for n, p := range list {
		g := groups[p.base]
		if g == nil {
			g = &paramGroup{base: p.base, first: n, secFirst: -1}
			groups[p.base] = g
			order = append(order, g)
		}
		pv := paramValue{order: n, raw: p.raw, ext: p.ext}
		switch {
		case p.section >= 0:
			if g.sections == nil {
				g.sections = map[int][]paramValue{}
				g.secFirst = n
			}
			g.sections[p.section] = append(g.sections[p.section], pv)
		case p.ext:
			g.ext = append(g.ext, pv)
		default:
			g.plain = append(g.plain, pv)
		}
	}

	params := make(map[string]string, len(order))
	for _, g := range order {
		params[g.base] = g.resolve(fs)
	}
	return params
}

// jisShift returns the ISO-2022-JP shift state after the byte at s[0]:
// a designation of a two-byte or katakana set shifts out of ASCII, ESC ( B
// or ESC ( J back, a line end resets.
func jisShift(s string, in bool) bool {
	switch {
	case s[0] == '\r' || s[0] == '\n':
		return false
	case s[0] != 0x1b:
		return in
	case isJISEscape([]byte(s[:min(len(s), 4)])):
		return true
	case strings.HasPrefix(s, "\x1b(B"), strings.HasPrefix(s, "\x1b(J"):
		return false
	}
	return in
}

// splitParamName splits "filename*1*" into base "filename", ext true,
// section 1; section is -1 when there is none.
func splitParamName(name string) (base string, ext bool, section int) {
	base, section = name, -1
	if strings.HasSuffix(base, "*") {
		ext = true
		base = base[:len(base)-1]
	}
	if k := strings.LastIndexByte(base, '*'); k >= 0 {
		num := base[k+1:]
		if num != "" && len(num) <= 6 && strings.Trim(num, "0123456789") == "" {
			section, _ = strconv.Atoi(num)
			base = base[:k]
		}
	}
	return base, ext, section
}

// candidate values of a parameter, in header order.
type paramCandidate struct {
	order int
	form  string
	value string
}

func (g *paramGroup) resolve(fs *findingSet) string {
	var cands []paramCandidate
	for _, p := range g.plain {
		cands = append(cands, paramCandidate{p.order, g.base, decodePlain(g.base, p.raw, fs)})
	}
	for _, p := range g.ext {
		cands = append(cands, paramCandidate{p.order, g.base + "*", decodeExtended(p.raw, true, fs)})
	}
	if g.sections != nil {
		cands = append(cands, paramCandidate{g.secFirst, g.base + "*0...", g.joinSections(fs)})
	}
	slices.SortStableFunc(cands, func(a, b paramCandidate) int { return cmp.Compare(a.order, b.order) })

	if len(g.plain) > 1 {
		fs.add(dupFinding(g.base, len(g.plain), valuesOf(cands, g.base)))
	}
	if len(g.ext) > 1 {
		fs.add(dupFinding(g.base+"*", len(g.ext), valuesOf(cands, g.base+"*")))
	}
	if len(g.ext) > 0 && g.sections != nil {
		fs.add(Finding{KindParamDuplicate, fmt.Sprintf("%s given both as %s* and in continuations", g.base, g.base)})
	}
	if len(g.plain) > 0 && (len(g.ext) > 0 || g.sections != nil) {
		for _, c := range cands[1:] {
			if c.value != cands[0].value {
				fs.add(Finding{KindParamDuplicate, fmt.Sprintf("%s and %s differ: %q, %q; the first is used",
					cands[0].form, c.form, clip(cands[0].value, 64), clip(c.value, 64))})
				break
			}
		}
	}
	return cands[0].value
}

func valuesOf(cands []paramCandidate, form string) []string {
	var out []string
	for _, c := range cands {
		if c.form == form {
			out = append(out, c.value)
		}
	}
	return out
}

func dupFinding(form string, n int, values []string) Finding {
	same := true
	for _, v := range values[1:] {
		if v != values[0] {
			same = false
		}
	}
	if same {
		return Finding{KindParamDuplicate, fmt.Sprintf("%s given %d times with the same value", form, n)}
	}
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = strconv.Quote(clip(v, 64))
	}
	return Finding{KindParamDuplicate, fmt.Sprintf("%s given %d times: %s; the first is used", form, n, strings.Join(quoted, ", "))}
}

// decodePlain decodes RFC 2047 words and 8-bit text in a plain value; the
// boundary stays byte for byte.
func decodePlain(base, v string, fs *findingSet) string {
	if base == "boundary" || !needsDecoding(v) {
		return v
	}
	return decodeText(v, fs)
}

// decodeExtended decodes an RFC 2231 value "charset'lang'%XX..." (withCS)
// or a later continuation section (percent-encoding only, !withCS).
func decodeExtended(v string, withCS bool, fs *findingSet) string {
	cs, text := "", v
	if withCS {
		var ok bool
		cs, text, ok = splitCharset(v)
		if !ok {
			fs.add(Finding{KindParamInvalid, "RFC 2231 value without charset'language' prefix"})
		}
	}
	return decodeCharset(cs, percentDecode(text), fs)
}

// splitCharset splits "charset'lang'text".
func splitCharset(v string) (cs, text string, ok bool) {
	i := strings.IndexByte(v, '\'')
	if i < 0 {
		return "", v, false
	}
	j := strings.IndexByte(v[i+1:], '\'')
	if j < 0 {
		return "", v, false
	}
	return v[:i], v[i+1+j+1:], true
}

func decodeCharset(cs string, b []byte, fs *findingSet) string {
	text, d, n := decodeBytes(cs, b)
	for _, f := range d.findings {
		fs.add(f)
	}
	if n > 0 {
		fs.add(invalidFinding(n, d.codec.name))
	}
	return clean(text)
}

// percentDecode decodes %XX; a '%' not followed by two hex digits stays.
func percentDecode(s string) []byte {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && hexVal(s[i+1]) >= 0 && hexVal(s[i+2]) >= 0 {
			out = append(out, byte(hexVal(s[i+1])<<4|hexVal(s[i+2])))
			i += 2
			continue
		}
		out = append(out, s[i])
	}
	return out
}

// joinSections concatenates RFC 2231 continuations in number order.
func (g *paramGroup) joinSections(fs *findingSet) string {
	nums := make([]int, 0, len(g.sections))
	for k := range g.sections {
		nums = append(nums, k)
	}
	sort.Ints(nums)
	for i, k := range nums {
		if k != i {
			fs.add(Finding{KindParamInvalid, fmt.Sprintf("continuations of %q are not numbered 0, 1, 2...", clip(g.base, 40))})
			break
		}
	}
	anyExt := false
	for _, k := range nums {
		if len(g.sections[k]) > 1 {
			fs.add(Finding{KindParamDuplicate, fmt.Sprintf("%s*%d given %d times; the first is used", g.base, k, len(g.sections[k]))})
		}
		if g.sections[k][0].ext {
			anyExt = true
		}
	}
	if !anyExt {
		// Plain continuations: ASCII, or encoded words split over them.
		var b strings.Builder
		for _, k := range nums {
			b.WriteString(g.sections[k][0].raw)
		}
		return decodePlain(g.base, b.String(), fs)
	}
	cs := ""
	var raw []byte
	for i, k := range nums {
		p := g.sections[k][0]
		text := p.raw
		if i == 0 && p.ext {
			var ok bool
			cs, text, ok = splitCharset(p.raw)
			if !ok {
				fs.add(Finding{KindParamInvalid, "RFC 2231 value without charset'language' prefix"})
			}
		}
		if p.ext {
			raw = append(raw, percentDecode(text)...)
		} else {
			raw = append(raw, text...)
		}
	}
	return decodeCharset(cs, raw, fs)
}
