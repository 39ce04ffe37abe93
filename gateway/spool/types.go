package spool

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// Envelope is what the SMTP session learned about a message.
type Envelope struct {
	Route, From  string
	To           []string
	ClientAddr   string
	Helo         string
	TLS          bool
	Received     time.Time
	Policy       string
	QuarantineID string
	// Released: an administrator released it from quarantine (mugai
	// quarantine release); its sender did not send this delivery.
	Released bool
	// Untouched: a released original as it came, not sanitised again
	// (release -original); delivery checks again that the configuration
	// in force lets it go where it is queued.
	Untouched bool
}

// State is the delivery state of one recipient.
type State uint8

const (
	// Pending: not tried yet, due now.
	Pending State = iota
	// Deferred: a temporary failure; due again at NextAttempt.
	Deferred
	// Done: accepted by the next hop.
	Done
	// Failed: rejected for good or expired.
	Failed
)

func (s State) String() string {
	switch s {
	case Pending:
		return "pending"
	case Deferred:
		return "deferred"
	case Done:
		return "done"
	case Failed:
		return "failed"
	}
	return fmt.Sprintf("state(%d)", uint8(s))
}

// Recipient is one envelope recipient and where its delivery stands.
type Recipient struct {
	Addr        string
	State       State
	Attempts    int
	NextAttempt time.Time
	LastError   string
	// Requeued is when an administrator put the recipient back after it
	// had failed (Spool.Requeue); its retry lifetime counts from then.
	Requeued time.Time
	// RequeuedAttempts is Attempts when it was put back: retries start
	// their backoff again from there.
	RequeuedAttempts int
	// FailedAt is when the recipient failed for good (zero while it has
	// not, and in spools written before it was kept).
	FailedAt time.Time
}

// Retries is the number of attempts since the recipient was queued or
// last requeued, which the backoff follows.
func (r Recipient) Retries() int { return r.Attempts - r.RequeuedAttempts }

// Message is a spooled message without its body (see Spool.Body).
type Message struct {
	ID      string
	Env     Envelope
	Rcpts   []Recipient
	Size    int64 // body bytes
	Created time.Time
}

func (m Message) clone() Message {
	m.Env.To = append([]string(nil), m.Env.To...)
	m.Rcpts = append([]Recipient(nil), m.Rcpts...)
	return m
}

// Record types in the log.
const (
	recMessage uint8 = 1 // envelope, recipient states and body
	recState   uint8 = 2 // the full recipient list after a delivery attempt
	recDelete  uint8 = 3 // tombstone
)

// The on-disk forms have their own field names so the Go types can change
// without breaking spools written by an earlier version.
type diskEnvelope struct {
	Route        string    `json:"route,omitempty"`
	From         string    `json:"from"`
	To           []string  `json:"to"`
	ClientAddr   string    `json:"client,omitempty"`
	Helo         string    `json:"helo,omitempty"`
	TLS          bool      `json:"tls,omitempty"`
	Received     time.Time `json:"received,omitzero"`
	Policy       string    `json:"policy,omitempty"`
	QuarantineID string    `json:"qid,omitempty"`
	Released     bool      `json:"released,omitempty"`
	Untouched    bool      `json:"untouched,omitempty"`
}

type diskRecipient struct {
	Addr             string    `json:"addr"`
	State            State     `json:"state"`
	Attempts         int       `json:"attempts,omitempty"`
	NextAttempt      time.Time `json:"next,omitzero"`
	LastError        string    `json:"err,omitempty"`
	Requeued         time.Time `json:"requeued,omitzero"`
	RequeuedAttempts int       `json:"rqattempts,omitempty"`
	FailedAt         time.Time `json:"failed,omitzero"`
}

type diskMeta struct {
	V       int             `json:"v"`
	Env     diskEnvelope    `json:"env"`
	Rcpts   []diskRecipient `json:"rcpts"`
	Size    int64           `json:"size"`
	Created time.Time       `json:"created"`
}

type diskState struct {
	Rcpts []diskRecipient `json:"rcpts"`
}

const metaVersion = 1

