package frozen

import (
	"testing"

	"github.com/dop251/goja"
)

func obj(t *testing.T, rt *goja.Runtime, src string) *goja.Object {
	t.Helper()
	v, err := rt.RunString("(" + src + ")")
	if err != nil {
		t.Fatalf("%s: %v", src, err)
	}
	return v.ToObject(rt)
}

func TestDeepFrozen(t *testing.T) {
	rt := goja.New()
	c, err := NewChecker(rt)
	if err != nil {
		t.Fatal(err)
	}
	for src, want := range map[string]bool{
		`{a: 1}`:                        false,
		`Object.freeze({a: 1, f() {}})`: true,
		`Object.freeze({tags: Object.freeze({x: "1"})})`:                  true,
		`Object.freeze({tags: {x: "1"}})`:                                 false, // nested object can still change
		`Object.freeze({get a() { return Math.random() }})`:               false, // a getter answers anew each time
		`Object.seal({a: 1})`:                                             false,
		`Object.freeze([Object.freeze({a: 1})])`:                          true,
		`Object.freeze(new Proxy(Object.freeze({a: 1}), {}))`:             true,
		`(() => { const o = {}; o.self = o; return Object.freeze(o) })()`: false, // a cycle is given up at the depth limit: a miss, never a wrong yes
	} {
		if got := c.DeepFrozen(obj(t, rt, src)); got != want {
			t.Errorf("DeepFrozen(%s) = %v, want %v", src, got, want)
		}
	}
	// a proxy whose trap throws counts as not frozen, and the error does not escape
	p := obj(t, rt, `new Proxy({}, {isExtensible() { throw new Error("trap") }})`)
	if c.DeepFrozen(p) {
		t.Error("a throwing proxy counted as frozen")
	}
}

func TestMemoRemembersOnlyFrozenObjectsSeenTwice(t *testing.T) {
	rt := goja.New()
	c, err := NewChecker(rt)
	if err != nil {
		t.Fatal(err)
	}
	m := NewMemo[string](c)
	fr := obj(t, rt, `Object.freeze({a: 1})`)
	if m.Admit(fr) {
		t.Fatal("admitted on the first sighting")
	}
	if !m.Admit(fr) {
		t.Fatal("a frozen object seen twice was not admitted")
	}
	m.Put(fr, "read")
	if v, ok := m.Get(fr); !ok || v != "read" {
		t.Fatalf("Get = %q, %v", v, ok)
	}

	open := obj(t, rt, `({a: 1})`)
	for i := 0; i < 5; i++ {
		if m.Admit(open) {
			t.Fatalf("a mutable object was admitted (sighting %d)", i+1)
		}
		if _, ok := m.Get(open); ok {
			t.Fatal("Get answered for a mutable object")
		}
	}

	// at most Limit objects are remembered
	for i := 0; i < Limit+10; i++ {
		o := obj(t, rt, `Object.freeze({})`)
		if m.Admit(o) || !m.Admit(o) {
			if len(m.known) < Limit {
				t.Fatalf("object %d not admitted below the limit", i)
			}
			continue
		}
		m.Put(o, "x")
	}
	if len(m.known) > Limit {
		t.Fatalf("memo holds %d objects, limit %d", len(m.known), Limit)
	}

	var nilMemo *Memo[int]
	if nilMemo.Admit(fr) {
		t.Error("a nil memo admitted")
	}
	if _, ok := nilMemo.Get(fr); ok {
		t.Error("a nil memo answered")
	}
}
