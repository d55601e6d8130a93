package metrics

import (
	"math"
	"math/rand"
	"sort"
	"testing"
)

func exactPercentile(sorted []float64, p float64) float64 {
	rank := p / 100 * float64(len(sorted)-1)
	lo := math.Floor(rank)
	if int(lo)+1 >= len(sorted) {
		return sorted[int(lo)]
	}
	return sorted[int(lo)] + (sorted[int(lo)+1]-sorted[int(lo)])*(rank-lo)
}

func TestHistogramAccuracyMillion(t *testing.T) {
	rng := rand.New(rand.NewSource(42))
	const n = 1_000_000
	for _, dist := range []string{"uniform", "loguniform"} {
		var h histogram
		vals := make([]float64, n)
		for i := range vals {
			var v float64
			if dist == "uniform" {
				v = 0.1 + rng.Float64()*(60000-0.1)
			} else {
				v = math.Exp(math.Log(0.1) + rng.Float64()*(math.Log(60000)-math.Log(0.1)))
			}
			vals[i] = v
			h.add(v)
		}
		sort.Float64s(vals)
		if h.exact != nil {
			t.Fatal("exact values kept past exactCap")
		}
		for _, p := range []float64{0, 0.1, 1, 5, 10, 25, 50, 75, 90, 95, 99, 99.9, 99.99, 100} {
			got, want := h.percentile(p), exactPercentile(vals, p)
			if rel := math.Abs(got-want) / want; rel > 0.01 {
				t.Errorf("%s p(%v): got %v want %v (%.3f%%)", dist, p, got, want, rel*100)
			}
		}
	}
}

func TestHistogramBoundedMemory(t *testing.T) {
	var h histogram
	rng := rand.New(rand.NewSource(1))
	add := func(k int) {
		for i := 0; i < k; i++ {
			h.add(0.1 + rng.Float64()*60000)
		}
	}
	// buckets depend on the value range only: 0.1..60000 needs at most log(6e5)/log(gamma)+2
	bound := int(math.Log(60000/0.1)/histLogGamma) + 2
	add(1_000_000)
	b1 := h.buckets()
	add(1_000_000)
	if b2 := h.buckets(); b1 > bound || b2 > bound {
		t.Fatalf("buckets %d then %d, bound %d", b1, b2, bound)
	}
	// extreme values are clamped: the worst case stays bounded
	for _, v := range []float64{1e-300, 1e-12, 1e300, math.MaxFloat64, -1e300, -1e-300, math.Inf(1)} {
		h.add(v)
	}
	if max := 2 * (histMaxIdx - histMinIdx + 1); h.buckets() > max || max > 12000 {
		t.Fatalf("buckets %d (bound %d)", h.buckets(), max)
	}
}

func TestHistogramExactSmallAndSigns(t *testing.T) {
	var h histogram
	for _, v := range []float64{5, -3, 0, 10, 1} {
		h.add(v)
	}
	// sorted: -3 0 1 5 10
	for p, want := range map[float64]float64{0: -3, 25: 0, 50: 1, 75: 5, 100: 10, 90: 8} {
		if got := h.percentile(p); math.Abs(got-want) > 1e-9 {
			t.Errorf("p(%v)=%v want %v", p, got, want)
		}
	}
	var empty histogram
	if empty.percentile(95) != 0 {
		t.Fatal("empty")
	}
	// negative values past exactCap go through the mirrored buckets
	var neg histogram
	for i := 0; i < 5000; i++ {
		neg.add(-float64(i + 1))
	}
	if got := neg.percentile(0); math.Abs(got+5000)/5000 > 0.01 {
		t.Fatal(got)
	}
	if got := neg.percentile(100); math.Abs(got+1) > 0.01 {
		t.Fatal(got)
	}
	if got := neg.percentile(50); math.Abs(got+2500.5)/2500 > 0.01 {
		t.Fatal(got)
	}
}

func BenchmarkHistogramAdd(b *testing.B) {
	var h histogram
	for i := 0; i < b.N; i++ {
		h.add(float64(i%60000) + 0.5)
	}
}
