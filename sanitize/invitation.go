package sanitize

import (
	"bytes"
	"strconv"
	"strings"
	"time"

	"mugai/sanitize/calendar"
	"mugai/sanitize/spill"
)

// A calendar file is never delivered (calendarOrContact), but a meeting
// invitation often says when and where only in it: Outlook's text has
// the Teams join text, a booking system sends the .ics alone, a
// cancellation may be a text/calendar message without a text. So its
// events are written into the body text, after the text of the message
// that carried it, as a section of their own; the file is still removed,
// and its reason says where its contents went.

// calendarFile is an iCalendar or vCalendar file (not a contact), by its
// declared type or any of its names: the files summariseCalendar reads.
var calendarFile = fileKind{
	types: []string{"text/calendar", "text/x-vcalendar", "application/ics"},
	exts:  []string{".ics", ".ical", ".icalendar", ".ifb", ".vcs"},
}

// maxCalendars bounds the calendar files of one message whose events are
// written in the text; the others are removed as any calendar file is.
const maxCalendars = 5

// calendarSummaryReason is the reason of a calendar file whose events
// were written into the body text.
const calendarSummaryReason = "calendar file, not delivered: the program that opens it unfolds and decodes what line-by-line checking does not see; its events (summary, time, place, organizer) are written in the body text"

// summariseCalendar reads the events of a calendar file that is removed
// (its decoded content in buf) and keeps their summary, as body text
// (through the same sink as a text part: cleaned, its links
// neutralised), in l.cal for finish and the rebuild. A file without
// events keeps nothing.
func (s *sanitizer) summariseCalendar(l *leaf, ph *partHeader, buf *spill.Buffer) {
	if s.ncal >= maxCalendars {
		// Each summary is held in memory until the rebuild (at most
		// some 100 KiB: 20 events of bounded values): a message of
		// hundreds of calendar parts must not hold hundreds of them.
		s.finding(l.part.Path, "calendar-truncated", "more than "+strconv.Itoa(maxCalendars)+" calendar files in the message: this one is not written in the text")
		return
	}
	cal, err := calendar.Read(buf.Reader(), strings.TrimSpace(ph.params["charset"]))
	if err != nil {
		s.ioErr(err)
		return
	}
	if len(cal.Events) == 0 {
		return
	}
	var out bytes.Buffer
	sink := newTextSink(&out, s.pol.Body.Links)
	for _, line := range calendarLines(cal, time.Local) {
		sink.Write([]byte(line))
		sink.Write([]byte{'\n'})
	}
	sink.Close()
	if len(sink.blocks) > 0 || sink.moreBlocks > 0 || sink.err != nil {
		// A value that starts an encoded file after a label cannot;
		// should the sink cut one all the same, nothing is written.
		return
	}
	l.cal, l.calStats = out.Bytes(), sink.st
	s.memHeld += int64(len(l.cal))
	s.ncal++
	path := l.part.Path
	if cal.Truncated || cal.MoreEvents > 0 {
		detail := "only the first " + strconv.Itoa(calendar.MaxInput>>10) + " KiB read"
		if cal.MoreEvents > 0 {
			detail = plural(cal.MoreEvents, "more event") + " not listed"
		}
		l.calFindings = append(l.calFindings, Finding{path, "calendar-truncated", detail})
	}
	if sink.st.bidi > 0 {
		// As for body text: the reader is told (action bidi-removed).
		l.calFindings = append(l.calFindings, Finding{path, "bidi-control", plural(sink.st.bidi, "bidirectional control") + " removed"})
	}
	if cal.Mislabeled {
		l.calFindings = append(l.calFindings, Finding{path, "charset-mislabeled", "calendar lines the declared charset does not fit read as UTF-8 or ISO-2022-JP"})
	}
	if cal.Invalid > 0 {
		l.calFindings = append(l.calFindings, Finding{path, "charset-invalid", plural(cal.Invalid, "invalid sequence") + " in the calendar replaced by U+FFFD"})
	}
}

