package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"swarm-gameday/engine/internal/browser"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"swarm-gameday/engine/internal/h1"
	"swarm-gameday/engine/internal/js"
	"swarm-gameday/engine/internal/metrics"
	"swarm-gameday/engine/internal/promexport"
	"swarm-gameday/engine/internal/sched"
)

type run struct {
	cmd    string
	flags  *cliFlags
	script string
	io     IO

	log      *js.Logger
	opts     *Options
	env      *js.Env
	reg      *metrics.Registry
	builtins *metrics.Builtins
	col      *metrics.Collector
	sch      *sched.Scheduler
	baseTags map[string]map[string]string // per scenario

	start       time.Time // set once, before started
	started     atomic.Bool
	setupData   []byte
	optionsJSON []byte

	vuSeq                   atomic.Uint64
	vusActive, vusAllocated atomic.Int64
	vusInit                 atomic.Int64
	itersDone, itersIntr    atomic.Int64
	markedFailed            atomic.Bool

	runCtx     context.Context
	cancelRun  context.CancelFunc
	hardCtx    context.Context // second signal: everything stops
	cancelHard context.CancelFunc
	// itersCtx is cancelled by test.abort and a hard stop: every running iteration is interrupted
	itersCtx    context.Context
	cancelIters context.CancelFunc

	mu              sync.Mutex
	abortCode       int // 108 test.abort, 107 exception in setup/teardown/new VU, 100/101 timeouts
	signalled       bool
	thresholdsAbort bool
	setupTransport  *h1.Transport

	progressLines int
}

func (r *run) errorf(format string, args ...any) { r.log.Log("error", fmt.Sprintf(format, args...)) }

// scriptErrorCode logs an error from init/setup/teardown and returns the exit code it means.
func (r *run) scriptErrorCode(where string, err error) int {
	if a, ok := js.IsAbort(err); ok {
		r.log.Log("error", a.Error())
		return ExitScriptAborted
	}
	var se *js.ScriptError
	if errors.As(err, &se) {
		msg := se.Full()
		if where != "" {
			msg = where + ": " + msg
		}
		r.log.Log("error", msg, "source", "stacktrace")
		return ExitScriptException
	}
	var ce *ConfigError
	if errors.As(err, &ce) {
		r.errorf("%s", ce.Msg)
		return ExitInvalidConfig
	}
	if where != "" {
		r.errorf("%s: %v", where, err)
	} else {
		r.errorf("%v", err)
	}
	return ExitScriptException
}

func (r *run) setAbort(code int) {
	r.mu.Lock()
	if r.abortCode == 0 {
		r.abortCode = code
	}
	r.mu.Unlock()
}

func (r *run) environ() map[string]string {
	env := map[string]string{}
	if r.flags.includeSystemEnv {
		for _, kv := range r.io.Environ {
			if k, v, ok := strings.Cut(kv, "="); ok {
				env[k] = v
			}
		}
	}
	for _, kv := range r.flags.env {
		k, v, _ := strings.Cut(kv, "=")
		if k != "" {
			env[k] = v
		}
	}
	return env
}

func (r *run) main() int {
	r.log = js.NewLogger(r.io.Stderr)
	r.log.Debug = r.flags.verbose
	src, err := os.ReadFile(r.script)
	if err != nil {
		r.errorf("could not read the script: %v", err)
		return ExitScriptException
	}
	script, err := js.Compile(r.script, src)
	if err != nil {
		r.errorf("%v", err)
		return ExitScriptException
	}
	r.reg = metrics.NewRegistry()
	r.builtins = metrics.RegisterBuiltins(r.reg)
	r.env = &js.Env{Script: script, Env: r.environ(), Registry: r.reg, Builtins: r.builtins, Logger: r.log, Exec: r}

	initVU, err := js.NewVU(r.env, 0)
	if err != nil {
		return r.scriptErrorCode("", err)
	}
	raw, err := initVU.OptionsJSON()
	if err != nil {
		return r.scriptErrorCode("options", err)
	}
	var scriptOpts map[string]any
	if err := json.Unmarshal(raw, &scriptOpts); err != nil {
		r.errorf("invalid options: expected an object, got %s", string(raw))
		return ExitInvalidConfig
	}
	r.opts, err = resolveOptions(scriptOpts, r.flags)
	if err != nil {
		return r.scriptErrorCode("", err)
	}
	for _, sc := range r.opts.Scenarios {
		if !initVU.HasExport(sc.Exec) {
			if sc.Exec == "default" {
				r.errorf("scenarios.%s: the script exports no default function (exec %q): expected an exported function named %q", sc.Name, sc.Exec, sc.Exec)
			} else {
				r.errorf("scenarios.%s.exec: expected the name of an exported function, got %q (not exported by the script)", sc.Name, sc.Exec)
			}
			return ExitInvalidConfig
		}
	}
	r.optionsJSON = r.opts.ResolvedJSON(false)
	if r.cmd == "inspect" {
		fmt.Fprintln(r.io.Stdout, string(r.opts.ResolvedJSON(true)))
		return ExitOK
	}
	if r.cmd == "aggregate" {
		return r.aggregate(initVU)
	}
	return r.execute(initVU)
}

