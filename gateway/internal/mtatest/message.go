package mtatest

import (
	"bytes"
	"strings"
)

// Message is one message as a server in this package stored it.
type Message struct {
	// File is the file the message was read from.
	File string
	// From is the envelope sender: smtp-sink's MAIL FROM address, or the
	// Return-Path that Postfix's virtual delivery adds. "" for <>.
	From string
	// To holds the envelope recipients: smtp-sink's RCPT TO addresses, or
	// Postfix's Delivered-To (one per file).
	To []string
	// MessageID is the Message-ID header field, angle brackets included,
	// "" when there is none.
	MessageID string
	// Data is the message, header and body. For smtp-sink it is what the
	// client sent after DATA, unstuffed, with smtp-sink's own trace header
	// lines removed and every CR dropped (smtp-sink writes LF line ends and
	// drops bare CRs too). For a Maildir it is the file as Postfix wrote it
	// (LF line ends, with Return-Path and Delivered-To on top).
	Data []byte
}

// Header returns the values of every header field called name (case
// insensitive), unfolded, in order. Only the message header is searched.
func (m Message) Header(name string) []string {
	var out []string
	for _, f := range headerFields(m.Data) {
		if strings.EqualFold(f[0], name) {
			out = append(out, f[1])
		}
	}
	return out
}

// headerFields parses a header leniently into name/value pairs: unlike
// net/mail it does not give up on a malformed line (tests feed hostile
// messages through), it skips it. Values are unfolded and trimmed.
func headerFields(data []byte) [][2]string {
	var fields [][2]string
	for len(data) > 0 {
		line, rest, _ := bytes.Cut(data, []byte("\n"))
		data = rest
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) == 0 {
			break // end of header
		}
		if line[0] == ' ' || line[0] == '\t' {
			if n := len(fields); n > 0 {
				fields[n-1][1] += " " + strings.TrimSpace(string(line))
			}
			continue
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		fields = append(fields, [2]string{strings.TrimSpace(string(name)), strings.TrimSpace(string(value))})
	}
	return fields
}

// firstHeader returns the first value of a header field, or "".
func firstHeader(data []byte, name string) string {
	for _, f := range headerFields(data) {
		if strings.EqualFold(f[0], name) {
			return f[1]
		}
	}
	return ""
}

// angleAddr extracts the address from "<a@b> PARAM=..." (an SMTP MAIL or
// RCPT argument) or from a bare "a@b".
func angleAddr(arg string) string {
	arg = strings.TrimSpace(arg)
	if strings.HasPrefix(arg, "<") {
		if i := strings.IndexByte(arg, '>'); i > 0 {
			return arg[1:i]
		}
	}
	if i := strings.IndexAny(arg, " \t"); i >= 0 {
		arg = arg[:i]
	}
	return arg
}
