package sched

import (
	"context"
	"math/big"
	"time"
)

// Stage is one step of a ramping executor: ramp linearly to Target over Duration.
type Stage struct {
	Duration time.Duration
	Target   int64
}

// Scenario is one resolved entry of options.scenarios (defaults applied).
type Scenario struct {
	Name, Executor          string
	StartTime, GracefulStop time.Duration
	Exec                    string
	Env, Tags               map[string]string
	Options                 map[string]any
	VUs, Iterations         int64
	Duration, MaxDuration   time.Duration
	Rate                    int64
	TimeUnit                time.Duration
	PreAllocatedVUs, MaxVUs int64
	StartRate, StartVUs     int64
	Stages                  []Stage
	GracefulRampDown        time.Duration
}

// Iteration describes one iteration handed to a VU.
type Iteration struct {
	Scenario              *Scenario
	VUIDInTest            uint64 // 1-based; unique within this instance
	IterationInInstance   int64  // scenario's iterations started by this instance, 0-based
	IterationInTest       int64  // index in the whole (unsegmented) test, 0-based
	VUIterationInScenario int64  // iterations this VU ran in this scenario, 0-based
	ScenarioStart         time.Time
}

// VU runs iterations. ctx is cancelled when the iteration must stop now.
type VU interface {
	RunIteration(ctx context.Context, it Iteration) error
	ID() uint64
}

// VUPool creates initialised VUs; NewVU may take long (runs init code).
type VUPool interface {
	NewVU(ctx context.Context) (VU, error)
}

// Hooks are optional callbacks; nil fields are skipped. DroppedIteration and
// IterationDone may be called concurrently from many goroutines.
// VUsChanged is called in order, under the scheduler's VU lock: it must be
// quick and must not call back into the Scheduler.
// DroppedIteration is also called, as k6 counts dropped_iterations, for the
// iterations of shared-iterations / per-vu-iterations that maxDuration cut
// off (at = when they were given up).
type Hooks struct {
	DroppedIteration func(sc *Scenario, at time.Time)
	VUsChanged       func(active, allocated int64)
	IterationDone    func(sc *Scenario, it Iteration, err error, d time.Duration, interrupted bool)
}

// Config is what New needs.
type Config struct {
	Scenarios []Scenario
	Segment   Segment
	Sequence  []*big.Rat
	Pool      VUPool
	Hooks     Hooks
}

// ScenarioProgress is a snapshot for the live progress line.
type ScenarioProgress struct {
	Name, Executor string
	Elapsed        time.Duration // since the scenario started (0 before)
	Planned        time.Duration // duration (or maxDuration) of the scenario
	ActiveVUs      int64         // VUs held by the scenario
	BusyVUs        int64         // of those, VUs running an iteration now
	MaxVUs         int64         // VUs the scenario may use in this instance
	Done           int64         // iterations completed (not interrupted)
	Interrupted    int64
	Dropped        int64
	// Iterations is the planned number of iterations for iteration-based
	// executors (this instance's share), else 0.
	Iterations int64
	Started    bool
	Finished   bool
}
