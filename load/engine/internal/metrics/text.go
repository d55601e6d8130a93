package metrics

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// TextSummary renders SummaryData's result as a human end-of-test summary in the spirit of k6's
// (legacy) default: checks per group with ✓/✗, then one line per metric, submetrics indented
// under their metric, ✓/✗ in front of metrics that have thresholds and the failed expressions
// listed below them. It reads only the data map, so it works on what handleSummary would get.
func TextSummary(data map[string]any, noColor bool) string {
	p := painter{color: !noColor}
	var b strings.Builder
	timeUnit := ""
	stats := DefaultTrendStats
	if o, ok := data["options"].(map[string]any); ok {
		timeUnit, _ = o["summaryTimeUnit"].(string)
		if list := toStrings(o["summaryTrendStats"]); len(list) > 0 {
			stats = list
		}
	}
	if root, ok := data["root_group"].(map[string]any); ok {
		writeGroup(&b, p, root, "     ")
	}
	metrics, _ := data["metrics"].(map[string]any)
	keys := sortedMetricKeys(metrics)
	width := 0
	for _, k := range keys {
		width = max(width, len(labelOf(k)))
	}
	width += 3 // at least three dots
	for _, k := range keys {
		m, _ := metrics[k].(map[string]any)
		if m == nil {
			continue
		}
		mark := " "
		var failed []string
		if th, ok := m["thresholds"].(map[string]any); ok && len(th) > 0 {
			mark = p.green("✓")
			for expr, r := range th {
				if rm, _ := r.(map[string]any); rm != nil && rm["ok"] == false {
					failed = append(failed, expr)
				}
			}
			if len(failed) > 0 {
				mark = p.red("✗")
			}
		}
		label := labelOf(k)
		dots := strings.Repeat(".", width-len(label))
		fmt.Fprintf(&b, "   %s %s%s: %s\n", mark, label, p.faint(dots), metricText(p, m, stats, timeUnit))
		sort.Strings(failed)
		for _, f := range failed {
			fmt.Fprintf(&b, "       %s %s\n", p.faint("↳"), p.red("✗ '"+f+"'"))
		}
	}
	return b.String()
}

// labelOf shows submetrics as "  { endpoint:api-list }" under their metric.
func labelOf(key string) string {
	parent, sel := splitKey(key)
	if sel == "" {
		return parent
	}
	inner := strings.TrimSuffix(strings.TrimPrefix(sel, "{"), "}")
	return "  { " + strings.TrimSpace(inner) + " }"
}

func writeGroup(b *strings.Builder, p painter, g map[string]any, indent string) {
	for _, c := range toMaps(g["checks"]) {
		name, _ := c["name"].(string)
		passes, _ := toFloat(c["passes"])
		fails, _ := toFloat(c["fails"])
		if fails == 0 {
			fmt.Fprintf(b, "%s%s\n", indent, p.green("✓ "+name))
			continue
		}
		fmt.Fprintf(b, "%s%s\n", indent, p.red("✗ "+name))
		pct := math.Floor(100 * passes / (passes + fails))
		fmt.Fprintf(b, "%s %s  %s — %s / %s\n", indent, p.faint("↳"), p.red(fmt.Sprintf("%.0f%%", pct)),
			p.green(fmt.Sprintf("✓ %.0f", passes)), p.red(fmt.Sprintf("✗ %.0f", fails)))
	}
	if len(toMaps(g["checks"])) > 0 {
		b.WriteString("\n")
	}
	for _, child := range toMaps(g["groups"]) {
		name, _ := child["name"].(string)
		fmt.Fprintf(b, "%s█ %s\n\n", indent, name)
		writeGroup(b, p, child, indent+"  ")
	}
}

