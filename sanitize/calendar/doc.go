// Package calendar reads what a reader of an invitation needs out of an
// iCalendar object (RFC 5545): its METHOD (a request, a cancellation, a
// reply) and, for each VEVENT, the summary, start and end (or duration),
// place, organiser, status and whether it repeats. Read is the one entry
// point; it unfolds lines at the octet level, parses parameters (quoted
// values, RFC 6868 caret escapes) and unescapes TEXT values, decodes each
// line in the charset the MIME part declares (iCalendar is UTF-8; a label
// that the line's bytes contradict is overruled), and is bounded in
// everything: input read, line length, events, component nesting, the
// length of each value kept. Values come back on one line each, their
// line breaks and control characters turned into spaces.
//
// It deliberately does not expand recurrence rules, resolve time zones
// (a TZID time is kept as written, with its label), decode inline
// attachments or read DESCRIPTION, alarms, to-dos or free/busy data, and
// it neutralises nothing: its result is text for the sanitiser's text
// pipeline, which cleans it and defangs its links like any body text.
package calendar
