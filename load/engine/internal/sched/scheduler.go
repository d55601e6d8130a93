package sched

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"
)

// Scheduler runs the scenarios of one instance (one execution segment).
type Scheduler struct {
	hooks Hooks
	vus   *vuManager
	runs  []*scenarioRun

	mu      sync.Mutex
	running bool
	aborted bool
	stopRun context.CancelFunc
}

// ErrAborted is what Run's error matches after Abort.
var ErrAborted = errors.New("sched: test aborted")

// New checks the segment against the sequence and scales every scenario
// to this instance's share (see stripe for the rule).
func New(cfg Config) (*Scheduler, error) {
	if cfg.Pool == nil {
		return nil, errors.New("sched: Config.Pool is nil")
	}
	seq, idx, err := sequenceFor(cfg.Segment, cfg.Sequence)
	if err != nil {
		return nil, err
	}
	st, err := newStripe(seq, idx)
	if err != nil {
		return nil, err
	}
	s := &Scheduler{hooks: cfg.Hooks}
	s.vus = &vuManager{pool: cfg.Pool, hooks: &s.hooks}
	seen := map[string]bool{}
	for i := range cfg.Scenarios {
		sc := cfg.Scenarios[i] // a copy the caller cannot change under us
		if seen[sc.Name] {
			return nil, fmt.Errorf("scenarios.%s: expected unique scenario names, got it twice", sc.Name)
		}
		seen[sc.Name] = true
		ex, err := newExecutor(&sc, st)
		if err != nil {
			return nil, err
		}
		s.runs = append(s.runs, newScenarioRun(s, &sc, ex, st))
	}
	return s, nil
}

func newExecutor(sc *Scenario, st *stripe) (executor, error) {
	switch sc.Executor {
	case ConstantVUs:
		return &constantVUs{n: st.count(sc.VUs), d: sc.Duration}, nil
	case RampingVUs:
		return &rampingVUs{startVUs: sc.StartVUs, stages: sc.Stages, rampDown: sc.GracefulRampDown, st: st}, nil
	case PerVUIterations:
		return &perVUIterations{globalVUs: st.owned(sc.VUs), iters: sc.Iterations, maxDur: sc.MaxDuration}, nil
	case SharedIterations:
		return &sharedIterations{vus: st.count(sc.VUs), total: st.count(sc.Iterations), maxDur: sc.MaxDuration}, nil
	case ConstantArrivalRate, RampingArrivalRate:
		unit := sc.TimeUnit
		if unit <= 0 {
			unit = DefaultTimeUnit
		}
		var sch arrivalSchedule
		if sc.Executor == ConstantArrivalRate {
			if sc.Rate <= 0 {
				return nil, fmt.Errorf("scenarios.%s.rate: expected an integer above 0, got %d", sc.Name, sc.Rate)
			}
			sch = &constantRate{rate: sc.Rate, unit: unit, dur: sc.Duration}
		} else {
			sch = newRampingRate(sc.StartRate, unit, sc.Stages)
		}
		maxVUs := max(sc.MaxVUs, sc.PreAllocatedVUs)
		return &arrivalRate{sched: sch, pre: st.count(sc.PreAllocatedVUs), max: st.count(maxVUs), st: st}, nil
	}
	return nil, fmt.Errorf("scenarios.%s.executor: expected one of %s, got %q", sc.Name, executorList(), sc.Executor)
}

// window is when a scenario may hold VUs: from its start until its length
// plus gracefulStop (ramping-vus' gracefulRampDown ends within it too).
func (r *scenarioRun) window() (time.Duration, time.Duration) {
	return r.sc.StartTime, r.sc.StartTime + r.ex.length() + r.sc.GracefulStop
}

// Init pre-allocates as many VUs as the scenarios need at the busiest
// moment (scenarios that cannot overlap in time share VUs), like k6's
// init phase. Run works without Init, allocating as it goes.
func (s *Scheduler) Init(ctx context.Context) error {
	return s.vus.preallocate(ctx, s.maxConcurrentVUs())
}

