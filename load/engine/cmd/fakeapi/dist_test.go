package main

import (
	"math"
	"sort"
	"testing"
	"time"
)

const table = "0:5,0.5:20,0.95:60,0.99:120,1:150"

func TestParseDist(t *testing.T) {
	d, err := ParseDist(table)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ u, ms float64 }{{0, 5}, {0.25, 12.5}, {0.5, 20}, {0.95, 60}, {0.97, 90}, {0.99, 120}, {1, 150}} {
		if got := d.QuantileMs(c.u); math.Abs(got-c.ms) > 1e-9 {
			t.Errorf("QuantileMs(%g) = %g, want %g", c.u, got, c.ms)
		}
	}
	fixed, err := ParseDist("20ms")
	if err != nil || fixed.Quantile(0.3) != 20*time.Millisecond || fixed.Quantile(1) != 20*time.Millisecond {
		t.Fatalf("fixed: %v %v", fixed, err)
	}
	for _, bad := range []string{"", "abc", "0:5,1:2", "0.1:5,1:10", "0:5,0.5:20", "0:5,0.5:x,1:9", "0:5,0.5:6,0.5:7,1:9", "-1ms", "2m"} {
		if _, err := ParseDist(bad); err == nil {
			t.Errorf("ParseDist(%q): expected an error", bad)
		}
	}
}

// the draws' empirical percentiles must match the programmed ones far closer than the
// benchmark's 2% goal, for the sizes the benchmark uses (a few thousand requests)
func TestDrawsMatchProgrammedPercentiles(t *testing.T) {
	d, _ := ParseDist(table)
	for _, tc := range []struct {
		n   int
		tol float64
	}{{1000, 0.02}, {6000, 0.005}, {100000, 0.001}} {
		n := tc.n
		dr := newDrawer(false, 0)
		ms := make([]float64, n)
		for i := range ms {
			ms[i] = d.QuantileMs(dr.next())
		}
		sort.Float64s(ms)
		for _, c := range []struct{ p, want float64 }{{50, 20}, {95, 60}, {99, 120}} {
			got := nearestRank(ms, c.p)
			if rel := math.Abs(got-c.want) / c.want; rel > tc.tol {
				t.Errorf("n=%d p%g = %.3f ms, want %g within %g%%", n, c.p, got, c.want, 100*tc.tol)
			}
		}
	}
}

func TestRandomDrawsAreUniform(t *testing.T) {
	dr := newDrawer(true, 42)
	const n = 200000
	var below [10]int
	for i := 0; i < n; i++ {
		u := dr.next()
		if u < 0 || u >= 1 {
			t.Fatalf("draw %g outside [0,1)", u)
		}
		below[int(u*10)]++
	}
	for i, c := range below {
		if math.Abs(float64(c)-n/10) > 0.02*n/10 {
			t.Errorf("decile %d has %d draws, want about %d", i, c, n/10)
		}
	}
}

func TestDelayIsNotEarly(t *testing.T) {
	for _, d := range []time.Duration{0, 200 * time.Microsecond, 3 * time.Millisecond} {
		start := time.Now()
		delay(start, d, 500*time.Microsecond)
		if got := time.Since(start); got < d {
			t.Errorf("delay(%v) returned after %v", d, got)
		}
	}
}