func metricText(p painter, m map[string]any, stats []string, timeUnit string) string {
	vals, _ := m["values"].(map[string]any)
	num := func(k string) float64 { f, _ := toFloat(vals[k]); return f }
	contains, _ := m["contains"].(string)
	fmtv := func(v float64) string {
		switch contains {
		case "time":
			return formatDuration(v, timeUnit)
		case "data":
			return formatBytes(v)
		}
		return formatNumber(v)
	}
	switch m["type"] {
	case "counter":
		rate := num("rate")
		if contains == "data" {
			return p.cyan(formatBytes(num("count"))) + " " + p.cyan(formatBytes(rate)+"/s")
		}
		return p.cyan(fmtv(num("count"))) + " " + p.cyan(formatNumber(rate)+"/s")
	case "gauge":
		return p.cyan(fmtv(num("value"))) + " min=" + p.cyan(fmtv(num("min"))) + " max=" + p.cyan(fmtv(num("max")))
	case "rate":
		return p.cyan(fmt.Sprintf("%.2f%%", 100*num("rate"))) + " " +
			p.green(fmt.Sprintf("✓ %.0f", num("passes"))) + " " + p.red(fmt.Sprintf("✗ %.0f", num("fails")))
	case "trend":
		parts := make([]string, 0, len(stats))
		for _, s := range stats {
			if v, ok := toFloat(vals[s]); ok {
				if s == "count" {
					parts = append(parts, s+"="+p.cyan(formatNumber(v)))
				} else {
					parts = append(parts, s+"="+p.cyan(fmtv(v)))
				}
			}
		}
		return strings.Join(parts, " ")
	}
	return ""
}

// formatNumber: up to 6 decimals, trailing zeros dropped ("152.355556", "120").
func formatNumber(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return strconv.FormatFloat(math.Round(v*1e6)/1e6, 'f', -1, 64)
}

func round2(v float64) string { return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64) }

// formatDuration renders milliseconds like k6: "0s", "7µs", "144.56ms", "1.14s", "1m30s";
// a summaryTimeUnit (s, ms, us/µs, m, h, ns) fixes the unit instead.
func formatDuration(ms float64, unit string) string {
	switch unit {
	case "ns":
		return round2(ms*1e6) + "ns"
	case "us", "µs":
		return round2(ms*1e3) + "µs"
	case "ms":
		return round2(ms) + "ms"
	case "s":
		return round2(ms/1e3) + "s"
	case "m":
		return round2(ms/6e4) + "m"
	case "h":
		return round2(ms/3.6e6) + "h"
	}
	a := math.Abs(ms)
	switch {
	case a == 0:
		return "0s"
	case a < 1e-3:
		return round2(ms*1e6) + "ns"
	case a < 1:
		return round2(ms*1e3) + "µs"
	case a < 1e3:
		return round2(ms) + "ms"
	case a < 6e4:
		return round2(ms/1e3) + "s"
	case a < 3.6e6:
		m := math.Floor(a / 6e4)
		return sign(ms) + fmt.Sprintf("%.0fm", m) + round2((a-m*6e4)/1e3) + "s"
	}
	h := math.Floor(a / 3.6e6)
	m := math.Floor((a - h*3.6e6) / 6e4)
	return sign(ms) + fmt.Sprintf("%.0fh%.0fm", h, m) + round2((a-h*3.6e6-m*6e4)/1e3) + "s"
}

func sign(v float64) string {
	if v < 0 {
		return "-"
	}
	return ""
}

// formatBytes uses SI units like k6 ("81 kB", "1.3 MB", "500 B").
func formatBytes(v float64) string {
	units := []string{"B", "kB", "MB", "GB", "TB", "PB"}
	i := 0
	for math.Abs(v) >= 1000 && i < len(units)-1 {
		v /= 1000
		i++
	}
	if i == 0 {
		return formatNumber(math.Round(v)) + " B"
	}
	if math.Abs(v) < 10 {
		return fmt.Sprintf("%.1f %s", v, units[i])
	}
	return fmt.Sprintf("%.0f %s", v, units[i])
}

type painter struct{ color bool }

func (p painter) wrap(code, s string) string {
	if !p.color {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}
func (p painter) green(s string) string { return p.wrap("32", s) }
func (p painter) red(s string) string   { return p.wrap("31", s) }
func (p painter) cyan(s string) string  { return p.wrap("36", s) }
func (p painter) faint(s string) string { return p.wrap("2", s) }

// toStrings and toMaps accept both our own types and what a JS round trip produces.
func toStrings(v any) []string {
	switch x := v.(type) {
	case []string:
		return x
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func toMaps(v any) []map[string]any {
	switch x := v.(type) {
	case []map[string]any:
		return x
	case []any:
		out := make([]map[string]any, 0, len(x))
		for _, e := range x {
			if m, ok := e.(map[string]any); ok {
				out = append(out, m)
			}
		}
		return out
	}
	return nil
}

// toFloat accepts the number types a JS round trip may produce.
func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int64:
		return float64(x), true
	case int:
		return float64(x), true
	}
	return 0, false
}
