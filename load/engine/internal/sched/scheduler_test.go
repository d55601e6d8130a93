package sched

import (
	"context"
	"errors"
	"math/big"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Cancelling Run's ctx is a graceful stop: no new iterations, in-flight
// ones get gracefulStop, then are cancelled; scenarios not yet started
// never start; Run returns an error matching context.Canceled.
func TestRunCancel(t *testing.T) {
	pool := &fakePool{iterDur: func(it Iteration) time.Duration {
		if it.Scenario.Name == "slow" {
			return 5 * time.Second
		}
		return 20 * time.Millisecond
	}}
	log := &doneLog{}
	scs := []Scenario{
		{Name: "fast", Executor: ConstantVUs, VUs: 2, Duration: 10 * time.Second, GracefulStop: time.Second},
		{Name: "slow", Executor: ConstantVUs, VUs: 1, Duration: 10 * time.Second, GracefulStop: 100 * time.Millisecond},
		{Name: "later", Executor: ConstantVUs, VUs: 1, Duration: time.Second, StartTime: 5 * time.Second, GracefulStop: time.Second},
		{Name: "rate", Executor: ConstantArrivalRate, Rate: 100, TimeUnit: time.Second, Duration: 10 * time.Second, PreAllocatedVUs: 5, MaxVUs: 5, GracefulStop: time.Second},
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	took, err := runScenarios(t, ctx, pool, log, scs...)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run returned %v, want context.Canceled", err)
	}
	within(t, "run time", took, 300*time.Millisecond, 80*time.Millisecond)
	log.mu.Lock()
	defer log.mu.Unlock()
	by := map[string][2]int{}
	for _, d := range log.done {
		c := by[d.it.Scenario.Name]
		if d.interrupted {
			c[1]++
		} else {
			c[0]++
		}
		by[d.it.Scenario.Name] = c
		if d.at.Sub(d.it.ScenarioStart) > 400*time.Millisecond {
			t.Errorf("%s iteration ended at %v", d.it.Scenario.Name, d.at.Sub(d.it.ScenarioStart))
		}
	}
	if c := by["slow"]; c != [2]int{0, 1} {
		t.Errorf("slow: %v, want its iteration interrupted after gracefulStop", c)
	}
	if c := by["fast"]; c[0] < 10 || c[1] != 0 {
		t.Errorf("fast: %v, want complete iterations only", c)
	}
	if c := by["rate"]; c[0] < 15 || c[0] > 22 {
		t.Errorf("rate: %v, want ~20 iterations in 200ms", c)
	}
	if c, ok := by["later"]; ok {
		t.Errorf("later started after cancel: %v", c)
	}
}

func TestStartTimeAndProgress(t *testing.T) {
	pool := &fakePool{iterDur: func(Iteration) time.Duration { return 10 * time.Millisecond }}
	scs := []Scenario{
		{Name: "b", Executor: SharedIterations, VUs: 1, Iterations: 3, MaxDuration: time.Second, StartTime: 200 * time.Millisecond, GracefulStop: time.Second},
		{Name: "a", Executor: ConstantVUs, VUs: 2, Duration: 100 * time.Millisecond, GracefulStop: 50 * time.Millisecond},
	}
	s, err := New(Config{Scenarios: scs, Pool: pool})
	if err != nil {
		t.Fatal(err)
	}
	if d := s.PlannedDuration(); d != 200*time.Millisecond+time.Second+time.Second {
		t.Errorf("PlannedDuration = %v", d)
	}
	// the two never overlap: 2 VUs are enough for both
	if err := s.Init(context.Background()); err != nil || pool.created.Load() != 2 {
		t.Fatalf("Init: %v, %d VUs", err, pool.created.Load())
	}
	p := s.Progress()
	if len(p) != 2 || p[0].Name != "a" || p[1].Iterations != 3 || p[0].Started {
		t.Errorf("progress before Run: %+v", p)
	}
	midc := make(chan []ScenarioProgress, 1)
	time.AfterFunc(150*time.Millisecond, func() { midc <- s.Progress() })
	if err := s.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	mid := <-midc
	if len(mid) != 2 || !mid[0].Finished || mid[1].Started || mid[0].Done < 10 {
		t.Errorf("progress at 150ms: %+v", mid)
	}
	for _, r := range pool.records() {
		if r.it.Scenario.Name == "b" {
			if off := r.at.Sub(r.it.ScenarioStart); off < 0 {
				t.Errorf("b iteration before its start: %v", off)
			}
		}
	}
	end := s.Progress()
	if !end[1].Finished || end[1].Done != 3 {
		t.Errorf("progress at end: %+v", end)
	}
	if pool.created.Load() != 2 {
		t.Errorf("VUs were not reused: %d created", pool.created.Load())
	}
	if a, n := s.VUs(); a != 0 || n != 2 {
		t.Errorf("VUs after run: active %d allocated %d", a, n)
	}
}

func TestNewErrors(t *testing.T) {
	pool := &fakePool{}
	seg, _ := ParseSegment("1/4:1/2")
	seq, _ := ParseSequence("0,1/3,2/3,1")
	if _, err := New(Config{Segment: seg, Sequence: seq, Pool: pool}); err == nil {
		t.Error("segment not in sequence accepted")
	}
	sc := Scenario{Name: "x", Executor: "bogus"}
	if _, err := New(Config{Scenarios: []Scenario{sc}, Pool: pool}); err == nil {
		t.Error("bogus executor accepted")
	}
	if _, err := New(Config{}); err == nil {
		t.Error("nil pool accepted")
	}
}

// Instances of one sequence run, together, exactly the unsegmented test.
func TestSegmentsTogether(t *testing.T) {
	seq, _ := ParseSequence("0,1/3,2/3,1")
	scs := []Scenario{
		{Name: "si", Executor: SharedIterations, VUs: 3, Iterations: 100, MaxDuration: 5 * time.Second, GracefulStop: time.Second},
		{Name: "pvi", Executor: PerVUIterations, VUs: 4, Iterations: 5, MaxDuration: 5 * time.Second, GracefulStop: time.Second},
		{Name: "car", Executor: ConstantArrivalRate, Rate: 300, TimeUnit: time.Second, Duration: 300 * time.Millisecond, PreAllocatedVUs: 9, MaxVUs: 9, GracefulStop: time.Second},
	}
	var mu sync.Mutex
	var dropped atomic.Int64
	idx := map[string][]int64{}
	perInstance := map[string][]int{}
	var wg sync.WaitGroup
	for k := 0; k < 3; k++ {
		pool := &fakePool{iterDur: func(Iteration) time.Duration { return time.Millisecond }}
		seg := Segment{From: seq[k], To: seq[k+1]}
		hooks := Hooks{DroppedIteration: func(sc *Scenario, _ time.Time) {
			if sc.Name == "car" {
				dropped.Add(1)
			}
		}}
		s, err := New(Config{Scenarios: scs, Segment: seg, Sequence: seq, Pool: pool, Hooks: hooks})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Init(context.Background()); err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.Run(context.Background()); err != nil {
				t.Error(err)
			}
			n := map[string]int{}
			mu.Lock()
			for _, r := range pool.records() {
				idx[r.it.Scenario.Name] = append(idx[r.it.Scenario.Name], r.it.IterationInTest)
				n[r.it.Scenario.Name]++
			}
			for name, c := range n {
				perInstance[name] = append(perInstance[name], c)
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	checkIndices(t, idx["si"], 100)
	checkIndices(t, idx["pvi"], 20)
	// arrival-rate: no index twice, and all 90 due unless the machine dropped some
	car := idx["car"]
	sort.Slice(car, func(i, j int) bool { return car[i] < car[j] })
	for i := 1; i < len(car); i++ {
		if car[i] == car[i-1] {
			t.Fatalf("arrival-rate iteration %d ran twice", car[i])
		}
	}
	// a busy machine may drop some, but started + dropped is exactly the unsegmented 90
	if int64(len(car))+dropped.Load() != 90 || (len(car) > 0 && car[len(car)-1] > 89) || len(car) < 45 {
		t.Errorf("arrival-rate: %d started + %d dropped, last index %v; want 90 in all (0..89)", len(car), dropped.Load(), car[len(car)-1:])
	}
	for _, c := range perInstance["si"] {
		if c < 33 || c > 34 {
			t.Errorf("shared-iterations per instance: %v", perInstance["si"])
		}
	}
}

// The VU counts of instances sum to the unsegmented ones.
func TestSegmentVUs(t *testing.T) {
	seq, _ := ParseSequence("0,0.25,0.5,1")
	sc := Scenario{Name: "car", Executor: ConstantArrivalRate, Rate: 10, TimeUnit: time.Second, Duration: time.Second, PreAllocatedVUs: 7, MaxVUs: 11}
	rv := Scenario{Name: "rv", Executor: RampingVUs, StartVUs: 1, Stages: []Stage{{time.Second, 9}}}
	var pre, maxv, ramp int64
	for k := 0; k < 3; k++ {
		s, err := New(Config{Scenarios: []Scenario{sc, rv}, Segment: Segment{From: seq[k], To: seq[k+1]}, Sequence: seq, Pool: &fakePool{}})
		if err != nil {
			t.Fatal(err)
		}
		p := s.Progress()
		a := s.runs[0].ex.(*arrivalRate)
		pre += a.pre
		maxv += a.max
		ramp += p[1].MaxVUs
	}
	if pre != 7 || maxv != 11 || ramp != 9 {
		t.Errorf("sums: preAllocated %d maxVUs %d ramping %d; want 7 11 9", pre, maxv, ramp)
	}
	// without a sequence, 1/4:1/2 is one of {0,1/4,1/2,1}
	s, err := New(Config{Scenarios: []Scenario{sc}, Segment: Segment{From: big.NewRat(1, 4), To: big.NewRat(1, 2)}, Pool: &fakePool{}})
	if err != nil {
		t.Fatal(err)
	}
	if a := s.runs[0].ex.(*arrivalRate); a.max < 2 || a.max > 3 {
		t.Errorf("1/4:1/2 of 11 maxVUs = %d", a.max)
	}
}

// Abort is a hard stop: running iterations are cancelled at once.
func TestAbort(t *testing.T) {
	pool := &fakePool{iterDur: func(Iteration) time.Duration { return 5 * time.Second }}
	log := &doneLog{}
	scs := []Scenario{
		{Name: "cv", Executor: ConstantVUs, VUs: 2, Duration: 10 * time.Second, GracefulStop: 10 * time.Second},
		{Name: "later", Executor: ConstantVUs, VUs: 1, Duration: time.Second, StartTime: time.Second, GracefulStop: time.Second},
	}
	s, err := New(Config{Scenarios: scs, Pool: pool, Hooks: log.hooks()})
	if err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(100*time.Millisecond, s.Abort)
	t0 := time.Now()
	err = s.Run(context.Background())
	if !errors.Is(err, ErrAborted) {
		t.Fatalf("Run = %v, want ErrAborted", err)
	}
	within(t, "run time", time.Since(t0), 100*time.Millisecond, 60*time.Millisecond)
	if done, interrupted, _ := log.counts(); done != 0 || interrupted != 2 {
		t.Errorf("done %d interrupted %d, want 0 and 2", done, interrupted)
	}
}
