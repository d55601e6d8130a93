package browser

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
	"github.com/dop251/goja"
)

// contextOptions are the supported fields of NewBrowserContextOptions.
type contextOptions struct {
	viewportW, viewportH int64
	userAgent            string
	extraHeaders         map[string]any
	locale               string
}

func parseContextOptions(rt *goja.Runtime, v goja.Value) contextOptions {
	var co contextOptions
	o := asObject(rt, v)
	if o == nil {
		return co
	}
	if vp := asObject(rt, o.Get("viewport")); vp != nil {
		co.viewportW = vp.Get("width").ToInteger()
		co.viewportH = vp.Get("height").ToInteger()
	}
	if ua := o.Get("userAgent"); ua != nil && !goja.IsUndefined(ua) && !goja.IsNull(ua) {
		co.userAgent = ua.String()
	}
	if l := o.Get("locale"); l != nil && !goja.IsUndefined(l) && !goja.IsNull(l) {
		co.locale = l.String()
	}
	if h := asObject(rt, o.Get("extraHTTPHeaders")); h != nil {
		co.extraHeaders = map[string]any{}
		for _, k := range h.Keys() {
			co.extraHeaders[k] = h.Get(k).String()
		}
	}
	return co
}

// bcontext is a k6 BrowserContext: a CDP browser context with its pages.
type bcontext struct {
	m    *module
	proc *browserProc
	id   cdp.BrowserContextID
	opts contextOptions

	iteration int64
	scenario  string
	stopWatch func() bool // stops the watch of the iteration's context

	mu              sync.Mutex
	pages           []*page
	closed          bool
	timeout         time.Duration
	navTimeout      time.Duration
	fromBrowserPage bool // made by browser.newPage()

	obj *goja.Object // VU goroutine only
}

func (m *module) createContext(proc *browserProc, opts contextOptions) (*bcontext, error) {
	ctx, cancel := context.WithTimeout(proc.ctx, m.cfg.timeout)
	defer cancel()
	res, err := chromedp.CallBrowser(ctx, target.CreateBrowserContext, target.CreateBrowserContextParams{})
	if err != nil {
		return nil, fmt.Errorf("k6/browser: creating a browser context: %w", err)
	}
	return &bcontext{m: m, proc: proc, id: res.BrowserContextID, opts: opts,
		timeout: defaultTimeout, navTimeout: defaultTimeout}, nil
}

// close closes every page of the context and disposes of it; any goroutine.
func (bc *bcontext) close() {
	bc.mu.Lock()
	if bc.closed {
		bc.mu.Unlock()
		return
	}
	bc.closed = true
	pages := append([]*page(nil), bc.pages...)
	stop := bc.stopWatch
	bc.mu.Unlock()
	if stop != nil {
		stop()
	}
	var wg sync.WaitGroup
	for _, p := range pages {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.close()
		}()
	}
	wg.Wait()
	if bc.proc.alive() {
		ctx, cancel := context.WithTimeout(bc.proc.ctx, 5*time.Second)
		_, _ = chromedp.CallBrowser(ctx, target.DisposeBrowserContext, target.DisposeBrowserContextParams{BrowserContextID: bc.id})
		cancel()
	}
}

func (bc *bcontext) isClosed() bool {
	bc.mu.Lock()
	defer bc.mu.Unlock()
	return bc.closed
}

func (bc *bcontext) removePage(p *page) {
	bc.mu.Lock()
	defer bc.mu.Unlock()
	for i, q := range bc.pages {
		if q == p {
			bc.pages = append(bc.pages[:i], bc.pages[i+1:]...)
			return
		}
	}
}

func (bc *bcontext) openPages() int {
	bc.mu.Lock()
	defer bc.mu.Unlock()
	return len(bc.pages)
}

// current returns the VU's context if it belongs to the running iteration; a context left by an
// earlier iteration is closed first (pages not closed by the script end with their iteration).
func (m *module) current() *bcontext {
	st := m.vu.State()
	m.ctxMu.Lock()
	bc := m.bctx
	stale := bc != nil && (bc.isClosed() || (st != nil && (bc.iteration != st.Iteration || bc.scenario != st.Scenario)))
	if stale {
		m.bctx = nil
	}
	m.ctxMu.Unlock()
	if stale {
		if !bc.isClosed() {
			bc.close()
		}
		m.drain()
		return nil
	}
	return bc
}

// openContext makes a new browser context for the running iteration: it is the work of
// browser.newContext() and browser.newPage(), run off the VU goroutine.
func (m *module) openContext(opts contextOptions, iteration int64, scenario string, iterCtx context.Context, fromPage bool) (*bcontext, error) {
	proc, err := m.ensureBrowser()
	if err != nil {
		return nil, err
	}
	bc, err := m.createContext(proc, opts)
	if err != nil {
		return nil, err
	}
	bc.iteration, bc.scenario, bc.fromBrowserPage = iteration, scenario, fromPage
	if iterCtx != nil && iterCtx.Done() != nil {
		bc.stopWatch = context.AfterFunc(iterCtx, func() {
			m.ctxMu.Lock()
			if m.bctx == bc {
				m.bctx = nil
			}
			m.ctxMu.Unlock()
			bc.close()
		})
	}
	m.ctxMu.Lock()
	old := m.bctx
	m.bctx = bc
	m.ctxMu.Unlock()
	if old != nil && old != bc {
		old.close()
	}
	return bc, nil
}

