package sched

import (
	"context"
	"sort"
	"sync"
	"testing"
	"time"
)

func TestConstantVUs(t *testing.T) {
	pool := &fakePool{iterDur: func(Iteration) time.Duration { return 50 * time.Millisecond }}
	log := &doneLog{}
	sc := Scenario{Name: "cv", Executor: ConstantVUs, VUs: 3, Duration: 300 * time.Millisecond, GracefulStop: time.Second}
	took, err := runScenarios(t, context.Background(), pool, log, sc)
	if err != nil {
		t.Fatal(err)
	}
	done, interrupted, _ := log.counts()
	// 3 VUs * 300ms / 50ms = 18 (each may start one more just before the end)
	if done < 14 || done > 21 || interrupted != 0 {
		t.Errorf("done %d interrupted %d, want about 18 and 0", done, interrupted)
	}
	within(t, "run time", took, 330*time.Millisecond, 80*time.Millisecond)
	vus := map[uint64]bool{}
	seen := map[int64]bool{}
	for _, r := range pool.records() {
		vus[r.vu] = true
		if seen[r.it.IterationInTest] {
			t.Errorf("IterationInTest %d twice", r.it.IterationInTest)
		}
		seen[r.it.IterationInTest] = true
	}
	if len(vus) != 3 || pool.created.Load() != 3 {
		t.Errorf("%d VUs ran, %d created; want 3", len(vus), pool.created.Load())
	}
}

// A long iteration gets gracefulStop after the duration, then is cancelled.
func TestGracefulStopInterrupts(t *testing.T) {
	pool := &fakePool{iterDur: func(Iteration) time.Duration { return 5 * time.Second }}
	log := &doneLog{}
	sc := Scenario{Name: "cv", Executor: ConstantVUs, VUs: 1, Duration: 200 * time.Millisecond, GracefulStop: 100 * time.Millisecond}
	took, err := runScenarios(t, context.Background(), pool, log, sc)
	if err != nil {
		t.Fatal(err)
	}
	within(t, "run time", took, 300*time.Millisecond, 60*time.Millisecond)
	done, interrupted, _ := log.counts()
	if done != 0 || interrupted != 1 {
		t.Errorf("done %d interrupted %d, want 0 and 1", done, interrupted)
	}
	log.mu.Lock()
	defer log.mu.Unlock()
	if r := log.done[0]; !r.interrupted || r.err == nil {
		t.Errorf("iteration not reported interrupted: %+v", r)
	}
}

// An iteration finishing within gracefulStop is complete, not interrupted.
func TestGracefulStopLetsIterationsFinish(t *testing.T) {
	pool := &fakePool{iterDur: func(Iteration) time.Duration { return 150 * time.Millisecond }}
	log := &doneLog{}
	sc := Scenario{Name: "cv", Executor: ConstantVUs, VUs: 2, Duration: 200 * time.Millisecond, GracefulStop: time.Second}
	took, err := runScenarios(t, context.Background(), pool, log, sc)
	if err != nil {
		t.Fatal(err)
	}
	done, interrupted, _ := log.counts()
	if done != 4 || interrupted != 0 {
		t.Errorf("done %d interrupted %d, want 4 and 0", done, interrupted)
	}
	within(t, "run time", took, 300*time.Millisecond, 60*time.Millisecond)
}

func TestPerVUIterations(t *testing.T) {
	pool := &fakePool{iterDur: func(Iteration) time.Duration { return 5 * time.Millisecond }}
	log := &doneLog{}
	sc := Scenario{Name: "pvi", Executor: PerVUIterations, VUs: 3, Iterations: 4, MaxDuration: 10 * time.Second, GracefulStop: time.Second}
	took, err := runScenarios(t, context.Background(), pool, log, sc)
	if err != nil {
		t.Fatal(err)
	}
	if took > time.Second {
		t.Errorf("took %v: should end when the iterations are done", took)
	}
	perVU := map[uint64][]int64{}
	var idx []int64
	for _, r := range pool.records() {
		perVU[r.vu] = append(perVU[r.vu], r.it.VUIterationInScenario)
		idx = append(idx, r.it.IterationInTest)
	}
	if len(perVU) != 3 {
		t.Fatalf("%d VUs ran", len(perVU))
	}
	for vu, its := range perVU {
		if len(its) != 4 || its[0] != 0 || its[3] != 3 {
			t.Errorf("VU %d ran %v", vu, its)
		}
	}
	checkIndices(t, idx, 12)
}

// maxDuration cuts per-vu-iterations: the rest is dropped.
func TestPerVUIterationsMaxDuration(t *testing.T) {
	pool := &fakePool{iterDur: func(Iteration) time.Duration { return 100 * time.Millisecond }}
	log := &doneLog{}
	sc := Scenario{Name: "pvi", Executor: PerVUIterations, VUs: 1, Iterations: 10, MaxDuration: 250 * time.Millisecond, GracefulStop: 0}
	if _, err := runScenarios(t, context.Background(), pool, log, sc); err != nil {
		t.Fatal(err)
	}
	done, interrupted, dropped := log.counts()
	if done+interrupted+dropped != 10 || done < 1 || done > 3 || interrupted != 1 {
		t.Errorf("done %d interrupted %d dropped %d; want ~2+1+7 = 10", done, interrupted, dropped)
	}
}

