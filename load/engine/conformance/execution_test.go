package conformance

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

func TestExecutionAPI(t *testing.T) {
	t.Parallel()
	r := runScript(t, `
import exec from 'k6/execution';
import { vu, scenario, instance, test } from 'k6/execution';
import { Counter } from 'k6/metrics';
const c = new Counter('tagged');
let initErr = 'none';
try { exec.vu.iterationInScenario; } catch (e) { initErr = String(e); }
console.log('initErr ' + JSON.stringify({ e: initErr }));
export const options = {
  tags: { global: 'g' },
  scenarios: {
    first: { executor: 'per-vu-iterations', vus: 2, iterations: 3, tags: { sc: 'one' }, env: { SCENV: 'yes' } },
    second: { executor: 'shared-iterations', vus: 1, iterations: 2, exec: 'other', startTime: '300ms' },
  },
};
export default function () {
  exec.vu.tags.mine = 'v' + vu.idInTest;
  c.add(1);
  console.log('it ' + JSON.stringify({
    idInInstance: vu.idInInstance, idInTest: vu.idInTest, iterInInstance: vu.iterationInInstance,
    iterInScenario: vu.iterationInScenario, name: scenario.name, executor: scenario.executor,
    startTime: scenario.startTime, progress: scenario.progress, scIterInInstance: scenario.iterationInInstance,
    scIterInTest: scenario.iterationInTest, vusActive: instance.vusActive, vusInit: instance.vusInitialized,
    completed: instance.iterationsCompleted, dur: instance.currentTestRunDuration, tagSc: exec.vu.tags.scenario,
    tagGlobal: exec.vu.tags.global, metricsTags: exec.vu.metrics.tags.mine, env: __ENV.SCENV || null,
    optScenarios: Object.keys(test.options.scenarios).sort().join(','), now: Date.now(),
  }));
}
export function other() {
  console.log('other ' + JSON.stringify({ name: scenario.name, executor: scenario.executor, start: scenario.startTime, env: __ENV.SCENV || null }));
}
export function setup() { console.log('setup ' + JSON.stringify({ now: Date.now() })); }
`, runOpts{})
	r.wantCode(t, 0)
	if e := r.consoleJSON(t, "initErr ")[0]["e"].(string); !strings.Contains(e, "init context") {
		t.Errorf("exec.vu.iterationInScenario in the init context must throw, got %q", e)
	}
	its := r.consoleJSON(t, "it ")
	if len(its) != 6 {
		t.Fatalf("want 6 iterations of first, got %d\n%s", len(its), r.dump())
	}
	perVU := map[float64][]float64{}
	var scIters []float64
	for _, it := range its {
		if it["name"] != "first" || it["executor"] != "per-vu-iterations" || it["env"] != "yes" {
			t.Errorf("scenario fields: %v", it)
		}
		if it["tagSc"] != "first" || it["tagGlobal"] != "g" {
			t.Errorf("exec.vu.tags: %v", it)
		}
		id := it["idInTest"].(float64)
		perVU[id] = append(perVU[id], it["iterInScenario"].(float64))
		scIters = append(scIters, it["scIterInTest"].(float64))
		if it["dur"].(float64) <= 0 || it["vusInit"].(float64) < 2 || it["optScenarios"] != "first,second" {
			t.Errorf("instance/test fields: %v", it)
		}
		if p := it["progress"].(float64); p < 0 || p > 1 {
			t.Errorf("progress %v", p)
		}
	}
	if len(perVU) != 2 {
		t.Errorf("want 2 VUs in first, got %v", perVU)
	}
	for id, iters := range perVU {
		sort.Float64s(iters)
		if len(iters) != 3 || iters[0] != 0 || iters[2] != 2 {
			t.Errorf("VU %v iterationInScenario: %v", id, iters)
		}
	}
	sort.Float64s(scIters)
	for i, v := range scIters {
		if v != float64(i) {
			t.Errorf("scenario.iterationInTest: want 0..5, got %v", scIters)
			break
		}
	}
	others := r.consoleJSON(t, "other ")
	if len(others) != 2 || others[0]["name"] != "second" || others[0]["executor"] != "shared-iterations" || others[0]["env"] != nil {
		t.Errorf("second scenario: %v", others)
	}
	setupAt := r.consoleJSON(t, "setup ")[0]["now"].(float64)
	if st := others[0]["start"].(float64); st-setupAt < 250 {
		t.Errorf("second scenario startTime 300ms: started %v ms after setup", st-setupAt)
	}
	// exec.vu.tags set in an iteration tag the samples after it
	var tagged int
	for _, p := range r.pointsOf("tagged") {
		if p.Tags["mine"] != "" && p.Tags["global"] == "g" && p.Tags["sc"] == "one" {
			tagged++
		}
	}
	if tagged != 6 {
		t.Errorf("samples with exec.vu.tags.mine + options.tags + scenario tags: want 6, got %d", tagged)
	}
}

