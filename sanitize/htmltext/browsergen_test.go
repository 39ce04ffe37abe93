package htmltext

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestBrowserGenerated holds the cascade to Chromium on documents made
// up for it: blocks and spans with classes, ids, inline styles and the
// hidden attribute, under a <style> of rules with type, class, id and *
// compounds, descendant and child combinators, !important and @media
// queries of every form sheet.go reads (and @layer and @supports
// blocks), every display and visibility
// keyword, with and without a standards doctype (ids and classes in
// either case), and tables with text where a browser moves it out, and
// elements holding another table, which ends the first. Each text is a numbered word
// (w001), hidden by display, visibility, a white or transparent colour or
// a tiny font (genPaint): the words the converter prints must be the
// words the browser shows (readableText), document by document, and the
// targets it prints those of the links the browser shows (every fifth
// word is a link's text).
//
// Formatting elements (b, font…) are among them: a block that closes the
// <p> around one, or the end tag of an element around it, makes a
// browser open it again before the next text (formatting.go). No rule
// hides <body> or <html>, whose innerText is then all the text.
//
// The rules stand in the head's <style> and in others anywhere in the
// body, before and after the elements they match, in tables, and after
// </html>, in svg, math, noscript and template (genStyle): every sheet
// applies to the whole document, as a browser reads it. Closed
// and open <details> come with and without a <summary>, and with more
// than one (genDetails); the browser opens them all before it is read,
// as their reader can (browserEval).
//
// MUGAI_GEN_SEED and MUGAI_GEN_DOCS run other documents than the 300 of
// the fixed seed, to look for differences beyond them.
//
// svg and math hold <style>, <title> and other elements whose content
// is markup there (genForeign, genStyleIn).
//
// Elements with a declarative shadow root (genShadow) have their
// shadow tree measured (readableText), a closed one as an open one
// (shadowOpened).
func TestBrowserGenerated(t *testing.T) {
	browser := findBrowser(t)
	n, seed := 300, uint64(20261127)
	if v := os.Getenv("MUGAI_GEN_DOCS"); v != "" {
		d, err := strconv.Atoi(v)
		if err != nil || d < 1 {
			t.Fatalf("MUGAI_GEN_DOCS=%q: want a number of documents", v)
		}
		n = d
	}
	if v := os.Getenv("MUGAI_GEN_SEED"); v != "" {
		s, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("MUGAI_GEN_SEED=%q: want a number", v)
		}
		seed = s
	}
	r := rand.New(rand.NewPCG(seed, 1))
	docs := make([][]byte, n)
	for i := range docs {
		docs[i] = []byte(genDocument(r))
	}
	shown := browserTexts(t, browser, shadowOpened(docs))
	links := browserEval(t, browser, shadowOpened(docs), linksSeen)
	word := regexp.MustCompile(`w[0-9]{3}`)
	target := regexp.MustCompile(`https://l[0-9]{3}\.example/`)
	bad, seen := 0, 0
	for i, d := range docs {
		var out bytes.Buffer
		if _, err := Convert(&out, openBytes(d), Options{}); err != nil {
			t.Fatalf("Convert: %v", err)
		}
		ours, theirs := word.FindAllString(out.String(), -1), word.FindAllString(shown[i], -1)
		slices.Sort(ours)
		slices.Sort(theirs)
		// The targets printed must be those of the links seen.
		var seenLinks []string
		if err := json.Unmarshal(links[i], &seenLinks); err != nil {
			t.Fatalf("the browser's links: %v", err)
		}
		printed := target.FindAllString(out.String(), -1)
		slices.Sort(printed)
		slices.Sort(seenLinks)
		seen += len(seenLinks)
		if !slices.Equal(ours, theirs) || !slices.Equal(printed, seenLinks) {
			if bad++; bad <= 5 {
				t.Errorf("document %d:\n%s\nprinted %v %v\nbrowser %v %v", i, d, ours, printed, theirs, seenLinks)
			}
		}
	}
	if seen < n {
		t.Errorf("%d links seen in %d documents: the generator or the script is amiss", seen, n)
	}
	if bad > 5 {
		t.Errorf("%d of %d documents differ", bad, n)
	}
}

var (
	genTags    = []string{"div", "p", "span", "section", "article", "li", "ul", "b", "i", "em", "font", "u", "strong", "details", "summary"}
	genClasses = []string{"a", "b", "c", "d", "A"}
	genIDs     = []string{"x", "y", "z"}
)

