package filetype

import (
	"bufio"
	"bytes"
	"cmp"
	"compress/gzip"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"io"
	"maps"
	"net/url"
	"slices"
	"strings"
)

// An OpenDocument package (ODF 1.2/1.3, ISO/IEC 26300: .odt, .ods, .odp,
// .odg and the rest) holds what it runs and fetches in its XML, not in
// parts of their own as OOXML does: an event bound to a macro
// (office:event-listeners: an installed macro runs as it opens), an
// image, a section or a sheet linked from a path (a share hands over the
// user's NTLM hash), DDE, a formula calling WEBSERVICE. Its XML parts
// are read here, streaming, for all of it; a package that cannot be read
// to the end keeps ODFNotInspected.

// ODFMacro starts the finding for a script, a macro library or a binding
// of an event to a macro, a script or a program (a slide's "run
// program" action, a Java applet) in an OpenDocument file: the detail
// says what and in which part. It blocks keeping as an OOXML document's
// macros do.
const ODFMacro = "office: OpenDocument macro or program"

// ODFLinked starts the finding for content an OpenDocument file loads
// from outside itself when it opens, a link updates or a sheet
// recalculates: an image, object, section, sheet, font or template
// named by a URL, a share or a path out of the package, a DDE link, a
// database source, a formula calling WEBSERVICE or DDE or referring to
// another file.
const ODFLinked = "office: OpenDocument content from outside the file"

// odfLinkUnread is the finding for a HYPERLINK formula whose target is
// not a string: computed, it cannot be checked.
const odfLinkUnread = "office: link target not inspected"

// odfText reports attributes (local names) that hold text shown or
// kept, not a target: a cell's value (a HYPERLINK formula's result is
// its URL), a title.
func odfText(local string) bool {
	switch local {
	case "string-value", "value", "title", "name", "label", "description":
		return true
	}
	return false
}

const (
	// odfMaxNesting bounds the element nesting of a part read (stack
	// kept per element); LibreOffice writes a few dozen levels.
	odfMaxNesting = 1000
	// odfMaxBindings bounds the namespace declarations in scope in a
	// part read; LibreOffice declares about 50 on the root.
	odfMaxBindings = 1000
	// odfMaxObjectDepth bounds the folders an XML part is read in:
	// "Object 1/Object 2/content.xml" is 3 deep.
	odfMaxObjectDepth = 6
)

// odfPackage is what inspectZip learns of an OpenDocument package as it
// walks its members.
type odfPackage struct {
	where   string          // the package, for findings
	macros  *bool           // the document's macro flag (inspectZip's)
	pending map[string]bool // XML parts seen and not yet read to the end
	read    map[string]bool // XML parts read to the end
	missing string          // why the package is not fully read (the first reason)
	// linked is the finding for content from outside: ODFLinked, or
	// OOXMLPictureLinked when an OOXML package's picture is read.
	linked string
	// macro is the finding for a script or a binding to one: ODFMacro,
	// or OOXMLPictureScript when an OOXML package's picture is read.
	macro string
}

// newODF starts reading an OpenDocument package, or returns nil for any
// other ZIP.
func newODF(mime, where string, macros *bool) *odfPackage {
	if !strings.HasPrefix(mime, "application/vnd.oasis.opendocument") {
		return nil
	}
	return &odfPackage{where: where, macros: macros, pending: map[string]bool{}, read: map[string]bool{}}
}

// member notes a member of the package by its lower-case name: a macro
// library or script folder is macros, and an XML part is one to read
// (wants).
func (o *odfPackage) member(lower string) {
	if o == nil {
		return
	}
	for _, dir := range []string{"basic/", "scripts/", "dialogs/"} {
		// A subdocument's own folders count too ("Object 1/Basic/").
		if strings.HasPrefix(lower, dir) || strings.Contains(lower, "/"+dir) {
			*o.macros = true
			return
		}
	}
	if o.wants(lower) && strings.HasSuffix(lower, ".xml") {
		o.pending[lower] = true
	}
}

// wants reports whether a member (lower-case name) is one for odfPart
// to read: an XML part, any but the signatures (xmldsig, whose
// algorithm names are web addresses nothing fetches), or any other
// member, which may be a picture drawn from markup (odfPicture).
func (o *odfPackage) wants(lower string) bool {
	if o == nil {
		return false
	}
	if strings.HasPrefix(lower, "meta-inf/") && strings.HasSuffix(lower, "signatures.xml") {
		return false
	}
	return true
}

