package metrics

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"
)

func TestSummaryDataShape(t *testing.T) {
	c, b, reg := newTestCollector(t, map[string]any{
		"http_req_duration{endpoint:api-list}": []any{"p(95) < 300", map[string]any{"threshold": "max<1", "abortOnFail": true}},
	})
	custom, _ := reg.NewMetric("my_gauge", Gauge, Default)
	root := c.RootGroup()
	root.Check("status is 200").Record(true)
	root.Check("status is 200").Record(false)
	g := root.Child("checkout")
	g.Check("paid").Record(true)
	g.Child("inner")
	c.Push(sample(b.HTTPReqDuration, 12.5, "endpoint", "api-list"), sample(b.DataSent, 2048), sample(custom, 7))
	data := c.SummaryData(1500*time.Millisecond, SummaryOptions{TimeUnit: "ms", NoColor: true, IsStdOutTTY: true})

	// must be JSON-serialisable as is (handleSummary / --summary-export)
	raw, err := json.Marshal(data)
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	json.Unmarshal(raw, &back)

	rg := back["root_group"].(map[string]any)
	if rg["name"] != "" || rg["path"] != "" || rg["id"] != md5hex("") {
		t.Fatal(rg)
	}
	checks := rg["checks"].([]any)
	ck := checks[0].(map[string]any)
	if len(checks) != 1 || ck["name"] != "status is 200" || ck["path"] != "::status is 200" || ck["passes"] != 1.0 || ck["fails"] != 1.0 || ck["id"] != md5hex("::status is 200") {
		t.Fatal(checks)
	}
	groups := rg["groups"].([]any)
	cg := groups[0].(map[string]any)
	if cg["name"] != "checkout" || cg["path"] != "::checkout" || len(cg["checks"].([]any)) != 1 || len(cg["groups"].([]any)) != 1 {
		t.Fatal(cg)
	}
	if inner := cg["groups"].([]any)[0].(map[string]any); inner["path"] != "::checkout::inner" || len(inner["checks"].([]any)) != 0 {
		t.Fatal(inner)
	}
	opts := back["options"].(map[string]any)
	if opts["summaryTimeUnit"] != "ms" || opts["noColor"] != true || len(opts["summaryTrendStats"].([]any)) != 6 {
		t.Fatal(opts)
	}
	st := back["state"].(map[string]any)
	if st["isStdOutTTY"] != true || st["isStdErrTTY"] != false || st["testRunDurationMs"] != 1500.0 {
		t.Fatal(st)
	}
	ms := back["metrics"].(map[string]any)
	d := ms["http_req_duration"].(map[string]any)
	if d["type"] != "trend" || d["contains"] != "time" {
		t.Fatal(d)
	}
	vals := d["values"].(map[string]any)
	for _, k := range DefaultTrendStats {
		if vals[k] != 12.5 {
			t.Errorf("%s=%v", k, vals[k])
		}
	}
	if len(vals) != len(DefaultTrendStats) {
		t.Fatal(vals)
	}
	sub := ms["http_req_duration{endpoint:api-list}"].(map[string]any)
	th := sub["thresholds"].(map[string]any)
	if th["p(95) < 300"].(map[string]any)["ok"] != true || th["max<1"].(map[string]any)["ok"] != false {
		t.Fatal(th)
	}
	ds := ms["data_sent"].(map[string]any)
	if ds["contains"] != "data" || ds["values"].(map[string]any)["count"] != 2048.0 || math.Abs(ds["values"].(map[string]any)["rate"].(float64)-2048/1.5) > 1e-9 {
		t.Fatal(ds)
	}
	if mg := ms["my_gauge"].(map[string]any)["values"].(map[string]any); mg["value"] != 7.0 || mg["min"] != 7.0 || mg["max"] != 7.0 {
		t.Fatal(mg)
	}
}

func TestSummaryTrendStatsOption(t *testing.T) {
	reg := NewRegistry()
	b := RegisterBuiltins(reg)
	c, err := NewCollector(CollectorConfig{Registry: reg, TrendStats: []string{"avg", "p(99)", "count"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	for i := 1; i <= 10; i++ {
		c.Push(sample(b.IterationDuration, float64(i)))
	}
	vals := c.SummaryData(time.Second, SummaryOptions{})["metrics"].(map[string]any)["iteration_duration"].(map[string]any)["values"].(map[string]any)
	if len(vals) != 3 || vals["count"] != 10.0 || vals["avg"] != 5.5 || math.Abs(vals["p(99)"].(float64)-9.91) > 1e-9 {
		t.Fatal(vals)
	}
	vals = c.SummaryData(time.Second, SummaryOptions{TrendStats: []string{"min", "p(50)"}})["metrics"].(map[string]any)["iteration_duration"].(map[string]any)["values"].(map[string]any)
	if len(vals) != 2 || vals["min"] != 1.0 || vals["p(50)"] != 5.5 {
		t.Fatal(vals)
	}
}

func TestSortedMetricKeys(t *testing.T) {
	keys := sortedMetricKeys(map[string]any{"http_req_duration_x": 1, "http_req_duration{b:1}": 1, "http_req_duration": 1, "http_req_duration{a:1}": 1, "checks": 1})
	if got := strings.Join(keys, " "); got != "checks http_req_duration http_req_duration{a:1} http_req_duration{b:1} http_req_duration_x" {
		t.Fatal(got)
	}
}