func TestSharedIterations(t *testing.T) {
	pool := &fakePool{iterDur: func(it Iteration) time.Duration { return time.Duration(1+it.IterationInTest%3) * time.Millisecond }}
	log := &doneLog{}
	sc := Scenario{Name: "si", Executor: SharedIterations, VUs: 3, Iterations: 30, MaxDuration: 10 * time.Second, GracefulStop: time.Second}
	if _, err := runScenarios(t, context.Background(), pool, log, sc); err != nil {
		t.Fatal(err)
	}
	var idx []int64
	vus := map[uint64]int{}
	for _, r := range pool.records() {
		idx = append(idx, r.it.IterationInTest)
		vus[r.vu]++
	}
	checkIndices(t, idx, 30)
	if len(vus) != 3 {
		t.Errorf("VUs used: %v", vus)
	}
	if done, _, dropped := log.counts(); done != 30 || dropped != 0 {
		t.Errorf("done %d dropped %d", done, dropped)
	}
}

// checkIndices: idx is a permutation of 0..n-1.
func checkIndices(t *testing.T, idx []int64, n int) {
	t.Helper()
	sort.Slice(idx, func(i, j int) bool { return idx[i] < idx[j] })
	if len(idx) != n {
		t.Fatalf("%d iterations, want %d", len(idx), n)
	}
	for i, v := range idx {
		if v != int64(i) {
			t.Fatalf("IterationInTest: got %v, want 0..%d", idx, n-1)
		}
	}
}

// Ramping VUs follow the stages; removed VUs leave after their iteration.
func TestRampingVUsCounts(t *testing.T) {
	pool := &fakePool{iterDur: func(Iteration) time.Duration { return 10 * time.Millisecond }}
	sc := Scenario{Name: "rv", Executor: RampingVUs, StartVUs: 0, GracefulRampDown: time.Second, GracefulStop: time.Second,
		Stages: []Stage{{400 * time.Millisecond, 4}, {200 * time.Millisecond, 4}, {400 * time.Millisecond, 0}}}
	s, err := New(Config{Scenarios: []Scenario{sc}, Pool: pool})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	type sample struct {
		at     time.Duration
		active int64
	}
	var samples []sample
	var t0 time.Time
	s.hooks.VUsChanged = func(active, allocated int64) {
		mu.Lock()
		samples = append(samples, sample{time.Since(t0), active})
		mu.Unlock()
	}
	if err := s.Init(context.Background()); err != nil {
		t.Fatal(err)
	}
	if pool.created.Load() != 4 {
		t.Errorf("Init created %d VUs, want the max target 4", pool.created.Load())
	}
	t0 = time.Now()
	if err := s.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	activeAt := func(at time.Duration) int64 {
		var v int64
		for _, s := range samples {
			if s.at <= at {
				v = s.active
			}
		}
		return v
	}
	mu.Lock()
	defer mu.Unlock()
	checks := []struct {
		at       time.Duration
		min, max int64
	}{{50 * time.Millisecond, 0, 1}, {250 * time.Millisecond, 2, 3}, {500 * time.Millisecond, 4, 4}, {750 * time.Millisecond, 2, 3}, {1100 * time.Millisecond, 0, 0}}
	for _, c := range checks {
		if v := activeAt(c.at); v < c.min || v > c.max {
			t.Errorf("active VUs at %v = %d, want %d..%d", c.at, v, c.min, c.max)
		}
	}
	peak := int64(0)
	for _, s := range samples {
		peak = max(peak, s.active)
	}
	if peak != 4 || pool.created.Load() != 4 {
		t.Errorf("peak %d VUs, created %d; want 4 and 4", peak, pool.created.Load())
	}
}

// A VU removed by a ramp-down gets gracefulRampDown, then its iteration is
// cancelled; the remaining VU gets gracefulStop at the end.
func TestRampingVUsGracefulRampDown(t *testing.T) {
	pool := &fakePool{iterDur: func(Iteration) time.Duration { return 5 * time.Second }}
	log := &doneLog{}
	sc := Scenario{Name: "rv", Executor: RampingVUs, StartVUs: 2, GracefulRampDown: 100 * time.Millisecond, GracefulStop: 150 * time.Millisecond,
		Stages: []Stage{{100 * time.Millisecond, 2}, {0, 1}, {300 * time.Millisecond, 1}}}
	t0 := time.Now()
	took, err := runScenarios(t, context.Background(), pool, log, sc)
	if err != nil {
		t.Fatal(err)
	}
	within(t, "run time", took, 550*time.Millisecond, 80*time.Millisecond)
	log.mu.Lock()
	defer log.mu.Unlock()
	if len(log.done) != 2 || log.interrupted != 2 {
		t.Fatalf("done %+v", log.done)
	}
	within(t, "ramped-down VU interrupted at", log.done[0].at.Sub(t0), 200*time.Millisecond, 60*time.Millisecond)
	within(t, "last VU interrupted at", log.done[1].at.Sub(t0), 550*time.Millisecond, 80*time.Millisecond)
}
