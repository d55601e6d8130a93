package browser

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/dop251/goja"
)

// locatorStep is one selector of a locator chain; index picks one match (nil = all; -1 = last).
type locatorStep struct {
	Sel   string `json:"s"`
	Index *int   `json:"i"`
}

// locator is a k6 Locator: a lazy selector, resolved at every action.
type locator struct {
	p     *page
	steps []locatorStep
}

func (p *page) newLocator(sel string, _ int) *locator {
	return &locator{p: p, steps: []locatorStep{{Sel: sel}}}
}

func (l *locator) describe() string {
	parts := make([]string, len(l.steps))
	for i, s := range l.steps {
		parts[i] = s.Sel
		if s.Index != nil {
			parts[i] += fmt.Sprintf(" >> nth=%d", *s.Index)
		}
	}
	return strings.Join(parts, " >> ")
}

func (l *locator) with(step locatorStep) *locator {
	steps := append(append([]locatorStep(nil), l.steps...), step)
	return &locator{p: l.p, steps: steps}
}

func (l *locator) withIndex(i int) *locator {
	steps := append([]locatorStep(nil), l.steps...)
	last := steps[len(steps)-1]
	last.Index = &i
	steps[len(steps)-1] = last
	return &locator{p: l.p, steps: steps}
}

// locatorScript resolves a locator chain in the page and runs one operation on the element:
// it returns {ok, v} when the operation could run, {ok:false, why} when it must be retried.
// Selectors: CSS, or XPath when they start with "//", "(//", ".." or "xpath=" ("css=" forces CSS).
const locatorScript = `(function (steps, op, arg) {
  function query(root, sel) {
    let s = sel.trim(), xp = false;
    if (s.startsWith('xpath=')) { s = s.slice(6); xp = true; }
    else if (s.startsWith('css=')) { s = s.slice(4); }
    else if (s.startsWith('//') || s.startsWith('(//') || s.startsWith('..')) { xp = true; }
    if (xp) {
      if (root !== document && s.startsWith('/')) s = '.' + s;
      if (root !== document && s.startsWith('(/')) s = '(.' + s.slice(1);
      const r = document.evaluate(s, root, null, XPathResult.ORDERED_NODE_SNAPSHOT_TYPE, null);
      const out = [];
      for (let i = 0; i < r.snapshotLength; i++) { const n = r.snapshotItem(i); if (n.nodeType === 1) out.push(n); }
      return out;
    }
    return Array.from(root.querySelectorAll(s));
  }
  let roots = [document];
  for (const st of steps) {
    let found = [];
    for (const r of roots) for (const n of query(r, st.s)) if (!found.includes(n)) found.push(n);
    if (st.i !== null && st.i !== undefined) {
      const i = st.i < 0 ? found.length + st.i : st.i;
      found = i >= 0 && i < found.length ? [found[i]] : [];
    }
    roots = found;
  }
  const els = roots, el = els[0];
  function visible(e) {
    if (!e || !e.isConnected) return false;
    const cs = getComputedStyle(e);
    if (cs.visibility === 'hidden' || cs.visibility === 'collapse') return false;
    const r = e.getBoundingClientRect();
    return r.width > 0 && r.height > 0;
  }
  function enabled(e) {
    if (['BUTTON', 'INPUT', 'SELECT', 'TEXTAREA', 'OPTION', 'OPTGROUP'].includes(e.tagName) && e.disabled) return false;
    if (e.closest && e.closest('fieldset[disabled]') && e.tagName !== 'LEGEND') return false;
    return e.getAttribute('aria-disabled') !== 'true';
  }
  function editable(e) {
    if (!enabled(e)) return false;
    if (e.isContentEditable) return true;
    if (['INPUT', 'TEXTAREA', 'SELECT'].includes(e.tagName)) return !e.readOnly;
    return false;
  }
  const ok = (v) => ({ ok: true, v: v === undefined ? null : v });
  const wait = (why) => ({ ok: false, why: why });
  switch (op) {
    case 'count': return ok(els.length);
    case 'isVisible': return ok(visible(el));
    case 'isHidden': return ok(!visible(el));
    case 'waitFor': {
      const s = arg.state || 'visible';
      if (s === 'attached') return el ? ok() : wait('to be attached');
      if (s === 'detached') return el ? wait('to be detached') : ok();
      if (s === 'visible') return visible(el) ? ok() : wait('to be visible');
      if (s === 'hidden') return visible(el) ? wait('to be hidden') : ok();
      return ok();
    }
  }
  if (!el) return wait('to be attached');
  switch (op) {
    case 'textContent': return ok(el.textContent);
    case 'innerText': return ok(el.innerText);
    case 'innerHTML': return ok(el.innerHTML);
    case 'getAttribute': return ok(el.getAttribute(arg.name));
    case 'inputValue':
      if (!['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName)) throw new Error('not an <input>, <textarea> or <select> element');
      return ok(el.value);
    case 'isChecked': return ok(!!el.checked || el.getAttribute('aria-checked') === 'true');
    case 'isEnabled': return ok(enabled(el));
    case 'isDisabled': return ok(!enabled(el));
    case 'isEditable': return ok(editable(el));
    case 'focus': el.focus(); return ok();
    case 'point': {
      if (!visible(el)) return wait('to be visible');
      if (arg.enabled && !enabled(el)) return wait('to be enabled');
      el.scrollIntoView({ block: 'center', inline: 'center', behavior: 'instant' });
      const r = el.getBoundingClientRect();
      const x = r.left + r.width / 2, y = r.top + r.height / 2;
      const hit = document.elementFromPoint(x, y);
      if (hit && hit !== el && !el.contains(hit) && !(hit.getRootNode && hit.getRootNode().host && el.contains(hit.getRootNode().host))) return wait('to receive pointer events (covered by another element)');
      return ok({ x: x, y: y, checked: !!el.checked });
    }
    case 'fill': {
      if (!visible(el)) return wait('to be visible');
      if (!editable(el)) return wait('to be enabled and editable');
      const t = (el.type || '').toLowerCase();
      if (el.tagName === 'INPUT' && ['checkbox', 'radio', 'file', 'button', 'submit', 'reset', 'image'].includes(t)) throw new Error('input of type "' + t + '" cannot be filled');
      el.focus();
      if (el.isContentEditable && !['INPUT', 'TEXTAREA'].includes(el.tagName)) {
        el.textContent = arg.value;
      } else {
        const proto = el.tagName === 'TEXTAREA' ? HTMLTextAreaElement.prototype : el.tagName === 'SELECT' ? HTMLSelectElement.prototype : HTMLInputElement.prototype;
        const setter = Object.getOwnPropertyDescriptor(proto, 'value').set;
        setter.call(el, arg.value);
      }
      el.dispatchEvent(new Event('input', { bubbles: true, composed: true }));
      el.dispatchEvent(new Event('change', { bubbles: true }));
      return ok();
    }
    case 'focusEditable':
      if (!visible(el)) return wait('to be visible');
      if (!editable(el)) return wait('to be enabled and editable');
      el.focus();
      return ok();
    case 'selectOption': {
      if (el.tagName !== 'SELECT') throw new Error('not a <select> element');
      if (!enabled(el)) return wait('to be enabled');
      const want = arg.values;
      const picked = [];
      for (const o of el.options) {
        const on = want.some((w) => (w.value !== undefined && o.value === w.value) || (w.label !== undefined && o.label === w.label) || (w.index !== undefined && o.index === w.index));
        o.selected = on;
        if (on) { picked.push(o.value); if (!el.multiple) break; }
      }
      if (want.length && !picked.length) return wait('to have the option');
      el.dispatchEvent(new Event('input', { bubbles: true, composed: true }));
      el.dispatchEvent(new Event('change', { bubbles: true }));
      return ok(picked);
    }
    case 'dispatchEvent': {
      el.dispatchEvent(new Event(arg.type, Object.assign({ bubbles: true, cancelable: true, composed: true }, arg.init || {})));
      return ok();
    }
  }
  throw new Error('unknown locator operation ' + op);
})`

