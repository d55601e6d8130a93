package sched

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"sort"
	"time"
)

// Executor names (k6 spelling).
const (
	ConstantArrivalRate = "constant-arrival-rate"
	RampingArrivalRate  = "ramping-arrival-rate"
	ConstantVUs         = "constant-vus"
	RampingVUs          = "ramping-vus"
	PerVUIterations     = "per-vu-iterations"
	SharedIterations    = "shared-iterations"
)

// k6 defaults.
const (
	DefaultGracefulStop     = 30 * time.Second
	DefaultGracefulRampDown = 30 * time.Second
	DefaultTimeUnit         = time.Second
	DefaultMaxDuration      = 10 * time.Minute
	DefaultExec             = "default"
)

// scenarioNameRE is k6's rule for scenario names.
var scenarioNameRE = regexp.MustCompile(`^[0-9A-Za-z_-]+$`)

var commonKeys = []string{"executor", "startTime", "gracefulStop", "exec", "env", "tags", "options"}

// executorKeys lists the keys each executor accepts besides commonKeys; any
// other key is an error (k6 rejects unknown keys too, which catches typos).
var executorKeys = map[string][]string{
	ConstantArrivalRate: {"rate", "timeUnit", "duration", "preAllocatedVUs", "maxVUs"},
	RampingArrivalRate:  {"startRate", "timeUnit", "stages", "preAllocatedVUs", "maxVUs"},
	ConstantVUs:         {"vus", "duration"},
	RampingVUs:          {"startVUs", "stages", "gracefulRampDown"},
	PerVUIterations:     {"vus", "iterations", "maxDuration"},
	SharedIterations:    {"vus", "iterations", "maxDuration"},
}

