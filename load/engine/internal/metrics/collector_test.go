package metrics

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

func newTestCollector(t *testing.T, thresholds map[string]any, outs ...Output) (*Collector, *Builtins, *Registry) {
	t.Helper()
	reg := NewRegistry()
	b := RegisterBuiltins(reg)
	th, err := ParseThresholds(thresholds)
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewCollector(CollectorConfig{Registry: reg, Thresholds: th, Outputs: outs, FlushInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Stop() })
	return c, b, reg
}

func sample(m *Metric, v float64, tags ...string) Sample {
	tm := map[string]string{}
	for i := 0; i+1 < len(tags); i += 2 {
		tm[tags[i]] = tags[i+1]
	}
	return Sample{Metric: m, Time: time.Now(), Value: v, Tags: tm}
}

func TestNewCollectorErrors(t *testing.T) {
	reg := NewRegistry()
	RegisterBuiltins(reg)
	mk := func(raw map[string]any, stats ...string) error {
		th, err := ParseThresholds(raw)
		if err != nil {
			t.Fatal(err)
		}
		_, err = NewCollector(CollectorConfig{Registry: reg, Thresholds: th, TrendStats: stats})
		return err
	}
	cases := []struct {
		raw   map[string]any
		stats []string
		want  string
	}{
		{map[string]any{"foo": "count>1"}, nil, `thresholds: metric "foo" does not exist`},
		{map[string]any{"foo{a:b}": "count>1"}, nil, `thresholds: metric "foo" does not exist`},
		{map[string]any{"http_req_duration": []any{"p(95)<1", "rate<1"}}, nil,
			`thresholds["http_req_duration"][1]: aggregation "rate" does not apply to trend metric "http_req_duration": expected avg, min, max, med or p(N), got "rate<1"`},
		{map[string]any{"http_reqs{a:b}": "value>1"}, nil, `aggregation "value" does not apply to counter metric "http_reqs": expected count or rate`},
		{map[string]any{"vus": "avg>1"}, nil, `gauge metric "vus": expected value`},
		{map[string]any{"checks": "count>1"}, nil, `rate metric "checks": expected rate`},
		{nil, []string{"avg", "p95"}, `summaryTrendStats: expected avg, min, med, max, count or p(N) with 0<=N<=100, got "p95"`},
		{nil, []string{"p(101)"}, `got "p(101)"`},
	}
	for _, c := range cases {
		err := mk(c.raw, c.stats...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v %v:\n got %v\nwant %s", c.raw, c.stats, err, c.want)
		}
	}
	if _, err := NewCollector(CollectorConfig{}); err == nil {
		t.Fatal("nil registry")
	}
}

func TestCollectorThresholdsAndSubmetrics(t *testing.T) {
	c, b, _ := newTestCollector(t, map[string]any{
		"http_req_duration":                    []any{"p(95)<300", "avg<100"},
		"http_req_duration{endpoint:api-list}": "max<50",
		"http_req_failed{endpoint:api-list}":   "rate<0.5",
		"http_reqs":                            []any{"count>=4", "rate>1"},
	})
	c.Start()
	c.Push(sample(b.HTTPReqDuration, 10, "endpoint", "api-list"), sample(b.HTTPReqDuration, 40, "endpoint", "api-list", "method", "GET"))
	c.Push(sample(b.HTTPReqDuration, 500, "endpoint", "other"))
	for i := 0; i < 4; i++ {
		c.Push(sample(b.HTTPReqs, 1))
	}
	c.Push(sample(b.HTTPReqFailed, 1, "endpoint", "api-list"), sample(b.HTTPReqFailed, 0, "endpoint", "api-list"), sample(b.HTTPReqFailed, 0, "endpoint", "x"))
	failed, abort := c.EvaluateThresholds(2 * time.Second) // http_reqs rate = 2/s
	if !failed || abort != nil {
		t.Fatal(failed, abort)
	}
	data := c.SummaryData(2*time.Second, SummaryOptions{})
	ms := data["metrics"].(map[string]any)
	th := func(key, expr string) bool {
		return ms[key].(map[string]any)["thresholds"].(map[string]any)[expr].(map[string]any)["ok"].(bool)
	}
	// avg = 550/3 > 100 fails; p(95) ~ 454 fails; submetric max 40 passes
	if th("http_req_duration", "p(95)<300") || th("http_req_duration", "avg<100") {
		t.Fatal("http_req_duration thresholds should fail")
	}
	if !th("http_req_duration{endpoint:api-list}", "max<50") || th("http_req_failed{endpoint:api-list}", "rate<0.5") {
		t.Fatal("submetric thresholds")
	}
	if !th("http_reqs", "count>=4") || !th("http_reqs", "rate>1") {
		t.Fatal("http_reqs thresholds")
	}
	sub := ms["http_req_duration{endpoint:api-list}"].(map[string]any)["values"].(map[string]any)
	if sub["max"] != 40.0 || sub["min"] != 10.0 {
		t.Fatal(sub)
	}
	rate := ms["http_req_failed{endpoint:api-list}"].(map[string]any)["values"].(map[string]any)
	if rate["rate"] != 0.5 || rate["passes"] != 1.0 || rate["fails"] != 1.0 {
		t.Fatal(rate)
	}
	if _, ok := ms["http_req_failed"]; !ok {
		t.Fatal("metric with samples missing")
	}
	if _, ok := ms["vus"]; ok {
		t.Fatal("metric without samples nor thresholds listed")
	}
	if _, ok := ms["http_req_failed"].(map[string]any)["thresholds"]; ok {
		t.Fatal("thresholds key on a metric without thresholds")
	}
}

