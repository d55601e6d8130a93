package sched

import (
	"context"
	"sort"
	"testing"
	"time"
)

func carScenario(rate int64, dur time.Duration, pre, maxVUs int64) Scenario {
	return Scenario{Name: "car", Executor: ConstantArrivalRate, Rate: rate, TimeUnit: time.Second,
		Duration: dur, PreAllocatedVUs: pre, MaxVUs: maxVUs, GracefulStop: time.Second, Exec: "default"}
}

// Starts follow i*timeUnit/rate from the scenario start.
func TestConstantArrivalRateSchedule(t *testing.T) {
	pool := &fakePool{iterDur: func(Iteration) time.Duration { return 2 * time.Millisecond }}
	log := &doneLog{}
	took, err := runScenarios(t, context.Background(), pool, log, carScenario(200, time.Second, 20, 20))
	if err != nil {
		t.Fatal(err)
	}
	recs := pool.records()
	if len(recs) < 198 || len(recs) > 200 {
		t.Errorf("1s at 200/s started %d iterations", len(recs))
	}
	if _, _, dropped := log.counts(); dropped+len(recs) != 200 {
		t.Errorf("started %d + dropped %d != 200", len(recs), dropped)
	}
	late := 0
	for _, r := range recs {
		want := r.it.ScenarioStart.Add(time.Duration(r.it.IterationInTest) * 5 * time.Millisecond)
		d := r.at.Sub(want)
		if d < -time.Millisecond || d > 100*time.Millisecond {
			t.Errorf("iteration %d started %v off schedule", r.it.IterationInTest, d)
		}
		if d > 20*time.Millisecond {
			late++
		}
	}
	if late > len(recs)/20 {
		t.Errorf("%d of %d iterations started more than 20ms late", late, len(recs))
	}
	within(t, "run time", took, time.Second, 150*time.Millisecond)
	if pool.created.Load() > 20 {
		t.Errorf("created %d VUs, maxVUs is 20", pool.created.Load())
	}
}

// With maxVUs busy, iterations are dropped, not queued.
func TestArrivalRateDropsWhenMaxVUsBusy(t *testing.T) {
	pool := &fakePool{iterDur: func(Iteration) time.Duration { return 200 * time.Millisecond }}
	log := &doneLog{}
	_, err := runScenarios(t, context.Background(), pool, log, carScenario(50, 500*time.Millisecond, 2, 2))
	if err != nil {
		t.Fatal(err)
	}
	done, interrupted, dropped := log.counts()
	started := len(pool.records())
	if started+dropped != 25 {
		t.Errorf("started %d + dropped %d != 25 due", started, dropped)
	}
	// 2 VUs, 200 ms each, 500 ms: at most 3 rounds of 2
	if started > 6 || started < 4 || dropped < 19 {
		t.Errorf("started %d, dropped %d; want about 6 and 19", started, dropped)
	}
	if done+interrupted != started {
		t.Errorf("done %d + interrupted %d != started %d", done, interrupted, started)
	}
}

// VUs beyond preAllocatedVUs are created in the background: the schedule
// of the other iterations is not delayed, and the iteration that asked for
// the VU starts once it is ready.
func TestArrivalRateBackgroundAllocation(t *testing.T) {
	pool := &fakePool{iterDur: func(Iteration) time.Duration { return 120 * time.Millisecond }}
	s, err := New(Config{Scenarios: []Scenario{carScenario(20, 500*time.Millisecond, 1, 10)}, Pool: pool})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Init(context.Background()); err != nil {
		t.Fatal(err)
	}
	pool.initDelay = 80 * time.Millisecond // only mid-test allocations are slow
	log := &doneLog{}
	s.hooks = log.hooks()
	if err := s.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	recs := pool.records()
	sort.Slice(recs, func(i, j int) bool { return recs[i].it.IterationInTest < recs[j].it.IterationInTest })
	if _, _, dropped := log.counts(); len(recs) != 10 || dropped != 0 {
		t.Fatalf("started %d, dropped %d; want 10 and 0", len(recs), dropped)
	}
	onTime := 0
	for _, r := range recs {
		d := r.at.Sub(r.it.ScenarioStart.Add(time.Duration(r.it.IterationInTest) * 50 * time.Millisecond))
		if d > 150*time.Millisecond {
			t.Errorf("iteration %d started %v late", r.it.IterationInTest, d)
		}
		if d < 20*time.Millisecond {
			onTime++
		}
	}
	// iterations 0 and those finding a VU freed by an earlier one are on time
	if onTime < 3 {
		t.Errorf("only %d iterations on time", onTime)
	}
	if c := pool.created.Load(); c < 2 || c > 10 {
		t.Errorf("created %d VUs", c)
	}
}

func TestRampingArrivalRateRun(t *testing.T) {
	pool := &fakePool{iterDur: func(Iteration) time.Duration { return time.Millisecond }}
	log := &doneLog{}
	sc := Scenario{Name: "rar", Executor: RampingArrivalRate, StartRate: 0, TimeUnit: time.Second,
		Stages: []Stage{{500 * time.Millisecond, 200}, {500 * time.Millisecond, 200}}, PreAllocatedVUs: 20, MaxVUs: 20, GracefulStop: time.Second}
	if _, err := runScenarios(t, context.Background(), pool, log, sc); err != nil {
		t.Fatal(err)
	}
	recs := pool.records()
	// 0.5*200/2 + 0.5*200 = 150
	if _, _, dropped := log.counts(); len(recs)+dropped != 150 || len(recs) < 145 {
		t.Errorf("ramping arrival started %d (+%d dropped), want 150", len(recs), dropped)
	}
	firstHalf := 0
	for _, r := range recs {
		off := r.at.Sub(r.it.ScenarioStart)
		if off < 500*time.Millisecond {
			firstHalf++
		}
	}
	// ramp 0->200/s over 0.5 s: 50 iterations in the first half
	if firstHalf < 45 || firstHalf > 55 {
		t.Errorf("first half started %d, want 50", firstHalf)
	}
}
