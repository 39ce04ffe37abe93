package links

import "testing"

// benchLines are (a) an ASCII line with one URL, (b) a Japanese line with
// one, (c) a line without URLs (the common case, which must not
// allocate), (d) a line with three URLs, one a bare www. host, and the
// two-URL line of the first benchmark.
var benchLines = []struct{ name, line string }{
	{"ascii-one-url", "Line 7 of the report. Details at https://example.com/r/7 and nothing else here."},
	{"japanese-one-url", "市民の皆様へ。イベントのご案内です。詳しくは https://example.jp/event をご覧ください。"},
	{"no-url", "いつもお世話になっております。情報政策課の鈴木です。標記の件、下記のとおり回答いたします。"},
	{"three-urls-www", "See https://a.example.com/x?y=1, http://b.example.org/ and www.example.jp/info for details."},
	{"two-urls", "詳しくは https://www.city.example.lg.jp/kurashi/index.html または www.example.jp/a をご覧ください。"},
}

func benchmarkRewrite(b *testing.B, rewrite func(string, string) (string, int)) {
	for _, bc := range benchLines {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.line)))
			b.ReportAllocs()
			for b.Loop() {
				rewrite(bc.line, Defang)
			}
		})
	}
}

func BenchmarkRewrite(b *testing.B) { benchmarkRewrite(b, Rewrite) }

// BenchmarkRewriteReference measures the implementation before the
// candidate search (reference_test.go), for comparison.
func BenchmarkRewriteReference(b *testing.B) { benchmarkRewrite(b, refRewrite) }

func BenchmarkAppend(b *testing.B) {
	for _, bc := range benchLines {
		b.Run(bc.name, func(b *testing.B) {
			line := []byte(bc.line)
			dst := make([]byte, 0, 2*len(line))
			b.SetBytes(int64(len(line)))
			b.ReportAllocs()
			for b.Loop() {
				dst, _ = Append(dst[:0], line, Defang)
			}
		})
	}
}

// hostileLines are the shapes that once took time quadratic in the line
// (trimming ")" after ")" off a URL) or could (spans, other schemes), at
// 2 KiB and at 16 KiB, the longest line the sanitiser passes on: the
// time per byte must stay flat from one size to the other.
var hostileLines = []struct {
	name         string
	head, repeat string
}{
	{"closing-parens", "http://a/", ")"},
	{"other-scheme-parens", "news:", ")"},
	{"spans", "", `<h ttp: >`},
	{"quotes", "", `": "`},
	{"nested-quotes", "", `"htt p:"`},
	{"colons", "", "a:"},
	// Symbols after "http:" and "www." that mapsToHost reads.
	{"mapped-host-start", "", "www.①"},
	{"unmapped-host-start", "", "http:】"},
	// Each of these asks userinfoAhead how far the word goes, which read
	// up to 4 KiB ahead for every one until it remembered the answer.
	{"www-symbol", "", "www.】"},
	// Bare names: every dot asked for the name's top-level domain again
	// (hostPrefix, foreignName), or walked back to the "@" of an address
	// and over its domain, until each run was read once.
	{"dotted-labels", "", "a."},
	{"dotted-labels-japanese", "", "例."},
	{"dotted-labels-cyrillic", "", "р."},
	{"dotted-hyphens", "", "a.a-"},
	{"cyrillic-hyphens", "", "a.р-"},
	{"japanese-names", "", "例.jp"},
	{"dotted-numbers", "", "1."},
	{"local-parts", "x ", "+a.com"},
	{"address-domain", "x@", "例.jp."},
	{"address-domain-cyrillic", "x@", "a.рф"},
}

func BenchmarkRewriteHostile(b *testing.B) {
	for _, h := range hostileLines {
		for _, size := range []int{2 << 10, 16 << 10} {
			line := h.head
			for len(line)+len(h.repeat) <= size {
				line += h.repeat
			}
			for _, mode := range []string{Defang, Remove} {
				b.Run(h.name+"/"+mode+"/"+itoa(size), func(b *testing.B) {
					b.SetBytes(int64(len(line)))
					for b.Loop() {
						Rewrite(line, mode)
					}
				})
			}
		}
	}
}

func itoa(n int) string {
	if n >= 1<<10 {
		return itoa(n>>10) + "KiB"
	}
	s := ""
	for ; n > 0; n /= 10 {
		s = string(rune('0'+n%10)) + s
	}
	return s
}
