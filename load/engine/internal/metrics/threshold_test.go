package metrics

import (
	"strings"
	"testing"
	"time"
)

func TestParseExpressionValid(t *testing.T) {
	cases := []struct {
		src, agg, op string
		v            float64
	}{
		{"p(95)<300", "p(95)", "<", 300},
		{"  p( 99.9 ) <= 1.5 ", "p(99.9)", "<=", 1.5},
		{"p(95.0)<300", "p(95)", "<", 300},
		{"avg>=0", "avg", ">=", 0},
		{"med > -2", "med", ">", -2},
		{"rate<0.01", "rate", "<", 0.01},
		{"rate<.5", "rate", "<", 0.5},
		{"count===5", "count", "==", 5},
		{"count==5", "count", "==", 5},
		{"value!=3", "value", "!=", 3},
		{"max<1e3", "max", "<", 1000},
		{"min>1.", "min", ">", 1},
		{"p(0)>=0", "p(0)", ">=", 0},
		{"p(100)<9", "p(100)", "<", 9},
	}
	for _, c := range cases {
		th, err := parseExpression(c.src)
		if err != nil {
			t.Errorf("%q: %v", c.src, err)
			continue
		}
		if th.Aggregation != c.agg || th.Op != c.op || th.Value != c.v || th.Source != c.src {
			t.Errorf("%q: %+v", c.src, th)
		}
	}
}

func TestParseExpressionInvalid(t *testing.T) {
	for _, src := range []string{"", "p95 << 3", "p(95)", "<300", "p(95)<", "p(95)<abc", "avg = 3", "p(101)<3",
		"foo<3", "p(-1)<3", "avg<3 ms", "AVG<3", "p(95)<300;", "avg<>3", "p()<3"} {
		if _, err := parseExpression(src); err == nil || !strings.Contains(err.Error(), `"<aggregation> <op> <number>"`) ||
			!strings.Contains(err.Error(), `got "`+src+`"`) {
			t.Errorf("%q: %v", src, err)
		}
	}
}

func TestParseThresholdsForms(t *testing.T) {
	raw := map[string]any{
		"http_req_duration":                    "p(95)<300",
		"http_req_failed":                      []any{"rate<0.01", map[string]any{"threshold": "rate<0.1", "abortOnFail": true, "delayAbortEval": "10s"}},
		"http_req_duration{endpoint:api-list}": []any{"p(99)<500", map[string]any{"threshold": "max<1000", "delayAbortEval": "1m30s"}},
		"checks":                               []string{"rate>0.9"},
		"iterations":                           []any{map[string]any{"threshold": "count>1", "delayAbortEval": "1.5m", "unknown": 1}},
		"vus":                                  []any{map[string]any{"threshold": "value<5", "delayAbortEval": "500ms"}},
	}
	got, err := ParseThresholds(raw)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 6 || len(got["http_req_failed"]) != 2 || got["http_req_duration"][0].Aggregation != "p(95)" {
		t.Fatalf("%v", got)
	}
	f := got["http_req_failed"][1]
	if !f.AbortOnFail || f.DelayAbortEval != 10*time.Second || f.Source != "rate<0.1" {
		t.Fatalf("%+v", f)
	}
	if d := got["http_req_duration{endpoint:api-list}"][1].DelayAbortEval; d != 90*time.Second {
		t.Fatal(d)
	}
	if d := got["iterations"][0].DelayAbortEval; d != 90*time.Second {
		t.Fatal(d)
	}
	if d := got["vus"][0].DelayAbortEval; d != 500*time.Millisecond {
		t.Fatal(d)
	}
	if got["checks"][0].AbortOnFail {
		t.Fatal("abortOnFail default")
	}
}

