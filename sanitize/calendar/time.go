package calendar

import (
	"strconv"
	"strings"
	"time"
)

// parseDateTime reads a DATE (YYYYMMDD) or DATE-TIME (YYYYMMDDTHHMMSS,
// with "Z" for UTC) value, RFC 5545 3.3.4 and 3.3.5, with its TZID
// parameter. The VALUE parameter is not needed: the form tells.
func parseDateTime(value, tzid string) DateTime {
	v := strings.TrimSpace(value)
	switch {
	case v == "":
		return DateTime{}
	case len(v) == 8:
		if t, ok := makeTime(v, "000000"); ok {
			return DateTime{Kind: Date, Time: t}
		}
	case len(v) == 15 && (v[8] == 'T' || v[8] == 't'):
		if t, ok := makeTime(v[:8], v[9:]); ok {
			if tz := oneLine(tzid, 64); tz != "" {
				return DateTime{Kind: Zoned, Time: t, TZID: tz}
			}
			return DateTime{Kind: Floating, Time: t}
		}
	case len(v) == 16 && (v[8] == 'T' || v[8] == 't') && (v[15] == 'Z' || v[15] == 'z'):
		// A TZID beside a UTC time is an error (RFC 5545 3.2.19); the
		// "Z" is what every client goes by.
		if t, ok := makeTime(v[:8], v[9:15]); ok {
			return DateTime{Kind: UTC, Time: t}
		}
	}
	return DateTime{Kind: Invalid, Raw: oneLine(v, 40)}
}

