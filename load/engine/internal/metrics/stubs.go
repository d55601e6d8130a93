package metrics

import (
	"errors"
	"time"
)

// Threshold is one threshold expression of options.thresholds.
type Threshold struct {
	Source         string
	AbortOnFail    bool
	DelayAbortEval time.Duration
	Aggregation    string
	Op             string
	Value          float64
}

func ParseThresholds(raw map[string]any) (map[string][]*Threshold, error) { return nil, nil }

func ParseSubmetricKey(key string) (string, map[string]string, error) { return key, nil, nil }

func (t *Threshold) Check(values map[string]float64) (bool, error) { return true, nil }

type CollectorConfig struct {
	Registry      *Registry
	Thresholds    map[string][]*Threshold
	TrendStats    []string
	Outputs       []Output
	FlushInterval time.Duration
}

type Collector struct{ root *Group }

func NewCollector(cfg CollectorConfig) (*Collector, error) {
	return &Collector{root: NewRootGroup()}, nil
}
func (c *Collector) Push(samples ...Sample) {}
func (c *Collector) Start()                 {}
func (c *Collector) Stop() error            { return nil }
func (c *Collector) RootGroup() *Group      { return c.root }
func (c *Collector) EvaluateThresholds(elapsed time.Duration) (bool, []string) {
	return false, nil
}

type SummaryOptions struct {
	TrendStats               []string
	TimeUnit                 string
	NoColor                  bool
	IsStdOutTTY, IsStdErrTTY bool
}

func (c *Collector) SummaryData(testRunDuration time.Duration, opts SummaryOptions) map[string]any {
	return map[string]any{}
}

func TextSummary(data map[string]any, noColor bool) string { return "" }

func NewJSONOutput(path string, reg *Registry) (Output, error) { return nil, errors.New("todo") }
