// Package conformance runs the gameday-engine binary end to end: small k6 scripts against a
// local fake server, checked through the exit code, the handleSummary JSON, the JSON-lines output
// and the log lines.
package conformance

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

var (
	engineBin string
	fakeURL   string
	fakeHits  atomic.Int64
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "gameday-engine-conformance")
	if err != nil {
		panic(err)
	}
	// GAMEDAY_ENGINE_BIN: test a binary built elsewhere (e.g. with -race)
	if engineBin = os.Getenv("GAMEDAY_ENGINE_BIN"); engineBin == "" {
		engineBin = filepath.Join(dir, "gameday-engine")
		build := exec.Command("go", "build", "-o", engineBin, "..")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "building the engine failed:", err)
			os.Exit(1)
		}
	}
	srv := httptest.NewServer(http.HandlerFunc(fakeHandler))
	fakeURL = srv.URL
	code := m.Run()
	srv.Close()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// fakeHandler: /status/N answers N, /slow?ms=N waits, /echo returns the request as JSON, else 200 "ok".
func fakeHandler(w http.ResponseWriter, r *http.Request) {
	fakeHits.Add(1)
	switch {
	case strings.HasPrefix(r.URL.Path, "/status/"):
		n, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/status/"))
		w.WriteHeader(n)
		_, _ = io.WriteString(w, "status")
	case r.URL.Path == "/slow":
		ms, _ := strconv.Atoi(r.URL.Query().Get("ms"))
		select {
		case <-time.After(time.Duration(ms) * time.Millisecond):
		case <-r.Context().Done():
		}
		_, _ = io.WriteString(w, "slow")
	case r.URL.Path == "/echo":
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"method": r.Method, "ua": r.UserAgent(), "body": string(body)})
	default:
		_, _ = io.WriteString(w, "ok")
	}
}

// summaryExport is appended to scripts that do not define handleSummary themselves.
const summaryExport = `
export function handleSummary(data) {
  return { [__ENV.SUMMARY_FILE]: JSON.stringify(data) };
}
`

type result struct {
	code           int
	stdout, stderr string
	dir            string
	elapsed        time.Duration
	summary        map[string]any
	points         []point
	metricsDecl    map[string]map[string]any
}

type point struct {
	Metric string
	Time   time.Time
	Value  float64
	Tags   map[string]string
}

type runOpts struct {
	args  []string
	files map[string]string // extra files next to the script
	noHS  bool              // do not append the handleSummary export
	// signal: send SIGINT once stdout contains this string
	interruptOn string
	timeout     time.Duration
}

func writeScript(t *testing.T, src string, o runOpts) (dir, path string) {
	t.Helper()
	dir = t.TempDir()
	if !o.noHS && !strings.Contains(src, "handleSummary") {
		src += summaryExport
	}
	path = filepath.Join(dir, "script.js")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, content := range o.files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir, path
}

// runScript runs `gameday-engine run` on src and collects everything.
func runScript(t *testing.T, src string, o runOpts) *result {
	t.Helper()
	dir, path := writeScript(t, src, o)
	summaryFile := filepath.Join(dir, "summary.json")
	outFile := filepath.Join(dir, "out.json.gz")
	args := append([]string{"run", "--no-color", "-q", "--out", "json=" + outFile,
		"-e", "BASE=" + fakeURL, "-e", "SUMMARY_FILE=" + summaryFile}, o.args...)
	args = append(args, path)
	res := execEngine(t, dir, args, o)
	if b, err := os.ReadFile(summaryFile); err == nil {
		if err := json.Unmarshal(b, &res.summary); err != nil {
			t.Fatalf("summary.json: %v", err)
		}
	}
	res.points, res.metricsDecl = readJSONOut(t, outFile)
	return res
}

