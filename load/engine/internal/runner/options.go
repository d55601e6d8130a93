package runner

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"swarm-gameday/engine/internal/js/modules"
	"swarm-gameday/engine/internal/metrics"
	"swarm-gameday/engine/internal/sched"
)

// Version is the engine's version.
const Version = "0.1.0"

// DefaultUserAgent is options.userAgent when neither the script nor a flag sets it.
const DefaultUserAgent = "gameday-engine/" + Version

// allSystemTags are the system tags k6 knows; defaultSystemTags is all but vu, iter, ip, ocsp_status.
var (
	allSystemTags     = []string{"proto", "subproto", "status", "method", "url", "name", "group", "check", "error", "error_code", "tls_version", "scenario", "service", "expected_response", "vu", "iter", "ip", "ocsp_status"}
	defaultSystemTags = []string{"proto", "subproto", "status", "method", "url", "name", "group", "check", "error", "error_code", "tls_version", "scenario", "service", "expected_response"}
)

// ConfigError is an invalid configuration (exit code 104).
type ConfigError struct{ Msg string }

func (e *ConfigError) Error() string { return e.Msg }

func configErrorf(format string, args ...any) error {
	return &ConfigError{Msg: fmt.Sprintf(format, args...)}
}

// Options are the resolved test options.
type Options struct {
	// Raw is the script's options with the flags merged over them (JSON-decoded).
	Raw        map[string]any
	Scenarios  []sched.Scenario
	Shortcut   bool
	Thresholds map[string][]*metrics.Threshold
	// ThresholdsRaw is options.thresholds as written.
	ThresholdsRaw        map[string]any
	TrendStats           []string
	SummaryTimeUnit      string
	SystemTags           map[string]bool
	SystemTagsList       []string
	Tags                 map[string]string
	Segment              sched.Segment
	SegmentStr           string
	Sequence             []*big.Rat
	SequenceStr          string
	SetupTimeout         time.Duration
	TeardownTimeout      time.Duration
	MinIterationDuration time.Duration
	NoSetup, NoTeardown  bool
	Module               modules.Options
}

func describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return strconv.Quote(x)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		return fmt.Sprintf("boolean %v", x)
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	}
	return fmt.Sprintf("%v", v)
}

func optString(raw map[string]any, key string) (string, bool, error) {
	v, ok := raw[key]
	if !ok || v == nil {
		return "", false, nil
	}
	s, ok := v.(string)
	if !ok {
		return "", false, configErrorf("invalid option %s: expected a string, got %s", key, describe(v))
	}
	return s, true, nil
}

func optBool(raw map[string]any, key string) (bool, error) {
	v, ok := raw[key]
	if !ok || v == nil {
		return false, nil
	}
	b, ok := v.(bool)
	if !ok {
		return false, configErrorf("invalid option %s: expected a boolean, got %s", key, describe(v))
	}
	return b, nil
}

func optInt(raw map[string]any, key string) (int64, bool, error) {
	v, ok := raw[key]
	if !ok || v == nil {
		return 0, false, nil
	}
	f, ok := v.(float64)
	if !ok || f != math.Trunc(f) || f < 0 || f > math.MaxInt32 {
		return 0, false, configErrorf("invalid option %s: expected a non-negative integer, got %s", key, describe(v))
	}
	return int64(f), true, nil
}

func optDuration(raw map[string]any, key string) (time.Duration, bool, error) {
	v, ok := raw[key]
	if !ok || v == nil {
		return 0, false, nil
	}
	d, err := sched.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, false, configErrorf("invalid option %s: expected a duration like \"30s\", \"1m30s\" or a number of milliseconds, got %s", key, describe(v))
	}
	return d, true, nil
}

func optStringList(raw map[string]any, key string) ([]string, bool, error) {
	v, ok := raw[key]
	if !ok || v == nil {
		return nil, false, nil
	}
	arr, ok := v.([]any)
	if !ok {
		if s, isStr := v.(string); isStr {
			return splitList(s), true, nil
		}
		return nil, false, configErrorf("invalid option %s: expected an array of strings, got %s", key, describe(v))
	}
	out := make([]string, 0, len(arr))
	for i, e := range arr {
		s, ok := e.(string)
		if !ok {
			return nil, false, configErrorf("invalid option %s[%d]: expected a string, got %s", key, i, describe(e))
		}
		out = append(out, s)
	}
	return out, true, nil
}

