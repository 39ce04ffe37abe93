package htmltext

import (
	"bytes"
	"encoding/json"
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
	// extra: words the converter prints that Chromium hides, on
	// purpose (see shadow.go: what cannot be known is printed).
	extra string
}{
	// A <table> start tag in a table's insertion mode (the table, a row
	// group or a row is the nearest table element open; what stands
	// above it was moved out, foster parenting) ends the table first:
	// what follows is no longer in it, a hidden table's rows neither.
	{"table in fostered span ends hidden table", `<table hidden><span> a <table><tr><td> t </td></tr></table> b </span><tr><td> c </td></tr></table> d`, "a t b c d", ""},
	{"table of text in fostered span", `<table hidden><span> a <table> x </table> b </span><tr><td> c`, "a x b c", ""},
	{"table in fostered div in row", `<table style="display:none"><tr><span> a <div><table><tr><td> t </table> b </div></span><td> c </table> d`, "a t b c d", ""},
	{"table in fostered formatting element", `<table hidden><b> a <table><tr><td> t </table> b </b><tr><td> c </table> d`, "a t b c d", ""},
	{"table breaking out of fostered svg", `<table hidden><svg><table><tr><td> t </table> b <tr><td> c </table> d`, "t b c d", ""},
	{"table in fostered p, standards mode", `<!DOCTYPE html><table hidden><p> a <table><tr><td> t </table> b <tr><td> c </table> d`, "a t b c d", ""},
	{"table in a cell is nested", `<table hidden><tr><td> in <span> a <table><tr><td> t </table> b </span><tr><td> c </table> d`, "d", ""},
	// Outside a table a cell's tag is no element (HTML "in body"), so
	// its style hides nothing.
	{"cell outside a table", `<td style="color:#ffffff"><p style="color:#333"> p </p> x </td><th hidden> y </th><caption style="display:none"> z </caption>`, "p x y z", ""},
	{"hidden cell after a table ended by another", `<table> a <tr><div> b <table><tr><td> c </table></div><td style="display:none"> d </table>`, "a b c d", ""},
	// Declarative shadow DOM (shadow.go). A closed shadow root is
	// measured as an open one (see shadowOpened).
	{"shadow default slot", `<div> a <template shadowrootmode="open"> s <slot></slot> t </template> b <span> c </span></div>`, "a b c s t", ""},
	{"shadow named slots", `<div> a <template shadowrootmode="open"> s <slot name=x> f </slot> t </template><span slot=x> c </span><i slot=y> g </i></div>`, "c s t", ""},
	{"shadow text fills the default slot", `<div><template shadowrootmode="open"> s <slot name=a> fa </slot><slot> fd </slot></template>
<b slot=a> x </b></div>`, "s x", ""},
	{"shadow fallback of an empty slot", `<div><template shadowrootmode="open"> s <slot name=a> fa </slot><slot> fd </slot></template><b slot=a> x </b></div>`, "s fd x", ""},
	{"shadow fallback of a second slot of a name", `<div><template shadowrootmode="open"> s <slot name=a> fa </slot><slot name=a> fb </slot></template><b slot=a> x </b></div>`, "s fb x", ""},
	{"shadow second root ignored", `<div><template shadowrootmode="open"> s <slot></slot></template><template shadowrootmode="open"> u <slot></slot></template> l </div>`, "s l", ""},
	{"shadow root after a template", `<div> l <template> t </template><template shadowrootmode="open"> s <slot></slot></template> m </div>`, "l s m", ""},
	{"shadow root closed", `<div><template shadowrootmode="closed"> s <slot name=q></slot></template> l </div>`, "s", ""},
	{"shadow root mode in any case", `<div><template shadowrootmode="OPEN"> s </template> l </div>`, "s", ""},
	{"shadow root mode unknown", `<div><template shadowrootmode="bogus"> s </template> l </div>`, "l", ""},
	{"shadow root on no host", `<b><template shadowrootmode="open"> s </template> l </b><li><template shadowrootmode="open"> t </template> m </li>`, "l m", ""},
	{"shadow root on a custom element", `<x-y><template shadowrootmode="open"> s </template> l </x-y>`, "s", ""},
	{"shadow root on body", `<body><template shadowrootmode="open"> s <slot name=q></slot></template> l </body>`, "s", ""},
	{"shadow root in the head", `<template shadowrootmode="open"> s </template> l `, "l", ""},
	{"shadow root in svg", `<div><svg><template shadowrootmode="open"> s </template></svg> x </div>`, "x", ""},
	{"shadow roots nested", `<div><template shadowrootmode="open"><div><template shadowrootmode="open"> i <slot></slot></template> m <slot></slot></div></template> l </div>`, "i l m", ""},
	{"shadow slot in a slot's fallback", `<div><template shadowrootmode="open"><slot><slot name=z> zz </slot></slot></template><p slot=z> pz </p></div>`, "pz", ""},
	{"shadow style scoped to its tree", `<style>p { display:none }</style><div><template shadowrootmode="open"><p> p1 </p><slot></slot></template><p> p2 </p></div><p> p3 </p>`, "p1", ""},
	{"shadow style hides in its tree only", `<div><template shadowrootmode="open"><style>p { display:none }</style><p> p1 </p><slot></slot></template><p> p2 </p></div><p> p3 </p>`, "p2 p3", ""},
	{"shadow style does not match across the host", `<div class=h><template shadowrootmode="open"><style>.h p { display:none }</style><p> sp </p></template></div>`, "sp", ""},
	{"shadow inherits from its host", `<div style="color:white"><template shadowrootmode="open"><p> sp </p></template></div>`, "", ""},
	{"shadow hidden template attribute", `<div><template shadowrootmode="open" hidden style="display:none"> s </template></div>`, "s", ""},
	{"shadow style after what it hides", `<div><template shadowrootmode="open"><p class=k> k1 </p><style>.k { display:none }</style><slot></slot></template><p class=k> k2 </p></div>`, "k2", ""},
	// A slotted child takes the style of its slot (Convert draws it
	// there, replay.go): a slot in a hidden element hides it.
	{"shadow slot in a hidden element", `<div><template shadowrootmode="open"><div style="display:none"><slot></slot></div> s </template> l </div>`, "s", ""},
	{"shadow slot in a hidden element of its sheet", `<div><template shadowrootmode="open"><style>.x { display:none }</style><section class=x><slot></slot></section></template><p> l </p></div>`, "", ""},
	{"shadow slot in white text", `<div><template shadowrootmode="open"><p style="color:white"><slot></slot></p> s </template> l <b style="color:#333"> d </b></div>`, "s d", ""},
	{"shadow slot in a tiny font", `<div><template shadowrootmode="open"><span style="font-size:0"><slot name=a></slot></span> s </template><b slot=a> l </b></div>`, "s", ""},
	{"shadow slot in visibility hidden", `<div><template shadowrootmode="open"><span style="visibility:hidden"><slot name=a></slot></span></template><b slot=a> v1 <i style="visibility:visible"> v2 </i></b></div>`, "v2", ""},
	{"shadow slotted child not under the slot's ancestors for rules", `<style>section b { display:none }</style><div><template shadowrootmode="open"><section><slot></slot></section></template><b> l </b></div>`, "l", ""},
	// A shadow tree's sheet reaches its host (:host) and the light
	// children drawn in its slots (::slotted()), below the document's
	// rules unless !important.
	{"shadow host rule", `<div><template shadowrootmode="open"><style>:host { display:none }</style><slot></slot> s </template><p> k </p></div> a`, "a", ""},
	{"shadow host rule with a compound", `<div class=h><template shadowrootmode="open"><style>:host(.h) { color:white } :host(.z) { display:none }</style> s <slot></slot></template><p> k </p><b style="color:#333"> d </b></div>`, "d", ""},
	{"shadow host as an ancestor", `<div><template shadowrootmode="open"><style>:host p { display:none } :host(div) > b { display:none }</style><p> p1 </p><b> b1 </b><i><b> b2 </b></i><slot></slot></template><p> l </p></div>`, "b2 l", ""},
	{"shadow slotted rule", `<div><template shadowrootmode="open"><style>::slotted(p) { display:none }</style> s <slot></slot></template><p> k </p><b> b </b></div>`, "s b", ""},
	{"shadow slotted rule of a slot", `<div><template shadowrootmode="open"><style>.w ::slotted(.x) { display:none } slot::slotted(i) { visibility:hidden }</style><section class=w><slot></slot></section><slot name=n></slot><u><slot name=m></slot></u></template><p class=x> k </p><b class=x> b </b><i> i1 </i><i slot=n class=x> i2 </i><b slot=m class=x> m </b></div>`, "m", ""},
	{"shadow slotted rule below the document's", `<style>p { display:block !important } b { display:inline }</style><div><template shadowrootmode="open"><style>::slotted(p) { display:none !important } ::slotted(b) { display:none }</style><slot></slot></template><p> k </p><b> b </b></div>`, "b", ""},
	{"shadow host rule below the document's", `<style>.v { visibility:visible }</style><div class=v><template shadowrootmode="open"><style>:host { visibility:hidden }</style> s </template></div>`, "s", ""},
	// An element moved out of a table is not in it: the table's rules
	// for its descendants do not match it.
	{"fostered element not in the table", `<style>.t span, .t .a { display:none }</style><table class="t"><span> x </span><tr><td> y </table>`, "x y", ""},
	{"formatting element reopened out of a table", `<style>.d .a { display:none }</style><table><tr><td><table><font class="a"> w <table class="d"> v <tr><td> u </tr></table> s </font></table></table>`, "w v u s", ""},
	// In svg and math, <style>, <title>, <script>… are their elements,
	// whose content is markup: an HTML tag in it ends the svg or math,
	// except in svg's <title> and <desc> (and math's <annotation-xml>
	// of HTML), where HTML is read again and nothing is drawn.
	{"svg style holds markup", `<svg><style> a <b> x </b></style></svg> y`, "x y", ""},
	{"svg style is a sheet up to a tag", `<svg><style> .q { display:none } <b> x </b> </style></svg><p class=q> y </p>`, "x", ""},
	{"svg title ended by the svg", `<svg><title> t </svg><p> x </p>`, "x", ""},
	{"svg title holds HTML, not drawn", `<svg><title> t <b> x </b> <p> z </p></title></svg> y`, "y", ""},
	{"svg desc holds HTML, not drawn", `<svg><desc> t <b> x </b></desc></svg> y`, "y", ""},
	{"svg style ended by the svg", `<svg><style> a </svg><p> x </p>`, "x", ""},
	{"svg script and textarea hold markup", `<svg><script> a <b> x </b></script></svg><svg><textarea> c <i> z </i></textarea></svg> y`, "x y z", ""},
	{"svg xmp and plaintext hold markup", `<svg><xmp> a <p> x </p></xmp></svg><svg><plaintext> c <i> z </i></svg> y`, "x y z", ""},
	{"svg title's style is raw text", `<svg><title> t <style> a </title><b> x </b></style></title></svg> y`, "y", ""},
	{"svg CDATA is text", `<svg><style> a <![CDATA[ <b> x </b> ]]> </style></svg> y`, "y", ""},
	{"math style holds markup", `<math><style> a <b> x </b></style></math> y`, "x y", ""},
	{"math mi style is raw text", `<math><mi><style> a <b> x </b></style></mi></math> y`, "y", ""},
	// math's <annotation-xml> of HTML is an HTML integration point: a
	// <style> in it is a style sheet of the document.
	{"annotation-xml of HTML style", `<math><semantics><mi></mi><annotation-xml encoding="text/html"><style>.h { display:none }</style></annotation-xml></semantics></math><p class=h> h </p><p> v </p>`, "v", ""},
	{"annotation-xml of XHTML style", `<math><annotation-xml encoding="Application/XHTML+XML"><style>.h { display:none }</style></annotation-xml></math><p class=h> h </p><p> v </p>`, "v", ""},
	{"annotation-xml of SVG style is none", `<math><annotation-xml encoding="image/svg+xml"><style>.h { display:none }</style></annotation-xml></math><p class=h> h </p><p> v </p>`, "h v", ""},
	{"annotation-xml of HTML holds HTML, not drawn", `<math><annotation-xml encoding="text/html"><p> h </p></annotation-xml></math><p> v </p>`, "v", ""},
	// MathML (math.go): the text of its token elements is drawn,
	// and nothing else of it; semantics and maction show their first
	// child; mphantom is unseen; hidden hides no MathML element.
	{"math token text", `<math><mi>m</mi></math> y`, "m y", ""},
	{"math row of tokens", `<p>a <math><mrow><mi>x</mi><mo>=</mo><mn>2</mn></mrow></math> b</p>`, "a x 2 b", ""},
	{"math text outside tokens", `<math> d <mrow> r </mrow><mtext> tx </mtext><annotation> an </annotation><annotation-xml> ax </annotation-xml></math> z`, "tx z", ""},
	{"math fraction and root", `<math><mfrac><mn>1</mn><mn>2</mn></mfrac><msqrt><mi>q</mi></msqrt><mroot><mi>w7</mi><mn>w8</mn></mroot></math>`, "1 2 q w7 w8", ""},
	{"math semantics first child", `<math><semantics><mi>s1</mi><annotation>ann</annotation><annotation-xml encoding="text/html"><p>ax</p></annotation-xml></semantics><semantics><annotation>v1</annotation><mi>v2</mi></semantics><semantics> t <mi>v3</mi><mi>v4</mi></semantics></math>`, "s1 v3", ""},
	{"math maction first child", `<math><maction actiontype=toggle selection=2><mrow><mi>a1</mi></mrow><mi>a2</mi></maction><maction><none/><mi>a3</mi></maction></math>`, "a1", ""},
	{"math phantom", `<math><mphantom><mi>p1</mi><mi style="visibility:visible">p2</mi></mphantom></math>`, "p2", ""},
	{"math hidden attribute", `<math hidden><mi>x1</mi></math><math><mrow hidden><mi>x3</mi></mrow><mi hidden>x4</mi></math>`, "x1 x3 x4", ""},
	{"math styles", `<style>.k2 { display:none } .w mi { color:white }</style><math class=k2><mi>h5</mi></math><math><mi style="display:none">h1</mi><mi style="visibility:hidden">h6</mi><mi class=k>h3</mi><style>.k { display:none }</style></math><p class=w><math><mi>h7</mi><mn style="color:#333">h8</mn></math>`, "h3 h8", ""},
	{"math HTML in token elements", `<math><mi><b>bb</b><p>pp</p></mi><mtext><span>sp</span><mi>m6</mi></mtext><mi><math><mi>m7</mi></math></mi><mi>g<mglyph> g5 </mglyph></mi></math>`, "bb pp sp m6 m7 g", ""},
	// In a token element an HTML tag is HTML's, and ends nothing of
	// the math: </mi> does not end the <mi> past an open <p>.
	{"math HTML in token elements ends no math", `<math><mi><p>x1</mi> x2 <mi>x3</mi></math> x4 <math><mtext><b>b1<p>b2</mtext> b3 </math> b4`, "x1 x2 x3 x4 b1 b2 b3 b4", ""},
	{"math token element is a scope", `<ul><li> a <math><ms><li> b </li></ms><mi> c </mi></math> d </li></ul>`, "a b c d", ""},
	{"math end tag in foreign content", `<math><mphantom><mtext><math><style> a <p> b </p></style></math></mtext><mn> c </mn></mphantom></math> d`, "c d", ""},
	{"math link in a token element", `<math><mi><a href="https://e.example/">lk</a></mi><mtext><img alt=al></mtext><a href="https://f.example/"><mi>lk2</mi></a></math>`, "lk lk2", ""},
	{"math broken out of", `<p>para <math><mi>x</mi><p>breaks</p> tail</p>`, "para x breaks tail", ""},
	{"math moved out of a table", `<table><math><mi>t1</mi></math><tr><td>t2</td></tr></table>`, "t1 t2", ""},
	{"math display of CSS draws its text", `<math style="display:unset"> d1 </math><math><mrow style="display:block"> d2 </mrow><msqrt style="display:inline-block"> d3 <mi>d4</mi></msqrt><mrow style="display:math"> d5 </mrow></math>`, "d1 d2 d3 d4", ""},
	{"math display inherited", `<ul><math style="display:inherit"> i1 <mrow style="display:inherit"> i2 </mrow></math></ul><math><mrow style="display:inherit"> i3 </mrow></math>`, "i1 i2", ""},
	{"math display contents hides", `<math><mrow style="display:contents"><mi>c1</mi></mrow><mi>c2</mi></math>`, "c2", ""},
	{"math semantics child given a display", `<math><semantics><mi style="display:inline-block">k1</mi><ms>k2</ms><mi style="display:flex">k3</mi></semantics></math>`, "k1 k3", ""},
	{"math svg breaks out to the token element", `<math><mphantom><mi><svg><style> a <div> k4 </div></style></svg> k5 </mi></mphantom><mi> k6 </mi></math>`, "k6", ""},
	{"math phantom visibility inherited", `<math><mphantom style="visibility:inherit"><mi>p7</mi></mphantom><mphantom style="visibility:revert"><mi>p8</mi></mphantom></math>`, "p7", ""},
	{"math annotation-xml of HTML", `<math><annotation-xml encoding="text/html"><mi>q8</mi><span> q9 </span></annotation-xml></math>`, "", ""},
	// In a <select> in a table a table part ends the select (HTML "in
	// select in table"); what the select holds is dropped on purpose
	// (a form control), so these selects hold no words.
	{"select in a cell ended by a caption", `<table><tr><td><select><option></option><caption> cap </caption></select></td></tr></table>`, "cap", ""},
	{"select in a cell ended by tbody's end tag", `<table><tr><td><select><option></option></tbody> r </select> s </td></tr></table>`, "r s", ""},
	{"select in a cell ended by a row's end tag", `<table><tr><td><select><option></tr> z <tr><td> w </table>`, "z w", ""},
	{"select in a cell ended by a cell", `<table><tr><td> a <select><option><td> b <select><th> c </table>`, "a b c", ""},
	{"select in a table ended by a row", `<table><select><option></option><tr><td> c </td></tr></table>`, "c", ""},
	{"select not in a table ends nothing around it", `<details><div> d <select><option></option></div></details><span> e </span>`, "d", ""},
	{"template ends a select in it", `<div><template shadowrootmode="open"> s <select><option></option></template> l </div><template> t <select></template><p> p </p>`, "s p", ""},
	{"caption ends a row of hidden visibility", `<table><tr style="visibility:hidden"><td> a <select><option></option><caption> cap </caption></td></tr></table>`, "cap", ""},
	{"caption ends a hidden cell", `<table><tr><td style="display:none"> a <caption> cap </caption></table>`, "cap", ""},
	// The adoption agency: the end tag of a formatting element with a
	// block opened in it leaves the block open (formatting.go).
	{"misnested formatting end keeps the hidden block", `<b><div style="display:none"><i> x </b> y </i> z </div> w`, "w", ""},
	{"misnested formatting end keeps the block of hidden visibility", `<i><b><div style="visibility:hidden"> x </i> y </b> z </div> w`, "w", ""},
	{"misnested formatting end keeps a white block", `<b><span><div style="color:white"> x </b> y </div> z`, "z", ""},
	{"misnested white formatting end shows the block's text", `<b style="color:white"><div> x </b> y </div> z </b> w`, "y z w", ""},
	// Cascade layers lose to rules of no layer and to later layers,
	// unless !important; @supports holds where Chromium knows the
	// declaration (sheet.go).
	{"layer below no layer", `<style>@layer { .a { display:none } } .b { display:block } @layer x { .b { display:none } }</style><p class=a> a1 </p><p class=b> b1 </p><p class="a b"> ab </p>`, "b1 ab", ""},
	{"layers in their declared order", `<style>@layer y, x; @layer x { #c { display:none } } @layer y { p { display:block } }</style><p id=c> c2 </p><style>@layer x { @media screen { .k { display:none } } }</style><p class=k> k1 </p>`, "", ""},
	{"layers reversed by important", `<style>@layer x { .j { display:none !important } } .j { display:block !important } @layer a { .m { display:none !important } } @layer b { .m { display:block !important } }</style><p class=j> j1 </p><p class=m> m1 </p>`, "", ""},
	{"supports conditions", `<style>@supports (display:grid) { .d { display:none } } @supports (display:foo) { .e { display:none } } @supports not (display:flex) { .f { display:none } } @supports (-webkit-overflow-scrolling:touch) { .g { display:none } } @supports (foo:bar) or (color:red) { .h { display:none } } @supports selector(:has(a)) { .i { display:none } }</style><p class=d> d </p><p class=e> e </p><p class=f> f </p><p class=g> g </p><p class=h> h </p><p class=i> i </p>`, "e f g", ""},
	{"supports conditions nested and mixed", `<style>@supports (display:grid) and (not (display:inline-grid)) { .n { display:none } } @supports ((color:red) and (display:flex)) { .o { display:none } } @supports selector(p:foo) { .q { display:none } } @supports (display:grid) and (display:block) or (color:red) { .r { display:none } }</style><p class=n> n1 </p><p class=o> o1 </p><p class=q> q1 </p><p class=r> r1 </p>`, "n1 q1 r1", ""},
	{"table in a caption is nested", `<table hidden><caption> cap <table><tr><td> t </table> e </caption><tr><td> c </table> d`, "d", ""},
}

