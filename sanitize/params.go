package sanitize

import (
	"net/url"
	"strings"
)

// rawParam is one parameter of a structured header field as written, before
// RFC 2231 merging: the walker compares the forms a parser could pick.
type rawParam struct {
	name  string // lowercased, with any "*" and section number kept
	value string // unquoted
}

// scanParams splits `type/sub; a=b; c="d;e"` into its parameters. It is
// lenient: a value runs to the next ";" outside quotes.
func scanParams(v string) []rawParam {
	var out []rawParam
	i := strings.IndexByte(v, ';')
	if i < 0 {
		return nil
	}
	v = v[i+1:]
	for len(v) > 0 {
		// One "name=value" up to the next unquoted ";".
		end, inq, esc := len(v), false, false
		for j := 0; j < len(v); j++ {
			c := v[j]
			switch {
			case esc:
				esc = false
			case c == '\\' && inq:
				esc = true
			case c == '"':
				inq = !inq
			case c == ';' && !inq:
				end = j
			}
			if end != len(v) {
				break
			}
		}
		item := strings.TrimSpace(v[:end])
		if end < len(v) {
			v = v[end+1:]
		} else {
			v = ""
		}
		eq := strings.IndexByte(item, '=')
		if eq <= 0 {
			continue
		}
		name := strings.ToLower(strings.TrimSpace(item[:eq]))
		val := strings.TrimSpace(item[eq+1:])
		if len(val) >= 2 && val[0] == '"' && val[len(val)-1] == '"' {
			val = unquote(val[1 : len(val)-1])
		}
		out = append(out, rawParam{name, val})
	}
	return out
}

func unquote(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// paramForms returns, for parameter base (e.g. "boundary"), the plain
// values and whether an RFC 2231 form (base*, base*0, base*0*) is present
// with its merged, percent-decoded value (charset not applied).
func paramForms(ps []rawParam, base string) (plain []string, ext string, hasExt bool) {
	type sect struct {
		n   int
		v   string
		enc bool
	}
	var sects []sect
	for _, p := range ps {
		switch {
		case p.name == base:
			plain = append(plain, p.value)
		case p.name == base+"*":
			hasExt = true
			sects = append(sects, sect{0, p.value, true})
		case strings.HasPrefix(p.name, base+"*"):
			rest := strings.TrimPrefix(p.name, base+"*")
			enc := strings.HasSuffix(rest, "*")
			rest = strings.TrimSuffix(rest, "*")
			n := 0
			ok := rest != ""
			for _, c := range rest {
				if c < '0' || c > '9' || n > 1000 {
					ok = false
					break
				}
				n = n*10 + int(c-'0')
			}
			if ok {
				hasExt = true
				sects = append(sects, sect{n, p.value, enc})
			}
		}
	}
	if !hasExt {
		return plain, "", false
	}
	// Merge sections in numeric order (they may come in any order).
	var b strings.Builder
	for want := 0; want <= len(sects); want++ {
		for _, s := range sects {
			if s.n != want {
				continue
			}
			v := s.v
			if s.enc {
				if want == 0 {
					// charset'language'value
					if i := strings.IndexByte(v, '\''); i >= 0 {
						if j := strings.IndexByte(v[i+1:], '\''); j >= 0 {
							v = v[i+1+j+1:]
						}
					}
				}
				if d, err := url.PathUnescape(v); err == nil {
					v = d
				}
			}
			b.WriteString(v)
		}
	}
	return plain, b.String(), true
}

// countParam counts parameters named exactly name.
func countParam(ps []rawParam, name string) int {
	n := 0
	for _, p := range ps {
		if p.name == name {
			n++
		}
	}
	return n
}