// odfPart reads one XML part of an OpenDocument package for macros,
// content from outside and links, and notes it read when it parsed to
// the end within the budget; another member is read as a picture.
func (in *inspector) odfPart(o *odfPackage, e entry, rd io.Reader, path, lower string) {
	where := path + displayName(e.name)
	if !strings.HasSuffix(lower, ".xml") {
		in.odfPicture(o, e, rd, where, lower)
		return
	}
	if strings.Count(lower, "/") >= odfMaxObjectDepth {
		o.miss(where + ": objects nested too deep")
		return
	}
	r := odfReader{in: in, o: o, where: where, depth: strings.Count(lower, "/"), inline: make([]byte, 0, 64)}
	br := in.budget(rd, e.comp, where)
	if err := r.read(br); err != nil {
		if br.err != nil {
			// The parser may fail on the bytes cut at the limit
			// before it sees the limit's error.
			o.miss(where + ": over the limits")
		} else {
			o.miss(where + ": " + errText(err))
		}
		return
	}
	delete(o.pending, lower)
	o.read[lower] = true
}

// odfPicture reads a member of an OpenDocument package that is not an
// XML part by its name (Pictures/1.svg, or 1.png) for what LibreOffice
// draws as SVG, which it tells by the content, not the name: an image
// there (<image xlink:href>) naming a file or a share is opened as the
// picture is drawn (svgio's SvgImageNode reads its URL), so a clean
// document handed over the user's NTLM hash as it opened. Gzip is read
// inside (SVGZ, which LibreOffice draws too). Markup that does not
// parse is not inspected; a member that is not markup (a PNG) is left
// after its first bytes, and the package's RDF metadata, which
// LibreOffice's RDF store reads without fetching, is not read.
func (in *inspector) odfPicture(o *odfPackage, e entry, rd io.Reader, where, lower string) {
	if strings.HasSuffix(lower, ".rdf") {
		return
	}
	br := in.budget(rd, e.comp, where)
	src := bufio.NewReader(br)
	if head, _ := src.Peek(2); len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		gz, err := gzip.NewReader(src)
		if err != nil {
			return // not gzip after all: nothing LibreOffice draws
		}
		defer gz.Close()
		// The inflated bytes count, the ratio against the member's.
		src = bufio.NewReader(in.budget(gz, e.comp, where))
	}
	if bom, _ := src.Peek(3); string(bom) == "\xef\xbb\xbf" {
		src.Discard(3)
	}
	if head, _ := src.Peek(4); utf16Markup(head) {
		// svgio's parser reads UTF-16 with a byte order mark; the
		// reader here reads UTF-8 only.
		o.miss(where + ": markup in UTF-16")
		return
	}
	for {
		b, err := src.Peek(1)
		if err != nil {
			return
		}
		if b[0] == '<' {
			break
		}
		if !strings.ContainsRune(" \t\r\n", rune(b[0])) {
			return // not markup: a PNG, a metafile, a font
		}
		src.Discard(1)
	}
	r := odfReader{in: in, o: o, where: where, depth: strings.Count(lower, "/"), picture: true, inline: make([]byte, 0, 64)}
	if err := r.read(src); err != nil {
		if br.err != nil {
			o.miss(where + ": over the limits")
		} else {
			o.miss(where + ": " + errText(err))
		}
	}
}

// utf16Markup reports a start of a member (its first 4 bytes) that is a
// UTF-16 byte order mark and then '<' or a blank.
func utf16Markup(head []byte) bool {
	if len(head) < 4 {
		return false
	}
	c := head[2:4]
	switch string(head[:2]) {
	case "\xff\xfe":
		return c[1] == 0 && strings.IndexByte("< \t\r\n", c[0]) >= 0
	case "\xfe\xff":
		return c[0] == 0 && strings.IndexByte("< \t\r\n", c[1]) >= 0
	}
	return false
}

// closeODF ends reading a package: one that did not have its content
// and manifest, or any XML part of which was not read to the end
// (encrypted, not XML, over the limits, not reached), or whose entries
// were not all walked, is not inspected.
func (in *inspector) closeODF(o *odfPackage, complete bool) {
	if o == nil {
		return
	}
	for _, p := range []string{"content.xml", "meta-inf/manifest.xml"} {
		if !o.read[p] && !o.pending[p] {
			o.miss(o.say("no " + p))
		}
	}
	// In name order, so the report says the same each time.
	for _, p := range slices.Sorted(maps.Keys(o.pending)) {
		o.miss(o.say(p + " not read"))
	}
	if !complete {
		o.miss(o.say("not every entry read"))
	}
	if o.missing != "" {
		in.find(ODFNotInspected, o.missing)
	}
}

// miss notes why the package is not fully read. The first reason is
// enough for the report (the rest are the same kind), and keeping one
// bounds what a package of many inline objects holds.
func (o *odfPackage) miss(why string) {
	if o.missing == "" {
		o.missing = why
	}
}