// calendarLines are the lines of a calendar's section in the body text.
// Times are shown as calendar.Event.When shows them, UTC in loc.
func calendarLines(cal *calendar.Calendar, loc *time.Location) []string {
	lines := []string{"---------- " + calendarHeading(cal.Method) + " ----------"}
	for i, e := range cal.Events {
		if i > 0 {
			lines = append(lines, "")
		}
		if e.Summary != "" {
			lines = append(lines, "件名 / Summary: "+e.Summary)
		}
		if w := e.When(loc); w != "" {
			lines = append(lines, "日時 / When: "+w)
		}
		if e.Recurring {
			lines = append(lines, "繰り返し / Repeats: 繰り返しあり / recurring")
		} else if e.Occurrence {
			lines = append(lines, "繰り返し / Repeats: 繰り返しのうちこの回 / one occurrence of a recurring event")
		}
		if e.Location != "" {
			lines = append(lines, "場所 / Where: "+e.Location)
		}
		if a := showAddress(e.Organizer); a != "" {
			lines = append(lines, "主催者 / Organizer: "+a)
		}
		if st := statusText(e.Status, cal.Method); st != "" {
			lines = append(lines, "状態 / Status: "+st)
		}
		if cal.Method == "REPLY" || cal.Method == "COUNTER" {
			for _, a := range e.Attendees {
				if who := showAddress(a.Address); who != "" && a.PartStat != "" {
					lines = append(lines, "返答 / Response: "+partStatText(a.PartStat)+" ("+who+")")
				}
			}
		}
	}
	if cal.MoreEvents > 0 {
		lines = append(lines, "", "ほかに予定 "+strconv.Itoa(cal.MoreEvents)+" 件 / "+plural(cal.MoreEvents, "more event"))
	}
	if cal.Truncated {
		lines = append(lines, "", "（予定表のファイルが大きいため、先頭の部分のみ読んでいます / only the start of a large calendar file was read）")
	}
	return lines
}

// calendarHeading names a calendar by its METHOD (RFC 5546 1.4).
func calendarHeading(method string) string {
	switch method {
	case "REQUEST":
		return "予定表の招待 / Calendar invitation (出席依頼 / request)"
	case "CANCEL":
		return "予定表の取消 / Calendar cancellation (取消 / cancelled)"
	case "REPLY":
		return "予定表の返答 / Calendar reply (返答 / reply)"
	case "PUBLISH":
		return "予定表 / Calendar (公開 / publish)"
	case "ADD":
		return "予定表の追加 / Calendar addition (追加 / add)"
	case "COUNTER":
		return "予定表の変更提案 / Calendar counter-proposal (変更提案 / counter)"
	case "DECLINECOUNTER":
		return "予定表の変更提案への辞退 / Calendar counter-proposal declined"
	case "REFRESH":
		return "予定表の再送依頼 / Calendar refresh request"
	case "":
		return "予定表 / Calendar"
	}
	return "予定表 / Calendar (" + method + ")" // a token (calendar.Read)
}

// statusText says an event's STATUS where it is news: not CONFIRMED,
// and not CANCELLED in a cancellation, which the heading says.
func statusText(status, method string) string {
	switch status {
	case "", "CONFIRMED":
		return ""
	case "CANCELLED":
		if method == "CANCEL" {
			return ""
		}
		return "取消 / cancelled"
	case "TENTATIVE":
		return "仮 / tentative"
	}
	return strings.ToLower(status)
}

// partStatText says an attendee's answer (RFC 5545 3.2.12).
func partStatText(ps string) string {
	switch ps {
	case "ACCEPTED":
		return "承諾 / accepted"
	case "DECLINED":
		return "辞退 / declined"
	case "TENTATIVE":
		return "仮承諾 / tentative"
	case "DELEGATED":
		return "委任 / delegated"
	case "NEEDS-ACTION":
		return "未回答 / no answer yet"
	}
	return strings.ToLower(ps)
}

// showAddress shows a calendar user as "name <address>", or either.
func showAddress(a calendar.Address) string {
	switch {
	case a.Name == "" || a.Name == a.Addr:
		return a.Addr
	case a.Addr == "":
		return a.Name
	}
	return a.Name + " <" + a.Addr + ">"
}
