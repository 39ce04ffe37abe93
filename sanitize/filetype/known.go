package filetype

import "strings"

// sniffedTypes are the content types Classify gives that no other table
// here lists: what Sniff and the readers refining it return.
var sniffedTypes = strings.Fields(`text/plain text/html text/xml text/x-shellscript image/svg+xml
	application/octet-stream application/x-ole-storage application/vnd.android.dex application/x-xar
	application/x-vmdk application/vnd.ms-outlook application/x-msi application/onenote application/hta
	application/x-apple-diskimage application/java-archive application/java-vm application/ms-tnef
	application/vnd.ms-htmlhelp application/x-executable application/x-mach-binary application/x-ms-shortcut
	application/x-msdownload application/x-mswinurl application/vnd.ms-appx
	image/x-icon audio/aiff audio/midi audio/mpeg audio/wave audio/basic application/ogg video/avi video/mp4 video/webm
	font/collection font/otf font/ttf font/woff font/woff2 application/wasm application/vnd.ms-fontobject`) // the last two lines: net/http's sniffer (sniffFallback)

// KnownType reports whether mt (parameters and case aside) is a type
// Classify may give a file as its SniffedType, the type a keep rule's
// types are compared with. A keep rule naming another keeps nothing by
// it, which `mugai check` says: a typo ("application/pfd"), a type only
// senders declare ("application/x-pdf"), or one mugai delivers a file
// as but does not read it as ("text/csv": a CSV file reads as
// text/plain).
func KnownType(mt string) bool {
	mt = strings.ToLower(strings.TrimSpace(strings.SplitN(mt, ";", 2)[0]))
	if typeExtensions[mt] != nil || families.types[mt] != "" {
		return true
	}
	// An OpenDocument file's type is its mimetype member's, which the
	// sender writes after the prefix (FuzzClassify found a bare
	// "application/vnd.oasis.opendocument"); an OOXML package of no known
	// kind is the bare prefix too.
	for _, p := range []string{"application/vnd.openxmlformats-officedocument", "application/vnd.oasis.opendocument",
		"application/vnd.ms-word.", "application/vnd.ms-excel.", "application/vnd.ms-powerpoint."} {
		if strings.HasPrefix(mt, p) {
			return true
		}
	}
	for _, t := range sniffedTypes {
		if mt == t {
			return true
		}
	}
	return false
}

// KnownTypes lists the types of typeExtensions and sniffedTypes, the
// ones a keep rule most often means: for suggesting one in place of a
// type KnownType does not know.
func KnownTypes() []string {
	var out []string
	for mt := range typeExtensions {
		out = append(out, mt)
	}
	return append(out, sniffedTypes...)
}
