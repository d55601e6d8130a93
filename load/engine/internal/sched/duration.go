package sched

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// durationUnits are the suffixes k6 accepts; "d" is k6's extension over Go.
var durationUnits = []struct {
	name string
	d    float64
}{
	{"ns", float64(time.Nanosecond)},
	{"us", float64(time.Microsecond)},
	{"µs", float64(time.Microsecond)},
	{"ms", float64(time.Millisecond)},
	{"s", float64(time.Second)},
	{"m", float64(time.Minute)},
	{"h", float64(time.Hour)},
	{"d", 24 * float64(time.Hour)},
}

// ParseDuration accepts k6 duration values: strings made of one or more
// <decimal><unit> parts ("30s", "1m30s", "500ms", "1.5m", "1h2m3.5s", "2d")
// or JSON numbers, which k6 reads as milliseconds. "0" is accepted as zero.
// Negative values are rejected: no k6 duration option may be negative.
func ParseDuration(v any) (time.Duration, error) {
	switch x := v.(type) {
	case string:
		return parseDurationString(x)
	case json.Number:
		f, err := x.Float64()
		if err != nil {
			return 0, fmt.Errorf("expected a duration, got %q", x.String())
		}
		return msDuration(f)
	case float64:
		return msDuration(x)
	case float32:
		return msDuration(float64(x))
	case int:
		return msDuration(float64(x))
	case int64:
		return msDuration(float64(x))
	case int32:
		return msDuration(float64(x))
	case uint64:
		return msDuration(float64(x))
	case time.Duration:
		if x < 0 {
			return 0, fmt.Errorf("expected a non-negative duration, got %s", x)
		}
		return x, nil
	case nil:
		return 0, fmt.Errorf("expected a duration like \"30s\", got null")
	default:
		return 0, fmt.Errorf("expected a duration like \"30s\" or a number of milliseconds, got %T %v", v, v)
	}
}

func msDuration(ms float64) (time.Duration, error) {
	if math.IsNaN(ms) || math.IsInf(ms, 0) {
		return 0, fmt.Errorf("expected a duration, got %v", ms)
	}
	if ms < 0 {
		return 0, fmt.Errorf("expected a non-negative duration, got %vms", ms)
	}
	ns := ms * float64(time.Millisecond)
	if ns > math.MaxInt64 {
		return 0, fmt.Errorf("duration %vms is too long", ms)
	}
	return time.Duration(math.Round(ns)), nil
}

func parseDurationString(s string) (time.Duration, error) {
	orig := s
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("expected a duration like \"30s\", got an empty string")
	}
	if s == "0" {
		return 0, nil
	}
	if strings.HasPrefix(s, "-") {
		return 0, fmt.Errorf("expected a non-negative duration, got %q", orig)
	}
	s = strings.TrimPrefix(s, "+")
	var total float64
	for s != "" {
		// number part
		i := 0
		for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
			i++
		}
		if i == 0 {
			return 0, fmt.Errorf("expected a duration like \"30s\", \"1m30s\" or \"500ms\", got %q", orig)
		}
		num, err := strconv.ParseFloat(s[:i], 64)
		if err != nil {
			return 0, fmt.Errorf("expected a duration like \"30s\", \"1m30s\" or \"500ms\", got %q", orig)
		}
		s = s[i:]
		// unit part: the longest matching unit ("ms" before "m")
		j := 0
		for j < len(s) && !(s[j] >= '0' && s[j] <= '9' || s[j] == '.') {
			j++
		}
		unit := s[:j]
		s = s[j:]
		mult := -1.0
		for _, u := range durationUnits {
			if u.name == unit {
				mult = u.d
				break
			}
		}
		if mult < 0 {
			if unit == "" {
				return 0, fmt.Errorf("expected a duration with a unit (ms, s, m, h), got %q", orig)
			}
			return 0, fmt.Errorf("expected a duration unit ns, us, ms, s, m, h or d, got %q in %q", unit, orig)
		}
		total += num * mult
	}
	if total > math.MaxInt64 {
		return 0, fmt.Errorf("duration %q is too long", orig)
	}
	return time.Duration(math.Round(total)), nil
}
