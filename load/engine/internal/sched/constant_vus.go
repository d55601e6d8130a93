package sched

import (
	"sync"
	"time"
)

// constantVUs: n VUs loop over iterations for the whole duration.
type constantVUs struct {
	n int64
	d time.Duration
}

func (e *constantVUs) length() time.Duration { return e.d }
func (e *constantVUs) initVUs() int64        { return e.n }
func (e *constantVUs) maxVUs() int64         { return e.n }
func (e *constantVUs) iterations() int64     { return 0 }

func (e *constantVUs) run(r *scenarioRun) error {
	var wg sync.WaitGroup
	for i := int64(0); i < e.n; i++ {
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
			for r.soft.Err() == nil {
				r.iterate(r.hard, vu, r.nextTestIndex())
			}
		}()
	}
	wg.Wait()
	return nil
}
