package htmltext

import (
	"io"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/iotest"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
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

// TestSheetsLimitsWholeDocument checks that the first pass keeps to the
// sheets' bounds: a sheet after the text, or an svg one, past
// maxSheetBytes is cut there and the report says so.
func TestSheetsLimitsWholeDocument(t *testing.T) {
	pad := strings.Repeat("/* padding */", maxSheetBytes/13)
	for name, in := range map[string]string{
		"after the text":          `<i class=x>x</i><style>` + pad + `.x{display:none}</style>`,
		"in svg":                  `<i class=x>x</i><svg><style>` + pad + `.x{display:none}</style></svg>`,
		"in svg, text after text": `<i class=x>x</i><svg><style>` + pad + `<![CDATA[` + pad + `]]>.x{display:none}</style></svg>`,
	} {
		out, st := convertString(t, in, Options{})
		if out != "x\n" || !st.StyleLimit {
			t.Errorf("%s: got %q, StyleLimit %v; want %q, true", name, out, st.StyleLimit, "x\n")
		}
	}
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

// TestLastStyle checks the scan that tells how far the sheets are read:
// the last "<style" in any case, wherever a read cuts it.
func TestLastStyle(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		{"", -1},
		{"<p>no sheet</p>", -1},
		{"<style>", 0},
		{"<p><STYLE>a</STYLE><p><Style media=x>", 22},
		{"<styl", -1},
		{"<<style", 1},
		{"text <!-- <style> --> text", 10},
		{strings.Repeat("x", 70000) + "<sTyLe>" + strings.Repeat("y", 70000), 70000},
	}
	for _, tt := range tests {
		for name, r := range map[string]func(string) io.Reader{
			"whole":    func(s string) io.Reader { return strings.NewReader(s) },
			"one byte": func(s string) io.Reader { return iotest.OneByteReader(strings.NewReader(s)) },
			"halves":   func(s string) io.Reader { return iotest.HalfReader(strings.NewReader(s)) },
		} {
			got, err := lastStyle(r(tt.in))
			if err != nil || got != tt.want {
				t.Errorf("lastStyle(%.40q), %s: %d, %v; want %d", tt.in, name, got, err, tt.want)
			}
		}
	}
}

// TestSheetsReadSoFar checks that reading the sheets only as far as the
// last "<style" loses none: each generated document (TestBrowserGenerated's)
// converts as it does with the sheets read to its end.
func TestSheetsReadSoFar(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 1))
	for i := range 500 {
		doc := genDocument(r)
		var got, want strings.Builder
		if _, err := Convert(&got, openString(doc), Options{}); err != nil {
			t.Fatal(err)
		}
		sh, err := readSheets(strings.NewReader(doc), math.MaxInt64)
		if err != nil {
			t.Fatal(err)
		}
		rec := shadowRecords(openString(doc), Options{}, sh)
		if _, err := convert(&want, strings.NewReader(doc), Options{}, sh, true, rec); err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Fatalf("document %d:\n%s\ngot  %q\nwant %q", i, doc, got.String(), want.String())
		}
	}
}

// TestSheetReaderNames checks that every tag name the first pass looks
// for is a standard name, which rawTagName reads without a copy: one it
// did not know would be taken for no tag at all.
func TestSheetReaderNames(t *testing.T) {
	names := []string{"svg", "math", "foreignobject", "desc", "title", "mi", "mo", "mn", "ms", "mtext", "template", "noscript", "style", "font", "p", "br",
		"iframe", "noembed", "noframes", "plaintext", "script", "textarea", "xmp"}
	for _, n := range names {
		if a := atom.Lookup([]byte(n)); a == 0 || a.String() != n {
			t.Errorf("%s is not in the atom table", n)
		}
	}
	// The tags that end svg and math content (breaksOutOfForeign).
	for _, n := range strings.Fields(`b big blockquote body center code dd div dl dt em embed h1 h2 h3 h4 h5 h6 head hr i img li listing menu meta nobr ol pre ruby s small span strong strike sub sup table tt u ul var`) {
		if !breaksOutOfForeign(n) {
			t.Errorf("%s: not in breaksOutOfForeign, which this list copies", n)
		}
		if a := atom.Lookup([]byte(n)); a == 0 || a.String() != n {
			t.Errorf("%s is not in the atom table", n)
		}
	}
	for _, tag := range []string{"<STYLE media=screen>", "</Svg >", "<foreignObject/>", "<x-very-long-custom-element>", "<>"} {
		z := html.NewTokenizer(strings.NewReader(tag))
		z.Next()
		p := sheetReader{z: z}
		want, _ := z.TagName()
		if a := atom.Lookup(want); a == 0 {
			want = nil
		}
		if got := p.rawTagName(); got != string(want) {
			t.Errorf("rawTagName(%q) = %q, want %q", tag, got, want)
		}
	}
}