// genDocument writes one document for TestBrowserGenerated.
func genDocument(r *rand.Rand) string {
	var b strings.Builder
	if r.IntN(5) < 2 {
		b.WriteString("<!DOCTYPE html>")
	}
	b.WriteString("<html><head><style>")
	for range []int{1, 2, 3, 4, 6}[r.IntN(5)] {
		b.WriteString(genRule(r) + "\n")
	}
	b.WriteString("</style></head><body>")
	words := 0
	for range 2 + r.IntN(3) {
		genMaybeStyle(r, &b)
		genElement(r, &b, 0, &words)
	}
	genMaybeStyle(r, &b)
	b.WriteString("</body></html>")
	if r.IntN(10) == 0 {
		genStyle(r, &b) // a browser puts it in the body
	}
	return b.String()
}

// genMaybeStyle writes a <style> one time in six.
func genMaybeStyle(r *rand.Rand, b *strings.Builder) {
	if r.IntN(6) == 0 && genShadowDepth == 0 {
		genStyle(r, b)
	}
}

// genStyle writes a <style> of one or two rules, for the screen or (one
// time in eight) for print; one time in four in an element where a
// browser reads it otherwise (genStyleIn).
func genStyle(r *rand.Rand, b *strings.Builder) {
	var in [2]string
	if r.IntN(4) == 0 {
		in = genStyleIn[r.IntN(len(genStyleIn))]
		b.WriteString(in[0])
	}
	b.WriteString("<style")
	if r.IntN(8) == 0 {
		b.WriteString(` media="print"`)
	}
	b.WriteString(">")
	for range 1 + r.IntN(2) {
		b.WriteString(genRule(r) + "\n")
	}
	b.WriteString("</style>")
	b.WriteString(in[1])
}

// genStyleIn are the elements a <style> is put in (start and end tags):
// an svg style element styles the document, its content markup; in a
// template or math it is none, but in math's <annotation-xml> of HTML
// (an HTML integration point) it is one, and in svg's <title> too; in
// noscript it is one (no script runs).
var genStyleIn = [][2]string{{"<svg>", "</svg>"}, {"<template>", "</template>"}, {"<math>", "</math>"}, {"<noscript>", "</noscript>"},
	{`<math><semantics><mi>m</mi><annotation-xml encoding="text/html">`, "</annotation-xml></semantics></math>"},
	{`<math><annotation-xml encoding="application/xhtml+xml">`, "</annotation-xml></math>"},
	{`<math><annotation-xml encoding="TEXT/HTML">`, "</annotation-xml></math>"},
	{`<math><annotation-xml encoding="image/svg+xml">`, "</annotation-xml></math>"},
	{"<svg><title>", "</title></svg>"}}

var (
	genDisplays = []string{"none", "none", "block", "inline", "contents", "list-item", "inline-block", "flex", "grid", "table", "inherit", "initial", "unset"}
	genVisible  = []string{"hidden", "visible", "collapse", "inherit", "initial", "unset", "hidden", "visible"}
	// Media queries, as an 800 by 600 pixel frame reads them.
	genMedia = []string{"(max-width:640px)", "screen and (min-width:600px)", "print", "(orientation:landscape)",
		"(orientation:portrait)", "not print", "only screen", "(min-width:800px)", "(max-width:800px)",
		"(min-width:801px)", "(max-width:799px)", "(width >= 800px)", "(400px < width < 900px)",
		"(prefers-color-scheme:dark)", "(min-resolution:2dppx)", "(max-device-width:480px)", "(foo:bar)",
		"screen, print", "all and (max-width:500px)", "not all and (max-width:500px)", "(max-width:40em)",
		"(min-width:50em)", "screen and (max-width:600px), print"}
)

// genSupports are @supports conditions, which hold or not in Chromium.
var genSupports = []string{"(display:grid)", "(display:foo)", "not (display:flex)", "(-webkit-overflow-scrolling:touch)",
	"(foo:bar) or (color:red)", "selector(p:has(a))", "selector(p:foo)", "(display:grid) and (not (display:inline-grid))",
	"((color:red) and (display:flex))", "(display:grid) and (display:block) or (color:red)"}

