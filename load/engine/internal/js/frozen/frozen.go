// Package frozen remembers what the engine read out of a script's deeply frozen objects (request
// params, tag sets, check sets), so reading them again costs one map lookup.
//
// A frozen object whose properties are all data properties, and whose object-valued properties
// are frozen the same way, cannot change: what was read from it once stays true for its lifetime.
// Scripts that build their params once and Object.freeze them (load/lib/client.ts does) skip the
// per-call walk over their keys, which cost ~1–2 µs of a ~50 µs iteration in goja. Everything else
// is read on every call, as before.
//
// Only objects seen twice in a row are checked (a literal built per call never is, so that common
// case pays a few pointer compares), and at most Limit objects are remembered per runtime.
package frozen

import (
	"github.com/dop251/goja"
)

// Limit bounds how many objects a Memo remembers (frozen or found not to be).
const Limit = 256

// recentN is how many recently seen, not yet checked objects a Memo keeps.
const recentN = 8

// deepFrozenSrc decides whether o is frozen all the way down with only data properties. Functions
// count by identity (a frozen object cannot point to another one); their own state is not read.
const deepFrozenSrc = `(() => {
  const isFrozen = Object.isFrozen, ownKeys = Reflect.ownKeys, describe = Object.getOwnPropertyDescriptor;
  const deepFrozen = (o, depth) => {
    if (depth > 8 || !isFrozen(o)) return false;
    for (const k of ownKeys(o)) {
      const d = describe(o, k);
      if (!d || !('value' in d)) return false;
      const v = d.value;
      if (typeof v === 'object' && v !== null && !deepFrozen(v, depth + 1)) return false;
    }
    return true;
  };
  return deepFrozen;
})()`

// Checker runs the deep-frozen test in one runtime.
type Checker struct {
	rt *goja.Runtime
	fn goja.Callable
}

// NewChecker compiles the test into rt.
func NewChecker(rt *goja.Runtime) (*Checker, error) {
	v, err := rt.RunString(deepFrozenSrc)
	if err != nil {
		return nil, err
	}
	fn, _ := goja.AssertFunction(v)
	return &Checker{rt: rt, fn: fn}, nil
}

// DeepFrozen reports whether o can never change (see the package comment). Any exception (a
// Proxy trap throwing) counts as no.
func (c *Checker) DeepFrozen(o *goja.Object) bool {
	if c == nil || o == nil {
		return false
	}
	r, err := c.fn(goja.Undefined(), o, c.rt.ToValue(0))
	return err == nil && r.ToBoolean()
}

type entry[T any] struct {
	frozen bool
	value  T
}

// Memo maps deeply frozen objects to what was read from them.
type Memo[T any] struct {
	check  *Checker
	recent [recentN]*goja.Object
	next   int
	known  map[*goja.Object]entry[T]
}

// NewMemo returns an empty memo that uses check (nil: never remembers anything).
func NewMemo[T any](check *Checker) *Memo[T] {
	return &Memo[T]{check: check}
}

// Get returns what was stored for o, if o is known to be deeply frozen.
func (m *Memo[T]) Get(o *goja.Object) (T, bool) {
	if m != nil && m.known != nil {
		if e, ok := m.known[o]; ok && e.frozen {
			return e.value, true
		}
	}
	var zero T
	return zero, false
}

// Admit is called on a miss: true means o is deeply frozen and its value should be Put now. The
// first sighting of o is only noted; on a second one (among the last few objects seen) o is
// checked once. An object found not to be frozen is remembered as such and never checked again.
func (m *Memo[T]) Admit(o *goja.Object) bool {
	if m == nil || m.check == nil || o == nil {
		return false
	}
	if _, seen := m.known[o]; seen {
		return false
	}
	for i, r := range m.recent {
		if r != o {
			continue
		}
		m.recent[i] = nil
		if len(m.known) >= Limit {
			return false
		}
		if m.known == nil {
			m.known = make(map[*goja.Object]entry[T])
		}
		if m.check.DeepFrozen(o) {
			return true
		}
		m.known[o] = entry[T]{}
		return false
	}
	m.recent[m.next] = o
	m.next = (m.next + 1) % recentN
	return false
}

// Put stores what was read from o, which Admit just admitted.
func (m *Memo[T]) Put(o *goja.Object, v T) {
	if m.known == nil {
		m.known = make(map[*goja.Object]entry[T])
	}
	m.known[o] = entry[T]{frozen: true, value: v}
}
