package js

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"swarm-gameday/engine/internal/js/modules"
	"swarm-gameday/engine/internal/metrics"
)

type sink struct {
	mu      sync.Mutex
	samples []metrics.Sample
}

func (s *sink) push(ss ...metrics.Sample) {
	s.mu.Lock()
	s.samples = append(s.samples, ss...)
	s.mu.Unlock()
}

func newTestVU(t *testing.T, src string) (*VU, *bytes.Buffer) {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, "s.js")
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	_ = os.WriteFile(filepath.Join(dir, "data.txt"), []byte("hello"), 0o644)
	sc, err := Compile(p, []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	reg := metrics.NewRegistry()
	var log bytes.Buffer
	env := &Env{Script: sc, Env: map[string]string{"FOO": "bar"}, Registry: reg, Builtins: metrics.RegisterBuiltins(reg), Logger: NewLogger(&log)}
	vu, err := NewVU(env, 1)
	if err != nil {
		t.Fatal(err)
	}
	return vu, &log
}

func state(s *sink) *modules.State {
	return &modules.State{Push: s.push, Group: metrics.NewRootGroup(), SystemTags: map[string]bool{"check": true, "group": true}}
}

func TestInteropAndChecks(t *testing.T) {
	vu, log := newTestVU(t, `
import { check, group } from 'k6';
import k6 from 'k6';
import { Trend } from 'k6/metrics';
const t = new Trend('my_trend', true);
const txt = open('./data.txt');
export const options = { vus: 2, tags: { a: 'b' } };
export default function (data) {
  console.log('env', __ENV.FOO, txt, { x: 1 });
  group('g1', () => { check(1, { 'is one': (v) => v === 1, 'is two': (v) => v === 2 }, { extra: 'y' }); });
  k6.check(true, { ok: true });
  t.add(12, { k: 'v' });
  return data;
}
export async function asyncFn() { await new Promise((r) => setTimeout(r, 20)); throw new Error('late boom'); }
export function busy() { for (;;) {} }
`)
	opts, err := vu.OptionsJSON()
	if err != nil || string(opts) != `{"vus":2,"tags":{"a":"b"}}` {
		t.Fatalf("options %s %v", opts, err)
	}
	s := &sink{}
	st := state(s)
	if err := vu.RunIteration(context.Background(), st, "default", []byte(`{"x":1}`)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), `level=info msg="env bar hello {\"x\":1}" source=console`) {
		t.Errorf("log: %s", log.String())
	}
	var checks, trends int
	checkNames := map[string]bool{}
	for _, smp := range s.samples {
		switch smp.Metric.Name {
		case "checks":
			checks++
			checkNames[smp.Tags["check"]] = true
			if smp.Tags["check"] == "is two" && (smp.Tags["group"] != "::g1" || smp.Tags["extra"] != "y" || smp.Value != 0) {
				t.Errorf("check sample %+v", smp)
			}
			if smp.Tags["check"] == "is one" && (smp.Tags["group"] != "::g1" || smp.Tags["extra"] != "y" || smp.Value != 1) {
				t.Errorf("check sample %+v", smp)
			}
		case "my_trend":
			trends++
			if smp.Value != 12 || smp.Tags["k"] != "v" || smp.Metric.Contains != metrics.Time {
				t.Errorf("trend sample %+v", smp)
			}
		}
	}
	// one sample per check, each with its own name (the two of one call do not share a tag map)
	if !checkNames["is one"] || !checkNames["is two"] || !checkNames["ok"] {
		t.Errorf("check names %v", checkNames)
	}
	if checks != 3 || trends != 1 {
		t.Errorf("checks %d trends %d", checks, trends)
	}
	err = vu.RunIteration(context.Background(), state(s), "asyncFn", nil)
	se, ok := err.(*ScriptError)
	if !ok || !strings.Contains(se.Message, "late boom") {
		t.Fatalf("async err %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = vu.RunIteration(ctx, state(s), "busy", nil)
	if !IsInterrupted(err) || time.Since(start) > time.Second {
		t.Fatalf("busy: %v after %v", err, time.Since(start))
	}
	// the VU is usable after an interrupt
	if err := vu.RunIteration(context.Background(), state(s), "default", nil); err != nil {
		t.Fatal(err)
	}
}

func TestUnknownModule(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "s.js")
	src := "import x from 'k6/nope'; export default function () {}"
	sc, err := Compile(p, []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	reg := metrics.NewRegistry()
	_, err = NewVU(&Env{Script: sc, Registry: reg, Logger: NewLogger(&bytes.Buffer{})}, 0)
	if err == nil || !strings.Contains(err.Error(), `unknown module "k6/nope"`) {
		t.Fatalf("got %v", err)
	}
}

// check() reads a mutable check set and tag set on every call; frozen ones once (js/frozen). The
// tags every sample carries follow exec.vu.tags and group() as they change within an iteration.
func TestCheckSetsTagsAndVUTagsFollowChanges(t *testing.T) {
	vu, _ := newTestVU(t, `
import { check, group } from 'k6';
import exec from 'k6/execution';
const sets = { a: () => true };
const tags = { step: '0' };
const frozenSet = Object.freeze({ f: (v) => v > 1 });
const frozenTags = Object.freeze({ kind: 'frozen' });
let n = 0;
export default function () {
  n++;
  if (n === 3) sets.b = () => false;
  tags.step = String(n);
  check(n, sets, tags);
  check(n, frozenSet, frozenTags);
  exec.vu.tags.phase = 'p' + n;
  check(n, frozenSet);
  group('g', () => { check(n, frozenSet, frozenTags); });
}
`)
	s := &sink{}
	for i := 0; i < 4; i++ {
		if err := vu.RunIteration(context.Background(), state(s), "default", nil); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for _, smp := range s.samples {
		if smp.Metric.Name != "checks" {
			continue
		}
		got = append(got, fmt.Sprintf("%s=%v step=%s kind=%s phase=%s group=%s",
			smp.Tags["check"], smp.Value, smp.Tags["step"], smp.Tags["kind"], smp.Tags["phase"], smp.Tags["group"]))
	}
	var want []string
	for n := 1; n <= 4; n++ {
		want = append(want, fmt.Sprintf("a=1 step=%d kind= phase=%s group=", n, phase(n-1)))
		if n >= 3 {
			want = append(want, fmt.Sprintf("b=0 step=%d kind= phase=%s group=", n, phase(n-1)))
		}
		f := map[bool]int{true: 1, false: 0}[n > 1]
		want = append(want,
			fmt.Sprintf("f=%d step= kind=frozen phase=%s group=", f, phase(n-1)),
			fmt.Sprintf("f=%d step= kind= phase=p%d group=", f, n),
			fmt.Sprintf("f=%d step= kind=frozen phase=p%d group=::g", f, n))
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("check samples:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func phase(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("p%d", n)
}
