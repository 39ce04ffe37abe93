package links

import (
	"unicode"
	"unicode/utf8"
)

// opaqueSchemes are the schemes other than http, https, ftp and file that
// mail clients link even without "//" after the colon: the ones Windows'
// rich-edit control detects (news, nntp, telnet, gopher, wais, prospero,
// notes, onenote, outlook, webcal: EM_AUTOURLDETECT), ones Thunderbird
// has handlers for (snews, data, imap, mailbox), script schemes, and the
// Windows and Office ones that have started programs from a click
// (search-ms, ms-msdt, ms-officecmd and every other ms-* and microsoft-*,
// which otherScheme matches by prefix). With "//" after the colon, any
// scheme of two or more characters counts. mailto stays readable
// (addresses are not links to be feared) unless it attaches a file
// (mailtoAttaches), and so do tel, callto and sip:
// a call is not an attack, and "TEL:03-1234-5678" is in every Japanese
// signature.
var opaqueSchemes = map[string]bool{
	"news": true, "snews": true, "nntp": true, "telnet": true, "gopher": true,
	"wais": true, "prospero": true, "notes": true, "onenote": true, "outlook": true,
	"webcal": true, "data": true, "javascript": true, "vbscript": true,
	"imap": true, "mailbox": true, "search-ms": true, "search": true,
	"mhtml": true, "mk": true, "its": true, "shell": true,
	// Programs that register a scheme and take commands from it, which
	// Thunderbird links whenever the program is installed (a meeting
	// joined, a file fetched, a session opened): conferencing and chat,
	// remote access, file and directory protocols that hand Windows'
	// NTLM credentials to the host (smb, ldap), help and store links
	// with a history of code run from a click (hcp, steam, vscode,
	// itms-services).
	"msteams": true, "zoommtg": true, "zoomus": true, "skype": true, "lync": true, "slack": true,
	"tg": true, "whatsapp": true, "irc": true, "ircs": true, "xmpp": true,
	"rdp": true, "ssh": true, "sftp": true, "smb": true, "ldap": true, "ldaps": true,
	"anydesk": true, "teamviewer": true, "vnc": true, "webcals": true, "feed": true, "feeds": true,
	"hcp": true, "steam": true, "vscode": true, "itms-services": true, "itms-apps": true,
	"git": true, "svn": true, "magnet": true, "jar": true, "view-source": true, "res": true,
	// telnet's siblings of RFC 1738, which Windows registers by default
	// with telnet (url.dll's TelnetProtocolHandler): an external handler
	// exists for them, so Thunderbird links them.
	"rlogin": true, "tn3270": true,
}

// hostSchemes are schemes whose URLs without "//" are neutralised only
// where a host follows the colon (a dotted name, an IPv4 address or a
// bracketed IPv6 one, after a user name if any): media players (VLC,
// Windows Media), Webex, Citrix Workspace (which opens a session on the
// host, as an .ica file does), and the secure and WebSocket siblings of
// schemes above. Autolinker links rtsp:evil.example/stream. As words
// they are common in business text ("WS:13:00～15:00", "MMS:1件",
// "Citrix Receiver:ver4.9"), which no linkifier links and which the
// removal marker would otherwise replace.
var hostSchemes = map[string]bool{
	"rtsp": true, "rtsps": true, "rtmp": true, "mms": true, "webex": true, "wbx": true,
	"receiver": true, "citrixreceiver": true, "ftps": true, "ws": true, "wss": true,
}

// hostFirst reports whether rest starts with a host: an IPv6 literal, or
// a run of name characters (after its last "@") that is an IPv4 address
// or a dotted name whose last label is two letters or more.
func hostFirst[T text](rest T) bool {
	if len(rest) > 0 && rest[0] == '[' {
		// An IPv6 literal: hex digits, ":" and "." to its "]", not the
		// brackets this package writes ("[リンク削除]", "[:]").
		i := 1
		for i < len(rest) && i < 64 && (alnum(rest[i]) && (rest[i] <= '9' || rest[i]|0x20 <= 'f') || rest[i] == ':' || rest[i] == '.') {
			i++
		}
		return i > 2 && i < len(rest) && rest[i] == ']'
	}
	start, end := 0, 0
	for end < len(rest) && end < 512 && (alnum(rest[end]) || rest[end] == '-' || rest[end] == '.' || rest[end] == '_' || rest[end] == '@') {
		if rest[end] == '@' {
			start = end + 1
		}
		end++
	}
	for end > start && rest[end-1] == '.' {
		end--
	}
	h := rest[start:end]
	if ipv4(h) {
		return true
	}
	dot := -1
	for i := len(h) - 1; i >= 0; i-- {
		if h[i] == '.' {
			dot = i
			break
		}
	}
	if dot <= 0 || len(h)-dot-1 < 2 {
		return false
	}
	for i := dot + 1; i < len(h); i++ {
		if !asciiLetter(h[i]) {
			return false
		}
	}
	return true
}

