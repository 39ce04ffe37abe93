package filetype

import (
	"archive/zip"
	"bytes"
	"cmp"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path"
	"strings"
)

// OOXMLTypesNotInspected is the finding for an OOXML package whose
// [Content_Types].xml, where Office learns what each part is, could not
// be read: missing, twice, over maxPackagePart, not XML, with a DTD, or
// holding what its schema does not allow. Without it no part is known
// for what Office would read it as.
const OOXMLTypesNotInspected = "office: not inspected: part types"

// OOXMLNoMainPart is the finding for an OOXML package whose main part
// (the target of the officeDocument relationship in _rels/.rels, typed
// in [Content_Types].xml) is missing, ambiguous or not a Word, Excel or
// PowerPoint document: what Office would open in it is not known, so
// neither is which of its parts hold fields or formulas.
const OOXMLNoMainPart = "office: not inspected: no main document part"

// maxPackagePart bounds [Content_Types].xml and _rels/.rels, read whole
// before the members (Office writes a few KiB).
const maxPackagePart = 1 << 20

// Namespaces and relationship types of OPC (ECMA-376 Part 2) and of the
// main document relationship, transitional and strict.
const (
	nsContentTypes     = "http://schemas.openxmlformats.org/package/2006/content-types"
	nsRelationships    = "http://schemas.openxmlformats.org/package/2006/relationships"
	relMain            = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
	relMainStrict      = "http://purl.oclc.org/ooxml/officeDocument/relationships/officeDocument"
	relHyperlink       = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink"
	relHyperlinkStrict = "http://purl.oclc.org/ooxml/officeDocument/relationships/hyperlink"
)

// Content types of the parts that are not read by name alone.
const (
	ctExternalLink = "application/vnd.openxmlformats-officedocument.spreadsheetml.externallink+xml"
	ctConnections  = "application/vnd.openxmlformats-officedocument.spreadsheetml.connections+xml"
	ctQueryTable   = "application/vnd.openxmlformats-officedocument.spreadsheetml.querytable+xml"
	ctActiveX      = "application/vnd.ms-office.activex"
	ctWebExtension = "application/vnd.ms-office.webextension" // +xml, and taskpanes+xml
)

// ooxmlPackage is what Office reads of a package before its parts: the
// type of each part and the main part's, which makes the document a
// Word, Excel or PowerPoint one.
type ooxmlPackage struct {
	defaults  map[string]string // extension → content type, both lower case
	overrides map[string]string // part (partKey) → content type, lower case
	mime      string            // of the document, by its main part; "" if none
	macros    bool              // a macro-enabled main part or a macro part type
	// hyperlinks: for a member (its index in the archive) whose
	// relationship part has relationships of the hyperlink type, their
	// Ids and where they lead (hyperlinkRels), for pictureLinkUses.
	hyperlinks map[int]map[string]string
}

// hyperlinksOf is hyperlinks[i], nil for a nil package.
func (p *ooxmlPackage) hyperlinksOf(i int) map[string]string {
	if p == nil {
		return nil
	}
	return p.hyperlinks[i]
}

// typeOf is the content type of the part named name (partKey): its
// Override, else the Default for its extension, else "".
func (p *ooxmlPackage) typeOf(key string) string {
	if p == nil {
		return ""
	}
	if ct, ok := p.overrides[key]; ok {
		return ct
	}
	base := key[strings.LastIndexByte(key, '/')+1:]
	if i := strings.LastIndexByte(base, '.'); i >= 0 {
		return p.defaults[base[i+1:]]
	}
	return ""
}

// partKey is the name a ZIP member or a part name is compared under:
// OPC part names are URIs, compared without case and with their
// percent-encoding undone (a part named /word/%E6%96%87.xml is the
// member word/文.xml), without the leading "/".
func partKey(name string) string {
	name = strings.TrimPrefix(name, "/")
	if u, err := url.PathUnescape(name); err == nil {
		name = u
	}
	return strings.ToLower(name)
}

