package sched

import (
	"sync"
	"time"
)

// arrivalSchedule gives the start offset (from the scenario start) of
// iteration i of the unsegmented test; false once i is past the end.
// Offsets are computed from the start for every i, never by accumulating
// sleeps, so the schedule cannot drift.
type arrivalSchedule interface {
	at(i int64) (time.Duration, bool)
	length() time.Duration
}

// constantRate: iteration i starts at i*timeUnit/rate.
type constantRate struct {
	rate int64
	unit time.Duration
	dur  time.Duration
}

func (c *constantRate) length() time.Duration { return c.dur }

func (c *constantRate) at(i int64) (time.Duration, bool) {
	off := time.Duration(mulDiv(i, int64(c.unit), c.rate))
	return off, off < c.dur
}

// arrivalRate is the open-model executor behind constant-arrival-rate and
// ramping-arrival-rate. Each iteration due goes to an idle VU; if none is
// idle and the scenario holds fewer than maxVUs (counting VUs being
// initialised), a VU is allocated in the background and the iteration
// starts on it as soon as it is ready (late rather than lost); otherwise the
// iteration is dropped (dropped_iterations). The schedule loop never waits
// for an allocation.
type arrivalRate struct {
	sched    arrivalSchedule
	pre, max int64
	st       *stripe
}

func (e *arrivalRate) length() time.Duration { return e.sched.length() }
func (e *arrivalRate) initVUs() int64        { return e.pre }
func (e *arrivalRate) maxVUs() int64         { return e.max }
func (e *arrivalRate) iterations() int64     { return 0 }

type arrivalState struct {
	e       *arrivalRate
	r       *scenarioRun
	wg      sync.WaitGroup
	mu      sync.Mutex
	idle    []VU
	held    int64 // VUs of this scenario (idle or busy)
	pending int64 // allocations under way
}

func (e *arrivalRate) run(r *scenarioRun) error {
	a := &arrivalState{e: e, r: r}
	// Pre-allocated VUs: normally free since Init; any missing (Init not
	// called, or still used by an overlapping scenario) come in the background.
	for i := int64(0); i < e.pre; i++ {
		if vu, ok := r.s.vus.tryGet(); ok {
			r.held.Add(1)
			a.idle = append(a.idle, vu)
			a.held++
		} else {
			a.pending++
			a.wg.Add(1)
			go a.allocate(-1, time.Time{})
		}
	}
	cu := r.st.cursor()
	for r.soft.Err() == nil {
		i := cu.nextOwned()
		off, ok := e.sched.at(i)
		if !ok {
			break
		}
		due := r.start.Add(off)
		if !sleepUntil(r.soft, due) {
			break
		}
		a.dispatch(i, due)
	}
	a.wg.Wait()
	for _, vu := range a.idle {
		r.releaseVU(vu)
	}
	return nil
}

func (a *arrivalState) dispatch(i int64, due time.Time) {
	a.mu.Lock()
	if n := len(a.idle); n > 0 {
		vu := a.idle[n-1]
		a.idle = a.idle[:n-1]
		a.wg.Add(1)
		a.mu.Unlock()
		go a.runOn(vu, i)
		return
	}
	if a.held+a.pending < a.e.max {
		a.pending++
		a.wg.Add(1)
		a.mu.Unlock()
		go a.allocate(i, due)
		return
	}
	a.mu.Unlock()
	a.r.drop(due)
}

func (a *arrivalState) runOn(vu VU, i int64) {
	defer a.wg.Done()
	a.r.iterate(a.r.hard, vu, i)
	a.mu.Lock()
	a.idle = append(a.idle, vu)
	a.mu.Unlock()
}

// allocate adds a VU to the scenario; i >= 0 is the iteration waiting for it.
func (a *arrivalState) allocate(i int64, due time.Time) {
	vu, err := a.r.holdVU(a.r.soft)
	a.mu.Lock()
	a.pending--
	if err != nil {
		a.mu.Unlock()
		if a.r.soft.Err() == nil {
			a.r.fail(err)
		}
		if i >= 0 {
			a.r.drop(due)
		}
		a.wg.Done()
		return
	}
	a.held++
	if i < 0 || a.r.soft.Err() != nil {
		a.idle = append(a.idle, vu)
		a.mu.Unlock()
		if i >= 0 {
			a.r.drop(due)
		}
		a.wg.Done()
		return
	}
	a.mu.Unlock()
	a.runOn(vu, i) // calls wg.Done
}
