package sched

import (
	"math"
	"testing"
	"time"
)

func countDue(s arrivalSchedule) int64 {
	var n int64
	for {
		if _, ok := s.at(n); !ok {
			return n
		}
		n++
	}
}

// The i-th start is computed from the start, so 60 s at 100/s is exactly
// 6000 iterations and the 6000th would start exactly at 60 s.
func TestConstantRateNoDrift(t *testing.T) {
	c := &constantRate{rate: 100, unit: time.Second, dur: time.Minute}
	if n := countDue(c); n != 6000 {
		t.Errorf("60s at 100/s: %d iterations", n)
	}
	if off, _ := c.at(5999); off != 59990*time.Millisecond {
		t.Errorf("iteration 5999 at %v", off)
	}
	c = &constantRate{rate: 3, unit: time.Second, dur: 10 * time.Second}
	if off, _ := c.at(1); off != 333333333 {
		t.Errorf("1/3 s spacing: %v", off)
	}
	if n := countDue(c); n != 30 {
		t.Errorf("10s at 3/s: %d", n)
	}
	c = &constantRate{rate: 7, unit: time.Minute, dur: time.Hour}
	if n := countDue(c); n != 420 {
		t.Errorf("1h at 7/min: %d", n)
	}
}

func TestRampingRateSchedule(t *testing.T) {
	// 0 -> 10/s over 10 s: N(t) = t^2/2, so t_i = sqrt(2i) s; 50 iterations.
	rr := newRampingRate(0, time.Second, []Stage{{10 * time.Second, 10}})
	if n := countDue(rr); n != 50 {
		t.Errorf("ramp 0->10 over 10s: %d iterations, want 50", n)
	}
	for _, i := range []int64{0, 1, 2, 8, 49} {
		off, _ := rr.at(i)
		want := time.Duration(math.Sqrt(2*float64(i)) * float64(time.Second))
		within(t, "ramp start", off, want, time.Microsecond)
	}
	// a flat stage gives the constant-rate schedule
	flat := newRampingRate(100, time.Second, []Stage{{time.Minute, 100}})
	cr := &constantRate{rate: 100, unit: time.Second, dur: time.Minute}
	if n := countDue(flat); n != 6000 {
		t.Errorf("flat 100/s for 60s: %d", n)
	}
	for i := int64(0); i < 6000; i += 123 {
		a, _ := flat.at(i)
		b, _ := cr.at(i)
		within(t, "flat vs constant", a, b, time.Microsecond)
	}
	// ramp down 10 -> 0 over 10 s, then a zero stage: 50 iterations, the
	// last well before 10 s, none in the zero stage
	down := newRampingRate(10, time.Second, []Stage{{10 * time.Second, 0}, {5 * time.Second, 0}})
	if n := countDue(down); n != 50 {
		t.Errorf("ramp down: %d", n)
	}
	if off, _ := down.at(49); off >= 10*time.Second || off < 8*time.Second {
		t.Errorf("last ramp-down start at %v", off)
	}
	// nothing is due while the rate is 0: the first start is after the zero stage
	late := newRampingRate(0, time.Second, []Stage{{2 * time.Second, 0}, {2 * time.Second, 10}})
	if off, _ := late.at(0); off != 2*time.Second {
		t.Errorf("first start after a zero stage at %v", off)
	}
	if n := countDue(late); n != 10 {
		t.Errorf("zero then ramp: %d", n)
	}
	// a 0s stage jumps the rate
	jump := newRampingRate(0, time.Second, []Stage{{0, 20}, {time.Second, 20}})
	if n := countDue(jump); n != 20 {
		t.Errorf("jump: %d", n)
	}
	// starts are increasing and within the test
	multi := newRampingRate(5, time.Second, []Stage{{3 * time.Second, 50}, {2 * time.Second, 50}, {4 * time.Second, 1}})
	prev := time.Duration(-1)
	n := countDue(multi)
	for i := int64(0); i < n; i++ {
		off, _ := multi.at(i)
		if off < prev || off >= multi.length() {
			t.Fatalf("start %d at %v after %v", i, off, prev)
		}
		prev = off
	}
	// (5+50)/2*3 + 50*2 + (50+1)/2*4 = 82.5 + 100 + 102 = 284.5 -> 285 starts
	if n != 285 {
		t.Errorf("multi-stage: %d starts, want 285", n)
	}
}

func TestVUTarget(t *testing.T) {
	st := []Stage{{10 * time.Second, 10}, {5 * time.Second, 10}, {10 * time.Second, 0}, {0, 4}, {time.Second, 4}}
	cases := []struct {
		at   time.Duration
		want int64
	}{
		{0, 0}, {999 * time.Millisecond, 0}, {time.Second, 1}, {5500 * time.Millisecond, 5},
		{10 * time.Second, 10}, {14 * time.Second, 10}, {15 * time.Second, 10},
		{15500 * time.Millisecond, 10}, {16 * time.Second, 9}, {24999 * time.Millisecond, 1},
		{25 * time.Second, 4}, {25500 * time.Millisecond, 4}, {30 * time.Second, 4},
	}
	for _, c := range cases {
		if got, _ := vuTarget(0, st, c.at); got != c.want {
			t.Errorf("VUs at %v = %d, want %d", c.at, got, c.want)
		}
	}
	// walking the "next change" offsets visits every change exactly once
	var at time.Duration
	changes := 0
	last := int64(0)
	for steps := 0; steps < 1000; steps++ {
		v, next := vuTarget(0, st, at)
		if v != last {
			changes++
			last = v
		}
		if next < 0 {
			break
		}
		if next <= at {
			t.Fatalf("next change %v not after %v", next, at)
		}
		at = next
	}
	if changes != 10+9+1 { // up to 10, down to 1, then 1 -> 4 at once
		t.Errorf("%d changes, want 20", changes)
	}
}