// say is a detail about the whole package: "docs/a.odt (no content.xml)".
func (o *odfPackage) say(what string) string {
	return strings.TrimSpace(o.where + " (" + displayName(what) + ")")
}

// Namespace URIs (ODF 1.2 part 1, 3.2) named in findings by their usual
// prefixes.
var odfPrefixes = map[string]string{
	"urn:oasis:names:tc:opendocument:xmlns:office:1.0":       "office",
	"urn:oasis:names:tc:opendocument:xmlns:text:1.0":         "text",
	"urn:oasis:names:tc:opendocument:xmlns:drawing:1.0":      "draw",
	"urn:oasis:names:tc:opendocument:xmlns:table:1.0":        "table",
	"urn:oasis:names:tc:opendocument:xmlns:style:1.0":        "style",
	"urn:oasis:names:tc:opendocument:xmlns:meta:1.0":         "meta",
	"urn:oasis:names:tc:opendocument:xmlns:presentation:1.0": "presentation",
	"urn:oasis:names:tc:opendocument:xmlns:form:1.0":         "form",
	"urn:oasis:names:tc:opendocument:xmlns:script:1.0":       "script",
	"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0":     "manifest",
	"urn:oasis:names:tc:opendocument:xmlns:animation:1.0":    "anim",
	"urn:oasis:names:tc:opendocument:xmlns:chart:1.0":        "chart",
	"http://www.w3.org/1999/xlink":                           "xlink",
	"http://www.w3.org/2000/svg":                             "svg",
	"http://openoffice.org/2001/accel":                       "accel",
	"http://openoffice.org/2001/menu":                        "menu",
	"http://openoffice.org/2001/toolbar":                     "toolbar",
	"http://www.w3.org/2002/xforms":                          "xforms",
}

const odfPresentationNS = "urn:oasis:names:tc:opendocument:xmlns:presentation:1.0"

// odfReader reads one XML part.
type odfReader struct {
	in    *inspector
	o     *odfPackage
	where string
	depth int      // folders the part is in ("Object 1/content.xml": 1)
	stack []string // local names of the open elements
	// picture: the part is a picture's markup (SVG), whose attributes
	// hold no formulas and whose data: URLs are its own pixels.
	picture bool
	ns      []odfBinding // prefixes the open elements declare, innermost last
	inline  []byte       // the start of an office:binary-data's base64
	// values: the text of each open form:property-value, innermost
	// last, from its first byte that is not blank, up to
	// maxPropertyText (propertyText).
	values [][]byte
}

