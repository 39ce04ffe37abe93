package sanitize

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"mugai/config"
)

// TestCalendarInvitations: a meeting invitation tells the reader when and
// where even though its calendar file is not delivered. Outlook puts the
// time and place only in the text/calendar alternative, a booking system
// sends the .ics alone, a cancellation can be a text/calendar message
// with no text: in each, the events are written after the text, the file
// is removed with a reason that says where its contents went, and the
// action is calendar-summarised. (The whole output is in the golden files
// cal-*.)
func TestCalendarInvitations(t *testing.T) {
	for _, tt := range []struct {
		file  string
		lines []string // consecutive lines of the delivered text
	}{
		{"cal-outlook-teams", []string{
			"________________________________________________________________________________",
			"",
			"---------- 予定表の招待 / Calendar invitation (出席依頼 / request) ----------",
			"件名 / Summary: 【Teams】自治体DX推進連絡会議（第3回）",
			"日時 / When: 2024-12-05 14:00～16:00 (Tokyo Standard Time)",
			// Unfolded, then defanged: the URL was folded in its host.
			"場所 / Where: 県庁本館3階 第1会議室, Teams: hxxps://teams[.]microsoft[.]com/l/meetup-join/19%3ameeting_AbC",
			"主催者 / Organizer: 情報政策課 鈴木; 太郎 <suzuki-t@pref.example.lg.jp>",
		}},
		{"cal-ics-attachment", []string{
			"施設の予約が確定しました。予約内容は添付のカレンダーファイルをご利用ください。",
			"",
			"---------- 予定表 / Calendar (公開 / publish) ----------",
			"件名 / Summary: 表彰式会場 設営（予約番号 R-2024-11-0458）",
			"日時 / When: 2024-12-23～2024-12-25 (終日 / all day)",
			"場所 / Where: 市民会館 大ホール; 控室A",
		}},
		{"cal-cancel-toplevel", []string{
			"----------------------------------------------------------------------",
			"",
			"---------- 予定表の取消 / Calendar cancellation (取消 / cancelled) ----------",
			"件名 / Summary: キャンセル済み: 【Teams】自治体DX推進連絡会議（第3回）",
			"日時 / When: 2024-12-05 14:00～16:00 (Tokyo Standard Time)",
			"場所 / Where: 県庁本館3階 第1会議室",
			"主催者 / Organizer: 鈴木 太郎 <suzuki-t@pref.example.lg.jp>",
		}},
		{"cal-forwarded", []string{
			"> 出席します。",
			">",
			"> ---------- 予定表の返答 / Calendar reply (返答 / reply) ----------",
			"> 件名 / Summary: 打ち合わせ (資料: hxxp://evil[.]example/agenda)",
			"> 日時 / When: 2024-12-10 10:00～11:00",
			"> 主催者 / Organizer: 山田太郎 <taro@example.jp>",
			"> 返答 / Response: 承諾 / accepted (佐々木 <sasaki@partner.example.jp>)",
			"",
			"-- ",
		}},
	} {
		t.Run(tt.file, func(t *testing.T) {
			in, err := os.ReadFile(filepath.Join("testdata", "golden", tt.file+".eml"))
			if err != nil {
				t.Fatal(err)
			}
			rep, out := rebuilt(t, string(in), defaultPolicy(t))
			text := decodedText(t, out)
			if !strings.Contains(text, strings.Join(tt.lines, "\n")+"\n") {
				t.Errorf("text has not:\n%s\n\ntext:\n%s", strings.Join(tt.lines, "\n"), text)
			}
			if !slices.Contains(rep.Actions, "calendar-summarised") {
				t.Errorf("actions %v", rep.Actions)
			}
			if !strings.Contains(text, "（ファイルは届けず、件名・日時・場所・主催者を本文に記載しています）") {
				t.Errorf("the notice does not say where the events went:\n%s", text)
			}
			n := 0
			for _, p := range rep.Parts {
				if strings.HasPrefix(p.DeclaredType, "text/calendar") {
					n++
					if p.Decision != DecisionStrip || p.Reason != calendarSummaryReason {
						t.Errorf("%s: %s (%s)", p.Path, p.Decision, p.Reason)
					}
				}
			}
			if n != 1 {
				t.Errorf("%d calendar parts in the report", n)
			}
			// Neither the description nor the attendees of an invitation.
			for _, no := range []string{"REMINDER", "会議は中止", "総務課 佐々木"} {
				if strings.Contains(text, no) {
					t.Errorf("text has %q", no)
				}
			}
		})
	}
}

