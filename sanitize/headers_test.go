package sanitize

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"io"
	netmail "net/mail"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"

	"mugai/config"
	"mugai/sanitize/invariant"
)

// TestAddressSalvage covers address fields net/mail refuses: the address
// in each element is kept only when there is no doubt which it is and it
// is whole. A guess could name another domain, or take a display name
// made to look like an address for the sender.
func TestAddressSalvage(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"Taro <taro@example.jp", "taro@example.jp"},
		{"taro@example.jp 山田", "taro@example.jp"},
		{"taro@example.jp Yamada", "taro@example.jp"},
		{"Taro <a@example.com>x", "a@example.com"},
		{"a@example.com.", "a@example.com"},
		{"Taro <taro@example.jp>x, Hanako <hanako@example.jp>", "taro@example.jp, Hanako <hanako@example.jp>"},
		{"e@ex ample.com", ""},
		{"e@ex .com", ""},
		{"Taro <taro@exa mple.jp>", ""},
		{"Taro <taro@exa\tmple.jp>", ""},
		{"a@b c@d.com", ""},
		{"e@ex ample.com, b@example.com", "b@example.com"},
		{"taro@", ""},
		// A display name that looks like an address is not the address.
		{"mayor@city.lg.jp <attacker@evil.example>", "attacker@evil.example"},
		{"=?utf-8?q?a,mayor@city.lg.jp?= <attacker@evil.example>", "attacker@evil.example"},
		{"=?utf-8?q?mayor@city.lg.jp?= <attacker@evil.example", "attacker@evil.example"},
		{"mayor@city.lg.jp attacker@evil.example", ""},
		{"x <a@example.com> <b@example.com>", ""},
		{"Taro <taro@example.jp> junk", "taro@example.jp"},
		// The address must end where the match ends.
		{"e@ex_ample.com x", ""},
		{"e@ex(ample).com", ""},
		{"e@exämple.com x y", ""},
		{"e@ex@ample.com", ""},
		{"e@ex:ample.com", ""},
		// Quoted strings and encoded words are names, not addresses.
		{`"x <mayor@city.lg.jp>" attacker@evil.example`, "attacker@evil.example"},
		{"=?utf-8?q?<mayor@city.lg.jp>?= attacker@evil.example", "attacker@evil.example"},
		{`"mayor@city.lg.jp" attacker@evil.example junk`, "attacker@evil.example"},
	} {
		rep := &Report{}
		s := newSanitizer(Options{Policy: defaultPolicy(t)}, rep)
		if got := s.addressValue("From", c.in); got != c.want {
			t.Errorf("addressValue(%q) = %q, want %q", c.in, got, c.want)
		}
		if len(rep.Findings) == 0 || rep.Findings[0].Kind != "address-unparseable" {
			t.Errorf("addressValue(%q): findings %v, want address-unparseable", c.in, rep.Findings)
		}
	}
}

// TestAddressLocalPartLinks covers addresses whose local part a
// linkifier reads a link in (a host name after "!", a path, a URL in a
// quoted local part): the header shows it as written, and a reply or
// forward quotes it into a body, as it does a display name. The address
// cannot be defanged and stay the sender's, so it is dropped and
// reported; addresses whose local part holds a dotted name a linkifier
// reads as part of the address (plus addresses, SRS) stay.
func TestAddressLocalPartLinks(t *testing.T) {
	for _, c := range []struct {
		in, want string
		dropped  int
	}{
		{`x!evil.com@example.jp`, "", 1},
		{`Taro <evil.com/login@example.jp>`, "", 1},
		{`"see https://evil.example/login"@example.jp`, "", 1},
		{`Taro <"<https://evil.example/a>"@example.jp>`, "", 1},
		{`www.x!evil.com@example.jp, taro@example.jp`, "taro@example.jp", 1},
		{`"x evil.com/login"@example.jp, a@example.jp, x?evil.com@example.jp`, "a@example.jp", 2},
		// What stays: the link, if any, is in the domain or nowhere.
		{`kikaku.tokyo+ml@example.jp`, "kikaku.tokyo+ml@example.jp", 0},
		{`SRS0=ab=cd=example.com=taro@srs.example.jp`, "SRS0=ab=cd=example.com=taro@srs.example.jp", 0},
		{`info.com@example.jp`, "info.com@example.jp", 0},
		// Read as a URL, "www.admin@" is a user name at the address's
		// own domain.
		{`www.admin@city.example.lg.jp, ftp.admin@example.jp`, "www.admin@city.example.lg.jp, ftp.admin@example.jp", 0},
		{`www.evil.com@example.jp`, "www.evil.com@example.jp", 0},
		{`"a b"@example.jp`, `"a b"@example.jp`, 0},
		{`Taro <taro@example.jp>`, "Taro <taro@example.jp>", 0},
	} {
		for _, mode := range []string{"defang", "remove"} {
			rep := &Report{}
			pol := defaultPolicy(t)
			pol.Body.Links = mode
			s := newSanitizer(Options{Policy: pol}, rep)
			if got := s.addressValue("From", c.in); got != c.want {
				t.Errorf("%s: addressValue(%q) = %q, want %q", mode, c.in, got, c.want)
			}
			n := 0
			for _, f := range rep.Findings {
				if f.Kind == "address-link" {
					n++
				}
			}
			if n != c.dropped {
				t.Errorf("%s: addressValue(%q): findings %v, want %d address-link", mode, c.in, rep.Findings, c.dropped)
			}
		}
		// Keep leaves links where they are, in addresses too.
		pol := defaultPolicy(t)
		pol.Body.Links = "keep"
		s := newSanitizer(Options{Policy: pol}, &Report{})
		if got := s.addressValue("From", c.in); got == "" {
			t.Errorf("keep: addressValue(%q) dropped it", c.in)
		}
	}
}