// ParseScenarios turns options.scenarios (as decoded from JSON or exported
// from JS) into resolved Scenarios, sorted by name so that results do not
// depend on map order. All problems are reported at once (errors.Join), each
// naming scenarios.<name>.<field>, what was expected and what was got.
func ParseScenarios(raw map[string]any) ([]Scenario, error) {
	names := make([]string, 0, len(raw))
	for n := range raw {
		names = append(names, n)
	}
	sort.Strings(names)
	var errs []error
	out := make([]Scenario, 0, len(raw))
	for _, name := range names {
		sc, e := parseScenario(name, raw[name])
		if len(e) > 0 {
			errs = append(errs, e...)
			continue
		}
		out = append(out, sc)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// fieldParser accumulates errors for one scenario.
type fieldParser struct {
	name string
	m    map[string]any
	errs []error
}

func (p *fieldParser) errf(field, format string, a ...any) {
	p.errs = append(p.errs, fmt.Errorf("scenarios.%s.%s: "+format, append([]any{p.name, field}, a...)...))
}

func (p *fieldParser) has(k string) bool { _, ok := p.m[k]; return ok && p.m[k] != nil }

func (p *fieldParser) duration(k string, def time.Duration) time.Duration {
	if !p.has(k) {
		return def
	}
	d, err := ParseDuration(p.m[k])
	if err != nil {
		p.errf(k, "%v", err)
		return def
	}
	return d
}

func (p *fieldParser) int(k string, def int64) int64 {
	if !p.has(k) {
		return def
	}
	n, err := toInt(p.m[k])
	if err != nil {
		p.errf(k, "%v", err)
		return def
	}
	if n < 0 {
		p.errf(k, "expected a non-negative integer, got %d", n)
		return def
	}
	return n
}

func (p *fieldParser) require(k, what string) bool {
	if !p.has(k) {
		p.errf(k, "expected %s (required by executor %s), got nothing", what, p.m["executor"])
		return false
	}
	return true
}

func (p *fieldParser) stringMap(k string) map[string]string {
	if !p.has(k) {
		return nil
	}
	raw, ok := p.m[k].(map[string]any)
	if !ok {
		p.errf(k, "expected an object of strings, got %s", describe(p.m[k]))
		return nil
	}
	out := make(map[string]string, len(raw))
	for kk, v := range raw {
		s, ok := v.(string)
		if !ok {
			p.errf(k+"."+kk, "expected a string, got %s", describe(v))
			continue
		}
		out[kk] = s
	}
	return out
}

func (p *fieldParser) stages(k string) []Stage {
	raw, ok := p.m[k].([]any)
	if !ok {
		p.errf(k, "expected an array of {duration, target}, got %s", describe(p.m[k]))
		return nil
	}
	if len(raw) == 0 {
		p.errf(k, "expected at least one stage, got an empty array")
		return nil
	}
	out := make([]Stage, 0, len(raw))
	for i, r := range raw {
		f := fmt.Sprintf("%s[%d]", k, i)
		sm, ok := r.(map[string]any)
		if !ok {
			p.errf(f, "expected an object {duration, target}, got %s", describe(r))
			continue
		}
		for kk := range sm {
			if kk != "duration" && kk != "target" {
				p.errf(f+"."+kk, "expected one of duration, target, got unknown key %q", kk)
			}
		}
		var st Stage
		if d, ok := sm["duration"]; !ok || d == nil {
			p.errf(f+".duration", "expected a duration, got nothing")
		} else if dd, err := ParseDuration(d); err != nil {
			p.errf(f+".duration", "%v", err)
		} else {
			st.Duration = dd
		}
		if t, ok := sm["target"]; ok && t != nil {
			n, err := toInt(t)
			if err != nil {
				p.errf(f+".target", "%v", err)
			} else if n < 0 {
				p.errf(f+".target", "expected a non-negative integer, got %d", n)
			} else {
				st.Target = n
			}
		} else {
			p.errf(f+".target", "expected an integer, got nothing")
		}
		out = append(out, st)
	}
	return out
}

func parseScenario(name string, v any) (Scenario, []error) {
	p := &fieldParser{name: name}
	if !scenarioNameRE.MatchString(name) {
		p.errs = append(p.errs, fmt.Errorf("scenarios.%s: expected a name of letters, digits, '_' and '-', got %q", name, name))
	}
	m, ok := v.(map[string]any)
	if !ok {
		p.errs = append(p.errs, fmt.Errorf("scenarios.%s: expected an object, got %s", name, describe(v)))
		return Scenario{}, p.errs
	}
	p.m = m
	ex, _ := m["executor"].(string)
	keys, known := executorKeys[ex]
	switch {
	case !p.has("executor"):
		p.errf("executor", "expected one of %s, got nothing", executorList())
		return Scenario{}, p.errs
	case ex == "externally-controlled":
		p.errf("executor", "expected one of %s, got %q (not supported by gameday-engine)", executorList(), ex)
		return Scenario{}, p.errs
	case !known:
		p.errf("executor", "expected one of %s, got %s", executorList(), describe(m["executor"]))
		return Scenario{}, p.errs
	}
	allowed := map[string]bool{}
	for _, k := range append(append([]string{}, commonKeys...), keys...) {
		allowed[k] = true
	}
	unknown := []string{}
	for k := range m {
		if !allowed[k] {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	for _, k := range unknown {
		p.errf(k, "expected a key valid for %s (%v), got unknown key %q", ex, append(append([]string{}, commonKeys...), keys...), k)
	}

	sc := Scenario{Name: name, Executor: ex}
	sc.StartTime = p.duration("startTime", 0)
	sc.GracefulStop = p.duration("gracefulStop", DefaultGracefulStop)
	sc.Exec = DefaultExec
	if p.has("exec") {
		if s, ok := m["exec"].(string); ok && s != "" {
			sc.Exec = s
		} else {
			p.errf("exec", "expected the name of an exported function, got %s", describe(m["exec"]))
		}
	}
	sc.Env = p.stringMap("env")
	sc.Tags = p.stringMap("tags")
	if p.has("options") {
		if o, ok := m["options"].(map[string]any); ok {
			sc.Options = o
		} else {
			p.errf("options", "expected an object, got %s", describe(m["options"]))
		}
	}

	switch ex {
	case ConstantVUs:
		sc.VUs = p.int("vus", 1)
		if p.require("duration", "a duration") {
			sc.Duration = p.duration("duration", 0)
		}
		positive(p, "vus", sc.VUs, true)
		positiveDur(p, "duration", sc.Duration, p.has("duration"))
	case RampingVUs:
		sc.StartVUs = p.int("startVUs", 1)
		sc.GracefulRampDown = p.duration("gracefulRampDown", DefaultGracefulRampDown)
		if p.require("stages", "an array of stages") {
			sc.Stages = p.stages("stages")
		}
		if len(sc.Stages) > 0 && maxTarget(sc.StartVUs, sc.Stages) == 0 {
			p.errf("stages", "expected startVUs or some stage target to be above 0, got all 0")
		}
	case PerVUIterations, SharedIterations:
		sc.VUs = p.int("vus", 1)
		sc.Iterations = p.int("iterations", 1)
		sc.MaxDuration = p.duration("maxDuration", DefaultMaxDuration)
		positive(p, "vus", sc.VUs, true)
		positive(p, "iterations", sc.Iterations, true)
		positiveDur(p, "maxDuration", sc.MaxDuration, true)
		if ex == SharedIterations && sc.VUs > 0 && sc.Iterations > 0 && sc.Iterations < sc.VUs {
			p.errf("iterations", "expected at least as many iterations as vus (%d), got %d", sc.VUs, sc.Iterations)
		}
	case ConstantArrivalRate, RampingArrivalRate:
		sc.TimeUnit = p.duration("timeUnit", DefaultTimeUnit)
		positiveDur(p, "timeUnit", sc.TimeUnit, true)
		if ex == ConstantArrivalRate {
			if p.require("rate", "an integer") {
				sc.Rate = p.int("rate", 0)
				positive(p, "rate", sc.Rate, true)
			}
			if p.require("duration", "a duration") {
				sc.Duration = p.duration("duration", 0)
				positiveDur(p, "duration", sc.Duration, true)
			}
		} else {
			sc.StartRate = p.int("startRate", 0)
			if p.require("stages", "an array of stages") {
				sc.Stages = p.stages("stages")
			}
		}
		if p.require("preAllocatedVUs", "an integer") {
			sc.PreAllocatedVUs = p.int("preAllocatedVUs", 0)
		}
		sc.MaxVUs = sc.PreAllocatedVUs
		if p.has("maxVUs") {
			sc.MaxVUs = p.int("maxVUs", sc.PreAllocatedVUs)
			if sc.MaxVUs < sc.PreAllocatedVUs {
				p.errf("maxVUs", "expected at least preAllocatedVUs (%d), got %d", sc.PreAllocatedVUs, sc.MaxVUs)
			}
		}
		if sc.MaxVUs == 0 && len(p.errs) == 0 {
			p.errf("maxVUs", "expected at least 1 VU (preAllocatedVUs or maxVUs), got 0")
		}
	}
	return sc, p.errs
}

func positive(p *fieldParser, k string, v int64, check bool) {
	if check && v == 0 && p.has(k) {
		p.errf(k, "expected an integer above 0, got 0")
	}
}

func positiveDur(p *fieldParser, k string, d time.Duration, check bool) {
	if check && d == 0 && p.has(k) {
		p.errf(k, "expected a duration above 0, got %v", p.m[k])
	}
}

func executorList() string {
	return ConstantArrivalRate + ", " + RampingArrivalRate + ", " + ConstantVUs + ", " + RampingVUs + ", " + PerVUIterations + ", " + SharedIterations
}

func maxTarget(start int64, st []Stage) int64 {
	m := start
	for _, s := range st {
		m = max(m, s.Target)
	}
	return m
}

// toInt accepts the number types JSON decoding and goja export produce;
// fractions are refused rather than truncated silently.
func toInt(v any) (int64, error) {
	switch x := v.(type) {
	case int:
		return int64(x), nil
	case int64:
		return x, nil
	case int32:
		return int64(x), nil
	case uint64:
		if x > math.MaxInt64 {
			return 0, fmt.Errorf("expected an integer, got %d (too large)", x)
		}
		return int64(x), nil
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return n, nil
		}
		f, err := x.Float64()
		if err != nil {
			return 0, fmt.Errorf("expected an integer, got %q", x.String())
		}
		return toInt(f)
	case float64:
		if x != math.Trunc(x) || math.IsInf(x, 0) || math.IsNaN(x) || math.Abs(x) > 1<<62 {
			return 0, fmt.Errorf("expected an integer, got %v", x)
		}
		return int64(x), nil
	case float32:
		return toInt(float64(x))
	default:
		return 0, fmt.Errorf("expected an integer, got %s", describe(v))
	}
}

func describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return fmt.Sprintf("string %q", x)
	case bool:
		return fmt.Sprintf("boolean %v", x)
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	default:
		return fmt.Sprintf("%T %v", v, v)
	}
}

// ShortcutScenario builds the implicit "default" scenario from the top-level
// shortcut options, with k6's precedence: stages -> ramping-vus (startVUs =
// vus, default 1); iterations -> shared-iterations (maxDuration = duration if
// given); duration -> constant-vus; nothing -> per-vu-iterations with 1
// iteration per VU. vus <= 0 means "not set" (1).
func ShortcutScenario(vus int64, duration time.Duration, iterations int64, stages []Stage) Scenario {
	if vus <= 0 {
		vus = 1
	}
	sc := Scenario{Name: "default", Exec: DefaultExec, GracefulStop: DefaultGracefulStop}
	switch {
	case len(stages) > 0:
		sc.Executor = RampingVUs
		sc.StartVUs = vus
		sc.Stages = append([]Stage(nil), stages...)
		sc.GracefulRampDown = DefaultGracefulRampDown
	case iterations > 0:
		sc.Executor = SharedIterations
		sc.VUs = min(vus, iterations) // more VUs than iterations would idle
		sc.Iterations = iterations
		sc.MaxDuration = DefaultMaxDuration
		if duration > 0 {
			sc.MaxDuration = duration
		}
	case duration > 0:
		sc.Executor = ConstantVUs
		sc.VUs = vus
		sc.Duration = duration
	default:
		sc.Executor = PerVUIterations
		sc.VUs = vus
		sc.Iterations = 1
		sc.MaxDuration = DefaultMaxDuration
	}
	return sc
}
