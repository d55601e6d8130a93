package sched

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func parseJSON(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestParseScenariosDefaults(t *testing.T) {
	scs, err := ParseScenarios(parseJSON(t, `{
		"a_car": {"executor": "constant-arrival-rate", "rate": 10, "duration": "1m", "preAllocatedVUs": 5},
		"b-rar": {"executor": "ramping-arrival-rate", "preAllocatedVUs": 2, "maxVUs": 8, "timeUnit": "1m",
		          "stages": [{"duration": "10s", "target": 20}, {"duration": 5000, "target": 0}]},
		"c": {"executor": "constant-vus", "duration": "30s", "startTime": "10s", "exec": "api", "env": {"A": "1"}, "tags": {"t": "x"}},
		"d": {"executor": "ramping-vus", "stages": [{"duration": "1s", "target": 3}]},
		"e": {"executor": "per-vu-iterations"},
		"f": {"executor": "shared-iterations", "vus": 2, "iterations": 10, "maxDuration": "1m", "gracefulStop": "0s",
		      "options": {"browser": {"type": "chromium"}}}
	}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(scs) != 6 {
		t.Fatalf("got %d scenarios", len(scs))
	}
	by := map[string]Scenario{}
	for _, s := range scs {
		by[s.Name] = s
	}
	car := by["a_car"]
	if car.TimeUnit != time.Second || car.MaxVUs != 5 || car.GracefulStop != 30*time.Second || car.Exec != "default" || car.StartTime != 0 || car.Duration != time.Minute {
		t.Errorf("constant-arrival-rate defaults: %+v", car)
	}
	rar := by["b-rar"]
	if rar.StartRate != 0 || rar.TimeUnit != time.Minute || rar.MaxVUs != 8 || len(rar.Stages) != 2 || rar.Stages[1] != (Stage{5 * time.Second, 0}) {
		t.Errorf("ramping-arrival-rate: %+v", rar)
	}
	c := by["c"]
	if c.VUs != 1 || c.StartTime != 10*time.Second || c.Exec != "api" || c.Env["A"] != "1" || c.Tags["t"] != "x" {
		t.Errorf("constant-vus: %+v", c)
	}
	d := by["d"]
	if d.StartVUs != 1 || d.GracefulRampDown != 30*time.Second {
		t.Errorf("ramping-vus defaults: %+v", d)
	}
	e := by["e"]
	if e.VUs != 1 || e.Iterations != 1 || e.MaxDuration != 10*time.Minute {
		t.Errorf("per-vu-iterations defaults: %+v", e)
	}
	f := by["f"]
	if f.VUs != 2 || f.Iterations != 10 || f.MaxDuration != time.Minute || f.GracefulStop != 0 || f.Options["browser"] == nil {
		t.Errorf("shared-iterations: %+v", f)
	}
}

func TestParseScenariosErrors(t *testing.T) {
	cases := []struct {
		json string
		want []string // substrings of the error
	}{
		{`{"x": {"executor": "nope"}}`, []string{"scenarios.x.executor", "expected one of", "nope"}},
		{`{"x": {"vus": 1}}`, []string{"scenarios.x.executor", "got nothing"}},
		{`{"x": {"executor": "externally-controlled"}}`, []string{"scenarios.x.executor", "not supported"}},
		{`{"x": {"executor": "constant-vus", "duration": "1s", "rate": 3}}`, []string{"scenarios.x.rate", "unknown key"}},
		{`{"x": {"executor": "constant-vus"}}`, []string{"scenarios.x.duration", "got nothing"}},
		{`{"x": {"executor": "constant-arrival-rate", "duration": "1s", "preAllocatedVUs": 1}}`, []string{"scenarios.x.rate"}},
		{`{"x": {"executor": "constant-arrival-rate", "rate": 1, "preAllocatedVUs": 1}}`, []string{"scenarios.x.duration"}},
		{`{"x": {"executor": "constant-arrival-rate", "rate": 1, "duration": "1s"}}`, []string{"scenarios.x.preAllocatedVUs"}},
		{`{"x": {"executor": "ramping-arrival-rate", "preAllocatedVUs": 1}}`, []string{"scenarios.x.stages"}},
		{`{"x": {"executor": "ramping-vus"}}`, []string{"scenarios.x.stages"}},
		{`{"x": {"executor": "constant-arrival-rate", "rate": 1, "duration": "1s", "preAllocatedVUs": 5, "maxVUs": 2}}`,
			[]string{"scenarios.x.maxVUs", "at least preAllocatedVUs (5)", "got 2"}},
		{`{"x": {"executor": "per-vu-iterations", "vus": -1}}`, []string{"scenarios.x.vus", "non-negative", "-1"}},
		{`{"x": {"executor": "per-vu-iterations", "vus": 1.5}}`, []string{"scenarios.x.vus", "integer", "1.5"}},
		{`{"x": {"executor": "constant-vus", "duration": "10 seconds"}}`, []string{"scenarios.x.duration", "expected"}},
		{`{"x": {"executor": "constant-vus", "duration": "1s", "gracefulStop": "-1s"}}`, []string{"scenarios.x.gracefulStop", "non-negative"}},
		{`{"x": {"executor": "ramping-vus", "stages": [{"duration": "1s", "target": 1, "foo": 1}]}}`, []string{"scenarios.x.stages[0].foo"}},
		{`{"x": {"executor": "ramping-vus", "stages": [{"target": 1}]}}`, []string{"scenarios.x.stages[0].duration"}},
		{`{"x": {"executor": "ramping-vus", "startVUs": 0, "stages": [{"duration": "1s", "target": 0}]}}`, []string{"scenarios.x.stages"}},
		{`{"x": {"executor": "shared-iterations", "vus": 5, "iterations": 2}}`, []string{"scenarios.x.iterations", "vus (5)"}},
		{`{"bad name!": {"executor": "per-vu-iterations"}}`, []string{"scenarios.bad name!", "letters, digits"}},
		{`{"x": {"executor": "constant-vus", "duration": "1s", "env": {"A": 1}}}`, []string{"scenarios.x.env.A", "string"}},
		{`{"x": {"executor": "constant-vus", "duration": "1s", "exec": 3}}`, []string{"scenarios.x.exec"}},
		{`{"x": "constant-vus"}`, []string{"scenarios.x", "object"}},
	}
	for _, c := range cases {
		_, err := ParseScenarios(parseJSON(t, c.json))
		if err == nil {
			t.Errorf("%s: no error", c.json)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q lacks %q", c.json, err, w)
			}
		}
	}
	// every problem is reported, not only the first
	_, err := ParseScenarios(parseJSON(t, `{"a": {"executor": "x"}, "b": {"executor": "constant-vus"}}`))
	if err == nil || !strings.Contains(err.Error(), "scenarios.a.") || !strings.Contains(err.Error(), "scenarios.b.") {
		t.Errorf("want both scenarios named, got %v", err)
	}
}

func TestShortcutScenario(t *testing.T) {
	st := []Stage{{time.Second, 5}}
	cases := []struct {
		sc   Scenario
		exec string
	}{
		{ShortcutScenario(3, time.Minute, 0, st), RampingVUs},
		{ShortcutScenario(3, time.Minute, 10, nil), SharedIterations},
		{ShortcutScenario(3, time.Minute, 0, nil), ConstantVUs},
		{ShortcutScenario(0, 0, 0, nil), PerVUIterations},
	}
	for _, c := range cases {
		if c.sc.Executor != c.exec || c.sc.Name != "default" || c.sc.Exec != "default" || c.sc.GracefulStop != 30*time.Second {
			t.Errorf("got %+v, want %s", c.sc, c.exec)
		}
	}
	if s := cases[0].sc; s.StartVUs != 3 || s.GracefulRampDown != 30*time.Second || len(s.Stages) != 1 {
		t.Errorf("stages shortcut: %+v", s)
	}
	if s := cases[1].sc; s.VUs != 3 || s.Iterations != 10 || s.MaxDuration != time.Minute {
		t.Errorf("iterations shortcut: %+v", s)
	}
	if s := ShortcutScenario(0, 0, 10, nil); s.MaxDuration != 10*time.Minute || s.VUs != 1 {
		t.Errorf("iterations without duration: %+v", s)
	}
	if s := cases[3].sc; s.VUs != 1 || s.Iterations != 1 {
		t.Errorf("nothing: %+v", s)
	}
}
