package htmltext

import (
	"bytes"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// browserCases are documents with the words headless Chromium 156 was
// seen to show in each (readableText, which reads shadow roots too),
// space-separated and in any order. TestBrowserCases checks the
// converter prints those words, and, where Chromium is installed, that
// it still shows them.
var browserCases = []struct {
	name, in, shown string
}{
	// A <table> start tag in a table's insertion mode (the table, a row
	// group or a row is the nearest table element open; what stands
	// above it was moved out, foster parenting) ends the table first:
	// what follows is no longer in it, a hidden table's rows neither.
	{"table in fostered span ends hidden table", `<table hidden><span> a <table><tr><td> t </td></tr></table> b </span><tr><td> c </td></tr></table> d`, "a t b c d"},
	{"table of text in fostered span", `<table hidden><span> a <table> x </table> b </span><tr><td> c`, "a x b c"},
	{"table in fostered div in row", `<table style="display:none"><tr><span> a <div><table><tr><td> t </table> b </div></span><td> c </table> d`, "a t b c d"},
	{"table in fostered formatting element", `<table hidden><b> a <table><tr><td> t </table> b </b><tr><td> c </table> d`, "a t b c d"},
	{"table breaking out of fostered svg", `<table hidden><svg><table><tr><td> t </table> b <tr><td> c </table> d`, "t b c d"},
	{"table in fostered p, standards mode", `<!DOCTYPE html><table hidden><p> a <table><tr><td> t </table> b <tr><td> c </table> d`, "a t b c d"},
	{"table in a cell is nested", `<table hidden><tr><td> in <span> a <table><tr><td> t </table> b </span><tr><td> c </table> d`, "d"},
	// Outside a table a cell's tag is no element (HTML "in body"), so
	// its style hides nothing.
	{"cell outside a table", `<td style="color:#ffffff"><p style="color:#333"> p </p> x </td><th hidden> y </th><caption style="display:none"> z </caption>`, "p x y z"},
	{"hidden cell after a table ended by another", `<table> a <tr><div> b <table><tr><td> c </table></div><td style="display:none"> d </table>`, "a b c d"},
	{"table in a caption is nested", `<table hidden><caption> cap <table><tr><td> t </table> e </caption><tr><td> c </table> d`, "d"},
}

func TestBrowserCases(t *testing.T) {
	var shown []string
	if _, err := exec.LookPath("chromium"); err == nil && !testing.Short() {
		docs := make([][]byte, len(browserCases))
		for i, c := range browserCases {
			docs[i] = []byte(c.in)
		}
		shown = browserTexts(t, findBrowser(t), docs)
	}
	for i, c := range browserCases {
		t.Run(c.name, func(t *testing.T) {
			want := sortedWords(c.shown)
			if shown != nil {
				if got := sortedWords(shown[i]); !slices.Equal(got, want) {
					t.Errorf("Chromium shows %q, the table says %q", got, want)
				}
			}
			var out bytes.Buffer
			if _, err := Convert(&out, openString(c.in), Options{}); err != nil {
				t.Fatalf("Convert: %v", err)
			}
			if got := sortedWords(convertedText(out.String())); !slices.Equal(got, want) {
				t.Errorf("%s\nprinted %q (%q), Chromium shows %q", c.in, got, out.String(), want)
			}
		})
	}
}

// sortedWords lists the words of a text as browserWords splits it, sorted.
func sortedWords(s string) []string {
	var ws []string
	for w, n := range browserWords(s) {
		for range n {
			ws = append(ws, w)
		}
	}
	slices.Sort(ws)
	return ws
}

var _ = strings.Fields