// mainPartMime is the type of the document whose main part has content
// type ct, and whether that type enables macros; "" for a part that is
// no Word, Excel or PowerPoint document (a binary workbook, Visio).
// Templates, slide shows and add-ins open in the same program as the
// document, and are read as it.
func mainPartMime(ct string) (string, bool) {
	switch ct {
	case "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
		"application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml":
		return mimeDocx, false
	case "application/vnd.ms-word.document.macroenabled.main+xml",
		"application/vnd.ms-word.template.macroenabledtemplate.main+xml":
		return mimeDocx, true
	case "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
		"application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml":
		return mimeXlsx, false
	case "application/vnd.ms-excel.sheet.macroenabled.main+xml",
		"application/vnd.ms-excel.template.macroenabled.main+xml",
		"application/vnd.ms-excel.addin.macroenabled.main+xml":
		return mimeXlsx, true
	case "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml",
		"application/vnd.openxmlformats-officedocument.presentationml.slideshow.main+xml",
		"application/vnd.openxmlformats-officedocument.presentationml.template.main+xml":
		return mimePptx, false
	case "application/vnd.ms-powerpoint.presentation.macroenabled.main+xml",
		"application/vnd.ms-powerpoint.slideshow.macroenabled.main+xml",
		"application/vnd.ms-powerpoint.template.macroenabled.main+xml",
		"application/vnd.ms-powerpoint.addin.macroenabled.main+xml":
		return mimePptx, true
	}
	return "", false
}

// isWordprocessingML reports a part type Word reads field codes from: a
// document, header, footer, footnotes, endnotes, comments, glossary.
// Only XML: an embedded Word file (…wordprocessingml.document, no
// "+xml") is a package of its own, inspected as one.
func isWordprocessingML(ct string) bool {
	return strings.HasSuffix(ct, "+xml") && (strings.Contains(ct, ".wordprocessingml.") || strings.HasPrefix(ct, "application/vnd.ms-word."))
}

// isSpreadsheetML reports a part type Excel reads formulas from, as
// isWordprocessingML.
func isSpreadsheetML(ct string) bool {
	return strings.HasSuffix(ct, "+xml") && (strings.Contains(ct, ".spreadsheetml.") || strings.HasPrefix(ct, "application/vnd.ms-excel."))
}

// readPackage reads an OOXML package the way Office opens one, before
// its members: the part types from [Content_Types].xml, then the main
// part from the officeDocument relationship in _rels/.rels. Office never
// looks at folder names: a Word document whose main part is x/main.xml,
// or whose word/document.xml is a decoy beside it, is as much a Word
// document. What cannot be read so is a finding that blocks keeping,
// and the package's mime is then "". Without _rels/.rels (which Office
// would only open in repair) the document is the kind its parts typed
// as main parts agree on.
func (in *inspector) readPackage(zr *zip.Reader, cd centralDirectory, where string) *ooxmlPackage {
	pkg := in.readPackageIndex(zr, cd, where)
	if pkg != nil {
		pkg.hyperlinks = in.pictureLinks(zr, cd, where)
	}
	return pkg
}

// readPackageIndex reads [Content_Types].xml and _rels/.rels for
// readPackage.
func (in *inspector) readPackageIndex(zr *zip.Reader, cd centralDirectory, where string) *ooxmlPackage {
	var types, rels []*zip.File
	parts := map[string]int{}
	for i, f := range zr.File {
		name := decodeZipName(cd.entries[i].name, f.NonUTF8)
		switch strings.ToLower(name) {
		case "[content_types].xml":
			types = append(types, f)
		case "_rels/.rels":
			rels = append(rels, f)
		}
		if !strings.HasSuffix(name, "/") {
			parts[partKey(name)]++
		}
	}
	noMain := func(why string) { in.find(OOXMLNoMainPart, withWhere(where, why)) }
	b, err := in.readPackagePart(types, where)
	if err != nil {
		in.find(OOXMLTypesNotInspected, withWhere(where, "[Content_Types].xml: "+errText(err)))
		return nil
	}
	pkg, err := parseContentTypes(b)
	if err != nil {
		in.find(OOXMLTypesNotInspected, withWhere(where, "[Content_Types].xml: "+errText(err)))
		return nil
	}
	if len(rels) == 0 {
		kinds := map[string]bool{}
		for k := range parts {
			if mt, macros := mainPartMime(pkg.typeOf(k)); mt != "" {
				kinds[mt] = true
				pkg.macros = pkg.macros || macros
			}
		}
		if len(kinds) != 1 {
			noMain(fmt.Sprintf("no _rels/.rels, and %d kinds of main part", len(kinds)))
			return pkg
		}
		for mt := range kinds {
			pkg.mime = mt
		}
		return pkg
	}
	b, err = in.readPackagePart(rels, where)
	if err != nil {
		noMain("_rels/.rels: " + errText(err))
		return pkg
	}
	main, err := mainPart(b)
	if err != nil {
		noMain("_rels/.rels: " + errText(err))
		return pkg
	}
	if parts[main] == 0 {
		// Members named alike are each read: all are typed alike.
		noMain(fmt.Sprintf("_rels/.rels names %s, which is not in the package", displayName(main)))
		return pkg
	}
	ct := pkg.typeOf(main)
	mt, macros := mainPartMime(ct)
	if mt == "" {
		noMain(fmt.Sprintf("%s is %s", displayName(main), displayName(cmp.Or(ct, "of no type"))))
		return pkg
	}
	pkg.mime, pkg.macros = mt, pkg.macros || macros
	return pkg
}