func TestThresholdsWithoutSamplesPass(t *testing.T) {
	c, _, _ := newTestCollector(t, map[string]any{
		"checks{endpoint:x}": "rate>0.99",
		"dropped_iterations": "count<=0",
		"iterations":         "count>10",
	})
	if failed, _ := c.EvaluateThresholds(time.Second); failed {
		t.Fatal("no data should pass, as in k6")
	}
	ms := c.SummaryData(time.Second, SummaryOptions{})["metrics"].(map[string]any)
	if _, ok := ms["checks{endpoint:x}"]; !ok {
		t.Fatal("submetric with thresholds must be listed")
	}
	if _, ok := ms["iterations"]; !ok {
		t.Fatal("metric with thresholds must be listed")
	}
}

func TestAbortOnFail(t *testing.T) {
	c, b, _ := newTestCollector(t, map[string]any{
		"http_req_failed":    []any{map[string]any{"threshold": "rate<0.1", "abortOnFail": true, "delayAbortEval": "10s"}},
		"http_req_duration":  []any{"max<1000"},
		"dropped_iterations": []any{map[string]any{"threshold": "count<=1", "abortOnFail": true}},
	})
	c.Push(sample(b.HTTPReqFailed, 1), sample(b.HTTPReqDuration, 5))
	failed, abort := c.EvaluateThresholds(5 * time.Second)
	if !failed || abort != nil {
		t.Fatal("delayAbortEval not respected", failed, abort)
	}
	failed, abort = c.EvaluateThresholds(10 * time.Second)
	if !failed || len(abort) != 1 || abort[0] != "http_req_failed: rate<0.1" {
		t.Fatal(failed, abort)
	}
	// the rate recovers, but a threshold that aborted the test stays failed in the summary
	for i := 0; i < 100; i++ {
		c.Push(sample(b.HTTPReqFailed, 0))
	}
	failed, _ = c.EvaluateThresholds(11 * time.Second)
	ms := c.SummaryData(11*time.Second, SummaryOptions{})["metrics"].(map[string]any)
	if !failed || ms["http_req_failed"].(map[string]any)["thresholds"].(map[string]any)["rate<0.1"].(map[string]any)["ok"] != false {
		t.Fatal("aborting threshold must stay failed")
	}
	if ms["http_req_duration"].(map[string]any)["thresholds"].(map[string]any)["max<1000"].(map[string]any)["ok"] != true {
		t.Fatal("max<1000")
	}
	c.Push(sample(b.DroppedIterations, 1), sample(b.DroppedIterations, 1))
	_, abort = c.EvaluateThresholds(12 * time.Second)
	if len(abort) != 1 || abort[0] != "dropped_iterations: count<=1" {
		t.Fatal(abort)
	}
}

// TestEvaluateSeesEverythingPushed pushes from many goroutines while evaluating: every
// evaluation must see at least what was pushed before it started.
func TestEvaluateSeesEverythingPushed(t *testing.T) {
	c, b, _ := newTestCollector(t, map[string]any{"iterations": "count<0"})
	c.Start()
	const workers, per = 16, 5000
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < per; i++ {
				c.Push(sample(b.Iterations, 1))
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
			c.EvaluateThresholds(time.Second)
		}
	}
	c.Push(sample(b.Iterations, 1))
	if failed, _ := c.EvaluateThresholds(time.Second); !failed {
		t.Fatal("count<0 must fail once data is there")
	}
	count := c.SummaryData(time.Second, SummaryOptions{})["metrics"].(map[string]any)["iterations"].(map[string]any)["values"].(map[string]any)["count"]
	if count != float64(workers*per+1) {
		t.Fatalf("count %v", count)
	}
}

