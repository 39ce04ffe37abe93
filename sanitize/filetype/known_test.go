package filetype

import "testing"

// TestKnownSniffedTypes: every type Classify gives is one KnownType
// knows (runClassify checks it), also for a Windows app package and for
// an OpenDocument package whose mimetype member names no kind: mugai
// check must not call a keep rule naming what Classify gives a typo.
func TestKnownSniffedTypes(t *testing.T) {
	odf := func(mimetype string) []byte {
		return zipFile(t, stored("mimetype", []byte(mimetype)), deflate("META-INF/manifest.xml", []byte(odfManifest)), deflate("content.xml", odfBody("text", "")))
	}
	const generic = "application/vnd.oasis.opendocument"
	runClassify(t, []classifyCase{
		{name: "Windows app package", data: zipFile(t, deflate("[Content_Types].xml", []byte(`<Types/>`)), deflate("AppxManifest.xml", []byte(`<Package/>`))),
			filename: "a.appx", class: ClassExecutable, sniffed: "application/vnd.ms-appx", exe: true},
		{name: "ODF mimetype naming no OpenDocument type", data: odf("text/plain"), filename: "a.odt", class: ClassOffice, sniffed: generic},
		{name: "ODF mimetype with a parameter and no kind", data: odf(generic + ".;x"), filename: "a.odt", class: ClassOffice, sniffed: generic},
		{name: "ODF mimetype with a line break", data: odf(mimeODT + "\r\nX-Mugai: 1"), filename: "a.odt", class: ClassOffice, sniffed: generic},
		{name: "ODF mimetype of a kind", data: odf(mimeODT), filename: "a.odt", class: ClassOffice, sniffed: mimeODT},
	})
}
