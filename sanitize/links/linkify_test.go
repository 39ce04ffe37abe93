package links

import (
	"bytes"
	"context"
	"encoding/json"
	"math/rand/v2"
	"net/netip"
	neturl "net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"
)

// The promise of Defang and Remove is that a mail client makes no link of
// what they leave. Clients' own linkifiers cannot run here (Outlook's,
// Gmail's), but three that web mail and web applications use can:
// linkify-it (markdown-it's, with names without a scheme and IPv4 hosts),
// linkifyjs and Autolinker, pinned in testdata/linkify. Between them they
// link more than any one client does: names without a scheme after any
// punctuation, addresses, IPv4 hosts, any scheme.

// findLinkifiers returns the directory of the linkifiers, or skips the
// test (fails it with MUGAI_REQUIRE_INTEROP=1) when node or the packages
// are missing: `npm ci --prefix sanitize/links/testdata/linkify` puts
// them there, as .ci/run does.
func findLinkifiers(t *testing.T) (node, dir string) {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("testdata", "linkify"))
	if err != nil {
		t.Fatal(err)
	}
	node, err = exec.LookPath("node")
	missing := ""
	switch {
	case err != nil:
		missing = "node not found (apt-get install nodejs npm)"
	default:
		for _, p := range []string{"linkify-it", "linkifyjs", "autolinker"} {
			if _, err := os.Stat(filepath.Join(dir, "node_modules", p, "package.json")); err != nil {
				missing = "the linkifiers are not installed (npm ci --prefix sanitize/links/testdata/linkify)"
			}
		}
	}
	if missing != "" {
		if os.Getenv("MUGAI_REQUIRE_INTEROP") == "1" {
			t.Fatal(missing)
		}
		t.Skip(missing)
	}
	return node, dir
}

// linkFound is one link a linkifier made of a line.
type linkFound struct {
	Lib  string `json:"lib"`
	Href string `json:"href"`
	Text string `json:"text"`
}

// linkify runs the three linkifiers over lines, in one node process, and
// returns the links each line gave.
func linkify(t *testing.T, lines []string) [][]linkFound {
	t.Helper()
	node, dir := findLinkifiers(t)
	in, err := json.Marshal(lines)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join(dir, "find.js"))
	cmd.Dir = dir
	cmd.Stdin = bytes.NewReader(in)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node find.js: %v\n%s", err, stderr.Bytes())
	}
	var found [][]linkFound
	if err := json.Unmarshal(out, &found); err != nil || len(found) != len(lines) {
		t.Fatalf("node find.js: %v, %d results for %d lines", err, len(found), len(lines))
	}
	return found
}

// navigable reports whether a client would open the link f: a URL with
// "//" and a scheme Rewrite neutralises (http, https, ftp, file, and those
// of otherScheme), or a name a linkifier linked without a scheme (giving
// it http:, or leaving "//" for the browser to resolve) or after "http:"
// alone, when the name is a host that can exist: labels of letters, digits, "-" and "_"
// once mapped as a browser maps them, ending in an ICANN top-level
// domain, or an IPv4 address. Mail addresses stay readable by design, and
// so do the schemes Defang writes (hxxp:, fxp:, fxle:), other words
// before "://" that name no handler ("a://b", "C://x"), and a file: URL
// that is neither a path nor a drive.
func navigable(f linkFound) bool {
	href := f.Href
	colon := strings.IndexByte(href, ':')
	if colon < 0 || strings.HasPrefix(href, "//") {
		return possibleHost(strings.TrimPrefix(href, "//"))
	}
	scheme := strings.ToLower(href[:colon])
	switch {
	case scheme == "mailto":
		return mailtoAttaches(href[colon+1:])
	case scheme == "file" && strings.HasPrefix(strings.ToLower(f.Text), "file:"):
		// A path, or a drive; "file:search-ms" opens nothing.
		rest := href[colon+1:]
		return strings.HasPrefix(rest, "/") || strings.HasPrefix(rest, "\\") ||
			len(rest) >= 2 && asciiLetter(rest[0]) && (rest[1] == ':' || rest[1] == '|')
	case scheme == "http" || scheme == "https" || scheme == "ftp" || scheme == "file":
		rest := href[colon+1:]
		if strings.HasPrefix(strings.ToLower(f.Text), scheme+"://") {
			return true
		}
		// A name without a scheme, to which the linkifier gave one, or
		// "http:x.example", which a browser opens as http://x.example.
		return possibleHost(strings.TrimLeft(rest, "/\\"))
	}
	return colon <= maxScheme && otherScheme(href[:colon], href[colon+1:])
}

// hostMapping maps a host name as a browser does (UTS #46), without
// refusing "_", which browsers resolve.
var hostMapping = idna.New(idna.MapForLookup(), idna.StrictDomainName(false))