// maxMeta bounds the envelope part of a message record read at recovery.
const maxMeta = 16 << 20

func toDiskRcpts(rs []Recipient) []diskRecipient {
	out := make([]diskRecipient, len(rs))
	for i, r := range rs {
		out[i] = diskRecipient(r)
	}
	return out
}

func fromDiskRcpts(rs []diskRecipient) []Recipient {
	out := make([]Recipient, len(rs))
	for i, r := range rs {
		out[i] = Recipient(r)
	}
	return out
}

// encodeMeta returns the prefix of a message record: a 4-byte length and
// the JSON envelope and recipient states. The body follows it.
func encodeMeta(m Message) ([]byte, error) {
	dm := diskMeta{V: metaVersion, Env: diskEnvelope(m.Env), Rcpts: toDiskRcpts(m.Rcpts), Size: m.Size, Created: m.Created}
	j, err := json.Marshal(dm)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 4, 4+len(j))
	binary.LittleEndian.PutUint32(out, uint32(len(j)))
	return append(out, j...), nil
}

// decodeMeta reads the prefix of a message record; bodyOff is where the
// body starts in the payload.
func decodeMeta(p io.ReaderAt, payloadSize int64) (m Message, bodyOff int64, err error) {
	var lb [4]byte
	if _, err := p.ReadAt(lb[:], 0); err != nil {
		return m, 0, fmt.Errorf("read envelope length: %w", err)
	}
	n := int64(binary.LittleEndian.Uint32(lb[:]))
	if n > maxMeta || 4+n > payloadSize {
		return m, 0, errors.New("envelope length out of range")
	}
	j := make([]byte, n)
	if _, err := p.ReadAt(j, 4); err != nil {
		return m, 0, fmt.Errorf("read envelope: %w", err)
	}
	var dm diskMeta
	if err := json.Unmarshal(j, &dm); err != nil {
		return m, 0, fmt.Errorf("decode envelope: %w", err)
	}
	if dm.V != metaVersion {
		return m, 0, fmt.Errorf("envelope version %d, want %d", dm.V, metaVersion)
	}
	bodyOff = 4 + n
	if dm.Size != payloadSize-bodyOff {
		return m, 0, fmt.Errorf("body is %d bytes, envelope says %d", payloadSize-bodyOff, dm.Size)
	}
	m = Message{Env: Envelope(dm.Env), Rcpts: fromDiskRcpts(dm.Rcpts), Size: dm.Size, Created: dm.Created}
	if err := checkRcpts(m.Rcpts); err != nil {
		return m, 0, err
	}
	return m, bodyOff, nil
}

func checkRcpts(rs []Recipient) error {
	if len(rs) == 0 {
		return errors.New("no recipients")
	}
	for _, r := range rs {
		if r.State > Failed {
			return fmt.Errorf("recipient %s: invalid state %d", r.Addr, r.State)
		}
		if r.Attempts < 0 || r.RequeuedAttempts < 0 || r.RequeuedAttempts > r.Attempts {
			return fmt.Errorf("recipient %s: invalid attempt counts %d, %d", r.Addr, r.Attempts, r.RequeuedAttempts)
		}
	}
	return nil
}

// outcome of a recipient list as a whole.
type outcome int

const (
	open     outcome = iota // something left to deliver
	finished                // every recipient done
	failed                  // every recipient done or failed, some failed
)

func outcomeOf(rs []Recipient) outcome {
	o := finished
	for _, r := range rs {
		switch r.State {
		case Pending, Deferred:
			return open
		case Failed:
			o = failed
		}
	}
	return o
}

// dueTime is when a message next needs a delivery attempt: pending
// recipients are due since the message was created (oldest first),
// deferred ones at their next attempt.
func dueTime(m *Message) (time.Time, bool) {
	var t time.Time
	ok := false
	for _, r := range m.Rcpts {
		var d time.Time
		switch r.State {
		case Pending:
			d = m.Created
		case Deferred:
			d = r.NextAttempt
		default:
			continue
		}
		if !ok || d.Before(t) {
			t, ok = d, true
		}
	}
	return t, ok
}
