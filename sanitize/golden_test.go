package sanitize

import (
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	gomessage "github.com/emersion/go-message"

	"mugai/config"
	"mugai/sanitize/invariant"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// defaultPolicy is the embedded default policy, with its slices copied so
// a case may change them.
func defaultPolicy(t testing.TB) config.Policy {
	t.Helper()
	p, ok := config.Default().Policies["default"]
	if !ok {
		t.Fatal("embedded config has no default policy")
	}
	p.Headers = append([]string(nil), p.Headers...)
	p.Attachments.Keep = append([]config.KeepRule(nil), p.Attachments.Keep...)
	return p
}

type goldenCase struct {
	in     string // testdata/golden/<in>.eml
	out    string // testdata/golden/<out>.golden; "" → in
	policy func(*config.Policy)
	id     string // OriginalID
}

func keepAlso(rule config.KeepRule) func(*config.Policy) {
	return func(p *config.Policy) { p.Attachments.Keep = append(p.Attachments.Keep, rule) }
}

var goldenCases = []goldenCase{
	// Japanese charsets
	{in: "jp-iso2022jp-nec"},
	{in: "jp-iso2022jp-nec", out: "jp-iso2022jp-nec.out-iso2022jp", policy: func(p *config.Policy) { p.OutputCharset = "iso-2022-jp" }},
	{in: "jp-sjis-html"},
	{in: "jp-html-meta-only"},
	{in: "jp-mislabeled-sjis"},
	{in: "jp-usascii-utf8"},
	{in: "jp-eucjp"},
	{in: "jp-cp932-label"},
	{in: "jp-filename-2231"},
	// Ambiguities
	{in: "amb-dup-content-type"},
	{in: "amb-dup-content-type", out: "amb-dup-content-type.reject", policy: func(p *config.Policy) { p.Ambiguous = "reject" }},
	{in: "amb-dup-cte"},
	{in: "amb-dup-disposition"},
	{in: "amb-dup-boundary"},
	{in: "amb-boundary-2231"},
	{in: "amb-missing-final-boundary"},
	{in: "amb-bad-part-header"},
	{in: "amb-unknown-cte"},
	{in: "amb-invalid-base64"},
	{in: "amb-name-filename-conflict"},
	// Attachments
	{in: "att-exe-as-pdf"},
	{in: "att-exe-as-pdf", out: "att-exe-as-pdf.keep-pdf", policy: keepAlso(config.KeepRule{Extensions: []string{".pdf"}, Types: []string{"application/pdf"}})},
	{in: "att-inline-exe"},
	{in: "att-inline-exe", out: "att-inline-exe.default-keep", policy: func(p *config.Policy) { p.Attachments.Default = "keep" }},
	{in: "att-ppap-zip"},
	{in: "att-ppap-zip", out: "att-ppap-zip.reject", policy: func(p *config.Policy) { p.Attachments.EncryptedArchives = "reject" }},
	{in: "att-zip"},
	{in: "att-zip", out: "att-zip.default-reject", policy: func(p *config.Policy) { p.Attachments.Default = "reject" }},
	{in: "att-docx"},
	{in: "att-docx", out: "att-docx.keep-docx", policy: keepAlso(config.KeepRule{Extensions: []string{".docx"}})},
	{in: "att-pdf"},
	{in: "att-pdf", out: "att-pdf.keep-pdf", policy: keepAlso(config.KeepRule{Extensions: []string{".pdf"}, Types: []string{"application/pdf"}})},
	// Its kind is allowed, its size is not: the notice says so.
	{in: "att-pdf", out: "att-pdf.keep-pdf-too-big", policy: keepAlso(config.KeepRule{Extensions: []string{".pdf"}, Types: []string{"application/pdf"}, MaxSize: 100})},
	// Kept, its links still clickable: reported, and the notice says so.
	{in: "att-pdf-links", policy: keepAlso(config.KeepRule{Extensions: []string{".pdf"}, Types: []string{"application/pdf"}})},
	{in: "att-txt-csv"},
	{in: "att-text-neutralised"},
	{in: "att-text-neutralised", out: "att-text-neutralised.remove", policy: func(p *config.Policy) { p.Body.Links = "remove" }},
	// A kept file's name is shown beside the message: its links too.
	{in: "att-kept-name-links"},
	{in: "att-kept-name-links", out: "att-kept-name-links.remove", policy: func(p *config.Policy) { p.Body.Links = "remove" }},
	{in: "att-txt-uuencoded"},
	{in: "att-tnef"},
	{in: "att-image-related"},
	{in: "body-continued"},
	{in: "att-bidi-name"},
	// HTML
	{in: "html-only"},
	{in: "html-empty-plain-alternative"},
	{in: "html-invisible-plain-alternative"}, // zero-width and filler characters only: as empty
	{in: "html-placeholder-plain"},           // "this mail is HTML, see the web version": the HTML's text
	{in: "html-link-mismatch"},               // a link whose text is another site's address: marked, and the notice says so
	{in: "html-short-plain"},                 // short, but says what the HTML says (whose link addresses are long): plain
	{in: "html-alternative"},
	{in: "html-alternative", out: "html-alternative.prefer-html", policy: func(p *config.Policy) { p.Body.Prefer = "html" }},
	// Apple Mail's HTML with a photo in the middle: the HTML alternative is
	// a multipart/mixed whose texts are all shown, in order.
	{in: "html-alternative-mixed"},
	{in: "html-alternative-mixed", out: "html-alternative-mixed.prefer-html", policy: func(p *config.Policy) { p.Body.Prefer = "html" }},
	// Texts of both kinds right in it are all shown too, and of an
	// alternative nested in it the one of the kind chosen.
	{in: "html-alternative-mixed-kinds"},
	{in: "html-alternative-mixed-kinds", out: "html-alternative-mixed-kinds.prefer-html", policy: func(p *config.Policy) { p.Body.Prefer = "html" }},
	{in: "html-related-after-text"}, // a multipart/related after the body text continues it
	// Of two alternatives of the preferred kind, the last is the best
	// (RFC 2046 5.1.4), and the one a client shows.
	{in: "html-alternative-last"},
	{in: "html-alternative-last", out: "html-alternative-last.prefer-html", policy: func(p *config.Policy) { p.Body.Prefer = "html" }},
	// Links
	{in: "links"},
	{in: "links", out: "links.keep", policy: func(p *config.Policy) { p.Body.Links = "keep" }},
	{in: "links", out: "links.remove", policy: func(p *config.Policy) { p.Body.Links = "remove" }},
	{in: "links-file-unc"},
	{in: "links-subject"},
	{in: "links-subject", out: "links-subject.remove", policy: func(p *config.Policy) { p.Body.Links = "remove" }},
	{in: "links-subject", out: "links-subject.keep", policy: func(p *config.Policy) { p.Body.Links = "keep" }},
	{in: "links-file-unc", out: "links-file-unc.remove", policy: func(p *config.Policy) { p.Body.Links = "remove" }},
	{in: "links-address"}, // a link in an address's local part: the address is dropped
	{in: "links-address", out: "links-address.keep", policy: func(p *config.Policy) { p.Body.Links = "keep" }},
	// Notice
	{in: "att-exe-as-pdf", out: "notice.bottom", id: "Q-20240305-0001", policy: func(p *config.Policy) { p.Notice.Position = "bottom" }},
	{in: "html-alternative", out: "notice.custom-text", policy: func(p *config.Policy) { p.Notice.Text = "【総務課より】外部から届いたメールです。" }},
	// Encoded files in text
	{in: "text-uuencode"},
	{in: "text-uuencode-variants"},
	{in: "text-yenc-binhex"},
	{in: "text-flowed"}, // format=flowed; delsp=yes (Thunderbird, Apple Mail): soft breaks joined
	// Headers, structure
	{in: "forged-mugai-header"},
	{in: "rfc822-inner-exe"},
	{in: "rfc822-text-after"}, // texts after a forwarded message follow it, nested too
	{in: "bare-line-ends"},
	{in: "headers-odd"},
	{in: "headers-bom"},
	{in: "headers-missing", id: "Q-20240305-0002"}, // no Date, no Message-ID: both made
	{in: "html-ja-forms"},
	{in: "links-client-forms"},
	// Calendar files: removed, their events written in the text (the
	// times are TZID, floating or dates: a UTC time would be shown in the
	// zone of the machine the test runs on, see TestCalendarUTC).
	{in: "cal-outlook-teams"},
	{in: "cal-outlook-teams", out: "cal-outlook-teams.remove", policy: func(p *config.Policy) { p.Body.Links = "remove" }},
	{in: "cal-outlook-teams", out: "cal-outlook-teams.out-iso2022jp", policy: func(p *config.Policy) { p.OutputCharset = "iso-2022-jp" }},
	{in: "cal-ics-attachment"},
	{in: "cal-cancel-toplevel"},
	{in: "cal-forwarded"},
}

// goldenReceived is when the golden messages were received: the Date of
// one whose own is missing or does not parse.
var goldenReceived = time.Date(2024, 3, 5, 9, 30, 1, 0, time.FixedZone("JST", 9*60*60))

var reBoundary = regexp.MustCompile(`=_mugai_[0-9a-f]{24}`)

func TestGolden(t *testing.T) {
	for _, gc := range goldenCases {
		name := gc.out
		if name == "" {
			name = gc.in
		}
		t.Run(name, func(t *testing.T) {
			pol := defaultPolicy(t)
			if gc.policy != nil {
				gc.policy(&pol)
			}
			in, err := os.ReadFile(filepath.Join("testdata", "golden", gc.in+".eml"))
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			rep, err := Message(&out, bytes.NewReader(in), int64(len(in)), Options{Policy: pol, PolicyName: "default", OriginalID: gc.id, TempDir: t.TempDir(),
				Received: goldenReceived, Hostname: "gw.city.example.lg.jp", Sender: "envelope@example.jp"})
			if err != nil {
				t.Fatalf("Message: %v", err)
			}
			if rep.Verdict == Rebuilt {
				if err := invariant.Check(bytes.NewReader(out.Bytes()), pol); err != nil {
					t.Errorf("invariants: %v", err)
				}
			} else if rep.Verdict != Rejected {
				t.Errorf("verdict %q", rep.Verdict)
			}
			for _, f := range rep.Findings {
				if !KnownFinding(f.Kind) {
					t.Errorf("finding kind %q is not in findingKinds", f.Kind)
				}
			}
			got := goldenView(t, rep, out.Bytes())
			path := filepath.Join("testdata", "golden", name+".golden")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("output differs from %s (review, then -update):\n%s", path, firstDiff(string(want), string(got)))
			}
		})
	}
}