// possibleHost reports whether the URL without its scheme, rest, names a
// host that can exist on the internet (see navigable).
func possibleHost(rest string) bool {
	host := rest
	if i := strings.IndexAny(host, "/?#\\"); i >= 0 {
		host = host[:i]
	}
	if i := strings.LastIndexByte(host, '@'); i >= 0 {
		host = host[i+1:]
	}
	if i := strings.LastIndexByte(host, ':'); i >= 0 {
		host = host[:i]
	}
	// A browser decodes a host's percent escapes (evil%2ecom is evil.com).
	if h, err := neturl.PathUnescape(host); err == nil {
		host = h
	}
	a, err := hostMapping.ToASCII(strings.TrimSuffix(host, "."))
	if err != nil || a == "" {
		return false
	}
	if ip, err := netip.ParseAddr(a); err == nil && ip.Is4() || browserIPv4(a) {
		return true
	}
	labels := strings.Split(a, ".")
	for _, l := range labels {
		if l == "" || strings.Trim(l, "abcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
			return false
		}
	}
	_, icann := publicsuffix.PublicSuffix(a)
	return len(labels) > 1 && icann
}

// browserIPv4 reports whether a browser reads host as an IPv4 address in
// one of the forms the URL standard's IPv4 parser takes besides four
// decimal labels: fewer labels (127.1), hexadecimal (0x7f.1) or octal
// (0177.0.0.1) labels, one number (3232235777).
func browserIPv4(host string) bool {
	labels := strings.Split(strings.TrimSuffix(host, "."), ".")
	if len(labels) > 4 {
		return false
	}
	for i, l := range labels {
		base := 10
		switch {
		case len(l) > 1 && (l[:2] == "0x" || l[:2] == "0X"):
			l, base = l[2:], 16
		case len(l) > 1 && l[0] == '0':
			l, base = l[1:], 8
		}
		if l == "" && base != 16 {
			return false
		}
		n := uint64(0)
		if l != "" {
			v, err := strconv.ParseUint(l, base, 64)
			if err != nil {
				return false
			}
			n = v
		}
		if i < len(labels)-1 && n > 255 || i == len(labels)-1 && n >= 1<<(8*(5-len(labels))) {
			return false
		}
	}
	return true
}

// TestNavigable checks the check: what a browser opens to a host is
// navigable, what names none is not.
func TestNavigable(t *testing.T) {
	for _, tc := range []struct {
		f    linkFound
		want bool
	}{
		{linkFound{Href: "http://evil.com", Text: "evil.com"}, true},
		{linkFound{Href: "http://192.0.2.1/x", Text: "192.0.2.1/x"}, true},
		// The URL standard's IPv4 forms, and percent escapes in a host.
		{linkFound{Href: "http://0x7f.1/x", Text: "0x7f.1/x"}, true},
		{linkFound{Href: "http://3232235777", Text: "3232235777"}, true},
		{linkFound{Href: "http://0177.0.0.1", Text: "0177.0.0.1"}, true},
		{linkFound{Href: "http://evil%2ecom/x", Text: "evil%2ecom/x"}, true},
		{linkFound{Href: "http://v1.2.3", Text: "v1.2.3"}, false},
		{linkFound{Href: "http://1.2.3.4.5", Text: "1.2.3.4.5"}, false},
		{linkFound{Href: "http://0x.1.2.3.4", Text: "0x.1.2.3.4"}, false},
		{linkFound{Href: "http://evil.example", Text: "evil.example"}, false},
		{linkFound{Href: "mailto:taro@example.jp", Text: "taro@example.jp"}, false},
		{linkFound{Href: "hxxp://evil", Text: "hxxp://evil"}, false},
	} {
		if got := navigable(tc.f); got != tc.want {
			t.Errorf("navigable(%+v) = %v, want %v", tc.f, got, tc.want)
		}
	}
}

