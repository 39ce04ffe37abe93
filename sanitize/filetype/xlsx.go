package filetype

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

// RunningFormula is the finding for a workbook formula (a cell's, a
// defined name's, a conditional format's or validation's, a form
// control's) that Excel evaluates by running another program or
// fetching from elsewhere: DDE, WEBSERVICE, IMAGE, RTD, CALL, REGISTER,
// an add-in's function (_xll., _xludf.), Excel 4.0 functions that run
// code, or a reference into another
// workbook (a share hands over the user's NTLM hash). The detail names
// what, then the part.
const RunningFormula = "office: formula that runs or fetches"

// maxFormula bounds the text of one formula read: Excel's limit is 8,192
// characters, at most 3 bytes each in UTF-8.
const maxFormula = 3 * 8192

// formulaRuns reports the functions (upper case, without the _xlfn.
// prefix) that make Excel fetch from the web (WEBSERVICE, IMAGE), start
// a COM server, perhaps on another host (RTD), call into a DLL (CALL,
// REGISTER), or, as Excel 4.0 functions in a defined name or a macro
// sheet, run a program or a macro or talk DDE (EXEC, RUN, INITIATE and
// the rest).
func formulaRuns(name string) bool {
	switch name {
	case "WEBSERVICE", "IMAGE", "RTD", "CALL", "REGISTER", "REGISTER.ID", "EXEC", "RUN",
		"INITIATE", "EXECUTE", "REQUEST", "POKE", "FOPEN", "FWRITE", "FWRITELN", "SQL.REQUEST":
		return true
	}
	return false
}

// formulaElement reports an element whose text is a formula: a cell's
// (f, also a chart's series reference and x14's xm:f), a conditional
// format's or data validation's (formula, formula1, formula2), a defined
// name's, a table column's, or a legacy form control's in VML
// (FmlaLink, FmlaMacro, ...).
func formulaElement(local string) bool {
	switch local {
	case "f", "formula", "formula1", "formula2", "definedName", "calculatedColumnFormula", "totalsRowFormula":
		return true
	}
	return len(local) > 4 && strings.EqualFold(local[:4], "fmla")
}

// formulaAttr reports an attribute whose value is a formula: a form
// control's (fmlaLink, fmlaRange, fmlaMacro, ...), a pivot table's
// calculated field's, the cell a shape shows the text of, or the macro
// a shape runs when clicked.
func formulaAttr(local string) bool {
	return local == "macro" || local == "textlink" || local == "formula" || len(local) > 4 && strings.EqualFold(local[:4], "fmla")
}

// workbookPart reads a part of a workbook for the formulas Excel would
// evaluate, wherever in the package the part stands: Excel finds
// sheets by relationships, not by name, so each part that is XML is
// read (a binary one, an image, is left), as XML whatever it starts
// with if declared (typed as Excel's). A part whose root is a macro
// sheet sets macros, declared or not. It is read as readPart reads
// one, parsed only if it holds a name that may hold or make a formula
// or a setting that reaches outside the file (hasWorkbookMark,
// workbookSetting: an XML map's data binding, a web page republished on
// saving), so a workbook's shared strings, often its largest part, are
// not parsed; one that does not read as XML (a DTD, a
// charset other than UTF-8 or UTF-16, a syntax error) is not
// inspected, and the workbook is not kept.
func (in *inspector) workbookPart(e entry, open func() (io.ReadCloser, error), path, lower string, declared bool, macros *bool) {
	where := path + displayName(e.name)
	var (
		depth   int
		text    strings.Builder
		collect = -1 // depth of the formula element being read, or -1
	)
	in.readPart(e, open, where, partReader{
		what:     "formulas",
		declared: declared,
		marks:    hasWorkbookMark,
		lenient:  strings.HasSuffix(lower, ".vml"),
		token: func(tok xml.Token) bool {
			switch t := tok.(type) {
			case xml.StartElement:
				if depth == 0 && strings.Contains(strings.ToLower(t.Name.Local), "macrosheet") {
					*macros = true
				}
				depth++
				in.workbookSetting(t, where)
				for _, a := range t.Attr {
					if formulaAttr(a.Name.Local) {
						in.formula(a.Value, where)
					}
				}
				if collect < 0 && formulaElement(t.Name.Local) {
					collect = depth
					text.Reset()
				}
			case xml.EndElement:
				if depth == collect {
					in.formula(text.String(), where)
					collect = -1
				}
				depth--
			case xml.CharData:
				if collect < 0 {
					break
				}
				if text.Len()+len(t) > maxFormula {
					in.find("office: formulas not inspected", fmt.Sprintf("%s: a formula longer than %d bytes", where, maxFormula))
					return false
				}
				text.Write(t)
			}
			return true
		},
	})
}