func TestBrowserCases(t *testing.T) {
	var shown []string
	if _, err := exec.LookPath("chromium"); err == nil && !testing.Short() {
		docs := make([][]byte, len(browserCases))
		for i, c := range browserCases {
			docs[i] = []byte(c.in)
		}
		shown = browserTexts(t, findBrowser(t), shadowOpened(docs))
	}
	for i, c := range browserCases {
		t.Run(c.name, func(t *testing.T) {
			want := sortedWords(c.shown)
			if shown != nil {
				if got := sortedWords(shown[i]); !slices.Equal(got, want) {
					t.Errorf("Chromium shows %q, the table says %q", got, want)
				}
			}
			wantOurs := sortedWords(c.shown + " " + c.extra)
			for _, stream := range []bool{false, true} {
				var out bytes.Buffer
				var err error
				if stream {
					_, err = ConvertStream(&out, strings.NewReader(c.in), Options{})
				} else {
					_, err = Convert(&out, openString(c.in), Options{})
				}
				if err != nil {
					t.Fatalf("Convert: %v", err)
				}
				got := sortedWords(convertedText(out.String()))
				// ConvertStream cannot know what a later tag decides
				// (shadow.go): it may print more, never less.
				if !stream && !slices.Equal(got, wantOurs) || stream && len(excess(browserWords(c.shown), browserWords(strings.Join(got, " ")))) > 0 {
					t.Errorf("%s\nstream %v: printed %q (%q), Chromium shows %q, and %q printed on purpose", c.in, stream, got, out.String(), want, c.extra)
				}
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

// shadowOpened gives the documents to measure in a browser with their
// closed shadow roots open: a closed one is drawn as an open one is,
// but a script (readableText) cannot reach into it.
func shadowOpened(docs [][]byte) [][]byte {
	out := make([][]byte, len(docs))
	for i, d := range docs {
		out[i] = bytes.ReplaceAll(d, []byte(`shadowrootmode="closed"`), []byte(`shadowrootmode="open"`))
	}
	return out
}

// TestShadowStreamPrintsMore checks what ConvertStream, which cannot
// look past a tag, prints of a shadow host where Convert knows better
// (shadow.go): a light child before the template, the fallback of a
// slot that a later light child fills, and what a later <style> of the
// tree decides. Convert prints the words Chromium shows
// (TestBrowserCases).
func TestShadowStreamPrintsMore(t *testing.T) {
	tests := []struct{ in, convert, stream string }{
		{`<div> a <template shadowrootmode="open"><slot name=x></slot></template><b slot=x> b </b></div>`, "b\n", "a b\n"},
		{`<div><template shadowrootmode="open"><slot> f </slot></template> l </div>`, "l\n", "f l\n"},
		{`<div><template shadowrootmode="open"><slot name=x> f </slot></template><b slot=y> l </b></div>`, "f\n", "f\n"},
		// A shadow tree's <style> applies from where it stands on in
		// ConvertStream, to the whole tree in Convert: here it shows
		// what its host hides (ConvertStream's one way to lose text,
		// as with the document's sheets).
		{`<div style="font-size:1px"><template shadowrootmode="open"><i> x </i><style>i { font-size:14px }</style></template></div>`, "x\n", ""},
		{`<div style="font-size:1px"><template shadowrootmode="open"><i> x </i><svg><style>i { font-size:14px }</style></svg></template></div>`, "x\n", ""},
	}
	for _, tt := range tests {
		got, _ := convertString(t, tt.in, Options{})
		var stream strings.Builder
		if _, err := ConvertStream(&stream, strings.NewReader(tt.in), Options{}); err != nil {
			t.Fatal(err)
		}
		if got != tt.convert || stream.String() != tt.stream {
			t.Errorf("%s\nConvert %q, ConvertStream %q; want %q, %q", tt.in, got, stream.String(), tt.convert, tt.stream)
		}
	}
}

// TestShadowBounded checks that slot names past the bounds shadow.go
// keeps are printed, not dropped: a light child asking for a slot whose
// name is too long to keep, and the hosts past maxShadowHosts.
func TestShadowBounded(t *testing.T) {
	long := strings.Repeat("n", maxSlotName+1)
	in := `<div><template shadowrootmode="open"><slot name="` + long + `"></slot></template><b slot="` + long + `"> x </b></div>`
	if got, _ := convertString(t, in, Options{}); got != "x\n" {
		t.Errorf("a long slot name: %q, want %q", got, "x\n")
	}
	var b strings.Builder
	for range maxShadowHosts + 5 {
		b.WriteString(`<div><template shadowrootmode="open"><slot> f </slot></template> l </div>`)
	}
	got, _ := convertString(t, b.String(), Options{})
	if n := strings.Count(got, "l"); n != maxShadowHosts+5 {
		t.Errorf("%d light children printed of %d", n, maxShadowHosts+5)
	}
	if n := strings.Count(got, "f"); n != 5 {
		t.Errorf("%d fallbacks printed, want the 5 of the hosts past the record", n)
	}
}

// flatText is the JavaScript that gives the words of a document d in
// the order a browser draws them: its flat tree (a host's shadow tree
// in its place, a slot's assigned nodes in the slot's), each text node
// that is laid out and visible.
const flatText = `(function () {
  var win = d.defaultView, out = [], r = d.createRange();
  function walk(n) {
    if (n.nodeType == 3) {
      if (!n.data.trim()) return;
      r.selectNodeContents(n);
      if (r.getClientRects().length && win.getComputedStyle(n.parentElement || n.parentNode.host).visibility == "visible") out.push(n.data.trim());
      return;
    }
    if (n.nodeType != 1 || n.localName == "style" || n.localName == "script") return;
    if (n.shadowRoot) { Array.prototype.forEach.call(n.shadowRoot.childNodes, walk); return; }
    if (n.localName == "slot" && n.assignedNodes().length) { n.assignedNodes().forEach(walk); return; }
    Array.prototype.forEach.call(n.childNodes, walk);
  }
  walk(d.body);
  return out.join(" ");
})()`

// TestShadowOrder checks that Convert prints a shadow host's light
// children where the slot that takes them stands, in the order a
// browser draws them (and, where Chromium is installed, that it still
// draws them so); ConvertStream prints them after the shadow tree.
func TestShadowOrder(t *testing.T) {
	tests := []struct{ name, in, order string }{
		{"default slot", `<div> a <template shadowrootmode="open"> s <slot></slot> t </template> b <span> c </span></div>`, "s a b c t"},
		{"named slots", `<div> a <template shadowrootmode="open"> s <slot name=x> f </slot> t <slot></slot> u </template><span slot=x> c </span><i slot=y> g </i> d </div>`, "s c t a d u"},
		{"slots take in the light tree's order", `<div><template shadowrootmode="open"> s <slot name=y></slot> t <slot name=x></slot></template><b slot=x> x1 </b><b slot=y> y1 </b><b slot=x> x2 </b></div>`, "s y1 t x1 x2"},
		{"light child before the template", `<p><i slot=q> q </i><template shadowrootmode="open"> s <slot name=q></slot> t </template></p>`, "s q t"},
		{"nested shadow roots", `<div><template shadowrootmode="open"><div><template shadowrootmode="open"> i <slot></slot> j </template> m <slot></slot> n </div></template> l </div>`, "i m l n j"},
		{"slot in a list", `<div><template shadowrootmode="open"><ol><li> a </li><li><slot></slot></li><li> c </li></ol></template><b> b </b></div>`, "a b c"},
		// The <section> ends the <p>, and the <font> opened again
		// around the text is the light child that holds it.
		{"light text in a formatting element opened again", `<p><font> a <section><template shadowrootmode="open"> s <slot></slot> t </template> b </section></font> c`, "a s b t c"},
		{"light children unclosed", `<div><template shadowrootmode="open"> s <slot></slot> t </template><p> a <b> b </div> c`, "s a b t c"},
	}
	var drawn []string
	if _, err := exec.LookPath("chromium"); err == nil && !testing.Short() {
		docs := make([][]byte, len(tests))
		for i, tt := range tests {
			docs[i] = []byte(tt.in)
		}
		for _, r := range browserEval(t, findBrowser(t), docs, flatText) {
			var s string
			if err := json.Unmarshal(r, &s); err != nil {
				t.Fatal(err)
			}
			drawn = append(drawn, s)
		}
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if drawn != nil && strings.Join(strings.Fields(drawn[i]), " ") != tt.order {
				t.Errorf("Chromium draws %q, the table says %q", drawn[i], tt.order)
			}
			got, _ := convertString(t, tt.in, Options{})
			if got := strings.Join(strings.Fields(convertedText(got)), " "); got != tt.order {
				t.Errorf("%s\nprinted %q, want %q", tt.in, got, tt.order)
			}
		})
	}
}