// prepareNewContext is the VU-goroutine part of newContext/newPage: checks and the decision to
// replace the current context. k6 keeps one context per browser; one that still has open pages
// must be closed first.
func (m *module) prepareNewContext(fn string) error {
	if err := m.checkScenario(); err != nil {
		return err
	}
	if bc := m.current(); bc != nil && bc.openPages() > 0 {
		return fmt.Errorf("%s: existing browser context must be closed before creating a new one (browser.closeContext())", fn)
	}
	return nil
}

func (m *module) newBrowserObject() *goja.Object {
	rt := m.rt
	o := rt.NewObject()
	must(o.Set("newPage", func(call goja.FunctionCall) goja.Value {
		m.throwInInit("browser.newPage")
		if err := m.prepareNewContext("browser.newPage"); err != nil {
			return m.rejected(err)
		}
		opts := parseContextOptions(rt, call.Argument(0))
		st := m.vu.State()
		iter, sc, ictx := st.Iteration, st.Scenario, m.vu.Context()
		return m.async(func() (func() goja.Value, error) {
			bc, err := m.openContext(opts, iter, sc, ictx, true)
			if err != nil {
				return nil, err
			}
			p, err := bc.newPage()
			if err != nil {
				return nil, err
			}
			return func() goja.Value { return p.object() }, nil
		})
	}))
	must(o.Set("newContext", func(call goja.FunctionCall) goja.Value {
		m.throwInInit("browser.newContext")
		if err := m.prepareNewContext("browser.newContext"); err != nil {
			return m.rejected(err)
		}
		opts := parseContextOptions(rt, call.Argument(0))
		st := m.vu.State()
		iter, sc, ictx := st.Iteration, st.Scenario, m.vu.Context()
		return m.async(func() (func() goja.Value, error) {
			bc, err := m.openContext(opts, iter, sc, ictx, false)
			if err != nil {
				return nil, err
			}
			return func() goja.Value { return bc.object() }, nil
		})
	}))
	must(o.Set("context", func(goja.FunctionCall) goja.Value {
		m.throwInInit("browser.context")
		if bc := m.current(); bc != nil {
			return bc.object()
		}
		return goja.Null()
	}))
	must(o.Set("closeContext", func(goja.FunctionCall) goja.Value {
		m.throwInInit("browser.closeContext")
		bc := m.current()
		if bc == nil {
			panic(m.jsError(errors.New("browser.closeContext: no browser context to close")))
		}
		m.ctxMu.Lock()
		if m.bctx == bc {
			m.bctx = nil
		}
		m.ctxMu.Unlock()
		return m.async(func() (func() goja.Value, error) {
			bc.close()
			return nil, nil
		})
	}))
	must(o.Set("isConnected", func(goja.FunctionCall) goja.Value {
		m.procMu.Lock()
		defer m.procMu.Unlock()
		return rt.ToValue(m.proc != nil && m.proc.alive())
	}))
	must(o.Set("version", func(goja.FunctionCall) goja.Value {
		m.throwInInit("browser.version")
		p, err := m.ensureBrowser()
		if err != nil {
			panic(m.jsError(err))
		}
		return rt.ToValue(p.version)
	}))
	must(o.Set("userAgent", func(goja.FunctionCall) goja.Value {
		m.throwInInit("browser.userAgent")
		p, err := m.ensureBrowser()
		if err != nil {
			panic(m.jsError(err))
		}
		return rt.ToValue(p.userAgent)
	}))
	return o
}

// object is the JS BrowserContext; VU goroutine only.
func (bc *bcontext) object() *goja.Object {
	if bc.obj != nil {
		return bc.obj
	}
	m, rt := bc.m, bc.m.rt
	o := rt.NewObject()
	bc.obj = o
	must(o.Set("newPage", func(goja.FunctionCall) goja.Value {
		if bc.isClosed() {
			return m.rejected(errors.New("browserContext.newPage: the browser context is closed"))
		}
		return m.async(func() (func() goja.Value, error) {
			p, err := bc.newPage()
			if err != nil {
				return nil, err
			}
			return func() goja.Value { return p.object() }, nil
		})
	}))
	must(o.Set("pages", func(goja.FunctionCall) goja.Value {
		bc.mu.Lock()
		pages := append([]*page(nil), bc.pages...)
		bc.mu.Unlock()
		arr := make([]any, len(pages))
		for i, p := range pages {
			arr[i] = p.object()
		}
		return rt.ToValue(arr)
	}))
	must(o.Set("close", func(goja.FunctionCall) goja.Value {
		m.ctxMu.Lock()
		if m.bctx == bc {
			m.bctx = nil
		}
		m.ctxMu.Unlock()
		return m.async(func() (func() goja.Value, error) {
			bc.close()
			return nil, nil
		})
	}))
	must(o.Set("browser", func(goja.FunctionCall) goja.Value { return m.browserObj }))
	must(o.Set("setDefaultTimeout", func(call goja.FunctionCall) goja.Value {
		bc.mu.Lock()
		bc.timeout = time.Duration(call.Argument(0).ToFloat() * float64(time.Millisecond))
		bc.mu.Unlock()
		return goja.Undefined()
	}))
	must(o.Set("setDefaultNavigationTimeout", func(call goja.FunctionCall) goja.Value {
		bc.mu.Lock()
		bc.navTimeout = time.Duration(call.Argument(0).ToFloat() * float64(time.Millisecond))
		bc.mu.Unlock()
		return goja.Undefined()
	}))
	return o
}