func (r *run) execute(initVU *js.VU) int {
	// outputs and collector
	var outs []metrics.Output
	var framed *frameWriter
	var startAt time.Time
	if r.flags.startAt != "" {
		t, err := time.Parse(time.RFC3339Nano, r.flags.startAt)
		if err != nil {
			r.errorf("invalid flag --start-at: expected an RFC3339 time like 2026-12-02T15:04:05Z, got %q", r.flags.startAt)
			return ExitInvalidConfig
		}
		startAt = t
	}
	stopOuts := func() {
		for _, o := range outs {
			_ = o.Stop()
		}
	}
	for _, o := range r.flags.out {
		typ, arg, _ := strings.Cut(o, "=")
		switch typ {
		case "json":
			if arg == "" {
				r.errorf("invalid flag --out %q: expected json=FILE", o)
				stopOuts()
				return ExitInvalidConfig
			}
			if arg == "-" {
				if framed != nil {
					r.errorf("invalid flag --out %q: json=- (stdout) may be given once", o)
					stopOuts()
					return ExitInvalidConfig
				}
				framed = newFrameWriter(r.io.Stdout)
				outs = append(outs, metrics.NewJSONOutputTo(framed))
				continue
			}
			out, err := metrics.NewJSONOutput(arg, r.reg)
			if err != nil {
				r.errorf("invalid flag --out %q: %v", o, err)
				stopOuts()
				return ExitInvalidConfig
			}
			outs = append(outs, out)
		default:
			r.errorf("invalid flag --out %q: expected json=FILE (the only output this engine has), got output type %q", o, typ)
			stopOuts()
			return ExitInvalidConfig
		}
	}
	if r.flags.metricsAddr != "" {
		prom, err := promexport.New("--metrics-addr", r.flags.metricsAddr)
		if err != nil {
			r.errorf("%v", err)
			stopOuts()
			return ExitInvalidConfig
		}
		r.log.Log("info", "Prometheus metrics at http://"+prom.Addr()+"/metrics")
		outs = append(outs, prom)
	}
	col, err := metrics.NewCollector(metrics.CollectorConfig{
		Registry: r.reg, Thresholds: withSummarySubmetrics(r.opts.Thresholds, r.opts.SystemTags), TrendStats: r.opts.TrendStats, Outputs: outs,
	})
	if err != nil {
		r.errorf("%v", err)
		stopOuts()
		return ExitInvalidConfig
	}
	r.col = col

	// base tags per scenario
	r.baseTags = map[string]map[string]string{}
	for _, sc := range r.opts.Scenarios {
		t := map[string]string{}
		for k, v := range r.opts.Tags {
			t[k] = v
		}
		for k, v := range sc.Tags {
			t[k] = v
		}
		if r.opts.SystemTags["scenario"] {
			t["scenario"] = sc.Name
		}
		r.baseTags[sc.Name] = t
	}

	r.runCtx, r.cancelRun = context.WithCancel(context.Background())
	r.hardCtx, r.cancelHard = context.WithCancel(context.Background())
	r.itersCtx, r.cancelIters = context.WithCancel(r.hardCtx)
	defer r.cancelRun()
	defer r.cancelHard()
	defer r.cancelIters()
	stopSignals := r.handleSignals()
	defer stopSignals()

	sch, err := sched.New(sched.Config{
		Scenarios: r.opts.Scenarios, Segment: r.opts.Segment, Sequence: r.opts.Sequence, Pool: r,
		Hooks: sched.Hooks{
			DroppedIteration: r.droppedIteration,
			VUsChanged:       r.vusChanged,
			IterationDone:    r.iterationDone,
		},
	})
	if err != nil {
		r.errorf("%v", err)
		stopOuts()
		return ExitInvalidConfig
	}
	r.sch = sch
	col.Start()

	// init: pre-allocate VUs
	if err := sch.Init(r.runCtx); err != nil {
		if r.interrupted() {
			col.Stop()
			return ExitExternalAbort
		}
		code := r.scriptErrorCode("", err)
		col.Stop()
		return code
	}

	if !startAt.IsZero() {
		if wait := time.Until(startAt); wait > 0 {
			select {
			case <-time.After(wait):
			case <-r.runCtx.Done():
				col.Stop()
				return ExitExternalAbort
			}
		} else if wait < -time.Second {
			r.log.Log("warning", fmt.Sprintf("--start-at %s was %s ago when the VUs were ready: starting now", r.flags.startAt, (-wait).Round(time.Millisecond)))
		}
	}
	r.start = time.Now()
	r.started.Store(true)
	setupOK := true
	if !r.opts.NoSetup && initVU.HasExport("setup") {
		setupOK = r.runSetup(initVU)
	}
	if setupOK {
		r.runTest()
	}
	if setupOK && !r.opts.NoTeardown && initVU.HasExport("teardown") {
		r.runTeardown(initVU)
	}
	// browser processes end with the test; what their pages still measured is pushed first
	browser.CloseAll()
	elapsed := time.Since(r.start)
	r.clearProgress()
	if err := col.Stop(); err != nil {
		r.log.Log("warning", fmt.Sprintf("output: %v", err))
	}
	if framed != nil {
		framed.End(float64(elapsed) / float64(time.Millisecond))
	}
	thresholdsFailed := r.summary(initVU, elapsed)

	r.mu.Lock()
	abortCode, signalled := r.abortCode, r.signalled
	r.mu.Unlock()
	switch {
	case abortCode != 0:
		return abortCode
	case signalled:
		return ExitExternalAbort
	case thresholdsFailed:
		return ExitThresholds
	case r.markedFailed.Load():
		return ExitMarkedAsFailed
	}
	return ExitOK
}

