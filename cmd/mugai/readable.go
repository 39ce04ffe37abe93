package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"
)

// transportFields are the header fields of the rebuilt message that say
// how it is encoded, not what it says: the readable form leaves them out.
var transportFields = map[string]bool{"Mime-Version": true, "Content-Type": true, "Content-Transfer-Encoding": true}

// writeReadable writes a rebuilt message as a reader's mail client shows
// it, for an admin at a terminal: the header fields decoded (encoded
// words to UTF-8), the text (base64 or quoted-printable, UTF-8 or
// ISO-2022-JP, decoded) with the notice, and a line for each attachment
// kept. Lines end in "\n".
func writeReadable(w io.Writer, r io.Reader) error {
	mr, err := mail.CreateReader(r)
	if err != nil && !message.IsUnknownCharset(err) {
		return fmt.Errorf("read the rebuilt message: %w", err)
	}
	defer mr.Close()
	bw := bufio.NewWriter(w)
	fields := mr.Header.Fields()
	for fields.Next() {
		if transportFields[fields.Key()] {
			continue
		}
		v, err := fields.Text()
		if err != nil {
			v = fields.Value() // as written: the sanitiser writes UTF-8 words only
		}
		fmt.Fprintf(bw, "%s: %s\n", fields.Key(), v)
	}
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil && !message.IsUnknownCharset(err) {
			return fmt.Errorf("read the rebuilt message: %w", err)
		}
		switch h := p.Header.(type) {
		case *mail.InlineHeader:
			bw.WriteString("\n")
			text, err := io.ReadAll(p.Body)
			if err != nil {
				return fmt.Errorf("read the rebuilt message's text: %w", err)
			}
			bw.WriteString(strings.ReplaceAll(string(text), "\r\n", "\n"))
		case *mail.AttachmentHeader:
			name, _ := h.Filename()
			t, _, _ := h.ContentType()
			n, err := io.Copy(io.Discard, p.Body)
			if err != nil {
				return fmt.Errorf("read the rebuilt message's attachment %q: %w", name, err)
			}
			fmt.Fprintf(bw, "\n[添付ファイル / attachment: %s (%s, %d bytes)]\n", name, t, n)
		}
	}
	return bw.Flush()
}
