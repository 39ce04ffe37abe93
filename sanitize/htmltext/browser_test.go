package htmltext

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset"
	"golang.org/x/text/unicode/norm"
)

// TestBrowserAgreement holds the converter to a browser engine: each
// HTML document of testdata/, of the sanitiser's test messages and of
// the shared corpus (the html-to-text/*.html files and every text/html
// part of its messages) is opened in headless Chromium as a desktop mail client shows it: 800
// pixels wide (desktopWidth), scripts off (a sandboxed frame, so
// <noscript> shows), images off. The words a reader sees there (see
// readableText: the body's innerText without text too small, too faint
// or of the colour behind it) are compared with the words of Convert's
// output, as multisets: a word the converter prints that the browser
// does not show is hidden content leaking into the text; a word the
// browser shows that the converter drops is content the reader loses.
//
// The converter differs on purpose where issue #3 says to drop (forms,
// noscript, embedded objects) and where a reader cannot tell words
// apart (a zero font size inside a word): those documents are pinned in
// browserDiffers with the number of words each way and why. Any other
// difference fails, listing the words.
//
// It needs chromium (Debian's package); .ci/run installs it and sets
// MUGAI_REQUIRE_INTEROP=1, which makes a missing browser a failure.
func TestBrowserAgreement(t *testing.T) {
	browser := findBrowser(t)
	docs := browserDocs(t)
	htmls := docHTMLs(docs)
	shown := browserTexts(t, browser, htmls)

	seen := map[string]bool{}
	for i, d := range docs {
		seen[d.name] = true
		var out bytes.Buffer
		if _, err := Convert(&out, openBytes(d.html), Options{}); err != nil {
			t.Errorf("%s: Convert: %v", d.name, err)
			continue
		}
		ours, theirs := browserWords(convertedText(out.String())), browserWords(shown[i])
		oursOnly, theirsOnly := excess(ours, theirs), excess(theirs, ours)
		want := browserDiffers[d.name]
		if len(oursOnly) != want.oursOnly || len(theirsOnly) != want.browserOnly {
			t.Errorf("%s: %d words printed that the browser hides %q, %d words the browser shows that are dropped %q; want %d and %d",
				d.name, len(oursOnly), clipWords(oursOnly), len(theirsOnly), clipWords(theirsOnly), want.oursOnly, want.browserOnly)
		}
	}
	// A pinned difference whose document has gone would hide nothing,
	// but the table would no longer say what is tested.
	for name := range browserDiffers {
		if !seen[name] && (!strings.HasPrefix(name, "corpus/") || os.Getenv("MUGAI_CORPUS") != "") {
			t.Errorf("browserDiffers names %s, which is not among the documents", name)
		}
	}
}

// linksSeen is the JavaScript that lists the targets of the links a
// reader can see in a document d: laid out on the page, in a colour and
// size that can be read (or holding an image, which the frame does not
// load), with an http or https target.
const linksSeen = `(function () {
  var all = [];
  // The links of the shadow trees too (shadowOpened), whose
  // <details> are opened as the document's are (browserEval).
  (function walk(root) {
    Array.prototype.forEach.call(root.querySelectorAll("*"), function (e) {
      if (e.localName == "details") e.open = true;
      // An svg or math <a> (as in <svg><script><a href>, where the
      // script's content is markup) has no innerText, and the
      // converter draws no svg.
      if (e.localName == "a" && e.namespaceURI == "http://www.w3.org/1999/xhtml" && e.hasAttribute("href")) all.push(e);
      if (e.shadowRoot) walk(e.shadowRoot);
    });
  })(d);
  return all;
})().filter(function (a) {
  if (!/^\s*https?:/i.test(a.getAttribute("href")) || !a.checkVisibility({checkVisibilityCSS: true})) return false;
  if (a.querySelector("img")) return true;
  var st = getComputedStyle(a), c = st.color.match(/[\d.]+/g).map(Number);
  if (c.length > 3 && c[3] < 0.1 || c[0] > 250 && c[1] > 250 && c[2] > 250 || parseFloat(st.fontSize) < 6) return false;
  return a.innerText.trim() != "" && Array.from(a.getClientRects()).some(function (r) { return r.width > 0 && r.height > 0 && r.right > 0 && r.bottom > 0; });
}).map(function (a) { return a.getAttribute("href").trim(); })`

