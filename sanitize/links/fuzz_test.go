package links

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// FuzzRewrite checks, for any line: no panic; defang is idempotent; no
// http://, https:// or file:/ survives defang or remove, in any letter
// case, nor a UNC path at the start of a word, nor a scheme word followed
// by a host without slashes ("http:evil.example"), nor any of these once
// the white space is taken out of a "<...>" or "\"...\"" span as
// Thunderbird does, nor another scheme a client links (see
// hasOtherScheme);
// nothing changes when nothing is counted; valid UTF-8 stays valid.
func FuzzRewrite(f *testing.F) {
	for _, s := range []string{
		"https://evil.example/a",
		"詳しくはwww.city.example.lg.jp/kurashi/をご覧ください",
		"<https://example.jp/a> (https://en.example.org/wiki/Foo_(bar)).",
		"http://www.bank.example@evil.example/?u=HTTPS://b.example/x",
		"hthttp://tp://",
		"hxxps://evil[.]example/a mailto:user@www.example.jp",
		"https://例え.テスト/パス https://example.jpです",
		`http:\\evil.example\share ftp://u:p@[::1]:21/`,
		`file://attacker.example/x.lnk \\srv.example\share <\\10.0.0.5\c$>`,
		"http:evil.example/login Profile:Taro a.https:b",
		"<ht tps://evil.example/login> \"h t t p://x.example\" <URL:ht tp://y.example>",
		"webcal://evil.example/x.ics news:comp.lang search-ms:q=x onenote:https://x www.webcal://x TEL:03",
		"ftp.evil.example/x.exe (FTP.fileserver) sftp.x ftp.!@evil.example",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, n := Rewrite(in, Defang)
		if n == 0 && out != in {
			t.Fatalf("Rewrite(%q) changed the line but counted nothing: %q", in, out)
		}
		if hasURL(out) {
			t.Fatalf("Rewrite(%q) = %q still has a URL", in, out)
		}
		if again, n2 := Rewrite(out, Defang); again != out || n2 != 0 {
			t.Fatalf("not idempotent: %q → %q → %q (%d)", in, out, again, n2)
		}
		if utf8.ValidString(in) && !utf8.ValidString(out) {
			t.Fatalf("Rewrite(%q) = %q is not valid UTF-8", in, out)
		}
		rm, _ := Rewrite(in, Remove)
		if hasURL(rm) {
			t.Fatalf("Rewrite(%q, remove) = %q still has a URL", in, rm)
		}
		if again, n2 := Rewrite(rm, Remove); again != rm || n2 != 0 {
			t.Fatalf("remove not idempotent: %q → %q → %q (%d)", in, rm, again, n2)
		}
		// The body text path rewrites whole blocks of lines at once: the
		// same as line by line.
		if !strings.Contains(in, "\n") {
			block, _ := Append(nil, []byte(in+"\n"+in), Defang)
			if string(block) != out+"\n"+out {
				t.Fatalf("Append of a two-line block of %q = %q, line by line %q", in, block, out+"\n"+out)
			}
		}
		if keep, n := Rewrite(in, Keep); keep != in || n != 0 {
			t.Fatalf("keep changed %q", in)
		}
	})
}

// hasURL reports anything in s a client would link, by the checks below.
func hasURL(s string) bool {
	l := strings.ToLower(s)
	return strings.Contains(l, "http://") || strings.Contains(l, "https://") || strings.Contains(l, "ftp://") ||
		strings.Contains(l, "file:/") || strings.Contains(l, "file:\\") ||
		hasUNC(s) || hasBareScheme(s) || spanHasURL(s) || hasOtherScheme(s) || hasAbbreviated(s)
}

// hasAbbreviated reports a word that Thunderbird completes to a URL
// (mozTXTToHTMLConv's CompleteAbbreviatedURL): "www." or "ftp." in any
// letter case at the start of the line or after one of the characters
// its abbreviated mode starts a URL after, and a letter or digit after
// the dot. Written out independently of wwwAt.
func hasAbbreviated(s string) bool {
	l := strings.ToLower(s)
	for i := 0; i+4 < len(l); i++ {
		if l[i:i+4] != "www." && l[i:i+4] != "ftp." {
			continue
		}
		if i > 0 && !strings.ContainsRune(" \t<>\"'`,{[(|\\", rune(l[i-1])) {
			continue
		}
		if c := l[i+4]; 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || invisibleHost(l[i+4:]) ||
			c == '%' && i+6 < len(l) && strings.ContainsRune("0123456789abcdef", rune(l[i+5])) && strings.ContainsRune("0123456789abcdef", rune(l[i+6])) {
			return true
		}
	}
	return false
}