// readPackagePart reads the one member of files (all named alike)
// whole, within the budget and maxPackagePart.
func (in *inspector) readPackagePart(files []*zip.File, where string) ([]byte, error) {
	switch len(files) {
	case 0:
		return nil, errors.New("missing")
	case 1:
	default:
		return nil, errors.New("more than one")
	}
	rc, err := files[0].Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(in.budget(rc, int64(files[0].CompressedSize64), where), maxPackagePart+1))
	switch {
	case err != nil:
		return nil, err
	case len(b) > maxPackagePart:
		return nil, fmt.Errorf("over %d bytes", maxPackagePart)
	}
	return b, nil
}

// packageDecoder is an XML decoder over a package part read whole, with
// the encoding policy of every part (partDecoder).
func packageDecoder(b []byte) *xml.Decoder { return newPartDecoder(bytes.NewReader(b), b) }

// errDTD is the error for a package part with a DTD: Office refuses
// one, and its entities are not expanded here.
var errDTD = errors.New("DTD")

// parseContentTypes reads [Content_Types].xml. Its schema allows only
// Default and Override elements in Types, each once per extension or
// part: anything else (another element or namespace, an element twice,
// an attribute missing) is an error, as Office and this reader might
// not agree on what the part types are.
func parseContentTypes(b []byte) (*ooxmlPackage, error) {
	d := packageDecoder(b)
	pkg := &ooxmlPackage{defaults: map[string]string{}, overrides: map[string]string{}}
	depth, root := 0, false
	for {
		tok, err := d.Token()
		if err == io.EOF {
			if !root {
				return nil, errors.New("no Types element")
			}
			return pkg, nil
		}
		if err != nil {
			return nil, errors.New(errText(err))
		}
		switch t := tok.(type) {
		case xml.Directive:
			return nil, errDTD
		case xml.EndElement:
			depth--
		case xml.StartElement:
			depth++
			if t.Name.Space != nsContentTypes {
				return nil, fmt.Errorf("element %s in another namespace", displayName(t.Name.Local))
			}
			if depth == 1 {
				if t.Name.Local != "Types" || root {
					return nil, fmt.Errorf("root element %s", displayName(t.Name.Local))
				}
				root = true
				continue
			}
			var m map[string]string
			var key string
			switch {
			case depth == 2 && t.Name.Local == "Default":
				m, key = pkg.defaults, strings.ToLower(attr(t, "Extension"))
			case depth == 2 && t.Name.Local == "Override":
				m, key = pkg.overrides, partKey(attr(t, "PartName"))
			default:
				return nil, fmt.Errorf("unexpected element %s", displayName(t.Name.Local))
			}
			ct := strings.ToLower(strings.TrimSpace(strings.SplitN(attr(t, "ContentType"), ";", 2)[0]))
			if key == "" || ct == "" {
				return nil, fmt.Errorf("%s without a name or a type", t.Name.Local)
			}
			if _, dup := m[key]; dup {
				return nil, fmt.Errorf("%s %s twice", t.Name.Local, displayName(key))
			}
			m[key] = ct
			if strings.Contains(ct, "vbaproject") || strings.Contains(ct, "macroenabled") || strings.Contains(ct, "macrosheet") {
				pkg.macros = true
			}
		}
	}
}

