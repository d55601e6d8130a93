package sched

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	ok := []struct {
		in   any
		want time.Duration
	}{
		{"30s", 30 * time.Second},
		{"1m30s", 90 * time.Second},
		{"500ms", 500 * time.Millisecond},
		{"1.5m", 90 * time.Second},
		{"2h", 2 * time.Hour},
		{"1h2m3.5s", time.Hour + 2*time.Minute + 3500*time.Millisecond},
		{"1d", 24 * time.Hour},
		{"0", 0},
		{"0s", 0},
		{"250us", 250 * time.Microsecond},
		{float64(1500), 1500 * time.Millisecond},
		{int64(20), 20 * time.Millisecond},
		{json.Number("0.5"), 500 * time.Microsecond},
	}
	for _, c := range ok {
		got, err := ParseDuration(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseDuration(%#v) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
	bad := []any{"", "30", "-1s", "1x", "s", "1.2.3s", "ms5", float64(-1), true, nil, "1m 30s"}
	for _, in := range bad {
		if d, err := ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%#v) = %v, want an error", in, d)
		} else if !strings.Contains(err.Error(), "expected") {
			t.Errorf("ParseDuration(%#v) error %q does not say what was expected", in, err)
		}
	}
}