// makeTime makes the time of YYYYMMDD and HHMMSS, in time.UTC, if they
// are digits naming a real date and time (a leap second is :59).
func makeTime(date, clock string) (time.Time, bool) {
	if !digits(date) || !digits(clock) {
		return time.Time{}, false
	}
	n := func(s string) int { i, _ := strconv.Atoi(s); return i }
	y, mo, d := n(date[:4]), n(date[4:6]), n(date[6:8])
	h, mi, s := n(clock[:2]), n(clock[2:4]), n(clock[4:6])
	if mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60 {
		return time.Time{}, false
	}
	s = min(s, 59)
	t := time.Date(y, time.Month(mo), d, h, mi, s, 0, time.UTC)
	if t.Day() != d { // 31 February
		return time.Time{}, false
	}
	return t, true
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// parseDuration reads a DURATION value (RFC 5545 3.3.6) such as P1D,
// PT1H30M, P2W or P1DT12H: its days (weeks as seven) and the seconds of
// its time part. A negative duration, or one over a hundred years, is
// not an event's.
func parseDuration(v string) (days, secs int, ok bool) {
	v = strings.TrimPrefix(v, "+")
	if len(v) < 3 || v[0] != 'P' && v[0] != 'p' {
		return 0, 0, false
	}
	v = v[1:]
	inTime, any := false, false
	for len(v) > 0 {
		if v[0] == 'T' || v[0] == 't' {
			if inTime {
				return 0, 0, false
			}
			inTime, v = true, v[1:]
			continue
		}
		j, n := 0, 0
		for j < len(v) && v[j] >= '0' && v[j] <= '9' {
			n = n*10 + int(v[j]-'0')
			j++
			if n > 1e7 {
				return 0, 0, false
			}
		}
		if j == 0 || j == len(v) {
			return 0, 0, false
		}
		switch u := v[j] &^ 0x20; {
		case !inTime && u == 'W':
			days += 7 * n
		case !inTime && u == 'D':
			days += n
		case inTime && u == 'H':
			secs += 3600 * n
		case inTime && u == 'M':
			secs += 60 * n
		case inTime && u == 'S':
			secs += n
		default:
			return 0, 0, false
		}
		if days > 36525 || secs > 36525*86400 {
			return 0, 0, false
		}
		any, v = true, v[j+1:]
	}
	return days, secs, any
}

// allDay labels a date, an event of whole days.
const allDay = "終日 / all day"

// to stands between a start and an end. The full-width tilde is how
// Japanese writes a span, and ISO-2022-JP has it (an en dash it has not).
const to = "～"

// When tells when the event is, for a reader: dates as 2024-12-05,
// times as 14:00 (14:00:30 where the seconds are not zero), the end's
// date left out where it is the start's.
//
//   - A date is an all-day event: "2024-12-05 (終日 / all day)", over
//     days "2024-12-05～2024-12-07 (終日 / all day)" (DTEND is the day
//     after the last, RFC 5545 3.6.1).
//   - A UTC time is shown in loc, with the zone's abbreviation and
//     offset: "2024-12-14 09:00～12:00 (JST, UTC+09:00)".
//   - A TZID time is shown as written, with its TZID:
//     "2024-12-05 14:00～16:00 (Tokyo Standard Time)". The zone is not
//     resolved: its name is all the reader needs to know the time.
//   - A floating time is shown as written, without a zone.
//   - A value that is no date is shown as written.
//
// A start and an end in different zones, or of different forms, are
// shown each with its own.
func (e *Event) When(loc *time.Location) string {
	s, en := e.Start, e.End
	switch {
	case s.Kind == None:
		return ""
	case s.Kind == Date:
		d := s.Time.Format(time.DateOnly)
		switch en.Kind {
		case Date:
			if last := en.Time.AddDate(0, 0, -1); last.After(s.Time) {
				return d + to + last.Format(time.DateOnly) + " (" + allDay + ")"
			}
			return d + " (" + allDay + ")"
		case None:
			return d + " (" + allDay + ")"
		}
		return d + " (" + allDay + ")" + to + en.point(loc)
	case en.Kind == None:
		return s.point(loc)
	}
	sd, sc, sz := s.parts(loc)
	ed, ec, ez := en.parts(loc)
	if s.Kind == Invalid || en.Kind == Invalid || en.Kind == Date || sz != ez {
		return s.point(loc) + to + en.point(loc)
	}
	if sd == ed {
		return sd + " " + sc + to + ec + zoneSuffix(sz)
	}
	return sd + " " + sc + to + ed + " " + ec + zoneSuffix(sz)
}

// parts are a value's date, time of day and zone label as shown.
func (d DateTime) parts(loc *time.Location) (date, clock, zone string) {
	switch d.Kind {
	case Invalid:
		return d.Raw, "", ""
	case Date:
		return d.Time.Format(time.DateOnly), "", allDay
	case UTC:
		t := d.Time.In(loc)
		return t.Format(time.DateOnly), clockOf(t), zoneLabel(t)
	case Zoned:
		return d.Time.Format(time.DateOnly), clockOf(d.Time), d.TZID
	case Floating:
		return d.Time.Format(time.DateOnly), clockOf(d.Time), ""
	}
	return "", "", ""
}

// point is a value shown alone.
func (d DateTime) point(loc *time.Location) string {
	date, clock, zone := d.parts(loc)
	if clock != "" {
		date += " " + clock
	}
	return date + zoneSuffix(zone)
}

func zoneSuffix(z string) string {
	if z == "" {
		return ""
	}
	return " (" + z + ")"
}

func clockOf(t time.Time) string {
	if t.Second() != 0 {
		return t.Format("15:04:05")
	}
	return t.Format("15:04")
}

// zoneLabel names the zone of t: "UTC", "UTC+09:00", or an abbreviation
// with its offset, "JST, UTC+09:00".
func zoneLabel(t time.Time) string {
	name, off := t.Zone()
	sign := "+"
	if off < 0 {
		sign, off = "-", -off
	}
	offset := "UTC" + sign + twoDigits(off/3600) + ":" + twoDigits(off%3600/60)
	switch {
	case off == 0 && (name == "UTC" || name == "GMT" || name == ""):
		return "UTC"
	case name == "" || name[0] == '+' || name[0] == '-':
		return offset
	}
	return name + ", " + offset
}

func twoDigits(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}
