package metrics

import (
	"math"
	"time"
)

// sink aggregates the samples of one metric or submetric. Sinks are owned by the collector's
// aggregator goroutine, so they need no locks.
type sink interface {
	add(v float64)
	count() uint64
	// value returns one threshold aggregation (count, rate, value, avg, min, max, med, p(N)).
	value(agg string, elapsed time.Duration) (float64, bool)
	// summary returns the "values" object of the end-of-test summary.
	summary(elapsed time.Duration, trendStats []string) map[string]any
}

func newSink(t Type) sink {
	switch t {
	case Counter:
		return &counterSink{}
	case Gauge:
		return &gaugeSink{}
	case Rate:
		return &rateSink{}
	default:
		return &trendSink{min: math.Inf(1), max: math.Inf(-1)}
	}
}

func perSecond(v float64, elapsed time.Duration) float64 {
	if elapsed <= 0 {
		return 0
	}
	return v / elapsed.Seconds()
}

type counterSink struct {
	sum float64
	n   uint64
}

func (s *counterSink) add(v float64) { s.sum += v; s.n++ }
func (s *counterSink) count() uint64 { return s.n }
func (s *counterSink) value(agg string, elapsed time.Duration) (float64, bool) {
	switch agg {
	case "count":
		return s.sum, true
	case "rate":
		return perSecond(s.sum, elapsed), true
	}
	return 0, false
}
func (s *counterSink) summary(elapsed time.Duration, _ []string) map[string]any {
	return map[string]any{"count": s.sum, "rate": perSecond(s.sum, elapsed)}
}

type gaugeSink struct {
	last, lo, hi float64
	n            uint64
}

func (s *gaugeSink) add(v float64) {
	if s.n == 0 || v < s.lo {
		s.lo = v
	}
	if s.n == 0 || v > s.hi {
		s.hi = v
	}
	s.last = v
	s.n++
}
func (s *gaugeSink) count() uint64 { return s.n }
func (s *gaugeSink) value(agg string, _ time.Duration) (float64, bool) {
	if agg == "value" {
		return s.last, true
	}
	return 0, false
}
func (s *gaugeSink) summary(time.Duration, []string) map[string]any {
	return map[string]any{"value": s.last, "min": s.lo, "max": s.hi}
}

type rateSink struct{ passes, fails uint64 }

// add counts any non-zero value as a pass (k6: true/non-zero).
func (s *rateSink) add(v float64) {
	if v != 0 {
		s.passes++
	} else {
		s.fails++
	}
}
func (s *rateSink) count() uint64 { return s.passes + s.fails }
func (s *rateSink) rate() float64 {
	if n := s.passes + s.fails; n > 0 {
		return float64(s.passes) / float64(n)
	}
	return 0
}
func (s *rateSink) value(agg string, _ time.Duration) (float64, bool) {
	if agg == "rate" {
		return s.rate(), true
	}
	return 0, false
}
func (s *rateSink) summary(time.Duration, []string) map[string]any {
	return map[string]any{"rate": s.rate(), "passes": float64(s.passes), "fails": float64(s.fails)}
}

// trendSink keeps exact count/sum/min/max and a bounded histogram for percentiles.
type trendSink struct {
	n        uint64
	sum      float64
	min, max float64
	hist     histogram
}

func (s *trendSink) add(v float64) {
	if math.IsNaN(v) {
		return
	}
	s.n++
	s.sum += v
	s.min = math.Min(s.min, v)
	s.max = math.Max(s.max, v)
	s.hist.add(v)
}
func (s *trendSink) count() uint64 { return s.n }

// stat computes one trend statistic; agg must be valid (see parseTrendStat).
func (s *trendSink) stat(agg string) (float64, bool) {
	if s.n == 0 {
		switch agg {
		case "avg", "min", "max", "med", "count":
			return 0, true
		}
		_, ok := parsePercentile(agg)
		return 0, ok
	}
	switch agg {
	case "avg":
		return s.sum / float64(s.n), true
	case "min":
		return s.min, true
	case "max":
		return s.max, true
	case "count":
		return float64(s.n), true
	case "med":
		return s.clamp(s.hist.percentile(50)), true
	}
	if p, ok := parsePercentile(agg); ok {
		return s.clamp(s.hist.percentile(p)), true
	}
	return 0, false
}

// clamp keeps histogram estimates inside the exact [min, max] (edge buckets overshoot slightly).
func (s *trendSink) clamp(v float64) float64 { return math.Max(s.min, math.Min(s.max, v)) }

func (s *trendSink) value(agg string, _ time.Duration) (float64, bool) {
	if agg == "count" { // not a k6 threshold aggregation for trends; thresholds never ask for it
		return 0, false
	}
	return s.stat(agg)
}

func (s *trendSink) summary(_ time.Duration, stats []string) map[string]any {
	out := make(map[string]any, len(stats))
	for _, st := range stats {
		if v, ok := s.stat(st); ok {
			out[st] = v
		}
	}
	return out
}