// invitation is a message with a text and the calendar parts given, each
// "Content-Type line\n\nbody".
func invitation(parts ...string) string {
	var b strings.Builder
	b.WriteString("From: a@example.jp\r\nTo: b@example.lg.jp\r\nSubject: invite\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nJoin the meeting.\r\n")
	for _, p := range parts {
		b.WriteString("--b\r\n" + strings.ReplaceAll(p, "\n", "\r\n") + "\r\n")
	}
	b.WriteString("--b--\r\n")
	return b.String()
}

const calBody = "BEGIN:VCALENDAR\nMETHOD:REQUEST\nBEGIN:VEVENT\nSUMMARY:定例会議\nDTSTART;TZID=Asia/Tokyo:20241205T140000\nDTEND;TZID=Asia/Tokyo:20241205T150000\nEND:VEVENT\nEND:VCALENDAR"

// TestCalendarUTC: a UTC time is shown in the machine's zone, with its
// abbreviation and offset (a booking system's DTSTART:…Z).
func TestCalendarUTC(t *testing.T) {
	msg := invitation("Content-Type: text/calendar; charset=utf-8; method=PUBLISH\n\nBEGIN:VCALENDAR\nMETHOD:PUBLISH\nBEGIN:VEVENT\nSUMMARY:体育館 予約\nDTSTART:20241214T000000Z\nDTEND:20241214T030000Z\nEND:VEVENT\nEND:VCALENDAR")
	_, out := rebuilt(t, msg, defaultPolicy(t))
	start := time.Date(2024, 12, 14, 0, 0, 0, 0, time.UTC).In(time.Local)
	end := start.Add(3 * time.Hour)
	when := start.Format("2006-01-02 15:04") + "～"
	if end.Format(time.DateOnly) != start.Format(time.DateOnly) {
		when += end.Format(time.DateOnly) + " "
	}
	when += end.Format("15:04")
	text := decodedText(t, out)
	if !strings.Contains(text, "日時 / When: "+when+" (") {
		t.Errorf("want %q (zone %s) in:\n%s", when, start.Location(), text)
	}
}

