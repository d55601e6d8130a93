package metrics

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Threshold is one expression of options.thresholds: "<aggregation> <op> <number>".
type Threshold struct {
	Source         string // the expression as the user wrote it (summary keys use it)
	AbortOnFail    bool
	DelayAbortEval time.Duration
	Aggregation    string // canonical: "avg", "p(95)", "p(99.9)", ...
	Op             string // "<", "<=", ">", ">=", "==", "!=" ("===" is stored as "==")
	Value          float64
}

const exprHint = `"<aggregation> <op> <number>" like "p(95)<300"`

// thresholdRe splits an expression; operators longest-first so "<=" is not read as "<".
var thresholdRe = regexp.MustCompile(`^\s*([a-z]+(?:\s*\(\s*[0-9.]+\s*\))?)\s*(===|==|!=|<=|>=|<|>)\s*([-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?)\s*$`)

var percentileRe = regexp.MustCompile(`^p\s*\(\s*([0-9]+(?:\.[0-9]+)?)\s*\)$`)

// parsePercentile reads "p(N)", 0 <= N <= 100.
func parsePercentile(s string) (float64, bool) {
	m := percentileRe.FindStringSubmatch(s)
	if m == nil {
		return 0, false
	}
	p, err := strconv.ParseFloat(m[1], 64)
	if err != nil || p < 0 || p > 100 {
		return 0, false
	}
	return p, true
}

// aggregationsFor lists what a threshold may aggregate on each metric type (k6 docs).
func aggregationsFor(t Type) string {
	switch t {
	case Counter:
		return "count or rate"
	case Gauge:
		return "value"
	case Rate:
		return "rate"
	}
	return "avg, min, max, med or p(N)"
}

func aggregationFits(agg string, t Type) bool {
	switch t {
	case Counter:
		return agg == "count" || agg == "rate"
	case Gauge:
		return agg == "value"
	case Rate:
		return agg == "rate"
	}
	switch agg {
	case "avg", "min", "max", "med":
		return true
	}
	_, ok := parsePercentile(agg)
	return ok
}

// parseExpression parses the expression part; the error is the "expected ..., got ..." tail.
func parseExpression(src string) (*Threshold, error) {
	m := thresholdRe.FindStringSubmatch(src)
	if m == nil {
		return nil, fmt.Errorf("expected %s, got %q", exprHint, src)
	}
	agg := m[1]
	switch agg {
	case "count", "rate", "value", "avg", "min", "max", "med":
	default:
		p, ok := parsePercentile(agg)
		if !ok {
			return nil, fmt.Errorf("expected %s with aggregation count, rate, value, avg, min, max, med or p(N) (0<=N<=100), got %q", exprHint, src)
		}
		agg = "p(" + strconv.FormatFloat(p, 'f', -1, 64) + ")"
	}
	v, err := strconv.ParseFloat(m[3], 64)
	if err != nil || math.IsInf(v, 0) {
		return nil, fmt.Errorf("expected %s, got %q", exprHint, src)
	}
	op := m[2]
	if op == "===" {
		op = "=="
	}
	return &Threshold{Source: src, Aggregation: agg, Op: op, Value: v}, nil
}

// ParseThresholds reads options.thresholds (JSON-decoded). Each value is a string, or an array
// of strings and {threshold, abortOnFail, delayAbortEval} objects. Errors name the key and index.
// It checks syntax only; NewCollector checks metrics exist and aggregations fit their types.
func ParseThresholds(raw map[string]any) (map[string][]*Threshold, error) {
	out := make(map[string][]*Threshold, len(raw))
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys) // deterministic first error
	for _, key := range keys {
		where := fmt.Sprintf("thresholds[%q]", key)
		if _, _, err := ParseSubmetricKey(key); err != nil {
			return nil, fmt.Errorf("%s: %v", where, err)
		}
		var items []any
		indexed := true
		switch v := raw[key].(type) {
		case []any:
			items = v
		case []string:
			for _, s := range v {
				items = append(items, s)
			}
		case string, map[string]any:
			items, indexed = []any{v}, false
		default:
			return nil, fmt.Errorf("%s: expected a string or an array of strings and {threshold, abortOnFail, delayAbortEval} objects, got %s", where, describe(v))
		}
		list := make([]*Threshold, 0, len(items))
		for i, item := range items {
			at := where
			if indexed {
				at = fmt.Sprintf("%s[%d]", where, i)
			}
			t, err := parseThresholdItem(item)
			if err != nil {
				return nil, fmt.Errorf("%s: %v", at, err)
			}
			list = append(list, t)
		}
		out[key] = list
	}
	return out, nil
}

