package main

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"math/rand/v2"
	"mime"
	"mime/quotedprintable"
	"os"
	"strings"

	"golang.org/x/text/encoding/japanese"
)

// Sizes of the generated messages, as the benchmark names them.
const (
	sizeSmall = 2 << 10   // 2 KiB plain text
	sizeAlt   = 30 << 10  // 30 KiB text+HTML alternative
	sizePDF   = 500 << 10 // 500 KiB HTML with a PDF attachment
	sizeBig   = 20 << 20  // 20 MiB text with a big attachment (memory test)
)

// Every message is addressed like the envelope smtp-source sends.
const (
	hdrFrom = "sender@example.jp"
	hdrTo   = "user@lgwan.example"
)

func runGen(args []string, _ io.Writer) error {
	fs := newFlags("gen")
	kind := fs.String("kind", "", "small (2 KiB ISO-2022-JP plain), alt (30 KiB text+HTML), pdf (500 KiB HTML + PDF), big (20 MiB text + PDF)")
	size := fs.Int("size", 0, "approximate size in bytes (0: the kind's size)")
	out := fs.String("o", "", "output file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		return fmt.Errorf("-o is required")
	}
	msg, err := generate(*kind, *size)
	if err != nil {
		return err
	}
	return os.WriteFile(*out, msg, 0o644)
}

// generate returns a message of the kind, about size bytes (0: the
// kind's default), with LF line ends (smtp-source -F turns them into
// CRLF) and no line longer than 78 characters. The content is the same
// on every run.
func generate(kind string, size int) ([]byte, error) {
	rng := rand.New(rand.NewPCG(2025, uint64(len(kind))))
	switch kind {
	case "small":
		return genSmall(rng, or(size, sizeSmall)), nil
	case "alt":
		return genAlt(rng, or(size, sizeAlt)), nil
	case "pdf":
		return genPDFMail(rng, or(size, sizePDF), "html"), nil
	case "big":
		return genPDFMail(rng, or(size, sizeBig), "text"), nil
	}
	return nil, fmt.Errorf("unknown kind %q (small, alt, pdf, big)", kind)
}

func or(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}

// Business mail of a municipality, the kind of text an LGWAN mailbox gets.
var jaSentences = []string{
	"いつもお世話になっております。株式会社サンプル総務部の髙橋です。",
	"令和七年度の住民税に関する説明会の日程についてご案内いたします。",
	"添付の資料をご確認のうえ、ご不明な点がございましたらご連絡ください。",
	"先日ご依頼いただきました見積書を送付いたしますので、ご査収ください。",
	"会場は市民会館３階の第２会議室（定員５０名）を予定しております。",
	"ご出席の可否を①〜③のいずれかでご回答いただけますと幸いです。",
	"なお、本件は㈱サンプルと〇〇市の共同事業として実施するものです。",
	"詳細は下記のページにも掲載しておりますので、あわせてご覧ください。",
	"お手数をおかけしますが、よろしくお願い申し上げます。",
	"ｶﾀｶﾅの半角表記が含まれる旧システムからの転記データもございます。",
}

var enSentences = []string{
	"Please find the meeting schedule and the agenda below.",
	"The attached report summarises the results of the third quarter.",
	"If you have any questions, do not hesitate to contact us.",
}

var urls = []string{
	"https://www.city.example.lg.jp/kurashi/zei/juminzei/setsumeikai.html",
	"http://sample.example.co.jp/news/2025/0601.html?utm_source=mail",
	"https://forms.example.com/r/AbCdEf123",
	"www.example.jp/info",
}

func sentence(rng *rand.Rand) string {
	if rng.IntN(8) == 0 {
		return enSentences[rng.IntN(len(enSentences))]
	}
	return jaSentences[rng.IntN(len(jaSentences))]
}

// paragraphs returns lines of text (UTF-8) until their UTF-8 size reaches
// n bytes; every fifth line is a URL.
func paragraphs(rng *rand.Rand, n int) []string {
	var lines []string
	total := 0
	for i := 0; total < n; i++ {
		l := sentence(rng)
		if i%5 == 4 {
			l = "詳細: " + urls[rng.IntN(len(urls))]
		}
		lines = append(lines, l)
		total += len(l) + 1
	}
	return lines
}