// genPaint are the declarations of colour, background and font size.
// A dark background is left out: the converter takes text for unseen
// when it is white on the page or on a white box, not when it is dark on
// a dark one (black on navy), which mail does not do to hide text.
var genPaint = []string{"color:#fff", "color:white", "color:#333", "color:transparent", "color:rgba(0,0,0,0.05)", "color:inherit",
	"background:#fff", "background:transparent", "font-size:0", "font-size:1px", "font-size:14px", "font-size:0.5px", "font-size:initial"}

func genDecl(r *rand.Rand) string {
	var d string
	if r.IntN(2) == 0 {
		d = genPaint[r.IntN(len(genPaint))]
	} else if r.IntN(3) < 2 {
		d = "display:" + genDisplays[r.IntN(len(genDisplays))]
	} else {
		d = "visibility:" + genVisible[r.IntN(len(genVisible))]
	}
	if r.IntN(4) == 0 {
		d += " !important"
	}
	return d
}

// genCompound is a compound selector; the subject of a rule is never
// html, body or * alone, which would hide the whole page.
func genCompound(r *rand.Rand, subject bool) string {
	var s string
	if r.IntN(10) < 3 {
		tags := genTags
		if !subject {
			tags = append(slices.Clip(tags), "*", "body")
		}
		s = tags[r.IntN(len(tags))]
	}
	class := func() string { return "." + genClasses[r.IntN(len(genClasses))] }
	id := func() string { return "#" + append(slices.Clip(genIDs), "X")[r.IntN(len(genIDs)+1)] }
	switch k := r.IntN(10); {
	case k < 5:
		s += class()
	case k < 6:
		s += class() + class()
	case k < 7:
		s += id() + class()
	case k < 8:
		s += id()
	}
	if s == "" {
		s = genTags[r.IntN(len(genTags))]
	}
	return s
}

func genRule(r *rand.Rand) string {
	var sels []string
	for range 1 + r.IntN(3)/2 {
		parts := []int{1, 1, 1, 2, 2, 3}[r.IntN(6)]
		var s string
		for k := range parts {
			if k > 0 {
				s += []string{" ", " ", " > "}[r.IntN(3)]
			}
			s += genCompound(r, k == parts-1)
		}
		sels = append(sels, s)
	}
	var decls []string
	for range 1 + r.IntN(3)/2 {
		decls = append(decls, genDecl(r))
	}
	rule := strings.Join(sels, ", ") + " { " + strings.Join(decls, "; ") + " }"
	if r.IntN(5) < 2 {
		rule = "@media " + genMedia[r.IntN(len(genMedia))] + " { " + rule + " }"
	}
	switch r.IntN(12) {
	case 0:
		// A cascade layer: below the rules of none, and a later
		// layer's, unless !important, which reverses them.
		rule = "@layer " + []string{"", "a", "b", "a.c"}[r.IntN(4)] + " { " + rule + " }"
	case 1:
		rule = "@supports " + genSupports[r.IntN(len(genSupports))] + " { " + rule + " }"
	}
	return rule
}

// genTable writes a table: its rows and cells may have styles, a cell's
// end tag may be left out, and text may stand right in the table, where
// a browser moves it out (foster parenting); a cell may end in a
// <select> left open, and a caption.
func genTable(r *rand.Rand, b *strings.Builder, depth int, words *int) {
	genStart(r, b, "table", true)
	if r.IntN(5) == 0 {
		genWord(b, words)
	}
	genMaybeStyle(r, b)
	if r.IntN(6) == 0 {
		genFostered(r, b, depth, words)
	}
	for range 1 + r.IntN(2) {
		genStart(r, b, "tr", false)
		if r.IntN(12) == 0 {
			genFostered(r, b, depth, words)
		}
		for range 1 + r.IntN(2) {
			genStart(r, b, "td", true)
			if depth < 3 && r.IntN(5) < 3 {
				genElement(r, b, depth+1, words)
			} else {
				genWord(b, words)
			}
			if r.IntN(8) == 0 {
				// A <select> left open, which the next table part
				// ends (HTML "in select in table"), one time in
				// three a caption with a word; it holds no word,
				// as the converter drops a form control's.
				b.WriteString("<select><option></option>")
				if r.IntN(3) == 0 {
					genStart(r, b, "caption", true)
					genWord(b, words)
					b.WriteString("</caption>")
				}
			}
			if r.IntN(10) < 7 {
				b.WriteString("</td>")
			}
		}
		b.WriteString("</tr>")
	}
	b.WriteString("</table>")
}