// attr is the value of t's attribute local without a namespace.
func attr(t xml.StartElement, local string) string {
	for _, a := range t.Attr {
		if a.Name.Space == "" && a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

// mainPart reads _rels/.rels for the target of the officeDocument
// relationship, as a part name (partKey). Any element that Office might
// take for one (a Relationship in any case or namespace, of a type
// ending in officeDocument in any case) counts: there must be exactly
// one, written as the schema says, internal, to a part inside the
// package.
func mainPart(b []byte) (string, error) {
	d := packageDecoder(b)
	var found []xml.StartElement
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", errors.New(errText(err))
		}
		switch t := tok.(type) {
		case xml.Directive:
			return "", errDTD
		case xml.StartElement:
			if !strings.EqualFold(t.Name.Local, "Relationship") {
				continue
			}
			for _, a := range t.Attr {
				if strings.EqualFold(a.Name.Local, "Type") && strings.HasSuffix(strings.ToLower(strings.TrimSpace(a.Value)), "/officedocument") {
					found = append(found, t)
					break
				}
			}
		}
	}
	if len(found) != 1 {
		return "", fmt.Errorf("%d officeDocument relationships", len(found))
	}
	t := found[0]
	if typ := attr(t, "Type"); t.Name.Space != nsRelationships || t.Name.Local != "Relationship" || typ != relMain && typ != relMainStrict {
		return "", errors.New("an officeDocument relationship not as the schema writes it")
	}
	if mode := attr(t, "TargetMode"); mode != "" && mode != "Internal" {
		return "", errors.New("an external main part")
	}
	target := attr(t, "Target")
	if target == "" || strings.ContainsAny(target, `\?#:%`) {
		// Nothing Office writes: a URL, a fragment, a Windows path or
		// percent-encoding, which Office and this reader may resolve to
		// different parts.
		return "", fmt.Errorf("main part %s", displayName(target))
	}
	for _, seg := range strings.Split(target, "/") {
		if seg == ".." {
			return "", fmt.Errorf("main part %s", displayName(target))
		}
	}
	return partKey(path.Clean("/" + target)), nil
}

// pictureLinks finds the relationships of the hyperlink type that a
// part may use as a picture's or a medium's link (a:blip r:link, VML's
// v:imagedata r:href, a:videoFile r:link): officeRelFindings counts
// one to the web as a link left clickable, but the program fetches it
// as the part is drawn. LibreOffice takes a blip's r:link target from
// the relationship whatever its type (oox BlipContext:
// getExternalTargetFromRelId, which checks only that it is external)
// and loads it as the document opens; what Word does with one of the
// hyperlink type is not known, so the same is assumed. Each
// relationship part is read again (within maxPackagePart); it returns,
// by member index, the source parts of those with hyperlink
// relationships, with their Ids, which inspectZip reads for the
// attributes naming them (pictureLinkUses) as it reads the part for
// its fields or formulas, not in a read of its own: a 55 MB
// document.xml with one hyperlink, read once more, took the archive
// past its budget.
func (in *inspector) pictureLinks(zr *zip.Reader, cd centralDirectory, where string) map[int]map[string]string {
	byKey := map[string][]int{}
	for i, f := range zr.File {
		k := partKey(decodeZipName(cd.entries[i].name, f.NonUTF8))
		byKey[k] = append(byKey[k], i)
	}
	var uses map[int]map[string]string
	for i, f := range zr.File {
		name := decodeZipName(cd.entries[i].name, f.NonUTF8)
		source, ok := relsSource(strings.ToLower(name))
		if !ok || !plainMember(f) {
			continue
		}
		b, err := in.readPackagePart([]*zip.File{f}, where)
		if err != nil {
			continue // officeRelFindings says it is not inspected
		}
		ids := hyperlinkRels(b)
		if len(ids) == 0 {
			continue
		}
		for _, j := range byKey[partKey(source)] {
			if uses == nil {
				uses = map[int]map[string]string{}
			}
			if uses[j] == nil {
				uses[j] = ids
				continue
			}
			// Two relationship parts name one source (their names
			// differ in case only): both sets.
			for id, to := range ids {
				uses[j][id] = to
			}
		}
	}
	return uses
}