func splitList(s string) []string {
	var out []string
	depth := 0
	start := 0
	for i, c := range s {
		switch c {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				if p := strings.TrimSpace(s[start:i]); p != "" {
					out = append(out, p)
				}
				start = i + 1
			}
		}
	}
	if p := strings.TrimSpace(s[start:]); p != "" {
		out = append(out, p)
	}
	return out
}

var trendStatRe = regexp.MustCompile(`^(avg|min|med|max|count|p\((\d+(\.\d+)?)\))$`)

func parseStages(key string, v any) ([]sched.Stage, error) {
	arr, ok := v.([]any)
	if !ok {
		return nil, configErrorf("invalid option %s: expected an array of {duration, target}, got %s", key, describe(v))
	}
	out := make([]sched.Stage, 0, len(arr))
	for i, e := range arr {
		m, ok := e.(map[string]any)
		if !ok {
			return nil, configErrorf("invalid option %s[%d]: expected an object {duration, target}, got %s", key, i, describe(e))
		}
		d, err := sched.ParseDuration(m["duration"])
		if err != nil || d < 0 {
			return nil, configErrorf("invalid option %s[%d].duration: expected a duration like \"30s\", got %s", key, i, describe(m["duration"]))
		}
		t, ok := m["target"].(float64)
		if !ok || t < 0 || t != math.Trunc(t) {
			return nil, configErrorf("invalid option %s[%d].target: expected a non-negative integer, got %s", key, i, describe(m["target"]))
		}
		out = append(out, sched.Stage{Duration: d, Target: int64(t)})
	}
	return out, nil
}

// parseStageFlag parses --stage "30s:10".
func parseStageFlag(s string) (map[string]any, error) {
	i := strings.LastIndex(s, ":")
	if i < 0 {
		return nil, configErrorf("invalid flag --stage %q: expected DURATION:TARGET like 30s:10", s)
	}
	d, err := sched.ParseDuration(s[:i])
	if err != nil {
		return nil, configErrorf("invalid flag --stage %q: expected DURATION:TARGET like 30s:10, got duration %q", s, s[:i])
	}
	t, err := strconv.ParseInt(s[i+1:], 10, 64)
	if err != nil || t < 0 {
		return nil, configErrorf("invalid flag --stage %q: expected DURATION:TARGET like 30s:10, got target %q", s, s[i+1:])
	}
	return map[string]any{"duration": d.String(), "target": float64(t)}, nil
}

