package conformance

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// decodeFramed takes the framed JSON lines out of a `--out json=-` stdout, checks the end marker's
// line count, and returns the lines and the marker's durationMs.
func decodeFramed(t *testing.T, stdout string) (string, float64) {
	t.Helper()
	var b strings.Builder
	n, want, dur := 0, -1, 0.0
	for _, line := range strings.Split(stdout, "\n") {
		switch {
		case strings.HasPrefix(line, "@gd "):
			b.WriteString(strings.TrimPrefix(line, "@gd "))
			b.WriteByte('\n')
			n++
		case strings.HasPrefix(line, "@gdend "):
			for _, f := range strings.Fields(strings.TrimPrefix(line, "@gdend ")) {
				k, v, _ := strings.Cut(f, "=")
				switch k {
				case "lines":
					want, _ = strconv.Atoi(v)
				case "durationMs":
					dur, _ = strconv.ParseFloat(v, 64)
				}
			}
		}
	}
	if want != n {
		t.Fatalf("framed stdout: end marker says %d lines, got %d\n%s", want, n, stdout)
	}
	return b.String(), dur
}

const aggScript = `
import http from 'k6/http';
import { check, group } from 'k6';
import { Trend } from 'k6/metrics';
import exec from 'k6/execution';
const t = new Trend('my_trend');
export const options = {
  scenarios: { s: { executor: 'shared-iterations', vus: 3, iterations: 60 } },
  thresholds: { iterations: ['count<50'], http_req_duration: ['p(95)<5000'], 'my_trend': ['max<1000'] },
  summaryTrendStats: ['avg', 'p(50)', 'p(99)', 'count'],
};
export default function () {
  group('g', () => {
    const r = http.get(__ENV.BASE + '/');
    check(r, { 'is 200': (x) => x.status === 200, 'never': () => false });
  });
  t.add(exec.scenario.iterationInTest % 10);
}
`

