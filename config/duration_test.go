package config

import (
	"testing"
	"time"
)

// TestDurationString: a duration reads back as an admin writes it in the
// configuration (mugai check, error messages), and parses to itself.
func TestDurationString(t *testing.T) {
	for _, tt := range []struct {
		d    time.Duration
		want string
	}{
		{10 * time.Minute, "10m"},
		{-time.Minute, "-1m"},
		{90 * time.Minute, "1h30m"},
		{time.Hour, "1h"},
		{25 * time.Hour, "25h"},
		{48 * time.Hour, "2d"},
		{30 * time.Second, "30s"},
		{90 * time.Second, "1m30s"},
		{time.Hour + time.Second, "1h0m1s"},
		{500 * time.Millisecond, "500ms"},
		{0, "0s"},
	} {
		got := Duration(tt.d).String()
		if got != tt.want {
			t.Errorf("Duration(%v).String() = %q, want %q", tt.d, got, tt.want)
		}
		if back, err := ParseDuration(got); err != nil || back != Duration(tt.d) {
			t.Errorf("%q parses to %v, %v; want %v", got, time.Duration(back), err, tt.d)
		}
	}
}
