package khttp

import (
	"github.com/dop251/goja"
)

// expectedStatuses is the object http.expectedStatuses() returns; matched natively (k6 only
// accepts these objects as response callbacks).
type expectedStatuses struct {
	codes  []int
	ranges [][2]int
}

func (e *expectedStatuses) match(status int) bool {
	for _, c := range e.codes {
		if c == status {
			return true
		}
	}
	for _, r := range e.ranges {
		if status >= r[0] && status <= r[1] {
			return true
		}
	}
	return false
}

func (m *module) expectedStatusesFn(c goja.FunctionCall) goja.Value {
	rt := m.rt
	es := &expectedStatuses{}
	for i, a := range c.Arguments {
		if o, ok := a.(*goja.Object); ok && o.ClassName() == "Object" {
			minV, maxV := o.Get("min"), o.Get("max")
			if isNullish(minV) || isNullish(maxV) {
				m.typeError("expectedStatuses: argument %d must be a status code or {min, max}, got an object without min/max", i+1)
			}
			lo, hi := minV.ToInteger(), maxV.ToInteger()
			if lo > hi {
				m.typeError("expectedStatuses: argument %d has min %d greater than max %d", i+1, lo, hi)
			}
			es.ranges = append(es.ranges, [2]int{int(lo), int(hi)})
			continue
		}
		f := a.ToFloat()
		if isNullish(a) || f != float64(int64(f)) {
			m.typeError("expectedStatuses: argument %d must be an integer status code or {min, max}, got %s", i+1, a.String())
		}
		es.codes = append(es.codes, int(f))
	}
	return rt.ToValue(es)
}

func (m *module) setResponseCallback(c goja.FunctionCall) goja.Value {
	v := c.Argument(0)
	if isNullish(v) {
		m.cb, m.cbDisabled = nil, true
		return goja.Undefined()
	}
	es, ok := v.Export().(*expectedStatuses)
	if !ok {
		m.typeError("setResponseCallback: only the result of http.expectedStatuses() (or null) is supported")
	}
	m.cb, m.cbDisabled = es, false
	return goja.Undefined()
}
