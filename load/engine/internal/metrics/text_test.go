package metrics

import (
	"strings"
	"testing"
	"time"
)

func TestTextSummary(t *testing.T) {
	c, b, _ := newTestCollector(t, map[string]any{
		"http_req_duration":                    "p(95)<300",
		"http_req_duration{endpoint:api-list}": "max<1",
	})
	root := c.RootGroup()
	root.Check("status is 200").Record(true)
	ck := root.Child("login").Check("token ok")
	ck.Record(true)
	ck.Record(false)
	c.Push(sample(b.HTTPReqDuration, 144.56, "endpoint", "api-list"), sample(b.HTTPReqDuration, 0.5),
		sample(b.HTTPReqFailed, 0), sample(b.HTTPReqs, 1), sample(b.DataReceived, 1300000), sample(b.VUs, 3), sample(b.Iterations, 1))
	data := c.SummaryData(2*time.Second, SummaryOptions{})
	out := TextSummary(data, true)
	if strings.Contains(out, "\x1b[") {
		t.Fatal("ANSI with noColor")
	}
	for _, want := range []string{
		"✓ status is 200",
		"█ login",
		"✗ token ok",
		"↳  50% — ✓ 1 / ✗ 1",
		"✓ http_req_duration",
		"avg=72.53ms min=500µs med=72.53ms max=144.56ms p(90)=130.15ms p(95)=137.36ms",
		"✗   { endpoint:api-list }",
		"✗ 'max<1'",
		"http_req_failed",
		": 0.00% ✓ 0 ✗ 1",
		"http_reqs", ": 1 0.5/s",
		"data_received", ": 1.3 MB 650 kB/s",
		"vus", ": 3 min=3 max=3",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
	// aligned: every metric line has its ':' in the same column
	col := -1
	for _, l := range strings.Split(out, "\n") {
		if i := strings.Index(l, "..:"); i >= 0 {
			n := len([]rune(l[:i]))
			if col >= 0 && n != col {
				t.Errorf("misaligned line %q", l)
			}
			col = n
		}
	}
	if colored := TextSummary(data, false); !strings.Contains(colored, "\x1b[32m✓\x1b[0m") || !strings.Contains(colored, "\x1b[31m") {
		t.Fatal("no colors")
	}
}

func TestFormatters(t *testing.T) {
	dur := map[float64]string{0: "0s", 0.007: "7µs", 0.01225: "12.25µs", 144.56: "144.56ms", 1140: "1.14s", 90000: "1m30s",
		3723000: "1h2m3s", 0.0000005: "0.5ns", -5: "-5ms"}
	for v, want := range dur {
		if got := formatDuration(v, ""); got != want {
			t.Errorf("%v: %q want %q", v, got, want)
		}
	}
	if got := formatDuration(1500, "ms"); got != "1500ms" {
		t.Error(got)
	}
	if got := formatDuration(1500, "s"); got != "1.5s" {
		t.Error(got)
	}
	bytes := map[float64]string{500: "500 B", 81000: "81 kB", 1300000: "1.3 MB", 2000: "2.0 kB", 0: "0 B"}
	for v, want := range bytes {
		if got := formatBytes(v); got != want {
			t.Errorf("%v: %q want %q", v, got, want)
		}
	}
	if formatNumber(152.3555555) != "152.355556" || formatNumber(120) != "120" {
		t.Error(formatNumber(152.3555555))
	}
}

func TestTextSummaryFromJSRoundTrip(t *testing.T) {
	// what a handleSummary might hand back: ints instead of floats, []any lists
	data := map[string]any{
		"options":    map[string]any{"summaryTrendStats": []any{"avg", "count"}},
		"root_group": map[string]any{"checks": []any{map[string]any{"name": "c", "passes": int64(2), "fails": int64(0)}}, "groups": []any{}},
		"metrics": map[string]any{
			"t": map[string]any{"type": "trend", "contains": "default", "values": map[string]any{"avg": int64(3), "count": int64(4)}},
		},
	}
	out := TextSummary(data, true)
	if !strings.Contains(out, "✓ c") || !strings.Contains(out, "avg=3 count=4") {
		t.Fatal(out)
	}
	if TextSummary(map[string]any{}, true) != "" {
		t.Fatal("empty data")
	}
}