// TestDroppedAddressesNoticed: an address left out of the rebuilt header
// (a link in its local part, a non-ASCII local part, a domain that is no
// domain) is named in the notice by its field, once per field, in the
// order of the header. Before, the reader found a mail without a sender,
// or with fewer recipients, and a notice that said nothing of it.
func TestDroppedAddressesNoticed(t *testing.T) {
	const line = "・リンクや使えない文字を含むメールアドレスを次の欄から削除しました: "
	for _, c := range []struct{ head, want, en string }{
		{"From: evil.com/login@example.jp\r\nTo: b@example.jp\r\n", line + "From", "addresses removed from From; no usable From: sender unknown."},
		{"From: a@example.jp\r\nTo: b@example.jp, =?UTF-8?B?" + base64.StdEncoding.EncodeToString([]byte("総務")) + "?= <総務@example.jp>\r\nCc: x!evil.com@example.jp, c@xn--a.example\r\n",
			line + "To、Cc", "addresses removed from To, Cc."},
		{"From: a@example.jp\r\nTo: b@example.jp\r\n", "", ""},
		// An encoded word for a local part (FuzzMessage found one the
		// invariant could not decode).
		{"From: =?UTF8?B?x55SwS?=@y\r\nTo: b@example.jp, =?utf-8?b?" + base64.StdEncoding.EncodeToString([]byte("mayor@city.example.lg.jp")) + "?=@evil.example\r\n",
			line + "From、To", "addresses removed from From, To; no usable From: sender unknown."},
		{"From: a@example.jp\r\nTo: b@example.jp\r\nCc: c@=?x?B?y?=.jp\r\n", line + "Cc", "addresses removed from Cc."},
		{"From: a@example.jp\r\nTo: b@example.jp, \"=?x\"@example.jp, a=b?c@example.jp\r\n", "", ""},
	} {
		msg := c.head + "Subject: s\r\n\r\nbody\r\n"
		var out bytes.Buffer
		rep, err := Message(&out, strings.NewReader(msg), int64(len(msg)), Options{Policy: defaultPolicy(t)})
		if err != nil || rep.Verdict != Rebuilt {
			t.Fatalf("%v %+v", err, rep)
		}
		e, err := message.Read(bytes.NewReader(out.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(e.Body)
		got := ""
		for l := range strings.SplitSeq(string(body), "\r\n") {
			if strings.HasPrefix(l, line) {
				got = l
			}
		}
		if got != c.want || !strings.Contains(string(body), c.en) {
			t.Errorf("%q: notice line %q, want %q and %q:\n%s", c.head, got, c.want, c.en, body)
		}
		// The notice's line is an action, in the report and in
		// X-Mugai-Sanitized: it said "rebuilt" while the notice told of
		// addresses removed.
		dropped := c.want != ""
		if got := slices.Contains(rep.Actions, "addresses-removed"); got != dropped {
			t.Errorf("%q: addresses-removed action %v, want %v: %v", c.head, got, dropped, rep.Actions)
		}
		if got := strings.Contains(e.Header.Get("X-Mugai-Sanitized"), "addresses-removed"); got != dropped {
			t.Errorf("%q: X-Mugai-Sanitized %q, addresses-removed wanted %v", c.head, e.Header.Get("X-Mugai-Sanitized"), dropped)
		}
	}
}

// TestDateZones covers Date fields written with a zone name or a
// two-digit year, as old Japanese mailers and some scripts write them.
// net/mail's time.Parse takes a zone name it does not know for UT, so
// "10:00:00 JST" was delivered as "10:00:00 +0000" and every client
// showed the message nine hours late; RFC 5322 4.3 reads a two-digit
// year 50 to 99 as 19xx, and time.Parse made "55" 2055, a date that
// keeps a message at the top of a date-sorted inbox.
func TestDateZones(t *testing.T) {
	for _, c := range []struct{ in, want, finding string }{
		{"Mon, 2 Feb 2026 10:00:00 +0900", "Mon, 02 Feb 2026 10:00:00 +0900", ""},
		{"Mon, 02 Feb 2026 10:00:00 +0900 (JST)", "Mon, 02 Feb 2026 10:00:00 +0900", ""},
		{"Mon, 2 Feb 2026 10:00:00 JST", "Mon, 02 Feb 2026 10:00:00 +0900", ""},
		{"Mon, 2 Feb 2026 10:00:00 jst", "Mon, 02 Feb 2026 10:00:00 +0900", ""},
		{"Mon, 2 Feb 2026 10:00:00 JST (Japan)", "Mon, 02 Feb 2026 10:00:00 +0900", ""},
		{"Mon, 2 Feb 2026 10:00:00 JST(Japan) ", "Mon, 02 Feb 2026 10:00:00 +0900", ""},
		{"Mon, 2 Feb 2026 10:00:00 +0900 (a (b))", "Mon, 02 Feb 2026 10:00:00 +0900", ""},
		{"2 Feb 2026 10:00 JST", "Mon, 02 Feb 2026 10:00:00 +0900", ""},
		{"Mon, 2 Feb 2026 10:00:00 +0900 JST", "Mon, 02 Feb 2026 10:00:00 +0900", ""},
		{"Mon, 2 Feb 2026 10:00:00 EST", "Mon, 02 Feb 2026 10:00:00 -0500", ""},
		{"Mon, 2 Feb 2026 10:00:00 EDT", "Mon, 02 Feb 2026 10:00:00 -0400", ""},
		{"Mon, 2 Feb 2026 10:00:00 CST", "Mon, 02 Feb 2026 10:00:00 -0600", ""},
		{"Mon, 2 Feb 2026 10:00:00 MDT", "Mon, 02 Feb 2026 10:00:00 -0600", ""},
		{"Mon, 2 Feb 2026 10:00:00 PST", "Mon, 02 Feb 2026 10:00:00 -0800", ""},
		{"Mon, 2 Feb 2026 10:00:00 GMT", "Mon, 02 Feb 2026 10:00:00 +0000", ""},
		{"Mon, 2 Feb 2026 10:00:00 UT", "Mon, 02 Feb 2026 10:00:00 +0000", ""},
		{"Mon, 2 Feb 2026 10:00:00 UTC", "Mon, 02 Feb 2026 10:00:00 +0000", ""},
		// A name no standard gives an offset for: RFC 5322 4.3 reads it
		// as -0000, UT with the zone unknown, and the report says so.
		{"Mon, 2 Feb 2026 10:00:00 XYZ", "Mon, 02 Feb 2026 10:00:00 +0000", "date-zone-unknown"},
		// RFC 5322 4.3: 00-49 are 20xx, 50-99 19xx.
		{"2 Feb 26 10:00:00 +0900", "Mon, 02 Feb 2026 10:00:00 +0900", ""},
		{"Wed, 2 Feb 55 10:00:00 +0900", "Wed, 02 Feb 1955 10:00:00 +0900", ""},
		{"Mon, 2 Feb 98 10:00:00 JST", "Mon, 02 Feb 1998 10:00:00 +0900", ""},
	} {
		rep := &Report{}
		s := newSanitizer(Options{Policy: defaultPolicy(t)}, rep)
		if got := s.dateValue("Date", c.in); got != c.want {
			t.Errorf("dateValue(%q) = %q, want %q", c.in, got, c.want)
		}
		var kinds []string
		for _, f := range rep.Findings {
			kinds = append(kinds, f.Kind)
		}
		if got := strings.Join(kinds, " "); got != c.finding {
			t.Errorf("dateValue(%q): findings %q, want %q", c.in, got, c.finding)
		}
	}
}

// TestLongDisplayNameStaysOneName: a display name of 200 ASCII characters
// or more was written bare, out of its quotes (encodeWords leaves
// printable ASCII as it is), so its "," "<" ">" "@" and '"' became
// address-list syntax again. From: "<mayor@city.example.lg.jp>, xxx…"
// <attacker@evil.example> was delivered as From: <mayor@city.example.lg.jp>,
// xxx… <attacker@evil.example>, which Thunderbird, Outlook and Python's
// email read as two senders, the mayor first; "Yamada, Taro xxx…" in To
// became a recipient "Yamada" without an address. Such a name is written
// as encoded words, whose decoded specials are no syntax.
func TestLongDisplayNameStaysOneName(t *testing.T) {
	pad := strings.Repeat("x", 200)
	utf8Pol, isoPol := defaultPolicy(t), defaultPolicy(t)
	isoPol.OutputCharset = "iso-2022-jp"
	for _, pol := range []config.Policy{utf8Pol, isoPol} {
		for _, c := range []struct{ raw, name, addr string }{
			{`"<mayor@city.example.lg.jp>, ` + pad + `" <attacker@evil.example>`, "<mayor@city.example.lg.jp>, " + pad, "attacker@evil.example"},
			{`"Yamada, Taro ` + pad + `" <b@example.jp>`, "Yamada, Taro " + pad, "b@example.jp"},
			{`"a \"quoted\" ` + pad + `" <b@example.jp>`, `a "quoted" ` + pad, "b@example.jp"},
			{`"a; b: ` + pad + `" <b@example.jp>`, "a; b: " + pad, "b@example.jp"},
			{`"` + strings.Repeat("a. ", 100) + `" <b@example.jp>`, strings.TrimSpace(strings.Repeat("a. ", 100)), "b@example.jp"},
			{pad + pad + ` <b@example.jp>`, pad + pad, "b@example.jp"},
		} {
			s := newSanitizer(Options{Policy: pol}, &Report{})
			v := s.addressValue("From", c.raw)
			l, err := mail.ParseAddressList(v)
			if err != nil || len(l) != 1 || l[0].Name != c.name || l[0].Address != c.addr {
				t.Errorf("%s: addressValue(%.60q…) = %.200q…, read back as %v, %v; want one address %s", pol.OutputCharset, c.raw, v, l, err, c.addr)
			}
		}
	}
}

// TestISO2022JPDecomposedKana: with output_charset: iso-2022-jp, kana
// written decomposed (テ U+3099, as macOS writes file names) or half
// width are encoded composed (デ), in the header's encoded words, the
// notice's list of files and the text; ISO-2022-JP has no code for the
// combining marks, which became 〓 (テ〓ータ.pdf) and a "characters
// replaced" notice. A mark is not parted from its kana where the header
// text is split into encoded words.
func TestISO2022JPDecomposedKana(t *testing.T) {
	pol := defaultPolicy(t)
	pol.OutputCharset = "iso-2022-jp"
	for _, c := range []struct{ in, want string }{
		{strings.Repeat("ア", 17) + "テ\u3099ータ", strings.Repeat("ア", 17) + "データ"},
		{strings.Repeat("ア", 17) + "ｶﾞｲﾄﾞ", strings.Repeat("ア", 17) + "ガイド"},
		{"ハ\u309aン", "パン"},
	} {
		w, ok := iso2022jpWords(c.in, "defang")
		if !ok {
			t.Fatalf("iso2022jpWords(%q) not ok", c.in)
		}
		if got, _ := decodeHeaderText(w); got != c.want {
			t.Errorf("iso2022jpWords(%q) = %q, reads %q, want %q", c.in, w, got, c.want)
		}
	}
	name := "テ\u3099ータのカ\u3099イト\u3099.exe"
	msg := "From: a@example.jp\r\nTo: b@example.jp\r\nSubject: =?UTF-8?B?" + base64.StdEncoding.EncodeToString([]byte("こ\u3099確認くた\u3099さい")) + "?=\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nテ\u3099ータ\r\n" +
		"--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"=?UTF-8?B?" + base64.StdEncoding.EncodeToString([]byte(name)) + "?=\"\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\nTVqQAAMAAAAEAAAA//8AALgAAAAAAAAAQAAAAAAAAAAA\r\n--b--\r\n"
	var out bytes.Buffer
	rep, err := Message(&out, strings.NewReader(msg), int64(len(msg)), Options{Policy: pol})
	if err != nil || rep.Verdict != Rebuilt {
		t.Fatalf("%v %+v", err, rep)
	}
	text := decodedText(t, out.Bytes())
	if !strings.Contains(text, "データのガイド.exe") || !strings.Contains(text, "\nデータ") || strings.Contains(text, "〓") {
		t.Errorf("text:\n%s", text)
	}
	if slices.Contains(rep.Actions, "characters-replaced") {
		t.Errorf("actions %v: nothing was replaced", rep.Actions)
	}
	e, err := message.Read(bytes.NewReader(out.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if raw := e.Header.Get("Subject"); !strings.HasPrefix(raw, "=?ISO-2022-JP?") {
		t.Errorf("Subject %q, want ISO-2022-JP encoded words", raw)
	}
	if s, _ := decodeHeaderText(e.Header.Get("Subject")); s != "ご確認ください" {
		t.Errorf("Subject reads %q", s)
	}
}

// TestFirstLineEncodedWords: a field's first line holds "Key: " and its
// first word; a 75-character encoded word there made a line of 81
// (Subject) to 84 characters, over RFC 2047 2's 76 for a line with an
// encoded word (and RFC 5322's 78). The first word is split in two where
// it does not fit, at a character boundary, in its own charset.
func TestFirstLineEncodedWords(t *testing.T) {
	utf8Pol, isoPol := defaultPolicy(t), defaultPolicy(t)
	isoPol.OutputCharset = "iso-2022-jp"
	long := strings.Repeat("長い件名", 30)
	for _, pol := range []config.Policy{utf8Pol, isoPol} {
		for _, c := range []struct{ key, head string }{
			{"Subject", "Subject: =?UTF-8?B?" + base64.StdEncoding.EncodeToString([]byte(long)) + "?=\r\n"},
			{"Subject", "Subject: =?UTF-8?B?" + base64.StdEncoding.EncodeToString([]byte("a"+long)) + "?=\r\n"},
			{"From", "From: =?UTF-8?B?" + base64.StdEncoding.EncodeToString([]byte(long)) + "?= <a@example.jp>\r\n"},
			{"Reply-To", "Reply-To: =?UTF-8?B?" + base64.StdEncoding.EncodeToString([]byte("総務課 "+long)) + "?= <a@example.jp>\r\n"},
		} {
			msg := "From: a@example.jp\r\nTo: b@example.jp\r\n" + c.head + "\r\nbody\r\n"
			if c.key == "From" {
				msg = "To: b@example.jp\r\n" + c.head + "\r\nbody\r\n"
			}
			var out bytes.Buffer
			rep, err := Message(&out, strings.NewReader(msg), int64(len(msg)), Options{Policy: pol})
			if err != nil || rep.Verdict != Rebuilt {
				t.Fatalf("%v %+v", err, rep)
			}
			head, _, _ := strings.Cut(out.String(), "\r\n\r\n")
			for l := range strings.SplitSeq(head, "\r\n") {
				if strings.Contains(l, "=?") && len(l) > 76 {
					t.Errorf("%s: %s: line of %d characters: %q", pol.OutputCharset, c.key, len(l), l)
				}
			}
			e, err := message.Read(bytes.NewReader(out.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			want, _ := decodeHeaderText(strings.TrimPrefix(strings.TrimSpace(c.head), c.key+": "))
			got, _ := decodeHeaderText(e.Header.Get(c.key))
			if c.key != "Subject" {
				got, _, _ = strings.Cut(got, " <")
				want, _, _ = strings.Cut(want, " <")
			}
			if got != want {
				t.Errorf("%s: %s reads %q, want %q", pol.OutputCharset, c.key, got, want)
			}
		}
	}
}

// TestLongReferences: of a References field with more than 200 ids, the
// first 200 were kept and the last ones dropped; the last is the parent a
// client threads a reply under (RFC 5322 3.6.4), so a reply deep in a long
// discussion fell out of its thread in Thunderbird and Outlook. The first
// (the thread's root) and the last 199 are kept, as RFC 5537 3.4.4 trims.
func TestLongReferences(t *testing.T) {
	var ids []string
	for i := range 300 {
		ids = append(ids, "<m"+itoa(i)+"@example.jp>")
	}
	got := strings.Fields(msgIDValue(strings.Join(ids, "\r\n "), false))
	want := append([]string{ids[0]}, ids[101:]...)
	if !slices.Equal(got, want) {
		t.Errorf("References: %d ids, first %q, last %q; want %d, %q … %q", len(got), got[0], got[len(got)-1], len(want), want[0], want[len(want)-1])
	}
	if got := msgIDValue(strings.Join(ids[:5], " "), false); got != strings.Join(ids[:5], " ") {
		t.Errorf("short References: %q", got)
	}
	if got := msgIDValue(strings.Join(ids, " "), true); got != ids[0] {
		t.Errorf("Message-ID: %q, want the first", got)
	}
}

// TestAutoReplyMarkers: Auto-Submitted (RFC 3834) and Precedence are what
// an out-of-office responder inside the LGWAN reads to leave bounces,
// notifications and newsletters unanswered; the default header list
// dropped them, and vacation replies went back out to mailing lists and
// no-reply senders.
func TestAutoReplyMarkers(t *testing.T) {
	msg := "From: info@example.jp\r\nTo: t@example.jp\r\nSubject: s\r\nAuto-Submitted: auto-generated\r\nPrecedence: bulk\r\n" +
		"Auto-Submitted: no\r\n\r\nbody\r\n"
	_, out := rebuilt(t, msg, defaultPolicy(t))
	e, err := message.Read(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{"Auto-Submitted": "auto-generated", "Precedence": "bulk"} {
		if got := e.Header.Values(k); !slices.Equal(got, []string{want}) {
			t.Errorf("%s: %q, want [%q]", k, got, want)
		}
	}
}

// TestDuplicateRecipientFields: a message with two To (or Cc) fields, as
// some scripts and broken mailers write it, kept only the first, so the
// reader saw fewer recipients than the message was sent to and a reply to
// all left them out (Thunderbird shows both fields' addresses). To and
// Cc given twice are joined; From and Subject keep their first.
func TestDuplicateRecipientFields(t *testing.T) {
	msg := "From: a@example.jp\r\nFrom: b@example.jp\r\nTo: t1@example.jp\r\nCc: c1@example.jp\r\nTo: =?UTF-8?B?5bGx55Sw?= <t2@example.jp>, t3@example.jp\r\n" +
		"Cc: c2@example.jp\r\nSubject: s\r\n\r\nbody\r\n"
	var out bytes.Buffer
	rep, err := Message(&out, strings.NewReader(msg), int64(len(msg)), Options{Policy: defaultPolicy(t)})
	if err != nil || rep.Verdict != Rebuilt {
		t.Fatalf("%v %+v", err, rep)
	}
	e, err := message.Read(bytes.NewReader(out.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	h := mail.Header{Header: e.Header}
	for k, want := range map[string]string{"From": "a@example.jp", "To": "t1@example.jp t2@example.jp t3@example.jp", "Cc": "c1@example.jp c2@example.jp"} {
		if n := len(e.Header.Values(k)); n != 1 {
			t.Errorf("%d %s fields", n, k)
		}
		l, err := h.AddressList(k)
		var got []string
		for _, a := range l {
			got = append(got, a.Address)
		}
		if err != nil || strings.Join(got, " ") != want {
			t.Errorf("%s: %q, %v; want %q", k, got, err, want)
		}
	}
	var details []string
	for _, f := range rep.Findings {
		if f.Kind == "duplicate-header" {
			details = append(details, f.Detail)
		}
	}
	want := []string{"From appears 2 times; the first is kept", "To appears 2 times; their addresses are joined", "Cc appears 2 times; their addresses are joined"}
	if !slices.Equal(details, want) {
		t.Errorf("findings %q, want %q", details, want)
	}
}

// TestRequiredFields: every rebuilt message has one Date and one
// Message-ID (RFC 5322 3.6): the original's where the policy lets a usable
// one through, else the time received and an id made from the queue id
// and host name, with a finding where the original lacked them.
func TestRequiredFields(t *testing.T) {
	received := time.Date(2026, 4, 1, 8, 30, 0, 0, time.FixedZone("JST", 9*3600))
	const (
		date = "Date: Wed, 1 Apr 2026 08:00:00 +0900\r\n"
		mid  = "Message-ID: <a1@example.jp>\r\n"
	)
	for _, c := range []struct {
		name, head       string
		headers          []string // the policy's; nil → the default list
		queueID, host    string
		wantDate, wantID string // wantID "random": a made id with random hex
		findings         string
	}{
		{"both kept", date + mid, nil, "Q1", "gw.example.lg.jp", "Wed, 01 Apr 2026 08:00:00 +0900", "<a1@example.jp>", ""},
		{"no Date", mid, nil, "Q1", "gw.example.lg.jp", "Wed, 01 Apr 2026 08:30:00 +0900", "<a1@example.jp>", "date-missing"},
		{"Date that does not parse", "Date: yesterday\r\n" + mid, nil, "Q1", "gw.example.lg.jp", "Wed, 01 Apr 2026 08:30:00 +0900", "<a1@example.jp>", "date-unparseable"},
		{"no Message-ID", date, nil, "20260401T083000-abc", "gw.example.lg.jp", "Wed, 01 Apr 2026 08:00:00 +0900", "<mugai.20260401T083000-abc@gw.example.lg.jp>", "message-id-missing"},
		{"Message-ID with no id", date + "Message-ID: not an id\r\n", nil, "Q1", "gw.example.lg.jp.", "Wed, 01 Apr 2026 08:00:00 +0900", "<mugai.Q1@gw.example.lg.jp>", "message-id-missing"},
		{"neither, no finding where the policy drops them", date + mid, []string{"From", "Subject"}, "Q1", "gw.example.lg.jp", "Wed, 01 Apr 2026 08:30:00 +0900", "<mugai.Q1@gw.example.lg.jp>", ""},
		{"id characters a dot-atom cannot hold", "", nil, "Q/1 (x)", "gw.example.lg.jp", "Wed, 01 Apr 2026 08:30:00 +0900", "<mugai.Q1x@gw.example.lg.jp>", "date-missing message-id-missing"},
		{"host name no ASCII domain", date, nil, "Q1", "例え.jp", "Wed, 01 Apr 2026 08:00:00 +0900", "<mugai.Q1@mugai.invalid>", "message-id-missing"},
		{"no id at all", date, nil, "", "", "Wed, 01 Apr 2026 08:00:00 +0900", "random", "message-id-missing"},
		// There but empty: one finding, not a second for a missing one.
		{"empty Date and Message-ID", "Date: \r\nMessage-ID:\r\n", nil, "Q1", "gw.example.lg.jp", "Wed, 01 Apr 2026 08:30:00 +0900", "<mugai.Q1@gw.example.lg.jp>", "date-unparseable message-id-missing"},
		// time.Parse reads +2460 as 25 hours, which it would write as
		// +2500, a Date no client or parser reads.
		{"zone a day off", "Date: Mon, 2 Mar 2026 15:04:05 +2460\r\n" + mid, nil, "Q1", "gw.example.lg.jp", "Wed, 01 Apr 2026 08:30:00 +0900", "<a1@example.jp>", "date-unparseable"},
		{"zone a day off, two-digit year", "Date: 2 Mar 99 00:00 -2460\r\n" + mid, nil, "Q1", "gw.example.lg.jp", "Wed, 01 Apr 2026 08:30:00 +0900", "<a1@example.jp>", "date-unparseable"},
		{"zone of 24 hours", "Date: Mon, 2 Mar 2026 15:04:05 +2400\r\n" + mid, nil, "Q1", "gw.example.lg.jp", "Mon, 02 Mar 2026 15:04:05 +2400", "<a1@example.jp>", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			pol := defaultPolicy(t)
			pol.Headers = c.headers
			msg := "From: a@example.jp\r\nSubject: s\r\n" + c.head + "\r\nbody\r\n"
			var out bytes.Buffer
			rep, err := Message(&out, strings.NewReader(msg), int64(len(msg)), Options{Policy: pol, QueueID: c.queueID, Hostname: c.host, Received: received})
			if err != nil || rep.Verdict != Rebuilt {
				t.Fatalf("%v %+v", err, rep)
			}
			if err := invariant.Check(bytes.NewReader(out.Bytes()), pol); err != nil {
				t.Error(err)
			}
			h := readHeader(t, out.Bytes())
			if got := h.Values("Date"); len(got) != 1 || got[0] != c.wantDate {
				t.Errorf("Date %q, want %q", got, c.wantDate)
			}
			got := h.Values("Message-Id")
			if c.wantID == "random" {
				if len(got) != 1 || !regexp.MustCompile(`^<mugai\.[0-9a-f]{24}@mugai\.invalid>$`).MatchString(got[0]) {
					t.Errorf("Message-ID %q, want a random one", got)
				}
			} else if len(got) != 1 || got[0] != c.wantID {
				t.Errorf("Message-ID %q, want %q", got, c.wantID)
			}
			var kinds []string
			for _, f := range rep.Findings {
				kinds = append(kinds, f.Kind)
			}
			if got := strings.Join(kinds, " "); got != c.findings {
				t.Errorf("findings %q, want %q", got, c.findings)
			}
		})
	}

	// The first id left with 1 to 64 characters names it.
	for _, c := range []struct {
		ids  []string
		want string
	}{
		{[]string{"Q1", "O1"}, "<mugai.Q1@h.example>"},
		{[]string{"", "O1"}, "<mugai.O1@h.example>"},
		{[]string{strings.Repeat("q", 65), "O1"}, "<mugai.O1@h.example>"},
		{[]string{"...", "O.1"}, "<mugai.O1@h.example>"},
	} {
		if got := madeMessageID("h.example", c.ids...); got != c.want {
			t.Errorf("madeMessageID(%q) = %q, want %q", c.ids, got, c.want)
		}
	}

	// Without Options.Received, the Date is when Message ran.
	msg := "From: a@example.jp\r\nSubject: s\r\n\r\nbody\r\n"
	var out bytes.Buffer
	before := time.Now().Truncate(time.Second)
	if _, err := Message(&out, strings.NewReader(msg), int64(len(msg)), Options{Policy: defaultPolicy(t)}); err != nil {
		t.Fatal(err)
	}
	d, err := netmail.ParseDate(readHeader(t, out.Bytes()).Get("Date"))
	if err != nil || d.Before(before) || d.After(time.Now()) {
		t.Errorf("Date %v (%v), want between %v and now", d, err, before)
	}
}

// TestRequiredFrom: a rebuilt message always has a From (RFC 5322 3.6).
// Where the original has none, or none with an address that could be
// kept, it is the envelope sender if that passes the same checks, and
// the notice says so (a reader who replies writes to it); else one that
// says the sender is unknown and takes no reply.
func TestRequiredFrom(t *testing.T) {
	const (
		envLine     = "・差出人（From）欄に使えるアドレスがないため、送信元サーバーが通知した差出人アドレス（エンベロープ）を表示しています。"
		unknownLine = "・差出人（From）欄に使えるアドレスがなく、差出人は不明です（返信はどこにも届きません）。"
	)
	for _, c := range []struct {
		name, head, sender string
		headers            []string
		wantFrom, notice   string // notice: the Japanese line, or ""
		findings           string
	}{
		{"kept", "From: Taro <taro@example.jp>\r\n", "bounce@mailer.example", nil, "Taro <taro@example.jp>", "", ""},
		{"none: the envelope sender", "", "scanner@city.example.lg.jp", nil, "scanner@city.example.lg.jp", envLine, "from-missing"},
		{"none, null sender", "", "", nil, UnknownSender, unknownLine, "from-missing"},
		{"none, an IDN envelope domain", "", "scan@総務.example", nil, "scan@xn--lhrr31h.example", envLine, "from-missing"},
		{"none, an envelope sender with a link in its local part", "", "evil.com/login@example.jp", nil, UnknownSender, unknownLine, "from-missing"},
		{"none, a non-ASCII local part", "", "山田@example.jp", nil, UnknownSender, unknownLine, "from-missing"},
		{"dropped: the envelope sender", "From: evil.com/login@example.jp\r\n", "taro@example.jp", nil, "taro@example.jp", envLine, "address-link from-missing"},
		{"a dot-atom local part", "", "taro.yamada+ml@example.jp", nil, "taro.yamada+ml@example.jp", envLine, "from-missing"},
		{"an IPv4 literal", "", "scan@[192.0.2.1]", nil, "scan@[192.0.2.1]", envLine, "from-missing"},
		// What the gateway refuses at MAIL FROM, and a quarantined
		// original's envelope from an older gateway might hold.
		{"a local part that needs quoting", "", "taro yamada@example.jp", nil, UnknownSender, unknownLine, "from-missing"},
		{"an IPv6 literal", "", "scan@[IPv6:::1]", nil, UnknownSender, unknownLine, "from-missing"},
		{"a link after the domain", "", "a@x.jp (http://evil.example)", nil, UnknownSender, unknownLine, "from-missing"},
		{"a bracketed link for a domain", "", "citizen@[www.evil.example/login]", nil, UnknownSender, unknownLine, "from-missing"},
		{"a trailing dot", "", "user@example.jp.", nil, UnknownSender, unknownLine, "from-missing"},
		{"an empty label", "", "a@a..jp", nil, UnknownSender, unknownLine, "from-missing"},
		{"two addresses", "", "a@x.jp, b@y.jp", nil, UnknownSender, unknownLine, "from-missing"},
		{"the policy drops From: silent", "From: taro@example.jp\r\n", "bounce@example.jp", []string{"Subject", "Date", "Message-ID"}, "bounce@example.jp", "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			pol := defaultPolicy(t)
			pol.Headers = c.headers
			msg := "Received: from a by b; Wed, 1 Apr 2026 08:00:00 +0900\r\n" + c.head + "Subject: s\r\nDate: Wed, 1 Apr 2026 08:00:00 +0900\r\nMessage-ID: <a1@example.jp>\r\n\r\nbody\r\n"
			var out bytes.Buffer
			rep, err := Message(&out, strings.NewReader(msg), int64(len(msg)), Options{Policy: pol, Sender: c.sender})
			if err != nil || rep.Verdict != Rebuilt {
				t.Fatalf("%v %+v", err, rep)
			}
			if err := invariant.Check(bytes.NewReader(out.Bytes()), pol); err != nil {
				t.Error(err)
			}
			h := readHeader(t, out.Bytes())
			if got := h.Values("From"); len(got) != 1 || got[0] != c.wantFrom {
				t.Errorf("From %q, want %q", got, c.wantFrom)
			}
			// First after the trace, where a header has it.
			if f := h.Fields(); !f.Next() || f.Key() != "Received" || !f.Next() || f.Key() != "From" {
				t.Errorf("From is not the first field after Received:\n%s", out.Bytes())
			}
			var kinds []string
			for _, f := range rep.Findings {
				kinds = append(kinds, f.Kind)
			}
			if got := strings.Join(kinds, " "); got != c.findings {
				t.Errorf("findings %q, want %q", got, c.findings)
			}
			text := decodedText(t, out.Bytes())
			for _, l := range []string{envLine, unknownLine} {
				if strings.Contains(text, l) != (l == c.notice) {
					t.Errorf("notice has %q: %v, want %v:\n%s", l, !(l == c.notice), l == c.notice, text)
				}
			}
			en := map[string]string{envLine: "no usable From: the envelope sender shown", unknownLine: "no usable From: sender unknown"}[c.notice]
			if en != "" && !strings.Contains(text, en) {
				t.Errorf("the English notice line does not say %q:\n%s", en, text)
			}
			// What the notice says was done is an action too.
			sanitized := strings.Fields(h.Get("X-Mugai-Sanitized"))
			if got := slices.Contains(sanitized, "from-written"); got != (c.notice != "") {
				t.Errorf("X-Mugai-Sanitized %q: from-written %v, want %v", sanitized, got, c.notice != "")
			}

			// ISO-2022-JP output holds the notice's line as it is.
			pol.OutputCharset = "iso-2022-jp"
			out.Reset()
			if rep, err := Message(&out, strings.NewReader(msg), int64(len(msg)), Options{Policy: pol, Sender: c.sender}); err != nil || rep.Verdict != Rebuilt {
				t.Fatalf("iso-2022-jp: %v %+v", err, rep)
			}
			if err := invariant.Check(bytes.NewReader(out.Bytes()), pol); err != nil {
				t.Errorf("iso-2022-jp: %v", err)
			}
			if c.notice != "" && !strings.Contains(decodedText(t, out.Bytes()), c.notice) {
				t.Errorf("iso-2022-jp: the notice lacks %q:\n%s", c.notice, decodedText(t, out.Bytes()))
			}
		})
	}
}

func readHeader(t *testing.T, msg []byte) *textproto.Header {
	t.Helper()
	h, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(msg)))
	if err != nil {
		t.Fatal(err)
	}
	return &h
}