// hasFormulaMark reports a name in b that may hold a formula or make
// one: an element f (with a prefix or not), a name with "formula",
// "fmla", "definedName", "macro" or "textlink" in it, in any case.
// Element and attribute names cannot be written with character
// references, so a part without these bytes has no formula for Excel
// either.
func hasFormulaMark(b []byte) bool {
	for _, sep := range []string{"<f", ":f"} {
		for rest := b; ; {
			i := bytes.Index(rest, []byte(sep))
			if i < 0 || i+2 >= len(rest) {
				break
			}
			if strings.IndexByte(" \t\r\n/>", rest[i+2]) >= 0 {
				return true
			}
			rest = rest[i+2:]
		}
	}
	for _, m := range []string{"formula", "fmla", "definedname", "macro", "textlink"} {
		if containsFold(b, m) {
			return true
		}
	}
	return false
}

// containsFold reports whether b holds m (lower-case ASCII letters only:
// a byte matches a letter by b|0x20) in any case.
func containsFold(b []byte, m string) bool {
	n := len(b) - len(m) + 1
	lo, up := m[0], m[0]-0x20
	// The next places of m's first letter in each case, at or after i:
	// each is searched again only once passed, so a letter common in
	// one case and absent in the other does not make this quadratic.
	nl, nu := -1, -1
	for i := 0; i < n; i++ {
		if nl < i {
			nl = n
			if j := bytes.IndexByte(b[i:n], lo); j >= 0 {
				nl = i + j
			}
		}
		if nu < i {
			nu = n
			if j := bytes.IndexByte(b[i:n], up); j >= 0 {
				nu = i + j
			}
		}
		if i = min(nl, nu); i >= n {
			return false
		}
		k := 1
		for k < len(m) && b[i+k]|0x20 == m[k] {
			k++
		}
		if k == len(m) {
			return true
		}
	}
	return false
}

