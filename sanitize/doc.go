// Package sanitize rebuilds an internet mail message into a harmless one
// for the LGWAN side (無害化): it walks the original's MIME structure with
// its own bounded walker on go-message, decodes every text to UTF-8,
// chooses and converts the body, cuts encoded files out of it, neutralises
// links, classifies every attachment and keeps only what the policy
// allows (a calendar file never, but its events are written into the
// text), then writes a new 7-bit message from the decoded content with a
// notice and X-Mugai-* result fields, and returns a report of every part.
// No byte range of the original structure is ever copied to the output.
// It knows nothing of SMTP, spools or quarantine: it reads an io.ReaderAt,
// writes an io.Writer, and touches the disk only for spill files of large
// parts in Options.TempDir.
package sanitize
