// Package browser implements the k6 module "k6/browser" on chromedp and a local Chromium, written
// from k6's public documentation and @types/k6 only.
//
// One browser process per VU, started at the first newPage/newContext and kept across
// iterations. The browser context (and its pages) of an iteration is closed when the next
// iteration opens one, when the iteration's context ends, or when the runner calls EndIteration.
// The runner must call CloseAll at the end of the test to stop every browser process.
package browser

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/dop251/goja"

	"swarm-gameday/engine/internal/js/modules"
	"swarm-gameday/engine/internal/metrics"
)

func init() {
	modules.Register("k6/browser", New)
}

// defaultTimeout is the default of every action and navigation (k6: 30 s).
const defaultTimeout = 30 * time.Second

type metricSet struct {
	lcp, fcp, cls, ttfb, inp, fid *metrics.Metric
	reqDuration, reqFailed        *metrics.Metric
	dataReceived, dataSent        *metrics.Metric
}

func registerMetrics(r *metrics.Registry) (*metricSet, error) {
	var firstErr error
	must := func(name string, t metrics.Type, vt metrics.ValueType) *metrics.Metric {
		m, err := r.NewMetric(name, t, vt)
		if err != nil && firstErr == nil {
			firstErr = err
		}
		return m
	}
	ms := &metricSet{
		lcp:          must("browser_web_vital_lcp", metrics.Trend, metrics.Time),
		fcp:          must("browser_web_vital_fcp", metrics.Trend, metrics.Time),
		cls:          must("browser_web_vital_cls", metrics.Trend, metrics.Default),
		ttfb:         must("browser_web_vital_ttfb", metrics.Trend, metrics.Time),
		inp:          must("browser_web_vital_inp", metrics.Trend, metrics.Time),
		fid:          must("browser_web_vital_fid", metrics.Trend, metrics.Time),
		reqDuration:  must("browser_http_req_duration", metrics.Trend, metrics.Time),
		reqFailed:    must("browser_http_req_failed", metrics.Rate, metrics.Default),
		dataReceived: must("browser_data_received", metrics.Counter, metrics.Data),
		dataSent:     must("browser_data_sent", metrics.Counter, metrics.Data),
	}
	return ms, firstErr
}

// config is what the K6_BROWSER_* environment variables say.
type config struct {
	execPath      string
	headless      bool
	args          []string // "name" or "name=value", without leading dashes
	ignoreDefault []string
	timeout       time.Duration // launch / connection timeout
}

func parseConfig(env func(string) (string, bool)) (config, error) {
	c := config{headless: true, timeout: defaultTimeout}
	if v, ok := env("K6_BROWSER_EXECUTABLE_PATH"); ok && v != "" {
		c.execPath = v
	}
	if v, ok := env("K6_BROWSER_HEADLESS"); ok && v != "" {
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "1", "true", "yes", "on":
			c.headless = true
		case "0", "false", "no", "off":
			c.headless = false
		default:
			return c, fmt.Errorf("K6_BROWSER_HEADLESS: expected true or false, got %q", v)
		}
	}
	split := func(v string) []string {
		var out []string
		for _, a := range strings.Split(v, ",") {
			a = strings.TrimLeft(strings.TrimSpace(a), "-")
			if a != "" {
				out = append(out, a)
			}
		}
		return out
	}
	if v, ok := env("K6_BROWSER_ARGS"); ok {
		c.args = split(v)
	}
	if v, ok := env("K6_BROWSER_IGNORE_DEFAULT_ARGS"); ok {
		c.ignoreDefault = split(v)
	}
	if v, ok := env("K6_BROWSER_TIMEOUT"); ok && v != "" {
		d, err := time.ParseDuration(strings.TrimSpace(v))
		if err != nil {
			// k6 durations may be plain numbers (ms)
			var ms float64
			if _, err2 := fmt.Sscanf(v, "%g", &ms); err2 != nil {
				return c, fmt.Errorf("K6_BROWSER_TIMEOUT: expected a duration like 30s, got %q", v)
			}
			d = time.Duration(ms * float64(time.Millisecond))
		}
		if d <= 0 {
			return c, fmt.Errorf("K6_BROWSER_TIMEOUT: expected a positive duration, got %q", v)
		}
		c.timeout = d
	}
	return c, nil
}

// pendingSample is a sample measured on a CDP goroutine; it is pushed on the VU goroutine with
// the VU's tags (vu.State() may only be used there).
type pendingSample struct {
	metric *metrics.Metric
	time   time.Time
	value  float64
	tags   map[string]string
}

