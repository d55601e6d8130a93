package metrics

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultTrendStats is k6's default summaryTrendStats.
var DefaultTrendStats = []string{"avg", "min", "med", "max", "p(90)", "p(95)"}

type CollectorConfig struct {
	Registry      *Registry
	Thresholds    map[string][]*Threshold // from ParseThresholds; keys "metric" or "metric{tag:value}"
	TrendStats    []string                // summaryTrendStats; default DefaultTrendStats
	Outputs       []Output                // started by Start, stopped by Stop
	FlushInterval time.Duration           // how often outputs get a batch; default 1s
}

// Collector aggregates samples into sinks and forwards them to outputs.
//
// Concurrency: Push sends the batch over a buffered channel to a single aggregator goroutine,
// which owns every sink. Queries (EvaluateThresholds, SummaryData) travel the same FIFO channel
// as closures, so they run after every batch whose Push returned before the query was sent:
// nothing pushed before the call is missed, and no lock is needed on sinks. After Stop the
// aggregator is gone and queries run directly (serialised by a mutex).
type Collector struct {
	reg        *Registry
	trendStats []string
	outputs    []Output
	flushEvery time.Duration
	root       *Group

	mu      sync.RWMutex // guards stopped vs. sends on ch
	stopped bool
	ch      chan message

	started  atomic.Bool
	tickStop chan struct{}
	aggDone  chan struct{}
	outCh    chan []Sample
	outDone  chan struct{}
	stopOnce sync.Once
	stopErr  error
	startErr error

	afterStop sync.Mutex // serialises queries once the aggregator has exited

	// owned by the aggregator goroutine (or afterStop holders)
	states  map[*Metric]*metricState
	ordered []*series // every series with thresholds, in a stable order
	pending []Sample
}

type metricState struct {
	main *series
	subs []*series
}

type message struct {
	samples []Sample
	fn      func()
	flush   bool
}

// thresholdAware outputs (the JSON output) get the expressions per metric name.
type thresholdAware interface{ setThresholds(map[string][]string) }

// NewCollector validates thresholds and trend stats against the registry and starts the
// aggregator (samples pushed before Start are kept for the outputs).
func NewCollector(cfg CollectorConfig) (*Collector, error) {
	if cfg.Registry == nil {
		return nil, errors.New("metrics: CollectorConfig.Registry is nil")
	}
	stats := cfg.TrendStats
	if len(stats) == 0 {
		stats = DefaultTrendStats
	}
	if err := validateTrendStats(stats); err != nil {
		return nil, err
	}
	c := &Collector{
		reg:        cfg.Registry,
		trendStats: append([]string(nil), stats...),
		outputs:    cfg.Outputs,
		flushEvery: cfg.FlushInterval,
		root:       NewRootGroup(),
		ch:         make(chan message, 8192),
		tickStop:   make(chan struct{}),
		aggDone:    make(chan struct{}),
		outCh:      make(chan []Sample, 16),
		outDone:    make(chan struct{}),
		states:     map[*Metric]*metricState{},
	}
	if c.flushEvery <= 0 {
		c.flushEvery = time.Second
	}
	for _, m := range cfg.Registry.All() {
		c.state(m)
	}
	if err := c.addThresholds(cfg.Thresholds); err != nil {
		return nil, err
	}
	go c.aggregate(len(cfg.Outputs) > 0)
	return c, nil
}

func validateTrendStats(stats []string) error {
	for _, s := range stats {
		switch s {
		case "avg", "min", "med", "max", "count":
			continue
		}
		if _, ok := parsePercentile(s); !ok {
			return fmt.Errorf("summaryTrendStats: expected avg, min, med, max, count or p(N) with 0<=N<=100, got %q", s)
		}
	}
	return nil
}

func (c *Collector) state(m *Metric) *metricState {
	st := c.states[m]
	if st == nil {
		st = &metricState{main: &series{key: m.Name, metric: m, sink: newSink(m.Type)}}
		c.states[m] = st
	}
	return st
}

func (c *Collector) addThresholds(all map[string][]*Threshold) error {
	keys := make([]string, 0, len(all))
	for k := range all {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	exprs := map[string][]string{}
	for _, key := range keys {
		name, sel, err := ParseSubmetricKey(key)
		if err != nil {
			return fmt.Errorf("thresholds[%q]: %v", key, err)
		}
		m := c.reg.Get(name)
		if m == nil {
			return fmt.Errorf("thresholds: metric %q does not exist", name)
		}
		st := c.state(m)
		s := st.main
		if sel != nil {
			s = &series{key: key, metric: m, selector: sel, sink: newSink(m.Type)}
			st.subs = append(st.subs, s)
		}
		for i, t := range all[key] {
			if !aggregationFits(t.Aggregation, m.Type) {
				return fmt.Errorf("thresholds[%q][%d]: aggregation %q does not apply to %s metric %q: expected %s, got %q",
					key, i, t.Aggregation, m.Type, name, aggregationsFor(m.Type), t.Source)
			}
			s.thresholds = append(s.thresholds, &thresholdState{Threshold: t, ok: true})
			if sel == nil {
				exprs[name] = append(exprs[name], t.Source)
			}
		}
		if len(s.thresholds) > 0 && (sel != nil || !contains(c.ordered, s)) {
			c.ordered = append(c.ordered, s)
		}
	}
	for _, o := range c.outputs {
		if ta, ok := o.(thresholdAware); ok {
			ta.setThresholds(exprs)
		}
	}
	return nil
}

func contains(list []*series, s *series) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// RootGroup is the root of the group/check tree (the JS runtime records checks on it).
func (c *Collector) RootGroup() *Group { return c.root }

// Push queues samples; cheap and safe from any goroutine. The slice is copied, so callers may
// reuse it. After Stop, samples are dropped (never blocks forever).
func (c *Collector) Push(samples ...Sample) {
	if len(samples) == 0 {
		return
	}
	batch := make([]Sample, len(samples))
	copy(batch, samples)
	c.send(message{samples: batch})
}

func (c *Collector) send(m message) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.stopped {
		return false
	}
	c.ch <- m
	return true
}

