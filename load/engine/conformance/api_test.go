package conformance

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckGroupSleepFail(t *testing.T) {
	t.Parallel()
	r := runScript(t, `
import { check, group, sleep, fail } from 'k6';
import exec from 'k6/execution';
export const options = { scenarios: { s: { executor: 'per-vu-iterations', vus: 2, iterations: 3 } } };
export default function () {
  const it = exec.vu.iterationInScenario;
  const ret = group('outer', () => {
    check(it, { 'even': (v) => v % 2 === 0, 'always': true }, { mytag: 'x' });
    group('inner', () => { check(null, { 'inner ok': () => true }); });
    return 'returned';
  });
  if (ret !== 'returned') throw new Error('group did not return its callback value');
  check(1, { 'root check': (v) => v === 1 });
  sleep(0.1);
  if (it === 1) fail('iteration one fails on purpose');
}
`, runOpts{})
	r.wantCode(t, 0)
	// iterations that threw still count
	if got := r.value(t, "iterations", "count"); got != 6 {
		t.Errorf("iterations: want 6, got %v", got)
	}
	if min := r.value(t, "iteration_duration", "min"); min < 100 {
		t.Errorf("iteration_duration min %v ms: sleep(0.1) did not sleep", min)
	}
	if n := strings.Count(r.stderr, "iteration one fails on purpose"); n != 2 {
		t.Errorf("want the fail() message logged twice (one per VU), got %d\n%s", n, r.stderr)
	}
	if !strings.Contains(r.stderr, `level=error msg="Error: iteration one fails on purpose\n\tat `) ||
		!strings.Contains(r.stderr, "source=stacktrace") {
		t.Errorf("fail() not logged as a stack trace:\n%s", r.stderr)
	}
	// checks rate: even 4 pass 2 fail; always 6; inner 6; root 6 -> 22/24
	within(t, "checks rate", r.value(t, "checks", "rate"), 22.0/24-1e-9, 22.0/24+1e-9)
	root := r.summary["root_group"].(map[string]any)
	groups := root["groups"].([]any)
	if len(groups) != 1 {
		t.Fatalf("root groups: %v", groups)
	}
	outer := groups[0].(map[string]any)
	if outer["name"] != "outer" || outer["path"] != "::outer" {
		t.Errorf("outer group: %v", outer)
	}
	checks := outer["checks"].([]any)
	even := checks[0].(map[string]any)
	if even["name"] != "even" || even["passes"].(float64) != 4 || even["fails"].(float64) != 2 || even["path"] != "::outer::even" {
		t.Errorf("check even: %v", even)
	}
	inner := outer["groups"].([]any)[0].(map[string]any)
	if inner["path"] != "::outer::inner" || inner["checks"].([]any)[0].(map[string]any)["passes"].(float64) != 6 {
		t.Errorf("inner group: %v", inner)
	}
	if rc := root["checks"].([]any); len(rc) != 1 || rc[0].(map[string]any)["name"] != "root check" {
		t.Errorf("root checks: %v", rc)
	}
	// check samples carry check, group, the extra tag and the scenario
	var sawTagged bool
	for _, p := range r.pointsOf("checks") {
		if p.Tags["check"] == "even" {
			sawTagged = true
			if p.Tags["group"] != "::outer" || p.Tags["mytag"] != "x" || p.Tags["scenario"] != "s" {
				t.Errorf("check sample tags: %v", p.Tags)
			}
		}
	}
	if !sawTagged {
		t.Error("no check sample for 'even' in the JSON output")
	}
	var innerGroupDur int
	for _, p := range r.pointsOf("group_duration") {
		if p.Tags["group"] == "::outer::inner" {
			innerGroupDur++
		}
	}
	if innerGroupDur != 6 {
		t.Errorf("group_duration samples of ::outer::inner: want 6, got %d", innerGroupDur)
	}
}

