package runner

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"swarm-gameday/engine/internal/js"
	"swarm-gameday/engine/internal/metrics"
	"swarm-gameday/engine/internal/sched"
)

// `aggregate` (ours, not k6's): the instances of one execution-segment sequence each wrote their
// JSON lines; their samples are replayed into one collector with the script's thresholds and
// summaryTrendStats, checks and groups are rebuilt from the checks samples' tags, and the summary
// (handleSummary, --summary-export, or the text summary) is written exactly as for a single run.

type jsonLine struct {
	Type   string `json:"type"`
	Metric string `json:"metric"`
	Data   struct {
		Name     string            `json:"name"`
		Type     string            `json:"type"`
		Contains string            `json:"contains"`
		Time     time.Time         `json:"time"`
		Value    *float64          `json:"value"`
		Tags     map[string]string `json:"tags"`
	} `json:"data"`
}

func parseMetricType(s string) (metrics.Type, bool) {
	switch s {
	case "counter":
		return metrics.Counter, true
	case "gauge":
		return metrics.Gauge, true
	case "rate":
		return metrics.Rate, true
	case "trend":
		return metrics.Trend, true
	}
	return 0, false
}

func parseValueType(s string) metrics.ValueType {
	switch s {
	case "time":
		return metrics.Time
	case "data":
		return metrics.Data
	}
	return metrics.Default
}

// readSamples reads one instance's JSON lines (gzip when the file starts with gzip's magic),
// registering metrics the script did not declare from their Metric lines.
func readSamples(path string, reg *metrics.Registry) ([]metrics.Sample, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 256<<10)
	var rd io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return nil, err
		}
		defer gz.Close()
		rd = gz
	}
	sc := bufio.NewScanner(rd)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	var out []metrics.Sample
	n := 0
	for sc.Scan() {
		n++
		line := sc.Bytes()
		if len(line) == 0 {
			continue
		}
		var l jsonLine
		if err := json.Unmarshal(line, &l); err != nil {
			return nil, fmt.Errorf("line %d: expected a JSON line of k6's --out json format: %v", n, err)
		}
		switch l.Type {
		case "Metric":
			if reg.Get(l.Data.Name) != nil {
				continue
			}
			t, ok := parseMetricType(l.Data.Type)
			if !ok {
				return nil, fmt.Errorf("line %d: metric %q: expected type counter, gauge, rate or trend, got %q", n, l.Data.Name, l.Data.Type)
			}
			if _, err := reg.NewMetric(l.Data.Name, t, parseValueType(l.Data.Contains)); err != nil {
				return nil, fmt.Errorf("line %d: %v", n, err)
			}
		case "Point":
			m := reg.Get(l.Metric)
			if m == nil {
				return nil, fmt.Errorf("line %d: a Point of metric %q before its Metric line", n, l.Metric)
			}
			if l.Data.Value == nil {
				continue // NaN/Inf were written as null
			}
			out = append(out, metrics.Sample{Metric: m, Time: l.Data.Time, Value: *l.Data.Value, Tags: l.Data.Tags})
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("line %d: %v", n+1, err)
	}
	return out, nil
}

// groupOf returns the group a "::a::b" path names, creating it.
func groupOf(root *metrics.Group, path string) *metrics.Group {
	g := root
	for _, name := range strings.Split(path, "::") {
		if name != "" {
			g = g.Child(name)
		}
	}
	return g
}

func (r *run) aggregate(initVU *js.VU) int {
	if len(r.flags.inputs) == 0 {
		r.errorf("aggregate needs at least one --in FILE (an instance's --out json file)")
		return ExitUsage
	}
	var elapsed time.Duration
	if r.flags.runDur != "" {
		var d time.Duration
		var err error
		if ms, perr := strconv.ParseFloat(r.flags.runDur, 64); perr == nil {
			d = time.Duration(ms * float64(time.Millisecond)) // a plain number: ms (like k6 durations)
		} else {
			d, err = sched.ParseDuration(r.flags.runDur)
		}
		if err != nil || d <= 0 {
			r.errorf("invalid flag --test-run-duration: expected a positive duration like \"20.5s\" (or ms), got %q", r.flags.runDur)
			return ExitInvalidConfig
		}
		elapsed = d
	}
	var all []metrics.Sample
	for _, in := range r.flags.inputs {
		s, err := readSamples(in, r.reg)
		if err != nil {
			r.errorf("--in %s: %v", in, err)
			return ExitInvalidConfig
		}
		all = append(all, s...)
	}
	// one stream in time order (each instance's own order kept for equal times)
	sort.SliceStable(all, func(i, j int) bool { return all[i].Time.Before(all[j].Time) })
	if elapsed == 0 && len(all) > 0 {
		elapsed = all[len(all)-1].Time.Sub(all[0].Time)
	}

	var outs []metrics.Output
	for _, o := range r.flags.out {
		typ, arg, _ := strings.Cut(o, "=")
		if typ != "json" || arg == "" || arg == "-" {
			r.errorf("invalid flag --out %q: aggregate writes the merged stream to json=FILE only", o)
			return ExitInvalidConfig
		}
		out, err := metrics.NewJSONOutput(arg, r.reg)
		if err != nil {
			r.errorf("invalid flag --out %q: %v", o, err)
			return ExitInvalidConfig
		}
		outs = append(outs, out)
	}
	col, err := metrics.NewCollector(metrics.CollectorConfig{
		Registry: r.reg, Thresholds: withSummarySubmetrics(r.opts.Thresholds, r.opts.SystemTags), TrendStats: r.opts.TrendStats, Outputs: outs,
	})
	if err != nil {
		r.errorf("%v", err)
		for _, o := range outs {
			_ = o.Stop()
		}
		return ExitInvalidConfig
	}
	r.col = col
	r.hardCtx, r.cancelHard = context.WithCancel(context.Background())
	defer r.cancelHard()
	col.Start()
	root := col.RootGroup()
	checks := r.builtins.Checks
	const chunk = 4096
	for i := 0; i < len(all); i += chunk {
		end := min(i+chunk, len(all))
		for j := i; j < end; j++ {
			s := &all[j]
			if p := s.Tags["group"]; p != "" {
				g := groupOf(root, p)
				if s.Metric == checks {
					if name, ok := s.Tags["check"]; ok {
						g.Check(name).Record(s.Value != 0)
					}
				}
			} else if s.Metric == checks {
				if name, ok := s.Tags["check"]; ok {
					root.Check(name).Record(s.Value != 0)
				}
			}
		}
		col.Push(all[i:end]...)
	}
	if err := col.Stop(); err != nil {
		r.log.Log("warning", fmt.Sprintf("output: %v", err))
	}
	if r.summary(initVU, elapsed) {
		return ExitThresholds
	}
	return ExitOK
}
