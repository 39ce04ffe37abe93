package sanitize

import (
	"bufio"
	"strings"

	"github.com/emersion/go-message/textproto"
)

// partHeader is what the walker needs from one part's header, read the way
// that is most dangerous when readings differ.
type partHeader struct {
	h textproto.Header

	mediaType   string            // lowercased; the default when absent
	params      map[string]string // Content-Type parameters
	declared    string            // Content-Type as declared, for the report
	disposition string            // lowercased; "" when absent
	cte         string            // lowercased, trimmed
	filename    string            // decoded; Content-Disposition filename, else Content-Type name
	names       []string          // every distinct decoded filename reading
	boundary    string
	// multipart is a multipart reading among duplicate Content-Type fields
	// (its media type and boundary): the most dangerous reading, walked
	// for the report though nothing under it is delivered.
	multipart, multipartBoundary string
	typeValues                   []string // every Content-Type value
	cteValues, dispValues        []string

	ambiguous []string  // ambiguity kinds (policy Ambiguous decides)
	findings  []Finding // other observations (Path filled in by the caller)
}

// detail explains an ambiguity kind found in this header.
func (ph *partHeader) detail(kind string) string {
	j := func(l []string) string { return truncate(strings.Join(l, " | "), 200) }
	switch kind {
	case "duplicate-content-type", "content-type-unparseable", "duplicate-boundary", "conflicting-boundary":
		return j(ph.typeValues)
	case "duplicate-content-transfer-encoding":
		return j(ph.cteValues)
	case "duplicate-content-disposition":
		return j(ph.dispValues)
	case "filename-conflict":
		return j(ph.names)
	}
	return ""
}

// readHeaderBlock reads a header block up to and including its empty line.
// tooBig is set (and reading stops) past max bytes.
func readHeaderBlock(raw []byte, br *bufio.Reader, max int) ([]byte, bool) {
	atStart := true
	for {
		line, err := br.ReadSlice('\n')
		if len(raw)+len(line) > max {
			return raw, true
		}
		if atStart && len(line) == 2 && line[0] == '\r' && line[1] == '\n' {
			raw = append(raw, line...)
			return raw, false
		}
		raw = append(raw, line...)
		if err == bufio.ErrBufferFull {
			atStart = false
			continue
		}
		if err != nil {
			return raw, false
		}
		atStart = true
	}
}

// analyse reads the MIME fields of h. defaultType is text/plain, or
// message/rfc822 inside multipart/digest (RFC 2046 5.1.5).
func analyse(h textproto.Header, defaultType string) *partHeader {
	ph := &partHeader{h: h, mediaType: defaultType}

	cts, ctes, cds := mimeFields(h)
	if len(cts) > 1 {
		ph.ambiguous = append(ph.ambiguous, "duplicate-content-type")
	}
	if len(ctes) > 1 {
		ph.ambiguous = append(ph.ambiguous, "duplicate-content-transfer-encoding")
	}
	if len(cds) > 1 {
		ph.ambiguous = append(ph.ambiguous, "duplicate-content-disposition")
	}
	if len(ctes) > 0 {
		ph.cte = strings.ToLower(strings.TrimSpace(ctes[0]))
		if i := strings.IndexAny(ph.cte, " \t;("); i >= 0 {
			ph.cte = ph.cte[:i]
		}
	}

	var ctNames []string
	if len(cts) > 0 && strings.TrimSpace(cts[0]) != "" {
		v := cts[0]
		ph.declared = strings.Join(cts, " | ")
		mt, params, fs, err := parseMediaType(v)
		for _, f := range fs {
			ph.findings = append(ph.findings, Finding{Kind: f.Kind, Detail: "Content-Type: " + f.Detail})
		}
		if err != nil || !validMediaType(mt) {
			ph.ambiguous = append(ph.ambiguous, "content-type-unparseable")
			mt = strings.ToLower(strings.TrimSpace(strings.SplitN(v, ";", 2)[0]))
			if !validMediaType(mt) {
				mt = "application/octet-stream"
			}
		}
		ph.mediaType = mt
		ph.params = params
		raw := scanParams(v)
		if strings.HasPrefix(mt, "multipart/") {
			plain, ext, hasExt := paramForms(raw, "boundary")
			switch {
			case len(plain) > 1:
				ph.ambiguous = append(ph.ambiguous, "duplicate-boundary")
			case hasExt && len(plain) == 1 && ext != plain[0]:
				ph.ambiguous = append(ph.ambiguous, "conflicting-boundary")
			}
			ph.boundary = params["boundary"]
			if ph.boundary == "" && len(plain) > 0 {
				ph.boundary = plain[0]
			}
		}
		ctNames = nameReadings(raw, "name", params["name"])
	} else if len(cts) > 0 {
		ph.declared = ""
	}
	// Every reading of the type, for the report and for the most
	// dangerous reading: a multipart hiding behind a leaf type.
	ph.typeValues = cts
	ph.cteValues = ctes
	ph.dispValues = cds
	if len(cts) > 1 {
		for _, v := range cts {
			mt, params, _, err := parseMediaType(v)
			if err == nil && strings.HasPrefix(mt, "multipart/") && params["boundary"] != "" {
				ph.multipart, ph.multipartBoundary = mt, params["boundary"]
				break
			}
		}
		if !strings.HasPrefix(ph.mediaType, "multipart/") && ph.multipart != "" {
			ph.mediaType = "application/octet-stream"
		}
	}

	var cdNames []string
	if len(cds) > 0 {
		v := cds[0]
		disp, params, fs, err := parseMediaTypeLoose(v)
		for _, f := range fs {
			ph.findings = append(ph.findings, Finding{Kind: f.Kind, Detail: "Content-Disposition: " + f.Detail})
		}
		if err != nil {
			ph.findings = append(ph.findings, Finding{Kind: "content-disposition-malformed", Detail: truncate(v, 80)})
		}
		ph.disposition = disp
		cdNames = nameReadings(scanParams(v), "filename", params["filename"])
	}

	names := append(cdNames, ctNames...)
	for _, n := range names {
		if n != "" && !contains(ph.names, n) {
			ph.names = append(ph.names, n)
		}
	}
	if len(ph.names) > 1 {
		ph.ambiguous = append(ph.ambiguous, "filename-conflict")
	}
	if len(cdNames) > 0 && cdNames[0] != "" {
		ph.filename = cdNames[0]
	} else if len(ctNames) > 0 {
		ph.filename = ctNames[0]
	}
	return ph
}