// do runs fn on the aggregator after everything queued before it; directly once stopped.
func (c *Collector) do(fn func()) {
	done := make(chan struct{})
	if c.send(message{fn: func() { fn(); close(done) }}) {
		<-done
		return
	}
	<-c.aggDone
	c.afterStop.Lock()
	defer c.afterStop.Unlock()
	fn()
}

// Start starts the outputs and the periodic flush. An output whose Start fails is left out; the
// error is returned by Stop.
func (c *Collector) Start() {
	c.mu.RLock()
	stopped := c.stopped
	c.mu.RUnlock()
	if stopped || !c.started.CompareAndSwap(false, true) {
		return
	}
	var ok []Output
	for _, o := range c.outputs {
		if err := o.Start(); err != nil {
			c.startErr = errors.Join(c.startErr, err)
			continue
		}
		ok = append(ok, o)
	}
	c.outputs = ok
	go c.deliver(ok)
	go func() {
		t := time.NewTicker(c.flushEvery)
		defer t.Stop()
		for {
			select {
			case <-c.tickStop:
				return
			case <-t.C:
				if !c.send(message{flush: true}) {
					return
				}
			}
		}
	}()
}

// Stop drains every queued sample into the sinks, hands the last batch to the outputs and stops
// them. Safe to call more than once.
func (c *Collector) Stop() error {
	c.stopOnce.Do(func() {
		c.mu.Lock()
		c.stopped = true
		close(c.ch)
		c.mu.Unlock()
		close(c.tickStop)
		<-c.aggDone
		if c.started.Load() {
			<-c.outDone
			err := c.startErr
			for _, o := range c.outputs {
				err = errors.Join(err, o.Stop())
			}
			c.stopErr = err
		}
	})
	return c.stopErr
}

func (c *Collector) aggregate(keep bool) {
	defer close(c.aggDone)
	for m := range c.ch {
		if m.samples != nil {
			for i := range m.samples {
				c.apply(&m.samples[i])
			}
			if keep {
				c.pending = append(c.pending, m.samples...)
			}
		}
		if m.fn != nil {
			m.fn()
		}
		if m.flush {
			c.flush()
		}
	}
	if c.started.Load() {
		c.flush()
	}
	close(c.outCh)
}

func (c *Collector) flush() {
	if len(c.pending) == 0 || !c.started.Load() {
		return
	}
	c.outCh <- c.pending
	c.pending = nil
}

// deliver runs outputs off the aggregator goroutine so slow writes do not stall aggregation
// (unless the outCh buffer fills up: then Push applies back-pressure).
func (c *Collector) deliver(outs []Output) {
	defer close(c.outDone)
	for batch := range c.outCh {
		for _, o := range outs {
			o.AddSamples(batch)
		}
	}
}

func (c *Collector) apply(s *Sample) {
	if s.Metric == nil {
		return
	}
	st := c.state(s.Metric)
	st.main.sink.add(s.Value)
	for _, sub := range st.subs {
		if sub.matches(s.Tags) {
			sub.sink.add(s.Value)
		}
	}
}

// EvaluateThresholds evaluates every threshold on what was pushed before the call (see the
// Collector comment). elapsed is the test's running time: it divides counter rates and gates
// abortOnFail (only after delayAbortEval). abortBy lists `<key>: <expression>` of the failed
// abortOnFail thresholds. A (sub)metric without samples passes its thresholds, as in k6.
func (c *Collector) EvaluateThresholds(elapsed time.Duration) (anyFailed bool, abortBy []string) {
	c.do(func() { anyFailed, abortBy = c.evaluate(elapsed, true) })
	return anyFailed, abortBy
}

func (c *Collector) evaluate(elapsed time.Duration, mayAbort bool) (anyFailed bool, abortBy []string) {
	for _, s := range c.ordered {
		empty := s.sink.count() == 0
		for _, t := range s.thresholds {
			ok := true
			if !empty {
				v, _ := s.sink.value(t.Aggregation, elapsed)
				ok, _ = t.Check(map[string]float64{t.Aggregation: v})
			}
			if !ok && mayAbort && t.AbortOnFail && elapsed >= t.DelayAbortEval {
				t.aborted = true
				abortBy = append(abortBy, s.key+": "+strings.TrimSpace(t.Source))
			}
			t.ok = ok && !t.aborted
			anyFailed = anyFailed || !t.ok
		}
	}
	return anyFailed, abortBy
}