// plainMember reports a member archive/zip can read as it is: not
// encrypted, stored, deflated or bzip2 (inspectZip reports the rest).
func plainMember(f *zip.File) bool {
	return f.Flags&0x41 == 0 && (f.Method == zip.Store || f.Method == zip.Deflate || f.Method == 12)
}

// relsSource is the part a relationship part (lower case) holds the
// relationships of: word/_rels/document.xml.rels is word/document.xml's.
// The package's own (_rels/.rels) has none.
func relsSource(lower string) (string, bool) {
	if !isRelsPart(lower) {
		return "", false
	}
	i := strings.LastIndex(lower, "_rels/")
	base := strings.TrimSuffix(lower[i+len("_rels/"):], ".rels")
	if base == "" || strings.Contains(base, "/") {
		return "", false
	}
	return lower[:i] + base, true
}

// hyperlinkRels reads a relationship part for the relationships of the
// hyperlink type (as officeRelFindings tells one), by Id, with where
// their targets lead (odfWhere). One that does not read is left:
// officeRelFindings reports it.
func hyperlinkRels(b []byte) map[string]string {
	d := packageDecoder(b)
	ids := map[string]string{}
	for {
		tok, err := d.Token()
		if err != nil {
			return ids
		}
		t, ok := tok.(xml.StartElement)
		if !ok || !strings.EqualFold(t.Name.Local, "Relationship") {
			continue
		}
		var typ, target string
		var idv []string
		for _, a := range t.Attr {
			switch strings.ToLower(a.Name.Local) {
			case "id":
				// Every one: Id="rId7" x:Id="rId8" is rId7 to a
				// reader taking Id without a namespace (LibreOffice)
				// and rId8 to one taking the last, and
				// officeRelFindings does not count an Id written
				// twice.
				idv = append(idv, a.Value)
			case "type":
				typ = a.Value
			case "target":
				target = a.Value
			}
		}
		if !strings.EqualFold(typ, relHyperlink) && !strings.EqualFold(typ, relHyperlinkStrict) {
			continue
		}
		for _, id := range idv {
			// Trimmed as the picture's attribute is (pictureLinkUses):
			// a reader matching them as written, " rId7" to " rId7",
			// and one collapsing blanks both find the relationship.
			if id = strings.TrimSpace(id); id != "" {
				ids[id] = odfWhere(strings.TrimSpace(target))
			}
		}
	}
}

// pictureLinkUses reads a part for an attribute in the relationships
// namespace (transitional or strict) named link or href whose value is
// one of ids: a picture or a medium drawn from the relationship's
// target. A part that does not read as XML is not inspected.
func (in *inspector) pictureLinkUses(e entry, open func() (io.ReadCloser, error), where string, ids map[string]string) {
	in.readPart(e, open, where, partReader{
		what:  "picture links",
		marks: pictureLinkMarks,
		token: in.pictureLinkToken(ids, where),
	})
}

// pictureLinkMarks reports bytes without which a part names no
// relationship as a picture's link.
func pictureLinkMarks(b []byte) bool {
	return bytes.Contains(b, []byte(":link")) || bytes.Contains(b, []byte(":href"))
}

// pictureLinkToken checks a part's tokens for pictureLinkUses, false
// after its finding.
func (in *inspector) pictureLinkToken(ids map[string]string, where string) func(xml.Token) bool {
	return func(tok xml.Token) bool {
		t, ok := tok.(xml.StartElement)
		if !ok {
			return true
		}
		for _, a := range t.Attr {
			if a.Name.Local != "link" && a.Name.Local != "href" || !strings.HasSuffix(strings.ToLower(a.Name.Space), "/relationships") {
				continue
			}
			if to, ok := ids[strings.TrimSpace(a.Value)]; ok {
				in.find(OOXMLPictureLinked, "(a picture's link to a hyperlink relationship, to "+to+") in "+where)
				return false
			}
		}
		return true
	}
}