// Three segments each stay under `count<50` iterations (exit 0); aggregated, the 60 iterations
// cross it (exit 99), and the merged summary equals one instance's.
func TestAggregateSegments(t *testing.T) {
	t.Parallel()
	whole := runScript(t, aggScript, runOpts{})
	whole.wantCode(t, 99)
	segs := []string{"0:1/3", "1/3:2/3", "2/3:1"}
	parts := make([]*result, len(segs))
	var wg sync.WaitGroup
	for i, seg := range segs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			parts[i] = runScript(t, aggScript, runOpts{args: []string{"--out", "json=-", "--execution-segment", seg, "--execution-segment-sequence", "0,1/3,2/3,1"}})
		}()
	}
	wg.Wait()
	dir, path := writeScript(t, aggScript, runOpts{})
	args := []string{"aggregate", "--no-color", "-e", "SUMMARY_FILE=" + filepath.Join(dir, "summary.json"), "--out", "json=" + filepath.Join(dir, "merged.json.gz")}
	maxDur := 0.0
	for i, p := range parts {
		p.wantCode(t, 0)
		if !p.thresholdOK(t, "iterations", "count<50") {
			t.Errorf("segment %d: count<50 failed on its own share", i)
		}
		lines, dur := decodeFramed(t, p.stdout)
		maxDur = max(maxDur, dur)
		f := filepath.Join(dir, "part"+strconv.Itoa(i)+".json")
		if err := os.WriteFile(f, []byte(lines), 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, "--in", f)
	}
	if maxDur <= 0 {
		t.Fatalf("no durationMs in the end markers")
	}
	args = append(args, "--test-run-duration", strconv.FormatFloat(maxDur, 'f', 3, 64), path)
	agg := execEngine(t, dir, args, runOpts{})
	agg.wantCode(t, 99)
	b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		t.Fatalf("aggregate wrote no summary via handleSummary: %v\n%s", err, agg.dump())
	}
	if err := json.Unmarshal(b, &agg.summary); err != nil {
		t.Fatal(err)
	}
	if agg.thresholdOK(t, "iterations", "count<50") {
		t.Errorf("merged: count<50 passed on 60 iterations")
	}
	if !agg.thresholdOK(t, "http_req_duration", "p(95)<5000") || !agg.thresholdOK(t, "my_trend", "max<1000") {
		t.Errorf("merged: a threshold that holds failed")
	}
	for _, m := range []string{"iterations", "http_reqs"} {
		if w, g := whole.value(t, m, "count"), agg.value(t, m, "count"); w != g || g != 60 {
			t.Errorf("%s count: single %v, merged %v", m, w, g)
		}
	}
	if w, g := whole.value(t, "my_trend", "p(50)"), agg.value(t, "my_trend", "p(50)"); w != g {
		t.Errorf("my_trend p(50): single %v, merged %v", w, g)
	}
	if g := agg.value(t, "my_trend", "count"); g != 60 {
		t.Errorf("my_trend count %v", g)
	}
	// the instances' durations go through JSON and nanoseconds: equal to a microsecond
	if ms := agg.summary["state"].(map[string]any)["testRunDurationMs"].(float64); math.Abs(ms-maxDur) > 0.001 {
		t.Errorf("testRunDurationMs %v, want %v", ms, maxDur)
	}
	// checks and groups rebuilt from the samples
	root := agg.summary["root_group"].(map[string]any)
	groups := root["groups"].([]any)
	if len(groups) != 1 || groups[0].(map[string]any)["name"] != "g" {
		t.Fatalf("groups: %v", groups)
	}
	g := groups[0].(map[string]any)
	wantChecks := map[string][2]float64{"is 200": {60, 0}, "never": {0, 60}}
	for _, c := range g["checks"].([]any) {
		cm := c.(map[string]any)
		w := wantChecks[cm["name"].(string)]
		if cm["passes"] != w[0] || cm["fails"] != w[1] || cm["path"] != "::g::"+cm["name"].(string) {
			t.Errorf("check %v, want passes/fails %v", cm, w)
		}
		delete(wantChecks, cm["name"].(string))
	}
	if len(wantChecks) > 0 {
		t.Errorf("checks missing: %v", wantChecks)
	}
	if w, g := whole.value(t, "checks", "rate"), agg.value(t, "checks", "rate"); w != g {
		t.Errorf("checks rate single %v merged %v", w, g)
	}
	// the merged stream holds every instance's points
	points, _ := readJSONOut(t, filepath.Join(dir, "merged.json.gz"))
	n := 0
	for _, p := range points {
		if p.Metric == "http_reqs" {
			n++
		}
	}
	if n != 60 {
		t.Errorf("merged stream: %d http_reqs points, want 60", n)
	}
	for i := 1; i < len(points); i++ {
		if points[i].Time.Before(points[i-1].Time) {
			t.Fatalf("merged stream not in time order at %d", i)
		}
	}
}

func TestAggregateErrors(t *testing.T) {
	t.Parallel()
	dir, path := writeScript(t, aggScript, runOpts{})
	bad := filepath.Join(dir, "bad.json")
	_ = os.WriteFile(bad, []byte("{not json\n"), 0o644)
	r := execEngine(t, dir, []string{"aggregate", "--in", bad, path}, runOpts{})
	r.wantCode(t, 104)
	if !strings.Contains(r.stderr, "bad.json") {
		t.Errorf("error does not name the file: %s", r.stderr)
	}
	r = execEngine(t, dir, []string{"aggregate", path}, runOpts{})
	if r.code == 0 {
		t.Errorf("aggregate without --in: exit 0")
	}
	r = execEngine(t, dir, []string{"run", "--start-at", "tomorrow", path}, runOpts{})
	r.wantCode(t, 104)
}

// --start-at: the first iteration starts no earlier than the given time.
func TestStartAt(t *testing.T) {
	t.Parallel()
	at := time.Now().Add(2 * time.Second).UTC().Truncate(time.Millisecond)
	src := `
export const options = { iterations: 1 };
export default function () {}
`
	r := runScript(t, src, runOpts{args: []string{"--start-at", at.Format(time.RFC3339Nano)}})
	r.wantCode(t, 0)
	its := r.pointsOf("iterations")
	if len(its) != 1 {
		t.Fatalf("iterations points: %d", len(its))
	}
	if its[0].Time.Before(at) || its[0].Time.After(at.Add(3*time.Second)) {
		t.Errorf("iteration at %v, --start-at %v", its[0].Time, at)
	}
}
