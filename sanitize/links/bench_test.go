package links

import "testing"

// BenchmarkRewrite measures a line without URLs (the common case, which
// must not allocate) and a line with two.
func BenchmarkRewrite(b *testing.B) {
	for _, bc := range []struct{ name, line string }{
		{"no-url", "いつもお世話になっております。情報政策課の鈴木です。標記の件、下記のとおり回答いたします。"},
		{"two-urls", "詳しくは https://www.city.example.lg.jp/kurashi/index.html または www.example.jp/a をご覧ください。"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.line)))
			b.ReportAllocs()
			for b.Loop() {
				Rewrite(bc.line, Defang)
			}
		})
	}
}