// TestBrowserLinks checks that the converter prints the target of every
// link a reader sees in Chromium, in the documents of
// TestBrowserAgreement: where a link goes is what tells a reader a
// phishing link from the page it names, and its words alone do not (the
// word comparison leaves URLs out).
func TestBrowserLinks(t *testing.T) {
	browser := findBrowser(t)
	docs := browserDocs(t)
	htmls := docHTMLs(docs)
	seen, n := browserEval(t, browser, htmls, linksSeen), 0
	for i, d := range docs {
		var targets []string
		if err := json.Unmarshal(seen[i], &targets); err != nil {
			t.Fatalf("%s: the browser's links: %v", d.name, err)
		}
		var out bytes.Buffer
		if _, err := Convert(&out, openBytes(d.html), Options{}); err != nil {
			t.Errorf("%s: Convert: %v", d.name, err)
			continue
		}
		for _, u := range targets {
			n++
			if !strings.Contains(out.String(), u) {
				t.Errorf("%s: the link to %s is seen in the browser, its target not printed", d.name, u)
			}
		}
	}
	if least := map[bool]int{false: 10, true: 100}[os.Getenv("MUGAI_CORPUS") != ""]; n < least {
		t.Errorf("%d links seen in all the documents, fewer than %d: the documents or the script are amiss", n, least)
	}
	t.Logf("%d links in %d documents", n, len(docs))
}

// browserDiffers pins, per document, how many words the converter prints
// that the browser does not show and how many it shows that the
// converter drops, on purpose.
var browserDiffers = map[string]struct {
	oursOnly, browserOnly int
	why                   string
}{
	"testdata/evasion.html": {0, 10, "a form's select and button (Mother's maiden name, Sign in), " +
		"object fallback text and noscript are dropped (issue #3: forms, objects and noscript are)"},
}

// docHTMLs returns the HTML of each document.
func docHTMLs(docs []browserDoc) [][]byte {
	htmls := make([][]byte, len(docs))
	for i, d := range docs {
		htmls[i] = d.html
	}
	return htmls
}

type browserDoc struct {
	name string // testdata/x.html, corpus/<path> or corpus/<path>#<part>
	html []byte
}

// browserDocs gathers the documents: testdata/*.html, the text/html
// parts of the sanitiser's test messages (../testdata/**/*.eml), and with
// MUGAI_CORPUS the corpus's html-to-text files and the text/html parts of
// its messages. Parts are decoded to UTF-8 by go-message's charset
// package, as the sanitiser hands the converter UTF-8.
func browserDocs(t *testing.T) []browserDoc {
	var docs []browserDoc
	files, _ := filepath.Glob(filepath.Join("testdata", "*.html"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, browserDoc{filepath.ToSlash(f), b})
	}
	own := len(docs)
	docs = walkDocs(t, docs, filepath.Join("..", "testdata"), "sanitize/testdata/", func(rel string) bool {
		return strings.HasSuffix(rel, ".eml")
	})
	if len(docs) == own {
		t.Fatal("no HTML part in the sanitiser's test messages (../testdata)")
	}
	corpus := os.Getenv("MUGAI_CORPUS")
	if corpus == "" {
		t.Log("MUGAI_CORPUS not set: testdata only")
		return docs
	}
	own = len(docs)
	docs = walkDocs(t, docs, corpus, "corpus/", func(rel string) bool {
		switch filepath.Ext(rel) {
		case ".txt", ".tsv", ".md", ".json":
			return false
		case ".html":
			return strings.HasPrefix(rel, "corpus/html-to-text/")
		}
		return true
	})
	if len(docs) == own {
		t.Fatalf("no HTML found in %s", corpus)
	}
	return docs
}