// inlineMarkup reports whether the start of an inline picture's base64
// decodes to markup (SVG, after a byte order mark or blanks) or to gzip
// (SVGZ): LibreOffice draws an office:binary-data picture by its
// content as it does a member (odfPicture), and its <image> would be
// fetched the same, unread here.
func inlineMarkup(b64 []byte) bool {
	b, _ := base64.StdEncoding.DecodeString(string(b64[:len(b64)/4*4]))
	if len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b {
		return true
	}
	b = bytes.TrimLeft(bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")), " \t\r\n")
	return len(b) > 0 && b[0] == '<'
}

// svgDoctype reports a DOCTYPE without an internal subset (no entities
// to make names or targets) whose identifiers name no place but the
// W3C's.
func svgDoctype(d xml.Directive) bool {
	s := string(d)
	if !strings.HasPrefix(s, "DOCTYPE") || strings.ContainsAny(s, "[\\") {
		return false
	}
	// Every piece between quotes, the literals and what is around them
	// (two literals may touch).
	for _, p := range strings.FieldsFunc(s, func(r rune) bool { return r == '"' || r == '\'' }) {
		if p = strings.TrimSpace(p); odfFetches(p) && !strings.HasPrefix(p, "http://www.w3.org/") {
			return false
		}
	}
	return true
}

// odfBinding is a namespace prefix declared on an element depth deep.
type odfBinding struct {
	prefix, uri string
	depth       int
}

// lookup is the namespace URI a prefix stands for where the reader is,
// "" if none is declared.
func (r *odfReader) lookup(prefix string) string {
	for i := len(r.ns) - 1; i >= 0; i-- {
		if r.ns[i].prefix == prefix {
			return r.ns[i].uri
		}
	}
	return ""
}

// foreignGrammar reports a namespace, named by a formula's prefix, whose
// formulas are not OpenFormula: LibreOffice hands such a formula to the
// parser registered for the namespace (ScXMLImport::
// ExtractFormulaNamespaceGrammar; msoxl's, the OOXML parser, is
// registered), and Excel, which writes msoxl: formulas into .ods files,
// reads them in its own grammar, where cmd|'/c calc'!A1 is DDE and
// '\\host\s\[b.xlsx]Sheet1'!A1 another workbook. Only the namespaces of
// ODF, OpenOffice.org, LibreOffice and the W3C are not.
func foreignGrammar(uri string) bool {
	for _, p := range []string{"urn:oasis:names:tc:opendocument:", "http://openoffice.org/", "urn:openoffice:",
		"urn:org:documentfoundation:", "http://www.w3.org/", "http://purl.org/", "http://docs.oasis-open.org/"} {
		if strings.HasPrefix(uri, p) {
			return false
		}
	}
	return uri != ""
}

func (r *odfReader) read(rd io.Reader) error {
	d := xml.NewDecoder(rd)
	d.CharsetReader = func(label string, _ io.Reader) (io.Reader, error) {
		// ODF parts are UTF-8 (ODF 1.2 part 3, 3.1).
		return nil, errors.New("charset " + label)
	}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.Directive:
			if r.picture && svgDoctype(t) {
				// The W3C's DOCTYPE line, which SVG exporters
				// (LibreOffice's own) write and nothing loads.
				continue
			}
			// A DTD: its entities are not expanded here, and ODF has
			// none.
			return errors.New("DTD")
		case xml.StartElement:
			if len(r.stack) >= odfMaxNesting {
				return errors.New("elements nested too deep")
			}
			for _, a := range t.Attr {
				if a.Name.Space == "xmlns" {
					if len(r.ns) >= odfMaxBindings {
						return errors.New("too many namespace declarations")
					}
					r.ns = append(r.ns, odfBinding{prefix: a.Name.Local, uri: a.Value, depth: len(r.stack)})
				}
			}
			r.element(t)
			r.stack = append(r.stack, t.Name.Local)
			if t.Name.Local == "property-value" {
				r.values = append(r.values, nil)
			}
			if t.Name.Local == "binary-data" {
				r.inline = r.inline[:0]
			}
		case xml.CharData:
			if r.parent() == "property-value" && len(r.values) > 0 {
				// A property's value written as the element's text,
				// which a comment, a CDATA section or a child element
				// splits into tokens: read whole at its end.
				r.values[len(r.values)-1] = propertyText(r.values[len(r.values)-1], t)
			}
			if r.parent() == "binary-data" {
				for _, c := range t {
					if len(r.inline) < cap(r.inline) && !strings.ContainsRune(" \t\r\n", rune(c)) {
						r.inline = append(r.inline, c)
					}
				}
			}
		case xml.EndElement:
			if t.Name.Local == "binary-data" && r.parent() == "binary-data" && inlineMarkup(r.inline) {
				r.o.miss(r.where + ": a picture's markup inline in the XML (office:binary-data)")
			}
			if t.Name.Local == "property-value" && r.parent() == "property-value" && len(r.values) > 0 {
				r.propertyValue(r.values[len(r.values)-1])
				r.values = r.values[:len(r.values)-1]
			}
			if n := len(r.stack); n > 0 {
				r.stack = r.stack[:n-1]
			}
			for len(r.ns) > 0 && r.ns[len(r.ns)-1].depth >= len(r.stack) {
				r.ns = r.ns[:len(r.ns)-1]
			}
		}
	}
}

// odfPropertyValue reports an element (local name) whose attributes
// set a form control's property: form:property, a list property's
// form:list-value (xmloff's OListPropertyContext reads each into the
// property's sequence), or form:property-value, OpenOffice.org 1.x's
// name for a list value (xmloff's OASIS transformer maps one to the
// other), read too rather than trusted.
func odfPropertyValue(local string) bool {
	return local == "property" || local == "list-value" || local == "property-value"
}

// maxPropertyText bounds what is kept of a property value's text, from
// its first byte that is not blank: a URL is at its start.
const maxPropertyText = 4096

// propertyText appends t, a piece of a form:property-value's text, to
// what is kept of it (v): the blanks odfTarget trims are skipped
// before the first other byte, and no more than maxPropertyText bytes
// are kept.
func propertyText(v []byte, t xml.CharData) []byte {
	if len(v) == 0 {
		t = bytes.TrimLeft(t, odfBlank)
	}
	return append(v, t[:min(len(t), maxPropertyText-len(v))]...)
}

// propertyValue checks the text of a form:property-value, whole: a URL
// or a share there is loaded as a form:property's office:string-value
// is.
func (r *odfReader) propertyValue(v []byte) {
	if t := odfTarget(string(v)); odfFetches(t) {
		r.linked("form:property-value (" + odfWhere(t) + ")")
	}
}

