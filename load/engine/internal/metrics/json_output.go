package metrics

import (
	"bufio"
	"compress/gzip"
	"errors"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// jsonOutput writes k6's `--out json` format: a Metric line before a metric's first Point, then
// one Point line per sample. Lines are encoded by hand into a reused buffer (encoding/json with
// maps would not keep up with 100k samples/s) and written through a large bufio.Writer.
type jsonOutput struct {
	mu         sync.Mutex
	f          *os.File
	gz         *gzip.Writer
	w          *bufio.Writer
	seen       map[*Metric]bool
	thresholds map[string][]string
	buf        []byte
	keys       []string
	err        error
	closed     bool
}

// NewJSONOutput creates (truncates) path now, so a bad path fails before the test starts;
// ".gz" paths are gzip-compressed. reg is accepted for API symmetry; samples carry their metric.
func NewJSONOutput(path string, reg *Registry) (Output, error) {
	_ = reg
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	o := &jsonOutput{f: f, seen: map[*Metric]bool{}}
	var w io.Writer = f
	if strings.HasSuffix(path, ".gz") {
		o.gz = gzip.NewWriter(f)
		w = o.gz
	}
	o.w = bufio.NewWriterSize(w, 256<<10)
	return o, nil
}

// NewJSONOutputTo writes the same JSON lines to w (not closed by Stop; only flushed).
func NewJSONOutputTo(w io.Writer) Output {
	return &jsonOutput{seen: map[*Metric]bool{}, w: bufio.NewWriterSize(w, 64<<10)}
}

func (o *jsonOutput) setThresholds(t map[string][]string) {
	o.mu.Lock()
	o.thresholds = t
	o.mu.Unlock()
}

func (o *jsonOutput) Start() error { return nil }

func (o *jsonOutput) AddSamples(samples []Sample) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed || o.err != nil {
		return
	}
	for i := range samples {
		s := &samples[i]
		if s.Metric == nil {
			continue
		}
		b := o.buf[:0]
		if !o.seen[s.Metric] {
			o.seen[s.Metric] = true
			b = o.appendMetric(b, s.Metric)
		}
		b = o.appendPoint(b, s)
		if _, err := o.w.Write(b); err != nil {
			o.err = err
			return
		}
		o.buf = b
	}
}

func (o *jsonOutput) appendMetric(b []byte, m *Metric) []byte {
	b = append(b, `{"type":"Metric","data":{"name":`...)
	b = appendJSONString(b, m.Name)
	b = append(b, `,"type":"`...)
	b = append(b, m.Type.String()...)
	b = append(b, `","contains":"`...)
	b = append(b, m.Contains.String()...)
	b = append(b, `","thresholds":[`...)
	for i, t := range o.thresholds[m.Name] {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, t)
	}
	b = append(b, `],"submetrics":null},"metric":`...)
	b = appendJSONString(b, m.Name)
	return append(b, "}\n"...)
}

func (o *jsonOutput) appendPoint(b []byte, s *Sample) []byte {
	b = append(b, `{"metric":`...)
	b = appendJSONString(b, s.Metric.Name)
	b = append(b, `,"type":"Point","data":{"time":"`...)
	t := s.Time
	if t.IsZero() {
		t = time.Now()
	}
	b = t.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","value":`...)
	if math.IsNaN(s.Value) || math.IsInf(s.Value, 0) {
		b = append(b, "null"...) // JSON has no NaN/Inf
	} else {
		b = strconv.AppendFloat(b, s.Value, 'g', -1, 64)
	}
	b = append(b, `,"tags":{`...)
	// sorted keys: stable, diffable files
	o.keys = o.keys[:0]
	for k := range s.Tags {
		o.keys = append(o.keys, k)
	}
	sort.Strings(o.keys)
	for i, k := range o.keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, k)
		b = append(b, ':')
		b = appendJSONString(b, s.Tags[k])
	}
	return append(b, "}}}\n"...)
}

// Stop flushes and closes the file; the first write error of the run is returned.
func (o *jsonOutput) Stop() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return o.err
	}
	o.closed = true
	err := o.err
	err = errors.Join(err, o.w.Flush())
	if o.gz != nil {
		err = errors.Join(err, o.gz.Close())
	}
	if o.f != nil {
		err = errors.Join(err, o.f.Close())
	}
	o.err = err
	return err
}

const hexDigits = "0123456789abcdef"

// appendJSONString quotes s as a JSON string; invalid UTF-8 becomes U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
