package conformance

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// startsScript counts iteration starts in the `starts` Counter (the JSON output has their times)
// and records the test start in setup.
func startsScript(scenario, body string) string {
	return `
import { sleep } from 'k6';
import exec from 'k6/execution';
import { Counter } from 'k6/metrics';
const starts = new Counter('starts');
export const options = { scenarios: { s: ` + scenario + ` } };
export function setup() { console.log('t0 ' + Date.now()); }
export default function () {
  starts.add(1, { vu: String(exec.vu.idInTest) });
  ` + body + `
}
`
}

func (r *result) startOffsets(t *testing.T) []float64 {
	t.Helper()
	var t0 float64
	for _, m := range r.console(t) {
		if strings.HasPrefix(m, "t0 ") {
			_, _ = fmt.Sscan(strings.TrimPrefix(m, "t0 "), &t0)
		}
	}
	if t0 == 0 {
		t.Fatalf("no t0 line\n%s", r.dump())
	}
	var out []float64
	for _, p := range r.pointsOf("starts") {
		out = append(out, float64(p.Time.UnixNano())/1e6-t0)
	}
	sort.Float64s(out)
	return out
}

func vuSet(r *result) map[string]int {
	out := map[string]int{}
	for _, p := range r.pointsOf("starts") {
		out[p.Tags["vu"]]++
	}
	return out
}

func TestExecutorConstantArrivalRate(t *testing.T) {
	t.Parallel()
	r := runScript(t, startsScript(`{ executor: 'constant-arrival-rate', rate: 20, timeUnit: '1s', duration: '2s', preAllocatedVUs: 3, maxVUs: 5 }`, `sleep(0.02);`), runOpts{})
	r.wantCode(t, 0)
	offs := r.startOffsets(t)
	within(t, "iterations started", float64(len(offs)), 39, 41)
	if len(offs) < 10 {
		return
	}
	// evenly spaced: 50 ms apart
	gaps := make([]float64, 0, len(offs))
	for i := 1; i < len(offs); i++ {
		gaps = append(gaps, offs[i]-offs[i-1])
	}
	sort.Float64s(gaps)
	within(t, "median gap (ms)", gaps[len(gaps)/2], 40, 60)
	within(t, "last start (ms after setup)", offs[len(offs)-1], 1800, 2300)
	if r.hasMetric("dropped_iterations") && r.value(t, "dropped_iterations", "count") > 0 {
		t.Errorf("no iteration should be dropped: %v", r.metric(t, "dropped_iterations"))
	}
}

func TestExecutorRampingArrivalRate(t *testing.T) {
	t.Parallel()
	r := runScript(t, startsScript(`{ executor: 'ramping-arrival-rate', startRate: 0, timeUnit: '1s', preAllocatedVUs: 2, maxVUs: 5,
      stages: [{ duration: '1s', target: 20 }, { duration: '1s', target: 20 }] }`, ``), runOpts{})
	r.wantCode(t, 0)
	offs := r.startOffsets(t)
	// integral of the rate: 10 in the ramp + 20 at the plateau
	within(t, "iterations started", float64(len(offs)), 28, 32)
	var firstHalf int
	for _, o := range offs {
		if o < 1000 {
			firstHalf++
		}
	}
	// the ramp: fewer in the first second (10) than in the second (20)
	within(t, "iterations started in the ramp second", float64(firstHalf), 7, 13)
}

func TestExecutorConstantVUs(t *testing.T) {
	t.Parallel()
	r := runScript(t, startsScript(`{ executor: 'constant-vus', vus: 3, duration: '1s' }`, `sleep(0.2);`), runOpts{})
	r.wantCode(t, 0)
	offs := r.startOffsets(t)
	within(t, "iterations started", float64(len(offs)), 14, 16)
	if vus := vuSet(r); len(vus) != 3 {
		t.Errorf("want 3 VUs, got %v", vus)
	}
	within(t, "completed iterations", r.value(t, "iterations", "count"), 14, 16)
}

