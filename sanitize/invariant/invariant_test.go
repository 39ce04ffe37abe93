package invariant

import (
	"strings"
	"testing"

	"mugai/config"
)

func policy() config.Policy {
	return config.Policy{
		Headers: []string{"From", "To", "Subject"},
		Attachments: config.Attachments{
			Default: "strip",
			Keep:    []config.KeepRule{{Extensions: []string{".txt"}, Types: []string{"text/plain"}, MaxSize: 100}},
		},
	}
}

const good = "From: a@example.jp\r\nSubject: hi\r\nDate: Tue, 05 Mar 2024 09:30:01 +0900\r\nMessage-Id: <mugai.Q-1@gw.example.lg.jp>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n" +
	"X-Mugai-Sanitized: rebuilt\r\nX-Mugai-Policy: default\r\nReceived: from x by y\r\n\r\n" +
	"--b\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n44GT44KT44Gr44Gh44Gv\r\n" +
	"--b\r\nContent-Type: text/plain; name=\"a.txt\"\r\nContent-Disposition: attachment; filename=\"a.txt\"\r\nContent-Transfer-Encoding: base64\r\n\r\naGVsbG8=\r\n" +
	"--b--\r\n"

func TestCheck(t *testing.T) {
	tests := []struct {
		name, msg string
		pol       func(*config.Policy)
		want      string // "" → no error; else a substring of the error
	}{
		{"good", good, nil, ""},
		{"header not allowed", strings.Replace(good, "Subject: hi", "Subject: hi\r\nX-Spam: yes", 1), nil, "X-Spam not allowed"},
		{"no verdict field", strings.Replace(good, "X-Mugai-Sanitized: rebuilt\r\n", "", 1), nil, "0 X-Mugai-Sanitized"},
		{"forged second verdict", strings.Replace(good, "X-Mugai-Policy", "X-Mugai-Sanitized: none\r\nX-Mugai-Policy", 1), nil, "2 X-Mugai-Sanitized"},
		{"bare LF", strings.Replace(good, "Subject: hi\r\n", "Subject: hi\n", 1), nil, "bare LF"},
		{"8-bit", strings.Replace(good, "Subject: hi", "Subject: h\xc3\xa9", 1), nil, "8-bit"},
		{"long line", strings.Replace(good, "Subject: hi", "Subject: "+strings.Repeat("x", 1000), 1), nil, "longer than 998"},
		{"html part", strings.Replace(good, "Content-Type: text/plain; name=\"a.txt\"", "Content-Type: text/html; name=\"a.txt\"", 1), nil, "text/html not allowed"},
		{"html body", strings.Replace(good, "text/plain; charset=utf-8", "text/html; charset=utf-8", 1), nil, "want text/plain"},
		{"extension not kept", strings.ReplaceAll(good, "a.txt", "a.pdf"), nil, "not allowed by any keep rule"},
		{"too big for the rule", good, func(p *config.Policy) { p.Attachments.Keep[0].MaxSize = 3 }, "not allowed by any keep rule"},
		{"executable content", strings.Replace(good, "aGVsbG8=", "TVqQAAMAAAAEAAAA//8AALgAAAAAAAAAQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 1),
			func(p *config.Policy) { p.Attachments.Default = "keep" }, "executable"},
		{"wrong charset", good, func(p *config.Policy) { p.OutputCharset = "iso-2022-jp" }, "want \"iso-2022-jp\""},
		{"broken base64", strings.Replace(good, "aGVsbG8=", "aGVsbG8=!!", 1), nil, "decode"},
		{"not CRLF at the end", strings.TrimSuffix(good, "\r\n"), nil, "not CRLF-terminated"},
		// "line one\r\nwww.evil.com/login\r\n", "begin 644 evil.exe", "=ybegin …"
		{"link in the text", strings.Replace(good, "44GT44KT44Gr44Gh44Gv", "bGluZSBvbmUNCnd3dy5ldmlsLmNvbS9sb2dpbg0K", 1), nil, "text line 2 holds a link"},
		{"link in the text, kept by policy", strings.Replace(good, "44GT44KT44Gr44Gh44Gv", "bGluZSBvbmUNCnd3dy5ldmlsLmNvbS9sb2dpbg0K", 1), func(p *config.Policy) { p.Body.Links = "keep" }, ""},
		{"defanged link in the text", strings.Replace(good, "44GT44KT44Gr44Gh44Gv", "d3d3Wy5dZXZpbFsuXWNvbS9sb2dpbg==", 1), nil, ""},
		{"uuencode begin line", strings.Replace(good, "44GT44KT44Gr44Gh44Gv", "YmVnaW4gNjQ0IGV2aWwuZXhl", 1), nil, "holds the start of an encoded file"},
		{"link in the Subject", strings.Replace(good, "Subject: hi", "Subject: =?utf-8?b?aHR0cHM6Ly9ldmlsLmV4YW1wbGUv?=", 1), nil, "Subject holds a link"},
		{"link in a display name", strings.Replace(good, "From: a@example.jp", "From: www.evil.com <a@example.jp>", 1), nil, "a display name holds a link"},
		{"link in a local part", strings.Replace(good, "From: a@example.jp", `From: Taro <"see https://evil.example/"@example.jp>`, 1), nil, "local part holds a link"},
		{"host name in a local part", strings.Replace(good, "From: a@example.jp", "From: x!evil.com@example.jp", 1), nil, "local part holds a link"},
		{"dotted local part", strings.Replace(good, "From: a@example.jp", `From: kikaku.tokyo+ml@example.jp, "a b"@example.jp`, 1), nil, ""},
		{"link in a local part, kept by policy", strings.Replace(good, "From: a@example.jp", "From: x!evil.com@example.jp", 1), func(p *config.Policy) { p.Body.Links = "keep" }, ""},
		// RFC 2047 as clients read it: a word of at most 75 characters, a
		// multibyte character never split between words (Outlook and
		// Becky! decode each word alone and show mojibake), an
		// ISO-2022-JP word back in ASCII before "?=" (RFC 1468).
		{"encoded words", strings.Replace(good, "Subject: hi", "Subject: =?ISO-2022-JP?b?GyRCOzNFRBsoQg==?= =?utf-8?b?5bGx55Sw?=", 1), nil, ""},
		{"UTF-8 character split between words", strings.Replace(good, "Subject: hi", "Subject: =?utf-8?b?5bE=?= =?utf-8?b?seeUsA==?=", 1), nil, "not valid UTF-8 on its own"},
		{"ISO-2022-JP word not back in ASCII", strings.Replace(good, "From: a@example.jp", "From: =?ISO-2022-JP?b?GyRCOzNFRA==?= <a@example.jp>", 1), nil, "does not end in ASCII"},
		{"encoded word over 75", strings.Replace(good, "Subject: hi", "Subject: =?utf-8?b?44GC44GC44GC44GC44GC44GC44GC44GC44GC44GC44GC44GC44GC44GC44GC44GC44GC44GC?=", 1), nil, "longer than 75"},
		{"encoded word not decodable", strings.Replace(good, "Subject: hi", "Subject: =?utf-8?b?5bGx!!?=", 1), nil, "base64"},
		// An id is kept as written, and no client decodes one.
		{"message id like an encoded word", strings.Replace(strings.Replace(good, "Subject: hi", "Subject: hi\r\nReferences: <=?a?b?c?=@y>", 1), "<mugai.Q-1@gw.example.lg.jp>", "<=?UTF8?B?x55SwS?=@y>", 1), func(p *config.Policy) { p.Headers = nil }, ""},
		// RFC 5322 3.6: one From, one Date, one Message-ID, whatever the allow-list.
		{"no From", strings.Replace(good, "From: a@example.jp\r\n", "", 1), nil, "0 From fields"},
		{"two Froms", strings.Replace(good, "Subject: hi", "Subject: hi\r\nFrom: b@example.jp", 1), nil, "2 From fields"},
		{"From without an address", strings.Replace(good, "From: a@example.jp", "From: Taro", 1), nil, "holds no address"},
		{"no Date", strings.Replace(good, "Date: Tue, 05 Mar 2024 09:30:01 +0900\r\n", "", 1), nil, "0 Date fields"},
		{"two Dates", strings.Replace(good, "Subject: hi", "Subject: hi\r\nDate: Tue, 05 Mar 2024 09:30:02 +0900", 1), nil, "2 Date fields"},
		{"Date that does not parse", strings.Replace(good, "Tue, 05 Mar 2024 09:30:01 +0900", "yesterday", 1), nil, "Date \"yesterday\""},
		{"no Message-ID", strings.Replace(good, "Message-Id: <mugai.Q-1@gw.example.lg.jp>\r\n", "", 1), nil, "0 Message-ID fields"},
		{"Message-ID without brackets", strings.Replace(good, "<mugai.Q-1@gw.example.lg.jp>", "mugai.Q-1@gw.example.lg.jp", 1), nil, "is not one <id>"},
		{"two ids in a Message-ID", strings.Replace(good, "<mugai.Q-1@gw.example.lg.jp>", "<a@b> <c@d>", 1), nil, "is not one <id>"},
		{"yEnc begin line", strings.Replace(good, "44GT44KT44Gr44Gh44Gv", "PXliZWdpbiBsaW5lPTEyOCBzaXplPTMgbmFtZT1hLmV4ZQ==", 1), nil, "holds the start of an encoded file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := policy()
			if tt.pol != nil {
				tt.pol(&p)
			}
			err := Check(strings.NewReader(tt.msg), p)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("error %v, want one with %q", err, tt.want)
			}
		})
	}
}