type locResult struct {
	OK  bool            `json:"ok"`
	V   json.RawMessage `json:"v"`
	Why string          `json:"why"`
}

// run evaluates op once (wait=false) or until it succeeds or the timeout ends (wait=true).
func (l *locator) run(ctx context.Context, op string, arg any, wait bool, timeout time.Duration) (json.RawMessage, error) {
	stepsJSON, _ := json.Marshal(l.steps)
	if arg == nil {
		arg = map[string]any{}
	}
	argJSON, err := json.Marshal(arg)
	if err != nil {
		return nil, err
	}
	expr := locatorScript + "(" + string(stepsJSON) + "," + jsonString(op) + "," + string(argJSON) + ")"
	delay := 20 * time.Millisecond
	why := "to be attached"
	timedOut := func() error {
		return fmt.Errorf("timed out after %s waiting for %q %s", fmtDuration(timeout), l.describe(), why)
	}
	for {
		raw, _, err := l.p.eval(ctx, expr, false)
		if err == nil {
			var r locResult
			if err := json.Unmarshal(raw, &r); err != nil {
				return nil, err
			}
			if r.OK {
				return r.V, nil
			}
			why = r.Why
			if !wait {
				return nil, errors.New("waiting for " + l.describe() + " " + why)
			}
		} else if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			// the deadline passed during the evaluation itself (a busy machine): the same timeout
			return nil, timedOut()
		} else if !transient(err) {
			var jx *jsException
			if errors.As(err, &jx) {
				return nil, errors.New(jx.msg)
			}
			return nil, err
		}
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return nil, timedOut()
			}
			return nil, ctx.Err()
		case <-time.After(delay):
		}
		if delay < 100*time.Millisecond {
			delay *= 2
		}
	}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// mouseClick presses and releases the left button at (x, y) clickCount times.