func TestExecutorRampingVUs(t *testing.T) {
	t.Parallel()
	r := runScript(t, startsScript(`{ executor: 'ramping-vus', startVUs: 0, gracefulRampDown: '0s',
      stages: [{ duration: '1s', target: 4 }, { duration: '1s', target: 4 }, { duration: '500ms', target: 0 }] }`, `sleep(0.1);`), runOpts{})
	r.wantCode(t, 0)
	offs := r.startOffsets(t)
	if vus := vuSet(r); len(vus) != 4 {
		t.Errorf("want 4 distinct VUs, got %v", vus)
	}
	var early, plateau int
	for _, o := range offs {
		switch {
		case o < 250:
			early++
		case o >= 1100 && o < 1900:
			plateau++
		}
	}
	// at most 1 VU in the first quarter of the ramp, 4 at the plateau (~8 iterations per 800 ms each)
	within(t, "starts in the first 250 ms", float64(early), 0, 3)
	within(t, "starts on the plateau (1.1 s..1.9 s)", float64(plateau), 26, 34)
	if m := r.value(t, "vus_max", "max"); m != 4 {
		t.Errorf("vus_max: want 4, got %v", m)
	}
	within(t, "vus max", r.value(t, "vus", "max"), 4, 4)
}

func TestExecutorPerVUIterations(t *testing.T) {
	t.Parallel()
	r := runScript(t, startsScript(`{ executor: 'per-vu-iterations', vus: 3, iterations: 4 }`, ``), runOpts{})
	r.wantCode(t, 0)
	vus := vuSet(r)
	if len(vus) != 3 {
		t.Fatalf("want 3 VUs, got %v", vus)
	}
	for vu, n := range vus {
		if n != 4 {
			t.Errorf("VU %s ran %d iterations, want 4", vu, n)
		}
	}
	if r.value(t, "iterations", "count") != 12 {
		t.Errorf("iterations: %v", r.metric(t, "iterations"))
	}
}

func TestExecutorSharedIterations(t *testing.T) {
	t.Parallel()
	r := runScript(t, startsScript(`{ executor: 'shared-iterations', vus: 3, iterations: 10 }`, `sleep(0.01);`), runOpts{})
	r.wantCode(t, 0)
	if n := len(r.pointsOf("starts")); n != 10 {
		t.Errorf("iterations started: want 10, got %d", n)
	}
	if vus := vuSet(r); len(vus) < 2 || len(vus) > 3 {
		t.Errorf("want the iterations spread over the 3 VUs, got %v", vus)
	}
}

func TestScenarioStartTime(t *testing.T) {
	t.Parallel()
	r := runScript(t, startsScript(`{ executor: 'per-vu-iterations', vus: 1, iterations: 1, startTime: '700ms' }`, ``), runOpts{})
	r.wantCode(t, 0)
	offs := r.startOffsets(t)
	if len(offs) != 1 {
		t.Fatalf("starts: %v", offs)
	}
	within(t, "start offset (ms)", offs[0], 650, 1100)
}

func TestDroppedIterations(t *testing.T) {
	t.Parallel()
	r := runScript(t, startsScript(`{ executor: 'constant-arrival-rate', rate: 20, timeUnit: '1s', duration: '1s', preAllocatedVUs: 1, maxVUs: 1, gracefulStop: '1s' }`,
		`sleep(0.45);`), runOpts{})
	r.wantCode(t, 0)
	started := float64(len(r.pointsOf("starts")))
	within(t, "iterations started with one VU", started, 2, 3)
	dropped := r.value(t, "dropped_iterations", "count")
	within(t, "dropped + started", dropped+started, 19, 21)
	for _, p := range r.pointsOf("dropped_iterations") {
		if p.Tags["scenario"] != "s" {
			t.Errorf("dropped_iterations tags: %v", p.Tags)
		}
	}
}

