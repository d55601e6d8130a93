package js

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dop251/goja"

	"swarm-gameday/engine/internal/js/fastjson"
	"swarm-gameday/engine/internal/js/modules"
	"swarm-gameday/engine/internal/metrics"
)

// Env is what every VU of a test shares.
type Env struct {
	Script   *Script
	Env      map[string]string // __ENV
	Registry *metrics.Registry
	Builtins *metrics.Builtins
	Logger   *Logger
	// Exec is the test-wide execution state k6/execution reads; nil is allowed (inspect).
	Exec ExecEnv
}

// ExecEnv is the test-wide state behind k6/execution (the runner implements it).
type ExecEnv interface {
	// ScenarioProgress is 0..1 for the named scenario.
	ScenarioProgress(name string) float64
	IterationsCompleted() int64
	IterationsInterrupted() int64
	VUsActive() int64
	VUsInitialized() int64
	// TestRunDuration is the time since the test (setup included) started.
	TestRunDuration() time.Duration
	// OptionsJSON is the resolved options (exec.test.options).
	OptionsJSON() []byte
	// Fail marks the test as failed (exec.test.fail) without stopping it.
	Fail(reason string)
}

// Iteration is what the runner tells a VU about the iteration it is about to run.
type Iteration struct {
	Scenario, Executor    string
	ScenarioStart         time.Time
	ScenarioEnv           map[string]string
	IDInTest              uint64
	IterationInInstance   int64 // scenario's iteration index in this instance
	IterationInTest       int64 // scenario's iteration index in the whole test
	VUIterationInScenario int64
	// BaseTags: options.tags + scenario tags + the system tag scenario (if enabled).
	BaseTags map[string]string
}

// VU is one virtual user: a goja runtime with the script's init code evaluated.
type VU struct {
	env     *Env
	id      uint64
	rt      *goja.Runtime
	exports *goja.Object
	mods    map[string]*goja.Object

	ctx     context.Context
	state   *modules.State
	initEnv *modules.InitEnv

	// event loop
	loopMu   sync.Mutex
	queue    []queued
	wake     chan struct{}
	pending  int
	epoch    uint64
	aborted  *AbortError
	iterInVU int64 // iterations this VU ran (all scenarios)
	iter     Iteration
	tagsMu   sync.Mutex
	vuTags   map[string]string        // exec.vu.tags set by the script
	tagsGen  uint64                   // bumped on every change of vuTags (under tagsMu)
	fns      map[string]goja.Callable // exported functions, resolved on their first Call
	inIter   bool
	scenario string
}

type queued struct {
	epoch uint64
	fn    func() error
}

var _ modules.VU = (*VU)(nil)

// NewVU creates a runtime and runs the init code. id is __VU (0 for the init/setup VUs).
func NewVU(env *Env, id uint64) (*VU, error) {
	vu := &VU{
		env:    env,
		id:     id,
		rt:     goja.New(),
		mods:   map[string]*goja.Object{},
		ctx:    context.Background(),
		wake:   make(chan struct{}, 1),
		vuTags: map[string]string{},
	}
	vu.rt.SetFieldNameMapper(goja.TagFieldNameMapper("js", true))
	if _, err := fastjson.Install(vu.rt); err != nil { // JSON.parse without encoding/json's Token API
		return nil, err
	}
	vu.initEnv = &modules.InitEnv{ScriptDir: env.Script.Dir, Env: env.Env}
	if err := vu.setupGlobals(); err != nil {
		return nil, err
	}
	module := vu.rt.NewObject()
	exports := vu.rt.NewObject()
	_ = module.Set("exports", exports)
	g := vu.rt.GlobalObject()
	_ = g.Set("module", module)
	_ = g.Set("exports", exports)
	_ = g.Set("require", vu.require)
	_, err := vu.runGuarded(context.Background(), func() (goja.Value, error) {
		return vu.rt.RunProgram(env.Script.Program)
	})
	vu.initEnv = nil
	if err != nil {
		return nil, err
	}
	ex := module.Get("exports")
	if ex == nil || goja.IsUndefined(ex) || goja.IsNull(ex) {
		vu.exports = vu.rt.NewObject()
	} else {
		vu.exports = ex.ToObject(vu.rt)
	}
	return vu, nil
}

// --- modules.VU ---