// goldenView is what a reviewer reads: the verdict, the rebuilt message
// (boundaries made stable), its text decoded, and the report.
func goldenView(t *testing.T, rep *Report, out []byte) []byte {
	var b bytes.Buffer
	b.WriteString("== verdict: " + rep.Verdict)
	if rep.Reason != "" {
		b.WriteString(" (" + rep.Reason + ")")
	}
	b.WriteString("\n")
	if rep.Verdict == Rebuilt {
		b.WriteString("== message\n")
		b.Write(reBoundary.ReplaceAll(bytes.ReplaceAll(out, []byte("\r\n"), []byte("\n")), []byte("=_mugai_BOUNDARY")))
		b.WriteString("== text (decoded)\n")
		b.WriteString(decodedText(t, out))
	}
	b.WriteString("== report\n")
	j, _ := json.MarshalIndent(rep, "", "  ")
	b.Write(j)
	b.WriteString("\n")
	return b.Bytes()
}

// decodedText returns the body text of a rebuilt message as go-message
// decodes it.
func decodedText(t testing.TB, out []byte) string {
	e, err := gomessage.Read(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("parse output: %v", err)
	}
	if mr := e.MultipartReader(); mr != nil {
		e, err = mr.NextPart()
		if err != nil {
			t.Fatalf("parse output: %v", err)
		}
	}
	b, err := io.ReadAll(e.Body)
	if err != nil {
		t.Fatalf("decode output text: %v", err)
	}
	return strings.ReplaceAll(string(b), "\r\n", "\n")
}

func firstDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return "line " + itoa(i+1) + ":\n  want: " + w + "\n  got:  " + g
		}
	}
	return ""
}

// TestPlaceholderNotReported: a placeholder plain text that the HTML
// replaces is an alternative not chosen: what was found in it (a file
// cut out of it) is not reported as if it were the body.
func TestPlaceholderNotReported(t *testing.T) {
	var html strings.Builder
	for range 20 {
		html.WriteString("<p>市民の皆様へ。春の観光キャンペーンのお知らせです。県内の宿泊施設で使えるクーポンを配布します。</p>\r\n")
	}
	msg := "From: a@example.jp\r\nTo: b@city.example.lg.jp\r\nSubject: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nこのメールはHTML形式です。\r\nbegin 644 x.bin\r\n#86)C\r\n`\r\nend\r\n" +
		"--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + html.String() + "--b--\r\n"
	rep, _ := rebuilt(t, msg, defaultPolicy(t))
	for _, p := range rep.Parts {
		if strings.Contains(p.Path, "#") {
			t.Errorf("a file cut out of the placeholder is reported: %+v", p)
		}
	}
	if len(rep.Parts) != 2 || rep.Parts[1].Decision != DecisionBody {
		t.Errorf("parts %+v, want the HTML as the body", rep.Parts)
	}
}