// mimeFields returns the values of h's Content-Type,
// Content-Transfer-Encoding and Content-Disposition fields, each in order:
// h.Values of each, from one pass over the fields.
func mimeFields(h textproto.Header) (cts, ctes, cds []string) {
	for fs := h.Fields(); fs.Next(); {
		switch fs.Key() {
		case "Content-Type":
			cts = append(cts, fs.Value())
		case "Content-Transfer-Encoding":
			ctes = append(ctes, fs.Value())
		case "Content-Disposition":
			cds = append(cds, fs.Value())
		}
	}
	return cts, ctes, cds
}

// nameReadings returns the decoded readings of a filename parameter: the
// merged value a MIME parser returns, and every plain form written beside
// it (a parser that ignores RFC 2231 reads those).
func nameReadings(raw []rawParam, base, merged string) []string {
	var out []string
	add := func(s string) {
		s = decodeParamText(s)
		if s != "" && !contains(out, s) {
			out = append(out, s)
		}
	}
	add(merged)
	plain, _, _ := paramForms(raw, base)
	for _, p := range plain {
		add(p)
	}
	return out
}

// decodeParamText decodes RFC 2047 words (which mailers put inside quoted
// filename parameters) and raw 8-bit bytes.
func decodeParamText(s string) string {
	if s == "" {
		return ""
	}
	if strings.Contains(s, "=?") || !isASCII(s) {
		d, _ := decodeHeaderText(s)
		return d
	}
	return s
}

// parseMediaTypeLoose parses a Content-Disposition; on error it still
// returns the disposition token and the leniently scanned parameters.
func parseMediaTypeLoose(v string) (string, map[string]string, []encFinding, error) {
	d, params, fs, err := parseMediaType(v)
	if err == nil && d != "" {
		return strings.ToLower(d), params, fs, nil
	}
	d = strings.ToLower(strings.TrimSpace(strings.SplitN(v, ";", 2)[0]))
	params = map[string]string{}
	raw := scanParams(v)
	for _, p := range raw {
		if !strings.Contains(p.name, "*") {
			if _, ok := params[p.name]; !ok {
				params[p.name] = p.value
			}
		}
	}
	for _, base := range []string{"filename", "name"} {
		if _, ext, ok := paramForms(raw, base); ok {
			params[base] = ext
		}
	}
	if err == nil {
		err = errEmptyType
	}
	return d, params, fs, err
}

type constErr string

func (e constErr) Error() string { return string(e) }

const errEmptyType = constErr("empty media type")

// validMediaType accepts "type/subtype" made of RFC 2045 token characters.
func validMediaType(mt string) bool {
	i := strings.IndexByte(mt, '/')
	if i <= 0 || i == len(mt)-1 {
		return false
	}
	for _, c := range []byte(mt) {
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`()<>@,;:\"[]?=`, c) >= 0 {
			return false
		}
	}
	return strings.Count(mt, "/") == 1
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "…"
}