// odfSource says what a database source's name is: a place (odfWhere)
// or a name registered on the reader's computer.
func odfSource(v string) string {
	if odfFetches(v) {
		return odfWhere(v)
	}
	return "a registered data source or a URL"
}

func (r *odfReader) parent() string {
	if n := len(r.stack); n > 0 {
		return r.stack[n-1]
	}
	return ""
}

func (r *odfReader) macro(what string) {
	*r.o.macros = true
	r.in.find(cmp.Or(r.o.macro, ODFMacro), what+" in "+r.where)
}

func (r *odfReader) linked(what string) {
	r.in.find(cmp.Or(r.o.linked, ODFLinked), what+" in "+r.where)
}

// element checks one start tag. Elements are matched by local name in
// any namespace: LibreOffice reads the namespaces of earlier drafts and
// of OpenOffice.org as ODF's, and a fail on an unknown one costs a
// stripped file, a miss a macro run.
func (r *odfReader) element(t xml.StartElement) {
	name := odfName(t.Name)
	local := t.Name.Local
	switch {
	case strings.Contains(strings.ToLower(t.Name.Space), "script"):
		// script:event-listener and its kin: an event bound to a
		// macro, a script or a URL.
		r.macro(name)
	case local == "script", local == "execute-macro", local == "applet":
		// office:script (a script in the document), text:script,
		// text:execute-macro (a field running a macro when clicked),
		// draw:applet (Java code).
		r.macro(name)
	case local == "event-listener" && t.Name.Space == odfPresentationNS:
		// A shape's click action: "execute" runs a program, "verb" an
		// embedded object's action; the others move through the
		// slides or open a target, checked as an href below.
		switch a := xmlAttr(t, "action"); a {
		case "execute", "verb":
			r.macro(name + " (" + a + ")")
		}
	case local == "event-listener", r.parent() == "event-listeners":
		// Any other binding of an event (office:event-listeners holds
		// nothing else).
		r.macro(name)
	case local == "binary-data" && (r.parent() == "object-ole" || r.parent() == "object" || r.parent() == "plugin"):
		// An OLE object written into the XML in base64, not a part
		// that inspectEntry reads.
		r.o.miss(r.where + ": an object inline in the XML (" + name + ")")
	case strings.HasPrefix(local, "dde"):
		// office:dde-source, table:dde-link, text:dde-connection-decl
		// and the rest: another program's data, fetched by starting
		// it.
		r.linked(name + " (DDE)")
	case local == "cell-range-source", local == "table-source", local == "section-source" && xmlAttr(t, "href") != "",
		local == "database-source-sql", local == "database-source-table", local == "database-source-query",
		local == "source-service", local == "connection-resource":
		// Cells, a sheet or a section linked from another file, or
		// data from a database or a service, fetched when the links
		// update.
		r.linked(name)
	}
	link := local == "a" || strings.HasPrefix(local, "area-")
	// form:property sets any property of a form control by its name,
	// its value in office:string-value: LibreOffice sets what it is
	// given (xmloff's OSinglePropertyContext), so a button's ImageURL
	// there loads its image from a share as the form loads, as
	// form:image-data would. Its value is a target, not text. So are
	// the values of a form:list-property (form:list-value) and a
	// form:property-value, which set a property as one does.
	property := odfPropertyValue(local)
	for _, a := range t.Attr {
		if a.Name.Space == "xmlns" || a.Name.Space == "" && a.Name.Local == "xmlns" {
			continue
		}
		v := odfTarget(a.Value)
		if r.picture && strings.HasPrefix(strings.ToLower(v), "data:") {
			// An image inline in the picture: pixels, unless it is
			// markup again, which is not read.
			if strings.HasPrefix(strings.ToLower(v), "data:image/svg") {
				r.o.miss(r.where + ": an SVG picture inline in another")
			}
			continue
		}
		switch {
		case strings.Contains(strings.ToLower(a.Name.Space), "script") && a.Name.Local != "event-name":
			// script:language, script:macro-name: what a binding runs
			// (script:event-name only names the event, on a slide's
			// next-page action too).
			r.macro(name + " " + odfName(a.Name))
			continue
		case odfScriptURL(v):
			// vnd.sun.star.script:, macro:///: a macro run by a link, a
			// button, an event.
			r.macro(name + " " + odfName(a.Name) + " (a macro)")
			continue
		case odfCommandOpens(v):
			// A command a menu item, a toolbar button or a shortcut
			// of the document's own (Configurations2) dispatches
			// with a place to open: Ctrl+S bound to
			// .uno:Open?URL:string=\\host\s\x.odt fetches from the share.
			r.linked(name + " " + odfName(a.Name) + " (a command opening " + odfWhere(odfCommandTarget(v)) + ")")
			continue
		}
		switch a.Name.Local {
		case "href":
			switch {
			case link:
				r.hyperlink(v)
			case !odfInPackage(v, r.depth):
				r.linked(name + " " + odfName(a.Name) + " (" + odfWhere(v) + ")")
			}
			continue
		case "datasource", "data-source":
			// A form bound to a database, by a URL or by the name it
			// has on the reader's computer: data from elsewhere.
			if v != "" {
				r.linked(name + " " + odfName(a.Name))
			}
			continue
		case "database-name":
			// A database field (text:database-display, -next,
			// -row-select, -row-number, -name) or range names its
			// source: LibreOffice's database context takes a name it
			// has not registered for a URL and loads it
			// (ODatabaseContext::getByName, loadObjectFromURL), and a
			// registered one is a database on the reader's computer
			// or network, read as the fields update: data from
			// outside the file either way, as a form's datasource.
			if v != "" {
				r.linked(name + " " + odfName(a.Name) + " (" + odfSource(v) + ")")
			}
			continue
		case "image-data":
			// A button's image, fetched from where it says.
			if !odfInPackage(v, r.depth) {
				r.linked(name + " " + odfName(a.Name))
			}
			continue
		case "transformation":
			// grddl:transformation names a stylesheet for RDF tools;
			// nothing in an office suite fetches it.
			continue
		}
		if odfFetches(v) && (property || !odfText(a.Name.Local)) {
			// xforms:instance src, xforms:submission action, a URL in
			// an attribute nobody listed: fetched, or not, it is not
			// what a clean document holds.
			r.linked(name + " " + odfName(a.Name) + " (" + odfWhere(v) + ")")
			continue
		}
		if !r.picture {
			r.formula(name+" "+odfName(a.Name), a.Value)
		}
	}
	if local == "encryption-data" {
		// META-INF/manifest.xml says a part is encrypted: it cannot be
		// read.
		r.in.encrypted = true
		r.in.find("office: encrypted document", r.o.where)
		r.o.miss(r.o.say("encrypted"))
	}
	if local == "file-entry" {
		mt := strings.ToLower(xmlAttr(t, "media-type"))
		// Not "script": application/postscript is an EPS picture.
		for _, k := range []string{"basic", "macro", "java", "python", "beanshell", "vnd.sun.star.script"} {
			if strings.Contains(mt, k) {
				r.macro(name + " (" + k + ")")
				break
			}
		}
		fp := strings.ToLower(xmlAttr(t, "full-path"))
		for _, dir := range []string{"basic/", "scripts/", "dialogs/"} {
			if strings.HasPrefix(fp, dir) || strings.Contains(fp, "/"+dir) {
				r.macro(name + " (" + strings.TrimSuffix(dir, "/") + ")")
				break
			}
		}
	}
}