func TestCustomMetrics(t *testing.T) {
	t.Parallel()
	r := runScript(t, `
import { Counter, Gauge, Rate, Trend } from 'k6/metrics';
const c = new Counter('my_counter');
const g = new Gauge('my_gauge');
const rt = new Rate('my_rate');
const tr = new Trend('my_trend', true);
const plain = new Trend('my_plain');
if (c.name !== 'my_counter') throw new Error('name');
let badName = 'none';
try { new Counter('bad name!'); } catch (e) { badName = String(e); }
console.log('badName ' + badName);
export const options = {
  iterations: 4,
  thresholds: { 'my_trend{kind:b}': ['max<1000'], my_counter: ['count==10'] },
};
export default function () {
  c.add(2, { kind: 'a' });
  c.add(0.5);
  g.add(__ITER + 1);
  g.add(7);
  g.add(3);
  rt.add(true);
  rt.add(0);
  rt.add(5);
  tr.add(10, { kind: 'a' });
  tr.add(30, { kind: 'b' });
  plain.add(1);
  let inIter = 'none';
  try { new Counter('late'); } catch (e) { inIter = String(e); }
  if (__ITER === 0) console.log('late ' + inIter);
}
`, runOpts{})
	r.wantCode(t, 0)
	if got := r.value(t, "my_counter", "count"); got != 10 {
		t.Errorf("counter: want 10, got %v", got)
	}
	if got := r.value(t, "my_gauge", "value"); got != 3 {
		t.Errorf("gauge value: want 3 (last), got %v", got)
	}
	if r.value(t, "my_gauge", "max") != 7 || r.value(t, "my_gauge", "min") != 1 {
		t.Errorf("gauge min/max: %v", r.metric(t, "my_gauge"))
	}
	if r.value(t, "my_rate", "passes") != 8 || r.value(t, "my_rate", "fails") != 4 {
		t.Errorf("rate: %v", r.metric(t, "my_rate"))
	}
	if r.value(t, "my_trend", "avg") != 20 || r.value(t, "my_trend", "max") != 30 {
		t.Errorf("trend: %v", r.metric(t, "my_trend"))
	}
	if r.metric(t, "my_trend")["contains"] != "time" || r.metric(t, "my_plain")["contains"] != "default" {
		t.Errorf("contains: my_trend %v, my_plain %v", r.metric(t, "my_trend")["contains"], r.metric(t, "my_plain")["contains"])
	}
	if got := r.value(t, "my_trend{kind:b}", "max"); got != 30 {
		t.Errorf("submetric my_trend{kind:b} max: want 30, got %v", got)
	}
	if !r.thresholdOK(t, "my_counter", "count==10") {
		t.Error("threshold count==10 should pass")
	}
	if r.metricsDecl["my_counter"]["type"] != "counter" || r.metricsDecl["my_trend"]["contains"] != "time" {
		t.Errorf("Metric lines: %v %v", r.metricsDecl["my_counter"], r.metricsDecl["my_trend"])
	}
	var tagged int
	for _, p := range r.pointsOf("my_trend") {
		if p.Tags["kind"] == "b" && p.Value == 30 {
			tagged++
		}
	}
	if tagged != 4 {
		t.Errorf("my_trend points tagged kind=b: want 4, got %d", tagged)
	}
	logs := strings.Join(r.console(t), "\n")
	if !strings.Contains(logs, "badName ") || strings.Contains(logs, "badName none") {
		t.Errorf("an invalid metric name must throw: %s", logs)
	}
	if !strings.Contains(logs, "late ") || strings.Contains(logs, "late none") || !strings.Contains(logs, "init context") {
		t.Errorf("creating a metric outside the init context must throw: %s", logs)
	}
}