func execEngine(t *testing.T, dir string, args []string, o runOpts) *result {
	t.Helper()
	timeout := o.timeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, engineBin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GAMEDAY_CONFORMANCE=1")
	var stdout, stderr syncBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if o.interruptOn != "" {
		go func() {
			for ctx.Err() == nil {
				if strings.Contains(stdout.String(), o.interruptOn) || strings.Contains(stderr.String(), o.interruptOn) {
					_ = cmd.Process.Signal(syscall.SIGINT)
					return
				}
				time.Sleep(20 * time.Millisecond)
			}
		}()
	}
	err := cmd.Wait()
	res := &result{dir: dir, elapsed: time.Since(start), stdout: stdout.String(), stderr: stderr.String()}
	if ctx.Err() != nil {
		t.Fatalf("engine timed out after %v\nstdout:\n%s\nstderr:\n%s", timeout, res.stdout, res.stderr)
	}
	if strings.Contains(res.stderr, "WARNING: DATA RACE") {
		t.Errorf("data race in the engine:\n%s", res.stderr)
	}
	if ee, ok := err.(*exec.ExitError); ok {
		res.code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return res
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func readJSONOut(t *testing.T, path string) ([]point, map[string]map[string]any) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		return nil, nil
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var pts []point
	decl := map[string]map[string]any{}
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var line struct {
			Type   string          `json:"type"`
			Metric string          `json:"metric"`
			Data   json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("bad JSON line %q: %v", sc.Text(), err)
		}
		switch line.Type {
		case "Metric":
			var d map[string]any
			_ = json.Unmarshal(line.Data, &d)
			decl[line.Metric] = d
		case "Point":
			if _, ok := decl[line.Metric]; !ok {
				t.Fatalf("Point of %s before its Metric line", line.Metric)
			}
			var d struct {
				Time  time.Time         `json:"time"`
				Value float64           `json:"value"`
				Tags  map[string]string `json:"tags"`
			}
			if err := json.Unmarshal(line.Data, &d); err != nil {
				t.Fatalf("bad point %q: %v", sc.Text(), err)
			}
			pts = append(pts, point{Metric: line.Metric, Time: d.Time, Value: d.Value, Tags: d.Tags})
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return pts, decl
}

// --- accessors ---

func (r *result) dump() string {
	return fmt.Sprintf("exit %d after %v\nstdout:\n%s\nstderr:\n%s", r.code, r.elapsed, r.stdout, r.stderr)
}

func (r *result) wantCode(t *testing.T, code int) {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit code: want %d, got %d\n%s", code, r.code, r.dump())
	}
}

func (r *result) metric(t *testing.T, name string) map[string]any {
	t.Helper()
	ms, _ := r.summary["metrics"].(map[string]any)
	m, ok := ms[name].(map[string]any)
	if !ok {
		keys := make([]string, 0, len(ms))
		for k := range ms {
			keys = append(keys, k)
		}
		t.Fatalf("summary has no metric %q (has %v)\n%s", name, keys, r.dump())
	}
	return m
}

func (r *result) hasMetric(name string) bool {
	ms, _ := r.summary["metrics"].(map[string]any)
	_, ok := ms[name]
	return ok
}

func (r *result) value(t *testing.T, name, key string) float64 {
	t.Helper()
	vals, _ := r.metric(t, name)["values"].(map[string]any)
	v, ok := vals[key].(float64)
	if !ok {
		t.Fatalf("metric %s has no value %q: %v", name, key, vals)
	}
	return v
}

func (r *result) thresholdOK(t *testing.T, name, expr string) bool {
	t.Helper()
	th, _ := r.metric(t, name)["thresholds"].(map[string]any)
	e, ok := th[expr].(map[string]any)
	if !ok {
		t.Fatalf("metric %s has no threshold %q: %v", name, expr, th)
	}
	return e["ok"].(bool)
}

func (r *result) pointsOf(name string) []point {
	var out []point
	for _, p := range r.points {
		if p.Metric == name {
			out = append(out, p)
		}
	}
	return out
}

// console returns the msg of every `source=console` log line.
func (r *result) console(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, line := range strings.Split(r.stderr, "\n") {
		if !strings.HasSuffix(line, "source=console") {
			continue
		}
		i := strings.Index(line, "msg=")
		if i < 0 {
			continue
		}
		rest := line[i+4:]
		rest = strings.TrimSuffix(rest, " source=console")
		msg, err := strconv.Unquote(rest)
		if err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		out = append(out, msg)
	}
	return out
}

// consoleJSON decodes console lines starting with prefix as JSON objects.
func (r *result) consoleJSON(t *testing.T, prefix string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, m := range r.console(t) {
		if !strings.HasPrefix(m, prefix) {
			continue
		}
		var v map[string]any
		if err := json.Unmarshal([]byte(strings.TrimPrefix(m, prefix)), &v); err != nil {
			t.Fatalf("console %q: %v", m, err)
		}
		out = append(out, v)
	}
	return out
}

func within(t *testing.T, what string, got, lo, hi float64) {
	t.Helper()
	if got < lo || got > hi {
		t.Errorf("%s: want %v..%v, got %v", what, lo, hi, got)
	}
}
