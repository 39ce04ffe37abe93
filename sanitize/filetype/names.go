package filetype

import (
	"fmt"
	"mime"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// claim is what a filename extension or a declared type says a file is.
type claim struct {
	class Class
	// textual: files of this kind are plain text by content (scripts,
	// HTML, XML, e-mail), so sniffed text/plain is consistent with it.
	textual bool
	// also is a second content class that is consistent with the claim,
	// e.g. an .msi is executable but its content sniffs as OLE2 (office),
	// a .jar is executable but a ZIP (archive).
	also Class
	// refinable: the claim names a container (ZIP) and content of class
	// also is a more precise reading of the same bytes (a .docx sent as
	// application/zip): the content's class then counts, not the claim's.
	refinable bool
}

func (c claim) consistentWith(content Class) bool {
	return content == c.class || content == c.also || (c.textual && content == ClassText)
}

// strictClass is the class the claim adds to the strictness comparison.
func (c claim) strictClass(content Class) Class {
	if c.refinable && content == c.also {
		return content
	}
	return c.class
}

// Extensions, lower case without the dot. The executable list follows the
// attachments Outlook blocks outright ("Level 1"), plus Unix, macOS and
// Android executables and scripts, and Windows files that run something
// when opened (.url, .library-ms, .settingcontent-ms, .iqy and its
// siblings .dqy .rqy .oqy, .rdp and Citrix's .ica, .wsb, .search-ms,
// RemoteApp's .wcx, Windows Contacts' .contact, Media Center's .mcl,
// provisioning packages .ppkg, theme packs, Excel 4 macro sheets .xlm),
// and what OWA blocks beyond Level 1 (.cdxml .pssc .udl).
//
// Disk images (.iso .img .vhd .vhdx .dmg .udf) are classed as archives, not
// executables: they are containers like a ZIP (whose contents Windows shows
// when mounted), their content sniffs as a container (ISO 9660 / UDF / VHD),
// and we cannot open them; Classify adds "archive not inspected: …" so that
// a policy that keeps archives by type never keeps them by accident (keep
// rules match the sniffed type, and application/zip is not theirs).
var extensionTable = func() map[string]claim {
	t := map[string]claim{}
	add := func(c claim, exts string) {
		for _, e := range strings.Fields(exts) {
			t[e] = c
		}
	}
	exe := claim{class: ClassExecutable}
	script := claim{class: ClassExecutable, textual: true}
	add(exe, `exe com scr pif cpl dll sys drv ocx efi msc msu diagcab
		app appx appxbundle msix msixbundle appinstaller application appref-ms xbap gadget
		lnk scf hlp chm its cer crt der p7b xll wll vsto vsix
		mad maf mag mam maq mar mas mat mau mav maw mda mdb mde mdt mdw mdz ade adp accde accda accdr accdt mcf bgi udl
		ops osd pcd plg prf prg printerexport pst theme tmp shb shs xnk
		elf so dylib run ko apk xapk aab ipa dex class pyc pyo pyz pyzw deb rpm pkg mpkg snap flatpak appimage`)
	// OneNote's files (never kept: their embedded files run with a click)
	// read as OneNote content, which is no mismatch. OpenPGP armour (.asc
	// and the PGP/MIME types) is text.
	add(claim{class: ClassExecutable, also: ClassOffice}, `msi msp mst xla xlam ppa ppam xlm one onepkg`)
	add(claim{class: ClassExecutable, also: ClassArchive}, `jar war ear ppkg themepack deskthemepack`)
	add(script, `bat cmd ps1 ps1xml ps2 ps2xml psc1 psc2 psd1 psm1 psdm1 msh msh1 msh2 mshxml msh1xml msh2xml
		vb vbs vbe vbp bas js jse mjs cjs wsf wsh wsc ws sct hta inf ins isp reg url website
		jnlp iqy settingcontent-ms library-ms searchconnector-ms webpnp vsmacros vsw grp cnt hpj fxp
		sh bash zsh ksh csh tcsh fish command tool desktop scpt applescript workflow action
		py pyw pl pm rb php phtml phar lua tcl awk
		rdp ica wcx contact mcl wsb search-ms dqy rqy oqy cdxml pssc asp aspx asx htc appcontent-ms msrcincident`)
	add(claim{class: ClassArchive, also: ClassOffice, refinable: true}, `zip`)
	add(claim{class: ClassArchive}, `zipx rar 7z gz tgz gzip bz2 tbz tbz2 xz txz lzma tlz lz zst tzst z
		tar cpio lzh lha cab arj ace sit sitx arc zoo wim
		iso img vhd vhdx vmdk dmg udf`)
	add(claim{class: ClassOffice}, `doc dot docx docm dotx dotm xls xlt xlsx xlsm xlsb xltx xltm slk
		ppt pot pps pptx pptm potx potm ppsx ppsm sldx sldm
		odt ott ods ots odp otp odg otg odf odb rtf wps wpd vsd vsdx vsdm vss vst pub mpp
		jtd jtt jtdc jttc jaw jbw juw jfw jvw jsw xdw xbd hwp hwpx numbers pages key`)
	add(claim{class: ClassPDF}, `pdf`)
	add(claim{class: ClassImage}, `png jpg jpeg jpe jfif gif bmp dib webp tif tiff ico cur heic heif avif emf wmf`)
	add(claim{class: ClassText, textual: true}, `txt text csv tsv prn log md markdown json ndjson yaml yml ini cfg conf ics vcf vcs asc`)
	add(claim{class: ClassOther, textual: true}, `html htm xhtml shtml mht mhtml svg xml xsl xslt eml rss atom ps eps`)
	add(claim{class: ClassOther}, `dat svgz`)
	add(claim{class: ClassOther, also: ClassOffice}, `msg oft`)
	return t
}()

// declaredTable maps declared media types (lower case, no parameters).
// Families handled by prefix are in declaredClaim.
var declaredTable = func() map[string]claim {
	t := map[string]claim{}
	add := func(c claim, types string) {
		for _, e := range strings.Fields(types) {
			t[e] = c
		}
	}
	add(claim{class: ClassExecutable}, `application/x-msdownload application/x-msdos-program application/x-dosexec
		application/x-executable application/x-elf application/x-sharedlib application/x-pie-executable
		application/x-mach-binary application/x-mach-o-executable application/vnd.microsoft.portable-executable
		application/x-ms-shortcut application/x-ms-application application/x-ms-installer
		application/x-ms-manifest application/vnd.ms-htmlhelp application/x-chm application/java-vm
		application/x-java-applet application/x-java-jnlp-file application/vnd.android.package-archive
		application/x-apple-aspen-config application/x-x509-ca-cert application/pkix-cert
		application/x-deb application/vnd.debian.binary-package application/x-rpm application/x-redhat-package-manager`)
	add(claim{class: ClassExecutable, also: ClassOffice}, `application/x-msi application/x-ole-storage-msi`)
	add(claim{class: ClassExecutable, also: ClassArchive}, `application/java-archive application/x-java-archive application/x-jar`)
	add(claim{class: ClassExecutable, textual: true}, `application/x-sh application/x-shellscript text/x-shellscript
		text/x-sh application/x-csh text/x-csh application/x-bat application/bat application/x-msdos-batch
		text/x-python application/x-python text/x-python-script text/x-perl application/x-perl text/x-ruby application/x-ruby
		application/x-php text/x-php application/javascript text/javascript application/x-javascript
		application/ecmascript text/ecmascript text/jscript text/vbscript text/vbs application/x-vbscript
		application/hta text/hta application/x-powershell text/x-powershell application/x-wsh
		application/x-mswinurl application/internet-shortcut wwwserver/redirection application/x-url`)
	add(claim{class: ClassArchive, also: ClassOffice, refinable: true}, `application/zip application/x-zip
		application/x-zip-compressed multipart/x-zip`)
	add(claim{class: ClassArchive}, `application/x-rar application/x-rar-compressed application/vnd.rar application/x-7z-compressed
		application/gzip application/x-gzip application/x-gtar application/x-tar application/x-ustar
		application/x-bzip application/x-bzip2 application/x-xz application/zstd application/x-zstd
		application/x-compress application/x-compressed application/x-lzh-compressed application/x-lzh application/x-lha
		application/vnd.ms-cab-compressed application/x-cab application/x-arj application/x-ace-compressed
		application/x-stuffit application/x-cpio application/x-lzma application/x-lzip
		application/x-iso9660-image application/x-cd-image application/x-raw-disk-image application/x-apple-diskimage
		application/x-vhd application/x-virtualbox-vhd application/x-virtualbox-vhdx application/x-udf-image`)
	add(claim{class: ClassOffice}, `application/msword application/vnd.ms-powerpoint application/rtf text/rtf
		application/x-rtf text/richtext application/vnd.visio application/vnd.ms-visio application/onenote
		application/vnd.ms-publisher application/x-mspublisher application/vnd.ms-project
		application/x-js-taro application/x-jsdoc application/vnd.fujixerox.docuworks
		application/x-hwp application/haansofthwp application/vnd.hancom.hwp application/vnd.ms-works`)
	// Windows declares .csv as application/vnd.ms-excel: textual.
	add(claim{class: ClassOffice, textual: true}, `application/vnd.ms-excel`)
	add(claim{class: ClassPDF}, `application/pdf application/x-pdf application/acrobat applications/vnd.pdf text/pdf text/x-pdf`)
	// The reports of a bounce, a read receipt or an abuse report are
	// text by definition (RFC 3464, 8098, 5965, 6533): every bounce
	// carries one, and text content in it is no mismatch.
	add(claim{class: ClassOther, textual: true}, `application/xhtml+xml image/svg+xml application/xml
		message/rfc822 message/global application/postscript
		message/delivery-status message/global-delivery-status message/disposition-notification
		message/global-disposition-notification message/feedback-report message/global-headers
		application/pgp-encrypted application/pgp-signature application/pgp-keys`)
	add(claim{class: ClassOther}, `application/ms-tnef application/vnd.ms-tnef application/vnd.ms-outlook`)
	add(claim{class: ClassText, textual: true}, `application/json application/csv application/x-csv
		application/yaml application/x-yaml`)
	return t
}()

// genericTypes say nothing about the content: no opinion, no mismatch.
var genericTypes = map[string]bool{
	"": true, "application/octet-stream": true, "binary/octet-stream": true,
	"application/binary": true, "application/unknown": true, "application/x-unknown": true,
	"application/x-download": true, "application/force-download": true,
	"application/download": true, "application/x-octet-stream": true,
	"application/x-unknown-content-type": true, "unknown/unknown": true,
}

// normDeclared returns the declared media type in lower case without
// parameters, "" when it is missing or generic.
func normDeclared(declared string) string {
	declared = strings.TrimSpace(declared)
	mt, _, err := mime.ParseMediaType(declared)
	if err != nil {
		mt, _, _ = strings.Cut(declared, ";")
		mt = strings.ToLower(strings.TrimSpace(mt))
	}
	if genericTypes[mt] {
		return ""
	}
	return mt
}

// declaredClaim returns what a (normalised, non-generic) declared type says.
// Unknown types are "other": never guess in the sender's favour.
func declaredClaim(mt string) claim {
	if c, ok := declaredTable[mt]; ok {
		return c
	}
	switch {
	case strings.HasPrefix(mt, "application/vnd.openxmlformats-officedocument."),
		strings.HasPrefix(mt, "application/vnd.oasis.opendocument."),
		strings.HasPrefix(mt, "application/vnd.ms-word."),
		strings.HasPrefix(mt, "application/vnd.ms-excel."),
		strings.HasPrefix(mt, "application/vnd.ms-powerpoint."),
		strings.HasPrefix(mt, "application/vnd.ms-visio."):
		if strings.Contains(mt, "addin") {
			return claim{class: ClassExecutable, also: ClassOffice}
		}
		return claim{class: ClassOffice, also: ClassArchive}
	case strings.HasPrefix(mt, "image/"):
		return claim{class: ClassImage}
	case strings.HasPrefix(mt, "text/"):
		return claim{class: ClassText, textual: true}
	}
	return claim{class: ClassOther}
}

// bidiControls are the formatting characters that reorder displayed text:
// "invoice\u202Etxt.exe" shows as "invoiceexe.txt".
func isBidiControl(r rune) bool {
	return (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069) || r == 0x200E || r == 0x200F || r == 0x061C
}

// fileName is a filename split the way Windows would see it.
type fileName struct {
	exts []string // candidate extensions (lower case, no dot), strictest decides
	bidi rune     // first bidi control in the name, 0 if none
	// double is the inner extension of "a.pdf.exe" when both are known.
	double string
}

// parseFileName takes a decoded filename. Windows strips trailing dots and
// spaces, ignores a "::$DATA" stream suffix, and cuts at NUL or at the first
// ':' (alternate data stream); each reading gives a candidate extension.
func parseFileName(name string) fileName {
	var fn fileName
	for _, r := range name {
		if isBidiControl(r) {
			fn.bidi = r
			break
		}
	}
	// Base name: clients send C:\path\name and ../name.
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	readings := []string{name}
	if i := strings.IndexAny(name, "\x00:"); i >= 0 {
		readings = append(readings, name[:i])
		readings = append(readings, strings.NewReplacer("\x00", "", "::$DATA", "", "::$data", "").Replace(name))
	}
	seen := map[string]bool{}
	for i, rd := range readings {
		rd = strings.Map(func(r rune) rune {
			if isBidiControl(r) || r == 0xFEFF || r == 0x200B || r == 0x200C || r == 0x200D {
				return -1 // invisible: the shell ignores them for display, attackers pad with them
			}
			return r
		}, rd)
		rd = strings.TrimRight(rd, ". \t\r\n\x00")
		dot := strings.LastIndexByte(rd, '.')
		if dot < 0 || dot == len(rd)-1 {
			continue
		}
		// "invoice. exe" is read as .exe: the strict reading.
		ext := FoldExtension(strings.TrimSpace(rd[dot+1:]))
		if ext == "" {
			continue
		}
		if !seen[ext] {
			seen[ext] = true
			fn.exts = append(fn.exts, ext)
		}
		if i == 0 {
			stem := strings.TrimRight(rd[:dot], ". ")
			if d := strings.LastIndexByte(stem, '.'); d >= 0 {
				inner := FoldExtension(strings.TrimSpace(stem[d+1:]))
				if _, known := extensionTable[inner]; known {
					fn.double = inner
				}
			}
		}
	}
	return fn
}

// FoldExtension lowercases a file name's extension and folds the long s
// (ſ) and the dotless i (ı) to s and i: they are the only letters whose
// upper case is ASCII, so a comparison that upper-cases both sides, as
// Windows' case-insensitive names do, may take "data.cſv" for a .csv and
// "setup.pıf" for a .pif. Every check reads such a name as what it may
// open as.
func FoldExtension(ext string) string {
	ext = strings.ToLower(ext)
	if !strings.ContainsAny(ext, "ſı") {
		return ext
	}
	return strings.NewReplacer("ſ", "s", "ı", "i").Replace(ext)
}

// extensionClaim returns the strictest claim among the candidate extensions;
// ok is false when the name has no extension at all.
func (fn fileName) claim() (c claim, ext string, ok bool) {
	for _, e := range fn.exts {
		ec, known := extensionTable[e]
		if !known {
			ec = claim{class: ClassOther}
		}
		if !ok || Stricter(ec.class, c.class) {
			c, ext, ok = ec, e, true
		}
	}
	return c, ext, ok
}

// displayName makes an attacker-chosen name safe and short for a finding:
// control, bidi and invisible characters become \uXXXX, invalid bytes \xNN.
func displayName(s string) string { return visible(s, 120) }

// Visible returns s with every character a terminal or a log viewer would
// not show as itself written as an escape: controls and format characters
// (bidirectional overrides, zero-width characters, byte order marks) as
// \uXXXX, invalid UTF-8 bytes as \xNN. Reports and audit records show
// names and header values this way, so that what an operator reads is
// what the original held, and "evil\u202Etxt.exe" cannot pass for
// "evilexe.txt" in a terminal.
func Visible(s string) string { return visible(s, -1) }

// visible is Visible, cut after max characters (max < 0: no limit).
func visible(s string, max int) string {
	if max < 0 && plainVisible(s) {
		return s
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case invisible(r):
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
		i += size
		n++
		if max >= 0 && n >= max && i < len(s) {
			b.WriteString("…")
			break
		}
	}
	return b.String()
}

// invisible reports a rune Visible escapes: a control, a format character
// (Cf: the bidirectional controls, zero-width characters, the byte order
// mark, the soft hyphen) or a line or paragraph separator.
func invisible(r rune) bool {
	if r < 0x80 {
		return r < 0x20 || r == 0x7f
	}
	return r < 0xa0 || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp)
}