// invisibleHost reports a host name that Gecko's host parser (UTS #46)
// finds at the start of s once it has deleted an ignored code point or
// mapped a compatibility character: "\u200b192.0.2.1", "ⓔvil.example".
func invisibleHost(s string) bool {
	r, size := utf8.DecodeRuneInString(s)
	if r < 0x80 || r == utf8.RuneError && size == 1 || unicode.IsSpace(r) {
		return false
	}
	switch r {
	case 0xad, 0x200b, 0x2060, 0xfeff:
		return true
	}
	m := []rune(norm.NFKC.String(string(r)))
	return len(m) > 0 && (unicode.IsLetter(m[0]) || unicode.IsDigit(m[0]))
}

// hasOtherScheme reports a scheme other than http, https, ftp and file
// that a client would link: any word of two or more characters before
// "://", or news:, search-ms:, an ms-* scheme and the like before
// anything but white space. The word is what Thunderbird takes for a
// scheme: the run of letters, digits, "+", "-" and "." before the colon,
// starting with a letter. (Written out independently of otherURLs.)
func hasOtherScheme(s string) bool {
	opaque := []string{"news", "snews", "nntp", "telnet", "gopher", "wais", "prospero", "notes", "onenote", "outlook",
		"webcal", "data", "javascript", "vbscript", "imap", "mailbox", "search-ms", "search", "mhtml", "mk", "its", "shell",
		"msteams", "zoommtg", "zoomus", "skype", "lync", "slack", "tg", "whatsapp", "irc", "ircs", "xmpp",
		"rdp", "ssh", "sftp", "smb", "ldap", "ldaps", "anydesk", "teamviewer", "vnc", "webcals", "feed", "feeds",
		"hcp", "steam", "vscode", "itms-services", "itms-apps", "git", "svn", "magnet", "jar", "view-source", "res", "rlogin", "tn3270"}
	for c := 0; c < len(s); c++ {
		if s[c] != ':' {
			continue
		}
		w := c
		for w > 0 && strings.ContainsRune("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.", rune(s[w-1])) {
			w--
		}
		word := strings.ToLower(s[w:c])
		if word == "" || word[0] < 'a' || word[0] > 'z' || len(word) > 32 {
			continue // no scheme is longer
		}
		skip := false
		for _, h := range []string{"http", "https", "ftp", "file", "hxxp", "hxxps", "fxp", "fxle", "mailto", "tel", "callto", "sip", "sips"} {
			if strings.HasSuffix(word, h) && (strings.HasSuffix(word, "hxxp") || strings.HasSuffix(word, "hxxps") || strings.HasSuffix(word, "fxp") || strings.HasSuffix(word, "fxle") || strings.HasSuffix(word, "http") || strings.HasSuffix(word, "https") || strings.HasSuffix(word, "ftp") || strings.HasSuffix(word, "file") || word == h) {
				skip = true
			}
		}
		if skip {
			continue
		}
		rest := s[c+1:]
		if strings.HasPrefix(rest, "//") && len(word) >= 2 {
			return true
		}
		if rest == "" || rest[0] <= ' ' || rest[0] >= 0x7f {
			continue
		}
		for _, o := range opaque {
			if word == o {
				return true
			}
		}
		if strings.HasPrefix(word, "ms-") && len(word) > 3 {
			return true
		}
	}
	return false
}

// spanHasURL reports a span Thunderbird would link: between consecutive
// delimiters "<" and ">" or '"' and '"' of one line, with a colon or "@"
// in it, whose text with spaces and tabs taken out starts (after "URL:")
// with a URL. Written out independently of spanURLs.
func spanHasURL(s string) bool {
	for _, line := range strings.Split(s, "\n") {
		prev := -1
		for i := 0; i < len(line); i++ {
			c := line[i]
			if c != '<' && c != '>' && c != '"' {
				continue
			}
			if prev >= 0 && (line[prev] == '<' && c == '>' || line[prev] == '"' && c == '"') {
				span := line[prev+1 : i]
				stripped := strings.TrimPrefix(strings.NewReplacer(" ", "", "\t", "").Replace(span), "URL:")
				// Without white space the span is the text as written,
				// which the other checks look at.
				if strings.ContainsAny(span, ":@") && strings.ContainsAny(span, " \t") && (startsLinkable(stripped) ||
					// Thunderbird takes the whole span: "www." and a user name anywhere.
					len(stripped) > 4 && strings.EqualFold(stripped[:4], "www.") && strings.Contains(span, "@")) {
					return true
				}
			}
			prev = i
		}
	}
	return false
}