func (r *run) interrupted() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.signalled
}

func (r *run) handleSignals() func() {
	ch := r.io.Signals
	var own chan os.Signal
	if ch == nil {
		own = make(chan os.Signal, 2)
		signal.Notify(own, syscall.SIGINT, syscall.SIGTERM)
		ch = own
	}
	done := make(chan struct{})
	go func() {
		n := 0
		for {
			select {
			case <-done:
				return
			case sig := <-ch:
				n++
				if n == 1 {
					r.mu.Lock()
					r.signalled = true
					r.mu.Unlock()
					r.log.Log("warning", fmt.Sprintf("received %v: stopping the test gracefully (teardown and the summary still run; a second signal stops hard)", sig))
					r.cancelRun()
					continue
				}
				r.log.Log("error", fmt.Sprintf("received %v again: stopping hard", sig))
				if r.sch != nil {
					r.sch.Abort()
				}
				r.cancelHard()
				exit := r.io.HardExit
				if exit == nil {
					exit = os.Exit
				}
				exit(ExitExternalAbort)
				return
			}
		}
	}()
	return func() {
		close(done)
		if own != nil {
			signal.Stop(own)
		}
	}
}

func (r *run) runSetup(vu *js.VU) bool {
	ctx, cancel := context.WithTimeout(r.runCtx, r.opts.SetupTimeout)
	defer cancel()
	stop := context.AfterFunc(r.hardCtx, cancel)
	defer stop()
	st := r.newState(vu, "", nil)
	vu.SetIteration(js.Iteration{BaseTags: r.opts.Tags})
	v, err := vu.Call(ctx, st, "setup")
	if err == nil {
		r.setupData, err = vu.Stringify(v)
		if err != nil {
			err = fmt.Errorf("the value setup() returned cannot be serialised as JSON: %w", err)
		}
	}
	if err == nil {
		return true
	}
	switch {
	case r.interrupted():
		r.log.Log("warning", "setup() was interrupted")
	case errors.Is(err, context.DeadlineExceeded):
		r.errorf("setup() execution timed out after %s (setupTimeout)", r.opts.SetupTimeout)
		r.setAbort(ExitSetupTimeout)
	default:
		r.setAbort(r.scriptErrorCode("setup", err))
	}
	return false
}

func (r *run) runTeardown(vu *js.VU) {
	ctx, cancel := context.WithTimeout(context.Background(), r.opts.TeardownTimeout)
	defer cancel()
	stop := context.AfterFunc(r.hardCtx, cancel)
	defer stop()
	st := r.newState(vu, "", nil)
	vu.SetIteration(js.Iteration{BaseTags: r.opts.Tags})
	data, err := vu.ParseJSON(r.setupData)
	if err == nil {
		_, err = vu.Call(ctx, st, "teardown", data)
	}
	if err == nil {
		return
	}
	if errors.Is(err, context.DeadlineExceeded) {
		r.errorf("teardown() execution timed out after %s (teardownTimeout)", r.opts.TeardownTimeout)
		r.setAbort(ExitTeardownTimeout)
		return
	}
	r.setAbort(r.scriptErrorCode("teardown", err))
}

// runTest runs the scheduler with the thresholds loop and the progress line.
func (r *run) runTest() {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		r.loops(done)
	}()
	err := r.sch.Run(r.runCtx)
	close(done)
	wg.Wait()
	if err == nil {
		return
	}
	// what is left once the graceful stop (signal, abortOnFail) and test.abort are taken out
	var rest []error
	for _, e := range unjoin(err) {
		if errors.Is(e, context.Canceled) || errors.Is(e, sched.ErrAborted) {
			continue
		}
		rest = append(rest, e)
	}
	if len(rest) > 0 {
		r.setAbort(r.scriptErrorCode("", errors.Join(rest...)))
	}
}

