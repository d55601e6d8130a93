package sched

import (
	"context"
	"runtime"
	"sync"
)

// vuManager owns every VU of this instance: initialised ones wait in free
// until a scenario takes them. Scenarios that do not overlap in time reuse
// the same VUs, like k6 does.
type vuManager struct {
	pool  VUPool
	hooks *Hooks

	mu        sync.Mutex
	free      []VU
	allocated int64 // VUs created so far
	active    int64 // VUs held by scenarios
}

func (m *vuManager) notifyLocked() {
	// Called with mu held so that gauge updates arrive in order.
	if m.hooks.VUsChanged != nil {
		m.hooks.VUsChanged(m.active, m.allocated)
	}
}

// preallocate creates VUs until n exist, a few at a time (init code may be
// slow, and the machine has a couple of cores).
func (m *vuManager) preallocate(ctx context.Context, n int64) error {
	m.mu.Lock()
	need := n - m.allocated
	m.mu.Unlock()
	if need <= 0 {
		return nil
	}
	par := int64(runtime.GOMAXPROCS(0))
	sem := make(chan struct{}, par)
	var wg sync.WaitGroup
	var once sync.Once
	var firstErr error
	for i := int64(0); i < need; i++ {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			vu, err := m.pool.NewVU(ctx)
			if err != nil {
				once.Do(func() { firstErr = err })
				return
			}
			m.mu.Lock()
			m.allocated++
			m.free = append(m.free, vu)
			m.notifyLocked()
			m.mu.Unlock()
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}

// tryGet takes a free VU without creating one.
func (m *vuManager) tryGet() (VU, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.free) == 0 {
		return nil, false
	}
	vu := m.free[len(m.free)-1]
	m.free = m.free[:len(m.free)-1]
	m.active++
	m.notifyLocked()
	return vu, true
}

// get takes a free VU, or creates one (blocking while its init code runs).
func (m *vuManager) get(ctx context.Context) (VU, error) {
	if vu, ok := m.tryGet(); ok {
		return vu, nil
	}
	vu, err := m.pool.NewVU(ctx)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	m.allocated++
	m.active++
	m.notifyLocked()
	m.mu.Unlock()
	return vu, nil
}

// put gives a VU back for later scenarios.
func (m *vuManager) put(vu VU) {
	m.mu.Lock()
	m.free = append(m.free, vu)
	m.active--
	m.notifyLocked()
	m.mu.Unlock()
}

func (m *vuManager) counts() (active, allocated int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.active, m.allocated
}
