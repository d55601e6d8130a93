package sched

import (
	"context"
	"errors"
	"math/big"
	"time"
)

var errTODO = errors.New("sched: not implemented yet")

type Segment struct{ From, To *big.Rat }

func ParseScenarios(raw map[string]any) ([]Scenario, error) { return nil, errTODO }
func ParseDuration(v any) (time.Duration, error)            { return 0, errTODO }
func ShortcutScenario(vus int64, duration time.Duration, iterations int64, stages []Stage) Scenario {
	return Scenario{Name: "default", Executor: "per-vu-iterations", VUs: 1, Iterations: 1, Exec: "default"}
}
func ParseSegment(s string) (Segment, error)     { return Segment{big.NewRat(0, 1), big.NewRat(1, 1)}, nil }
func ParseSequence(s string) ([]*big.Rat, error) { return nil, nil }

type Scheduler struct{ cfg Config }

func New(cfg Config) (*Scheduler, error)            { return &Scheduler{cfg: cfg}, nil }
func (s *Scheduler) Init(ctx context.Context) error { return errTODO }
func (s *Scheduler) Run(ctx context.Context) error  { return errTODO }
func (s *Scheduler) Progress() []ScenarioProgress   { return nil }
func (s *Scheduler) PlannedDuration() time.Duration { return 0 }