func TestEnvOpenVU(t *testing.T) {
	t.Parallel()
	r := runScript(t, `
const txt = open('./data.txt');
const bin = open('data.bin', 'b');
console.log('init ' + JSON.stringify({ vu: __VU, foo: __ENV.FOO, txt, binLen: bin.byteLength, isAB: bin instanceof ArrayBuffer }));
export const options = { vus: 2, iterations: 4 };
export default function () {
  let err = 'none';
  try { open('data.txt'); } catch (e) { err = String(e); }
  console.log('iter ' + JSON.stringify({ vu: __VU, iter: __ITER, foo: __ENV.FOO, openErr: err }));
}
`, runOpts{args: []string{"-e", "FOO=bar baz"}, files: map[string]string{"data.txt": "hello file", "data.bin": "\x00\x01\x02\x03\x04"}})
	r.wantCode(t, 0)
	inits := r.consoleJSON(t, "init ")
	vus := map[float64]bool{}
	for _, in := range inits {
		vus[in["vu"].(float64)] = true
		if in["foo"] != "bar baz" || in["txt"] != "hello file" || in["binLen"].(float64) != 5 || in["isAB"] != true {
			t.Errorf("init: %v", in)
		}
	}
	if !vus[0] || !vus[1] || !vus[2] {
		t.Errorf("init ran for __VU 0 (options) and VUs 1, 2: got %v", vus)
	}
	iters := r.consoleJSON(t, "iter ")
	if len(iters) != 4 {
		t.Fatalf("want 4 iterations, got %d", len(iters))
	}
	for _, it := range iters {
		if v := it["vu"].(float64); v < 1 || v > 2 {
			t.Errorf("__VU in an iteration: %v", v)
		}
		if it["foo"] != "bar baz" || !strings.Contains(it["openErr"].(string), "init") {
			t.Errorf("iter: %v", it)
		}
	}
}

func TestSetupTeardownData(t *testing.T) {
	t.Parallel()
	r := runScript(t, `
import { check } from 'k6';
export const options = { vus: 2, iterations: 4 };
export function setup() { console.log('setup vu ' + __VU); return { n: 5, list: [1, 2], nested: { s: 'x' } }; }
export default function (data) {
  check(data, { 'data passed': (d) => d.n === 5 && d.list[1] === 2 && d.nested.s === 'x' });
  data.n = 99; // a VU's copy; teardown still sees the original
}
export function teardown(data) { console.log('teardown ' + JSON.stringify(data)); }
`, runOpts{})
	r.wantCode(t, 0)
	if r.value(t, "checks", "passes") != 4 || r.value(t, "checks", "fails") != 0 {
		t.Errorf("setup data did not reach the iterations: %v", r.metric(t, "checks"))
	}
	logs := r.console(t)
	if !contains(logs, "setup vu 0") {
		t.Errorf("setup runs with __VU 0: %v", logs)
	}
	if !contains(logs, `teardown {"n":5,"list":[1,2],"nested":{"s":"x"}}`) {
		t.Errorf("teardown data: %v", logs)
	}
}

func contains(list []string, s string) bool {
	for _, l := range list {
		if l == s {
			return true
		}
	}
	return false
}

func TestHandleSummaryOutputs(t *testing.T) {
	t.Parallel()
	r := runScript(t, `
export const options = { iterations: 1, summaryTrendStats: ['avg', 'p(99)', 'count'] };
export default function () {}
export function handleSummary(data) {
  return {
    stdout: 'HELLO FROM handleSummary ' + data.metrics.iterations.values.count + '\n',
    stderr: 'TO STDERR\n',
    [__ENV.SUMMARY_FILE]: JSON.stringify(data),
    [__ENV.SUMMARY_FILE + '.d/nested/deeper/out.txt']: 'nested file',
  };
}
`, runOpts{})
	r.wantCode(t, 0)
	if !strings.Contains(r.stdout, "HELLO FROM handleSummary 1") || !strings.Contains(r.stderr, "TO STDERR") {
		t.Errorf("stdout/stderr keys:\n%s", r.dump())
	}
	if strings.Contains(r.stdout, "iteration_duration") {
		t.Errorf("the text summary must not be printed when handleSummary exists:\n%s", r.stdout)
	}
	b, err := os.ReadFile(filepath.Join(r.dir, "summary.json.d/nested/deeper/out.txt"))
	if err != nil || string(b) != "nested file" {
		t.Errorf("nested file: %q %v", b, err)
	}
	vals := r.metric(t, "iteration_duration")["values"].(map[string]any)
	if _, ok := vals["p(99)"]; !ok || len(vals) != 3 {
		t.Errorf("summaryTrendStats not honoured: %v", vals)
	}
	opts := r.summary["options"].(map[string]any)
	if len(opts["summaryTrendStats"].([]any)) != 3 {
		t.Errorf("options.summaryTrendStats: %v", opts)
	}
	if st := r.summary["state"].(map[string]any); st["testRunDurationMs"].(float64) <= 0 {
		t.Errorf("state: %v", st)
	}
}

