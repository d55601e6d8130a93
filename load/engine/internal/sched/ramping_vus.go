package sched

import (
	"context"
	"sync"
	"time"
)

// rampingVUs: the number of looping VUs follows startVUs and the stages,
// linearly. VUs removed by a ramp-down finish their iteration within
// gracefulRampDown, then it is cancelled (interrupted).
type rampingVUs struct {
	startVUs int64
	stages   []Stage
	rampDown time.Duration
	st       *stripe
}

func (e *rampingVUs) length() time.Duration { return stagesLength(e.stages) }
func (e *rampingVUs) initVUs() int64        { return e.st.count(maxTarget(e.startVUs, e.stages)) }
func (e *rampingVUs) maxVUs() int64         { return e.initVUs() }
func (e *rampingVUs) iterations() int64     { return 0 }

func stagesLength(st []Stage) time.Duration {
	var d time.Duration
	for _, s := range st {
		d += s.Duration
	}
	return d
}

// vuTarget is the unsegmented number of VUs at offset t, and the next
// offset at which it may change (-1 after the last stage). Within a stage
// the value moves from the previous target toward the stage target and
// changes when the linear ramp crosses an integer (truncated toward the
// stage's start value).
func vuTarget(start int64, stages []Stage, t time.Duration) (int64, time.Duration) {
	v0 := start
	var s time.Duration
	for _, st := range stages {
		end := s + st.Duration
		if t < end {
			delta := st.Target - v0
			if delta == 0 {
				return v0, end
			}
			sign, ad := int64(1), delta
			if delta < 0 {
				sign, ad = -1, -delta
			}
			e := int64(t - s)
			d := int64(st.Duration)
			k := mulDiv(ad, e, d)
			// next step k+1 at ceil((k+1)*d/ad)
			next := s + time.Duration(mulDivCeil(k+1, d, ad))
			if next > end || next <= t {
				next = end
			}
			return v0 + sign*k, next
		}
		v0 = st.Target
		s = end
	}
	return v0, -1
}

type rampSlot struct {
	mu         sync.Mutex
	wanted     bool
	running    bool
	cancelIter context.CancelFunc
	timer      *time.Timer
}

func (e *rampingVUs) run(r *scenarioRun) error {
	var (
		wg    sync.WaitGroup
		slots []*rampSlot
	)
	apply := func(n int64) {
		for int64(len(slots)) < n {
			slots = append(slots, &rampSlot{})
		}
		for i, sl := range slots {
			sl.mu.Lock()
			switch {
			case int64(i) < n:
				sl.wanted = true
				if sl.timer != nil { // revived during its ramp-down
					sl.timer.Stop()
					sl.timer = nil
				}
				if !sl.running {
					sl.running = true
					wg.Add(1)
					go e.loop(r, sl, &wg)
				}
			case sl.wanted:
				sl.wanted = false
				if sl.running {
					sl.timer = time.AfterFunc(e.rampDown, func() {
						sl.mu.Lock()
						if !sl.wanted && sl.cancelIter != nil {
							sl.cancelIter()
						}
						sl.mu.Unlock()
					})
				}
			}
			sl.mu.Unlock()
		}
	}
	for {
		g, next := vuTarget(e.startVUs, e.stages, time.Since(r.start))
		apply(e.st.count(g))
		if next < 0 || !sleepUntil(r.soft, r.start.Add(next)) {
			break
		}
	}
	wg.Wait()
	for _, sl := range slots {
		sl.mu.Lock()
		if sl.timer != nil {
			sl.timer.Stop()
		}
		sl.mu.Unlock()
	}
	return nil
}

// loop is one looping VU of a slot; it ends when the slot is no longer
// wanted (after its current iteration) or the scenario stops.
func (e *rampingVUs) loop(r *scenarioRun, sl *rampSlot, wg *sync.WaitGroup) {
	defer wg.Done()
	vu, err := r.holdVU(r.soft)
	if err != nil {
		if r.soft.Err() == nil {
			r.fail(err)
		}
		sl.mu.Lock()
		sl.running = false
		sl.mu.Unlock()
		return
	}
	for {
		sl.mu.Lock()
		if !sl.wanted || r.soft.Err() != nil {
			// decided and published under the lock, so apply() either sees
			// running and revives us, or sees !running and starts anew
			sl.running = false
			r.releaseVU(vu)
			sl.mu.Unlock()
			return
		}
		ictx, cancel := context.WithCancel(r.hard)
		sl.cancelIter = cancel
		sl.mu.Unlock()
		r.iterate(ictx, vu, r.nextTestIndex())
		sl.mu.Lock()
		sl.cancelIter = nil
		sl.mu.Unlock()
		cancel()
	}
}
