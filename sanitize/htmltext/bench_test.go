package htmltext

import (
	"io"
	"os"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// BenchmarkConvert measures throughput and allocation on a Japanese
// newsletter (testdata) repeated to about 1 MiB, and on hostile nesting.
// Run with -benchmem.
func BenchmarkConvert(b *testing.B) {
	news, err := os.ReadFile("testdata/newsletter-ja.html")
	if err != nil {
		b.Fatal(err)
	}
	// The 1 MiB newsletter has a sheet in each copy, the last near its
	// end, which Convert's first pass tokenizes to (see lastStyle); a
	// long mail has its sheet in its head, and many have none.
	copies := strings.Repeat(string(news), (1<<20)/len(news)-1)
	unstyled := regexp.MustCompile(`(?s)<style.*?</style>`).ReplaceAllString(copies, "")
	inputs := []struct{ name, in string }{
		{"newsletter", string(news)},
		{"newsletter-1MiB", string(news) + copies},
		{"newsletter-1MiB-one-sheet", string(news) + unstyled},
		{"newsletter-1MiB-no-sheet", unstyled},
		{"deep-nesting-1MiB", strings.Repeat("<div><span>", (1<<20)/11)},
		{"stray-end-tags-1MiB", strings.Repeat("<span>", 256) + strings.Repeat("</x>", (1<<20)/4)},
	}
	for _, in := range inputs {
		b.Run(in.name, func(b *testing.B) {
			b.SetBytes(int64(len(in.in)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Convert(io.Discard, openString(in.in), Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkConvertStream is BenchmarkConvert's documents read once
// (ConvertStream): what Convert's first pass costs is the difference.
func BenchmarkConvertStream(b *testing.B) {
	news, err := os.ReadFile("testdata/newsletter-ja.html")
	if err != nil {
		b.Fatal(err)
	}
	copies := strings.Repeat(string(news), (1<<20)/len(news)-1)
	unstyled := regexp.MustCompile(`(?s)<style.*?</style>`).ReplaceAllString(copies, "")
	for _, in := range []struct{ name, in string }{
		{"newsletter-1MiB", string(news) + copies},
		{"newsletter-1MiB-one-sheet", string(news) + unstyled},
		{"newsletter-1MiB-no-sheet", unstyled},
	} {
		b.Run(in.name, func(b *testing.B) {
			b.SetBytes(int64(len(in.in)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ConvertStream(io.Discard, strings.NewReader(in.in), Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkTokenizeOnly is the floor: the x/net/html tokenizer alone,
// reading every tag name, attribute and text as Convert does.
func BenchmarkTokenizeOnly(b *testing.B) {
	news, err := os.ReadFile("testdata/newsletter-ja.html")
	if err != nil {
		b.Fatal(err)
	}
	in := strings.Repeat(string(news), (1<<20)/len(news))
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		z := html.NewTokenizer(strings.NewReader(in))
		for {
			tt := z.Next()
			if tt == html.ErrorToken {
				break
			}
			switch tt {
			case html.TextToken:
				z.Text()
			case html.StartTagToken, html.SelfClosingTagToken:
				_, more := z.TagName()
				for more {
					_, _, more = z.TagAttr()
				}
			case html.EndTagToken:
				z.TagName()
			}
		}
	}
}