// genFostered writes an element right in a table or row, which a
// browser moves out of it (foster parenting), with a word and, one time
// in two, a table in it: that table ends the one it was written in
// (and the rows after it are in neither).
func genFostered(r *rand.Rand, b *strings.Builder, depth int, words *int) {
	tag := []string{"span", "b", "div", "p", "font"}[r.IntN(5)]
	genOpen(r, b, tag)
	genWord(b, words)
	if depth < 3 && r.IntN(2) == 0 {
		genTable(r, b, depth+1, words)
		genWord(b, words)
	}
	b.WriteString("</" + tag + ">")
}

// genStart writes a table element's start tag, with a class (if classed,
// two times in five) and an inline style (one time in five).
func genStart(r *rand.Rand, b *strings.Builder, tag string, classed bool) {
	b.WriteString("<" + tag)
	if classed && r.IntN(5) < 2 {
		fmt.Fprintf(b, ` class="%s"`, genClasses[r.IntN(len(genClasses))])
	}
	if r.IntN(5) == 0 {
		fmt.Fprintf(b, ` style="%s"`, genDecl(r))
	}
	b.WriteString(">")
}

// genWord writes the next numbered word; every fifth is the text of a
// link to a numbered host (l005.example), so that each document asks
// which links are seen too.
func genWord(b *strings.Builder, words *int) {
	*words++
	if *words%5 == 0 {
		fmt.Fprintf(b, ` <a href="https://l%03d.example/">w%03d</a> `, *words, *words)
		return
	}
	fmt.Fprintf(b, " w%03d ", *words)
}

func genElement(r *rand.Rand, b *strings.Builder, depth int, words *int) {
	if depth < 3 && r.IntN(20) < 3 {
		genTable(r, b, depth, words)
		return
	}
	if depth < 4 && r.IntN(12) == 0 {
		genDetails(r, b, depth, words)
		return
	}
	if depth < 3 && r.IntN(12) == 0 {
		genShadow(r, b, depth, words)
		return
	}
	if r.IntN(16) == 0 {
		genForeign(r, b, words)
		return
	}
	if r.IntN(14) == 0 {
		genMath(r, b, depth, words)
		return
	}
	tag := genTags[r.IntN(len(genTags))]
	genOpen(r, b, tag)
	genKids(r, b, depth, words)
	b.WriteString("</" + tag + ">")
}

// genOpen writes a start tag with, at random, classes, an id, a style
// and the hidden attribute.
func genOpen(r *rand.Rand, b *strings.Builder, tag string) {
	b.WriteString("<" + tag)
	if r.IntN(10) < 6 {
		cls := slices.Clone(genClasses)
		r.Shuffle(len(cls), func(i, j int) { cls[i], cls[j] = cls[j], cls[i] })
		fmt.Fprintf(b, ` class="%s"`, strings.Join(cls[:1+r.IntN(3)/2], " "))
	}
	if r.IntN(5) == 0 {
		fmt.Fprintf(b, ` id="%s"`, genIDs[r.IntN(len(genIDs))])
	}
	if r.IntN(5) == 0 {
		fmt.Fprintf(b, ` style="%s"`, genDecl(r))
	}
	if r.IntN(14) == 0 {
		b.WriteString(" hidden")
	}
	b.WriteString(">")
}

// genKids writes an element's content: words, elements, now and then a
// <style>.
func genKids(r *rand.Rand, b *strings.Builder, depth int, words *int) {
	kids := 1
	if depth < 4 {
		kids = 1 + r.IntN(3)
	}
	for range kids {
		if r.IntN(10) == 0 && genShadowDepth == 0 {
			genStyle(r, b)
		}
		if depth < 4 && r.IntN(2) == 0 {
			genElement(r, b, depth+1, words)
		} else {
			genWord(b, words)
		}
	}
}

// genDetails writes a <details>, open one time in three: its content
// before and after a <summary> (one time in five none, one time in
// eight a second one), text or elements.
func genDetails(r *rand.Rand, b *strings.Builder, depth int, words *int) {
	b.WriteString("<details")
	if r.IntN(3) == 0 {
		b.WriteString(" open")
	}
	if r.IntN(3) == 0 {
		fmt.Fprintf(b, ` class="%s"`, genClasses[r.IntN(len(genClasses))])
	}
	b.WriteString(">")
	summary := func() {
		genOpen(r, b, "summary")
		genKids(r, b, depth+1, words)
		b.WriteString("</summary>")
	}
	if r.IntN(4) == 0 {
		genKids(r, b, depth+1, words)
	}
	if r.IntN(5) > 0 {
		summary()
	}
	genKids(r, b, depth+1, words)
	if r.IntN(8) == 0 {
		summary()
	}
	b.WriteString("</details>")
}