// module is the k6/browser instance of one VU.
type module struct {
	vu  modules.VU
	rt  *goja.Runtime
	ms  *metricSet
	cfg config

	procMu sync.Mutex
	proc   *browserProc
	closed bool // CloseAll ran: no more launches

	// ctxMu guards bctx (read from CloseAll / AfterFunc goroutines).
	ctxMu sync.Mutex
	bctx  *bcontext

	pendMu  sync.Mutex
	pending []pendingSample

	browserObj *goja.Object
}

var (
	allMu  sync.Mutex
	all    = map[*module]struct{}{}
	byVU   = map[modules.VU]*module{}
	closed bool
)

// New is the k6/browser constructor (called once per VU, in the init context).
func New(vu modules.VU) (*goja.Object, error) {
	rt := vu.Runtime()
	ms, err := registerMetrics(vu.Registry())
	if err != nil {
		return nil, err
	}
	envMap := map[string]string{}
	if ie := vu.InitEnv(); ie != nil {
		envMap = ie.Env
	}
	cfg, err := parseConfig(func(k string) (string, bool) {
		if v, ok := envMap[k]; ok {
			return v, true
		}
		return os.LookupEnv(k)
	})
	if err != nil {
		return nil, err
	}
	m := &module{vu: vu, rt: rt, ms: ms, cfg: cfg}
	allMu.Lock()
	all[m] = struct{}{}
	byVU[vu] = m
	allMu.Unlock()

	exports := rt.NewObject()
	m.browserObj = m.newBrowserObject()
	must(exports.Set("browser", m.browserObj))
	must(exports.Set("devices", rt.NewObject()))
	return exports, nil
}

// CloseAll closes every page, browser context and browser process of every VU. The runner calls
// it once at the end of the test (after teardown); later launches fail.
func CloseAll() {
	allMu.Lock()
	closed = true
	ms := make([]*module, 0, len(all))
	for m := range all {
		ms = append(ms, m)
	}
	all = map[*module]struct{}{}
	byVU = map[modules.VU]*module{}
	allMu.Unlock()
	var wg sync.WaitGroup
	for _, m := range ms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m.shutdown()
		}()
	}
	wg.Wait()
}

// EndIteration closes the browser context (and the pages the script left open) of the VU and
// pushes what they measured. Optional: the runner may call it on the VU goroutine after each
// iteration; without it the context is closed when the next iteration opens one, when the
// iteration's context ends, or by CloseAll.
func EndIteration(vu modules.VU) {
	allMu.Lock()
	m := byVU[vu]
	allMu.Unlock()
	if m == nil {
		return
	}
	m.closeCurrentContext()
	m.drain()
}

// CloseVU closes the browser process of one VU (e.g. when the VU is discarded).
func CloseVU(vu modules.VU) {
	allMu.Lock()
	m := byVU[vu]
	delete(byVU, vu)
	delete(all, m)
	allMu.Unlock()
	if m != nil {
		m.shutdown()
	}
}

func (m *module) shutdown() {
	m.closeCurrentContext()
	m.procMu.Lock()
	m.closed = true
	p := m.proc
	m.proc = nil
	m.procMu.Unlock()
	if p != nil {
		p.close()
	}
}

func (m *module) closeCurrentContext() {
	m.ctxMu.Lock()
	bc := m.bctx
	m.bctx = nil
	m.ctxMu.Unlock()
	if bc != nil {
		bc.close()
	}
}

// queue records a sample measured on a CDP goroutine.
func (m *module) queue(s pendingSample) {
	m.pendMu.Lock()
	m.pending = append(m.pending, s)
	m.pendMu.Unlock()
}

// systemTagNames are k6's system tags: only the enabled ones are attached.
var systemTagNames = map[string]bool{
	"proto": true, "subproto": true, "status": true, "method": true, "url": true, "name": true,
	"group": true, "check": true, "error": true, "error_code": true, "tls_version": true,
	"scenario": true, "service": true, "expected_response": true, "vu": true, "iter": true,
	"ip": true, "ocsp_status": true,
}

