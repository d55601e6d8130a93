package sched

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// executor is one of the six k6 executors, already scaled to this
// instance's execution segment.
type executor interface {
	// run blocks until the scenario is over: no new iterations after
	// r.soft is done, in-flight ones end by r.hard at the latest.
	run(r *scenarioRun) error
	// length is the scenario's own duration (duration, maxDuration or the
	// sum of stages), after which no iteration starts.
	length() time.Duration
	initVUs() int64    // VUs to pre-allocate for this instance
	maxVUs() int64     // most VUs this instance may use
	iterations() int64 // planned iterations of this instance, 0 if time-based
}

// scenarioRun is the live state of one scenario.
type scenarioRun struct {
	sc *Scenario
	s  *Scheduler
	ex executor
	st *stripe

	start    time.Time // planned start (run start + startTime)
	started  atomic.Bool
	finished atomic.Bool

	// soft: no new iterations (duration over or Run ctx cancelled);
	// hard: in-flight iterations must stop (gracefulStop over).
	soft, hard             context.Context
	softCancel, hardCancel context.CancelFunc

	iterStarted, done, interrupted, dropped atomic.Int64
	held, busy                              atomic.Int64

	mu       sync.Mutex
	vuIters  map[uint64]int64
	testIter *stripeCursor // global indices of the closed-model executors
	err      error
}

func newScenarioRun(s *Scheduler, sc *Scenario, ex executor, st *stripe) *scenarioRun {
	r := &scenarioRun{sc: sc, s: s, ex: ex, st: st, vuIters: map[uint64]int64{}, testIter: st.cursor()}
	r.soft, r.softCancel = context.WithCancel(context.Background())
	r.hard, r.hardCancel = context.WithCancel(context.Background())
	return r
}

func (r *scenarioRun) fail(err error) {
	r.mu.Lock()
	if r.err == nil {
		r.err = err
	}
	r.mu.Unlock()
}

// execute waits for the scenario's start time, runs it, and enforces the
// graceful stop: at the end of its length (or when runCtx is cancelled) no
// new iterations, gracefulStop later the iterations' ctx is cancelled.
// r.start must be set before (Progress reads it concurrently).
func (r *scenarioRun) execute(runCtx context.Context) {
	defer func() {
		r.softCancel()
		r.hardCancel()
		r.finished.Store(true)
	}()
	if !sleepUntil(runCtx, r.start) {
		return // cancelled before this scenario began: it never starts
	}
	r.started.Store(true)
	finished := make(chan struct{})
	go func() {
		end := time.NewTimer(time.Until(r.start.Add(r.ex.length())))
		defer end.Stop()
		select {
		case <-end.C:
		case <-runCtx.Done():
		case <-finished:
			return
		}
		r.softCancel()
		grace := time.NewTimer(r.sc.GracefulStop)
		defer grace.Stop()
		select {
		case <-grace.C:
			r.hardCancel()
		case <-finished:
		}
	}()
	if err := r.ex.run(r); err != nil {
		r.fail(err)
	}
	close(finished)
}

// sleepUntil waits for t; false if ctx ended first.
func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// nextTestIndex is the index in the unsegmented test of the next iteration
// of a closed-model executor: the next index this segment owns.
func (r *scenarioRun) nextTestIndex() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.testIter.nextOwned()
}

// iterate runs one iteration and reports it. An iteration that returns
// after its ctx was cancelled counts as interrupted.
func (r *scenarioRun) iterate(ctx context.Context, vu VU, testIdx int64) {
	id := vu.ID()
	r.mu.Lock()
	vuIter := r.vuIters[id]
	r.vuIters[id] = vuIter + 1
	r.mu.Unlock()
	it := Iteration{
		Scenario:              r.sc,
		VUIDInTest:            id,
		IterationInInstance:   r.iterStarted.Add(1) - 1,
		IterationInTest:       testIdx,
		VUIterationInScenario: vuIter,
		ScenarioStart:         r.start,
	}
	r.busy.Add(1)
	t0 := time.Now()
	err := vu.RunIteration(ctx, it)
	d := time.Since(t0)
	r.busy.Add(-1)
	interrupted := ctx.Err() != nil
	if interrupted {
		r.interrupted.Add(1)
	} else {
		r.done.Add(1)
	}
	if h := r.s.hooks.IterationDone; h != nil {
		h(r.sc, it, err, d, interrupted)
	}
}

func (r *scenarioRun) drop(at time.Time) {
	r.dropped.Add(1)
	if h := r.s.hooks.DroppedIteration; h != nil {
		h(r.sc, at)
	}
}

// holdVU takes a VU for this scenario (free one, else a new one).
func (r *scenarioRun) holdVU(ctx context.Context) (VU, error) {
	vu, err := r.s.vus.get(ctx)
	if err != nil {
		return nil, err
	}
	r.held.Add(1)
	return vu, nil
}

func (r *scenarioRun) releaseVU(vu VU) {
	r.held.Add(-1)
	r.s.vus.put(vu)
}

func (r *scenarioRun) progress() ScenarioProgress {
	p := ScenarioProgress{
		Name: r.sc.Name, Executor: r.sc.Executor,
		Planned:     r.ex.length(),
		ActiveVUs:   r.held.Load(),
		BusyVUs:     r.busy.Load(),
		MaxVUs:      r.ex.maxVUs(),
		Done:        r.done.Load(),
		Interrupted: r.interrupted.Load(),
		Dropped:     r.dropped.Load(),
		Iterations:  r.ex.iterations(),
		Started:     r.started.Load(),
		Finished:    r.finished.Load(),
	}
	if p.Started {
		p.Elapsed = time.Since(r.start)
	}
	return p
}
