package textenc

import (
	"errors"
	"mime"
	"net/url"
	"reflect"
	"testing"
)

func TestParseMediaType(t *testing.T) {
	type P = map[string]string
	tests := []struct {
		name, in  string
		mediaType string
		params    P
		findings  []Finding
		err       bool
	}{
		{"simple", "text/plain; charset=ISO-2022-JP", "text/plain", P{"charset": "ISO-2022-JP"}, nil, false},
		{"case and quotes", `Text/HTML; Charset="utf-8"`, "text/html", P{"charset": "utf-8"}, nil, false},
		{"disposition", "attachment; filename=report.pdf", "attachment", P{"filename": "report.pdf"}, nil, false},
		{"folded", "multipart/mixed;\r\n\tboundary=\"b1\"", "multipart/mixed", P{"boundary": "b1"}, nil, false},
		{"quoted-pair", `attachment; filename="a \"b\".txt"`, "attachment", P{"filename": `a "b".txt`}, nil, false},

		// RFC 2231 in any charset.
		{"2231 UTF-8", "attachment; filename*=UTF-8''%E6%97%A5%E6%9C%AC.txt", "attachment", P{"filename": "日本.txt"}, nil, false},
		{"2231 ISO-2022-JP", "attachment; filename*=iso-2022-jp''" + url.PathEscape(jis("テスト")) + ".txt", "attachment", P{"filename": "テスト.txt"}, nil, false},
		{"2231 Shift_JIS with language", "attachment; filename*=shift_jis'ja'%82%A0.txt", "attachment", P{"filename": "あ.txt"}, nil, false},
		{"2231 quoted (lenient)", `attachment; filename*="UTF-8''%E6%97%A5.txt"`, "attachment", P{"filename": "日.txt"}, nil, false},
		{"2231 raw 8-bit", "attachment; filename*=UTF-8''日本.txt", "attachment", P{"filename": "日本.txt"}, nil, false},
		{"2231 unknown charset", "attachment; filename*=x-foo''%82%A0%82%A2%82%A4.txt", "attachment", P{"filename": "あいう.txt"},
			[]Finding{{KindUnknown, `unknown charset "x-foo", decoded as shift_jis`}}, false},
		{"2231 mislabeled", "attachment; filename*=iso-2022-jp''" + url.PathEscape(sjis("見積書")) + ".xlsx", "attachment", P{"filename": "見積書.xlsx"},
			[]Finding{{KindMislabeled, "declared iso-2022-jp, decoded as shift_jis"}}, false},
		{"2231 Shift_JIS labelled UTF-8", "attachment; filename*=UTF-8''" + url.PathEscape(sjis("髙橋")) + ".pdf", "attachment", P{"filename": "髙橋.pdf"},
			[]Finding{{KindMislabeled, "declared utf-8, decoded as shift_jis"}}, false},
		{"2231 Shift_JIS half-width kana labelled UTF-8", "attachment; filename*=UTF-8''" + url.PathEscape(sjis("ﾃｽﾄ")) + ".txt", "attachment", P{"filename": "ﾃｽﾄ.txt"},
			[]Finding{{KindMislabeled, "declared utf-8, decoded as shift_jis"}}, false},
		{"2231 without charset quotes", "attachment; filename*=%E6%97%A5.txt", "attachment", P{"filename": "日.txt"},
			[]Finding{{KindParamInvalid, "RFC 2231 value without charset'language' prefix"}, {KindMissing, "no charset declared, decoded as utf-8"}}, false},

		// Continuations.
		{"continuations", "attachment; filename*0*=utf-8''%E6%97%A5; filename*1*=%E6%9C%AC; filename*2=.txt", "attachment", P{"filename": "日本.txt"}, nil, false},
		{"continuations split a character", "attachment; filename*0*=utf-8''%E6%97; filename*1*=%A5.txt", "attachment", P{"filename": "日.txt"}, nil, false},
		{"continuations out of order", "attachment; filename*1=b.txt; filename*0=a", "attachment", P{"filename": "ab.txt"}, nil, false},
		{"plain continuations with an encoded word", `attachment; filename*0="=?UTF-8?B?5pel5pys"; filename*1="6Kqe?=.txt"`, "attachment", P{"filename": "日本語.txt"}, nil, false},
		{"continuations with a gap", "attachment; filename*0=a; filename*2=c", "attachment", P{"filename": "ac"},
			[]Finding{{KindParamInvalid, `continuations of "filename" are not numbered 0, 1, 2...`}}, false},
		{"continuation given twice", "attachment; filename*0=a; filename*0=b", "attachment", P{"filename": "a"},
			[]Finding{{KindParamDuplicate, "filename*0 given 2 times; the first is used"}}, false},

		// RFC 2047 and raw 8-bit inside values.
		{"2047 in quoted name", `application/pdf; name="=?UTF-8?B?5pel5pys6Kqe?=.pdf"`, "application/pdf", P{"name": "日本語.pdf"}, nil, false},
		{"2047 ISO-2022-JP in filename", `attachment; filename="=?ISO-2022-JP?B?` + b64(jis("資料")) + `?="`, "attachment", P{"filename": "資料"}, nil, false},
		{"raw UTF-8 filename", `attachment; filename="日本語.txt"`, "attachment", P{"filename": "日本語.txt"}, nil, false},
		{"raw Shift_JIS filename", `attachment; filename="` + sjis("資料①") + `.doc"`, "attachment", P{"filename": "資料①.doc"},
			[]Finding{{KindMissing, "unencoded header text, decoded as shift_jis"}}, false},

		{"raw ISO-2022-JP with '\"' and ';' in its two-byte text", "attachment; filename=\"\x1b$B$\"$;\x1b(B.txt\"; size=1", "attachment", P{"filename": "あせ.txt", "size": "1"},
			[]Finding{{KindMissing, "unencoded header text, decoded as iso-2022-jp"}}, false},
		{"raw ISO-2022-JP unquoted", "attachment; filename=\x1b$B$;\x1b(B.txt; size=1", "attachment", P{"filename": "せ.txt", "size": "1"},
			[]Finding{{KindMissing, "unencoded header text, decoded as iso-2022-jp"}}, false},

		// Tolerated syntax errors.
		{"unquoted with spaces", "attachment; filename=my file.txt", "attachment", P{"filename": "my file.txt"}, nil, false},
		{"trailing semicolon", "text/plain; charset=utf-8;", "text/plain", P{"charset": "utf-8"}, nil, false},
		{"stray semicolons", "text/plain;; ;charset=utf-8; ;", "text/plain", P{"charset": "utf-8"}, nil, false},
		{"spaces around =", "text/plain; charset = utf-8", "text/plain", P{"charset": "utf-8"}, nil, false},
		{"spaces around /", "text / plain", "text/plain", P{}, nil, false},
		{"comments", `text/plain (body); charset=us-ascii (Plain text); format="flowed" (f)`, "text/plain", P{"charset": "us-ascii", "format": "flowed"}, nil, false},
		{"parenthesis in a value", "attachment; filename=my file (2).txt", "attachment", P{"filename": "my file (2).txt"}, nil, false},
		{"names lowercased", "text/plain; CharSet=utf-8; FORMAT=flowed", "text/plain", P{"charset": "utf-8", "format": "flowed"}, nil, false},
		{"unterminated quote", `attachment; filename="abc.txt`, "attachment", P{"filename": "abc.txt"},
			[]Finding{{KindParamInvalid, `unterminated quoted value of "filename"`}}, false},
		{"text after quotes", `attachment; filename="a.txt"x; size=3`, "attachment", P{"filename": "a.txt", "size": "3"},
			[]Finding{{KindParamInvalid, `text after the quoted value of "filename" ignored`}}, false},
		{"parameter without value", "text/plain; flowed; charset=utf-8", "text/plain", P{"charset": "utf-8"},
			[]Finding{{KindParamInvalid, `parameter "flowed" without a value`}}, false},
		{"missing semicolon", "text/plain charset=utf-8", "text/plain", P{"charset": "utf-8"},
			[]Finding{{KindParamInvalid, "missing ';' after the media type"}}, false},

		// Duplicates: a finding, and the first value.
		{"boundary twice", `multipart/mixed; boundary="a"; boundary="b"`, "multipart/mixed", P{"boundary": "a"},
			[]Finding{{KindParamDuplicate, `boundary given 2 times: "a", "b"; the first is used`}}, false},
		{"boundary twice, same value", `multipart/mixed; boundary=a; boundary=a`, "multipart/mixed", P{"boundary": "a"},
			[]Finding{{KindParamDuplicate, "boundary given 2 times with the same value"}}, false},
		{"filename and filename* differ", `attachment; filename="invoice.pdf"; filename*=UTF-8''invoice.exe`, "attachment", P{"filename": "invoice.pdf"},
			[]Finding{{KindParamDuplicate, `filename and filename* differ: "invoice.pdf", "invoice.exe"; the first is used`}}, false},
		{"filename* first", `attachment; filename*=UTF-8''invoice.exe; filename="invoice.pdf"`, "attachment", P{"filename": "invoice.exe"},
			[]Finding{{KindParamDuplicate, `filename* and filename differ: "invoice.exe", "invoice.pdf"; the first is used`}}, false},
		{"filename and filename* agree", `attachment; filename="a.txt"; filename*=UTF-8''a.txt`, "attachment", P{"filename": "a.txt"}, nil, false},
		{"filename and continuations differ", `attachment; filename="a.txt"; filename*0=b; filename*1=.exe`, "attachment", P{"filename": "a.txt"},
			[]Finding{{KindParamDuplicate, `filename and filename*0... differ: "a.txt", "b.exe"; the first is used`}}, false},

		// The boundary is not decoded.
		{"boundary kept as written", `multipart/mixed; boundary="=?UTF-8?B?5pel?="`, "multipart/mixed", P{"boundary": "=?UTF-8?B?5pel?="}, nil, false},

		// Errors.
		{"no media type", "; charset=utf-8", "", P{"charset": "utf-8"}, nil, true},
		{"empty", "", "", P{}, nil, true},
		{"bad media type", "text/pl@in; charset=utf-8", "", P{"charset": "utf-8"}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mt, params, fs, err := ParseMediaType(tt.in)
			if (err != nil) != tt.err {
				t.Fatalf("err = %v, want error %v", err, tt.err)
			}
			if mt != tt.mediaType {
				t.Errorf("media type = %q, want %q", mt, tt.mediaType)
			}
			if !reflect.DeepEqual(params, tt.params) {
				t.Errorf("params = %q, want %q", params, tt.params)
			}
			if !equalFindings(fs, tt.findings) {
				t.Errorf("findings = %v, want %v", fs, tt.findings)
			}
		})
	}
	if _, _, _, err := ParseMediaType(""); !errors.Is(err, ErrNoMediaType) {
		t.Errorf("empty value: err = %v, want ErrNoMediaType", err)
	}
}