func TestDefaultTextSummary(t *testing.T) {
	t.Parallel()
	r := runScript(t, `
import { check } from 'k6';
export const options = { iterations: 2 };
export default function () { check(1, { 'one is one': (v) => v === 1 }); }
`, runOpts{noHS: true, args: []string{"--summary-export", "legacy.json"}})
	r.wantCode(t, 0)
	for _, want := range []string{"iterations", "checks", "one is one", "iteration_duration"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("text summary lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "\x1b[") {
		t.Errorf("--no-color summary has ANSI escapes:\n%q", r.stdout)
	}
	b, err := os.ReadFile(filepath.Join(r.dir, "legacy.json"))
	if err != nil || !strings.Contains(string(b), `"iterations"`) || !strings.Contains(string(b), `"one is one"`) {
		t.Errorf("--summary-export: %v\n%s", err, b)
	}
}

func TestAsyncIterations(t *testing.T) {
	t.Parallel()
	r := runScript(t, `
import { check } from 'k6';
export const options = { iterations: 3 };
export default async function () {
  const v = await new Promise((resolve) => setTimeout(() => resolve(42), 30));
  check(v, { 'awaited': (x) => x === 42 });
  if (__ITER === 2) { await null; throw new Error('async boom'); }
}
`, runOpts{})
	r.wantCode(t, 0)
	if r.value(t, "checks", "passes") != 3 {
		t.Errorf("async checks: %v", r.metric(t, "checks"))
	}
	if r.value(t, "iterations", "count") != 3 || r.value(t, "iteration_duration", "min") < 30 {
		t.Errorf("async iterations must wait for their promise: %v", r.metric(t, "iteration_duration"))
	}
	if !strings.Contains(r.stderr, "async boom") || !strings.Contains(r.stderr, "source=stacktrace") {
		t.Errorf("a rejected iteration is logged:\n%s", r.stderr)
	}
}

func TestHTTPEndToEnd(t *testing.T) {
	t.Parallel()
	r := runScript(t, `
import http from 'k6/http';
import { check } from 'k6';
export const options = { iterations: 3, summaryTrendStats: ['avg', 'p(95)', 'count'], thresholds: { 'http_req_duration{name:echo}': ['p(95)<5000'] } };
export default function () {
  const res = http.get(__ENV.BASE + '/echo', { tags: { name: 'echo' } });
  check(res, { 'status 200': (r) => r.status === 200, 'ua': (r) => r.json().ua === 'gameday-engine/0.1.0' });
  http.get(__ENV.BASE + '/status/404');
}
`, runOpts{})
	r.wantCode(t, 0)
	if r.value(t, "http_reqs", "count") != 6 {
		t.Errorf("http_reqs: %v", r.metric(t, "http_reqs"))
	}
	if r.value(t, "checks", "fails") != 0 {
		t.Errorf("checks: %v\n%s", r.metric(t, "checks"), r.stderr)
	}
	within(t, "http_req_failed rate", r.value(t, "http_req_failed", "rate"), 0.49, 0.51)
	if !r.hasMetric("http_req_duration{name:echo}") || r.value(t, "data_received", "count") <= 0 {
		t.Errorf("http metrics: %v", r.summary["metrics"])
	}
	// k6's summary always lists the duration of the expected responses (the 404s are not)
	if got := r.value(t, "http_req_duration{expected_response:true}", "count"); got != 3 {
		t.Errorf("http_req_duration{expected_response:true} count: want 3, got %v", got)
	}
	for _, p := range r.pointsOf("http_reqs") {
		if p.Tags["scenario"] != "default" || p.Tags["method"] != "GET" {
			t.Errorf("http_reqs tags: %v", p.Tags)
		}
	}
}