// startsLinkable reports text that starts with a URL a client links: www.
// and a host, http, https, ftp or file with slashes or a host after the
// colon, another scheme before "//", or a listed scheme before anything.
func startsLinkable(s string) bool {
	l := strings.ToLower(s)
	if strings.HasPrefix(l, "www.") && len(l) > 4 {
		word := s[4:]
		if i := strings.IndexFunc(word, func(r rune) bool { return r <= ' ' || r == '<' || r == '>' || r == '"' }); i >= 0 {
			word = word[:i]
		}
		if strings.Contains(word, "@") {
			return true // "www.!@evil.example": a user name
		}
		if r, _ := utf8.DecodeRuneInString(s[4:]); r >= 0x80 {
			return unicode.In(r, unicode.L, unicode.M, unicode.Nd)
		}
		return strings.ContainsRune("abcdefghijklmnopqrstuvwxyz0123456789-_", rune(l[4]))
	}
	end := 0
	for end < len(l) && strings.ContainsRune("abcdefghijklmnopqrstuvwxyz0123456789+-.", rune(l[end])) {
		end++
	}
	if end == 0 || end == len(l) || l[end] != ':' || l[0] < 'a' || l[0] > 'z' || end+1 == len(l) {
		return false
	}
	word, rest := l[:end], s[end+1:] // rest as written: ToLower turns invalid bytes into U+FFFD
	switch word {
	case "http", "https", "ftp", "file":
		// Thunderbird takes anything up to white space, and Gecko reads
		// nearly anything there as a host or a user name.
		r, size := utf8.DecodeRuneInString(rest)
		if r == utf8.RuneError && size <= 1 || unicode.IsSpace(r) {
			return false
		}
		if r >= 0x80 {
			word := rest[:min(len(rest), 64)]
			if i := strings.IndexFunc(word, func(r rune) bool { return r <= ' ' || r == '<' || r == '>' || r == '"' }); i >= 0 {
				word = word[:i]
			}
			// A letter or digit (an IDN or full-width host), or a user name.
			return unicode.In(r, unicode.L, unicode.M, unicode.Nd) || strings.Contains(word, "@")
		}
		if r == '[' {
			return len(rest) > 1 && strings.ContainsRune(":0123456789abcdefABCDEF", rune(rest[1])) // IPv6
		}
		return r > ' ' && r != 0x7f && r != '<' && r != '>' && r != '"'
	case "mailto", "tel", "callto", "sip", "sips":
		return false
	}
	for _, d := range []string{"hxxp", "hxxps", "fxp", "fxle", "http", "https", "ftp", "file"} {
		if strings.HasSuffix(word, d) {
			return false // defanged, or a longer word of which Thunderbird has no scheme
		}
	}
	if strings.HasPrefix(rest, "//") && len(word) >= 2 && len(word) <= 32 {
		return true
	}
	return hasOtherScheme(s[:end+2])
}

// hasBareScheme reports http:, https:, ftp: or file: (any case) as a word
// of its own, followed by a host name character: a link to Thunderbird,
// written out independently of schemeAt.
func hasBareScheme(s string) bool {
	l := strings.ToLower(s)
	for _, sch := range []string{"http:", "https:", "ftp:", "file:"} {
		for i := strings.Index(l, sch); i >= 0; {
			j := i + len(sch)
			word := i == 0 || !strings.ContainsRune("abcdefghijklmnopqrstuvwxyz0123456789+-.", rune(l[i-1]))
			if word && j < len(l) && (strings.ContainsRune("abcdefghijklmnopqrstuvwxyz0123456789-_", rune(l[j])) || invisibleHost(l[j:])) {
				return true
			}
			k := strings.Index(l[i+1:], sch)
			if k < 0 {
				break
			}
			i += 1 + k
		}
	}
	return false
}

// hasUNC reports two backslashes and a host name character at the start
// of a word (see uncAt), written out independently of it.
func hasUNC(s string) bool {
	isLabel := func(c byte) bool {
		return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_'
	}
	for i := 0; i+2 < len(s); i++ {
		if s[i] != '\\' || s[i+1] != '\\' {
			continue
		}
		r, _ := utf8.DecodeRuneInString(s[i+2:])
		if !isLabel(s[i+2]) && !(r >= 0x80 && unicode.In(r, unicode.L, unicode.M, unicode.Nd)) &&
			!strings.HasPrefix(s[i+2:], `?\`) && !strings.HasPrefix(s[i+2:], `.\`) {
			continue
		}
		if i == 0 {
			return true
		}
		if p := s[i-1]; p == ':' {
			// Unless the colon ends a drive letter or one of the schemes.
			w := i - 1
			for w > 0 && 'a' <= s[w-1]|0x20 && s[w-1]|0x20 <= 'z' {
				w--
			}
			word, ours := strings.ToLower(s[w:i-1]), false
			for _, h := range []string{"http", "https", "ftp", "file"} {
				ours = ours || strings.HasSuffix(word, h)
			}
			if len(word) != 1 && !ours {
				return true
			}
		} else if !isLabel(p) && p != '\\' && p != '/' {
			return true
		}
	}
	return false
}