// resolveOptions merges the flags over the script's options and validates everything.
func resolveOptions(script map[string]any, f *cliFlags) (*Options, error) {
	raw := map[string]any{}
	for k, v := range script {
		raw[k] = v
	}
	// --- flags over script options ---
	shortcutFlag := false
	if f.changed("vus") {
		raw["vus"] = float64(f.vus)
	}
	if f.changed("duration") {
		d, err := sched.ParseDuration(f.duration)
		if err != nil || d < 0 {
			return nil, configErrorf("invalid flag --duration: expected a duration like \"30s\" or \"1m30s\", got %q", f.duration)
		}
		raw["duration"] = d.String()
		shortcutFlag = true
	}
	if f.changed("iterations") {
		raw["iterations"] = float64(f.iterations)
		shortcutFlag = true
	}
	if f.changed("stage") {
		stages := make([]any, 0, len(f.stages))
		for _, s := range f.stages {
			st, err := parseStageFlag(s)
			if err != nil {
				return nil, err
			}
			stages = append(stages, st)
		}
		raw["stages"] = stages
		shortcutFlag = true
	}
	if shortcutFlag {
		if _, had := raw["scenarios"]; had {
			delete(raw, "scenarios")
		}
		// the command line's shortcut replaces the script's
		if !f.changed("stage") {
			delete(raw, "stages")
		}
		if f.changed("stage") || f.changed("iterations") {
			if !f.changed("duration") {
				delete(raw, "duration")
			}
		}
		if f.changed("stage") && !f.changed("iterations") {
			delete(raw, "iterations")
		}
	}
	if f.changed("tag") {
		tags := map[string]any{}
		if old, ok := raw["tags"].(map[string]any); ok {
			for k, v := range old {
				tags[k] = v
			}
		}
		for _, kv := range f.tags {
			k, v, ok := strings.Cut(kv, "=")
			if !ok || k == "" {
				return nil, configErrorf("invalid flag --tag %q: expected NAME=VALUE", kv)
			}
			tags[k] = v
		}
		raw["tags"] = tags
	}
	if f.changed("summary-trend-stats") {
		raw["summaryTrendStats"] = toAnyList(splitList(f.trendStats))
	}
	if f.changed("summary-time-unit") {
		raw["summaryTimeUnit"] = f.summaryTimeUnit
	}
	if f.changed("system-tags") {
		raw["systemTags"] = toAnyList(splitList(f.systemTags))
	}
	if f.changed("user-agent") {
		raw["userAgent"] = f.userAgent
	}
	if f.changed("execution-segment") {
		raw["executionSegment"] = f.segment
	}
	if f.changed("execution-segment-sequence") {
		raw["executionSegmentSequence"] = f.sequence
	}
	setBool := func(flag, key string, v bool) {
		if f.changed(flag) {
			raw[key] = v
		}
	}
	setBool("throw", "throw", f.throw)
	setBool("insecure-skip-tls-verify", "insecureSkipTLSVerify", f.insecure)
	setBool("no-connection-reuse", "noConnectionReuse", f.noConnReuse)
	setBool("no-vu-connection-reuse", "noVUConnectionReuse", f.noVUConnReuse)
	setBool("no-cookies-reset", "noCookiesReset", f.noCookiesReset)
	setBool("discard-response-bodies", "discardResponseBodies", f.discardBodies)
	setBool("no-setup", "noSetup", f.noSetup)
	setBool("no-teardown", "noTeardown", f.noTeardown)
	if f.changed("max-redirects") {
		raw["maxRedirects"] = float64(f.maxRedirects)
	}
	if f.changed("batch") {
		raw["batch"] = float64(f.batch)
	}
	if f.changed("batch-per-host") {
		raw["batchPerHost"] = float64(f.batchPerHost)
	}
	if f.changed("min-iteration-duration") {
		raw["minIterationDuration"] = f.minIterDuration
	}
	if f.changed("setup-timeout") {
		raw["setupTimeout"] = f.setupTimeout
	}
	if f.changed("teardown-timeout") {
		raw["teardownTimeout"] = f.teardownTimeout
	}

	o := &Options{Raw: raw}

	// --- scenarios ---
	if scv, ok := raw["scenarios"]; ok && scv != nil {
		scm, ok := scv.(map[string]any)
		if !ok {
			return nil, configErrorf("invalid option scenarios: expected an object of named scenarios, got %s", describe(scv))
		}
		if len(scm) == 0 {
			return nil, configErrorf("invalid option scenarios: expected at least one scenario, got an empty object")
		}
		scs, err := sched.ParseScenarios(scm)
		if err != nil {
			return nil, &ConfigError{Msg: err.Error()}
		}
		o.Scenarios = scs
	} else {
		vus, _, err := optInt(raw, "vus")
		if err != nil {
			return nil, err
		}
		dur, _, err := optDuration(raw, "duration")
		if err != nil {
			return nil, err
		}
		iters, _, err := optInt(raw, "iterations")
		if err != nil {
			return nil, err
		}
		var stages []sched.Stage
		if sv, ok := raw["stages"]; ok && sv != nil {
			if stages, err = parseStages("stages", sv); err != nil {
				return nil, err
			}
		}
		o.Scenarios = []sched.Scenario{sched.ShortcutScenario(vus, dur, iters, stages)}
		o.Shortcut = true
	}

	// --- thresholds ---
	if tv, ok := raw["thresholds"]; ok && tv != nil {
		tm, ok := tv.(map[string]any)
		if !ok {
			return nil, configErrorf("invalid option thresholds: expected an object of metric name -> expressions, got %s", describe(tv))
		}
		o.ThresholdsRaw = tm
		if !f.noThresholds {
			th, err := metrics.ParseThresholds(tm)
			if err != nil {
				return nil, &ConfigError{Msg: err.Error()}
			}
			o.Thresholds = th
		}
	}

	// --- summary ---
	stats, ok, err := optStringList(raw, "summaryTrendStats")
	if err != nil {
		return nil, err
	}
	if !ok {
		stats = append([]string(nil), metrics.DefaultTrendStats...)
	}
	for _, s := range stats {
		m := trendStatRe.FindStringSubmatch(s)
		if m == nil {
			return nil, configErrorf("invalid option summaryTrendStats: expected avg, min, med, max, count or p(N) with 0 <= N <= 100, got %q", s)
		}
		if m[2] != "" {
			if p, _ := strconv.ParseFloat(m[2], 64); p > 100 {
				return nil, configErrorf("invalid option summaryTrendStats: expected p(N) with 0 <= N <= 100, got %q", s)
			}
		}
	}
	o.TrendStats = stats
	tu, _, err := optString(raw, "summaryTimeUnit")
	if err != nil {
		return nil, err
	}
	switch tu {
	case "", "s", "ms", "us":
	default:
		return nil, configErrorf("invalid option summaryTimeUnit: expected one of \"s\", \"ms\", \"us\", got %q", tu)
	}
	o.SummaryTimeUnit = tu

	// --- tags ---
	sys, ok, err := optStringList(raw, "systemTags")
	if err != nil {
		return nil, err
	}
	if !ok {
		sys = append([]string(nil), defaultSystemTags...)
	}
	o.SystemTags = map[string]bool{}
	for _, t := range sys {
		known := false
		for _, k := range allSystemTags {
			known = known || k == t
		}
		if !known {
			return nil, configErrorf("invalid option systemTags: expected names among %s, got %q", strings.Join(allSystemTags, ", "), t)
		}
		o.SystemTags[t] = true
	}
	o.SystemTagsList = sys
	o.Tags = map[string]string{}
	if tv, ok := raw["tags"]; ok && tv != nil {
		tm, ok := tv.(map[string]any)
		if !ok {
			return nil, configErrorf("invalid option tags: expected an object of strings, got %s", describe(tv))
		}
		for k, v := range tm {
			switch x := v.(type) {
			case string:
				o.Tags[k] = x
			case float64, bool:
				o.Tags[k] = fmt.Sprint(x)
			default:
				return nil, configErrorf("invalid option tags.%s: expected a string, got %s", k, describe(v))
			}
		}
	}

	// --- segments ---
	seg, _, err := optString(raw, "executionSegment")
	if err != nil {
		return nil, err
	}
	o.Segment, err = sched.ParseSegment(seg)
	if err != nil {
		return nil, configErrorf("invalid option executionSegment (--execution-segment): %v", err)
	}
	o.SegmentStr = seg
	seq, _, err := optString(raw, "executionSegmentSequence")
	if err != nil {
		return nil, err
	}
	if seq != "" {
		o.Sequence, err = sched.ParseSequence(seq)
		if err != nil {
			return nil, configErrorf("invalid option executionSegmentSequence (--execution-segment-sequence): %v", err)
		}
	}
	o.SequenceStr = seq

	// --- timeouts etc. ---
	if o.SetupTimeout, ok, err = optDuration(raw, "setupTimeout"); err != nil {
		return nil, err
	} else if !ok {
		o.SetupTimeout = 60 * time.Second
	}
	if o.TeardownTimeout, ok, err = optDuration(raw, "teardownTimeout"); err != nil {
		return nil, err
	} else if !ok {
		o.TeardownTimeout = 60 * time.Second
	}
	if o.MinIterationDuration, _, err = optDuration(raw, "minIterationDuration"); err != nil {
		return nil, err
	}
	if o.NoSetup, err = optBool(raw, "noSetup"); err != nil {
		return nil, err
	}
	if o.NoTeardown, err = optBool(raw, "noTeardown"); err != nil {
		return nil, err
	}

	// --- what modules see ---
	mo := modules.Options{Raw: raw, MaxRedirects: 10}
	ua, ok, err := optString(raw, "userAgent")
	if err != nil {
		return nil, err
	}
	if !ok {
		ua = DefaultUserAgent
	}
	mo.UserAgent = ua
	for _, b := range []struct {
		key string
		dst *bool
	}{
		{"insecureSkipTLSVerify", &mo.InsecureSkipTLSVerify}, {"throw", &mo.Throw},
		{"discardResponseBodies", &mo.DiscardResponseBodies}, {"noConnectionReuse", &mo.NoConnectionReuse},
		{"noVUConnectionReuse", &mo.NoVUConnectionReuse}, {"noCookiesReset", &mo.NoCookiesReset},
	} {
		if *b.dst, err = optBool(raw, b.key); err != nil {
			return nil, err
		}
	}
	if n, ok, err := optInt(raw, "maxRedirects"); err != nil {
		return nil, err
	} else if ok {
		mo.MaxRedirects = int(n)
	}
	mo.Batch, mo.BatchPerHost = 20, 6 // k6's documented defaults
	if n, ok, err := optInt(raw, "batch"); err != nil {
		return nil, err
	} else if ok {
		mo.Batch = int(n)
	}
	if n, ok, err := optInt(raw, "batchPerHost"); err != nil {
		return nil, err
	} else if ok {
		mo.BatchPerHost = int(n)
	}
	o.Module = mo
	return o, nil
}