func (p *page) mouseClick(ctx context.Context, x, y float64, clicks int, button input.MouseButton) error {
	if _, err := chromedp.Call(ctx, input.DispatchMouseEvent, input.DispatchMouseEventParams{Type: input.DispatchMouseEventTypeMouseMoved, X: x, Y: y}); err != nil {
		return err
	}
	for c := 1; c <= clicks; c++ {
		if _, err := chromedp.Call(ctx, input.DispatchMouseEvent, input.DispatchMouseEventParams{
			Type: input.DispatchMouseEventTypeMousePressed, X: x, Y: y, Button: button, Buttons: 1, ClickCount: int64(c)}); err != nil {
			return err
		}
		if _, err := chromedp.Call(ctx, input.DispatchMouseEvent, input.DispatchMouseEventParams{
			Type: input.DispatchMouseEventTypeMouseReleased, X: x, Y: y, Button: button, ClickCount: int64(c)}); err != nil {
			return err
		}
	}
	return nil
}

type point struct {
	X, Y    float64
	Checked bool
}

// pointer waits until the element can be clicked and returns its centre.
func (l *locator) pointer(ctx context.Context, timeout time.Duration) (point, error) {
	raw, err := l.run(ctx, "point", map[string]any{"enabled": true}, true, timeout)
	if err != nil {
		return point{}, err
	}
	var pt point
	err = json.Unmarshal(raw, &pt)
	return pt, err
}

