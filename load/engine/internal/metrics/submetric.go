package metrics

import (
	"fmt"
	"strings"
)

const keyHint = `"metric" or "metric{tag:value,...}"`

// ParseSubmetricKey splits a threshold key like `http_req_duration{endpoint:api-list,method:GET}`.
// Values may be quoted ('x' or "x") to hold commas or colons; a key splits at its first colon, so
// `{group:::checkout}` selects group "::checkout". Whitespace around names, keys and values is
// trimmed. tags is nil when there is no selector.
func ParseSubmetricKey(key string) (string, map[string]string, error) {
	s := strings.TrimSpace(key)
	open := strings.IndexByte(s, '{')
	if open < 0 {
		if !metricNameRe.MatchString(s) {
			return "", nil, fmt.Errorf("expected %s, got %q", keyHint, key)
		}
		return s, nil, nil
	}
	name := strings.TrimSpace(s[:open])
	if !metricNameRe.MatchString(name) || !strings.HasSuffix(s, "}") {
		return "", nil, fmt.Errorf("expected %s, got %q", keyHint, key)
	}
	parts, err := splitSelector(s[open+1 : len(s)-1])
	if err != nil {
		return "", nil, fmt.Errorf("expected %s, got %q: %v", keyHint, key, err)
	}
	tags := make(map[string]string, len(parts))
	for _, p := range parts {
		k, v, ok := strings.Cut(p, ":")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" {
			return "", nil, fmt.Errorf("expected %s, got %q: %q is not tag:value", keyHint, key, strings.TrimSpace(p))
		}
		if n := len(v); n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n-1] == v[0] {
			v = v[1 : n-1]
		}
		tags[k] = v
	}
	if len(tags) == 0 {
		return "", nil, fmt.Errorf("expected %s, got %q: empty selector", keyHint, key)
	}
	return name, tags, nil
}

// splitSelector splits at commas outside quotes.
func splitSelector(s string) ([]string, error) {
	var parts []string
	var quote byte
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '{' || c == '}':
			return nil, fmt.Errorf("unexpected %q", c)
		case c == ',':
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unterminated quote")
	}
	if rest := s[start:]; strings.TrimSpace(rest) != "" || len(parts) > 0 {
		parts = append(parts, rest)
	}
	return parts, nil
}

// series is what thresholds and the summary look at: a metric, or a submetric (metric + tag
// selector) fed by the parent's samples whose tags contain every selector pair.
type series struct {
	key        string // summary name: metric name, or the threshold key as written
	metric     *Metric
	selector   map[string]string // nil for the metric itself
	sink       sink
	thresholds []*thresholdState
}

func (s *series) matches(tags map[string]string) bool {
	for k, v := range s.selector {
		if tv, ok := tags[k]; !ok || tv != v {
			return false
		}
	}
	return true
}

type thresholdState struct {
	*Threshold
	ok      bool // last evaluation
	aborted bool // it triggered an abort: reported failed from then on
}
