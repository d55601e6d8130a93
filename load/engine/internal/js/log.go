package js

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
)

// Logger writes logfmt lines like k6's text logger: `level=info msg="..." source=console`.
type Logger struct {
	mu sync.Mutex
	W  io.Writer
	// Debug enables level=debug lines (k6 prints console.debug only with --verbose).
	Debug bool
}

// NewLogger logs to w.
func NewLogger(w io.Writer) *Logger { return &Logger{W: w} }

// Log writes one line; fields are key, value pairs appended after msg.
func (l *Logger) Log(level, msg string, fields ...string) {
	if l == nil || l.W == nil || (level == "debug" && !l.Debug) {
		return
	}
	var b strings.Builder
	b.WriteString("level=")
	b.WriteString(level)
	b.WriteString(" msg=")
	b.WriteString(strconv.Quote(msg))
	for i := 0; i+1 < len(fields); i += 2 {
		b.WriteByte(' ')
		b.WriteString(fields[i])
		b.WriteByte('=')
		v := fields[i+1]
		if v == "" || strings.ContainsAny(v, " \"=\n\t") {
			v = strconv.Quote(v)
		}
		b.WriteString(v)
	}
	b.WriteByte('\n')
	l.mu.Lock()
	defer l.mu.Unlock()
	_, _ = io.WriteString(l.W, b.String())
}

// Logf formats msg.
func (l *Logger) Logf(level, format string, args ...any) {
	l.Log(level, fmt.Sprintf(format, args...))
}
