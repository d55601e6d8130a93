package js

import (
	"context"
	"errors"
	"strings"

	"github.com/dop251/goja"
)

// ScriptError is an exception thrown (or a promise rejected) by the script.
type ScriptError struct {
	Message string // e.g. "Error: boom"
	Stack   string // "\tat fn (file:line:col(pc))\n..." (may be empty)
}

func (e *ScriptError) Error() string { return e.Message }

// Full is the message followed by the stack, like k6's `source=stacktrace` log lines.
func (e *ScriptError) Full() string {
	if e.Stack == "" {
		return e.Message
	}
	return e.Message + "\n" + e.Stack
}

// AbortError is exec.test.abort() (k6 exit code 108).
type AbortError struct{ Reason string }

func (e *AbortError) Error() string {
	if e.Reason == "" {
		return "test aborted"
	}
	return "test aborted: " + e.Reason
}

// IsAbort reports whether err is (or wraps) an exec.test.abort().
func IsAbort(err error) (*AbortError, bool) {
	var a *AbortError
	ok := errors.As(err, &a)
	return a, ok
}

// IsInterrupted reports whether err is an interruption because the iteration ctx was cancelled.
func IsInterrupted(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// convertError turns goja's errors into ScriptError / AbortError / context errors.
func convertError(err error) error {
	if err == nil {
		return nil
	}
	var ie *goja.InterruptedError
	if errors.As(err, &ie) {
		switch v := ie.Value().(type) {
		case *AbortError:
			return v
		case error:
			return v
		}
		return context.Canceled
	}
	var ex *goja.Exception
	if errors.As(err, &ex) {
		return exceptionError(ex)
	}
	return err
}

func exceptionError(ex *goja.Exception) *ScriptError {
	full := ex.String()
	msg := "undefined"
	if v := ex.Value(); v != nil {
		msg = v.String()
	}
	stack := strings.TrimRight(strings.TrimPrefix(full, msg+"\n"), "\n")
	if stack == strings.TrimRight(full, "\n") && strings.HasPrefix(full, msg) {
		stack = ""
	}
	return &ScriptError{Message: msg, Stack: stack}
}

// rejectionError is a rejected promise's reason as an error.
func rejectionError(v goja.Value) *ScriptError {
	if v == nil || goja.IsUndefined(v) {
		return &ScriptError{Message: "undefined"}
	}
	e := &ScriptError{Message: v.String()}
	if o, ok := v.(*goja.Object); ok {
		if s := o.Get("stack"); s != nil && !goja.IsUndefined(s) && !goja.IsNull(s) {
			st := s.String()
			// goja's stack starts with the message line, like V8's
			if i := strings.Index(st, "\n"); i >= 0 && strings.HasPrefix(st, e.Message) {
				st = st[i+1:]
			} else if strings.HasPrefix(st, e.Message) {
				st = ""
			}
			lines := strings.Split(strings.TrimRight(st, "\n"), "\n")
			for i, l := range lines {
				l = strings.TrimSpace(l)
				if l != "" && !strings.HasPrefix(l, "at ") {
					l = "at " + l
				}
				lines[i] = "\t" + l
			}
			if st != "" {
				e.Stack = strings.Join(lines, "\n")
			}
		}
	}
	return e
}
