package sanitize

import (
	"fmt"
	"io"
	"runtime/debug"
	"strings"
	"time"

	_ "github.com/emersion/go-message/charset" // every charset x/text knows

	"mugai/config"
	"mugai/sanitize/filetype"
)

// Options are the inputs of Message besides the original.
type Options struct {
	Policy config.Policy
	// Prepared, when set, is the policy made ready by Prepare, and
	// Policy is not read: the gateway prepares each policy once per
	// configuration instead of for every message.
	Prepared   *Prepared
	PolicyName string
	OriginalID string // quarantine id for the notice and X-Mugai-Original-Id (optional)
	TempDir    string // where large decoded parts spill; "" → memory only
	// Received is when the gateway received the message: the Date of a
	// rebuilt message whose original has no usable one (RFC 5322 3.6
	// requires it). Zero: the time Message runs.
	Received time.Time
	// QueueID is the gateway's id for the rebuilt message, and with
	// Hostname (the route's) makes the Message-ID of one whose original
	// has none: "<mugai.QUEUEID@HOSTNAME>", an id an operator can look
	// up. Without a QueueID the OriginalID is used, without either a
	// random one; a Hostname that is "" or no ASCII domain gives way to
	// "mugai.invalid".
	QueueID  string
	Hostname string
	// Sender is the envelope sender (MAIL FROM; "" for the null sender
	// or none known): the From of a rebuilt message whose original has
	// no usable one, where it passes the checks a From address does.
	// Otherwise "undisclosed-sender@mugai.invalid" is written.
	Sender string
}

// Report says what Message did. It feeds the audit log, the metrics, the
// quarantine listing and `mugai sanitize -report`.
type Report struct {
	Verdict   string    `json:"verdict"`          // "rebuilt" | "rejected"
	Reason    string    `json:"reason,omitempty"` // short, safe to show a sending server
	Policy    string    `json:"policy"`
	Subject   string    `json:"subject,omitempty"` // decoded, for audit and quarantine listing
	From      string    `json:"from,omitempty"`
	MessageID string    `json:"message_id,omitempty"`
	Actions   []string  `json:"actions"` // html-to-text, links-defanged, attachment-stripped, ambiguous, ...
	Parts     []Part    `json:"parts"`
	Findings  []Finding `json:"findings"`
	// Removed counts the attachments (and encoded blocks) not delivered.
	Removed int `json:"removed"`
	// Kept counts the attachments delivered.
	Kept int `json:"kept"`
}

// Part is one leaf of the original's MIME tree (or a file cut out of body
// text), with what was decided for it.
type Part struct {
	Path         string `json:"path"` // IMAP-style: 1, 1.2, 2.1; "1#uuencode-1" for a block in text
	DeclaredType string `json:"declared_type,omitempty"`
	SniffedType  string `json:"sniffed_type,omitempty"`
	Class        string `json:"class,omitempty"`
	Filename     string `json:"filename,omitempty"`
	Size         int64  `json:"size"`
	SHA256       string `json:"sha256,omitempty"`
	Decision     string `json:"decision"` // body, keep, strip, reject
	Reason       string `json:"reason,omitempty"`
}

// Finding is something noticed about the original: an ambiguity, a
// charset problem, a limit hit, a panic caught.
type Finding struct {
	Path   string `json:"path,omitempty"`
	Kind   string `json:"kind"`
	Detail string `json:"detail,omitempty"`
}

// Verdicts.
const (
	Rebuilt  = "rebuilt"
	Rejected = "rejected"
)

// Decisions.
const (
	DecisionBody   = "body"
	DecisionKeep   = "keep"
	DecisionStrip  = "strip"
	DecisionReject = "reject"
)

// Message reads the original message (size bytes of r) and writes a new,
// harmless message built from its decoded content to w, following
// opt.Policy. The error is only for I/O failures (reading r, writing w,
// temporary files). A policy rejection is a Report with Verdict "rejected"
// and a Reason; the caller then discards whatever w received. A panic
// inside is recovered into such a rejection with a "panic" finding.
func Message(w io.Writer, r io.ReaderAt, size int64, opt Options) (rep *Report, err error) {
	rep = &Report{Policy: opt.PolicyName, Actions: []string{}, Parts: []Part{}, Findings: []Finding{}}
	defer func() {
		if p := recover(); p != nil {
			rep.Verdict = Rejected
			rep.Reason = "message could not be sanitised"
			rep.Findings = append(rep.Findings, Finding{Kind: "panic", Detail: truncate(fmt.Sprint(p), 200) + " " + panicSite(debug.Stack())})
			err = nil
		}
		rep.escapeInvisible()
	}()
	s := newSanitizer(opt, rep)
	defer s.close()
	if err := s.walk(r, size); err != nil {
		return rep, err
	}
	s.finish()
	if s.writeErr != nil {
		return rep, fmt.Errorf("sanitize: %w", s.writeErr)
	}
	if rep.Verdict == Rejected {
		s.truncatedFinding()
		return rep, nil
	}
	err = s.build(w)
	s.truncatedFinding()
	if err != nil {
		return rep, err
	}
	rep.Verdict = Rebuilt
	return rep, nil
}

// escapeInvisible writes the invisible characters of the strings the
// report took from the original (declared types, filenames, details) as
// escapes, for whoever reads the report, the audit log or the quarantine
// listing in a terminal: a right-to-left override shows as \u202E. Subject
// and From are cleaned text already, as the rebuilt header has them.
func (rep *Report) escapeInvisible() {
	rep.Reason = filetype.Visible(rep.Reason)
	for i := range rep.Parts {
		p := &rep.Parts[i]
		p.DeclaredType, p.SniffedType = filetype.Visible(p.DeclaredType), filetype.Visible(p.SniffedType)
		p.Filename, p.Reason = filetype.Visible(p.Filename), filetype.Visible(p.Reason)
	}
	for i := range rep.Findings {
		rep.Findings[i].Detail = filetype.Visible(rep.Findings[i].Detail)
	}
}

// panicSite picks the first frame of our own code out of a stack trace.
func panicSite(stack []byte) string {
	for _, l := range strings.Split(string(stack), "\n") {
		l = strings.TrimSpace(l)
		if strings.Contains(l, "/sanitize/") && strings.Contains(l, ".go:") && !strings.Contains(l, "sanitize.go") {
			if i := strings.LastIndex(l, "/"); i >= 0 {
				l = l[i+1:]
			}
			if i := strings.Index(l, " +0x"); i >= 0 {
				l = l[:i]
			}
			return "at " + l
		}
	}
	return ""
}
