package filetype

import (
	"encoding/xml"
	"errors"
	"io"
	"path"
)

// ctWordSettings is the type of a Word document's settings part, where
// its mail merge data source is named.
const ctWordSettings = "application/vnd.openxmlformats-officedocument.wordprocessingml.settings+xml"

// MailMergeSource is the finding for a Word document set up as a mail
// merge main document with a data source (w:mailMerge holding a
// connection string, a query, a data or header source, or an Office
// data source object): Word opens the source as the document opens,
// after asking to run the query, so a spreadsheet or database on a share
// (the NTLM hash) or a server is reached by a click on the dialog's
// default button.
const MailMergeSource = "office: external reference mail merge data source"

// isWordSettings reports a part Word reads its settings from: one typed
// as settings, or (as Word finds it by relationship, and the type may
// be given by a Default) one named settings.xml.
func isWordSettings(lower, ct string) bool {
	return ct == ctWordSettings || path.Base(lower) == "settings.xml"
}

// mailMergeNames are the children of w:mailMerge (and of its w:odso)
// that name where the merge's data comes from.
var mailMergeNames = map[string]bool{
	"connectString": true, "query": true, "dataSource": true, "headerSource": true, "udl": true, "src": true,
}

// wordSettings reads a Word document's settings part for a mail merge
// data source (MailMergeSource). It streams: a settings part of a long
// edited document holds thousands of revision IDs. UTF-16 with a byte
// order mark is read as OPC allows; a part that does not read as XML is
// not inspected.
func (in *inspector) wordSettings(e entry, rd io.Reader, path string) {
	where := path + displayName(e.name)
	d := partDecoder(in.budget(rd, e.comp, where))
	depth, merge := 0, 0 // merge: the depth of the w:mailMerge open, or 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return
		}
		if err != nil {
			if !errors.Is(err, errLimit) {
				in.find("office: settings not inspected", where+": "+errText(err))
			}
			return
		}
		switch t := tok.(type) {
		case xml.Directive:
			// A DTD's entities are not expanded here; Word refuses one.
			in.find("office: settings not inspected", where+": DTD")
			return
		case xml.StartElement:
			depth++
			switch {
			case t.Name.Local == "mailMerge" && merge == 0:
				merge = depth
			case merge > 0 && mailMergeNames[t.Name.Local]:
				in.find(MailMergeSource, "in "+where)
				return
			}
		case xml.EndElement:
			if depth == merge {
				merge = 0
			}
			depth--
		}
	}
}