// hyperlink checks a text:a or draw:a target (or an image map area's):
// a jump within the document (#name) is not a link out; the rest count
// as an OOXML document's hyperlinks do, kept clickable for a web page, a
// mail address or a phone number and refused otherwise.
func (r *odfReader) hyperlink(v string) {
	if v == "" || strings.HasPrefix(v, "#") {
		return
	}
	links := r.in.links()
	if f := links.refused([]byte(v)); f != "" {
		r.in.find("office: "+strings.TrimPrefix(f, "pdf: "), "in "+r.where)
		return
	}
	links.add([]byte(v))
}

// formula reads an attribute value as a formula, whatever the attribute
// (table:formula, a named expression, a validity or conditional format
// condition, calcext:value all hold them): a call of WEBSERVICE or DDE,
// a reference to another file ('file:///b.ods'#$Sheet1.A1) or INDIRECT,
// which makes one from text, fetch from outside when the sheet
// calculates; HYPERLINK counts as a hyperlink, and one whose target is
// not written as a string cannot be checked.
func (r *odfReader) formula(name, v string) {
	if prefix, rest, ok := strings.Cut(v, ":"); ok && foreignGrammar(r.lookup(prefix)) {
		// Read as Excel reads it too (xlsx.go): its DDE and other
		// workbooks' references are written unlike OpenFormula's.
		r.in.formula(strings.TrimPrefix(rest, "="), r.where)
	}
	f := scanFormula(v)
	for _, fn := range f.fetches {
		r.linked(name + " (" + fn + ")")
	}
	if f.external {
		r.linked(name + " (a reference to another file)")
	}
	for _, t := range f.links {
		r.hyperlink(t)
	}
	if f.unread {
		r.in.find(odfLinkUnread, "HYPERLINK in "+r.where)
	}
}

// odfFormula is what scanFormula found in a formula.
type odfFormula struct {
	fetches  []string // functions that fetch from outside
	external bool     // a reference to another file
	links    []string // HYPERLINK targets written as strings
	unread   bool     // a HYPERLINK target that is not a string
}

