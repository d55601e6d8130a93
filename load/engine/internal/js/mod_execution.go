package js

import (
	"fmt"
	"time"

	"github.com/dop251/goja"

	"swarm-gameday/engine/internal/js/modules"
)

func init() {
	modules.Register("k6/execution", newExecutionModule)
}

// getters defines read-only accessor properties on o.
func getters(rt *goja.Runtime, o *goja.Object, props map[string]func() goja.Value) {
	for name, f := range props {
		f := f
		_ = o.DefineAccessorProperty(name, rt.ToValue(func(goja.FunctionCall) goja.Value { return f() }), nil,
			goja.FLAG_FALSE, goja.FLAG_TRUE)
	}
}

func newExecutionModule(mvu modules.VU) (*goja.Object, error) {
	vu, ok := mvu.(*VU)
	if !ok {
		return nil, fmt.Errorf("k6/execution needs the engine's VU")
	}
	rt := vu.rt
	exec := vu.env.Exec
	needIter := func(what string) {
		if vu.state == nil {
			panic(jsError(rt, "getting "+what+" in the init context is not supported"))
		}
	}
	num := func(v any) goja.Value { return rt.ToValue(v) }

	// exec.vu
	vuObj := rt.NewObject()
	tagsObj := vu.tagsObject()
	metricsObj := rt.NewObject()
	metadata := rt.NewObject()
	getters(rt, vuObj, map[string]func() goja.Value{
		"idInInstance": func() goja.Value { needIter("vu.idInInstance"); return num(vu.id) },
		"idInTest": func() goja.Value {
			needIter("vu.idInTest")
			if vu.iter.IDInTest != 0 {
				return num(vu.iter.IDInTest)
			}
			return num(vu.id)
		},
		"iterationInInstance": func() goja.Value { needIter("vu.iterationInInstance"); return num(vu.iterInVU) },
		"iterationInScenario": func() goja.Value {
			needIter("vu.iterationInScenario")
			return num(vu.iter.VUIterationInScenario)
		},
		"tags":    func() goja.Value { needIter("vu.tags"); return tagsObj },
		"metrics": func() goja.Value { needIter("vu.metrics"); return metricsObj },
	})
	getters(rt, metricsObj, map[string]func() goja.Value{
		"tags":     func() goja.Value { return tagsObj },
		"metadata": func() goja.Value { return metadata },
	})

	// exec.scenario
	scObj := rt.NewObject()
	getters(rt, scObj, map[string]func() goja.Value{
		"name":     func() goja.Value { needIter("scenario.name"); return num(vu.iter.Scenario) },
		"executor": func() goja.Value { needIter("scenario.executor"); return num(vu.iter.Executor) },
		"startTime": func() goja.Value {
			needIter("scenario.startTime")
			return num(vu.iter.ScenarioStart.UnixMilli())
		},
		"progress": func() goja.Value {
			needIter("scenario.progress")
			if exec == nil {
				return num(0)
			}
			return num(exec.ScenarioProgress(vu.iter.Scenario))
		},
		"iterationInInstance": func() goja.Value {
			needIter("scenario.iterationInInstance")
			return num(vu.iter.IterationInInstance)
		},
		"iterationInTest": func() goja.Value {
			needIter("scenario.iterationInTest")
			return num(vu.iter.IterationInTest)
		},
	})

	// exec.instance
	inst := rt.NewObject()
	stat := func(what string, f func(ExecEnv) int64) func() goja.Value {
		return func() goja.Value {
			needIter("instance." + what)
			if exec == nil {
				return num(0)
			}
			return num(f(exec))
		}
	}
	getters(rt, inst, map[string]func() goja.Value{
		"iterationsCompleted":   stat("iterationsCompleted", ExecEnv.IterationsCompleted),
		"iterationsInterrupted": stat("iterationsInterrupted", ExecEnv.IterationsInterrupted),
		"vusActive":             stat("vusActive", ExecEnv.VUsActive),
		"vusInitialized":        stat("vusInitialized", ExecEnv.VUsInitialized),
		"currentTestRunDuration": func() goja.Value {
			needIter("instance.currentTestRunDuration")
			if exec == nil {
				return num(0)
			}
			return num(float64(exec.TestRunDuration()) / float64(time.Millisecond))
		},
	})

	// exec.test
	test := rt.NewObject()
	_ = test.Set("abort", func(call goja.FunctionCall) goja.Value {
		reason := ""
		if a := call.Argument(0); !goja.IsUndefined(a) {
			reason = a.String()
		}
		vu.abort(reason)
		return goja.Undefined()
	})
	_ = test.Set("fail", func(call goja.FunctionCall) goja.Value {
		reason := ""
		if a := call.Argument(0); !goja.IsUndefined(a) {
			reason = a.String()
		}
		if exec != nil {
			exec.Fail(reason)
		}
		return goja.Undefined()
	})
	var options goja.Value
	getters(rt, test, map[string]func() goja.Value{
		"options": func() goja.Value {
			if options != nil {
				return options
			}
			var b []byte
			if exec != nil {
				b = exec.OptionsJSON()
			}
			if b == nil {
				b = []byte("{}")
			}
			v, err := vu.ParseJSON(b)
			if err != nil {
				panic(err)
			}
			freeze, _ := goja.AssertFunction(rt.Get("Object").ToObject(rt).Get("freeze"))
			_, _ = freeze(goja.Undefined(), v)
			options = v
			return options
		},
	})

	o := rt.NewObject()
	_ = o.Set("vu", vuObj)
	_ = o.Set("scenario", scObj)
	_ = o.Set("instance", inst)
	_ = o.Set("test", test)
	return o, nil
}

// tagsObject is exec.vu.tags: reads give the VU's current tags, writes set a tag on every later
// sample of this VU (values must be strings, numbers or booleans).
func (vu *VU) tagsObject() *goja.Object {
	return vu.rt.NewDynamicObject(&vuTags{vu: vu})
}

type vuTags struct{ vu *VU }

func (t *vuTags) current() map[string]string {
	if st := t.vu.state; st != nil && st.Tags != nil {
		return st.Tags()
	}
	out := map[string]string{}
	for k, v := range t.vu.iter.BaseTags {
		out[k] = v
	}
	t.vu.tagsMu.Lock()
	for k, v := range t.vu.vuTags {
		out[k] = v
	}
	t.vu.tagsMu.Unlock()
	return out
}

func (t *vuTags) Get(key string) goja.Value {
	if v, ok := t.current()[key]; ok {
		return t.vu.rt.ToValue(v)
	}
	return nil
}

func (t *vuTags) Set(key string, val goja.Value) bool {
	switch val.Export().(type) {
	case string, int64, float64, bool:
	default:
		t.vu.env.Logger.Log("warning", fmt.Sprintf("ignoring exec.vu.tags[%q]: only string, number and boolean values are allowed, got %s", key, val.String()))
		return true
	}
	t.vu.tagsMu.Lock()
	t.vu.vuTags[key] = val.String()
	t.vu.tagsGen++
	t.vu.tagsMu.Unlock()
	return true
}

func (t *vuTags) Has(key string) bool { _, ok := t.current()[key]; return ok }

func (t *vuTags) Delete(key string) bool {
	t.vu.tagsMu.Lock()
	delete(t.vu.vuTags, key)
	t.vu.tagsGen++
	t.vu.tagsMu.Unlock()
	return true
}

func (t *vuTags) Keys() []string {
	cur := t.current()
	out := make([]string, 0, len(cur))
	for k := range cur {
		out = append(out, k)
	}
	return out
}