func parseThresholdItem(item any) (*Threshold, error) {
	switch v := item.(type) {
	case string:
		return parseExpression(v)
	case map[string]any:
		src, ok := v["threshold"].(string)
		if !ok {
			return nil, fmt.Errorf(`expected "threshold" to be a string expression like "p(95)<300", got %s`, describe(v["threshold"]))
		}
		t, err := parseExpression(src)
		if err != nil {
			return nil, err
		}
		// unknown keys are ignored, as k6 does
		switch a := v["abortOnFail"].(type) {
		case nil:
		case bool:
			t.AbortOnFail = a
		default:
			return nil, fmt.Errorf(`expected "abortOnFail" to be a boolean, got %s`, describe(a))
		}
		if d, ok := v["delayAbortEval"]; ok && d != nil {
			dur, err := parseDelay(d)
			if err != nil {
				return nil, err
			}
			t.DelayAbortEval = dur
		}
		return t, nil
	}
	return nil, fmt.Errorf("expected a string or a {threshold, abortOnFail, delayAbortEval} object, got %s", describe(item))
}

// parseDelay reads a k6 duration string ("10s", "500ms", "1m30s", "1.5m") or a number of ms.
func parseDelay(v any) (time.Duration, error) {
	var d time.Duration
	switch x := v.(type) {
	case string:
		s := strings.TrimSpace(x)
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			f, ferr := strconv.ParseFloat(s, 64)
			if ferr != nil {
				return 0, fmt.Errorf(`expected "delayAbortEval" to be a duration like "10s", "500ms" or "1m30s", got %q`, x)
			}
			d = time.Duration(f * float64(time.Millisecond))
		}
	case float64:
		d = time.Duration(x * float64(time.Millisecond))
	case int:
		d = time.Duration(x) * time.Millisecond
	case int64:
		d = time.Duration(x) * time.Millisecond
	default:
		return 0, fmt.Errorf(`expected "delayAbortEval" to be a duration like "10s", got %s`, describe(v))
	}
	if d < 0 {
		return 0, fmt.Errorf(`expected "delayAbortEval" to be a non-negative duration, got %v`, v)
	}
	return d, nil
}

// describe renders a JSON-ish value and its kind for error messages.
func describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return fmt.Sprintf("string %q", x)
	case bool:
		return fmt.Sprintf("boolean %v", x)
	case float64, int, int64:
		return fmt.Sprintf("number %v", x)
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// Check compares the aggregation's value (from values, keyed by Aggregation) with the threshold.
func (t *Threshold) Check(values map[string]float64) (bool, error) {
	v, ok := values[t.Aggregation]
	if !ok {
		return false, fmt.Errorf("threshold %q: no value for aggregation %q", t.Source, t.Aggregation)
	}
	switch t.Op {
	case "<":
		return v < t.Value, nil
	case "<=":
		return v <= t.Value, nil
	case ">":
		return v > t.Value, nil
	case ">=":
		return v >= t.Value, nil
	case "==", "===":
		return v == t.Value, nil
	case "!=":
		return v != t.Value, nil
	}
	return false, fmt.Errorf("threshold %q: unknown operator %q", t.Source, t.Op)
}