func header(b *bytes.Buffer, subject, id, contentType string, extra ...string) {
	fmt.Fprintf(b, "From: =?UTF-8?B?%s?= <%s>\n", base64.StdEncoding.EncodeToString([]byte("サンプル 総務部")), hdrFrom)
	fmt.Fprintf(b, "To: %s\n", hdrTo)
	fmt.Fprintf(b, "Subject: %s\n", subject)
	b.WriteString("Date: Mon, 02 Jun 2025 10:00:00 +0900\n")
	fmt.Fprintf(b, "Message-ID: <bench-%s@example.jp>\n", id)
	b.WriteString("MIME-Version: 1.0\n")
	fmt.Fprintf(b, "Content-Type: %s\n", contentType)
	for _, e := range extra {
		b.WriteString(e + "\n")
	}
	b.WriteString("\n")
}

// utf8Subject encodes s as RFC 2047 encoded words, folded one to a line.
func utf8Subject(s string) string {
	return strings.ReplaceAll(mime.BEncoding.Encode("UTF-8", s), "?= =?", "?=\n =?")
}

// genSmall: a 2 KiB plain-text message in ISO-2022-JP, 7bit, as Japanese
// mail clients still send it.
func genSmall(rng *rand.Rand, size int) []byte {
	enc := japanese.ISO2022JP.NewEncoder()
	subj, _ := enc.String("説明会のご案内")
	var b bytes.Buffer
	header(&b, "=?ISO-2022-JP?B?"+base64.StdEncoding.EncodeToString([]byte(subj))+"?=", "small",
		"text/plain; charset=ISO-2022-JP", "Content-Transfer-Encoding: 7bit")
	for i := 0; b.Len() < size-80; i++ {
		l := sentence(rng)
		if i%5 == 4 {
			l = "詳細: " + urls[rng.IntN(len(urls))]
		}
		el, err := enc.String(l)
		if err != nil {
			continue // ① ㈱ 髙 and half-width kana are not in plain ISO-2022-JP
		}
		b.WriteString(el + "\n")
	}
	return b.Bytes()
}

// genAlt: text/plain (UTF-8, base64) and text/html (UTF-8,
// quoted-printable) alternatives of the same content, about 30 KiB.
func genAlt(rng *rand.Rand, size int) []byte {
	const bnd = "=_bench_alt_0001"
	var b bytes.Buffer
	header(&b, utf8Subject("【ご案内】住民税説明会の日程について"), "alt",
		`multipart/alternative; boundary="`+bnd+`"`)
	// base64 of the text costs 4/3 and QP of Japanese about 3: share the
	// size so that the two parts come out about 2:3.
	lines := paragraphs(rng, size*2/5*3/4)
	text := strings.Join(lines, "\n") + "\n"
	fmt.Fprintf(&b, "--%s\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: base64\n\n", bnd)
	writeBase64(&b, []byte(text))
	fmt.Fprintf(&b, "--%s\nContent-Type: text/html; charset=UTF-8\nContent-Transfer-Encoding: quoted-printable\n\n", bnd)
	html := htmlDoc(rng, lines[:len(lines)/4], func(s string) bool { return len(qpEncode(s)) >= size*3/5 })
	b.Write(qpEncode(html))
	fmt.Fprintf(&b, "\n--%s--\n", bnd)
	return b.Bytes()
}

func qpEncode(s string) []byte {
	var b bytes.Buffer
	qp := quotedprintable.NewWriter(&b)
	qp.Write([]byte(s))
	qp.Close()
	return b.Bytes()
}

// htmlDoc renders lines as a newsletter-like HTML document: style,
// tables, links, an image, nested divs; it pads with further paragraphs
// until enough reports true for the document so far.
func htmlDoc(rng *rand.Rand, lines []string, enough func(string) bool) string {
	var h strings.Builder
	h.WriteString(`<!DOCTYPE html><html><head><meta charset="utf-8"><title>ご案内</title>` +
		`<style>body{font-family:"Meiryo",sans-serif}td{padding:4px;border:1px solid #ccc}.hidden{display:none}</style>` +
		`<script>var t=1;</script></head><body>` + "\n")
	h.WriteString(`<div class="wrap"><div class="inner"><table width="600"><tr><td><img src="https://img.example.jp/logo.png" alt="ロゴ" width="120"></td></tr></table>` + "\n")
	emit := func(l string) {
		if u, ok := strings.CutPrefix(l, "詳細: "); ok {
			href := u
			if !strings.Contains(u, "://") {
				href = "http://" + u
			}
			fmt.Fprintf(&h, "<p>詳細は<a href=\"%s\">こちら</a>をご覧ください。</p>\n", href)
			return
		}
		switch rng.IntN(6) {
		case 0:
			fmt.Fprintf(&h, "<table><tr><td>項目</td><td>%s</td></tr><tr><td>備考</td><td><b>要確認</b></td></tr></table>\n", l)
		case 1:
			fmt.Fprintf(&h, "<ul><li>%s</li><li><span style=\"color:red\">重要</span></li></ul>\n", l)
		case 2:
			fmt.Fprintf(&h, "<div class=\"hidden\">%s</div><p>%s</p>\n", "tracking", l)
		default:
			fmt.Fprintf(&h, "<p>%s<br>\n</p>\n", l)
		}
	}
	for _, l := range lines {
		emit(l)
	}
	for !enough(h.String()) {
		for _, l := range paragraphs(rng, 256) {
			emit(l)
		}
	}
	h.WriteString("<p>--<br>株式会社サンプル 総務部<br>TEL 03-0000-0000</p></div></div></body></html>\n")
	return h.String()
}

