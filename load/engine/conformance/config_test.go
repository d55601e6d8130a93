package conformance

import (
	"strings"
	"testing"
	"time"
)

func TestThresholdsPassAndFail(t *testing.T) {
	t.Parallel()
	src := `
import { Trend, Counter } from 'k6/metrics';
const tr = new Trend('lat', true);
const c = new Counter('things');
export const options = { iterations: 5, thresholds: {
  lat: ['avg<100', 'max<__MAX__'],
  'lat{kind:slow}': ['min>=50'],
  things: ['count==5'],
} };
export default function () { tr.add(10, { kind: 'fast' }); tr.add(60, { kind: 'slow' }); c.add(1); }
`
	pass := runScript(t, strings.Replace(src, "__MAX__", "1000", 1), runOpts{})
	pass.wantCode(t, 0)
	for _, th := range [][2]string{{"lat", "avg<100"}, {"lat", "max<1000"}, {"lat{kind:slow}", "min>=50"}, {"things", "count==5"}} {
		if !pass.thresholdOK(t, th[0], th[1]) {
			t.Errorf("threshold %s %s should pass", th[0], th[1])
		}
	}
	fail := runScript(t, strings.Replace(src, "__MAX__", "20", 1), runOpts{})
	fail.wantCode(t, 99)
	if fail.thresholdOK(t, "lat", "max<20") || !fail.thresholdOK(t, "lat", "avg<100") {
		t.Errorf("threshold results: %v", fail.metric(t, "lat")["thresholds"])
	}
	// --no-thresholds: not evaluated, exit 0
	off := runScript(t, strings.Replace(src, "__MAX__", "20", 1), runOpts{args: []string{"--no-thresholds"}})
	off.wantCode(t, 0)
}

func TestAbortOnFail(t *testing.T) {
	t.Parallel()
	r := runScript(t, `
import { sleep } from 'k6';
import { Counter } from 'k6/metrics';
const errors = new Counter('errors');
export const options = {
  scenarios: { s: { executor: 'constant-vus', vus: 1, duration: '30s', gracefulStop: '1s' } },
  thresholds: { errors: [{ threshold: 'count<3', abortOnFail: true }] },
};
export default function () { errors.add(1); sleep(0.1); }
export function teardown() { console.log('teardown after abortOnFail'); }
`, runOpts{})
	r.wantCode(t, 99)
	if r.elapsed > 8*time.Second {
		t.Errorf("abortOnFail must stop the test early: took %v", r.elapsed)
	}
	if r.thresholdOK(t, "errors", "count<3") {
		t.Errorf("the aborting threshold is failed in the summary")
	}
	if !contains(r.console(t), "teardown after abortOnFail") {
		t.Errorf("teardown still runs:\n%s", r.stderr)
	}
}

func TestConfigErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, options string
		args          []string
		want          []string // in stderr
		noDefault     bool
	}{
		{name: "bad threshold expression", options: `{ thresholds: { iterations: ['count >>> 3'] } }`, want: []string{"count >>> 3"}},
		{name: "unknown metric in thresholds", options: `{ thresholds: { no_such_metric: ['count>0'] } }`, want: []string{"no_such_metric"}},
		{name: "unknown executor", options: `{ scenarios: { s1: { executor: 'warp-speed', vus: 1 } } }`, want: []string{"scenarios.s1", "warp-speed"}},
		{name: "unknown exec function", options: `{ scenarios: { s2: { executor: 'shared-iterations', exec: 'nothere' } } }`, want: []string{"s2", "nothere"}},
		{name: "bad duration", options: `{ duration: 'soon' }`, want: []string{"duration", "soon"}},
		{name: "bad vus type", options: `{ vus: 'many', duration: '1s' }`, want: []string{"vus", "many"}},
		{name: "bad summaryTrendStats", options: `{ summaryTrendStats: ['avg', 'p(200)'] }`, want: []string{"summaryTrendStats", "p(200)"}},
		{name: "bad systemTags", options: `{ systemTags: ['status', 'nope'] }`, want: []string{"systemTags", "nope"}},
		{name: "bad flag duration", options: `{}`, args: []string{"--duration", "xyz"}, want: []string{"--duration", "xyz"}},
		{name: "bad segment", options: `{}`, args: []string{"--execution-segment", "2/3:1/3"}, want: []string{"execution-segment"}},
		{name: "bad output", options: `{}`, args: []string{"--out", "influxdb=http://x"}, want: []string{"influxdb"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			src := "export const options = " + c.options + ";\nexport default function () {}\n"
			r := runScript(t, src, runOpts{args: c.args})
			r.wantCode(t, 104)
			for _, w := range c.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr should name %q:\n%s", w, r.stderr)
				}
			}
			if !strings.Contains(r.stderr, "level=error") {
				t.Errorf("errors are logged as level=error:\n%s", r.stderr)
			}
		})
	}
}

func TestSystemTags(t *testing.T) {
	t.Parallel()
	r := runScript(t, `
import { check } from 'k6';
import { Counter } from 'k6/metrics';
const c = new Counter('c');
export const options = { vus: 1, iterations: 2, systemTags: ['vu', 'iter', 'check'] };
export default function () { c.add(1); check(1, { fine: true }); }
`, runOpts{})
	r.wantCode(t, 0)
	iters := map[string]bool{}
	for _, p := range r.pointsOf("c") {
		if p.Tags["vu"] != "1" || p.Tags["scenario"] != "" || len(p.Tags) != 2 {
			t.Errorf("with systemTags [vu, iter, check] a custom sample has only vu and iter: %v", p.Tags)
		}
		iters[p.Tags["iter"]] = true
	}
	if !iters["0"] || !iters["1"] {
		t.Errorf("iter tags: %v", iters)
	}
	for _, p := range r.pointsOf("checks") {
		if p.Tags["check"] != "fine" {
			t.Errorf("check tag: %v", p.Tags)
		}
	}
}

func TestFlagsOverScriptOptions(t *testing.T) {
	t.Parallel()
	r := runScript(t, `
import { Counter } from 'k6/metrics';
const c = new Counter('seen');
export const options = { iterations: 2, tags: { from: 'script' }, summaryTrendStats: ['avg'] };
export default function () { c.add(1); }
`, runOpts{args: []string{"--iterations", "5", "--vus", "2", "--tag", "from=flag", "--tag", "extra=yes", "--summary-trend-stats", "min,max,p(99.9)"}})
	r.wantCode(t, 0)
	if got := r.value(t, "seen", "count"); got != 5 {
		t.Errorf("--iterations 5 over options.iterations 2: got %v", got)
	}
	for _, p := range r.pointsOf("seen") {
		if p.Tags["from"] != "flag" || p.Tags["extra"] != "yes" {
			t.Errorf("--tag over options.tags: %v", p.Tags)
		}
	}
	vals := r.metric(t, "iteration_duration")["values"].(map[string]any)
	if _, ok := vals["p(99.9)"]; !ok || len(vals) != 3 {
		t.Errorf("--summary-trend-stats: %v", vals)
	}
}
