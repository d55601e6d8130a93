package sched

import (
	"sync"
	"time"
)

// perVUIterations: each VU runs `iters` iterations, within maxDuration.
// globalVUs are the indices (in the unsegmented test) of this instance's
// VUs, so IterationInTest = globalVU*iters + k is unique across instances.
type perVUIterations struct {
	globalVUs []int64
	iters     int64
	maxDur    time.Duration
}

func (e *perVUIterations) length() time.Duration { return e.maxDur }
func (e *perVUIterations) initVUs() int64        { return int64(len(e.globalVUs)) }
func (e *perVUIterations) maxVUs() int64         { return int64(len(e.globalVUs)) }
func (e *perVUIterations) iterations() int64     { return int64(len(e.globalVUs)) * e.iters }

func (e *perVUIterations) run(r *scenarioRun) error {
	var wg sync.WaitGroup
	// VUs go back to the pool only when every loop is done: a VU released early (its loop was
	// fast) would be taken by a loop that has not started yet, and one VU would run the
	// iterations of several (exec.vu.idInTest and iterationInScenario would be wrong)
	var mu sync.Mutex
	var held []VU
	defer func() {
		for _, vu := range held {
			r.releaseVU(vu)
		}
	}()
	for _, g := range e.globalVUs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k := int64(0)
			// k6 counts what maxDuration cut off as dropped_iterations
			defer func() {
				now := time.Now()
				for ; k < e.iters; k++ {
					r.drop(now)
				}
			}()
			vu, err := r.holdVU(r.soft)
			if err != nil {
				if r.soft.Err() == nil {
					r.fail(err)
				}
				return
			}
			mu.Lock()
			held = append(held, vu)
			mu.Unlock()
			for ; k < e.iters && r.soft.Err() == nil; k++ {
				r.iterate(r.hard, vu, g*e.iters+k)
			}
		}()
	}
	wg.Wait()
	return nil
}

// sharedIterations: vus VUs take iterations from one shared counter of
// `total` (this instance's share), within maxDuration.
type sharedIterations struct {
	vus, total int64
	maxDur     time.Duration
}

func (e *sharedIterations) length() time.Duration { return e.maxDur }
func (e *sharedIterations) initVUs() int64        { return e.vus }
func (e *sharedIterations) maxVUs() int64         { return e.vus }
func (e *sharedIterations) iterations() int64     { return e.total }

func (e *sharedIterations) run(r *scenarioRun) error {
	var mu sync.Mutex
	taken := int64(0)
	take := func() (int64, bool) {
		mu.Lock()
		defer mu.Unlock()
		if taken >= e.total || r.soft.Err() != nil {
			return 0, false
		}
		taken++
		return r.nextTestIndex(), true
	}
	var wg sync.WaitGroup
	for i := int64(0); i < e.vus; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			vu, err := r.holdVU(r.soft)
			if err != nil {
				if r.soft.Err() == nil {
					r.fail(err)
				}
				return
			}
			defer r.releaseVU(vu)
			for {
				idx, ok := take()
				if !ok {
					return
				}
				r.iterate(r.hard, vu, idx)
			}
		}()
	}
	wg.Wait()
	// Iterations never started (maxDuration over, or no VU in this
	// segment) are dropped, as k6 counts them.
	now := time.Now()
	for ; taken < e.total; taken++ {
		r.drop(now)
	}
	return nil
}