// genPDFMail: multipart/mixed with a body (HTML or plain text) and a PDF
// attachment that fills the message up to size.
func genPDFMail(rng *rand.Rand, size int, body string) []byte {
	const bnd = "=_bench_mixed_0001"
	var b bytes.Buffer
	header(&b, utf8Subject("【資料送付】令和七年度 事業報告書"), "pdf-"+body,
		`multipart/mixed; boundary="`+bnd+`"`)
	b.WriteString("This is a multi-part message in MIME format.\n\n")
	if body == "html" {
		html := htmlDoc(rng, paragraphs(rng, 8<<10), func(s string) bool { return len(s) >= size/5*3/4 })
		fmt.Fprintf(&b, "--%s\nContent-Type: text/html; charset=UTF-8\nContent-Transfer-Encoding: base64\n\n", bnd)
		writeBase64(&b, []byte(html))
	} else {
		fmt.Fprintf(&b, "--%s\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: base64\n\n", bnd)
		writeBase64(&b, []byte(strings.Join(paragraphs(rng, 4<<10), "\n")+"\n"))
	}
	fmt.Fprintf(&b, "--%s\nContent-Type: application/pdf;\n name=\"=?UTF-8?B?5LqL5qWt5aCx5ZGKLnBkZg==?=\"\n"+
		"Content-Transfer-Encoding: base64\n"+
		"Content-Disposition: attachment;\n filename*=UTF-8''%%E4%%BA%%8B%%E6%%A5%%AD%%E5%%A0%%B1%%E5%%91%%8A.pdf\n\n", bnd)
	// What is left, minus the closing boundary, in base64 (4/3, plus a
	// newline per 76 characters).
	left := size - b.Len() - len(bnd) - 8
	raw := max(left*57/77, 1024)
	writeBase64(&b, pdfBytes(rng, raw))
	fmt.Fprintf(&b, "--%s--\n", bnd)
	return b.Bytes()
}

// pdfBytes returns a structurally valid one-page PDF of n bytes: catalog,
// pages, a page with a text content stream and one image XObject whose
// (incompressible, JPEG-looking) data fills the file, a correct xref
// table and trailer.
func pdfBytes(rng *rand.Rand, n int) []byte {
	var b bytes.Buffer
	var offsets []int
	obj := func(body string) {
		offsets = append(offsets, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", len(offsets), body)
	}
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	obj("<< /Type /Catalog /Pages 2 0 R >>")
	obj("<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	obj("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R " +
		"/Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> /XObject << /Im1 5 0 R >> >> >>")
	content := "BT /F1 18 Tf 72 770 Td (Annual report FY2025) Tj ET\nq 451 0 0 300 72 420 cm /Im1 Do Q\n"
	obj(fmt.Sprintf("<< /Length %d >>\nstream\n%sendstream", len(content), content))
	// Fill: the image stream takes what the rest leaves (about 300 bytes
	// of xref and trailer).
	img := max(n-b.Len()-400, 64)
	data := make([]byte, img)
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	copy(data, "\xff\xd8\xff\xe0\x00\x10JFIF\x00")
	copy(data[len(data)-2:], "\xff\xd9")
	offsets = append(offsets, b.Len())
	fmt.Fprintf(&b, "5 0 obj\n<< /Type /XObject /Subtype /Image /Width 1200 /Height 800 /ColorSpace /DeviceRGB "+
		"/BitsPerComponent 8 /Filter /DCTDecode /Length %d >>\nstream\n", img)
	b.Write(data)
	b.WriteString("\nendstream\nendobj\n")
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(offsets)+1)
	for _, o := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offsets)+1, xref)
	return b.Bytes()
}

// writeBase64 writes data as base64 in lines of 76 characters.
func writeBase64(b *bytes.Buffer, data []byte) {
	enc := base64.StdEncoding.EncodeToString(data)
	for len(enc) > 76 {
		b.WriteString(enc[:76])
		b.WriteByte('\n')
		enc = enc[76:]
	}
	b.WriteString(enc)
	b.WriteByte('\n')
}
