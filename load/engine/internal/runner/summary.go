package runner

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"swarm-gameday/engine/internal/js"
	"swarm-gameday/engine/internal/metrics"
)

func isTTY(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// thresholdsFailed scans summary data for a threshold with ok == false.
func thresholdsFailed(data map[string]any) bool {
	ms, _ := data["metrics"].(map[string]any)
	for _, m := range ms {
		mm, _ := m.(map[string]any)
		th, _ := mm["thresholds"].(map[string]any)
		for _, t := range th {
			tm, _ := t.(map[string]any)
			if ok, isBool := tm["ok"].(bool); isBool && !ok {
				return true
			}
		}
	}
	return false
}

// summary writes the end-of-test summary (handleSummary or the text summary, and the legacy
// export) and reports whether a threshold failed.
func (r *run) summary(vu *js.VU, elapsed time.Duration) bool {
	data := r.col.SummaryData(elapsed, metrics.SummaryOptions{
		TrendStats: r.opts.TrendStats, TimeUnit: r.opts.SummaryTimeUnit, NoColor: r.flags.noColor,
		IsStdOutTTY: isTTY(r.io.Stdout), IsStdErrTTY: isTTY(r.io.Stderr),
	})
	failed := thresholdsFailed(data)
	if r.flags.summaryExport != "" {
		if err := writeFile(r.flags.summaryExport, legacyExport(data)); err != nil {
			r.errorf("--summary-export: %v", err)
		}
	}
	if vu.HasExport("handleSummary") {
		if err := r.handleSummary(vu, data); err == nil {
			return failed
		} else {
			r.scriptErrorCode("handleSummary", err)
		}
	}
	if !r.flags.noSummary {
		fmt.Fprint(r.io.Stdout, metrics.TextSummary(data, r.flags.noColor || !isTTY(r.io.Stdout)))
	}
	return failed
}

func (r *run) handleSummary(vu *js.VU, data map[string]any) error {
	b, err := json.Marshal(data)
	if err != nil {
		return err
	}
	arg, err := vu.ParseJSON(b)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	stop := context.AfterFunc(r.hardCtx, cancel)
	defer stop()
	res, err := vu.Call(ctx, nil, "handleSummary", arg)
	if err != nil {
		return err
	}
	outs, err := vu.ExportOutputs(res)
	if err != nil {
		return err
	}
	for _, o := range outs {
		switch o.Key {
		case "stdout":
			_, _ = r.io.Stdout.Write(o.Data)
		case "stderr":
			_, _ = r.io.Stderr.Write(o.Data)
		default:
			if err := writeFile(o.Key, o.Data); err != nil {
				r.errorf("handleSummary: could not write %s: %v", o.Key, err)
			}
		}
	}
	return nil
}

func writeFile(path string, data []byte) error {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	return os.WriteFile(path, data, 0o644)
}

// legacyExport is the pre-handleSummary `--summary-export` format: metric values flattened into
// the metric object, thresholds as expression -> failed (true when the threshold was crossed),
// groups and checks as objects keyed by name.
func legacyExport(data map[string]any) []byte {
	out := map[string]any{}
	metricsOut := map[string]any{}
	ms, _ := data["metrics"].(map[string]any)
	for name, m := range ms {
		mm, _ := m.(map[string]any)
		flat := map[string]any{}
		vals, _ := mm["values"].(map[string]any)
		for k, v := range vals {
			if mm["type"] == "rate" && k == "rate" {
				k = "value"
			}
			flat[k] = v
		}
		if th, ok := mm["thresholds"].(map[string]any); ok {
			t := map[string]any{}
			for expr, res := range th {
				rm, _ := res.(map[string]any)
				okv, _ := rm["ok"].(bool)
				t[expr] = !okv
			}
			flat["thresholds"] = t
		}
		metricsOut[name] = flat
	}
	out["metrics"] = metricsOut
	if rg, ok := data["root_group"].(map[string]any); ok {
		out["root_group"] = legacyGroup(rg)
	}
	b, _ := json.MarshalIndent(out, "", "    ")
	return b
}

func legacyGroup(g map[string]any) map[string]any {
	out := map[string]any{"name": g["name"], "path": g["path"], "id": g["id"]}
	groups := map[string]any{}
	if gs, ok := g["groups"].([]any); ok {
		for _, sg := range gs {
			if m, ok := sg.(map[string]any); ok {
				groups[fmt.Sprint(m["name"])] = legacyGroup(m)
			}
		}
	}
	checks := map[string]any{}
	if cs, ok := g["checks"].([]any); ok {
		for _, c := range cs {
			if m, ok := c.(map[string]any); ok {
				checks[fmt.Sprint(m["name"])] = m
			}
		}
	}
	out["groups"], out["checks"] = groups, checks
	return out
}

// --- progress ---

func fmtRunning(d time.Duration) string {
	m := int(d / time.Minute)
	s := (d - time.Duration(m)*time.Minute).Seconds()
	return fmt.Sprintf("%dm%04.1fs", m, s)
}

func fmtMMSS(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	m := int(d / time.Minute)
	s := int((d - time.Duration(m)*time.Minute) / time.Second)
	return fmt.Sprintf("%02dm%02ds", m, s)
}

func (r *run) progress() {
	el := time.Since(r.start)
	ps := r.sch.Progress()
	var maxVUs int64
	for _, p := range ps {
		maxVUs += p.MaxVUs
	}
	if a := r.vusAllocated.Load(); a > maxVUs {
		maxVUs = a
	}
	w := len(fmt.Sprint(maxVUs))
	if w < 3 {
		w = 3
	}
	out := fmt.Sprintf("running (%s), %0*d/%0*d VUs, %d complete and %d interrupted iterations\n",
		fmtRunning(el), w, r.vusActive.Load(), w, maxVUs, r.itersDone.Load(), r.itersIntr.Load())
	for _, p := range ps {
		out += fmt.Sprintf("%s [ %3.0f%% ] %d/%d VUs %s/%s\n", p.Name, 100*progressFraction(p), p.ActiveVUs, p.MaxVUs,
			fmtMMSS(p.Elapsed), fmtMMSS(p.Planned))
	}
	_, _ = io.WriteString(r.io.Stdout, out)
}

func (r *run) clearProgress() {}
