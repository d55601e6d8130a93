package sched

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeVU sleeps for a programmed time per iteration and records starts.
type fakeVU struct {
	id   uint64
	pool *fakePool
}

func (v *fakeVU) ID() uint64 { return v.id }

func (v *fakeVU) RunIteration(ctx context.Context, it Iteration) error {
	p := v.pool
	now := time.Now()
	p.mu.Lock()
	p.starts = append(p.starts, record{at: now, it: it, vu: v.id})
	p.mu.Unlock()
	p.running.Add(1)
	defer p.running.Add(-1)
	d := time.Duration(0)
	if p.iterDur != nil {
		d = p.iterDur(it)
	}
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

type record struct {
	at time.Time
	it Iteration
	vu uint64
}

type fakePool struct {
	initDelay time.Duration
	iterDur   func(Iteration) time.Duration
	nextID    atomic.Uint64
	created   atomic.Int64
	running   atomic.Int64

	mu     sync.Mutex
	starts []record
}

func (p *fakePool) NewVU(ctx context.Context) (VU, error) {
	if p.initDelay > 0 {
		t := time.NewTimer(p.initDelay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	p.created.Add(1)
	return &fakeVU{id: p.nextID.Add(1), pool: p}, nil
}

func (p *fakePool) records() []record {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]record(nil), p.starts...)
}

// doneLog collects IterationDone and DroppedIteration calls.
type doneLog struct {
	mu          sync.Mutex
	done        []doneRec
	dropped     []time.Time
	vuChanges   [][2]int64
	interrupted int
}

type doneRec struct {
	it          Iteration
	err         error
	d           time.Duration
	interrupted bool
	at          time.Time
}

func (l *doneLog) hooks() Hooks {
	return Hooks{
		DroppedIteration: func(sc *Scenario, at time.Time) {
			l.mu.Lock()
			l.dropped = append(l.dropped, at)
			l.mu.Unlock()
		},
		VUsChanged: func(active, allocated int64) {
			l.mu.Lock()
			l.vuChanges = append(l.vuChanges, [2]int64{active, allocated})
			l.mu.Unlock()
		},
		IterationDone: func(sc *Scenario, it Iteration, err error, d time.Duration, interrupted bool) {
			l.mu.Lock()
			l.done = append(l.done, doneRec{it: it, err: err, d: d, interrupted: interrupted, at: time.Now()})
			if interrupted {
				l.interrupted++
			}
			l.mu.Unlock()
		},
	}
}

func (l *doneLog) counts() (done, interrupted, dropped int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.done) - l.interrupted, l.interrupted, len(l.dropped)
}

// runScenarios builds a scheduler for one full-test instance and runs it.
func runScenarios(t *testing.T, ctx context.Context, pool *fakePool, log *doneLog, scs ...Scenario) (time.Duration, error) {
	t.Helper()
	s, err := New(Config{Scenarios: scs, Segment: FullSegment(), Pool: pool, Hooks: log.hooks()})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Init(ctx); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	err = s.Run(ctx)
	return time.Since(t0), err
}

func within(t *testing.T, what string, got, want, tol time.Duration) {
	t.Helper()
	if got < want-tol || got > want+tol {
		t.Errorf("%s: got %v, want %v ±%v", what, got, want, tol)
	}
}