// linkifierLines are lines written to find what a linkifier links and the
// rewriter leaves: a name glued to every printable ASCII byte on either
// side, in text and in a URL's path; names in Japanese and other scripts;
// IPv4 hosts; addresses and what only looks like one.
func linkifierLines() []string {
	var l []string
	for c := byte('!'); c <= '~'; c++ {
		s := string(c)
		l = append(l,
			"see x"+s+"evil.com/login",
			"see evil.com"+s+"x",
			"https://a.example/x"+s+"evil.com/login",
			"www.a.example/p"+s+"evil.com",
			"詳しくは"+s+"evil.com/login",
			// A name in or after what may be an address.
			"x"+s+"evil.com@example.jp",
			"evil.com"+s+"x@example.jp",
			"evil.com"+s+"@example.jp",
			"見て"+s+"evil.com@example.jp",
			"x@example.jp"+s+"evil.com",
			// A host a browser reads as an IPv4 address (127.0.0.1)
			// after "//": linkify-it links it after any punctuation.
			"x"+s+"//0x7f.1/x",
			"x"+s+"\\//0x7f.1/x",
		)
	}
	for _, s := range []string{"、", "。", "：", "「", "」", "【", "】", "（", "）", "・", "　", "｜", "＜"} {
		l = append(l, "x"+s+"evil.com@example.jp", "evil.com"+s+"@example.jp", "x@"+s+"evil.com")
	}
	return append(l,
		"詳しくは例え.jp/x をご覧ください",
		"詳しくは 例え.jp/x をご覧ください。",
		"お問い合わせは総務課.jpまで",
		"楽天.co.jp/shop と ドメイン名.com",
		"see bücher.de/x and пример.рф and xn--bcher-kva.de/x",
		"see пример.рф-x пример.рф.x 見て.рф_zip evil.рф_x taro_.рф x-.рф 例え.jp_x",
		"=_ｃｏｍ@.www.рф and x@.evil.com and x@a..evil.com",
		"見て.рф.xn--p1ai 見てрф.city.рф 1ü.рф.co例え ;1.ftp.рф *127evil.рф\u00adwww 例.рф\u200bx",
		"see x 1.\u200bnews and .//@\u00ad.8080.рф and 1.р\u00adф",
		"see //1572395042.\u200b/x and //1.\u200bnews:co and <//1.\u00ad> and //例.\u200b",
		"see 192.0.2.1/login or 10.0.0.5:8080/x or 255.255.255.255",
		"see 0x7f.1/login or 3232235777/x or 127.1 or 0177.0.0.1/x or http:0x7f.1 or //0x7f.1/x or www.0x7f.1",
		"see evil%2ecom/x or www%2eevil%2ecom or http:evil%2ecom or //evil%2ecom/x or www.evil%2ecom",
		"see evil.com@x and evil.com@x.y and a.b@c",
		"see \u00ad@evil.net \u200b@evil.co \u2060@evil.com x\u200d@evil.com ｔａｒｏ@example.jp",
		"mail taro.yamada@example.jp or info@city.example.lg.jp now",
		"ftp://files.example.jp/pub/x.zip and /pub/report.zip and C:\\docs\\setup.py",
		"https://a.example/x/evil.com:8080/a https://a.example/x/EVIL.COM. https://a.example/x/1.2.3.4/",
		"www.a.example/evil.com www.a.example?evil.com www.a.example#evil.com",
		"https://x.example/evil.com/login?u=http://z.example/a",
		// Names that a scan in another script runs past (see foreignName),
		// and near-addresses a linkifier reads as URLs.
		"www.例え0.telſ_ 例.a.telſ 例.1.2.3.4 例.例.jp-x 例.jp.例",
		"//x'y@evil.com/login a@.ü.fi a@x..jp",
		// Japanese right after an address's top-level domain.
		"soumu@city.example.lg.jpまで x@evil.comへ/login x@evil.comあwww.evil.com/x x@evil.comへevil.com x@evil.coḿx.com",
		// and a name before the "@" of such an address, which only
		// linkifyjs reads as one.
		"see evil.com@x.jpまで and a.evil.com@city.example.lg.jpへ login-evil.com@x.comへ evil.co.jp@x.jpまで evil.com@例え.jpまで",
		"evil.com@x.jp-x evil.com@x.jpé evil.com@x.jpー evil.com@x.jp1",
		"rtsp:evil.com/stream rtsps:evil.com ws:evil.com wss:evil.com ftps:evil.com mms:evil.com receiver:evil.com",
	)
}

// TestLinkifiersFindNothing rewrites lines in Defang and Remove mode and
// checks that no linkifier finds a link a client would open in the
// result: the hostile lines, the reference test's lines and random ones
// dense in URL starts.
func TestLinkifiersFindNothing(t *testing.T) {
	lines := append(linkifierLines(), referenceSeeds...)
	r := rand.New(rand.NewPCG(7, 11))
	n := 20000
	if testing.Short() {
		n = 2000
	}
	for range n {
		lines = append(lines, randomLine(r))
	}
	for _, mode := range []string{Defang, Remove} {
		var in, out []string
		for _, l := range lines {
			// A linkifier ends a link at a line end: each line of a
			// multi-line input is one the client sees.
			for _, s := range strings.Split(l, "\n") {
				o, _ := Rewrite(s, mode)
				in, out = append(in, s), append(out, o)
			}
		}
		found := linkify(t, out)
		bad := 0
		for i, links := range found {
			for _, f := range links {
				if !navigable(f) {
					continue
				}
				if bad++; bad <= 40 {
					t.Errorf("%s: %s links %q as %q in %q (from %q)", mode, f.Lib, f.Text, f.Href, out[i], in[i])
				}
			}
		}
		if bad > 40 {
			t.Errorf("%s: %d links in all", mode, bad)
		}
	}
}

// TestLinkifiersFindURLs checks the check: the linkifiers do link what
// Defang is given, so that finding nothing in its output means something.
func TestLinkifiersFindURLs(t *testing.T) {
	lines := []string{
		"https://evil.example/a", "see evil.com/login", "www.evil.com", "x/evil.com",
		"詳しくは 例え.jp/x", "192.0.2.1/login", "ftp://files.example.jp/x.zip",
	}
	for i, links := range linkify(t, lines) {
		n := 0
		for _, f := range links {
			if navigable(f) {
				n++
			}
		}
		if n == 0 {
			t.Errorf("no linkifier links %q: %v", lines[i], links)
		}
	}
}
