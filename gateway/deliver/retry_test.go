package deliver

import (
	"math/rand/v2"
	"testing"
	"time"
)

func TestBackoffWithoutJitter(t *testing.T) {
	tests := []struct {
		attempt int
		want    time.Duration
	}{
		{-1, 5 * time.Minute},
		{0, 5 * time.Minute},
		{1, 5 * time.Minute},
		{2, 10 * time.Minute},
		{3, 20 * time.Minute},
		{4, 40 * time.Minute},
		{5, 4000 * time.Second}, // 80m capped at ~67m
		{6, 4000 * time.Second},
		{1000, 4000 * time.Second},
	}
	for _, tt := range tests {
		if got := Backoff(tt.attempt, DefaultRetryInitial, DefaultRetryMax, nil); got != tt.want {
			t.Errorf("Backoff(%d) = %v, want %v", tt.attempt, got, tt.want)
		}
	}
	if got := Backoff(3, time.Minute, 30*time.Second, nil); got != time.Minute {
		t.Errorf("max below initial: %v, want initial", got)
	}
	if got := Backoff(100, time.Second, time.Duration(1<<62), nil); got <= 0 || got > time.Duration(1<<62) {
		t.Errorf("huge max: %v (overflow?)", got)
	}
}

func TestBackoffJitter(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	for attempt := 1; attempt <= 8; attempt++ {
		base := Backoff(attempt, DefaultRetryInitial, DefaultRetryMax, nil)
		lo, hi := time.Duration(float64(base)*(1-Jitter)), time.Duration(float64(base)*(1+Jitter))
		if hi > DefaultRetryMax {
			hi = DefaultRetryMax
		}
		seen := map[time.Duration]bool{}
		for range 200 {
			d := Backoff(attempt, DefaultRetryInitial, DefaultRetryMax, rnd)
			if d < lo || d > hi {
				t.Fatalf("attempt %d: %v outside [%v, %v]", attempt, d, lo, hi)
			}
			seen[d] = true
		}
		if len(seen) < 50 {
			t.Errorf("attempt %d: only %d distinct delays in 200", attempt, len(seen))
		}
	}
}

func TestExpired(t *testing.T) {
	first := time.Date(2025, 4, 1, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		lifetime time.Duration
		now      time.Time
		want     bool
	}{
		{"fresh", DefaultRetryLifetime, first.Add(time.Hour), false},
		{"just before", DefaultRetryLifetime, first.Add(DefaultRetryLifetime - time.Second), false},
		{"at the lifetime", DefaultRetryLifetime, first.Add(DefaultRetryLifetime), true},
		{"after", DefaultRetryLifetime, first.Add(6 * 24 * time.Hour), true},
		{"zero lifetime: one attempt only", 0, first, true},
		{"clock went back", DefaultRetryLifetime, first.Add(-time.Hour), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Expired(first, tt.lifetime, tt.now); got != tt.want {
				t.Errorf("Expired = %v, want %v", got, tt.want)
			}
		})
	}
}