func toAnyList(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func durStr(d time.Duration) string { return d.String() }

// scenarioJSON is a resolved scenario the way k6 inspect shows it (defaults filled).
func scenarioJSON(sc sched.Scenario) map[string]any {
	m := map[string]any{
		"executor":     sc.Executor,
		"startTime":    durStr(sc.StartTime),
		"gracefulStop": durStr(sc.GracefulStop),
		"exec":         sc.Exec,
	}
	if len(sc.Env) > 0 {
		m["env"] = sc.Env
	}
	if len(sc.Tags) > 0 {
		m["tags"] = sc.Tags
	}
	if sc.Options != nil {
		m["options"] = sc.Options
	}
	stages := func() []any {
		out := make([]any, 0, len(sc.Stages))
		for _, s := range sc.Stages {
			out = append(out, map[string]any{"duration": durStr(s.Duration), "target": s.Target})
		}
		return out
	}
	switch sc.Executor {
	case sched.ConstantArrivalRate:
		m["rate"], m["timeUnit"], m["duration"] = sc.Rate, durStr(sc.TimeUnit), durStr(sc.Duration)
		m["preAllocatedVUs"], m["maxVUs"] = sc.PreAllocatedVUs, sc.MaxVUs
	case sched.RampingArrivalRate:
		m["startRate"], m["timeUnit"], m["stages"] = sc.StartRate, durStr(sc.TimeUnit), stages()
		m["preAllocatedVUs"], m["maxVUs"] = sc.PreAllocatedVUs, sc.MaxVUs
	case sched.ConstantVUs:
		m["vus"], m["duration"] = sc.VUs, durStr(sc.Duration)
	case sched.RampingVUs:
		m["startVUs"], m["stages"], m["gracefulRampDown"] = sc.StartVUs, stages(), durStr(sc.GracefulRampDown)
	case sched.PerVUIterations, sched.SharedIterations:
		m["vus"], m["iterations"], m["maxDuration"] = sc.VUs, sc.Iterations, durStr(sc.MaxDuration)
	}
	return m
}

// Resolved is the options as `inspect` prints them and exec.test.options returns them.
func (o *Options) Resolved() map[string]any {
	out := map[string]any{}
	for k, v := range o.Raw {
		out[k] = v
	}
	scs := map[string]any{}
	for _, sc := range o.Scenarios {
		scs[sc.Name] = scenarioJSON(sc)
	}
	out["scenarios"] = scs
	if o.ThresholdsRaw != nil {
		out["thresholds"] = o.ThresholdsRaw
	}
	out["summaryTrendStats"] = o.TrendStats
	out["systemTags"] = o.SystemTagsList
	out["tags"] = o.Tags
	out["userAgent"] = o.Module.UserAgent
	out["setupTimeout"] = durStr(o.SetupTimeout)
	out["teardownTimeout"] = durStr(o.TeardownTimeout)
	if o.SegmentStr != "" {
		out["executionSegment"] = o.SegmentStr
	}
	if o.SequenceStr != "" {
		out["executionSegmentSequence"] = o.SequenceStr
	}
	return out
}

// ResolvedJSON is Resolved() as indented JSON.
func (o *Options) ResolvedJSON(indent bool) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if indent {
		enc.SetIndent("", "  ")
	}
	_ = enc.Encode(o.Resolved())
	return bytes.TrimRight(buf.Bytes(), "\n")
}

// sortedKeys of a string map.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