func TestTestAbort(t *testing.T) {
	t.Parallel()
	r := runScript(t, `
import exec from 'k6/execution';
import { sleep } from 'k6';
export const options = { scenarios: { s: { executor: 'constant-vus', vus: 2, duration: '20s' } } };
export default function () {
  if (exec.vu.idInTest === 1 && exec.vu.iterationInScenario === 2) {
    try { exec.test.abort('enough of this'); } catch (e) { console.log('caught abort'); }
    console.log('after abort');
  }
  sleep(0.05);
}
export function teardown() { console.log('teardown ran'); }
`, runOpts{})
	r.wantCode(t, 108)
	if r.elapsed > 10*time.Second {
		t.Errorf("test.abort must stop the test: took %v", r.elapsed)
	}
	if !strings.Contains(r.stderr, "enough of this") {
		t.Errorf("the abort reason is logged:\n%s", r.stderr)
	}
	logs := r.console(t)
	if contains(logs, "caught abort") || contains(logs, "after abort") {
		t.Errorf("abort must not be catchable nor continue the iteration: %v", logs)
	}
	if r.summary == nil {
		t.Errorf("handleSummary still runs after test.abort")
	}
}

func TestInitException(t *testing.T) {
	t.Parallel()
	r := runScript(t, `
export const options = { iterations: 1 };
function broken() { throw new Error('init is broken'); }
broken();
export default function () {}
`, runOpts{})
	r.wantCode(t, 107)
	if !strings.Contains(r.stderr, `Error: init is broken\n\tat broken (`) {
		t.Errorf("init exception with a stack trace:\n%s", r.stderr)
	}
}

func TestSetupException(t *testing.T) {
	t.Parallel()
	r := runScript(t, `
export const options = { iterations: 1 };
export function setup() { throw new Error('setup is broken'); }
export default function () { console.log('iteration ran'); }
`, runOpts{})
	r.wantCode(t, 107)
	if !strings.Contains(r.stderr, "setup is broken") || contains(r.console(t), "iteration ran") {
		t.Errorf("setup exception:\n%s", r.dump())
	}
}

