package filetype

import "strings"

// sniffedTypes are the content types Classify gives that no other table
// here lists: what Sniff and the readers refining it return.
var sniffedTypes = strings.Fields(`text/plain text/html text/xml text/x-shellscript image/svg+xml
	application/octet-stream application/x-ole-storage application/vnd.android.dex application/x-xar
	application/x-vmdk application/vnd.ms-outlook application/x-msi application/onenote application/hta
	application/x-apple-diskimage
	image/x-icon audio/aiff audio/midi audio/mpeg audio/wave audio/basic application/ogg video/avi video/mp4 video/webm
	font/collection font/otf font/ttf font/woff font/woff2 application/wasm application/vnd.ms-fontobject`) // the last two lines: net/http's sniffer (sniffFallback)

// deliveredTypes are types a keep rule may name for what mugai writes
// a kept file as (a CSV or TSV file, sniffed as text/plain, goes out as
// one of these), or that senders declare for it.
var deliveredTypes = strings.Fields(`text/csv text/tab-separated-values text/comma-separated-values text/x-csv`)

// KnownType reports whether mt (parameters and case aside) is a type
// mugai tells files by: one Classify may give as SniffedType, one its
// tables know a declared type as, or one of the Office and OpenDocument
// families. A keep rule naming another ("application/pfd") keeps nothing
// by it, which `mugai check` says.
func KnownType(mt string) bool {
	mt = strings.ToLower(strings.TrimSpace(strings.SplitN(mt, ";", 2)[0]))
	if _, ok := declaredTable[mt]; ok {
		return true
	}
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
	for _, list := range [][]string{sniffedTypes, deliveredTypes} {
		for _, t := range list {
			if mt == t {
				return true
			}
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
	return append(append(out, sniffedTypes...), deliveredTypes...)
}
