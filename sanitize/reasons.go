package sanitize

// ReasonAlternative is the Reason of a multipart/alternative
// representation that was not chosen as the body: it is dropped, but it
// is not an attachment that was removed, and callers counting removed
// attachments skip it.
const ReasonAlternative = "alternative representation not chosen"

// Removed reports whether p is an attachment the reader does not get.
func (p Part) Removed() bool {
	return (p.Decision == DecisionStrip || p.Decision == DecisionReject) && p.Reason != ReasonAlternative
}