// loops: thresholds every 2 s, vus gauges and the progress line every second.
func (r *run) loops(done <-chan struct{}) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	n := 0
	for {
		select {
		case <-done:
			return
		case <-tick.C:
		}
		n++
		r.pushVUGauges()
		if !r.flags.quiet {
			r.progress()
		}
		if n%2 == 0 && len(r.opts.Thresholds) > 0 {
			_, abortBy := r.col.EvaluateThresholds(time.Since(r.start))
			if len(abortBy) > 0 {
				r.mu.Lock()
				first := !r.thresholdsAbort
				r.thresholdsAbort = true
				r.mu.Unlock()
				if first {
					r.errorf("thresholds crossed with abortOnFail: %s; stopping the test", strings.Join(abortBy, ", "))
					r.cancelRun()
				}
			}
		}
	}
}

func (r *run) pushVUGauges() {
	now := time.Now()
	r.col.Push(
		metrics.Sample{Metric: r.builtins.VUs, Time: now, Value: float64(r.vusActive.Load()), Tags: r.globalTags()},
		metrics.Sample{Metric: r.builtins.VUsMax, Time: now, Value: float64(r.vusAllocated.Load()), Tags: r.globalTags()},
	)
}

func (r *run) globalTags() map[string]string {
	t := make(map[string]string, len(r.opts.Tags))
	for k, v := range r.opts.Tags {
		t[k] = v
	}
	return t
}

// --- sched hooks ---

func (r *run) droppedIteration(sc *sched.Scenario, at time.Time) {
	tags := map[string]string{}
	for k, v := range r.baseTags[sc.Name] {
		tags[k] = v
	}
	r.col.Push(metrics.Sample{Metric: r.builtins.DroppedIterations, Time: at, Value: 1, Tags: tags})
}

func (r *run) vusChanged(active, allocated int64) {
	r.vusActive.Store(active)
	r.vusAllocated.Store(allocated)
	if r.col != nil && r.started.Load() {
		r.pushVUGauges()
	}
}

func (r *run) iterationDone(_ *sched.Scenario, _ sched.Iteration, _ error, _ time.Duration, interrupted bool) {
	if interrupted {
		r.itersIntr.Add(1)
	} else {
		r.itersDone.Add(1)
	}
}

// --- js.ExecEnv ---

func (r *run) ScenarioProgress(name string) float64 {
	if r.sch == nil {
		return 0
	}
	for _, p := range r.sch.Progress() {
		if p.Name == name {
			return progressFraction(p)
		}
	}
	return 0
}

func progressFraction(p sched.ScenarioProgress) float64 {
	var f float64
	switch {
	case p.Finished:
		return 1
	case p.Iterations > 0:
		f = float64(p.Done+p.Interrupted) / float64(p.Iterations)
	case p.Planned > 0:
		f = float64(p.Elapsed) / float64(p.Planned)
	}
	if f > 1 {
		f = 1
	}
	if f < 0 {
		f = 0
	}
	return f
}

func (r *run) IterationsCompleted() int64   { return r.itersDone.Load() }
func (r *run) IterationsInterrupted() int64 { return r.itersIntr.Load() }
func (r *run) VUsActive() int64             { return r.vusActive.Load() }
func (r *run) VUsInitialized() int64        { return r.vusInit.Load() }
func (r *run) OptionsJSON() []byte          { return r.optionsJSON }
func (r *run) TestRunDuration() time.Duration {
	if !r.started.Load() {
		return 0
	}
	return time.Since(r.start)
}
func (r *run) Fail(reason string) {
	r.markedFailed.Store(true)
	if reason != "" {
		r.errorf("test marked as failed: %s", reason)
	}
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, unjoin(e)...)
		}
		return out
	}
	return []error{err}
}

// expectedDurationKey is the submetric k6's summary always shows: the duration of the requests
// that got an expected response, so failures' timings do not skew it.
const expectedDurationKey = "http_req_duration{expected_response:true}"

// withSummarySubmetrics adds, without thresholds, the submetrics the end-of-test summary lists
// whether or not a threshold names them (a key with no thresholds only creates the submetric).
func withSummarySubmetrics(th map[string][]*metrics.Threshold, systemTags map[string]bool) map[string][]*metrics.Threshold {
	if !systemTags["expected_response"] {
		return th
	}
	if _, ok := th[expectedDurationKey]; ok {
		return th
	}
	out := make(map[string][]*metrics.Threshold, len(th)+1)
	for k, v := range th {
		out[k] = v
	}
	out[expectedDurationKey] = nil
	return out
}
