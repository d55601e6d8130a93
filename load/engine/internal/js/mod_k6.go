package js

import (
	"errors"
	"fmt"
	"math/rand"
	"strings"
	"time"

	"github.com/dop251/goja"

	"swarm-gameday/engine/internal/js/frozen"
	"swarm-gameday/engine/internal/js/modules"
	"swarm-gameday/engine/internal/metrics"
)

func init() {
	modules.Register("k6", newK6Module)
}

// throwInit throws k6's "not supported in the init context" error.
func throwInit(rt *goja.Runtime, fn string) {
	panic(jsError(rt, fn+" is not supported in the init context"))
}

// jsError is `new Error(msg)`.
func jsError(rt *goja.Runtime, msg string) *goja.Object {
	o, err := rt.New(rt.Get("Error"), rt.ToValue(msg))
	if err != nil {
		return rt.NewGoError(errors.New(msg))
	}
	return o
}

func newK6Module(mvu modules.VU) (*goja.Object, error) {
	rt := mvu.Runtime()
	o := rt.NewObject()
	// deeply frozen check sets and tag objects are read once (load/lib/client.ts freezes its own)
	frozenCheck, err := frozen.NewChecker(rt)
	if err != nil {
		return nil, fmt.Errorf("k6: %w", err)
	}
	setMemo := frozen.NewMemo[checkSet](frozenCheck)
	tagMemo := frozen.NewMemo[map[string]string](frozenCheck)

	_ = o.Set("check", func(call goja.FunctionCall) goja.Value {
		st := mvu.State()
		if st == nil {
			throwInit(rt, "check()")
		}
		val := call.Argument(0)
		setsV := call.Argument(1)
		if goja.IsUndefined(setsV) || goja.IsNull(setsV) {
			return rt.ToValue(true)
		}
		sets := setsV.ToObject(rt)
		// a frozen set's names and values come from the memo; any other set is read as it goes
		var names []string
		var vals []goja.Value
		if cs, ok := setMemo.Get(sets); ok {
			names, vals = cs.names, cs.vals
		} else if setMemo.Admit(sets) {
			cs = readCheckSet(sets)
			setMemo.Put(sets, cs)
			names, vals = cs.names, cs.vals
		} else {
			names = sets.Keys()
		}
		var extra map[string]string
		if tv := call.Argument(2); !goja.IsUndefined(tv) && !goja.IsNull(tv) {
			to := tv.ToObject(rt)
			var ok bool
			if extra, ok = tagMemo.Get(to); !ok {
				extra = tagsArg(rt, to)
				if tagMemo.Admit(to) {
					tagMemo.Put(to, extra)
				}
			}
		}
		all := true
		now := time.Now()
		for i, name := range names {
			var fv goja.Value
			if vals != nil {
				fv = vals[i]
			} else {
				fv = sets.Get(name)
			}
			var ok bool
			if fn, isFn := goja.AssertFunction(fv); isFn {
				res, err := fn(goja.Undefined(), val)
				if err != nil {
					panic(err)
				}
				ok = res.ToBoolean()
			} else {
				ok = fv.ToBoolean()
			}
			tags := st.Tags()
			for k, v := range extra {
				tags[k] = v
			}
			if st.SystemTags["check"] {
				tags["check"] = name
			}
			group := st.Group
			if group != nil {
				group.Check(name).Record(ok)
			}
			value := 0.0
			if ok {
				value = 1
			} else {
				all = false
			}
			if b := mvu.Builtins(); b != nil && st.Push != nil {
				st.Push(metrics.Sample{Metric: b.Checks, Time: now, Value: value, Tags: tags})
			}
		}
		return rt.ToValue(all)
	})

	_ = o.Set("group", func(name string, fnv goja.Value) goja.Value {
		st := mvu.State()
		if st == nil {
			throwInit(rt, "group()")
		}
		fn, ok := goja.AssertFunction(fnv)
		if !ok {
			panic(rt.NewTypeError("group() needs a function as its second argument"))
		}
		if strings.Contains(name, "::") {
			panic(jsError(rt, "group and check names may not contain '::'"))
		}
		parent := st.Group
		if parent == nil {
			parent = metrics.NewRootGroup()
		}
		st.Group = parent.Child(name)
		start := time.Now()
		defer func() {
			end := time.Now()
			tags := st.Tags()
			st.Group = parent
			if b := mvu.Builtins(); b != nil && st.Push != nil {
				st.Push(metrics.Sample{Metric: b.GroupDuration, Time: end,
					Value: float64(end.Sub(start)) / float64(time.Millisecond), Tags: tags})
			}
		}()
		res, err := fn(goja.Undefined())
		if err != nil {
			panic(err)
		}
		return res
	})

	_ = o.Set("sleep", func(secs float64) {
		d := time.Duration(secs * float64(time.Second))
		if d <= 0 {
			return
		}
		t := time.NewTimer(d)
		defer t.Stop()
		ctx := mvu.Context()
		select {
		case <-t.C:
		case <-ctx.Done():
			// stop the script right here, not at whatever instruction the async interrupt lands on
			rt.Interrupt(ctx.Err())
		}
	})

	_ = o.Set("fail", func(call goja.FunctionCall) goja.Value {
		msg := "fail"
		if a := call.Argument(0); !goja.IsUndefined(a) {
			msg = a.String()
		}
		panic(jsError(rt, msg))
	})

	_ = o.Set("randomSeed", func(seed int64) {
		r := rand.New(rand.NewSource(seed))
		rt.SetRandSource(r.Float64)
	})
	return o, nil
}

// checkSet is a check() set read out: names in order, with their functions or values.
type checkSet struct {
	names []string
	vals  []goja.Value
}

func readCheckSet(sets *goja.Object) checkSet {
	names := sets.Keys()
	cs := checkSet{names: names, vals: make([]goja.Value, len(names))}
	for i, n := range names {
		cs.vals[i] = sets.Get(n)
	}
	return cs
}

// tagsArg reads a tags object ({k: v}) into strings; undefined gives nil.
func tagsArg(rt *goja.Runtime, v goja.Value) map[string]string {
	if v == nil || goja.IsUndefined(v) || goja.IsNull(v) {
		return nil
	}
	o := v.ToObject(rt)
	out := map[string]string{}
	for _, k := range o.Keys() {
		tv := o.Get(k)
		if tv == nil || goja.IsUndefined(tv) || goja.IsNull(tv) {
			continue
		}
		out[k] = tv.String()
	}
	return out
}
