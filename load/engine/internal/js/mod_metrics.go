package js

import (
	"math"
	"time"

	"github.com/dop251/goja"

	"swarm-gameday/engine/internal/js/modules"
	"swarm-gameday/engine/internal/metrics"
)

func init() {
	modules.Register("k6/metrics", newMetricsModule)
}

func newMetricsModule(mvu modules.VU) (*goja.Object, error) {
	rt := mvu.Runtime()
	o := rt.NewObject()
	for _, k := range []struct {
		class string
		typ   metrics.Type
	}{{"Counter", metrics.Counter}, {"Gauge", metrics.Gauge}, {"Rate", metrics.Rate}, {"Trend", metrics.Trend}} {
		k := k
		_ = o.Set(k.class, metricClass(mvu, k.class, k.typ))
	}
	return o, nil
}

func metricClass(mvu modules.VU, class string, typ metrics.Type) func(goja.ConstructorCall) *goja.Object {
	rt := mvu.Runtime()
	return func(call goja.ConstructorCall) *goja.Object {
		if mvu.State() != nil {
			panic(jsError(rt, "metrics must be declared in the init context"))
		}
		nameV := call.Argument(0)
		if goja.IsUndefined(nameV) || goja.IsNull(nameV) {
			panic(rt.NewTypeError(class + "(name): the metric name is missing"))
		}
		name := nameV.String()
		vt := metrics.Default
		if call.Argument(1).ToBoolean() {
			if typ == metrics.Trend || typ == metrics.Gauge {
				vt = metrics.Time
			}
		}
		m, err := mvu.Registry().NewMetric(name, typ, vt)
		if err != nil {
			panic(jsError(rt, err.Error()))
		}
		obj := call.This
		_ = obj.DefineDataProperty("name", rt.ToValue(name), goja.FLAG_FALSE, goja.FLAG_FALSE, goja.FLAG_TRUE)
		_ = obj.Set("add", func(c goja.FunctionCall) goja.Value {
			st := mvu.State()
			if st == nil {
				panic(jsError(rt, "adding to metrics in the init context is not supported"))
			}
			v := c.Argument(0)
			var value float64
			switch {
			case typ == metrics.Rate:
				if exp := v.Export(); exp != nil {
					switch x := exp.(type) {
					case bool:
						if x {
							value = 1
						}
					default:
						f := v.ToFloat()
						if f != 0 && !math.IsNaN(f) {
							value = 1
						}
					}
				}
			default:
				value = v.ToFloat()
				if math.IsNaN(value) || math.IsInf(value, 0) {
					panic(jsError(rt, "'"+v.String()+"' is an invalid value for metric '"+name+"', a number or a boolean value is expected"))
				}
			}
			tags := st.Tags()
			for k, tv := range tagsArg(rt, c.Argument(1)) {
				tags[k] = tv
			}
			if st.Push != nil {
				st.Push(metrics.Sample{Metric: m, Time: time.Now(), Value: value, Tags: tags})
			}
			return rt.ToValue(true)
		})
		return nil
	}
}
