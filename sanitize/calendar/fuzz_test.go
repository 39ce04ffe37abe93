package calendar

import (
	"bytes"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzCalendar: whatever the input and the declared charset, Read
// returns without an error (the input is in memory), never panics, keeps
// to its bounds, and every value it returns is valid UTF-8 on one line,
// as the summary written into the body needs them.
func FuzzCalendar(f *testing.F) {
	f.Add([]byte(ics(event("SUMMARY:定例会議", "DTSTART;TZID=Tokyo Standard Time:20241205T140000", "DTEND;TZID=Tokyo Standard Time:20241205T160000", "LOCATION:会議室", "ORGANIZER;CN=\"山田; 太郎\":mailto:yamada@example.jp"))), "utf-8")
	f.Add([]byte("BEGIN:VCALENDAR\r\nMETHOD:CANCEL\r\nBEGIN:VEVENT\r\nSUMMARY:a\\, b\\nc\r\n d\r\nDTSTART;VALUE=DATE:20241205\r\nDURATION:P2D\r\nRRULE:FREQ=DAILY\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"), "")
	f.Add([]byte("BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:20241214T000000Z\nDTEND:20241214T030000Z\nATTENDEE;PARTSTAT=ACCEPTED;CN=^'x^':mailto:a@b\nEND:VEVENT\n"), "shift_jis")
	f.Add([]byte("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:\x1b$BBG$A9g$o$;\x1b(B\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"), "iso-2022-jp")
	f.Add([]byte("\xef\xbb\xbfBEGIN:VCALENDAR\r\nBEGIN:X\r\nBEGIN:VEVENT\r\nEND:VCALENDAR\r\nEND:X\r\n;;::\"\r\n"), "utf-16")
	locs := []*time.Location{time.UTC, time.FixedZone("JST", 9*3600), time.FixedZone("", -3*3600-1800)}
	f.Fuzz(func(t *testing.T, data []byte, charset string) {
		c, err := Read(bytes.NewReader(data), charset)
		if err != nil {
			t.Fatalf("error without I/O failure: %v", err)
		}
		if len(c.Events) > MaxEvents {
			t.Fatalf("%d events", len(c.Events))
		}
		if !oneLineValue(c.Method, 32) {
			t.Fatalf("method %q", c.Method)
		}
		for _, e := range c.Events {
			for _, v := range []struct {
				s   string
				max int
			}{{e.Summary, MaxText}, {e.Location, MaxText}, {e.Organizer.Name, 100}, {e.Organizer.Addr, 254}, {e.Status, 32}, {e.Start.TZID, 64}, {e.End.TZID, 64}, {e.Start.Raw, 40}, {e.End.Raw, 40}} {
				if !oneLineValue(v.s, v.max) {
					t.Fatalf("value %q (at most %d characters on one line)", v.s, v.max)
				}
			}
			if len(e.Attendees) > maxAttendees {
				t.Fatalf("%d attendees", len(e.Attendees))
			}
			for _, a := range e.Attendees {
				if !oneLineValue(a.Name, 100) || !oneLineValue(a.Addr, 254) || !oneLineValue(a.PartStat, 32) {
					t.Fatalf("attendee %+v", a)
				}
			}
			for _, loc := range locs {
				if w := e.When(loc); !utf8.ValidString(w) || strings.ContainsAny(w, "\r\n") || len(w) > 300 {
					t.Fatalf("When %q", w)
				}
			}
		}
	})
}

// oneLineValue reports a valid UTF-8 value of at most max characters
// without control characters or line breaks, not starting or ending
// with a space.
func oneLineValue(s string, max int) bool {
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > max || strings.TrimSpace(s) != s && strings.Trim(s, " ") != s {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 || r == 0x2028 || r == 0x2029 {
			return false
		}
	}
	return true
}