// otherURLs neutralises, in b[from:], the URLs of the other schemes: the
// colon of "webcal://evil.example/x.ics" or "search-ms:query=x" becomes
// "[:]" (defang), or the whole URL the removal marker. It runs over the
// output of the http/https/ftp/file rewriting, so a scheme that rewriting
// left standing as a word of its own ("www.webcal://x" becomes
// "www[.]webcal://x") is found too. A scheme is what a client takes for
// one: the run of letters, digits, "+", "-" and "." before the colon,
// starting with a letter.
func otherURLs(b []byte, from int, mode string) ([]byte, int) {
	line := b[from:]
	w, c := nextOther(line, 0)
	if c < 0 {
		return b, 0
	}
	var out []byte
	n, copied := 0, 0
	for ; c >= 0; w, c = nextOther(line, copied) {
		n++
		out = append(out, line[copied:w]...)
		if mode == Remove {
			end := c + 1
			for end < len(line) && line[end] > ' ' && line[end] < 0x7f && line[end] != '<' && line[end] != '>' && line[end] != '"' {
				end++
			}
			end = trimTrailing(line, w, c+1, end)
			out = append(out, removed...)
			copied = end
			continue
		}
		out = append(out, line[w:c]...)
		out = append(out, "[:]"...)
		copied = c + 1
		// Slashes with a backslash after the colon go in brackets too,
		// as appendSeparator puts them after a defanged scheme: after
		// "[:]", "\\host" would start a UNC path ("ms-h:\\127").
		sep := copied
		for sep < len(line) && (line[sep] == '/' || line[sep] == '\\') {
			sep++
		}
		if indexByte(line[copied:sep], '\\') >= 0 {
			out = append(out, '[')
			out = append(out, line[copied:sep]...)
			out = append(out, ']')
			copied = sep
		}
	}
	out = append(out, line[copied:]...)
	return append(b[:from], out...), n
}

// nextOther finds the first URL of another scheme at or after from: the
// start of its scheme word and its colon, or -1, -1.
func nextOther[T text](s T, from int) (w, c int) {
	for c = from; c < len(s); c++ {
		k := indexByte(s[c:], ':')
		if k < 0 {
			break
		}
		c += k
		w = c
		for w > from && (schemeJoin(s[w-1]) || s[w-1] == '.') {
			w--
		}
		for w < c && !asciiLetter(s[w]) {
			w++ // a scheme starts with a letter: "1news:" is not one
		}
		if w < c && c-w <= maxScheme && otherScheme(s[w:c], s[c+1:]) {
			return w, c
		}
	}
	return -1, -1
}

// maxScheme is the longest word taken for a scheme: registered schemes
// are far shorter (ms-gamebarservices has 18 characters).
const maxScheme = 32

// otherScheme reports whether word, followed by the colon and rest, is a
// URL of a scheme otherURLs neutralises.
func otherScheme[T text](word, rest T) bool {
	if handledWord(word) {
		return false
	}
	if len(word) == 6 && hasFoldPrefix(word, "mailto") {
		return mailtoAttaches(rest)
	}
	if len(rest) >= 2 && rest[0] == '/' && rest[1] == '/' {
		return len(word) >= 2 && !readable(word)
	}
	if len(rest) == 0 || rest[0] <= ' ' || rest[0] == 0x7f {
		return false
	}
	if rest[0] >= utf8.RuneSelf {
		// Thunderbird's URL ends at U+00A0 and U+3000 as at a space,
		// and an invalid byte ends it here. A U+FFFD written as such is
		// a character like any other: body text has its undecodable
		// bytes replaced by it, and "search-ms:\uFFFDquery=x&crumb=…" is
		// linked and read as a search all the same.
		if r, size := decodeRune(rest, 0); r == utf8.RuneError && size <= 1 || unicode.IsSpace(r) {
			return false
		}
	}
	if hasFoldPrefix(word, "ms-") && len(word) > 3 || hasFoldPrefix(word, "microsoft-") && len(word) > 10 {
		return true // search-ms aside, Windows' and Office's own: ms-msdt, ms-officecmd, microsoft-edge
	}
	if len(word) > 16 {
		return false
	}
	var buf [16]byte
	lw := buf[:len(word)]
	for i := range len(word) {
		lw[i] = word[i] | 0x20 // letters; digits, "+", "-" and "." have the bit already
	}
	return opaqueSchemes[string(lw)] || hostSchemes[string(lw)] && hostFirst(rest)
}

// mailtoAttaches reports whether the mailto URL rest (after the colon)
// names a file to attach: Evolution, KMail and older Thunderbird attach
// a local file from "?attach=/etc/passwd" to the mail the click starts.
// Such a mailto is neutralised like another scheme; others stay readable.
// Parameter names may be percent-encoded ("?%61ttach=").
func mailtoAttaches[T text](rest T) bool {
	var name [6]byte
	n := -1 // bytes of the parameter name read, -1 outside one
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		if c <= ' ' || c == 0x7f || c == '<' || c == '>' || c == '"' {
			return false // non-ASCII goes on: Thunderbird links "?subject=資料&attach=…" whole
		}
		switch {
		case c == '?' || c == '&':
			n = 0
			continue
		case n < 0 || n == len(name):
			continue
		case c == '%' && i+2 < len(rest) && isHexDigit(rest[i+1]) && isHexDigit(rest[i+2]):
			c = hexValue(rest[i+1])<<4 | hexValue(rest[i+2])
			i += 2
		}
		name[n] = c | 0x20
		n++
		if n == len(name) && string(name[:]) == "attach" {
			return true
		}
	}
	return false
}

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c|0x20 && c|0x20 <= 'f'
}

func hexValue(c byte) byte {
	if c <= '9' {
		return c - '0'
	}
	return (c | 0x20) - 'a' + 10
}

// hasFoldPrefix reports whether w starts with the lower-case ASCII p, in
// any letter case.
func hasFoldPrefix[T text](w T, p string) bool {
	if len(w) < len(p) {
		return false
	}
	for i := 0; i < len(p); i++ {
		if w[i]|0x20 != p[i] {
			return false
		}
	}
	return true
}

// readable reports mailto and the call schemes, which stay as written.
func readable[T text](word T) bool {
	switch len(word) {
	case 3, 4, 6:
	default:
		return false
	}
	var buf [6]byte
	lw := buf[:len(word)]
	for i := range len(word) {
		lw[i] = word[i] | 0x20
	}
	switch string(lw) {
	case "mailto", "tel", "sip", "sips", "callto":
		return true
	}
	return false
}