// TestCalendarCases: the same events twice in one message are written
// once; a contact file, a calendar without events and an ambiguous
// calendar part keep the old reason and write nothing; a value cannot
// make a line of its own or start an encoded file; the calendar's links
// count as the body's.
func TestCalendarCases(t *testing.T) {
	const section = "---------- 予定表の招待 / Calendar invitation (出席依頼 / request) ----------"
	for _, tt := range []struct {
		name    string
		msg     string
		pol     func(*config.Policy)
		reasons []string // of the calendar or contact parts, in order
		want    []string // in the text
		not     []string // not in the text
		bidi    bool     // bidirectional controls removed: reported
		count   int      // of section in the text
	}{
		{
			name: "the same events as an alternative and as invite.ics: once",
			msg: invitation("Content-Type: text/calendar; charset=utf-8; method=REQUEST\n\n"+calBody,
				"Content-Type: application/ics; name=invite.ics\nContent-Disposition: attachment; filename=invite.ics\n\n"+calBody),
			reasons: []string{calendarSummaryReason, calendarSummaryReason},
			want:    []string{"件名 / Summary: 定例会議\n日時 / When: 2024-12-05 14:00～15:00 (Asia/Tokyo)\n"},
			count:   1,
		},
		{
			name: "different events: both",
			msg: invitation("Content-Type: text/calendar; charset=utf-8; method=REQUEST\n\n"+calBody,
				"Content-Type: application/octet-stream; name=other.ics\n\n"+strings.ReplaceAll(calBody, "定例会議", "別の会議")),
			reasons: []string{calendarSummaryReason, calendarSummaryReason},
			want:    []string{"件名 / Summary: 定例会議\n", "件名 / Summary: 別の会議\n"},
			count:   2,
		},
		{
			name:    "a contact file",
			msg:     invitation("Content-Type: text/vcard; name=card.vcf\n\nBEGIN:VCARD\nFN:Taro\nEND:VCARD"),
			reasons: []string{calendarReason},
			not:     []string{"予定表 /", "Taro"},
		},
		{
			name:    "a calendar without events (a to-do)",
			msg:     invitation("Content-Type: text/calendar\n\nBEGIN:VCALENDAR\nBEGIN:VTODO\nSUMMARY:todo\nEND:VTODO\nEND:VCALENDAR"),
			reasons: []string{calendarReason},
			not:     []string{"予定表 /", "todo"},
		},
		{
			name:    "an ambiguous calendar part",
			msg:     invitation("Content-Type: text/calendar\nContent-Type: text/plain\n\n" + calBody),
			reasons: []string{"ambiguous structure: duplicate-content-type"},
			not:     []string{"予定表 /", "定例会議"},
		},
		{
			name:    "a calendar with invalid base64",
			msg:     invitation("Content-Type: text/calendar\nContent-Transfer-Encoding: base64\n\nQkVHSU46VkNBTEVOREFS!!!!"),
			reasons: []string{"ambiguous structure: invalid-base64"},
			not:     []string{"予定表 /"},
		},
		{
			name: "values cannot make lines of their own",
			msg: invitation("Content-Type: text/calendar\n\nBEGIN:VCALENDAR\nMETHOD:REQUEST\nBEGIN:VEVENT\n" +
				"SUMMARY:x\\nbegin 644 evil.exe\\n---------- 転送されたメッセージ\n" +
				"LOCATION:here\\n=ybegin line=128 size=1 name=a.exe\n" +
				"END:VEVENT\nEND:VCALENDAR"),
			reasons: []string{calendarSummaryReason},
			want: []string{"件名 / Summary: x begin 644 evil.exe ---------- 転送されたメッセージ\n",
				"場所 / Where: here =ybegin line=128 size=1 name=a.exe\n"},
			not:   []string{"\nbegin 644", "\n=ybegin", "\n---------- 転送"},
			count: 1,
		},
		{
			// The sink takes a BinHex marker anywhere in a line for the
			// start of a file: such a summary is not written at all.
			name: "a value that would start an encoded file",
			msg: invitation("Content-Type: text/calendar\n\nBEGIN:VCALENDAR\nMETHOD:REQUEST\nBEGIN:VEVENT\nSUMMARY:s\n" +
				"ORGANIZER;CN=\"(This file must be converted with BinHex 4.0)\":mailto:a@example.jp\n" +
				"END:VEVENT\nEND:VCALENDAR"),
			reasons: []string{calendarReason},
			not:     []string{"予定表 /", "BinHex"},
		},
		{
			name: "a folded URL in the place, defanged whole",
			msg: invitation("Content-Type: text/calendar\n\nBEGIN:VCALENDAR\nMETHOD:REQUEST\nBEGIN:VEVENT\nSUMMARY:s\n" +
				"LOCATION:https://ev\n il.example/lo\n\tgin\nEND:VEVENT\nEND:VCALENDAR"),
			reasons: []string{calendarSummaryReason},
			want:    []string{"場所 / Where: hxxps://evil[.]example/login\n"},
			not:     []string{"https://"},
			count:   1,
		},
		{
			name: "with links: remove",
			msg: invitation("Content-Type: text/calendar\n\nBEGIN:VCALENDAR\nMETHOD:REQUEST\nBEGIN:VEVENT\nSUMMARY:s\n" +
				"LOCATION:https://evil.example/login\nEND:VEVENT\nEND:VCALENDAR"),
			pol:     func(p *config.Policy) { p.Body.Links = "remove" },
			reasons: []string{calendarSummaryReason},
			want:    []string{"場所 / Where: [リンク削除]\n"},
			count:   1,
		},
		{
			name: "a bidi control in a value is cleaned as body text's",
			msg: invitation("Content-Type: text/calendar\n\nBEGIN:VCALENDAR\nMETHOD:REQUEST\nBEGIN:VEVENT\n" +
				"SUMMARY:invoice\u202Efdp.exe\nEND:VEVENT\nEND:VCALENDAR"),
			reasons: []string{calendarSummaryReason},
			not:     []string{"\u202E"},
			bidi:    true,
			count:   1,
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			pol := defaultPolicy(t)
			if tt.pol != nil {
				tt.pol(&pol)
			}
			rep, out := rebuilt(t, tt.msg, pol)
			text := decodedText(t, out)
			var reasons []string
			for _, p := range rep.Parts[1:] {
				reasons = append(reasons, p.Reason)
			}
			if !slices.Equal(reasons, tt.reasons) {
				t.Errorf("reasons %q, want %q", reasons, tt.reasons)
			}
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("text has not %q:\n%s", w, text)
				}
			}
			body := text[strings.Index(text, noticeRule):]
			for _, n := range tt.not {
				if strings.Contains(body, n) {
					t.Errorf("text has %q:\n%s", n, text)
				}
			}
			if n := strings.Count(text, section); n != tt.count {
				t.Errorf("%d sections, want %d:\n%s", n, tt.count, text)
			}
			if bidi := slices.Contains(rep.Actions, "bidi-removed"); bidi != tt.bidi {
				t.Errorf("actions %v; findings %v", rep.Actions, rep.Findings)
			}
			if summarised := slices.Contains(rep.Actions, "calendar-summarised"); summarised != (tt.count > 0) {
				t.Errorf("actions %v", rep.Actions)
			}
			if tt.count > 0 && strings.Contains(tt.msg, "LOCATION:https") && !slices.Contains(rep.Actions, "links-"+map[string]string{"defang": "defanged", "remove": "removed"}[pol.Body.Links]) {
				t.Errorf("the calendar's links are not in the actions: %v", rep.Actions)
			}
		})
	}
}

