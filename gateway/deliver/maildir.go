package deliver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// maildirConn delivers into one Maildir (https://cr.yp.to/proto/maildir.html):
// the message is written to tmp/, fsynced, renamed into new/, and new/ is
// fsynced so that the rename survives a crash before we report 250. Every
// recipient shares the one file: a Maildir next hop is a single mailbox
// (or a directory another program collects from).
type maildirConn struct {
	dir      string
	hostname string // as it goes into file names
}

func openMaildir(dir, hostname string) (*maildirConn, error) {
	if dir == "" {
		return nil, fmt.Errorf("deliver: maildir: no directory")
	}
	for _, sub := range []string{"cur", "new", "tmp"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			return nil, fmt.Errorf("deliver: maildir %s: %w", dir, err)
		}
	}
	// The host part of a name may not contain "/" or ":" (":" starts the
	// info suffix in cur/); the spec escapes them in octal.
	h := strings.NewReplacer("/", `\057`, ":", `\072`).Replace(hostname)
	return &maildirConn{dir: dir, hostname: h}, nil
}

// uniqueName is "seconds.MmicrosecondsPpidRrandom.host": unique across
// processes (pid), restarts within a second (microseconds) and hosts
// sharing the directory, with 64 random bits against pid reuse.
func (m *maildirConn) uniqueName(now time.Time) (string, error) {
	var rnd [8]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return "", err
	}
	return fmt.Sprintf("%d.M%06dP%dR%s.%s", now.Unix(), now.Nanosecond()/1000, os.Getpid(), hex.EncodeToString(rnd[:]), m.hostname), nil
}

// Send writes body byte for byte; from and rcpts only label the results.
func (m *maildirConn) Send(ctx context.Context, from string, rcpts []string, body io.Reader) ([]Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("deliver: maildir %s: %w", m.dir, err)
	}
	if len(rcpts) == 0 {
		return []Result{}, nil
	}
	name, err := m.write(ctx, body)
	if err != nil {
		return nil, fmt.Errorf("deliver: maildir %s: %w", m.dir, err)
	}
	results := make([]Result, len(rcpts))
	for i, r := range rcpts {
		results[i] = Result{Rcpt: r, Code: 250, Enhanced: "2.0.0", Text: "delivered to maildir as " + name}
	}
	return results, nil
}

func (m *maildirConn) write(ctx context.Context, body io.Reader) (name string, err error) {
	name, err = m.uniqueName(time.Now())
	if err != nil {
		return "", err
	}
	tmp := filepath.Join(m.dir, "tmp", name)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	br := &errReader{r: body}
	if _, err = io.Copy(f, ctxReader{ctx, br}); err != nil {
		if br.err != nil {
			return "", fmt.Errorf("%w: %w", ErrReadingMessage, br.err)
		}
		return "", err
	}
	if err = f.Sync(); err != nil {
		return "", err
	}
	if err = f.Close(); err != nil {
		return "", err
	}
	if err = os.Rename(tmp, filepath.Join(m.dir, "new", name)); err != nil {
		return "", err
	}
	// The rename is durable only once the directory is.
	d, err := os.Open(filepath.Join(m.dir, "new"))
	if err != nil {
		return "", err
	}
	defer d.Close()
	if err = d.Sync(); err != nil {
		return "", err
	}
	return name, nil
}

// Close has nothing to close for a Maildir.
func (m *maildirConn) Close() error { return nil }

// ctxReader stops a long copy when ctx ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
