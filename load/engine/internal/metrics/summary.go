package metrics

import (
	"sort"
	"time"
)

type SummaryOptions struct {
	TrendStats               []string // default: the collector's TrendStats
	TimeUnit                 string   // summaryTimeUnit ("" = automatic)
	NoColor                  bool
	IsStdOutTTY, IsStdErrTTY bool
}

// SummaryData builds handleSummary's argument (DESIGN.md "Summary data"). It re-evaluates the
// thresholds over the whole run (without triggering aborts) so "ok" matches the final values.
// Only JSON-like types are used (map[string]any, []any, float64, string, bool), which goja and
// encoding/json both handle natively.
func (c *Collector) SummaryData(testRunDuration time.Duration, opts SummaryOptions) map[string]any {
	stats := opts.TrendStats
	if len(stats) == 0 || validateTrendStats(stats) != nil {
		stats = c.trendStats
	}
	metrics := map[string]any{}
	c.do(func() {
		c.evaluate(testRunDuration, false)
		for _, st := range c.states {
			if st.main.sink.count() > 0 || len(st.main.thresholds) > 0 {
				metrics[st.main.key] = seriesData(st.main, testRunDuration, stats)
			}
			for _, sub := range st.subs { // submetrics exist only for thresholds: always listed
				metrics[sub.key] = seriesData(sub, testRunDuration, stats)
			}
		}
	})
	statList := make([]any, len(stats))
	for i, s := range stats {
		statList[i] = s
	}
	return map[string]any{
		"root_group": groupData(c.root),
		"options": map[string]any{
			"summaryTrendStats": statList,
			"summaryTimeUnit":   opts.TimeUnit,
			"noColor":           opts.NoColor,
		},
		"state": map[string]any{
			"isStdOutTTY":       opts.IsStdOutTTY,
			"isStdErrTTY":       opts.IsStdErrTTY,
			"testRunDurationMs": float64(testRunDuration) / float64(time.Millisecond),
		},
		"metrics": metrics,
	}
}

func seriesData(s *series, elapsed time.Duration, stats []string) map[string]any {
	out := map[string]any{
		"type":     s.metric.Type.String(),
		"contains": s.metric.Contains.String(),
		"values":   s.sink.summary(elapsed, stats),
	}
	if len(s.thresholds) > 0 {
		th := make(map[string]any, len(s.thresholds))
		for _, t := range s.thresholds {
			// the same expression twice under one key: failed if either failed
			if prev, ok := th[t.Source].(map[string]any); ok && !prev["ok"].(bool) {
				continue
			}
			th[t.Source] = map[string]any{"ok": t.ok}
		}
		out["thresholds"] = th
	}
	return out
}

func groupData(g *Group) map[string]any {
	groups := []any{}
	for _, child := range g.Groups() {
		groups = append(groups, groupData(child))
	}
	checks := []any{}
	for _, ck := range g.Checks() {
		checks = append(checks, map[string]any{
			"name": ck.Name, "path": ck.Path, "id": ck.ID,
			"passes": float64(ck.Passes()), "fails": float64(ck.Fails()),
		})
	}
	return map[string]any{"name": g.Name, "path": g.Path, "id": g.ID, "groups": groups, "checks": checks}
}

// sortedMetricKeys orders summary keys by parent metric name, the metric before its submetrics.
func sortedMetricKeys(metrics map[string]any) []string {
	keys := make([]string, 0, len(metrics))
	for k := range metrics {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		pi, si := splitKey(keys[i])
		pj, sj := splitKey(keys[j])
		if pi != pj {
			return pi < pj
		}
		return si < sj
	})
	return keys
}

func splitKey(k string) (parent, selector string) {
	for i := 0; i < len(k); i++ {
		if k[i] == '{' {
			return k[:i], k[i:]
		}
	}
	return k, ""
}