// scanFormula reads an OpenFormula expression (ODF 1.2 part 2) or
// LibreOffice's own, outside their string literals: function names
// (the last part of a dotted one: COM.MICROSOFT.WEBSERVICE) before a
// parenthesis, and a quoted source before '#' ('file:///x.ods'#$S.A1,
// an external reference) or a quoted path or URL before '.'
// ('\\host\s\x.ods'.A1, read as one).
func scanFormula(v string) odfFormula {
	var f odfFormula
	n := len(v)
	for i := 0; i < n; {
		c := v[i]
		switch {
		case c == '"':
			_, i = formulaString(v, i)
		case c == '\'':
			j := i + 1
			for j < n && (v[j] != '\'' || j+1 < n && v[j+1] == '\'') {
				if v[j] == '\'' {
					j++
				}
				j++
			}
			switch {
			case j < n && j+1 < n && v[j+1] == '#':
				f.external = true
			case j < n && j+1 < n && v[j+1] == '.' && strings.ContainsAny(v[i+1:j], `/\:`):
				// A sheet's name no sheet can have (LibreOffice
				// refuses / \ : in one): a sheet LibreOffice does not
				// find, named with a '.', is taken for a file
				// ('\\host\s\b.ods'.A1, lcl_ScAddress_Parse_OOo) and
				// loaded as one written 'file'#$Sheet.A1 is.
				f.external = true
			}
			i = j + 1
		case c == '#' && i+1 < n && v[i+1] == '$':
			f.external = true
			i++
		case isFormulaName(c):
			j := i
			for j < n && (isFormulaName(v[j]) || v[j] == '.') {
				j++
			}
			word := strings.ToUpper(v[i:j])
			word = word[strings.LastIndexByte(word, '.')+1:]
			k := j
			for k < n && (v[k] == ' ' || v[k] == '\t' || v[k] == '\n' || v[k] == '\r') {
				k++
			}
			if k < n && v[k] == '(' {
				switch word {
				case "WEBSERVICE", "DDE", "INDIRECT":
					f.fetches = append(f.fetches, word)
				case "HYPERLINK":
					t, ok := hyperlinkArg(v, k+1)
					if ok {
						f.links = append(f.links, t)
					} else {
						f.unread = true
					}
				}
			}
			i = j
		default:
			i++
		}
	}
	return f
}

// hyperlinkArg reads HYPERLINK's first argument from v[i:]: a string
// literal, alone, before ';', ',' or ')', or the start of one made with
// '&' whose written scheme is http, https or tel, as the workbook
// reader (formulaCall) takes one: only a web or phone link's scheme
// stays what it is whatever follows, so "https://x/?q="&A1 is a web
// link and "fi"&"le:///C:/x" is not read.
func hyperlinkArg(v string, i int) (string, bool) {
	const blank = " \t\r\n"
	for i < len(v) && strings.IndexByte(blank, v[i]) >= 0 {
		i++
	}
	if i >= len(v) || v[i] != '"' {
		return "", false
	}
	s, j := formulaString(v, i)
	for j < len(v) && strings.IndexByte(blank, v[j]) >= 0 {
		j++
	}
	switch {
	case j >= len(v):
		return "", false
	case strings.IndexByte(";,)", v[j]) >= 0:
		return s, true
	case v[j] == '&':
		scheme, _, ok := linkScheme([]byte(s))
		return s, ok && (scheme == "http" || scheme == "https" || scheme == "tel")
	}
	return "", false
}

func isFormulaName(c byte) bool {
	return 'a' <= c|0x20 && c|0x20 <= 'z' || '0' <= c && c <= '9' || c == '_'
}

// odfBlank is what odfTarget trims before a target: control
// characters and spaces.
const odfBlank = "\x00\x01\x02\x03\x04\x05\x06\x07\x08\t\n\v\f\r\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f "

// odfTarget is a URL attribute as an office suite reads it: blanks and
// control characters before it skipped, tabs and line ends in it
// dropped.
func odfTarget(v string) string {
	v = strings.TrimLeft(v, odfBlank)
	return strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, v)
}

// odfScriptURL reports a target that runs a macro or a script.
func odfScriptURL(v string) bool {
	l := strings.ToLower(v)
	for _, p := range []string{"vnd.sun.star.script:", "vnd.sun.star.basic:", "macro:", "javascript:", "vbscript:", "service:"} {
		if strings.HasPrefix(l, p) {
			return true
		}
	}
	return false
}

