package htmltext

import (
	"strconv"
	"strings"
)

// attrs holds the attributes of a start tag that rendering looks at.
type attrs struct {
	style, href, alt, class, width, height, start, value string
	hidden                                               bool // the boolean "hidden" attribute
	hasAlt                                               bool // alt is given, maybe empty
}

// invisible reports whether the element the attributes belong to is hidden
// from a reader of the HTML: the hidden attribute, or an inline style that
// removes it from view. aria-hidden only hides from screen readers, so it
// does not count. Style sheets (<style>, classes) are not evaluated.
func (a *attrs) invisible() bool {
	if a.hidden {
		return true
	}
	if a.style == "" {
		return false
	}
	s := parseStyle(a.style)
	return s.hidden
}

// tinyImage reports whether an image is a tracking pixel or spacer: a
// dimension of 0 or 1 pixel in its attributes or inline style.
func (a *attrs) tinyImage() bool {
	if pixel(a.width) || pixel(a.height) {
		return true
	}
	return a.style != "" && parseStyle(a.style).tiny
}

// styleInfo is what an inline style says about visibility.
type styleInfo struct {
	hidden bool // display:none, visibility:hidden, font-size:0, opacity:0, collapsed overflow
	tiny   bool // width or height of at most one pixel
}

// parseStyle reads the declarations of a style attribute. It is lenient
// like a browser: comments are removed, names and values are compared
// case-insensitively, and !important is ignored.
func parseStyle(s string) styleInfo {
	var info styleInfo
	s = stripComments(s)
	var zeroHeight, overflowHidden bool
	for decl := range strings.SplitSeq(s, ";") {
		name, val, ok := strings.Cut(decl, ":")
		if !ok {
			continue
		}
		name = strings.ToLower(strings.TrimSpace(name))
		val = strings.ToLower(strings.TrimSpace(val))
		val = strings.TrimSpace(strings.TrimSuffix(val, "!important"))
		switch name {
		case "display":
			info.hidden = info.hidden || val == "none"
		case "visibility":
			info.hidden = info.hidden || val == "hidden" || val == "collapse"
		case "font-size":
			info.hidden = info.hidden || isZero(val)
		case "opacity":
			info.hidden = info.hidden || isZero(val)
		case "max-height", "height":
			zeroHeight = zeroHeight || isZero(val)
			info.tiny = info.tiny || pixel(val)
		case "width", "max-width":
			info.tiny = info.tiny || pixel(val)
		case "overflow", "overflow-y":
			overflowHidden = overflowHidden || val == "hidden"
		}
	}
	// The "preheader" trick: a box of height 0 that clips its content.
	if zeroHeight && overflowHidden {
		info.hidden = true
	}
	return info
}

// stripComments removes CSS comments, which browsers ignore inside style
// attributes (so display:/**/none still hides).
func stripComments(s string) string {
	if !strings.Contains(s, "/*") {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "/*")
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		b.WriteByte(' ')
		j := strings.Index(s[i+2:], "*/")
		if j < 0 {
			return b.String()
		}
		s = s[i+2+j+2:]
	}
}

// number parses the numeric start of a CSS length or an HTML dimension
// ("0", "0px", "1.0pt", "-0"); ok is false when there is no number.
func number(v string) (float64, bool) {
	v = strings.TrimSpace(v)
	end := 0
	for end < len(v) && (v[end] >= '0' && v[end] <= '9' || v[end] == '.' || v[end] == '-' || v[end] == '+') {
		end++
	}
	f, err := strconv.ParseFloat(v[:end], 64)
	return f, err == nil
}

func isZero(v string) bool {
	f, ok := number(v)
	return ok && f == 0
}

// pixel reports a length of 0 or 1 (any unit counts for 0; 1 only in pixels
// or without a unit, as in width="1").
func pixel(v string) bool {
	f, ok := number(v)
	if !ok {
		return false
	}
	if f == 0 {
		return true
	}
	u := strings.TrimLeft(strings.TrimSpace(v), "0123456789.+-")
	return f == 1 && (u == "" || u == "px")
}