func (vu *VU) Runtime() *goja.Runtime      { return vu.rt }
func (vu *VU) Context() context.Context    { return vu.ctx }
func (vu *VU) Registry() *metrics.Registry { return vu.env.Registry }
func (vu *VU) Builtins() *metrics.Builtins { return vu.env.Builtins }
func (vu *VU) State() *modules.State       { return vu.state }
func (vu *VU) InitEnv() *modules.InitEnv   { return vu.initEnv }
func (vu *VU) ID() uint64                  { return vu.id }
func (vu *VU) Exports() *goja.Object       { return vu.exports }
func (vu *VU) Logger() *Logger             { return vu.env.Logger }
func (vu *VU) CurrentIteration() Iteration { return vu.iter }
func (vu *VU) inInitContext() bool         { return vu.state == nil }

// RegisterCallback reserves a slot on the event loop (see modules.VU).
func (vu *VU) RegisterCallback() func(func() error) {
	vu.loopMu.Lock()
	vu.pending++
	epoch := vu.epoch
	vu.loopMu.Unlock()
	var once sync.Once
	return func(f func() error) {
		once.Do(func() {
			vu.loopMu.Lock()
			vu.queue = append(vu.queue, queued{epoch: epoch, fn: f})
			vu.loopMu.Unlock()
			select {
			case vu.wake <- struct{}{}:
			default:
			}
		})
	}
}