type memOutput struct {
	mu             sync.Mutex
	started, stops int
	batches        [][]Sample
	failStart      bool
}

func (m *memOutput) Start() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failStart {
		return fmt.Errorf("cannot start")
	}
	m.started++
	return nil
}
func (m *memOutput) AddSamples(s []Sample) {
	m.mu.Lock()
	m.batches = append(m.batches, s)
	m.mu.Unlock()
}
func (m *memOutput) Stop() error { m.mu.Lock(); m.stops++; m.mu.Unlock(); return nil }
func (m *memOutput) total() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, b := range m.batches {
		n += len(b)
	}
	return n
}

func TestOutputsGetBatches(t *testing.T) {
	out := &memOutput{}
	bad := &memOutput{failStart: true}
	c, b, _ := newTestCollector(t, nil, out, bad)
	c.Push(sample(b.VUs, 1)) // before Start: still delivered
	c.Start()
	buf := []Sample{sample(b.Iterations, 1), sample(b.Iterations, 1)}
	c.Push(buf...)
	buf[0].Value = 99 // Push copied the slice
	deadline := time.Now().Add(2 * time.Second)
	for out.total() < 3 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if out.total() != 3 {
		t.Fatalf("periodic flush: %d samples", out.total())
	}
	for i := 0; i < 1000; i++ {
		c.Push(sample(b.Iterations, 1))
	}
	err := c.Stop()
	if err == nil || !strings.Contains(err.Error(), "cannot start") {
		t.Fatalf("start error not reported: %v", err)
	}
	if out.total() != 1003 || out.started != 1 || out.stops != 1 || bad.stops != 0 || bad.total() != 0 {
		t.Fatalf("total %d started %d stops %d bad %d/%d", out.total(), out.started, out.stops, bad.stops, bad.total())
	}
	if out.batches[1][0].Value != 1 {
		t.Fatal("caller's slice was not copied")
	}
	// after Stop: Push drops, queries still answer, Stop is idempotent
	c.Push(sample(b.Iterations, 1))
	if failed, _ := c.EvaluateThresholds(time.Second); failed {
		t.Fatal("no thresholds")
	}
	cnt := c.SummaryData(time.Second, SummaryOptions{})["metrics"].(map[string]any)["iterations"].(map[string]any)["values"].(map[string]any)["count"]
	if cnt != 1002.0 {
		t.Fatal(cnt)
	}
	if c.Stop() == nil {
		t.Fatal("second Stop should return the same error")
	}
}

func TestPushAfterStopNeverBlocks(t *testing.T) {
	c, b, _ := newTestCollector(t, nil)
	c.Stop()
	done := make(chan struct{})
	go func() {
		for i := 0; i < 100000; i++ {
			c.Push(sample(b.Iterations, 1))
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Push blocked after Stop")
	}
}

func TestStopWhilePushing(t *testing.T) {
	c, b, _ := newTestCollector(t, nil, &memOutput{})
	c.Start()
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20000; i++ {
				c.Push(sample(b.Iterations, 1))
			}
		}()
	}
	time.Sleep(5 * time.Millisecond)
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
}

func TestUnregisteredMetricSamples(t *testing.T) {
	c, _, _ := newTestCollector(t, nil)
	m := &Metric{Name: "late", Type: Counter}
	c.Push(Sample{Metric: m, Value: 2}, Sample{Metric: nil, Value: 1})
	ms := c.SummaryData(time.Second, SummaryOptions{})["metrics"].(map[string]any)
	if ms["late"].(map[string]any)["values"].(map[string]any)["count"] != 2.0 {
		t.Fatal(ms["late"])
	}
}

func BenchmarkPushParallel(b *testing.B) {
	reg := NewRegistry()
	bi := RegisterBuiltins(reg)
	th, _ := ParseThresholds(map[string]any{"http_req_duration{endpoint:a}": "p(95)<1"})
	c, _ := NewCollector(CollectorConfig{Registry: reg, Thresholds: th})
	c.Start()
	tags := map[string]string{"endpoint": "a", "method": "GET"}
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			c.Push(Sample{Metric: bi.HTTPReqDuration, Value: 12.5, Tags: tags})
		}
	})
	c.Stop()
}