func TestGracefulStop(t *testing.T) {
	t.Parallel()
	r := runScript(t, `
import { sleep } from 'k6';
import { Counter } from 'k6/metrics';
const finished = new Counter('finished');
export const options = { scenarios: {
  sleepy: { executor: 'constant-vus', vus: 2, duration: '500ms', gracefulStop: '300ms' },
  busy: { executor: 'per-vu-iterations', vus: 1, iterations: 1, maxDuration: '500ms', gracefulStop: '0s', exec: 'busy' },
} };
export default function () { sleep(5); finished.add(1); }
export function busy() { const t = Date.now(); while (Date.now() - t < 10000) {} finished.add(1); }
`, runOpts{})
	r.wantCode(t, 0)
	if r.elapsed > 4*time.Second {
		t.Errorf("gracefulStop did not interrupt the iterations: took %v", r.elapsed)
	}
	if r.hasMetric("finished") {
		t.Errorf("interrupted iterations must not finish: %v", r.metric(t, "finished"))
	}
	if r.hasMetric("iterations") && r.value(t, "iterations", "count") != 0 {
		t.Errorf("interrupted iterations are not counted: %v", r.metric(t, "iterations"))
	}
}

func TestExecutionSegments(t *testing.T) {
	t.Parallel()
	src := `
import { Counter } from 'k6/metrics';
import exec from 'k6/execution';
const idx = new Counter('idx');
export const options = { scenarios: {
  shared: { executor: 'shared-iterations', vus: 3, iterations: 20 },
  pervu: { executor: 'per-vu-iterations', vus: 3, iterations: 2, exec: 'pervu' },
  car: { executor: 'constant-arrival-rate', rate: 30, timeUnit: '1s', duration: '1s', preAllocatedVUs: 3, exec: 'car' },
} };
export default function () { idx.add(1, { i: String(exec.scenario.iterationInTest), sc: 'shared' }); }
export function pervu() { idx.add(1, { i: String(exec.scenario.iterationInTest), sc: 'pervu' }); }
export function car() { idx.add(1, { i: String(exec.scenario.iterationInTest), sc: 'car' }); }
`
	whole := runScript(t, src, runOpts{})
	whole.wantCode(t, 0)
	seq := "0,1/3,2/3,1"
	segs := []string{"0:1/3", "1/3:2/3", "2/3:1"}
	parts := make([]*result, len(segs))
	var wg sync.WaitGroup
	for i, seg := range segs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			parts[i] = runScript(t, src, runOpts{args: []string{"--execution-segment", seg, "--execution-segment-sequence", seq}})
		}()
	}
	wg.Wait()
	count := func(r *result) map[string][]string {
		out := map[string][]string{}
		for _, p := range r.pointsOf("idx") {
			out[p.Tags["sc"]] = append(out[p.Tags["sc"]], p.Tags["i"])
		}
		return out
	}
	wantCounts := count(whole)
	if len(wantCounts["shared"]) != 20 || len(wantCounts["pervu"]) != 6 {
		t.Errorf("single instance: %v", wantCounts)
	}
	union := map[string][]string{}
	for i, p := range parts {
		p.wantCode(t, 0)
		for sc, idxs := range count(p) {
			union[sc] = append(union[sc], idxs...)
		}
		if n := len(count(p)["shared"]); n < 6 || n > 7 {
			t.Errorf("segment %s ran %d of the 20 shared iterations", segs[i], n)
		}
	}
	for _, sc := range []string{"shared", "pervu", "car"} {
		got, want := union[sc], wantCounts[sc]
		if sc == "car" {
			// a busy machine may drop some (3 VUs), but started + dropped is the schedule's 30,
			// for one instance and for the three segments together
			dropped := func(r *result) int {
				if !r.hasMetric("dropped_iterations") {
					return 0
				}
				return int(r.value(t, "dropped_iterations", "count"))
			}
			partsTotal := len(got)
			for _, p := range parts {
				partsTotal += dropped(p)
			}
			if one := len(want) + dropped(whole); one != 30 || partsTotal != 30 {
				t.Errorf("car: started + dropped = %d in one instance, %d in three segments; want 30 both", one, partsTotal)
			}
		} else if len(got) != len(want) {
			t.Errorf("%s: three segments ran %d iterations, one instance %d", sc, len(got), len(want))
		}
		// every iterationInTest is run exactly once across the segments
		seen := map[string]bool{}
		for _, i := range got {
			if seen[i] {
				t.Errorf("%s: iterationInTest %s ran twice across segments", sc, i)
			}
			seen[i] = true
		}
	}
}
