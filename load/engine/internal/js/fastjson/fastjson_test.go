package fastjson

import (
	"fmt"
	"strings"
	"testing"

	"github.com/dop251/goja"
)

func newRT(t testing.TB) (*goja.Runtime, *Parser) {
	rt := goja.New()
	p, err := Install(rt)
	if err != nil {
		t.Fatal(err)
	}
	return rt, p
}

// a runtime with the builtin and one with ours must agree on every input: the same
// JSON.stringify of the result, the same types, or the same error message
func TestSameAsBuiltin(t *testing.T) {
	ref := goja.New()
	rt, _ := newRT(t)
	inputs := []string{
		`{}`, `[]`, `  [ ]  `, `null`, `true`, `false`, `0`, `-0`, `1`, `-1`, `123456789012345`, `1234567890123456789`,
		`9007199254740993`, `1.5`, `-1.25e3`, `1E2`, `1e-7`, `0.1`, `1e400`, `-`, `01`, `1.`, `.5`, `+1`, `1e`, `1e+`,
		`"a"`, `""`, `"é"`, `"\u00e9\n\t\"\\\/"`, `"\ud83d\ude00"`, `"\ud800"`, "\"\xff\xfe\"", "\"a\x01\"", `"\x"`, `"abc`,
		`{"a":1,"b":[1,2,{"c":null}],"a":2}`, `{"__proto__":{"x":1}}`, `{"1":1,"0":0,"b":2,"a":1}`, `{"a":1,}`, `[1,2,]`,
		`[1 2]`, `{"a" 1}`, `{a:1}`, `{"a":1} x`, `nul`, `tru`, `[`, `{`, `{"a":`, ``, ` `, `[[[[[]]]]]`,
		strings.Repeat("[", 2000) + strings.Repeat("]", 2000),
		`[{"id":3,"title":"t","content":"c","status":"TODO","created":"2026-01-01T12:00:00Z","updated":"2026-01-01T12:00:00Z"}]`,
	}
	probe := `(function (s) {
		try {
			const v = JSON.parse(s);
			const kinds = JSON.stringify(v, function (k, x) { return x; });
			return 'ok ' + typeof v + ' ' + Array.isArray(v) + ' ' + (Object.is(v, -0) ? '-0 ' : '') + kinds +
				(v && typeof v === 'object' ? ' keys=' + Object.keys(v).join(',') + ' proto=' + (Object.getPrototypeOf(v) === (Array.isArray(v) ? Array.prototype : Object.prototype)) : '');
		} catch (e) { return 'err ' + e.name + ': ' + e.message; }
	})`
	refFn, _ := goja.AssertFunction(must(ref.RunString(probe)))
	ourFn, _ := goja.AssertFunction(must(rt.RunString(probe)))
	for _, in := range inputs {
		want, err1 := refFn(goja.Undefined(), ref.ToValue(in))
		got, err2 := ourFn(goja.Undefined(), rt.ToValue(in))
		if err1 != nil || err2 != nil {
			t.Fatalf("%q: %v %v", in, err1, err2)
		}
		if want.String() != got.String() {
			t.Errorf("JSON.parse(%q):\n got %s\nwant %s", trunc(in), got, want)
		}
	}
}

func TestReviverAndNonStrings(t *testing.T) {
	rt, _ := newRT(t)
	v, err := rt.RunString(`
		let calls = 0;
		const o = { toString() { calls++; return '[1,2'; } };
		let e1 = ''; try { JSON.parse(o); } catch (e) { e1 = e.name; }
		[JSON.parse('{"a":1,"b":2}', (k, v) => typeof v === 'number' ? v * 10 : v).b, calls, e1,
		 JSON.parse(12), JSON.parse(null), JSON.parse.name, JSON.parse.length, JSON.parse('{"x":"y"}').x].join(' ')`)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := v.String(), "20 1 SyntaxError 12  parse 2 y"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestObjectPrototypeSettersAreNotCalled(t *testing.T) {
	rt, _ := newRT(t)
	v, err := rt.RunString(`
		let called = 0;
		Object.defineProperty(Object.prototype, 'id', { set(v) { called++; }, get() { return 'proto'; }, configurable: true });
		Object.defineProperty(Object.prototype, 'ro', { value: 1, writable: false, configurable: true });
		const o = JSON.parse('{"id":7,"ro":2,"x":3,"__proto__":4}');
		const own = Object.getOwnPropertyNames(o).join(',');
		Object = null; // the global, not the intrinsic, is gone
		const p = JSON.parse('{"id":8}');
		[o.id, o.ro, o.x, o.__proto__, own, called, p.id].join(' ')`)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := v.String(), "7 2 3 4 id,ro,x,__proto__ 0 8"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestObjectsAreFreshAndWritable(t *testing.T) {
	rt, _ := newRT(t)
	v, err := rt.RunString(`
		const a = JSON.parse('[{"id":1,"tags":["x"]}]'), b = JSON.parse('[{"id":1,"tags":["x"]}]');
		a[0].id = 5; a[0].tags.push('y'); a.push(1); delete a[0].tags;
		[a[0].id, a.length, b[0].id, b[0].tags.length, 'tags' in a[0], Object.isFrozen(a)].join(' ')`)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := v.String(), "5 2 1 1 false false"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestParseOrBuiltinError(t *testing.T) {
	_, p := newRT(t)
	if _, err := p.ParseOrBuiltin(`{"a":`); err == nil || !strings.Contains(err.Error(), "SyntaxError") {
		t.Errorf("expected the builtin's SyntaxError, got %v", err)
	}
	v, err := p.ParseOrBuiltin(`{"a":[1]}`)
	if err != nil || v.ToObject(nil) == nil {
		t.Fatalf("%v %v", v, err)
	}
}

func must(v goja.Value, err error) goja.Value {
	if err != nil {
		panic(err)
	}
	return v
}

func trunc(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}

func list(n int) string {
	var b strings.Builder
	b.WriteByte('[')
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":%d,"title":"gameday k6-%d-%d-fake","content":"written by swarm-gameday load (api-write/smoke)","status":"TODO","created":"2026-01-01T12:00:00Z","updated":"2026-01-01T12:00:00Z"}`, i, i, i)
	}
	b.WriteByte(']')
	return b.String()
}

func benchParse(b *testing.B, fast bool) {
	rt := goja.New()
	if fast {
		if _, err := Install(rt); err != nil {
			b.Fatal(err)
		}
	}
	parse, _ := goja.AssertFunction(rt.Get("JSON").ToObject(rt).Get("parse"))
	arg := rt.ToValue(list(100))
	b.SetBytes(int64(len(arg.String())))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parse(goja.Undefined(), arg); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBuiltin100(b *testing.B) { benchParse(b, false) }
func BenchmarkFast100(b *testing.B)    { benchParse(b, true) }
