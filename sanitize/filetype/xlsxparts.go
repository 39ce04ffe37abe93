package filetype

import (
	"encoding/xml"
	"strings"
)

// A workbook's settings that reach outside the file without a formula
// or a relationship: an XML map bound to its data's source, and a range
// or sheet published as a web page again each time the workbook is
// saved. Both are attributes and elements of parts workbookPart reads
// (every XML part of a workbook: Excel finds xl/xmlMaps.xml, the
// workbook and its sheets by relationships, not by name), so they are
// read in the same pass, not in a second one over every sheet.

// externalContent is the finding for content a document fetches from,
// or writes to, outside itself: a data connection's, an ActiveX
// control's, a web add-in's, and these.
const externalContent = "office: embedded or external content"

// hasWorkbookMark reports bytes without which a part of a workbook
// holds neither a formula (hasFormulaMark) nor a setting read here: an
// XML map's DataBinding, a web publishing object or item. Element names
// cannot be written with character references.
func hasWorkbookMark(b []byte) bool {
	return hasFormulaMark(b) || containsFold(b, "databinding") || containsFold(b, "webpublish")
}

// workbookSetting checks one element of a workbook's part for a setting
// that reaches outside the file.
//
// An XML map's DataBinding (ECMA-376 Part 1 18.16.1, in xl/xmlMaps.xml)
// is the map's binding to its data's source (Excel's XmlDataBinding,
// "the connection to the source data for an XmlMap"), which Excel reads
// again when the map refreshes, its DataBindingLoadMode saying when
// (none, normal, delayed, asynchronous, by the object model): an XML
// file by a connection (FileBinding, ConnectionID) or by name
// (FileBindingName), whose path or URL may be a share's (the NTLM
// hash), or a Data Retrieval Service whose settings are the element's
// content (any element: XmlDataBinding.LoadSettings takes a URL, a UNC
// path or a .uxdc file). Any one counts, whatever names the source or
// however it loads: which attribute Excel follows when is not known
// here. A map without one (ClearSettings removes the binding) is its
// schema and the cells it fills.
//
// A webPublishObject (18.2.25, the workbook's) or webPublishItem (a
// sheet's) with autoRepublish is published again as a web page to its
// destinationFile each time the workbook is saved (Excel's
// PublishObject.AutoRepublish): a file written where the sender chose,
// with the workbook's content, as the user saves it, a share or a web
// folder reached with the user's credentials. Any destination counts, a
// relative one too (a folder beside the workbook, or above it with
// ..\). One not republished on saving is published only from Excel's
// Publish dialog, which shows its destination, and is left.
func (in *inspector) workbookSetting(t xml.StartElement, where string) {
	switch {
	case strings.EqualFold(t.Name.Local, "DataBinding"):
		in.find(externalContent, where+" (XML map data binding)")
	case strings.EqualFold(t.Name.Local, "webPublishObject"), strings.EqualFold(t.Name.Local, "webPublishItem"):
		if v, ok := attrFold(t, "autoRepublish"); ok && xmlTrue(v) {
			in.find(externalContent, where+" (web page published on saving)")
		}
	}
}

// attrFold is the value of t's attribute of the local name (in any
// case and namespace), and whether it has one. Which of two a program
// takes is its own, so one named twice counts as true if any is
// (xmlTrue of a value: fail closed).
func attrFold(t xml.StartElement, local string) (string, bool) {
	var (
		val   string
		found bool
	)
	for _, a := range t.Attr {
		if strings.EqualFold(a.Name.Local, local) && (!found || xmlTrue(a.Value)) {
			val, found = a.Value, true
		}
	}
	return val, found
}

// xmlTrue reports a boolean attribute's value that is not false: XML
// Schema's false is "false" or "0", and ECMA-376 Part 4 adds "off"
// (blanks trimmed). A value that is neither false nor true, which
// Excel would refuse or repair, counts as true.
func xmlTrue(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "false", "0", "off":
		return false
	}
	return true
}