func (s *Scheduler) maxConcurrentVUs() int64 {
	var best int64
	for _, a := range s.runs {
		at, _ := a.window()
		var sum int64
		for _, b := range s.runs {
			from, to := b.window()
			if from <= at && at < to || from == at {
				sum += b.ex.initVUs()
			}
		}
		best = max(best, sum)
	}
	return best
}

// Run starts every scenario at its startTime and blocks until all are
// over. It returns nil when they ran to their end, or, when ctx is
// cancelled (SIGINT), after the graceful stop of everything: no new
// iterations and no scenario not yet started, in-flight iterations get
// their scenario's gracefulStop, then their ctx is cancelled; Run then
// returns an error for which errors.Is(err, ctx.Err()) holds (see Abort
// for the hard stop). Errors of
// VU creation during the run are joined to the result. Run may be called
// once.
func (s *Scheduler) Run(ctx context.Context) error {
	s.mu.Lock()
	if s.running {
		s.mu.Unlock()
		return errors.New("sched: Run called twice")
	}
	s.running = true
	ctx, s.stopRun = context.WithCancel(ctx)
	defer s.stopRun()
	if s.aborted {
		s.stopRun()
	}
	start := time.Now()
	for _, r := range s.runs {
		r.start = start.Add(r.sc.StartTime)
	}
	s.mu.Unlock()

	var wg sync.WaitGroup
	for _, r := range s.runs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.execute(ctx)
		}()
	}
	wg.Wait()
	var errs []error
	s.mu.Lock()
	aborted := s.aborted
	s.mu.Unlock()
	if aborted {
		errs = append(errs, ErrAborted)
	} else if err := ctx.Err(); err != nil {
		errs = append(errs, ctx.Err())
	}
	for _, r := range s.runs {
		r.mu.Lock()
		if r.err != nil {
			errs = append(errs, fmt.Errorf("scenario %s: %w", r.sc.Name, r.err))
		}
		r.mu.Unlock()
	}
	return errors.Join(errs...)
}

// Abort stops the test now, without graceful stop (test.abort(), a second
// SIGINT): no new iterations, the ctx of running ones is cancelled at once
// (they count as interrupted), scenarios not started never start. Run
// then returns an error matching ErrAborted. Safe to call at any time.
func (s *Scheduler) Abort() {
	s.mu.Lock()
	s.aborted = true
	if s.stopRun != nil {
		s.stopRun()
	}
	s.mu.Unlock()
	for _, r := range s.runs {
		r.softCancel()
		r.hardCancel()
	}
}

// Progress is a snapshot of every scenario, in start-time then name order.
func (s *Scheduler) Progress() []ScenarioProgress {
	s.mu.Lock()
	running := s.running
	s.mu.Unlock()
	out := make([]ScenarioProgress, 0, len(s.runs))
	for _, r := range s.runs {
		if !running {
			out = append(out, ScenarioProgress{Name: r.sc.Name, Executor: r.sc.Executor,
				Planned: r.ex.length(), MaxVUs: r.ex.maxVUs(), Iterations: r.ex.iterations()})
			continue
		}
		out = append(out, r.progress())
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := s.scenario(out[i].Name), s.scenario(out[j].Name)
		if a.StartTime != b.StartTime {
			return a.StartTime < b.StartTime
		}
		return a.Name < b.Name
	})
	return out
}

func (s *Scheduler) scenario(name string) *Scenario {
	for _, r := range s.runs {
		if r.sc.Name == name {
			return r.sc
		}
	}
	return &Scenario{}
}

// VUs returns the active (held by scenarios) and allocated VU counts.
func (s *Scheduler) VUs() (active, allocated int64) { return s.vus.counts() }

// PlannedDuration is the longest startTime + length + gracefulStop: the
// most the test can take.
func (s *Scheduler) PlannedDuration() time.Duration {
	var d time.Duration
	for _, r := range s.runs {
		_, to := r.window()
		d = max(d, to)
	}
	return d
}