// walkDocs appends the documents under root that take names: an .html
// file whole, and any other file as a message, each of its text/html
// parts (named <file>#<part path>). A file that is not a message gives
// none.
func walkDocs(t *testing.T, docs []browserDoc, root, prefix string, take func(rel string) bool) []browserDoc {
	t.Helper()
	err := filepath.WalkDir(root, func(p string, e os.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		rel = prefix + filepath.ToSlash(rel)
		if !take(rel) {
			return nil
		}
		if filepath.Ext(p) == ".html" {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			docs = append(docs, browserDoc{rel, b})
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		// An unknown charset or transfer encoding still gives the
		// entity; nil is a file that is not a message.
		ent, _ := message.Read(io.LimitReader(f, 16<<20))
		if ent == nil {
			return nil
		}
		ent.Walk(func(path []int, part *message.Entity, err error) error {
			if err != nil {
				return nil
			}
			if mt, _, _ := part.Header.ContentType(); mt != "text/html" {
				return nil
			}
			b, err := io.ReadAll(part.Body)
			if err != nil {
				return nil
			}
			var at []string
			for _, n := range path {
				at = append(at, fmt.Sprint(n))
			}
			docs = append(docs, browserDoc{rel + "#" + strings.Join(at, "."), b})
			return nil
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return docs
}

var (
	// What the converter adds to the text: link targets in angle
	// brackets, image placeholders (and MismatchMark), list markers at
	// a line's start.
	// A target is printed as it is written: a URL, an address, a share
	// (\\host\x.lnk), a relative path; what has none of : / \ @ . is
	// not one (<b> written as &lt;b&gt;).
	printedTarget = regexp.MustCompile(`<[^<>\s]*[:/\\@.][^<>\s]*>`)
	imageLabel    = regexp.MustCompile(`\[(?:画像|image)(?::[^\]]*)?\]`)
	listMarker    = regexp.MustCompile(`(?m)^[ \t]*(?:[0-9]{1,9}|[a-zA-Z]|[ivxlcdmIVXLCDM]{1,8})\.[ \t]`)
	// URLs, www. hosts and addresses, in either text: the converter
	// prints a link whose text is its target once, as the target.
	urlish    = regexp.MustCompile(`(?:https?|ftp|mailto|tel):[\x21-\x3b\x3d\x3f-\x7e]*|\bwww\.[\x21-\x3b\x3d\x3f-\x7e]*|[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+`)
	asciiWord = regexp.MustCompile(`[a-z0-9]+`)
)

// convertedText is the converter's output less what it adds: the
// superscript's ^ joins again (x^2 is x2 in innerText).
func convertedText(s string) string {
	s = printedTarget.ReplaceAllString(s, " ")
	s = imageLabel.ReplaceAllString(s, " ")
	s = strings.ReplaceAll(s, MismatchMark, " ")
	s = listMarker.ReplaceAllString(s, " ")
	return strings.ReplaceAll(s, "^", "")
}

// browserWords splits a text into words: runs of ASCII letters and
// digits (lower-cased), and each other letter or digit alone (Japanese
// has no spaces between words). Invisible format characters (U+200B,
// U+202E) are left out first: the converter drops them, innerText keeps
// them inside a word.
func browserWords(s string) map[string]int {
	s = strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Cf, r) {
			return -1
		}
		return unicode.ToLower(mathLetter(r))
	}, s)
	s = urlish.ReplaceAllString(s, " ")
	words := map[string]int{}
	for len(s) > 0 {
		if loc := asciiWord.FindStringIndex(s); loc != nil && loc[0] == 0 {
			words[s[:loc[1]]]++
			s = s[loc[1]:]
			continue
		}
		r, n := utf8.DecodeRuneInString(s)
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			words[s[:n]]++
		}
		s = s[n:]
	}
	return words
}

// mathLetter gives the letter or digit a mathematical one stands for:
// innerText gives a one-letter <mi> in the italic it is drawn in
// (text-transform: math-auto, 𝑥 for x, ℎ for h), where the converter
// prints the letter.
func mathLetter(r rune) rune {
	if r == 'ℎ' || 0x1D400 <= r && r <= 0x1D7FF {
		if d := []rune(norm.NFKC.String(string(r))); len(d) == 1 {
			return d[0]
		}
	}
	return r
}

// excess lists the words of a beyond their count in b, sorted.
func excess(a, b map[string]int) []string {
	var out []string
	for w, n := range a {
		for i := b[w]; i < n; i++ {
			out = append(out, w)
		}
	}
	slices.Sort(out)
	return out
}

func clipWords(ws []string) string {
	var b strings.Builder
	for i, w := range ws {
		if i == 40 {
			fmt.Fprintf(&b, " …(%d more)", len(ws)-i)
			break
		}
		if len(w) > 24 {
			w = w[:24] + "…"
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(w)
	}
	return b.String()
}

// findBrowser returns the path of Chromium, or skips the test (fails it
// with MUGAI_REQUIRE_INTEROP=1) when there is none.
func findBrowser(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			if testing.Short() {
				t.Skip("starting a browser takes seconds")
			}
			return p
		}
	}
	if os.Getenv("MUGAI_REQUIRE_INTEROP") == "1" {
		t.Fatal("chromium not found (apt-get install chromium)")
	}
	t.Skip("chromium not found")
	return ""
}

