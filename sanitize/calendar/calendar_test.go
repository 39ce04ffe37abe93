package calendar

import (
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/japanese"
)

// ics joins content lines with CRLF and wraps them in a VCALENDAR.
func ics(lines ...string) string {
	return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n" + strings.Join(lines, "\r\n") + "\r\nEND:VCALENDAR\r\n"
}

// event is one VEVENT's lines.
func event(lines ...string) string {
	return "BEGIN:VEVENT\r\n" + strings.Join(lines, "\r\n") + "\r\nEND:VEVENT"
}

var jst = time.FixedZone("JST", 9*3600)

// dump is a Calendar as the tests compare it: one line for the calendar,
// one per event, its times shown in jst.
func dump(c *Calendar) string {
	var b strings.Builder
	fmt.Fprintf(&b, "method=%s more=%d truncated=%v invalid=%d mislabeled=%v\n", c.Method, c.MoreEvents, c.Truncated, c.Invalid, c.Mislabeled)
	for _, e := range c.Events {
		fmt.Fprintf(&b, "summary=%q when=%q", e.Summary, e.When(jst))
		if e.Location != "" {
			fmt.Fprintf(&b, " location=%q", e.Location)
		}
		if e.Organizer != (Address{}) {
			fmt.Fprintf(&b, " organizer=%q<%s>", e.Organizer.Name, e.Organizer.Addr)
		}
		if e.Status != "" {
			fmt.Fprintf(&b, " status=%s", e.Status)
		}
		if e.Recurring {
			b.WriteString(" recurring")
		}
		if e.Occurrence {
			b.WriteString(" occurrence")
		}
		for _, a := range e.Attendees {
			fmt.Fprintf(&b, " attendee=%q<%s>%s", a.Name, a.Addr, a.PartStat)
		}
		if e.MoreAttendees > 0 {
			fmt.Fprintf(&b, " +%d", e.MoreAttendees)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func sjis(t *testing.T, s string) string {
	b, err := japanese.ShiftJIS.NewEncoder().String(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func iso2022jp(t *testing.T, s string) string {
	b, err := japanese.ISO2022JP.NewEncoder().String(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRead(t *testing.T) {
	const none = "method= more=0 truncated=false invalid=0 mislabeled=false\n"
	for _, tt := range []struct {
		name, in, charset, want string
	}{
		{
			name: "Outlook invitation: TZID, folds, a character split by a fold",
			// Outlook folds at 75 octets, inside a UTF-8 sequence too:
			// "議" is E8 AD B0, split after E8.
			in: "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\n" +
				"ORGANIZER;CN=情報政策課 鈴木 太郎:mailto:suzuki-t@pref.example.lg.\r\n jp\r\n" +
				"SUMMARY;LANGUAGE=ja-JP:定例会\xe8\r\n \xad\xb0\r\n" +
				"DTSTART;TZID=Tokyo Standard Time:20241205T140000\r\n" +
				"DTEND;TZID=Tokyo Standard Time:20241205T160000\r\n" +
				"LOCATION;LANGUAGE=ja-JP:県庁本館3階 第1会議室\r\n" +
				"STATUS:CONFIRMED\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
			want: "method=REQUEST more=0 truncated=false invalid=0 mislabeled=false\n" +
				`summary="定例会議" when="2024-12-05 14:00～16:00 (Tokyo Standard Time)" location="県庁本館3階 第1会議室" organizer="情報政策課 鈴木 太郎"<suzuki-t@pref.example.lg.jp> status=CONFIRMED` + "\n",
		},
		{
			name: "LF line ends, a tab folds",
			in:   "BEGIN:VCALENDAR\nMETHOD:PUBLISH\nBEGIN:VEVENT\nSUMMARY:Board\n\tmeeting\nDTSTART:20241205T090000\nEND:VEVENT\nEND:VCALENDAR\n",
			want: "method=PUBLISH more=0 truncated=false invalid=0 mislabeled=false\n" +
				`summary="Boardmeeting" when="2024-12-05 09:00"` + "\n",
		},
		{
			name: "no line end at the end",
			in:   "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:x\r\nEND:VEVENT\r\nEND:VCALENDAR",
			want: none + `summary="x" when=""` + "\n",
		},
		{
			name: "TEXT escapes, line breaks on one line",
			in:   ics(event(`SUMMARY:a\, b\; c\\d\ne\Nf\x`, `LOCATION:Room 1\n\nBuilding  A`)),
			want: none + `summary="a, b; c\\d e f\\x" when="" location="Room 1 Building A"` + "\n",
		},
		{
			name: "parameters: quoted values with ; : and ,, several values, caret escapes, names in any case",
			in: ics(event(
				`ORGANIZER;ROLE=CHAIR,X;cn="Yamada; Taro: ,Jr.";SENT-BY="mailto:a@example.jp":MAILTO:yamada@example.jp`,
				`ATTENDEE;CN=^'Boss^' ^^;PARTSTAT=accepted:mailto:boss@example.jp`,
				`DTSTART;tzid="Asia/Tokyo":20241205T140000`,
				`SUMMARY;X-A="a:b";X-B=c:d:e`,
			)),
			want: none + `summary="d:e" when="2024-12-05 14:00 (Asia/Tokyo)" organizer="Yamada; Taro: ,Jr."<yamada@example.jp> attendee="\"Boss\" ^"<boss@example.jp>ACCEPTED` + "\n",
		},
		{
			name: "all day, one day (no DTEND: RFC 5545 3.6.1)",
			in:   ics(event("SUMMARY:休日", "DTSTART;VALUE=DATE:20241223")),
			want: none + `summary="休日" when="2024-12-23 (終日 / all day)"` + "\n",
		},
		{
			name: "all day, DTEND the day after",
			in:   ics(event("SUMMARY:休日", "DTSTART;VALUE=DATE:20241223", "DTEND;VALUE=DATE:20241224")),
			want: none + `summary="休日" when="2024-12-23 (終日 / all day)"` + "\n",
		},
		{
			name: "all day over days, DTEND exclusive",
			in:   ics(event("SUMMARY:出張", "DTEND;VALUE=DATE:20241231", "DTSTART;VALUE=DATE:20241228")),
			want: none + `summary="出張" when="2024-12-28～2024-12-30 (終日 / all day)"` + "\n",
		},
		{
			name: "all day with DURATION",
			in:   ics(event("SUMMARY:研修", "DTSTART;VALUE=DATE:20250227", "DURATION:P3D")),
			want: none + `summary="研修" when="2025-02-27～2025-03-01 (終日 / all day)"` + "\n",
		},
		{
			name: "UTC, shown in the local zone",
			in:   ics(event("SUMMARY:予約", "DTSTART:20241214T000000Z", "DTEND:20241214T030000Z")),
			want: none + `summary="予約" when="2024-12-14 09:00～12:00 (JST, UTC+09:00)"` + "\n",
		},
		{
			name: "UTC across midnight in the local zone",
			in:   ics(event("SUMMARY:夜間", "DTSTART:20241214T140000Z", "DTEND:20241214T160030Z")),
			want: none + `summary="夜間" when="2024-12-14 23:00～2024-12-15 01:00:30 (JST, UTC+09:00)"` + "\n",
		},
		{
			name: "TZID over two days; different zones each shown",
			in: ics(
				event("SUMMARY:a", "DTSTART;TZID=Asia/Tokyo:20241205T220000", "DTEND;TZID=Asia/Tokyo:20241206T010000"),
				event("SUMMARY:b", "DTSTART;TZID=Asia/Tokyo:20241205T220000", "DTEND;TZID=Europe/Paris:20241205T150000"),
				event("SUMMARY:c", "DTSTART;TZID=Asia/Tokyo:20241205T220000", "DTEND:20241205T140000Z"),
			),
			want: none +
				`summary="a" when="2024-12-05 22:00～2024-12-06 01:00 (Asia/Tokyo)"` + "\n" +
				`summary="b" when="2024-12-05 22:00 (Asia/Tokyo)～2024-12-05 15:00 (Europe/Paris)"` + "\n" +
				`summary="c" when="2024-12-05 22:00 (Asia/Tokyo)～2024-12-05 23:00 (JST, UTC+09:00)"` + "\n",
		},
		{
			name: "floating time with DURATION",
			in:   ics(event("SUMMARY:f", "DTSTART:20241205T140000", "DURATION:PT1H30M")),
			want: none + `summary="f" when="2024-12-05 14:00～15:30"` + "\n",
		},
		{
			name: "TZID time with DURATION in days and hours",
			in:   ics(event("SUMMARY:f", "DTSTART;TZID=Tokyo Standard Time:20241205T140000", "DURATION:P1DT2H")),
			want: none + `summary="f" when="2024-12-05 14:00～2024-12-06 16:00 (Tokyo Standard Time)"` + "\n",
		},
		{
			name: "DTEND wins over DURATION; a bad DURATION is none",
			in: ics(
				event("SUMMARY:a", "DTSTART:20241205T140000", "DURATION:PT1H", "DTEND:20241205T170000"),
				event("SUMMARY:b", "DTSTART:20241205T140000", "DURATION:-PT1H"),
				event("SUMMARY:c", "DTSTART:20241205T140000", "DURATION:P1H"),
				event("SUMMARY:d", "DTSTART:20241205T140000", "DURATION:P99999999999D"),
			),
			want: none +
				`summary="a" when="2024-12-05 14:00～17:00"` + "\n" +
				`summary="b" when="2024-12-05 14:00"` + "\n" +
				`summary="c" when="2024-12-05 14:00"` + "\n" +
				`summary="d" when="2024-12-05 14:00"` + "\n",
		},
		{
			name: "cancellation",
			in:   "BEGIN:VCALENDAR\r\nMETHOD:CANCEL\r\n" + event("SUMMARY:キャンセル済み: 会議", "STATUS:CANCELLED", "DTSTART;TZID=Tokyo Standard Time:20241205T140000", "DTEND;TZID=Tokyo Standard Time:20241205T160000") + "\r\nEND:VCALENDAR\r\n",
			want: "method=CANCEL more=0 truncated=false invalid=0 mislabeled=false\n" +
				`summary="キャンセル済み: 会議" when="2024-12-05 14:00～16:00 (Tokyo Standard Time)" status=CANCELLED` + "\n",
		},
		{
			name: "reply with the attendee's answer",
			in:   "BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\n" + event("SUMMARY:会議", "ATTENDEE;PARTSTAT=DECLINED;CN=佐々木:mailto:sasaki@lgwan.example", "DTSTART:20241205T140000") + "\r\nEND:VCALENDAR\r\n",
			want: "method=REPLY more=0 truncated=false invalid=0 mislabeled=false\n" +
				`summary="会議" when="2024-12-05 14:00" attendee="佐々木"<sasaki@lgwan.example>DECLINED` + "\n",
		},
		{
			name: "attendees past the bound counted",
			in:   ics(event("SUMMARY:s", "ATTENDEE:mailto:1@x", "ATTENDEE:mailto:2@x", "ATTENDEE:mailto:3@x", "ATTENDEE:mailto:4@x", "ATTENDEE:mailto:5@x", "ATTENDEE:mailto:6@x", "ATTENDEE:mailto:7@x")),
			want: none + `summary="s" when="" attendee=""<1@x> attendee=""<2@x> attendee=""<3@x> attendee=""<4@x> attendee=""<5@x> +2` + "\n",
		},
		{
			name: "recurring, and one occurrence",
			in: ics(
				event("SUMMARY:週次", "DTSTART:20241205T090000", "RRULE:FREQ=WEEKLY;COUNT=10"),
				event("SUMMARY:週次", "DTSTART:20241212T100000", "RECURRENCE-ID:20241212T090000"),
			),
			want: none + `summary="週次" when="2024-12-05 09:00" recurring` + "\n" + `summary="週次" when="2024-12-12 10:00" occurrence` + "\n",
		},
		{
			name: "several events; an alarm's and a time zone's properties are theirs",
			in: "BEGIN:VCALENDAR\r\nMETHOD:PUBLISH\r\n" +
				"BEGIN:VTIMEZONE\r\nTZID:Tokyo\r\nBEGIN:STANDARD\r\nDTSTART:16010101T000000\r\nTZOFFSETTO:+0900\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n" +
				event("SUMMARY:one", "BEGIN:VALARM", "SUMMARY:alarm", "DESCRIPTION:REMINDER", "TRIGGER:-PT15M", "END:VALARM", "LOCATION:here") + "\r\n" +
				event("SUMMARY:two") + "\r\n" +
				"BEGIN:VTODO\r\nSUMMARY:todo\r\nEND:VTODO\r\n" +
				event("SUMMARY:three") + "\r\nEND:VCALENDAR\r\n",
			want: "method=PUBLISH more=0 truncated=false invalid=0 mislabeled=false\n" +
				`summary="one" when="" location="here"` + "\n" + `summary="two" when=""` + "\n" + `summary="three" when=""` + "\n",
		},
		{
			name: "two calendars in one stream: events of both, the first METHOD",
			in:   "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\n" + event("SUMMARY:a") + "\r\nEND:VCALENDAR\r\nBEGIN:VCALENDAR\r\nMETHOD:CANCEL\r\n" + event("SUMMARY:b") + "\r\nEND:VCALENDAR\r\n",
			want: "method=REQUEST more=0 truncated=false invalid=0 mislabeled=false\n" + `summary="a" when=""` + "\n" + `summary="b" when=""` + "\n",
		},
		{
			name: "lower-case names, a byte order mark, the first of a property given twice",
			in:   "\uFEFFbegin:vcalendar\r\nmethod:request\r\nbegin:vevent\r\nsummary:first\r\nSUMMARY:second\r\ndtstart:20241205t090000z\r\nend:vevent\r\nend:vcalendar\r\n",
			want: "method=REQUEST more=0 truncated=false invalid=0 mislabeled=false\n" + `summary="first" when="2024-12-05 18:00 (JST, UTC+09:00)"` + "\n",
		},
		{
			name: "a value that is no date is shown as written",
			in:   ics(event("SUMMARY:x", "DTSTART:20241345T250000", "DTEND:20240231"), event("SUMMARY:y", "DTSTART:tomorrow\x01noon")),
			want: none + `summary="x" when="20241345T250000～20240231"` + "\n" + `summary="y" when="tomorrow noon"` + "\n",
		},
		{
			name: "a METHOD that is no token is none",
			in:   "BEGIN:VCALENDAR\r\nMETHOD:REQUEST NOW\r\n" + event("SUMMARY:x") + "\r\nEND:VCALENDAR\r\n",
			want: none + `summary="x" when=""` + "\n",
		},
		{
			name: "malformed lines skipped: no colon, no name, unclosed quote, parameter without value",
			in: ics(event(
				"SUMMARY", ":nothing", `LOCATION;X="unclosed:value`, "ORGANIZER;CN:mailto:a@x",
				"SUMMARY:kept", `LOCATION;X="ok":there`,
			)),
			want: none + `summary="kept" when="" location="there"` + "\n",
		},
		{
			name: "no VCALENDAR, no events",
			in:   event("SUMMARY:loose"),
			want: none,
		},
		{
			name: "a vCard is no calendar",
			in:   "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Taro\r\nEND:VCARD\r\n",
			want: none,
		},
		{
			name: "an event left open by the end of the input is kept",
			in:   "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:open\r\nDTSTART;VALUE=DATE:20241205",
			want: none + `summary="open" when="2024-12-05 (終日 / all day)"` + "\n",
		},
		{
			name: "an END for a component not open is ignored; one for an outer closes the inner",
			in:   "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nEND:VTODO\r\nSUMMARY:a\r\nBEGIN:VALARM\r\nEND:VEVENT\r\nSUMMARY:outside\r\n" + event("SUMMARY:b") + "\r\nEND:VCALENDAR\r\n",
			want: none + `summary="a" when=""` + "\n" + `summary="b" when=""` + "\n",
		},
		{
			name: "an empty event is not listed",
			in:   ics(event("UID:1", "DTSTAMP:20241128T011542Z")),
			want: none,
		},
		{
			name: "long values cut",
			in:   ics(event("SUMMARY:"+strings.Repeat("あ", 300), "LOCATION:"+strings.Repeat("x ", 150)+"end")),
			want: none + `summary="` + strings.Repeat("あ", 199) + `…" when="" location="` + strings.Repeat("x ", 99) + `x…"` + "\n",
		},
		{
			name: "Shift_JIS declared",
			in:   sjis(t, ics(event("SUMMARY:表示の予定\\, 能力", "LOCATION:会議室"))),
			// 表 and 能 end in 0x5C, a backslash: decoded before the
			// escapes are read, they stay what they are.
			charset: "Shift_JIS",
			want:    none + `summary="表示の予定, 能力" when="" location="会議室"` + "\n",
		},
		{
			name:    "ISO-2022-JP declared",
			in:      iso2022jp(t, ics(event("SUMMARY:打ち合わせ"))),
			charset: "iso-2022-jp",
			want:    none + `summary="打ち合わせ" when=""` + "\n",
		},
		{
			name: "ISO-2022-JP undeclared",
			in:   iso2022jp(t, ics(event("SUMMARY:打ち合わせ"))),
			want: "method= more=0 truncated=false invalid=0 mislabeled=true\n" + `summary="打ち合わせ" when=""` + "\n",
		},
		{
			name:    "UTF-8 declared Shift_JIS: read as UTF-8",
			in:      ics(event("SUMMARY:定例会議")),
			charset: "shift_jis",
			want:    "method= more=0 truncated=false invalid=0 mislabeled=true\n" + `summary="定例会議" when=""` + "\n",
		},
		{
			name:    "invalid UTF-8 replaced and counted",
			in:      ics(event("SUMMARY:a\xffb\xe3\x81")),
			charset: "utf-8",
			want:    "method= more=0 truncated=false invalid=3 mislabeled=false\n" + `summary="a` + "\uFFFD" + `b` + "\uFFFD\uFFFD" + `" when=""` + "\n",
		},
		{
			name:    "an unknown charset is UTF-8",
			in:      ics(event("SUMMARY:会議")),
			charset: "x-unknown",
			want:    none + `summary="会議" when=""` + "\n",
		},
		{
			name: "empty input",
			in:   "",
			want: none,
		},
		{
			name: "binary junk",
			in:   "\x00\x01\xff\xfe\r\n\r\n \r\n\t\r\n:\r\n;\r\n\"\r\nBEGIN\r\nBEGIN:\r\nEND:\r\n",
			want: "method= more=0 truncated=false invalid=2 mislabeled=false\n",
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Read(strings.NewReader(tt.in), tt.charset)
			if err != nil {
				t.Fatal(err)
			}
			if got := dump(c); got != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

// TestBounds: more events than MaxEvents are counted, not read; input
// past MaxInput and line content past MaxLine are not read, and the
// calendar says so; an endless input ends.
func TestBounds(t *testing.T) {
	var evs []string
	for i := range MaxEvents + 5 {
		evs = append(evs, event(fmt.Sprintf("SUMMARY:e%d", i)))
	}
	c, err := Read(strings.NewReader(ics(evs...)), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Events) != MaxEvents || c.MoreEvents != 5 || c.Truncated {
		t.Errorf("events %d, more %d, truncated %v; want %d, 5, false", len(c.Events), c.MoreEvents, c.Truncated, MaxEvents)
	}

	// A folded line of a MiB: cut at MaxLine, the input at MaxInput.
	huge := ics(event("SUMMARY:big", "DESCRIPTION:"+strings.Repeat("x\r\n ", 1<<18), "LOCATION:after"))
	c, err = Read(strings.NewReader(huge), "")
	if err != nil {
		t.Fatal(err)
	}
	if !c.Truncated || len(c.Events) != 1 || c.Events[0].Summary != "big" || c.Events[0].Location != "" {
		t.Errorf("huge: %s", dump(c))
	}

	// One long line, not folded, within MaxInput: cut, what follows read.
	long := ics(event("SUMMARY:big", "X-JUNK:"+strings.Repeat("y", MaxLine*2), "LOCATION:after"))
	c, err = Read(strings.NewReader(long), "")
	if err != nil {
		t.Fatal(err)
	}
	if !c.Truncated || len(c.Events) != 1 || c.Events[0].Location != "after" {
		t.Errorf("long line: %s", dump(c))
	}

	// An endless input: read up to MaxInput, and one octet more to know.
	r := &endless{head: []byte("BEGIN:VCALENDAR\r\n"), pattern: []byte("BEGIN:VEVENT\r\nSUMMARY:again\r\nEND:VEVENT\r\n")}
	c, err = Read(r, "")
	if err != nil {
		t.Fatal(err)
	}
	if !c.Truncated || r.n > MaxInput+1 || len(c.Events) != MaxEvents || c.MoreEvents == 0 {
		t.Errorf("endless: read %d octets; %d events, %d more, truncated %v", r.n, len(c.Events), c.MoreEvents, c.Truncated)
	}

	// Components nested past the bound are skipped whole, and the
	// depth comes back.
	deep := "BEGIN:VCALENDAR\r\n" + strings.Repeat("BEGIN:X\r\n", 100) + strings.Repeat("END:X\r\n", 100) + event("SUMMARY:after") + "\r\nEND:VCALENDAR\r\n"
	c, _ = Read(strings.NewReader(deep), "")
	if len(c.Events) != 1 || c.Events[0].Summary != "after" {
		t.Errorf("deep: %s", dump(c))
	}
}

// TestExactlyMaxInput: a calendar of exactly MaxInput octets is read
// whole, and not said to be cut.
func TestExactlyMaxInput(t *testing.T) {
	in := ics(event("SUMMARY:s"))
	for len(in) < MaxInput {
		pad := "X-PAD:" + strings.Repeat("p", min(1000, MaxInput-len(in)-8)) + "\r\n"
		in = pad + in
	}
	if len(in) != MaxInput {
		t.Fatalf("len %d", len(in))
	}
	c, err := Read(strings.NewReader(in), "")
	if err != nil {
		t.Fatal(err)
	}
	if c.Truncated || len(c.Events) != 1 {
		t.Errorf("%s", dump(c))
	}
}

// endless gives head, then pattern again and again.
type endless struct {
	head, pattern []byte
	n             int
}

func (e *endless) Read(p []byte) (int, error) {
	if e.n < len(e.head) {
		k := copy(p, e.head[e.n:])
		e.n += k
		return k, nil
	}
	for i := range p {
		p[i] = e.pattern[(e.n-len(e.head)+i)%len(e.pattern)]
	}
	e.n += len(p)
	return len(p), nil
}

// TestReadError: the reader's error is returned, with what was read.
func TestReadError(t *testing.T) {
	boom := fmt.Errorf("boom")
	r := io.MultiReader(strings.NewReader("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:x\r\n"), &failing{boom})
	_, err := Read(r, "")
	if err != boom {
		t.Errorf("err %v, want boom", err)
	}
}

type failing struct{ err error }

func (f *failing) Read([]byte) (int, error) { return 0, f.err }

func TestWhenZones(t *testing.T) {
	utc := Event{Start: DateTime{Kind: UTC, Time: time.Date(2024, 12, 14, 0, 0, 0, 0, time.UTC)}, End: DateTime{Kind: UTC, Time: time.Date(2024, 12, 14, 3, 0, 0, 0, time.UTC)}}
	for _, tt := range []struct {
		loc  *time.Location
		want string
	}{
		{time.UTC, "2024-12-14 00:00～03:00 (UTC)"},
		{time.FixedZone("", -5*3600), "2024-12-13 19:00～22:00 (UTC-05:00)"},
		{time.FixedZone("+0530", 5*3600+1800), "2024-12-14 05:30～08:30 (UTC+05:30)"},
		{time.FixedZone("CET", 3600), "2024-12-14 01:00～04:00 (CET, UTC+01:00)"},
	} {
		if got := utc.When(tt.loc); got != tt.want {
			t.Errorf("%v: %q, want %q", tt.loc, got, tt.want)
		}
	}
	// A change of offset in between: each end with its own.
	if ny, err := time.LoadLocation("America/New_York"); err == nil {
		e := Event{Start: DateTime{Kind: UTC, Time: time.Date(2024, 11, 3, 5, 0, 0, 0, time.UTC)}, End: DateTime{Kind: UTC, Time: time.Date(2024, 11, 3, 7, 0, 0, 0, time.UTC)}}
		const want = "2024-11-03 01:00 (EDT, UTC-04:00)～2024-11-03 02:00 (EST, UTC-05:00)"
		if got := e.When(ny); got != want {
			t.Errorf("DST: %q, want %q", got, want)
		}
	}
}

func TestParseDuration(t *testing.T) {
	for _, tt := range []struct {
		in         string
		days, secs int
		ok         bool
	}{
		{"P1D", 1, 0, true},
		{"P2W", 14, 0, true},
		{"+PT1H30M", 0, 5400, true},
		{"P1DT2H3M4S", 1, 7384, true},
		{"pt15m", 0, 900, true},
		{"-PT15M", 0, 0, false},
		{"P", 0, 0, false},
		{"PT", 0, 0, false},
		{"P1H", 0, 0, false},
		{"PT1D", 0, 0, false},
		{"P1DTT1H", 0, 0, false},
		{"P1", 0, 0, false},
		{"PXD", 0, 0, false},
		{"P99999999999D", 0, 0, false},
		{"P40000D", 0, 0, false},
		{"", 0, 0, false},
	} {
		d, s, ok := parseDuration(tt.in)
		if d != tt.days || s != tt.secs || ok != tt.ok {
			if ok || tt.ok {
				t.Errorf("%q: %d %d %v, want %d %d %v", tt.in, d, s, ok, tt.days, tt.secs, tt.ok)
			}
		}
	}
}

// TestNoLoopOnShortReads: a reader that gives one octet at a time, and
// zero octets with no error now and then, is read to its end.
func TestNoLoopOnShortReads(t *testing.T) {
	in := ics(event("SUMMARY:slow", "DTSTART;VALUE=DATE:20241205"))
	c, err := Read(&trickle{data: []byte(in)}, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Events) != 1 || c.Events[0].Summary != "slow" {
		t.Errorf("%s", dump(c))
	}
}

type trickle struct {
	data []byte
	i    int
}

func (r *trickle) Read(p []byte) (int, error) {
	r.i++
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	if r.i%3 == 0 || len(p) == 0 {
		return 0, nil
	}
	p[0] = r.data[0]
	r.data = r.data[1:]
	return 1, nil
}
