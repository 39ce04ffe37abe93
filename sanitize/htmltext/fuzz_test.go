package htmltext

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/net/html"
)

// FuzzConvert checks, for any input: no panic and no error (the input is
// in memory and far below the token limit), well-formed UTF-8 text, output
// size linear in the input, and that the content of script-like elements
// never reaches the output. The last is checked by difference: changing
// every digit inside such content must not change the output at all.
func FuzzConvert(f *testing.F) {
	for _, s := range []string{
		"",
		"<p>hello <b>world</b></p>",
		"<script>var secret = 12345;</script>visible",
		"<script><!--<script>0123</script>--></script>after",
		"<style>.a{width:100px}</style><div style=\"display:none\">9</div>",
		"<title>2024</title><textarea>5</textarea><noscript>7</noscript><iframe>8</iframe>",
		"<ul><li>1<ol start=5><li>2</ol></ul><table><tr><td>a<td>b</table>",
		"<a href=\"https://example.jp/\">https://example.jp/</a><img alt=x>",
		// Link texts against their targets (linkMismatch): letters whose
		// lower case is longer before an address, a target as a browser
		// reads it, Safe Links.
		"<a href=\"https://evil.example.net/\">ȺȺȺȺȺȺȺȺȺȺȺȺ www.example.jp</a>",
		"<a href=\"https:\\\\evil.example.net\\@www.example.jp/\">login.microsoftonline.com<br>ｈｔｔｐｓ：／／ｘ．ｊｐ</a>",
		"<a href=\"https://a.safelinks.protection.outlook.com/?url=https%3A%2F%2Fx.example.co.jp\">x.example.co.jp</a>",
		"<pre>\n a\n\tb</pre><blockquote>q<blockquote>qq</blockquote></blockquote>",
		"<svg><circle/><p>x<math><mi>y</math>",
		"<head><title>t</title>x<body>y</body>",
		strings.Repeat("<div><span>", 300) + "deep",
		"\xff\xfe<p>\x00&#0;&#xD800;",
		"<table><tr><td>日時<td>4月1日<br>午後<p>x</p><table><tr><td>a<td>b<br>c</table><tr><td><p>場所</p><td><ul><li>y</ul></table>",
		"<table class=MsoTableGrid><tr><td style='mso-border-alt:solid red .5pt'>a<td style='border:1px solid #000'>b<br>c</table>",
		"<a href=x><img src=a.png></a> <a href=x>t</a><td><a href=y><img></a><td><a href=y></a><img src=spacer.gif>",
		"x<sup>2</sup><q>引用<q>in</q></q><q>quote</q><s><sup></sup></s>",
		"<style><!-- @media screen and (max-width:600px){.pc{display:none}} .sp{display:none} td > .x, body.a .b{font-size:0} #i{color:#fff} --></style><body class=a><div class=pc>1</div><p class=sp>2<table><tr><td><i class=x>3</i><b class=b>4</b><span id=i>5",
		"<style>.a{display:none !important} .b{display:\"}\"}@media print{.c{display:none}}</style><i class=a style=display:inline>x</i><i class='b c'>y</i><style media=print>.d{opacity:0}",
		"<p class=x>t</p><noscript><style>.x{font-size:9px}</style></noscript><math><script><h6></script><style>.y{display:none}</style></math><p class=y>u",
		"<div>a<template shadowrootmode=open><style>p{display:none}</style>s<slot name=x>f</slot><slot>g</slot></template><p slot=x>b</p>c<template shadowrootmode=closed>t</template></div><body><template shadowrootmode=open>u</template>",
		"<svg><style>.q{color:#fff}<b>x</b></style><title>t</svg><p class=q>y<math><annotation-xml encoding=text/html><style>.z{font-size:0}</style><p>w</annotation-xml></math>",
		"<table hidden><span>a<table><tr><td>t</table>b</span><tr><td>c</table><td style=display:none>d",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		var out bytes.Buffer
		if _, err := Convert(&out, openString(in), Options{}); err != nil {
			t.Fatalf("Convert: %v", err)
		}
		b := out.Bytes()
		if !utf8.Valid(b) {
			t.Fatalf("invalid UTF-8 output %q", b)
		}
		if len(b) > 24*len(in)+64 {
			t.Fatalf("output of %d bytes for %d bytes of input", len(b), len(in))
		}
		if len(b) > 0 && (b[len(b)-1] != '\n' || bytes.HasSuffix(b, []byte("\n\n"))) {
			t.Fatalf("output does not end in one newline: %q", b)
		}
		if mutated, ok := mutateRawText(in); ok {
			var out2 bytes.Buffer
			if _, err := Convert(&out2, openString(mutated), Options{}); err != nil {
				t.Fatalf("Convert(mutated): %v", err)
			}
			if !bytes.Equal(b, out2.Bytes()) {
				t.Fatalf("script content reached the output:\n%q\n%q", b, out2.Bytes())
			}
		}
	})
}

// mutateRawText changes every digit inside the raw content of script and
// the other elements whose content the tokenizer returns as one
// raw text token, leaving the rest of the input alone. Digits are never
// part of the end tag that ends such content, so tokenization is unchanged.
//
// Content with a tag in it is left alone in <noscript>, and anywhere in
// a document with svg or math: Convert's first pass reads it as markup
// there, as a browser does (sheets.go), where a <style> is a sheet and
// the digit of <h1> ends svg content (<h7> does not).
func mutateRawText(in string) (string, bool) {
	z := html.NewTokenizer(strings.NewReader(in))
	b := []byte(in)
	lower := strings.ToLower(in)
	foreign := strings.Contains(lower, "<svg") || strings.Contains(lower, "<math")
	off, changed, afterRaw, markup := 0, false, false, false
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		raw := z.Raw()
		if tt == html.TextToken && afterRaw && !(markup && bytes.IndexByte(raw, '<') >= 0) {
			for i := off; i < off+len(raw); i++ {
				if b[i] >= '0' && b[i] <= '9' {
					b[i] = '0' + (b[i]-'0'+1)%10
					changed = true
				}
			}
		}
		afterRaw = false
		if tt == html.StartTagToken || tt == html.SelfClosingTagToken {
			name, _ := z.TagName()
			// A style sheet's digits change what it hides
			// (font-size:0), so its text is left alone.
			if elements[string(name)]&fRawSkip != 0 && string(name) != "style" {
				afterRaw, markup = true, foreign || string(name) == "noscript"
			}
		}
		off += len(raw)
	}
	return string(b), changed
}
