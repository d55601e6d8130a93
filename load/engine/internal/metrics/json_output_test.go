package metrics

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func readJSONLines(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var r io.Reader = f
	if filepath.Ext(path) == ".gz" {
		gz, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		r = gz
	}
	var out []map[string]any
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("bad line %q: %v", sc.Text(), err)
		}
		out = append(out, m)
	}
	return out
}

func TestJSONOutput(t *testing.T) {
	for _, name := range []string{"out.json", "out.json.gz"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), name)
			reg := NewRegistry()
			b := RegisterBuiltins(reg)
			out, err := NewJSONOutput(path, reg)
			if err != nil {
				t.Fatal(err)
			}
			th, _ := ParseThresholds(map[string]any{"http_reqs": "count>0", "http_reqs{a:b}": "count>0"})
			c, err := NewCollector(CollectorConfig{Registry: reg, Thresholds: th, Outputs: []Output{out}})
			if err != nil {
				t.Fatal(err)
			}
			c.Start()
			at := time.Date(2026, 12, 2, 14, 34, 45, 239531499, time.UTC)
			c.Push(Sample{Metric: b.HTTPReqs, Time: at, Value: 1, Tags: map[string]string{"method": "GET", "name": "a\"b\\c\n\x01é\xff"}})
			c.Push(Sample{Metric: b.HTTPReqs, Time: at, Value: 1})
			c.Push(Sample{Metric: b.HTTPReqDuration, Time: at, Value: 12.25})
			if err := c.Stop(); err != nil {
				t.Fatal(err)
			}
			lines := readJSONLines(t, path)
			if len(lines) != 5 {
				t.Fatalf("%d lines: %v", len(lines), lines)
			}
			m := lines[0]
			d := m["data"].(map[string]any)
			if m["type"] != "Metric" || m["metric"] != "http_reqs" || d["name"] != "http_reqs" || d["type"] != "counter" || d["contains"] != "default" || d["submetrics"] != nil {
				t.Fatal(m)
			}
			if ths := d["thresholds"].([]any); len(ths) != 1 || ths[0] != "count>0" {
				t.Fatal(ths)
			}
			p := lines[1]
			pd := p["data"].(map[string]any)
			if p["type"] != "Point" || p["metric"] != "http_reqs" || pd["time"] != "2026-12-02T14:34:45.239531499Z" || pd["value"] != 1.0 {
				t.Fatal(p)
			}
			if tags := pd["tags"].(map[string]any); tags["method"] != "GET" || tags["name"] != "a\"b\\c\n\x01é\ufffd" {
				t.Fatal(tags)
			}
			if lines[2]["type"] != "Point" || len(lines[2]["data"].(map[string]any)["tags"].(map[string]any)) != 0 {
				t.Fatal(lines[2])
			}
			if lines[3]["type"] != "Metric" || lines[3]["metric"] != "http_req_duration" || lines[3]["data"].(map[string]any)["contains"] != "time" ||
				len(lines[3]["data"].(map[string]any)["thresholds"].([]any)) != 0 {
				t.Fatal(lines[3])
			}
			if lines[4]["data"].(map[string]any)["value"] != 12.25 {
				t.Fatal(lines[4])
			}
		})
	}
}

func TestJSONOutputBadPath(t *testing.T) {
	if _, err := NewJSONOutput(filepath.Join(t.TempDir(), "no", "such", "dir.json"), nil); err == nil {
		t.Fatal("expected error")
	}
}

func TestJSONOutputThroughput(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.json.gz")
	out, err := NewJSONOutput(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := &Metric{Name: "http_req_duration", Type: Trend, Contains: Time}
	tags := map[string]string{"method": "GET", "status": "200", "name": "http://api/items", "scenario": "default", "endpoint": "api-list"}
	batch := make([]Sample, 1000)
	now := time.Now()
	for i := range batch {
		batch[i] = Sample{Metric: m, Time: now, Value: float64(i) * 0.5, Tags: tags}
	}
	start := time.Now()
	for i := 0; i < 100; i++ {
		out.AddSamples(batch)
	}
	if err := out.Stop(); err != nil {
		t.Fatal(err)
	}
	el := time.Since(start)
	t.Logf("100k samples in %v", el)
	if el > 3*time.Second { // generous: a shared 2-core machine; ~0.2s expected
		t.Fatalf("too slow: 100k samples took %v", el)
	}
	if n := len(readJSONLines(t, path)); n != 100001 {
		t.Fatal(n)
	}
	out.AddSamples(batch) // after Stop: ignored, no panic
}

func BenchmarkJSONOutput(b *testing.B) {
	out, _ := NewJSONOutput(filepath.Join(b.TempDir(), "b.json"), nil)
	m := &Metric{Name: "http_req_duration", Type: Trend, Contains: Time}
	s := []Sample{{Metric: m, Time: time.Now(), Value: 12.5, Tags: map[string]string{"method": "GET", "status": "200", "name": "x"}}}
	for i := 0; i < b.N; i++ {
		out.AddSamples(s)
	}
	out.Stop()
}
