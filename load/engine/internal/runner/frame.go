package runner

import (
	"bytes"
	"fmt"
	"io"
	"sync"
)

// Framing of `--out json=-` (ours, not k6's): every JSON line goes to stdout as "@gd " + line,
// whole lines per write, and the runner ends the stream with "@gdend lines=N durationMs=D", so a
// reader of a container's log (where stdout may carry other text) finds the metric lines and
// can tell whether it got all of them.
const (
	FramePrefix = "@gd "
	FrameEnd    = "@gdend "
)

type frameWriter struct {
	mu      sync.Mutex
	w       io.Writer
	partial []byte
	buf     []byte
	lines   int64
}

func newFrameWriter(w io.Writer) *frameWriter { return &frameWriter{w: w} }

func (f *frameWriter) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	data := p
	if len(f.partial) > 0 {
		data = append(f.partial, p...)
	}
	last := bytes.LastIndexByte(data, '\n')
	if last < 0 {
		f.partial = append(f.partial[:0:0], data...)
		return len(p), nil
	}
	out := f.buf[:0]
	for _, line := range bytes.SplitAfter(data[:last+1], []byte{'\n'}) {
		if len(line) == 0 {
			continue
		}
		out = append(out, FramePrefix...)
		out = append(out, line...)
		f.lines++
	}
	f.partial = append(f.partial[:0:0], data[last+1:]...)
	f.buf = out
	if _, err := f.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// End writes the end marker (after the output is flushed).
func (f *frameWriter) End(durationMs float64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []byte
	if len(f.partial) > 0 {
		out = append(append(append(out, FramePrefix...), f.partial...), '\n')
		f.lines++
		f.partial = nil
	}
	out = append(out, fmt.Sprintf("%slines=%d durationMs=%.3f\n", FrameEnd, f.lines, durationMs)...)
	_, _ = f.w.Write(out)
}
