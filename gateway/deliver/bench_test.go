package deliver

import (
	"bytes"
	"context"
	"testing"
)

// BenchmarkSend compares one kept connection against a new connection per
// message, to an in-process go-smtp sink on loopback, 2 KiB messages with
// two recipients (the figure behind connection reuse in issue 5).
func BenchmarkSend(b *testing.B) {
	body := bytes.Repeat([]byte("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd\r\n"), 32)
	body = append([]byte("From: <a@example.org>\r\nTo: <b@city.example.lg.jp>\r\nSubject: bench\r\n\r\n"), body...)
	rcpts := []string{"u1@city.example.lg.jp", "u2@city.example.lg.jp"}
	ctx := context.Background()
	for _, mode := range []string{"reuse", "dial-per-message"} {
		b.Run(mode, func(b *testing.B) {
			srv := startServer(b, withDiscard())
			h := hop("smtp", srv.addr, "none")
			d := Dialer{MaxMessages: -1}
			var c Conn
			if mode == "reuse" {
				var err error
				if c, err = d.Dial(ctx, h, ourHost); err != nil {
					b.Fatal(err)
				}
				defer c.Close()
			}
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if mode != "reuse" {
					var err error
					if c, err = d.Dial(ctx, h, ourHost); err != nil {
						b.Fatal(err)
					}
				}
				res, err := c.Send(ctx, "s@example.org", rcpts, bytes.NewReader(body))
				if err != nil || !res[0].OK() || !res[1].OK() {
					b.Fatal(err, res)
				}
				if mode != "reuse" {
					c.Close()
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
			if got := srv.count.Load(); got < int64(b.N) {
				b.Fatalf("sink counted %d of %d messages", got, b.N)
			}
		})
	}
}