// genShadowDepth counts the shadow trees genShadow is writing: in one,
// a <style> stands first or nowhere, as the converter applies a shadow
// tree's sheet from where it stands on (shadow.go).
var genShadowDepth int

// genShadow writes an element with a declarative shadow root (closed
// one time in three; on an element that takes none, b or li, one time
// in eight): its tree, with a <style> first one time in three, words,
// elements and slots, default or named, with fallback content or
// none; the host's light children, a word or elements asking for a
// slot or none, one time in four one before the template; one time in
// eight a second shadowrootmode template, which is an ordinary one.
// A slot stands right in the shadow root or in an element of it, whose
// style the light children it takes inherit. The tree's <style> may
// hold a :host or ::slotted() rule (genShadowSelectors).
func genShadow(r *rand.Rand, b *strings.Builder, depth int, words *int) {
	hosts := []string{"div", "span", "section", "x-box", "article"}
	if r.IntN(8) == 0 {
		hosts = []string{"b", "li"}
	}
	host := hosts[r.IntN(len(hosts))]
	genOpen(r, b, host)
	light := func() {
		for range r.IntN(3) {
			if r.IntN(3) == 0 {
				genWord(b, words)
				continue
			}
			tag := genTags[r.IntN(len(genTags))]
			b.WriteString("<" + tag)
			if r.IntN(3) > 0 {
				fmt.Fprintf(b, ` slot="%s"`, []string{"a", "b", "c", ""}[r.IntN(4)])
			}
			if r.IntN(2) == 0 {
				fmt.Fprintf(b, ` class="%s"`, genClasses[r.IntN(len(genClasses))])
			}
			b.WriteString(">")
			genKids(r, b, depth+2, words)
			b.WriteString("</" + tag + ">")
		}
	}
	if r.IntN(4) == 0 {
		light()
	}
	tree := func() {
		b.WriteString(`<template shadowrootmode="` + []string{"open", "open", "closed"}[r.IntN(3)] + `">`)
		genShadowDepth++
		if r.IntN(3) == 0 {
			b.WriteString("<style>")
			for range 1 + r.IntN(2) {
				b.WriteString(genRule(r) + "\n")
			}
			if r.IntN(2) == 0 {
				// A rule for the host or the light children in
				// its slots.
				sel := genShadowSelectors[r.IntN(len(genShadowSelectors))]
				fmt.Fprintf(b, "%s { %s }\n", sel, genDecl(r))
			}
			b.WriteString("</style>")
		}
		for range 1 + r.IntN(4) {
			switch r.IntN(4) {
			case 0:
				genWord(b, words)
			case 1:
				genElement(r, b, depth+1, words)
			default:
				// One time in two in an element, whose style the
				// light children it takes inherit.
				var in string
				if r.IntN(2) == 0 {
					in = genTags[r.IntN(len(genTags))]
					genOpen(r, b, in)
				}
				b.WriteString("<slot")
				if r.IntN(2) == 0 {
					fmt.Fprintf(b, ` name="%s"`, []string{"a", "b", "c"}[r.IntN(3)])
				}
				b.WriteString(">")
				if r.IntN(2) == 0 {
					genWord(b, words)
				}
				b.WriteString("</slot>")
				if in != "" {
					b.WriteString("</" + in + ">")
				}
			}
		}
		genShadowDepth--
		b.WriteString("</template>")
	}
	tree()
	light()
	if r.IntN(8) == 0 {
		tree()
		light()
	}
	b.WriteString("</" + host + ">")
}

// genMath writes a MathML formula (math.go): words in its token
// elements, which are drawn, and right in its other elements, which
// are not; <semantics> and <maction>, which show their first child;
// <mphantom>, drawn unseen; classes, styles and the hidden attribute
// (which hides no MathML element); HTML elements in a token element,
// each a box apart, one time in six a block that ends no math there.
func genMath(r *rand.Rand, b *strings.Builder, depth int, words *int) {
	b.WriteString("<math")
	if r.IntN(4) == 0 {
		b.WriteString(` display="block"`)
	}
	genMathAttrs(r, b)
	b.WriteString(">")
	genMathKids(r, b, depth, words)
	b.WriteString("</math>")
}