// keyDef maps the key names of press() to CDP key events.
func keyDef(key string) input.DispatchKeyEventParams {
	named := map[string][3]any{ // key: code, keyCode, text
		"Enter": {"Enter", 13, "\r"}, "Tab": {"Tab", 9, ""}, "Backspace": {"Backspace", 8, ""},
		"Escape": {"Escape", 27, ""}, "Delete": {"Delete", 46, ""}, "ArrowLeft": {"ArrowLeft", 37, ""},
		"ArrowUp": {"ArrowUp", 38, ""}, "ArrowRight": {"ArrowRight", 39, ""}, "ArrowDown": {"ArrowDown", 40, ""},
		"Home": {"Home", 36, ""}, "End": {"End", 35, ""}, "Space": {"Space", 32, " "}, " ": {"Space", 32, " "},
	}
	if d, ok := named[key]; ok {
		k := key
		if k == "Space" {
			k = " "
		}
		return input.DispatchKeyEventParams{Key: k, Code: d[0].(string), WindowsVirtualKeyCode: int64(d[1].(int)), Text: d[2].(string)}
	}
	p := input.DispatchKeyEventParams{Key: key, Text: key}
	if len([]rune(key)) == 1 {
		r := []rune(strings.ToUpper(key))[0]
		if r >= 'A' && r <= 'Z' {
			p.Code = "Key" + string(r)
			p.WindowsVirtualKeyCode = int64(r)
		} else if r >= '0' && r <= '9' {
			p.Code = "Digit" + string(r)
			p.WindowsVirtualKeyCode = int64(r)
		}
	} else {
		p.Text = ""
	}
	return p
}

func (p *page) pressKey(ctx context.Context, key string) error {
	d := keyDef(key)
	down := d
	down.Type = input.DispatchKeyEventTypeKeyDown
	if d.Text == "" {
		down.Type = input.DispatchKeyEventTypeRawKeyDown
	}
	if _, err := chromedp.Call(ctx, input.DispatchKeyEvent, down); err != nil {
		return err
	}
	up := d
	up.Type = input.DispatchKeyEventTypeKeyUp
	up.Text = ""
	_, err := chromedp.Call(ctx, input.DispatchKeyEvent, up)
	return err
}

