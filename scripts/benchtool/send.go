package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/emersion/go-smtp"
)

// runSend sends one message file over many SMTP sessions that are truly
// concurrent: every session streams its copy of the file from disk at
// the same time as the others. smtp-source cannot do that for big
// messages: it is one process that writes a whole message body with
// blocking writes, so its sessions transfer their DATA one after
// another (see "XXX This may cause the process to block" in
// smtp-source.c), while the sessions waiting their turn send nothing.
func runSend(args []string, _ io.Writer) error {
	fs := newFlags("send")
	addr := fs.String("addr", "", "HOST:PORT of the relay")
	sessions := fs.Int("s", 1, "concurrent sessions, each sending one message")
	from := fs.String("f", hdrFrom, "envelope sender")
	to := fs.String("t", hdrTo, "envelope recipient")
	file := fs.String("F", "", "message file (LF line ends; sent as CRLF, dot-stuffed)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *addr == "" || *file == "" || *sessions < 1 {
		return fmt.Errorf("need -addr, -F and -s ≥ 1")
	}
	f, err := os.Open(*file)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	errs := make([]error, *sessions)
	var wg sync.WaitGroup
	for i := range *sessions {
		wg.Go(func() {
			errs[i] = sendOne(*addr, *from, *to, io.NewSectionReader(f, 0, st.Size()))
			if errs[i] != nil {
				errs[i] = fmt.Errorf("session %d: %w", i+1, errs[i])
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

func sendOne(addr, from, to string, msg io.Reader) error {
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Hello("bench.example.jp"); err != nil {
		return err
	}
	if err := c.Mail(from, nil); err != nil {
		return err
	}
	if err := c.Rcpt(to, nil); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, msg); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}