// TestParseMediaTypeLikeMime: on well-formed values we agree with the
// standard library.
func TestParseMediaTypeLikeMime(t *testing.T) {
	for _, v := range []string{
		"text/plain",
		`multipart/alternative; boundary="----=_NextPart_000_0001_01D0.12345678"`,
		`form-data; name="file"; filename="C:\\dir\\a.txt"`,
		"attachment; filename*=UTF-8''%E2%82%AC%20rates.txt",
		"attachment; filename*0*=us-ascii'en'This%20is%20even%20more%20; filename*1*=%2A%2A%2Afun%2A%2A%2A%20; filename*2=\"isn't it!\"",
		`message/external-body; access-type=URL; URL*0="ftp://"; URL*1="cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar"`,
		`application/x-stuff; title*=us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A`,
	} {
		wantMT, wantP, werr := mime.ParseMediaType(v)
		mt, p, fs, err := ParseMediaType(v)
		if werr != nil {
			t.Logf("mime rejects %q: %v; we give %q %q %v %v", v, werr, mt, p, fs, err)
			continue
		}
		if err != nil || mt != wantMT || !reflect.DeepEqual(p, wantP) || len(fs) != 0 {
			t.Errorf("%q: got %q %q %v %v; mime gives %q %q", v, mt, p, fs, err, wantMT, wantP)
		}
	}
}