// object is the JS Locator; VU goroutine only.
func (l *locator) object() *goja.Object {
	p, m, rt := l.p, l.p.m, l.p.m.rt
	o := rt.NewObject()
	set := func(name string, fn func(call goja.FunctionCall) goja.Value) { must(o.Set(name, fn)) }

	// act runs an operation with the page's default timeout (or options.timeout).
	act := func(what string, opts goja.Value, work func(ctx context.Context, timeout time.Duration) (func() goja.Value, error)) goja.Value {
		if p.isClosed() {
			return m.rejected(fmt.Errorf("%s %q: the page is closed", what, l.describe()))
		}
		def, _ := p.defaults()
		timeout := optTimeout(rt, opts, def)
		ictx := m.vu.Context()
		return m.async(func() (func() goja.Value, error) {
			ctx, cancel := p.opCtx(ictx, timeout)
			defer cancel()
			conv, err := work(ctx, timeout)
			if err != nil {
				if ctx.Err() != nil && !errors.Is(ctx.Err(), context.DeadlineExceeded) {
					return nil, p.ctxErr(ctx, fmt.Sprintf("%s %q", what, l.describe()), timeout, err)
				}
				return nil, fmt.Errorf("%s %q: %w", what, l.describe(), err)
			}
			return conv, nil
		})
	}
	value := func(raw json.RawMessage) func() goja.Value { return jsonConv(rt, raw, "object") }

	// immediate checks: no waiting, false when nothing matches (k6/Playwright semantics)
	for _, name := range []string{"isVisible", "isHidden", "count"} {
		op := name
		set(name, func(call goja.FunctionCall) goja.Value {
			return act(op, goja.Undefined(), func(ctx context.Context, timeout time.Duration) (func() goja.Value, error) {
				for {
					raw, err := l.run(ctx, op, nil, false, timeout)
					if err != nil && transient(err) {
						continue
					}
					if err != nil {
						return nil, err
					}
					return value(raw), nil
				}
			})
		})
	}
	// reads that wait for the element to be attached
	for _, name := range []string{"textContent", "innerText", "innerHTML", "inputValue", "isChecked", "isEnabled", "isDisabled", "isEditable"} {
		op := name
		set(name, func(call goja.FunctionCall) goja.Value {
			return act(op, call.Argument(0), func(ctx context.Context, timeout time.Duration) (func() goja.Value, error) {
				raw, err := l.run(ctx, op, nil, true, timeout)
				if err != nil {
					return nil, err
				}
				return value(raw), nil
			})
		})
	}
	set("getAttribute", func(call goja.FunctionCall) goja.Value {
		name := call.Argument(0).String()
		return act("getAttribute", call.Argument(1), func(ctx context.Context, timeout time.Duration) (func() goja.Value, error) {
			raw, err := l.run(ctx, "getAttribute", map[string]any{"name": name}, true, timeout)
			if err != nil {
				return nil, err
			}
			return value(raw), nil
		})
	})
	set("waitFor", func(call goja.FunctionCall) goja.Value {
		state := optString(rt, call.Argument(0), "state", "visible")
		return act("waitFor", call.Argument(0), func(ctx context.Context, timeout time.Duration) (func() goja.Value, error) {
			_, err := l.run(ctx, "waitFor", map[string]any{"state": state}, true, timeout)
			return nil, err
		})
	})
	set("fill", func(call goja.FunctionCall) goja.Value {
		text := call.Argument(0).String()
		return act("fill", call.Argument(1), func(ctx context.Context, timeout time.Duration) (func() goja.Value, error) {
			_, err := l.run(ctx, "fill", map[string]any{"value": text}, true, timeout)
			return nil, err
		})
	})
	set("clear", func(call goja.FunctionCall) goja.Value {
		return act("clear", call.Argument(0), func(ctx context.Context, timeout time.Duration) (func() goja.Value, error) {
			_, err := l.run(ctx, "fill", map[string]any{"value": ""}, true, timeout)
			return nil, err
		})
	})
	set("focus", func(call goja.FunctionCall) goja.Value {
		return act("focus", call.Argument(0), func(ctx context.Context, timeout time.Duration) (func() goja.Value, error) {
			_, err := l.run(ctx, "focus", nil, true, timeout)
			return nil, err
		})
	})
	click := func(what string, clicks int) func(call goja.FunctionCall) goja.Value {
		return func(call goja.FunctionCall) goja.Value {
			button := input.MouseButton(optString(rt, call.Argument(0), "button", "left"))
			return act(what, call.Argument(0), func(ctx context.Context, timeout time.Duration) (func() goja.Value, error) {
				pt, err := l.pointer(ctx, timeout)
				if err != nil {
					return nil, err
				}
				return nil, p.mouseClick(ctx, pt.X, pt.Y, clicks, button)
			})
		}
	}
	set("click", click("click", 1))
	set("tap", click("tap", 1))
	set("dblclick", click("dblclick", 2))
	set("hover", func(call goja.FunctionCall) goja.Value {
		return act("hover", call.Argument(0), func(ctx context.Context, timeout time.Duration) (func() goja.Value, error) {
			pt, err := l.pointer(ctx, timeout)
			if err != nil {
				return nil, err
			}
			_, err = chromedp.Call(ctx, input.DispatchMouseEvent, input.DispatchMouseEventParams{Type: input.DispatchMouseEventTypeMouseMoved, X: pt.X, Y: pt.Y})
			return nil, err
		})
	})
	setChecked := func(what string, want func(call goja.FunctionCall) bool, optIdx int) func(call goja.FunctionCall) goja.Value {
		return func(call goja.FunctionCall) goja.Value {
			w := want(call)
			return act(what, call.Argument(optIdx), func(ctx context.Context, timeout time.Duration) (func() goja.Value, error) {
				pt, err := l.pointer(ctx, timeout)
				if err != nil {
					return nil, err
				}
				if pt.Checked == w {
					return nil, nil
				}
				return nil, p.mouseClick(ctx, pt.X, pt.Y, 1, input.MouseButtonLeft)
			})
		}
	}
	set("check", setChecked("check", func(goja.FunctionCall) bool { return true }, 0))
	set("uncheck", setChecked("uncheck", func(goja.FunctionCall) bool { return false }, 0))
	set("setChecked", setChecked("setChecked", func(c goja.FunctionCall) bool { return c.Argument(0).ToBoolean() }, 1))
	typeText := func(what string) func(call goja.FunctionCall) goja.Value {
		return func(call goja.FunctionCall) goja.Value {
			text := call.Argument(0).String()
			return act(what, call.Argument(1), func(ctx context.Context, timeout time.Duration) (func() goja.Value, error) {
				if _, err := l.run(ctx, "focusEditable", nil, true, timeout); err != nil {
					return nil, err
				}
				_, err := chromedp.Call(ctx, input.InsertText, input.InsertTextParams{Text: text})
				return nil, err
			})
		}
	}
	set("type", typeText("type"))
	set("pressSequentially", typeText("pressSequentially"))
	set("press", func(call goja.FunctionCall) goja.Value {
		key := call.Argument(0).String()
		return act("press", call.Argument(1), func(ctx context.Context, timeout time.Duration) (func() goja.Value, error) {
			if _, err := l.run(ctx, "focus", nil, true, timeout); err != nil {
				return nil, err
			}
			return nil, p.pressKey(ctx, key)
		})
	})
	set("selectOption", func(call goja.FunctionCall) goja.Value {
		var values []map[string]any
		add := func(v goja.Value) {
			if o := asObject(rt, v); o != nil && o.ClassName() == "Object" {
				w := map[string]any{}
				for _, k := range []string{"value", "label"} {
					if x := o.Get(k); x != nil && !goja.IsUndefined(x) {
						w[k] = x.String()
					}
				}
				if x := o.Get("index"); x != nil && !goja.IsUndefined(x) {
					w["index"] = x.ToInteger()
				}
				values = append(values, w)
				return
			}
			values = append(values, map[string]any{"value": v.String(), "label": v.String()})
		}
		if arr := asObject(rt, call.Argument(0)); arr != nil && arr.ClassName() == "Array" {
			for _, k := range arr.Keys() {
				add(arr.Get(k))
			}
		} else {
			add(call.Argument(0))
		}
		return act("selectOption", call.Argument(1), func(ctx context.Context, timeout time.Duration) (func() goja.Value, error) {
			raw, err := l.run(ctx, "selectOption", map[string]any{"values": values}, true, timeout)
			if err != nil {
				return nil, err
			}
			return value(raw), nil
		})
	})
	set("dispatchEvent", func(call goja.FunctionCall) goja.Value {
		typ := call.Argument(0).String()
		var init any
		if o := asObject(rt, call.Argument(1)); o != nil {
			init = o.Export()
		}
		return act("dispatchEvent", call.Argument(2), func(ctx context.Context, timeout time.Duration) (func() goja.Value, error) {
			_, err := l.run(ctx, "dispatchEvent", map[string]any{"type": typ, "init": init}, true, timeout)
			return nil, err
		})
	})
	set("first", func(goja.FunctionCall) goja.Value { return l.withIndex(0).object() })
	set("last", func(goja.FunctionCall) goja.Value { return l.withIndex(-1).object() })
	set("nth", func(call goja.FunctionCall) goja.Value {
		return l.withIndex(int(call.Argument(0).ToInteger())).object()
	})
	set("locator", func(call goja.FunctionCall) goja.Value {
		return l.with(locatorStep{Sel: call.Argument(0).String()}).object()
	})
	return o
}
