package spool

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"mugai/gateway/seglog"
)

// runWriters runs fn b.N times spread over w goroutines and reports
// records/s; it returns the rate.
func runWriters(b *testing.B, w int, fn func() error) float64 {
	var n atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Value
	b.ResetTimer()
	start := time.Now()
	for range w {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n.Add(1) <= int64(b.N) {
				if err := fn(); err != nil {
					failed.Store(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	b.StopTimer()
	if err := failed.Load(); err != nil {
		b.Fatal(err)
	}
	rate := float64(b.N) / el.Seconds()
	b.ReportMetric(rate, "records/s")
	return rate
}

// filePerMessage is the baseline the segment log replaces: one file per
// message, written to a temporary name, fsynced, renamed into place, and
// the directory fsynced so the name is durable too.
type filePerMessage struct {
	dir string
	ids seglog.IDSource
}

func (f *filePerMessage) put(env Envelope, body []byte) error {
	meta, err := json.Marshal(env)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(f.dir, ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(append(meta, '\n'), body...)); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), filepath.Join(f.dir, f.ids.New(time.Now()))); err != nil {
		return err
	}
	d, err := os.Open(f.dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// BenchmarkPut measures durable Puts of 2 KiB bodies at 1, 8 and 32
// concurrent writers, against a file-per-message baseline in the same run.
// "x-file" is the spool's records/s divided by the baseline's.
func BenchmarkPut(b *testing.B) {
	body := bytes.Repeat([]byte("0123456789abcdef"), 128) // 2 KiB
	e := env("user@lgwan.example")
	for _, w := range []int{1, 8, 32} {
		var fileRate float64
		b.Run(fmt.Sprintf("store=file/writers=%d", w), func(b *testing.B) {
			f := &filePerMessage{dir: b.TempDir()}
			fileRate = runWriters(b, w, func() error { return f.put(e, body) })
			b.ReportMetric(2, "fsyncs/record")
		})
		b.Run(fmt.Sprintf("store=seglog/writers=%d", w), func(b *testing.B) {
			s := openSpool(b, b.TempDir(), Options{})
			defer s.Close()
			before := s.LogStats()
			rate := runWriters(b, w, func() error {
				_, err := s.Put(e, bytes.NewReader(body), int64(len(body)))
				return err
			})
			after := s.LogStats()
			b.ReportMetric(float64(after.Syncs-before.Syncs)/float64(b.N), "fsyncs/record")
			if fileRate > 0 {
				b.ReportMetric(rate/fileRate, "x-file")
			}
		})
	}
}
