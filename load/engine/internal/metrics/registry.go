// Package metrics is the engine's metric model: registry, samples, sinks, submetrics,
// thresholds, groups/checks, the end-of-test summary and the JSON-lines output.
// Written from k6's public documentation only.
package metrics

import (
	"fmt"
	"regexp"
	"sort"
	"sync"
	"time"
)

// Type is the kind of a metric (k6: Counter, Gauge, Rate, Trend).
type Type int

const (
	Counter Type = iota
	Gauge
	Rate
	Trend
)

func (t Type) String() string {
	switch t {
	case Counter:
		return "counter"
	case Gauge:
		return "gauge"
	case Rate:
		return "rate"
	case Trend:
		return "trend"
	}
	return fmt.Sprintf("Type(%d)", int(t))
}

// ValueType says what a metric's values mean; it only affects display (time in ms, data in bytes).
type ValueType int

const (
	Default ValueType = iota
	Time
	Data
)

func (v ValueType) String() string {
	switch v {
	case Default:
		return "default"
	case Time:
		return "time"
	case Data:
		return "data"
	}
	return fmt.Sprintf("ValueType(%d)", int(v))
}

// Metric is a named series; samples point at it. Identity is the pointer.
type Metric struct {
	Name     string
	Type     Type
	Contains ValueType
}

// Sample is one observation. Time values are in milliseconds (k6 convention).
type Sample struct {
	Metric *Metric
	Time   time.Time
	Value  float64
	Tags   map[string]string
}

// Output receives every sample, in batches, from the collector's goroutine.
type Output interface {
	Start() error
	AddSamples(samples []Sample)
	Stop() error
}

// metricNameRe is k6's documented rule for custom metric names.
var metricNameRe = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]{0,127}$`)

// Registry holds every metric of a test run; safe for concurrent use (VUs register in init).
type Registry struct {
	mu      sync.RWMutex
	metrics map[string]*Metric
}

func NewRegistry() *Registry {
	return &Registry{metrics: map[string]*Metric{}}
}

// NewMetric returns the metric of that name, creating it if needed. Re-registering with the same
// type and value type is fine (every VU runs the init code); a different one is an error.
func (r *Registry) NewMetric(name string, t Type, vt ValueType) (*Metric, error) {
	if !metricNameRe.MatchString(name) {
		return nil, fmt.Errorf("metric name %q is invalid: expected 1-128 characters of [a-zA-Z0-9_], not starting with a digit", name)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if m, ok := r.metrics[name]; ok {
		if m.Type != t || m.Contains != vt {
			return nil, fmt.Errorf("metric %q already exists: expected type %s (contains %s), got %s (contains %s)",
				name, m.Type, m.Contains, t, vt)
		}
		return m, nil
	}
	m := &Metric{Name: name, Type: t, Contains: vt}
	r.metrics[name] = m
	return m, nil
}

// Get returns the metric or nil.
func (r *Registry) Get(name string) *Metric {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.metrics[name]
}

// All returns every metric sorted by name.
func (r *Registry) All() []*Metric {
	r.mu.RLock()
	out := make([]*Metric, 0, len(r.metrics))
	for _, m := range r.metrics {
		out = append(out, m)
	}
	r.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
