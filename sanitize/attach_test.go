package sanitize

import "testing"

// TestBlocksKeeping: what a file holds is the reason given before what
// could not be read of it, whatever order the classifier found them in.
func TestBlocksKeeping(t *testing.T) {
	for _, tt := range []struct {
		findings []string
		want     string
	}{
		{nil, ""},
		{[]string{"zip: nested archive inner.zip"}, ""},
		{[]string{"office: macros"}, "office document with macros"},
		{[]string{"zip: too many entries", "office: macros"}, "office document with macros"},
		{[]string{"archive: limit exceeded", "archive: active content entry page.html"}, "archive holds HTML or SVG, which runs scripts when opened"},
		{[]string{"pdf: not fully inspected: a stream mugai cannot read to the end", "pdf: javascript"}, "document with active or embedded content"},
		{[]string{"zip: corrupt entry", "zip: encrypted entry secret.docx"}, "encrypted content cannot be inspected"},
		{[]string{"zip: nested archive a.zip", "zip: corrupt entry"}, "archive could not be fully inspected"},
		{[]string{"ole: odd stream"}, "content needs inspection (ole)"},
	} {
		if got := blocksKeeping(tt.findings); got != tt.want {
			t.Errorf("blocksKeeping(%q) = %q, want %q", tt.findings, got, tt.want)
		}
	}
}