func TestInspect(t *testing.T) {
	t.Parallel()
	dir, path := writeScript(t, `
export const options = {
  scenarios: { reads: { executor: 'constant-arrival-rate', rate: 5, duration: '10s', preAllocatedVUs: 2, maxVUs: 4, exec: 'read' } },
  thresholds: { http_req_duration: ['p(95)<500'], 'checks{endpoint:x}': [{ threshold: 'rate>0.9', abortOnFail: true }] },
  summaryTrendStats: ['avg', 'p(99)'],
  systemTags: ['status', 'scenario'],
  tags: { team: 'load' },
};
export function read() {}
export default function () {}
`, runOpts{noHS: true})
	r := execEngine(t, dir, []string{"inspect", "--tag", "extra=1", path}, runOpts{})
	r.wantCode(t, 0)
	var got map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("inspect output is not JSON: %v\n%s", err, r.stdout)
	}
	sc := got["scenarios"].(map[string]any)["reads"].(map[string]any)
	want := map[string]any{"executor": "constant-arrival-rate", "exec": "read", "rate": 5.0, "timeUnit": "1s",
		"duration": "10s", "preAllocatedVUs": 2.0, "maxVUs": 4.0, "gracefulStop": "30s", "startTime": "0s"}
	for k, v := range want {
		if sc[k] != v {
			t.Errorf("scenarios.reads.%s: want %v, got %v", k, v, sc[k])
		}
	}
	th := got["thresholds"].(map[string]any)
	if len(th) != 2 || th["http_req_duration"].([]any)[0] != "p(95)<500" {
		t.Errorf("thresholds as given: %v", th)
	}
	if tags := got["tags"].(map[string]any); tags["team"] != "load" || tags["extra"] != "1" {
		t.Errorf("tags: %v", tags)
	}
	if s := got["summaryTrendStats"].([]any); len(s) != 2 {
		t.Errorf("summaryTrendStats: %v", s)
	}
	if s := got["systemTags"].([]any); len(s) != 2 {
		t.Errorf("systemTags: %v", s)
	}
	// the shortcut: --vus/--duration make a constant-vus default scenario
	r = execEngine(t, dir, []string{"inspect", "--vus", "3", "--duration", "2s", path}, runOpts{})
	r.wantCode(t, 0)
	_ = json.Unmarshal([]byte(r.stdout), &got)
	def := got["scenarios"].(map[string]any)["default"].(map[string]any)
	if def["executor"] != "constant-vus" || def["vus"] != 3.0 || def["duration"] != "2s" {
		t.Errorf("shortcut scenario: %v", got["scenarios"])
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	r := execEngine(t, t.TempDir(), []string{"version"}, runOpts{})
	r.wantCode(t, 0)
	if !strings.HasPrefix(r.stdout, "gameday-engine v0.1.0 (goja, go1.") {
		t.Errorf("version: %q", r.stdout)
	}
}

func TestSIGINT(t *testing.T) {
	t.Parallel()
	r := runScript(t, `
import { sleep } from 'k6';
export const options = { scenarios: { s: { executor: 'constant-vus', vus: 2, duration: '30s', gracefulStop: '5s' } } };
let announced = false;
export default function () {
  if (!announced && __VU === 1) { announced = true; console.log('RUNNING NOW'); }
  sleep(0.1);
}
export function teardown() { console.log('teardown ran'); }
`, runOpts{interruptOn: "RUNNING NOW"})
	r.wantCode(t, 105)
	if r.elapsed > 8*time.Second {
		t.Errorf("SIGINT must stop the test (gracefully): took %v", r.elapsed)
	}
	if !contains(r.console(t), "teardown ran") {
		t.Errorf("teardown runs after SIGINT:\n%s", r.stderr)
	}
	if r.summary == nil || r.value(t, "iterations", "count") < 1 {
		t.Errorf("the summary is written after SIGINT:\n%s", r.dump())
	}
	if _, err := os.Stat(filepath.Join(r.dir, "out.json.gz")); err != nil {
		t.Errorf("JSON output after SIGINT: %v", err)
	}
}

func TestTestFailAndSetupTimeout(t *testing.T) {
	t.Parallel()
	r := runScript(t, `
import exec from 'k6/execution';
export const options = { iterations: 2 };
export default function () { if (__ITER === 0) exec.test.fail('marked'); console.log('went on'); }
`, runOpts{})
	r.wantCode(t, 110)
	if n := len(r.console(t)); n != 2 || !strings.Contains(r.stderr, "marked") {
		t.Errorf("exec.test.fail marks the test failed and lets it go on:\n%s", r.dump())
	}
	r = runScript(t, `
export const options = { iterations: 1, setupTimeout: '300ms' };
export function setup() { for (;;) {} }
export default function () {}
`, runOpts{})
	r.wantCode(t, 100)
	if r.elapsed > 5*time.Second || !strings.Contains(r.stderr, "setupTimeout") {
		t.Errorf("setup timeout:\n%s", r.dump())
	}
}