// genMathAttrs writes, at random, a class, a style and the hidden
// attribute.
func genMathAttrs(r *rand.Rand, b *strings.Builder) {
	if r.IntN(3) == 0 {
		fmt.Fprintf(b, ` class="%s"`, genClasses[r.IntN(len(genClasses))])
	}
	if r.IntN(6) == 0 {
		fmt.Fprintf(b, ` style="%s"`, genDecl(r))
	}
	if r.IntN(8) == 0 {
		b.WriteString(" hidden")
	}
}

func genMathKids(r *rand.Rand, b *strings.Builder, depth int, words *int) {
	for range 1 + r.IntN(3) {
		switch k := r.IntN(12); {
		case k < 5:
			tag := []string{"mi", "mo", "mn", "ms", "mtext"}[r.IntN(5)]
			b.WriteString("<" + tag)
			genMathAttrs(r, b)
			b.WriteString(">")
			switch r.IntN(6) {
			case 0:
				// HTML, each element a box apart; a block in it ends
				// no math.
				genElement(r, b, 4, words)
			case 1:
				genWord(b, words)
				genOpen(r, b, "span")
				genWord(b, words)
				b.WriteString("</span>")
			default:
				genWord(b, words)
			}
			b.WriteString("</" + tag + ">")
		case k < 6:
			genWord(b, words) // right in a MathML element: not drawn
		case k < 7 && depth < 6:
			b.WriteString("<semantics>")
			genMathKids(r, b, depth+1, words)
			b.WriteString(`<annotation-xml encoding="text/html">`)
			genWord(b, words)
			b.WriteString("</annotation-xml></semantics>")
		case depth < 6:
			tag := []string{"mrow", "mfrac", "msqrt", "mphantom", "maction", "mstyle", "munder"}[r.IntN(7)]
			b.WriteString("<" + tag)
			genMathAttrs(r, b)
			b.WriteString(">")
			genMathKids(r, b, depth+1, words)
			b.WriteString("</" + tag + ">")
		}
	}
}

// genShadowSelectors are the selectors of a shadow tree's sheet that
// reach out of it: to its host, and to the light children drawn in its
// slots.
var genShadowSelectors = []string{":host", ":host(.a)", ":host(div)", ":host(.b) span", ":host > p", "::slotted(*)",
	"::slotted(.a)", "::slotted(span)", "slot::slotted(.c)", "slot[name] ::slotted(b)", "p ::slotted(.d)", "div > slot::slotted(*)"}

// genForeign writes svg or math whose <style>, <title>, <script>… hold
// markup, as in foreign content they are its elements: an HTML tag
// there (<b>, <p>) ends the svg or math, and what follows it shows,
// unless it stands in svg's <title> or <desc>, where HTML is read again
// and nothing is drawn; an svg <style> is a sheet up to that tag.
func genForeign(r *rand.Rand, b *strings.Builder, words *int) {
	word := func() string {
		var w strings.Builder
		genWord(&w, words)
		return w.String()
	}
	breakout := []string{"b", "p", "i", "div", "span"}[r.IntN(5)]
	switch r.IntN(8) {
	case 0:
		b.WriteString("<svg><style>" + genRule(r) + "<" + breakout + ">" + word() + "</" + breakout + "></style></svg>")
	case 1:
		b.WriteString("<svg><title>" + word() + "<" + breakout + ">" + word() + "</" + breakout + "></title></svg>")
	case 2:
		b.WriteString("<svg><title>" + word() + "</svg>" + word())
	case 3:
		b.WriteString("<svg><desc>" + word() + "<" + breakout + ">" + word() + "</" + breakout + "></desc></svg>")
	case 4:
		tag := []string{"script", "textarea", "xmp", "iframe", "noembed", "noframes"}[r.IntN(6)]
		b.WriteString("<svg><" + tag + ">" + word() + "<" + breakout + ">" + word() + "</" + breakout + "></" + tag + "></svg>")
	case 5:
		b.WriteString("<math><style>" + word() + "<" + breakout + ">" + word() + "</" + breakout + "></style></math>")
	case 6:
		b.WriteString("<svg><title><style>" + word() + "</title><" + breakout + ">" + word() + "</" + breakout + "></style></title></svg>" + word())
	default:
		b.WriteString("<svg><style>" + genRule(r) + "</style><title>" + word() + "</title></svg>")
	}
}