// runLoop runs queued callbacks until none is pending, ctx is done, or one fails.
func (vu *VU) runLoop(ctx context.Context, settled func() bool) error {
	for {
		vu.loopMu.Lock()
		q := vu.queue
		vu.queue = nil
		epoch := vu.epoch
		vu.loopMu.Unlock()
		for _, c := range q {
			if c.epoch != epoch {
				continue
			}
			vu.loopMu.Lock()
			vu.pending--
			vu.loopMu.Unlock()
			if err := vu.callGo(c.fn); err != nil {
				return err
			}
			if vu.aborted != nil {
				return vu.aborted
			}
		}
		vu.loopMu.Lock()
		pending, queuedN := vu.pending, len(vu.queue)
		vu.loopMu.Unlock()
		if queuedN > 0 {
			continue
		}
		if pending <= 0 {
			return nil
		}
		_ = settled
		select {
		case <-vu.wake:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// callGo runs a loop callback as a top-level goja call, so promise jobs it queues run after it.
func (vu *VU) callGo(f func() error) error {
	var ferr error
	fn, _ := goja.AssertFunction(vu.rt.ToValue(func() { ferr = f() }))
	_, err := fn(goja.Undefined())
	if err != nil {
		return convertError(err)
	}
	if ferr != nil {
		return convertError(ferr)
	}
	return nil
}

// runGuarded runs f with ctx as the VU context, interrupting the runtime when ctx is cancelled,
// then runs the event loop until a returned promise settles and no callback is pending.
func (vu *VU) runGuarded(ctx context.Context, f func() (goja.Value, error)) (goja.Value, error) {
	vu.ctx = ctx
	vu.aborted = nil
	interrupted := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		vu.rt.Interrupt(ctx.Err())
		close(interrupted)
	})
	defer func() {
		if !stop() {
			<-interrupted
		}
		vu.rt.ClearInterrupt()
		vu.loopMu.Lock()
		vu.epoch++
		vu.pending = 0
		vu.queue = nil
		vu.loopMu.Unlock()
		vu.ctx = context.Background()
	}()
	v, err := f()
	if vu.aborted != nil {
		return nil, vu.aborted
	}
	if err != nil {
		return nil, convertError(err)
	}
	p, isPromise := exportPromise(v)
	if err := vu.runLoop(ctx, func() bool { return !isPromise || p.State() != goja.PromiseStatePending }); err != nil {
		if vu.aborted != nil {
			return nil, vu.aborted
		}
		return nil, err
	}
	if vu.aborted != nil {
		return nil, vu.aborted
	}
	if isPromise {
		switch p.State() {
		case goja.PromiseStateRejected:
			return nil, rejectionError(p.Result())
		case goja.PromiseStateFulfilled:
			return p.Result(), nil
		default:
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return goja.Undefined(), nil
		}
	}
	return v, nil
}

func exportPromise(v goja.Value) (*goja.Promise, bool) {
	if o, ok := v.(*goja.Object); ok {
		if p, ok := o.Export().(*goja.Promise); ok {
			return p, true
		}
	}
	return nil, false
}

// abort is exec.test.abort(): stop the running JS now.
func (vu *VU) abort(reason string) {
	vu.aborted = &AbortError{Reason: reason}
	vu.rt.Interrupt(vu.aborted)
}

// --- require, globals ---

func (vu *VU) require(name string) (goja.Value, error) {
	if m, ok := vu.mods[name]; ok {
		return m, nil
	}
	ctor, ok := modules.Get(name)
	if !ok {
		if strings.HasPrefix(name, ".") || strings.HasPrefix(name, "/") {
			return nil, fmt.Errorf("cannot require %q: only the engine's modules can be imported (bundle the script into one file)", name)
		}
		known := modules.Names()
		sort.Strings(known)
		return nil, fmt.Errorf("unknown module %q: expected one of %s", name, strings.Join(known, ", "))
	}
	obj, err := ctor(vu)
	if err != nil {
		return nil, fmt.Errorf("module %q: %w", name, err)
	}
	if obj == nil {
		obj = vu.rt.NewObject()
	}
	if d := obj.Get("default"); d == nil || goja.IsUndefined(d) {
		_ = obj.DefineDataProperty("default", obj, goja.FLAG_FALSE, goja.FLAG_FALSE, goja.FLAG_FALSE)
	}
	_ = obj.DefineDataProperty("__esModule", vu.rt.ToValue(true), goja.FLAG_FALSE, goja.FLAG_FALSE, goja.FLAG_FALSE)
	vu.mods[name] = obj
	return obj, nil
}

func (vu *VU) setupGlobals() error {
	rt := vu.rt
	g := rt.GlobalObject()
	env := rt.NewObject()
	for k, v := range vu.env.Env {
		_ = env.Set(k, v)
	}
	if err := g.Set("__ENV", env); err != nil {
		return err
	}
	_ = g.Set("__VU", vu.id)
	_ = g.Set("__ITER", 0)
	_ = g.Set("global", g)
	_ = g.Set("open", vu.open)
	console := rt.NewObject()
	for _, lvl := range []string{"log", "info", "warn", "error", "debug"} {
		level := lvl
		switch lvl {
		case "log":
			level = "info"
		case "warn":
			level = "warning"
		}
		_ = console.Set(lvl, func(call goja.FunctionCall) goja.Value {
			vu.env.Logger.Log(level, vu.formatArgs(call.Arguments), "source", "console")
			return goja.Undefined()
		})
	}
	_ = g.Set("console", console)
	vu.setupTimers()
	return nil
}

func (vu *VU) formatArgs(args []goja.Value) string {
	parts := make([]string, len(args))
	stringify, _ := goja.AssertFunction(vu.rt.Get("JSON").ToObject(vu.rt).Get("stringify"))
	for i, a := range args {
		switch {
		case a == nil || goja.IsUndefined(a):
			parts[i] = "undefined"
		case goja.IsNull(a):
			parts[i] = "null"
		default:
			if o, ok := a.(*goja.Object); ok && o.ClassName() != "Function" && o.ClassName() != "Error" {
				if s, err := stringify(goja.Undefined(), a); err == nil && !goja.IsUndefined(s) {
					parts[i] = s.String()
					continue
				}
			}
			parts[i] = a.String()
		}
	}
	return strings.Join(parts, " ")
}

func (vu *VU) open(call goja.FunctionCall) goja.Value {
	rt := vu.rt
	if vu.initEnv == nil {
		panic(jsError(rt, `the "open()" function is only available in the init context (i.e. the global scope)`))
	}
	name := call.Argument(0).String()
	name = strings.TrimPrefix(name, "file://")
	if name == "" {
		panic(rt.NewTypeError("open() needs a file path"))
	}
	path := name
	if !filepath.IsAbs(path) {
		path = filepath.Join(vu.initEnv.ScriptDir, path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		panic(jsError(rt, fmt.Sprintf("open(%q): %v", name, err)))
	}
	if mode := call.Argument(1); !goja.IsUndefined(mode) && mode.String() == "b" {
		return rt.ToValue(rt.NewArrayBuffer(b))
	}
	return rt.ToValue(string(b))
}

// setupTimers: setTimeout/clearTimeout/setInterval/clearInterval on the event loop (k6 has them
// as globals).
func (vu *VU) setupTimers() {
	rt := vu.rt
	type timer struct {
		stop     chan struct{}
		done     func(func() error)
		stopOnce sync.Once
	}
	timers := map[int64]*timer{}
	var nextID int64
	start := func(call goja.FunctionCall, repeat bool) goja.Value {
		fn, ok := goja.AssertFunction(call.Argument(0))
		if !ok {
			panic(rt.NewTypeError("setTimeout: the first argument must be a function"))
		}
		d := time.Duration(call.Argument(1).ToFloat() * float64(time.Millisecond))
		if d < 0 {
			d = 0
		}
		var extra []goja.Value
		if len(call.Arguments) > 2 {
			extra = call.Arguments[2:]
		}
		nextID++
		id := nextID
		t := &timer{stop: make(chan struct{})}
		timers[id] = t
		var arm func()
		arm = func() {
			done := vu.RegisterCallback()
			t.done = done
			ctx := vu.ctx
			go func() {
				tm := time.NewTimer(d)
				defer tm.Stop()
				select {
				case <-tm.C:
					done(func() error {
						if _, live := timers[id]; !live {
							return nil
						}
						if !repeat {
							delete(timers, id)
						}
						_, err := fn(goja.Undefined(), extra...)
						if err == nil && repeat {
							if _, live := timers[id]; live {
								arm()
							}
						}
						return err
					})
				case <-t.stop:
					done(func() error { return nil })
				case <-ctx.Done():
					done(func() error { return nil })
				}
			}()
		}
		arm()
		return rt.ToValue(id)
	}
	clear := func(call goja.FunctionCall) goja.Value {
		id := call.Argument(0).ToInteger()
		if t, ok := timers[id]; ok {
			delete(timers, id)
			t.stopOnce.Do(func() { close(t.stop) })
		}
		return goja.Undefined()
	}
	g := rt.GlobalObject()
	_ = g.Set("setTimeout", func(call goja.FunctionCall) goja.Value { return start(call, false) })
	_ = g.Set("setInterval", func(call goja.FunctionCall) goja.Value { return start(call, true) })
	_ = g.Set("clearTimeout", clear)
	_ = g.Set("clearInterval", clear)
}

// --- running exported functions ---

// HasExport reports whether the script exports a function of that name.
func (vu *VU) HasExport(name string) bool {
	_, ok := goja.AssertFunction(vu.exports.Get(name))
	return ok
}

// ExportNames lists the script's exports.
func (vu *VU) ExportNames() []string { return vu.exports.Keys() }

// OptionsJSON is JSON.stringify(exported options) ("{}" when there are none).
func (vu *VU) OptionsJSON() ([]byte, error) {
	v := vu.exports.Get("options")
	if v == nil || goja.IsUndefined(v) || goja.IsNull(v) {
		return []byte("{}"), nil
	}
	return vu.Stringify(v)
}

// Stringify is JSON.stringify(v); undefined gives nil.
func (vu *VU) Stringify(v goja.Value) ([]byte, error) {
	stringify, _ := goja.AssertFunction(vu.rt.Get("JSON").ToObject(vu.rt).Get("stringify"))
	s, err := stringify(goja.Undefined(), v)
	if err != nil {
		return nil, convertError(err)
	}
	if s == nil || goja.IsUndefined(s) {
		return nil, nil
	}
	return []byte(s.String()), nil
}

// ParseJSON is JSON.parse(b); nil gives undefined.
func (vu *VU) ParseJSON(b []byte) (goja.Value, error) {
	if b == nil {
		return goja.Undefined(), nil
	}
	parse, _ := goja.AssertFunction(vu.rt.Get("JSON").ToObject(vu.rt).Get("parse"))
	v, err := parse(goja.Undefined(), vu.rt.ToValue(string(b)))
	return v, convertError(err)
}

// Call runs an exported function with state st (nil = init-like context, e.g. handleSummary)
// and args; it returns the function's (awaited) result.
func (vu *VU) Call(ctx context.Context, st *modules.State, name string, args ...goja.Value) (goja.Value, error) {
	// Resolved once per VU, as k6 does: the esbuild CommonJS wrapper exports each binding through
	// a getter, and calling two of those per iteration cost ~1.4 µs.
	fn, ok := vu.fns[name]
	if !ok {
		if fn, ok = goja.AssertFunction(vu.exports.Get(name)); !ok {
			return nil, fmt.Errorf("the script exports no function %q", name)
		}
		if vu.fns == nil {
			vu.fns = map[string]goja.Callable{}
		}
		vu.fns[name] = fn
	}
	vu.setState(st)
	defer vu.setState(nil)
	return vu.runGuarded(ctx, func() (goja.Value, error) { return fn(goja.Undefined(), args...) })
}

func (vu *VU) setState(st *modules.State) {
	if st != nil {
		vu.wireState(st)
	}
	vu.state = st
}

// wireState installs the tag function (base tags + exec.vu.tags + group). The merged set is built
// once and handed out as copies until one of its inputs changes (exec.vu.tags, the group or the
// iteration): a request and each check sample ask for it, and rebuilding it every time cost ~0.5 µs.
func (vu *VU) wireState(st *modules.State) {
	base := vu.iter.BaseTags
	var (
		memo      map[string]string
		memoGen   uint64
		memoIter  int64
		memoGroup *metrics.Group
	)
	st.Tags = func() map[string]string {
		vu.tagsMu.Lock()
		defer vu.tagsMu.Unlock()
		if memo == nil || memoGen != vu.tagsGen || memoIter != st.Iteration || memoGroup != st.Group {
			memo = make(map[string]string, len(base)+len(vu.vuTags)+3)
			for k, v := range base {
				memo[k] = v
			}
			for k, v := range vu.vuTags {
				memo[k] = v
			}
			if st.SystemTags["vu"] {
				memo["vu"] = strconv.FormatUint(vu.id, 10)
			}
			if st.SystemTags["iter"] {
				memo["iter"] = strconv.FormatInt(st.Iteration, 10)
			}
			if st.SystemTags["group"] {
				if st.Group != nil {
					memo["group"] = st.Group.Path
				} else {
					memo["group"] = ""
				}
			}
			memoGen, memoIter, memoGroup = vu.tagsGen, st.Iteration, st.Group
		}
		return maps.Clone(memo)
	}
}

// SetIteration records what the next Call runs (k6/execution, __ITER, scenario env).
func (vu *VU) SetIteration(it Iteration) {
	if it.Scenario != vu.scenario {
		vu.scenario = it.Scenario
		env := vu.rt.NewObject()
		for k, v := range vu.env.Env {
			_ = env.Set(k, v)
		}
		for k, v := range it.ScenarioEnv {
			_ = env.Set(k, v)
		}
		_ = vu.rt.GlobalObject().Set("__ENV", env)
	}
	vu.iter = it
	_ = vu.rt.GlobalObject().Set("__ITER", it.VUIterationInScenario)
}

// RunIteration runs one iteration of the exported function fn with the setup data (JSON).
func (vu *VU) RunIteration(ctx context.Context, st *modules.State, fn string, setupData []byte) error {
	args := []goja.Value{}
	if setupData != nil {
		// a fresh copy every iteration: what one iteration changes, the next does not see
		v, err := vu.ParseJSON(setupData)
		if err != nil {
			return err
		}
		args = append(args, v)
	}
	vu.inIter = true
	defer func() { vu.inIter = false; vu.iterInVU++ }()
	_, err := vu.Call(ctx, st, fn, args...)
	return err
}

// Output is one entry of handleSummary's returned object.
type Output struct {
	Key  string
	Data []byte
}

// ExportOutputs reads handleSummary's result: key -> string or ArrayBuffer (sorted by key).
func (vu *VU) ExportOutputs(v goja.Value) ([]Output, error) {
	if v == nil || goja.IsUndefined(v) || goja.IsNull(v) {
		return nil, nil
	}
	o, ok := v.(*goja.Object)
	if !ok {
		return nil, fmt.Errorf("handleSummary must return an object of path -> content, got %s", v.String())
	}
	keys := o.Keys()
	sort.Strings(keys)
	out := make([]Output, 0, len(keys))
	for _, k := range keys {
		e := o.Get(k)
		switch x := e.Export().(type) {
		case goja.ArrayBuffer:
			out = append(out, Output{Key: k, Data: x.Bytes()})
		case string:
			out = append(out, Output{Key: k, Data: []byte(x)})
		default:
			if eo, isObj := e.(*goja.Object); isObj && eo.ClassName() != "String" {
				b, err := vu.Stringify(e)
				if err != nil {
					return nil, err
				}
				out = append(out, Output{Key: k, Data: b})
				continue
			}
			out = append(out, Output{Key: k, Data: []byte(e.String())})
		}
	}
	return out, nil
}