// readableText is the JavaScript that gives the text a reader sees of a
// document d: the body's innerText (which leaves out what display and
// visibility hide) without the text nodes in a font under 2px, under an
// opacity below 0.1, in a colour with an alpha below 0.1, or in the
// colour of the background behind them (white on the white page), which
// are emptied. These are minFontPx and minOpacity; what the converter
// does not model (a colour near another that is not white) does not
// happen in the corpus. A <style> in the body keeps its text, whatever
// its colour or size, so that its rules still apply.
const readableText = `(function () {
  if (!d.body) return "\u0000no body";
  var win = d.defaultView, unseen = [], shadow = [];
  // The parent a box is drawn in: a slotted node's slot, a shadow
  // root's host.
  function up(e) { return e.assignedSlot || e.parentElement || (e.parentNode && e.parentNode.host) || null; }
  function rgba(s) { var m = (s || "").match(/[\d.]+/g); if (!m) return [0, 0, 0, 1]; m = m.map(Number); if (m.length < 4) m.push(1); return m; }
  function behind(el) {
    for (var e = el; e; e = up(e)) {
      var st = win.getComputedStyle(e);
      if (st.backgroundImage != "none") return null;
      var c = rgba(st.backgroundColor);
      if (c[3] > 0.1) return c;
    }
    return [255, 255, 255, 1];
  }
  function opacity(el) { var o = 1; for (var e = el; e; e = up(e)) o *= parseFloat(win.getComputedStyle(e).opacity); return o; }
  function readable(n) {
    // A text is drawn in the style of its parent in the flat tree:
    // its slot, when a slot takes it.
    var el = n.assignedSlot || n.parentElement || n.parentNode.host, st = win.getComputedStyle(el), b = behind(el);
    var c = rgba(st.webkitTextFillColor && st.webkitTextFillColor != st.color ? st.webkitTextFillColor : st.color);
    return !(parseFloat(st.fontSize) < 2 || c[3] < 0.1 || opacity(el) < 0.1 ||
        b && Math.abs(c[0] - b[0]) + Math.abs(c[1] - b[1]) + Math.abs(c[2] - b[2]) < 12);
  }
  // A shadow root's text is drawn but not in innerText, which walks
  // the light tree (its slotted nodes among it): its text nodes that
  // are laid out and visible are read one by one, separated by spaces.
  function shadowText(root) {
    Array.prototype.forEach.call(root.querySelectorAll("details"), function (x) { x.open = true; });
    var w = d.createTreeWalker(root, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT), n, r = d.createRange();
    while ((n = w.nextNode())) {
      if (n.nodeType == 1) { if (n.shadowRoot) shadowText(n.shadowRoot); continue; }
      var el = n.parentElement || n.parentNode.host;
      if (!n.data.trim() || n.parentElement && n.parentElement.closest("style, script")) continue;
      r.selectNodeContents(n);
      if (r.getClientRects().length && win.getComputedStyle(el).visibility == "visible" && readable(n)) shadow.push(n.data);
    }
  }
  Array.prototype.forEach.call(d.querySelectorAll("*"), function (e) { if (e.shadowRoot) shadowText(e.shadowRoot); });
  var w = d.createTreeWalker(d.body, NodeFilter.SHOW_TEXT), n;
  while ((n = w.nextNode())) {
    // A style sheet's text is not read but applied: emptied, its rules
    // would be gone from the page measured.
    if (!n.data.trim() || n.parentElement.closest("style, script")) continue;
    if (!readable(n)) unseen.push(n);
  }
  unseen.forEach(function (t) { t.data = ""; });
  return d.body.innerText + (shadow.length ? "\n" + shadow.join(" ") : "");
})()`