// drain pushes the queued samples; VU goroutine only.
func (m *module) drain() {
	st := m.vu.State()
	if st == nil || st.Push == nil {
		return
	}
	m.pendMu.Lock()
	ps := m.pending
	m.pending = nil
	m.pendMu.Unlock()
	if len(ps) == 0 {
		return
	}
	out := make([]metrics.Sample, 0, len(ps))
	for _, p := range ps {
		if p.metric == nil {
			continue
		}
		var tags map[string]string
		if st.Tags != nil {
			tags = st.Tags()
		}
		if tags == nil {
			tags = map[string]string{}
		}
		for k, v := range p.tags {
			if systemTagNames[k] && st.SystemTags != nil && !st.SystemTags[k] {
				continue
			}
			tags[k] = v
		}
		out = append(out, metrics.Sample{Metric: p.metric, Time: p.time, Value: p.value, Tags: tags})
	}
	st.Push(out...)
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

// jsError makes a plain JS Error (not a GoError) carrying err's message.
func (m *module) jsError(err error) goja.Value {
	if ctor, ok := goja.AssertConstructor(m.rt.Get("Error")); ok {
		if o, cerr := ctor(nil, m.rt.ToValue(err.Error())); cerr == nil {
			return o
		}
	}
	return m.rt.NewGoError(err)
}

// errInit is thrown by functions that need a running VU.
func (m *module) throwInInit(fn string) {
	if m.vu.State() == nil {
		panic(m.jsError(fmt.Errorf("%s is not supported in the init context", fn)))
	}
}

// async runs work off the VU goroutine and returns a promise settled on the VU goroutine: work
// returns a converter that builds the JS value there (JS values must only be created on the VU
// goroutine).
func (m *module) async(work func() (func() goja.Value, error)) goja.Value {
	p, resolve, reject := m.rt.NewPromise()
	cb := m.vu.RegisterCallback()
	go func() {
		var conv func() goja.Value
		var err error
		func() {
			defer func() {
				if r := recover(); r != nil {
					err = fmt.Errorf("k6/browser: internal error: %v", r)
				}
			}()
			conv, err = work()
		}()
		cb(func() error {
			m.drain()
			if err != nil {
				_ = reject(m.jsError(err))
				return nil
			}
			v := goja.Undefined()
			if conv != nil {
				v = conv()
			}
			_ = resolve(v)
			return nil
		})
	}()
	return m.rt.ToValue(p)
}

// rejected returns a promise that is already rejected (for argument errors found on the VU
// goroutine).
func (m *module) rejected(err error) goja.Value {
	p, _, reject := m.rt.NewPromise()
	_ = reject(m.jsError(err))
	return m.rt.ToValue(p)
}

// scenarioHasBrowser reports whether the current scenario sets options.browser.type chromium.
func (m *module) checkScenario() error {
	st := m.vu.State()
	if st == nil {
		return errors.New("not supported in the init context")
	}
	if b, ok := st.ScenarioOptions["browser"].(map[string]any); ok {
		if t, _ := b["type"].(string); t == "chromium" {
			return nil
		}
		if t, ok := b["type"]; ok {
			return fmt.Errorf("k6/browser: scenario %q: options.browser.type %v is not supported; expected \"chromium\"", st.Scenario, t)
		}
	}
	return fmt.Errorf("k6/browser: scenario %q has no browser: set options.scenarios.%s.options.browser.type to \"chromium\" to use k6/browser",
		st.Scenario, st.Scenario)
}

// optTimeout reads options.timeout (ms; 0 = none) with a default.
func optTimeout(rt *goja.Runtime, opts goja.Value, def time.Duration) time.Duration {
	o := asObject(rt, opts)
	if o == nil {
		return def
	}
	v := o.Get("timeout")
	if v == nil || goja.IsUndefined(v) || goja.IsNull(v) {
		return def
	}
	ms := v.ToFloat()
	if ms <= 0 {
		return 0
	}
	return time.Duration(ms * float64(time.Millisecond))
}

func optString(rt *goja.Runtime, opts goja.Value, key, def string) string {
	o := asObject(rt, opts)
	if o == nil {
		return def
	}
	v := o.Get(key)
	if v == nil || goja.IsUndefined(v) || goja.IsNull(v) {
		return def
	}
	return v.String()
}

func optBool(rt *goja.Runtime, opts goja.Value, key string) bool {
	o := asObject(rt, opts)
	if o == nil {
		return false
	}
	v := o.Get(key)
	return v != nil && v.ToBoolean()
}

func asObject(rt *goja.Runtime, v goja.Value) *goja.Object {
	if v == nil || goja.IsUndefined(v) || goja.IsNull(v) {
		return nil
	}
	if o, ok := v.(*goja.Object); ok {
		return o
	}
	return nil
}

func fmtDuration(d time.Duration) string {
	if d%time.Second == 0 {
		return fmt.Sprintf("%ds", int(d/time.Second))
	}
	return d.String()
}
