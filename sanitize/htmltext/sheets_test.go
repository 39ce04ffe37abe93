package htmltext

import (
	"strings"
	"testing"
)

// TestSheetsWholeDocument checks that every style sheet applies to the
// whole document, as in a browser, wherever its <style> stands; and that
// a <style> a browser does not take for one (in a template, in math,
// as a textarea's text) styles nothing. Each was laid out in Chromium.
func TestSheetsWholeDocument(t *testing.T) {
	const hide = `<style>.x{display:none}</style>`
	checkConvert(t, []convertCase{
		{"after the element", `<p class=x>secret</p>` + hide + `<p>shown</p>`, "shown\n"},
		{"after </html>", `<html><body><p class=x>secret</p><p>shown</p></body></html>` + hide, "shown\n"},
		{"in a table", `<p class=x>secret</p><table>` + hide + `<tr><td>cell</td></tr></table><p>shown</p>`, "cell\n\nshown\n"},
		{"in a select", `<p class=x>secret</p><select>` + hide + `<option>opt</option></select><p>shown</p>`, "shown\n"},
		{"in an option", `<p class=x>secret</p><select><option>o` + hide + `</option></select><p>shown</p>`, "shown\n"},
		{"in noscript", `<p class=x>secret</p><noscript>` + hide + `</noscript><p>shown</p>`, "shown\n"},
		{"in noscript in the head", `<head><noscript>` + hide + `</noscript></head><p class=x>secret</p><p>shown</p>`, "shown\n"},
		{"in svg", `<p class=x>secret</p><svg>` + hide + `</svg><p>shown</p>`, "shown\n"},
		{"in an unclosed svg", `<p class=x>secret</p><svg>` + hide + `<p>shown</p>`, "shown\n"},
		{"in svg, a CDATA section", `<p class=x>secret</p><svg><style><![CDATA[.x{display:none}]]></style></svg><p>shown</p>`, "shown\n"},
		{"in svg, a character reference", `<p class=x>secret</p><svg><style>.x{display:&#110;one}</style></svg><p>shown</p>`, "shown\n"},
		{"in svg's foreignObject", `<p class=x>secret</p><svg><foreignObject>` + hide + `</foreignObject></svg><p>shown</p>`, "shown\n"},
		{"in svg's desc", `<p class=x>secret</p><svg><desc>` + hide + `</desc></svg><p>shown</p>`, "shown\n"},
		{"in math's mi", `<p class=x>secret</p><math><mi>` + hide + `</mi></math><p>shown</p>`, "shown\n"},
		{"on body, after it", `<body class=x><p>x</p><p style="visibility:visible">y</p><style>.x{visibility:hidden}</style>`, "y\n"},
		{"standards mode, after it", `<!DOCTYPE html><p class=X>a</p><p class=x>b</p>` + hide, "a\n"},
		{"the later sheet wins", `<p class=x>secret</p>` + hide + `<style>.x{display:block}</style><p>shown</p>`, "secret\n\nshown\n"},

		// No style sheet there.
		{"in a template", `<p class=x>secret</p><template>` + hide + `</template><p>shown</p>`, "secret\n\nshown\n"},
		{"in math", `<p class=x>secret</p><math>` + hide + `</math><p>shown</p>`, "secret\n\nshown\n"},
		{"in a textarea", `<p class=x>secret</p><textarea>` + hide + `</textarea><p>shown</p>`, "secret\n\nshown\n"},
		{"in an iframe", `<p class=x>secret</p><iframe>` + hide + `</iframe><p>shown</p>`, "secret\n\nshown\n"},
		{"in svg in a template", `<p class=x>secret</p><template><svg>` + hide + `</svg></template><p>shown</p>`, "secret\n\nshown\n"},
		{"in svg, the other media", `<p class=x>secret</p><svg><style media=print>.x{display:none}</style></svg><p>shown</p>`, "secret\n\nshown\n"},
	})
}

// TestConvertStreamSheets checks ConvertStream, which reads the document
// once: a sheet applies from where it stands on.
func TestConvertStreamSheets(t *testing.T) {
	var b strings.Builder
	st, err := ConvertStream(&b, strings.NewReader(`<i class=a>1</i><style>.a{display:none}</style><i class=a>2</i>`), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if b.String() != "1\n" || st.Hidden != 1 {
		t.Errorf("got %q, %d hidden; want %q, 1", b.String(), st.Hidden, "1\n")
	}
}
