// Package fastjson is a JSON.parse for goja runtimes that builds the JavaScript values directly
// from the text, instead of through encoding/json's Token API as goja's builtin does (which
// allocates several interface values per token and was two thirds of the CPU of the bundled
// api-read scenario on a 100-item list). Results are the builtin's: the same values and
// property order (duplicate keys: the last value, at the first position), "__proto__" as an own
// property, -0, numbers via strconv.ParseFloat, strings with escapes or invalid UTF-8 decoded
// by encoding/json itself. Anything this parser does not accept (invalid JSON, nesting deeper
// than MaxDepth) is handed to the builtin, so errors and their messages are exactly goja's; so
// is any call with a reviver.
package fastjson

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/dop251/goja"
)

// MaxDepth is the deepest nesting parsed here (encoding/json's limit is 10000; deeper input goes
// to the builtin, which reports it).
const MaxDepth = 1000

// maxKeys bounds the per-runtime cache of object keys (so a script parsing objects with
// ever-new keys cannot grow it without bound).
const maxKeys = 4096

// Parser parses for one runtime; not safe for concurrent use (a runtime is single-threaded).
type Parser struct {
	rt      *goja.Runtime
	builtin goja.Callable
	keys    map[string]string
	// the intrinsic Object.prototype (not whatever the global Object is now)
	objectProto *goja.Object
	stack       []any // scratch for array elements, shared by nested arrays
}

// Install replaces rt's JSON.parse with the fast one (falling back to the builtin as described in
// the package doc) and returns the Parser for Go callers (e.g. Response.json()).
func Install(rt *goja.Runtime) (*Parser, error) {
	j := rt.Get("JSON").ToObject(rt)
	builtin, ok := goja.AssertFunction(j.Get("parse"))
	if !ok {
		return nil, errNoParse
	}
	p := &Parser{rt: rt, builtin: builtin, keys: map[string]string{}, objectProto: rt.NewObject().Prototype()}
	if p.objectProto == nil {
		return nil, errNoParse
	}
	fn := rt.ToValue(func(c goja.FunctionCall) goja.Value {
		if len(c.Arguments) > 1 && !goja.IsUndefined(c.Arguments[1]) {
			return p.callBuiltin(c.Arguments)
		}
		// only string arguments: converting anything else may run script code (toString), which
		// must then happen once, in the builtin
		if a := c.Argument(0); a.ExportType() == typeString {
			if v, ok := p.Parse(a.String()); ok {
				return v
			}
		}
		return p.callBuiltin(c.Arguments)
	}).ToObject(rt)
	// keep the builtin's name and arity (JSON.parse.name === "parse", .length === 2)
	_ = fn.DefineDataProperty("name", rt.ToValue("parse"), goja.FLAG_FALSE, goja.FLAG_TRUE, goja.FLAG_FALSE)
	_ = fn.DefineDataProperty("length", rt.ToValue(2), goja.FLAG_FALSE, goja.FLAG_TRUE, goja.FLAG_FALSE)
	if err := j.DefineDataProperty("parse", fn, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE); err != nil {
		return nil, err
	}
	return p, nil
}

var typeString = reflect.TypeOf("")

type errString string

func (e errString) Error() string { return string(e) }

const errNoParse = errString("fastjson: the runtime has no JSON.parse")

func (p *Parser) callBuiltin(args []goja.Value) goja.Value {
	v, err := p.builtin(goja.Undefined(), args...)
	if err != nil {
		panic(err) // a *goja.Exception: rethrown as the builtin's own error
	}
	return v
}

// ParseOrBuiltin is JSON.parse(s) for Go callers: the value, or the builtin's error.
func (p *Parser) ParseOrBuiltin(s string) (goja.Value, error) {
	if v, ok := p.Parse(s); ok {
		return v, nil
	}
	return p.builtin(goja.Undefined(), p.rt.ToValue(s))
}

// Parse returns the value of the JSON text s, or ok=false if s is not valid JSON (or nests
// deeper than MaxDepth).
func (p *Parser) Parse(s string) (v goja.Value, ok bool) {
	d := decoder{p: p, s: s}
	d.skipWS()
	v, ok = d.value(0)
	if !ok {
		return nil, false
	}
	d.skipWS()
	if d.i != len(s) {
		return nil, false
	}
	return v, true
}

type decoder struct {
	p *Parser
	s string
	i int
}

