package filetype

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/samples and the fuzz seed corpora from the builders")

// sample is a small file checked in under testdata/samples, crafted by the
// builders in build_test.go (regenerate with -update and review the diff)
// or, for formats Go cannot write, by hand (noted).
type sample struct {
	file     string
	build    func(t testing.TB) []byte // nil: hand-made, never rewritten
	declared string
	class    Class
	sniffed  string
	finding  string
}

func samples() []sample {
	return []sample{
		{file: "tiny-pe.exe", build: func(testing.TB) []byte { return peFile() }, declared: "application/x-msdownload",
			class: ClassExecutable, sniffed: "application/x-msdownload"},
		{file: "tiny.elf", build: func(testing.TB) []byte { return elfFile() }, class: ClassExecutable, sniffed: "application/x-executable"},
		{file: "tiny-macho", build: func(testing.TB) []byte { return machOFile("\xcf\xfa\xed\xfe") }, class: ClassExecutable, sniffed: "application/x-mach-binary"},
		{file: "Hello.class", build: func(testing.TB) []byte { return javaClass() }, class: ClassExecutable, sniffed: "application/java-vm"},
		{file: "shortcut.lnk", build: func(testing.TB) []byte { return lnkFile() }, class: ClassExecutable, sniffed: "application/x-ms-shortcut"},
		{file: "setup.msi", build: func(testing.TB) []byte { return oleFile(clsidMSI, oleEnt{"\u4840\u3f3f\u4177", 2}) },
			class: ClassExecutable, sniffed: "application/x-msi"},
		{file: "macro.doc", build: func(testing.TB) []byte {
			return oleFile(clsidWord, oleEnt{"WordDocument", 2}, oleEnt{"Macros", 1}, oleEnt{"VBA", 1}, oleEnt{"_VBA_PROJECT", 2})
		}, class: ClassOffice, sniffed: "application/msword", finding: "office: macros"},
		{file: "locked.xlsx", build: func(testing.TB) []byte {
			return oleFile(make([]byte, 16), oleEnt{"EncryptionInfo", 2}, oleEnt{"EncryptedPackage", 2})
		}, class: ClassEncryptedArchive, finding: "office: encrypted document"},
		{file: "macro.docm", build: func(t testing.TB) []byte {
			return docx(t, deflate("word/vbaProject.bin", oleFile(make([]byte, 16), oleEnt{"VBA", 1}, oleEnt{"_VBA_PROJECT", 2})))
		}, class: ClassOffice, sniffed: mimeDocm, finding: "office: macros"},
		{file: "plain.docx", build: func(t testing.TB) []byte { return docx(t) }, class: ClassOffice, sniffed: mimeDocx},
		{file: "ppap.zip", build: func(t testing.TB) []byte {
			return zipFile(t, zent{name: "見積書.xlsx", data: bytes.Repeat([]byte{0x5a, 0xa5}, 40), raw: true, size: 9000, method: 8, flags: 1 | 0x800})
		}, declared: "application/zip", class: ClassEncryptedArchive, finding: "zip: encrypted entry 見積書.xlsx"},
		{file: "nested.zip", build: func(t testing.TB) []byte {
			return zipFile(t, deflate("docs/inner.zip", zipFile(t, deflate("readme.txt", []byte("open the exe")), deflate("tool.scr", peFile()))))
		}, class: ClassExecutable, finding: "archive: executable entry docs/inner.zip/tool.scr"},
		{file: "hello.pdf", build: func(testing.TB) []byte { return pdfFile("") }, class: ClassPDF, sniffed: "application/pdf"},
		{file: "active.pdf", build: func(testing.TB) []byte { return pdfFile("/OpenAction << /S /JavaScript /JS (app.launchURL) >>") },
			class: ClassPDF, finding: "pdf: javascript"},
		{file: "dot.png", build: pngImage, class: ClassImage, sniffed: "image/png"},
		{file: "cd.iso", build: func(testing.TB) []byte { return isoImage() }, class: ClassArchive, sniffed: "application/x-iso9660-image"},
		{file: "src.tar.gz", build: func(t testing.TB) []byte {
			return gzipOf(t, "", tarFile(t, map[string][]byte{"README": []byte("hi\n"), "install.sh": []byte("#!/bin/sh\n")}, "README", "install.sh"))
		}, class: ClassExecutable, finding: "archive: executable entry install.sh"},
		{file: "letter.rtf", build: func(testing.TB) []byte { return []byte(`{\rtf1\ansi{\object\objemb{\*\objdata 01050000}}}`) },
			class: ClassOffice, finding: "office: embedded object"},
		{file: "page.html", build: func(testing.TB) []byte {
			return []byte("<!doctype html><html><body><form action=x></form></body></html>\n")
		},
			class: ClassOther, sniffed: "text/html"},
		{file: "logo.svg", build: func(testing.TB) []byte {
			return []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`)
		},
			class: ClassOther, sniffed: "image/svg+xml"},
		{file: "winmail.dat", build: func(testing.TB) []byte { return []byte("\x78\x9f\x3e\x22\x01\x00\x01\x06\x90\x08\x00\x00\x00") },
			class: ClassOther, sniffed: "application/ms-tnef"},
		{file: "memo-sjis.txt", build: func(t testing.TB) []byte { return sjis(t, "髙橋様\r\n①会議は㈱本社で行います。\r\n") },
			declared: "text/plain", class: ClassText, sniffed: "text/plain"},
		{file: "ppap.rar", build: func(testing.TB) []byte { return rar5([]string{"見積書.xlsx"}, true, false) },
			class: ClassEncryptedArchive, sniffed: "application/vnd.rar", finding: "rar: encrypted entry 見積書.xlsx"},
		{file: "photos.rar", build: func(t testing.TB) []byte {
			return rar4([]string{"IMG_0001.jpg", string(sjis(t, "写真.scr"))}, false, false)
		},
			class: ClassExecutable, finding: "archive: executable entry 写真.scr"},
		// Made with Python's bz2 module: Go has no bzip2 writer.
		{file: "update.sh.bz2", class: ClassExecutable, finding: "archive: executable entry update.sh"},
		// RAR 5 signature, main and end-of-archive headers written by hand (CRC32s
		// computed) from the RAR 5.0 format description: we have no rar tool.
		{file: "archive.rar", class: ClassArchive, sniffed: "application/vnd.rar", finding: "archive not inspected: rar"},
	}
}

func TestSamples(t *testing.T) {
	for _, s := range samples() {
		t.Run(s.file, func(t *testing.T) {
			path := filepath.Join("testdata", "samples", s.file)
			if *update && s.build != nil {
				if err := os.WriteFile(path, s.build(t), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			res, err := Classify(f, int64(len(data)), s.declared, s.file, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if res.Class != s.class || (s.sniffed != "" && res.SniffedType != s.sniffed) ||
				(s.finding != "" && !slices.Contains(res.Findings, s.finding)) {
				t.Errorf("got %+v; want class %q sniffed %q finding %q", res, s.class, s.sniffed, s.finding)
			}
			checkInvariants(t, res)
		})
	}
}

// TestWriteSeedCorpus rewrites the checked-in fuzz seed corpora from the
// samples (with -update).
func TestWriteSeedCorpus(t *testing.T) {
	if !*update {
		t.Skip("run with -update to rewrite testdata/fuzz")
	}
	for _, dir := range []string{"FuzzClassify", "FuzzSniff"} {
		if err := os.MkdirAll(filepath.Join("testdata", "fuzz", dir), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range samples() {
		data, err := os.ReadFile(filepath.Join("testdata", "samples", s.file))
		if err != nil {
			t.Fatal(err)
		}
		if len(data) > 8<<10 {
			continue // large seeds make the fuzzer spend its time minimising
		}
		c := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\nstring(%q)\nstring(%q)\n", data, s.declared, s.file)
		if err := os.WriteFile(filepath.Join("testdata", "fuzz", "FuzzClassify", "seed-"+s.file), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
		head := data[:min(len(data), sniffLong)]
		c = fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", head)
		if err := os.WriteFile(filepath.Join("testdata", "fuzz", "FuzzSniff", "seed-"+s.file), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