// odfCommandOpens reports a dispatch command URL (.uno:Open, slot:5501)
// one of whose arguments (?Name:type=value&...) names a URL or a share
// (odfFetches): LibreOffice runs a document's menus, toolbars and
// shortcuts' commands with their arguments, and .uno:Open opens what
// its URL says.
func odfCommandOpens(v string) bool { return odfCommandTarget(v) != "" }

// odfCommandTarget is the first argument of a command URL that names a
// URL or a share, percent-decoded, or "".
func odfCommandTarget(v string) string {
	l := strings.ToLower(v)
	if !strings.HasPrefix(l, ".uno:") && !strings.HasPrefix(l, "slot:") {
		return ""
	}
	_, args, ok := strings.Cut(v, "?")
	if !ok {
		return ""
	}
	for _, arg := range strings.Split(args, "&") {
		_, val, _ := strings.Cut(arg, "=")
		if d, err := url.PathUnescape(val); err == nil {
			val = d
		}
		if val = odfTarget(val); odfFetches(val) {
			return val
		}
	}
	return ""
}

// odfInPackage reports whether an href names a part of the package
// itself or a place in the document: a relative path without a scheme,
// not absolute, without '\', whose ".." steps do not climb out of the
// package from the folder of the part it is in (depth folders deep:
// a chart in "Object 1/" names the document holding it ".."; from the
// top, LibreOffice resolves "../a.png" beside the file), read with its
// percent-encoding decoded; or a fragment ("#Slide 2"). Anything else
// is fetched from outside.
func odfInPackage(v string, depth int) bool {
	if v == "" || strings.HasPrefix(v, "#") {
		return true
	}
	p, err := url.PathUnescape(v)
	if err != nil {
		return false
	}
	if _, _, ok := linkScheme([]byte(p)); ok {
		return false
	}
	if strings.HasPrefix(p, "/") || strings.ContainsAny(p, "\\\x00") {
		return false
	}
	for _, s := range strings.Split(p, "/") {
		switch {
		case strings.TrimRight(s, " .") == "" && strings.Contains(s, ".."):
			// "..", and forms Windows trims to it (".. ", "...").
			if depth--; depth < 0 {
				return false
			}
		case s != "" && s != ".":
			depth++
		}
	}
	return true
}

// odfFetches reports an attribute value that is a URL or a path to
// somewhere that can be fetched: a share (\\host, //host), a drive path
// or a URL of a scheme that names a host or a file.
func odfFetches(v string) bool {
	if strings.HasPrefix(v, `\\`) || strings.HasPrefix(v, "//") || strings.HasPrefix(v, `\/`) || strings.HasPrefix(v, `/\`) {
		return true
	}
	scheme, rest, ok := linkScheme([]byte(v))
	if !ok {
		return false
	}
	if len(scheme) == 1 {
		return true // C:\…
	}
	switch scheme {
	case "file", "smb", "cifs", "nfs", "http", "https", "ftp", "ftps", "sftp", "webdav", "webdavs", "dav", "davs",
		"vnd.sun.star.webdav", "vnd.sun.star.webdavs", "jdbc", "sdbc", "ldap":
		return true
	}
	// A URL naming a host, whatever its scheme: LibreOffice fetches
	// through more than the list (a CMIS server's
	// vnd.libreoffice.cmis://, a file's part as vnd.sun.star.pkg://),
	// and the list is not the suite's.
	return len(rest) > 1 && (rest[0] == '/' || rest[0] == '\\') && (rest[1] == '/' || rest[1] == '\\')
}

// odfWhere says what kind of place a target is, never the target.
func odfWhere(v string) string {
	switch {
	case strings.HasPrefix(v, `\\`) || strings.HasPrefix(v, "//") || strings.HasPrefix(v, `\/`) || strings.HasPrefix(v, `/\`):
		return "a network share"
	}
	scheme, _, ok := linkScheme([]byte(v))
	switch {
	case ok && len(scheme) == 1:
		return "a drive path"
	case ok && (scheme == "http" || scheme == "https"):
		return "the web"
	case ok && scheme == "file":
		return "a file"
	case ok:
		return "a URL"
	}
	return "a path outside the package"
}

// odfName is an element or attribute name as the specification writes
// it (draw:image), for the names it defines; another is "a name" (the
// sender's text is not quoted in a finding).
func odfName(n xml.Name) string {
	p, ok := odfPrefixes[n.Space]
	if !ok || len(n.Local) > 40 || strings.Trim(n.Local, "abcdefghijklmnopqrstuvwxyz-") != "" {
		if n.Space == "" && len(n.Local) <= 40 && strings.Trim(n.Local, "abcdefghijklmnopqrstuvwxyz-") == "" {
			return n.Local
		}
		return "a name"
	}
	return p + ":" + n.Local
}