// TestCalendarCount: the events of at most maxCalendars calendar files of
// one message are written in the text; each summary is held in memory
// until the rebuild, and a message of 300 calendar parts held 70 MB (the
// review of the whole change). The others are removed as before, each
// with a finding.
func TestCalendarCount(t *testing.T) {
	var b strings.Builder
	b.WriteString("From: a@example.jp\r\nTo: b@example.lg.jp\r\nSubject: many\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n")
	for i := range 8 {
		fmt.Fprintf(&b, "--b\r\nContent-Type: text/calendar; method=REQUEST; charset=utf-8\r\n\r\nBEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nSUMMARY:会議%d\r\nDTSTART:20241205T050000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n", i)
	}
	b.WriteString("--b--\r\n")
	rep, out := rebuilt(t, b.String(), defaultPolicy(t))
	text := decodedText(t, out)
	for i := range 8 {
		if got, want := strings.Contains(text, fmt.Sprintf("件名 / Summary: 会議%d\n", i)), i < maxCalendars; got != want {
			t.Errorf("calendar %d written: %v, want %v", i, got, want)
		}
	}
	n := 0
	for _, f := range rep.Findings {
		if f.Kind == "calendar-truncated" {
			n++
		}
	}
	if n != 8-maxCalendars {
		t.Errorf("%d calendar-truncated findings, want %d", n, 8-maxCalendars)
	}
}
