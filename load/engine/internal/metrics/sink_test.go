package metrics

import (
	"math"
	"testing"
	"time"
)

func TestCounterSink(t *testing.T) {
	s := newSink(Counter)
	for _, v := range []float64{1, 2, 3} {
		s.add(v)
	}
	got := s.summary(2*time.Second, nil)
	if got["count"] != 6.0 || got["rate"] != 3.0 {
		t.Fatal(got)
	}
	if v, _ := s.value("rate", 0); v != 0 {
		t.Fatal("rate with zero elapsed")
	}
	if _, ok := s.value("avg", time.Second); ok {
		t.Fatal("avg on counter")
	}
}

func TestGaugeSink(t *testing.T) {
	s := newSink(Gauge)
	for _, v := range []float64{5, 2, 9, 4} {
		s.add(v)
	}
	got := s.summary(time.Second, nil)
	if got["value"] != 4.0 || got["min"] != 2.0 || got["max"] != 9.0 {
		t.Fatal(got)
	}
	neg := newSink(Gauge)
	neg.add(-3)
	if g := neg.summary(0, nil); g["min"] != -3.0 || g["max"] != -3.0 {
		t.Fatal(g)
	}
}

func TestRateSink(t *testing.T) {
	s := newSink(Rate)
	for _, v := range []float64{1, 0, 2, -1, 0} { // non-zero passes
		s.add(v)
	}
	got := s.summary(time.Second, nil)
	if got["passes"] != 3.0 || got["fails"] != 2.0 || got["rate"] != 0.6 {
		t.Fatal(got)
	}
	if e := newSink(Rate).summary(0, nil); e["rate"] != 0.0 {
		t.Fatal(e)
	}
}

func TestTrendSink(t *testing.T) {
	s := newSink(Trend)
	for i := 1; i <= 100; i++ {
		s.add(float64(i))
	}
	s.add(math.NaN()) // ignored
	got := s.summary(0, []string{"avg", "min", "med", "max", "p(90)", "p(95)", "p(99.9)", "count", "p(0)"})
	want := map[string]float64{"avg": 50.5, "min": 1, "med": 50.5, "max": 100, "p(90)": 90.1, "p(95)": 95.05, "p(99.9)": 99.901, "count": 100, "p(0)": 1}
	for k, w := range want {
		if v, ok := got[k].(float64); !ok || math.Abs(v-w) > 1e-9 {
			t.Errorf("%s: %v want %v", k, got[k], w)
		}
	}
	if _, ok := s.value("count", 0); ok {
		t.Fatal("count is not a trend threshold aggregation")
	}
	e := newSink(Trend).summary(0, []string{"avg", "min", "max", "p(95)", "count"})
	for k, v := range e {
		if v != 0.0 {
			t.Errorf("empty %s=%v", k, v)
		}
	}
}

func TestTrendSinkLargeClampsToMinMax(t *testing.T) {
	s := newSink(Trend).(*trendSink)
	for i := 0; i < 10000; i++ {
		s.add(123.456)
	}
	for _, p := range []string{"p(0)", "med", "p(100)"} {
		if v, _ := s.stat(p); v != 123.456 {
			t.Errorf("%s=%v", p, v)
		}
	}
}

func BenchmarkTrendSinkAdd(b *testing.B) {
	s := newSink(Trend)
	for i := 0; i < b.N; i++ {
		s.add(float64(i%5000) * 0.37)
	}
}