// formula checks one formula as Excel stores it (no leading "="): its
// function calls, DDE (an application and a topic joined by "|": "cmd|'/c
// calc'!A1"), references into other workbooks ("[1]Sheet1!A1",
// "'\\server\share\[b.xlsx]Sheet1'!A1", "'\\server\share\b.xlsx'!Name")
// and HYPERLINK targets. String literals are text: nothing in them is
// read but a HYPERLINK's target.
func (in *inspector) formula(f, where string) {
	depth := 0 // of structured references' brackets: Table1[[#This Row],[Qty]]
	for i := 0; i < len(f); {
		c := f[i]
		switch {
		case depth > 0 && c == '\'':
			i += 2 // in a column's name, it makes the next character plain
		case depth > 0 && c == '"':
			i++ // a column's name may hold one: no string starts
		case c == '"':
			_, i = formulaString(f, i)
		case c == '\'':
			// A quoted sheet name, which cannot hold "[": one holding
			// it names a workbook, a path or a URL before it.
			j := i + 1
			for j < len(f) && !(f[j] == '\'' && (j+1 == len(f) || f[j+1] != '\'')) {
				if f[j] == '\'' {
					j++ // '' stands for '
				}
				j++
			}
			if q := f[i+1 : min(j, len(f))]; strings.Contains(q, "|") {
				in.find(RunningFormula, "(DDE) in "+where)
			} else if b := strings.IndexByte(q, '['); b >= 0 && !strings.HasPrefix(q[b:], "[0]") {
				in.find(RunningFormula, "(another workbook) in "+where)
			} else if strings.ContainsAny(q, `\/:`) {
				// No sheet's name holds \ / or : (Excel refuses
				// them): a path or a URL, as Excel writes a name
				// defined in another workbook ('C:\d\b.xlsx'!Sales).
				in.find(RunningFormula, "(another workbook) in "+where)
			}
			i = j + 1
		case c == '|':
			in.find(RunningFormula, "(DDE) in "+where)
			i++
		case depth == 0 && unquotedPath(f, i):
			in.find(RunningFormula, "(another workbook) in "+where)
			i++
		case c == '[':
			if depth == 0 && (i == 0 || !formulaNameByte(f[i-1]) || f[i-1] == '\\') {
				// Not after a table's name: a workbook ("[1]", the
				// first external link; "[0]" is this one) after a
				// path or a URL, if any.
				if b := f[i+1:]; !strings.HasPrefix(b, "0]") && !strings.HasPrefix(b, "@") && !strings.HasPrefix(b, "#") {
					in.find(RunningFormula, "(another workbook) in "+where)
				}
			}
			depth++
			i++
		case c == ']':
			depth = max(depth-1, 0)
			i++
		case formulaNameByte(c) && !('0' <= c && c <= '9'):
			j := i
			for j < len(f) && formulaNameByte(f[j]) {
				j++
			}
			k := j
			for k < len(f) && strings.IndexByte(" \t\r\n", f[k]) >= 0 {
				k++
			}
			if k < len(f) && f[k] == '(' {
				in.formulaCall(f[i:j], f[k+1:], where)
			}
			if depth == 0 && (j < len(f) && f[j] == '!' && strings.Contains(f[i:j], `\`) || strings.Contains(f[i+1:j], `\`)) {
				// No sheet's name holds \ (MS-OI29500 2.1.863), and a
				// defined name holds one only as its first character:
				// a name with \ before "!", or with \ after its first
				// character, is a path to another workbook written
				// without quotes (\\host\s\b.xlsx!Sales, C:\d\b.xlsx!Sales,
				// and \\host\s\q-1.xlsx!Sales, whose '-' ends the name
				// read here before the "!").
				in.find(RunningFormula, "(another workbook) in "+where)
			}
			i = j
		default:
			i++
		}
	}
}

// unquotedPath reports, at f[i] outside strings, quotes and structured
// references, the start of a URL or a path written without quotes
// (https://host/b.xlsx!Sales, file:///C:/b.xlsx!Sales, C:/d/b.xlsx!Sales,
// //host/s/b.xlsx!Sales): ":/" or "//". Both are two operators in a row
// where the second is binary, which no formula Excel writes holds
// (another workbook is [1]: MS-OI29500 2.1.863, 2.1.867); one written
// by hand may name a workbook so, as ECMA-376's own example of a name in
// another book is unquoted (Sales.xlsx!ProjectedSales, Part 1
// 18.17.2.5). A path with "\" is told by the name before "!" (formula),
// but for a drive's root: in C:\b-c.xlsx!Sales the name is \b, which a
// defined name may be, so the drive tells it, a letter alone before
// ":\" (no reference is one letter; a range from a one-letter name to
// one starting with "\", x:\End, reads as a drive too, and the file is
// not kept).
func unquotedPath(f string, i int) bool {
	if i+1 >= len(f) {
		return false
	}
	switch {
	case (f[i] == ':' || f[i] == '/') && f[i+1] == '/':
		return true
	case f[i] == ':' && f[i+1] == '\\':
		return i >= 1 && 'a' <= f[i-1]|0x20 && f[i-1]|0x20 <= 'z' && (i == 1 || !formulaNameByte(f[i-2]))
	}
	return false
}

// formulaNameByte reports a byte of a function, name or table name: an
// ASCII letter or digit, '_', '.', '\' or any byte of a non-ASCII
// character (a table named 売上).
func formulaNameByte(c byte) bool {
	return 'a' <= c|0x20 && c|0x20 <= 'z' || '0' <= c && c <= '9' || c == '_' || c == '.' || c == '\\' || c >= 0x80
}

// formulaCall checks a call of the function name, args being the text
// after its "(".
func (in *inspector) formulaCall(name, args, where string) {
	name = strings.ToUpper(name)
	for _, p := range []string{"_XLFN.", "_XLWS."} {
		for strings.HasPrefix(name, p) {
			name = name[len(p):]
		}
	}
	if what := addInCall(name); what != "" {
		in.find(RunningFormula, "("+what+") in "+where)
		return
	}
	if formulaRuns(name) {
		in.find(RunningFormula, "("+name+") in "+where)
		return
	}
	if name != "HYPERLINK" {
		return
	}
	// The target: a string, whole or the start of one made with "&".
	args = strings.TrimLeft(args, " \t\r\n")
	if !strings.HasPrefix(args, `"`) {
		in.find("office: formulas not inspected", where+": a HYPERLINK whose target is computed")
		return
	}
	target, end := formulaString(args, 0)
	rest := strings.TrimLeft(args[end:], " \t\r\n")
	if strings.HasPrefix(target, "#") && !strings.ContainsAny(target, `[\/`) {
		return // a place in this workbook: "#Sheet2!A1"
	}
	if strings.HasPrefix(rest, "&") {
		// Only a web or phone link's scheme stays what it is whatever
		// follows; what follows "mailto:" may ask to attach a file.
		if scheme, _, ok := linkScheme([]byte(target)); !ok || scheme != "http" && scheme != "https" && scheme != "tel" {
			in.find("office: formulas not inspected", where+": a HYPERLINK whose target is computed")
			return
		}
	}
	if r := in.links().refused([]byte(target)); r != "" {
		in.find("office: "+strings.TrimPrefix(r, "pdf: "), "in "+where)
	} else {
		in.links().add([]byte(target))
	}
}

// addInCall reports a call (name in upper case, without _xlfn.) into
// code an add-in holds, by the prefix Excel writes it with: _xll. for a
// function an XLL registered (native code: real workbooks hold
// _xll.BDP(...), Bloomberg's), _xludf. for a user-defined function
// whose name a later Excel took (VBA or an XLL). Either runs code the
// package does not hold, with the arguments the sender chose, as CALL
// does; what it does is not known here. The detail is from a closed set,
// not the function's name, which is the sender's text.
func addInCall(name string) string {
	switch {
	case strings.HasPrefix(name, "_XLL."):
		return "XLL add-in"
	case strings.HasPrefix(name, "_XLUDF."):
		return "user-defined function"
	}
	return ""
}

// formulaString reads the string literal starting at f[i] ('"'): its
// value ("" stands for ") and the index after it.
func formulaString(f string, i int) (string, int) {
	var b strings.Builder
	for j := i + 1; j < len(f); j++ {
		if f[j] == '"' {
			if j+1 < len(f) && f[j+1] == '"' {
				b.WriteByte('"')
				j++
				continue
			}
			return b.String(), j + 1
		}
		b.WriteByte(f[j])
	}
	return b.String(), len(f)
}