func (d *decoder) skipWS() {
	for d.i < len(d.s) {
		switch d.s[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *decoder) value(depth int) (goja.Value, bool) {
	if d.i >= len(d.s) {
		return nil, false
	}
	switch c := d.s[d.i]; {
	case c == '{':
		return d.object(depth + 1)
	case c == '[':
		return d.array(depth + 1)
	case c == '"':
		s, ok := d.str()
		if !ok {
			return nil, false
		}
		return d.p.rt.ToValue(s), true
	case c == '-' || (c >= '0' && c <= '9'):
		return d.number()
	case c == 't':
		return d.lit("true", goja.Value(d.p.rt.ToValue(true)))
	case c == 'f':
		return d.lit("false", goja.Value(d.p.rt.ToValue(false)))
	case c == 'n':
		return d.lit("null", goja.Null())
	}
	return nil, false
}

func (d *decoder) lit(word string, v goja.Value) (goja.Value, bool) {
	if len(d.s)-d.i >= len(word) && d.s[d.i:d.i+len(word)] == word {
		d.i += len(word)
		return v, true
	}
	return nil, false
}

func (d *decoder) object(depth int) (goja.Value, bool) {
	if depth > MaxDepth {
		return nil, false
	}
	rt := d.p.rt
	d.i++ // {
	d.skipWS()
	if d.i < len(d.s) && d.s[d.i] == '}' {
		d.i++
		return rt.NewObject(), true
	}
	// Built without a prototype, so each Set defines an own data property (CreateDataProperty, as
	// JSON.parse does: never a setter, not even __proto__'s) without looking up the key on
	// Object.prototype first; the prototype is attached once the object is complete. No script
	// code runs during a parse, so nobody sees the object before that.
	obj := rt.CreateObject(nil)
	for {
		if d.i >= len(d.s) || d.s[d.i] != '"' {
			return nil, false
		}
		key, ok := d.key()
		if !ok {
			return nil, false
		}
		d.skipWS()
		if d.i >= len(d.s) || d.s[d.i] != ':' {
			return nil, false
		}
		d.i++
		d.skipWS()
		v, ok := d.value(depth)
		if !ok {
			return nil, false
		}
		if err := obj.Set(key, v); err != nil {
			return nil, false
		}
		d.skipWS()
		if d.i >= len(d.s) {
			return nil, false
		}
		switch d.s[d.i] {
		case ',':
			d.i++
			d.skipWS()
		case '}':
			d.i++
			if obj.SetPrototype(d.p.objectProto) != nil {
				return nil, false
			}
			return obj, true
		default:
			return nil, false
		}
	}
}

func (d *decoder) array(depth int) (goja.Value, bool) {
	if depth > MaxDepth {
		return nil, false
	}
	d.i++ // [
	d.skipWS()
	if d.i < len(d.s) && d.s[d.i] == ']' {
		d.i++
		return d.p.rt.NewArray(), true
	}
	base := len(d.p.stack)
	defer func() { d.p.stack = d.p.stack[:base] }()
	for {
		v, ok := d.value(depth)
		if !ok {
			return nil, false
		}
		d.p.stack = append(d.p.stack, v)
		d.skipWS()
		if d.i >= len(d.s) {
			return nil, false
		}
		switch d.s[d.i] {
		case ',':
			d.i++
			d.skipWS()
		case ']':
			d.i++
			arr := d.p.rt.NewArray(d.p.stack[base:]...) // copies the elements
			clear(d.p.stack[base:])
			return arr, true
		default:
			return nil, false
		}
	}
}

// key is an object key, from the per-runtime cache when it has been seen before.
func (d *decoder) key() (string, bool) {
	start := d.i
	s, ok := d.str()
	if !ok {
		return "", false
	}
	raw := d.s[start:d.i]
	if k, hit := d.p.keys[raw]; hit {
		return k, true
	}
	if len(d.p.keys) < maxKeys && len(raw) <= 64 {
		d.p.keys[strings.Clone(raw)] = strings.Clone(s)
	}
	return s, true
}

// str reads a string literal at d.i (the opening quote). Plain ASCII strings are copied out of
// the text (so a kept value does not pin the whole text); others are decoded by encoding/json.
func (d *decoder) str() (string, bool) {
	start := d.i
	d.i++
	plain := true
	for d.i < len(d.s) {
		c := d.s[d.i]
		switch {
		case c == '"':
			d.i++
			if plain {
				return strings.Clone(d.s[start+1 : d.i-1]), true
			}
			return decodeString(d.s[start:d.i])
		case c == '\\':
			plain = false
			d.i += 2 // the escaped byte cannot end the string
			continue
		case c < 0x20:
			return "", false
		case c >= utf8.RuneSelf:
			plain = false
		}
		d.i++
	}
	return "", false
}

func decodeString(quoted string) (string, bool) {
	var s string
	if err := json.Unmarshal([]byte(quoted), &s); err != nil {
		return "", false
	}
	return s, true
}

func (d *decoder) number() (goja.Value, bool) {
	start := d.i
	neg := false
	if d.s[d.i] == '-' {
		neg = true
		d.i++
	}
	if d.i >= len(d.s) {
		return nil, false
	}
	switch c := d.s[d.i]; {
	case c == '0':
		d.i++
	case c >= '1' && c <= '9':
		for d.i < len(d.s) && d.s[d.i] >= '0' && d.s[d.i] <= '9' {
			d.i++
		}
	default:
		return nil, false
	}
	intEnd := d.i
	isInt := true
	if d.i < len(d.s) && d.s[d.i] == '.' {
		isInt = false
		d.i++
		if !d.digits() {
			return nil, false
		}
	}
	if d.i < len(d.s) && (d.s[d.i] == 'e' || d.s[d.i] == 'E') {
		isInt = false
		d.i++
		if d.i < len(d.s) && (d.s[d.i] == '+' || d.s[d.i] == '-') {
			d.i++
		}
		if !d.digits() {
			return nil, false
		}
	}
	lit := d.s[start:d.i]
	if digits := intEnd - start; isInt && digits <= 15 && !(neg && lit == "-0") {
		var n int64
		for _, c := range []byte(lit) {
			if c != '-' {
				n = n*10 + int64(c-'0')
			}
		}
		if neg {
			n = -n
		}
		return d.p.rt.ToValue(n), true // exact: the builtin's float64 of it is this integer
	}
	f, err := strconv.ParseFloat(lit, 64)
	if err != nil {
		// out of range (1e400): encoding/json refuses it too, the builtin reports it
		return nil, false
	}
	return d.p.rt.ToValue(f), true
}

func (d *decoder) digits() bool {
	start := d.i
	for d.i < len(d.s) && d.s[d.i] >= '0' && d.s[d.i] <= '9' {
		d.i++
	}
	return d.i > start
}
