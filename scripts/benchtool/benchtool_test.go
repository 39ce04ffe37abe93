package main

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"io"
	"math"
	"mime"
	"mime/multipart"
	"net/mail"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestGenerate(t *testing.T) {
	for _, tc := range []struct {
		kind  string
		size  int // requested (0: the kind's default)
		want  int // nominal size
		types []string
	}{
		{"small", 0, sizeSmall, []string{"text/plain"}},
		{"alt", 0, sizeAlt, []string{"text/plain", "text/html"}},
		{"pdf", 0, sizePDF, []string{"text/html", "application/pdf"}},
		{"big", 2 << 20, 2 << 20, []string{"text/plain", "application/pdf"}}, // the 20 MiB kind, smaller
	} {
		t.Run(tc.kind, func(t *testing.T) {
			msg, err := generate(tc.kind, tc.size)
			if err != nil {
				t.Fatal(err)
			}
			if d := math.Abs(float64(len(msg)-tc.want)) / float64(tc.want); d > 0.1 {
				t.Errorf("size %d, want %d ± 10%%", len(msg), tc.want)
			}
			again, _ := generate(tc.kind, tc.size)
			if !bytes.Equal(msg, again) {
				t.Error("two runs generated different messages")
			}
			sc := bufio.NewScanner(bytes.NewReader(msg))
			for n := 1; sc.Scan(); n++ {
				if l := len(sc.Text()); l > 998 { // RFC 5322 2.1.1
					t.Errorf("line %d has %d characters", n, l)
				}
			}
			m, err := mail.ReadMessage(bytes.NewReader(msg))
			if err != nil {
				t.Fatal(err)
			}
			if got := m.Header.Get("To"); got != hdrTo {
				t.Errorf("To %q", got)
			}
			if got := leafTypes(t, m.Header.Get("Content-Type"), m.Body); strings.Join(got, ",") != strings.Join(tc.types, ",") {
				t.Errorf("parts %q, want %q", got, tc.types)
			}
		})
	}
}

// leafTypes walks a MIME body and returns the media types of its leaves;
// a PDF leaf is decoded and checked for its header and trailer.
func leafTypes(t *testing.T, contentType string, body io.Reader) []string {
	t.Helper()
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(mt, "multipart/") {
		return []string{mt}
	}
	var out []string
	mr := multipart.NewReader(body, params["boundary"])
	for {
		p, err := mr.NextRawPart()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		ct := p.Header.Get("Content-Type")
		if strings.HasPrefix(ct, "application/pdf") {
			pdf, err := io.ReadAll(base64.NewDecoder(base64.StdEncoding, p))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(pdf, []byte("%PDF-1.7\n")) || !bytes.HasSuffix(pdf, []byte("%%EOF\n")) {
				t.Errorf("attachment is no PDF: %q … %q", pdf[:16], pdf[len(pdf)-16:])
			}
		}
		out = append(out, leafTypes(t, ct, p)...)
	}
}

func TestCounter(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sink.out")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var c counter
	for _, step := range []struct {
		name, appended string
		want           int
	}{
		{"empty", "", 0},
		{"first record", "\rsess=1 quit=1 mesg=1", 1},
		{"records", "\rsess=2 quit=2 mesg=2\rsess=3 quit=3 mesg=99", 99},
		{"half-written record", "\rsess=4 quit=4 mesg=10", 99}, // of mesg=100
		{"completed", "0", 100},
		{"record cut before the number", "\rsess=5 quit=5 mes", 100},
		{"large", strings.Repeat("\rsess=6 quit=6 mesg=101", 100) + "\rsess=7 quit=7 mesg=2000", 2000},
	} {
		if _, err := f.WriteString(step.appended); err != nil {
			t.Fatal(err)
		}
		got, err := c.read(f)
		if err != nil {
			t.Fatal(err)
		}
		if got != step.want {
			t.Errorf("%s: count %d, want %d", step.name, got, step.want)
		}
	}
}

// scrape renders one scrape of a histogram route="bench" (cumulative
// bucket counts for le 0.005, 0.01, 0.025, +Inf) plus an unrelated route.
func scrape(counts [4]int, sum float64) string {
	les := []string{"0.005", "0.01", "0.025", "+Inf"}
	var b strings.Builder
	b.WriteString("# HELP mugai_accept_duration_seconds x\n# TYPE mugai_accept_duration_seconds histogram\n")
	for i, le := range les {
		b.WriteString(`mugai_accept_duration_seconds_bucket{route="bench",le="` + le + `"} ` + itoa(counts[i]) + "\n")
		b.WriteString(`mugai_accept_duration_seconds_bucket{route="other",le="` + le + `"} 1000` + "\n")
	}
	b.WriteString(`mugai_accept_duration_seconds_sum{route="bench"} ` + ftoa(sum) + "\n")
	b.WriteString(`mugai_accept_duration_seconds_count{route="bench"} ` + itoa(counts[3]) + "\n")
	b.WriteString(`mugai_accept_duration_seconds_sum{route="other"} 99` + "\n")
	b.WriteString(`mugai_accept_duration_seconds_count{route="other"} 1000` + "\n")
	return b.String()
}

func TestQuantile(t *testing.T) {
	before := scrape([4]int{10, 10, 10, 10}, 0.03)
	for _, tc := range []struct {
		name          string
		after         string
		p50, p99, avg float64 // ms
		n             int
	}{
		// 100 new observations: 50 ≤ 5 ms, 40 in (5, 10], 10 in (10, 25].
		{"spread", scrape([4]int{60, 100, 110, 110}, 0.03+0.6), 5, 23.5, 6, 100},
		// All in the first bucket: interpolated from 0.
		{"first bucket", scrape([4]int{110, 110, 110, 110}, 0.03+0.2), 2.5, 4.95, 2, 100},
		// The top 2 % beyond the last finite bound: p99 is that bound.
		{"overflow", scrape([4]int{10, 108, 108, 110}, 0.03+1), 5 + 5*50.0/98, 25, 10, 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := parseHistogram(strings.NewReader(before), "mugai_accept_duration_seconds", `route="bench"`)
			if err != nil {
				t.Fatal(err)
			}
			a, err := parseHistogram(strings.NewReader(tc.after), "mugai_accept_duration_seconds", `route="bench"`)
			if err != nil {
				t.Fatal(err)
			}
			d := a.minus(b)
			got := []float64{d.quantile(0.5) * 1000, d.quantile(0.99) * 1000, d.mean() * 1000, d.count}
			want := []float64{tc.p50, tc.p99, tc.avg, float64(tc.n)}
			for i := range got {
				if math.Abs(got[i]-want[i]) > 1e-9*math.Max(1, want[i]) {
					t.Errorf("p50, p99, mean, count = %v, want %v", got, want)
					break
				}
			}
		})
	}
	if _, err := parseHistogram(strings.NewReader(before), "mugai_accept_duration_seconds", `route="none"`); err == nil {
		t.Error("no error for a route without series")
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func ftoa(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