func TestParseThresholdsErrors(t *testing.T) {
	cases := []struct {
		raw  map[string]any
		want []string
	}{
		{map[string]any{"http_req_duration{endpoint:api-list}": []any{"p(95)<300", "p95 << 3"}},
			[]string{`thresholds["http_req_duration{endpoint:api-list}"][1]: expected "<aggregation> <op> <number>" like "p(95)<300", got "p95 << 3"`}},
		{map[string]any{"x": "nope"}, []string{`thresholds["x"]: expected`, `got "nope"`}},
		{map[string]any{"x": 5.0}, []string{`thresholds["x"]: expected a string or an array`, "got number 5"}},
		{map[string]any{"x": []any{true}}, []string{`thresholds["x"][0]: expected a string or a {threshold`, "got boolean true"}},
		{map[string]any{"x": []any{map[string]any{"abortOnFail": true}}}, []string{`thresholds["x"][0]: expected "threshold" to be a string`, "got null"}},
		{map[string]any{"x": []any{map[string]any{"threshold": "avg<1", "abortOnFail": "yes"}}}, []string{`[0]: expected "abortOnFail" to be a boolean, got string "yes"`}},
		{map[string]any{"x": []any{map[string]any{"threshold": "avg<1", "delayAbortEval": "soon"}}}, []string{`expected "delayAbortEval" to be a duration`, `got "soon"`}},
		{map[string]any{"x": []any{map[string]any{"threshold": "avg<1", "delayAbortEval": "-5s"}}}, []string{`non-negative`}},
		{map[string]any{"x": []any{map[string]any{"threshold": "avg<<1"}}}, []string{`thresholds["x"][0]: expected "<aggregation>`, `got "avg<<1"`}},
		{map[string]any{"bad-name": "avg<1"}, []string{`thresholds["bad-name"]: expected "metric" or "metric{tag:value,...}", got "bad-name"`}},
		{map[string]any{"m{a}": "avg<1"}, []string{`thresholds["m{a}"]`, `"a" is not tag:value`}},
	}
	for _, c := range cases {
		_, err := ParseThresholds(c.raw)
		if err == nil {
			t.Errorf("%v: no error", c.raw)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%v:\n got %v\nwant %s", c.raw, err, w)
			}
		}
	}
}

func TestDelayAbortEvalNumber(t *testing.T) {
	got, err := ParseThresholds(map[string]any{"x": []any{map[string]any{"threshold": "avg<1", "delayAbortEval": 2500.0}}})
	if err != nil || got["x"][0].DelayAbortEval != 2500*time.Millisecond {
		t.Fatal(err, got)
	}
}

func TestThresholdCheck(t *testing.T) {
	cases := []struct {
		src  string
		v    float64
		want bool
	}{
		{"p(95)<300", 299, true}, {"p(95)<300", 300, false},
		{"avg<=3", 3, true}, {"avg<=3", 3.1, false},
		{"max>1", 1.5, true}, {"max>1", 1, false},
		{"min>=1", 1, true}, {"min>=1", 0.9, false},
		{"count==2", 2, true}, {"count===2", 3, false},
		{"value!=0", 1, true}, {"value!=0", 0, false},
	}
	for _, c := range cases {
		th, err := parseExpression(c.src)
		if err != nil {
			t.Fatal(err)
		}
		ok, err := th.Check(map[string]float64{th.Aggregation: c.v})
		if err != nil || ok != c.want {
			t.Errorf("%s with %v: %v %v", c.src, c.v, ok, err)
		}
	}
	th, _ := parseExpression("p(99)<1")
	if _, err := th.Check(map[string]float64{"p(95)": 0}); err == nil || !strings.Contains(err.Error(), `"p(99)"`) {
		t.Fatal(err)
	}
}

func TestAggregationFits(t *testing.T) {
	ok := map[Type][]string{Counter: {"count", "rate"}, Gauge: {"value"}, Rate: {"rate"}, Trend: {"avg", "min", "max", "med", "p(95)", "p(99.9)"}}
	bad := map[Type][]string{Counter: {"value", "avg", "p(95)"}, Gauge: {"rate", "count"}, Rate: {"count", "avg"}, Trend: {"rate", "count", "value"}}
	for ty, list := range ok {
		for _, a := range list {
			if !aggregationFits(a, ty) {
				t.Errorf("%s %s should fit", ty, a)
			}
		}
	}
	for ty, list := range bad {
		for _, a := range list {
			if aggregationFits(a, ty) {
				t.Errorf("%s %s should not fit", ty, a)
			}
		}
	}
}