// plainVisible reports a string Visible leaves as it is.
func plainVisible(s string) bool {
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || invisible(r) {
			return false
		}
		i += size
	}
	return true
}

// typeExtensions are, for the content types Sniff tells apart, the
// extensions (lower case, no dot) a file of that type goes by: the
// program an extension opens reads the format mugai inspected.
var typeExtensions = func() map[string][]string {
	t := map[string][]string{}
	add := func(exts string, types ...string) {
		for _, mt := range types {
			mt = strings.ToLower(mt) // NameFits compares lower case
			t[mt] = append(t[mt], strings.Fields(exts)...)
		}
	}
	add("pdf", "application/pdf")
	add("docx docm dotx dotm", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "application/vnd.ms-word.document.macroEnabled.12")
	add("xlsx xlsm xltx xltm xlsb xlam", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/vnd.ms-excel.sheet.macroEnabled.12")
	add("pptx pptm potx potm ppsx ppsm ppam sldx sldm", "application/vnd.openxmlformats-officedocument.presentationml.presentation", "application/vnd.ms-powerpoint.presentation.macroEnabled.12")
	// Word opens RTF under .doc, and Japanese senders' .doc files often are.
	add("doc dot wps", "application/msword")
	add("doc rtf", "application/rtf")
	add("xls xlt xla", "application/vnd.ms-excel")
	add("ppt pot pps ppa", "application/vnd.ms-powerpoint")
	add("odt ott", "application/vnd.oasis.opendocument.text", "application/vnd.oasis.opendocument.text-template")
	add("ods ots", "application/vnd.oasis.opendocument.spreadsheet", "application/vnd.oasis.opendocument.spreadsheet-template")
	add("odp otp", "application/vnd.oasis.opendocument.presentation", "application/vnd.oasis.opendocument.presentation-template")
	add("odg otg", "application/vnd.oasis.opendocument.graphics", "application/vnd.oasis.opendocument.graphics-template")
	add("odf", "application/vnd.oasis.opendocument.formula")
	add("odb", "application/vnd.oasis.opendocument.database")
	add("msg oft", "application/vnd.ms-outlook")
	add("png", "image/png")
	add("jpg jpeg jpe jfif", "image/jpeg")
	add("gif", "image/gif")
	add("bmp dib", "image/bmp")
	add("webp", "image/webp")
	add("tif tiff", "image/tiff")
	add("heic heif avif", "image/heif")
	add("ico cur", "image/vnd.microsoft.icon")
	// An icon's images are PNG or BMP (a favicon.ico is often a PNG
	// renamed): whatever opens .ico reads those, as a viewer of ICOs
	// must.
	add("ico", "image/png", "image/bmp")
	add("emf", "image/emf")
	add("wmf", "image/wmf")
	add("ps eps", "application/postscript")
	add("zip", "application/zip")
	add("gz tgz gzip", "application/gzip", "application/x-gzip")
	add("bz2 tbz tbz2", "application/x-bzip2")
	add("tar", "application/x-tar")
	add("7z", "application/x-7z-compressed")
	add("rar", "application/vnd.rar", "application/x-rar-compressed")
	add("xz txz", "application/x-xz")
	add("zst tzst", "application/zstd")
	add("lz", "application/x-lzip")
	add("z", "application/x-compress")
	add("cab", "application/vnd.ms-cab-compressed")
	add("lzh lha", "application/x-lzh-compressed")
	add("arj", "application/x-arj")
	add("iso img udf", "application/x-iso9660-image", "application/x-udf-image")
	add("vhd vhdx", "application/x-vhd")
	add("vmdk", "application/x-vmdk")
	return t
}()

// odfExtensions are the extensions of the OpenDocument types.
var odfExtensions = func() map[string]bool {
	m := map[string]bool{}
	for mt, exts := range typeExtensions {
		if strings.HasPrefix(mt, "application/vnd.oasis.opendocument") {
			for _, e := range exts {
				m[e] = true
			}
		}
	}
	return m
}()

// families are kinds of content one program reads whatever format of
// the kind a file holds, by its content, under any extension of the kind:
// an image viewer any raster image (a phone's HEIC or PNG named .jpg),
// Word a .doc that is DOCX or RTF, Excel an .xls that is XLSX (an old
// Office "save as"), PowerPoint likewise. Vector images and metafiles
// (SVG, EMF, WMF: drawing commands, run by other code) and icons are
// not of the image kind; ODF files are not of Office's kinds.
var families = func() (f struct{ types, exts map[string]string }) {
	f.types, f.exts = map[string]string{}, map[string]string{}
	add := func(kind, types, exts string) {
		for _, t := range strings.Fields(types) {
			f.types[t] = kind
		}
		for _, e := range strings.Fields(exts) {
			f.exts[e] = kind
		}
	}
	add("image", "image/png image/jpeg image/gif image/bmp image/webp image/tiff image/heif",
		"png jpg jpeg jpe jfif gif bmp dib webp tif tiff heic heif avif")
	add("word", "application/msword application/rtf application/vnd.openxmlformats-officedocument.wordprocessingml.document application/vnd.ms-word.document.macroenabled.12",
		"doc dot docx docm dotx dotm rtf wps")
	add("excel", "application/vnd.ms-excel application/vnd.openxmlformats-officedocument.spreadsheetml.sheet application/vnd.ms-excel.sheet.macroenabled.12",
		"xls xlt xla xlsx xlsm xltx xltm xlsb xlam")
	add("powerpoint", "application/vnd.ms-powerpoint application/vnd.openxmlformats-officedocument.presentationml.presentation application/vnd.ms-powerpoint.presentation.macroenabled.12",
		"ppt pot pps ppa pptx pptm potx potm ppsx ppsm ppam sldx sldm")
	return f
}()

// TypesNamed lists the types whose files go by the extension ext (as
// NameFits reads an extension), sorted: what mugai reads a well-formed
// file of that name as, where it tells that format by its content. A
// text extension, and one of no format mugai tells, have none.
func TypesNamed(ext string) []string {
	ext = strings.TrimPrefix(strings.ToLower(strings.TrimSpace(ext)), ".")
	var ts []string
	for mt, exts := range typeExtensions {
		if slices.Contains(exts, ext) {
			ts = append(ts, mt)
		}
	}
	slices.Sort(ts)
	return ts
}

// NameFits reports whether a file named with extension ext (".pdf", any
// case; "" for none) may hold content sniffed as mt (SniffedType). A
// name says which program opens the file; a keep rule keeps a file only
// under a name that opens it as what mugai inspected. Nothing to compare
// fits: no extension, or content of no type mugai knows. Text fits a
// text extension or one mugai does not know; a container read only by
// its family (a compound file, an OOXML package of no known kind) fits
// the extensions of that family; content of a kind one program reads
// in every format (families) fits the extensions of the kind; other
// content fits only the extensions its type goes by.
func NameFits(ext, mt string) bool {
	ext = strings.TrimPrefix(strings.ToLower(strings.TrimSpace(ext)), ".")
	mt = strings.ToLower(strings.TrimSpace(strings.SplitN(mt, ";", 2)[0]))
	if ext == "" || mt == "" || mt == "application/octet-stream" {
		return true
	}
	c, known := extensionTable[ext]
	switch {
	case mt == "text/plain":
		return !known || c.class == ClassText
	case mt == "application/x-ole-storage":
		return known && (c.class == ClassOffice || c.also == ClassOffice)
	case typeExtensions[mt] == nil && strings.HasPrefix(mt, "application/vnd.openxmlformats-officedocument"):
		// A package Word, Excel and PowerPoint find no document in
		// (Visio's, say). Under their names or an ODF one, LibreOffice
		// tries its other readers and opens it as the OpenDocument
		// file a mimetype member says it is, whose XML mugai did not
		// read as ODF: it is not theirs.
		return known && (c.class == ClassOffice || c.also == ClassOffice) && families.exts[ext] == "" && !odfExtensions[ext]
	case typeExtensions[mt] == nil && strings.HasPrefix(mt, "application/vnd.oasis.opendocument"):
		return odfExtensions[ext]
	}
	if k, ok := families.types[mt]; ok && families.exts[ext] == k {
		return true
	}
	for _, e := range typeExtensions[mt] {
		if e == ext {
			return true
		}
	}
	return false
}