// browserTexts opens each document in headless Chromium, in one run,
// and returns the text a reader sees of each (readableText, browserEval).
func browserTexts(t *testing.T, browser string, docs [][]byte) []string {
	t.Helper()
	raw := browserEval(t, browser, docs, readableText)
	shown := make([]string, len(raw))
	for i, r := range raw {
		if err := json.Unmarshal(r, &shown[i]); err != nil {
			t.Fatalf("the browser's text of document %d: %v", i, err)
		}
		if strings.HasPrefix(shown[i], "\x00") {
			t.Fatalf("the browser did not open document %d:\n%.500s", i, docs[i])
		}
	}
	return shown
}

// browserEval opens each document in headless Chromium, in one run, and
// returns what the JavaScript expression js makes of each, as JSON: js
// reads the document as d. Each is in a frame desktopWidth pixels wide,
// sandboxed so that no script of its own runs (as in a mail client),
// with images off and no host resolved. Every <details> is opened first.
func browserEval(t *testing.T, browser string, docs [][]byte, js string) []json.RawMessage {
	t.Helper()
	dir := t.TempDir()
	var page strings.Builder
	page.WriteString("<!doctype html><html><body>\n")
	for i, d := range docs {
		// The byte order mark decides the encoding before any <meta
		// charset> of the document, without taking the doctype's place
		// (which decides quirks mode, and so how classes match).
		name := filepath.Join(dir, fmt.Sprintf("%04d.html", i))
		if err := os.WriteFile(name, append([]byte("\ufeff"), d...), 0o600); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&page, "<iframe sandbox=\"allow-same-origin\" width=\"%d\" height=\"600\" src=\"%s\"></iframe>\n", desktopWidth, html.EscapeString("file://"+name))
	}
	page.WriteString(`<pre id="out"></pre><script>
window.addEventListener("load", function () {
  var r = [], fs = document.getElementsByTagName("iframe");
  for (var i = 0; i < fs.length; i++) {
    var d = fs[i].contentDocument;
    // A reader opens a closed <details> with a click, so its content
    // counts as seen: the text has no click to give.
    if (d) Array.prototype.forEach.call(d.querySelectorAll("details"), function (x) { x.open = true; });
    r.push(d ? (` + js + `) : null);
  }
  document.getElementById("out").textContent = JSON.stringify(r);
});
</script></body></html>`)
	pageFile := filepath.Join(dir, "page.html")
	if err := os.WriteFile(pageFile, []byte(page.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, browser, "--headless", "--no-sandbox", "--disable-gpu",
		"--no-first-run", "--disable-background-networking", "--disable-component-update",
		"--disable-sync", "--disable-quic", "--user-data-dir="+filepath.Join(dir, "profile"),
		"--allow-file-access-from-files", "--blink-settings=imagesEnabled=false",
		// Hermetic: the documents' remote style sheets and fonts (spam's
		// among them) are not fetched, wherever the test runs.
		"--host-resolver-rules=MAP * ~NOTFOUND",
		"--window-size=1200,800", "--virtual-time-budget=30000", "--dump-dom", "file://"+pageFile)
	// The browser's own processes (renderers, the GPU process) are in
	// its process group, which goes with it whatever happens.
	// Pdeathsig: a test binary killed at its -timeout takes it along.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	dom, err := cmd.Output()
	if cmd.Process != nil {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	if err != nil {
		t.Fatalf("%s --dump-dom: %v\n%s", browser, err, stderr.Bytes())
	}
	m := regexp.MustCompile(`(?s)<pre id="out">(.*?)</pre>`).FindSubmatch(dom)
	if m == nil {
		t.Fatalf("the browser's page has no result:\n%.2000s\n%s", dom, stderr.Bytes())
	}
	var res []json.RawMessage
	if err := json.Unmarshal([]byte(html.UnescapeString(string(m[1]))), &res); err != nil || len(res) != len(docs) {
		t.Fatalf("the browser's result: %v, %d results for %d documents", err, len(res), len(docs))
	}
	for i, r := range res {
		if string(r) == "null" {
			t.Fatalf("the browser did not open document %d:\n%.500s", i, docs[i])
		}
	}
	return res
}
