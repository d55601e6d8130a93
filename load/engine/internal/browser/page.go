package browser

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/inspector"
	"github.com/chromedp/cdproto/network"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/dop251/goja"

	"swarm-gameday/engine/internal/metrics"
)

// bindingName is the function the injected web-vitals script calls to report a measurement.
const bindingName = "__gamedayWebVital"

type navEntry struct {
	loader  cdp.LoaderID
	url     string
	sameDoc bool
}

// respInfo is what a Response object needs of the main document's response.
type respInfo struct {
	requestID  network.RequestID
	url        string
	status     int64
	statusText string
	headers    map[string]string
	fromCache  bool
}

type reqInfo struct {
	url, method, resType string
	start                cdp.MonotonicTime
	status               int64
	proto                string
	sent                 float64
}

// page is a k6 Page: one tab of a browser context.
type page struct {
	m  *module
	bc *bcontext

	ctx    context.Context // chromedp tab context
	cancel context.CancelFunc

	mu         sync.Mutex
	notify     chan struct{} // closed and replaced on every navigation state change
	mainFrame  cdp.FrameID
	url        string
	navs       []navEntry
	lifecycle  map[cdp.LoaderID]map[string]bool
	docResp    map[cdp.LoaderID]*respInfo
	reqs       map[network.RequestID]*reqInfo
	gone       error // set when the page is closed or crashed
	closing    bool
	timeout    time.Duration
	navTimeout time.Duration
	viewportW  int64
	viewportH  int64
	vitals     map[runtime.ExecutionContextID]*docVitals

	closeOnce sync.Once
	obj       *goja.Object // VU goroutine only
}

func ptr[T any](v T) *T { return &v }

func (bc *bcontext) newPage() (*page, error) {
	bc.mu.Lock()
	if bc.closed {
		bc.mu.Unlock()
		return nil, errors.New("k6/browser: the browser context is closed")
	}
	p := &page{m: bc.m, bc: bc, notify: make(chan struct{}), url: "about:blank",
		lifecycle: map[cdp.LoaderID]map[string]bool{}, docResp: map[cdp.LoaderID]*respInfo{},
		reqs: map[network.RequestID]*reqInfo{}, vitals: map[runtime.ExecutionContextID]*docVitals{}, timeout: bc.timeout, navTimeout: bc.navTimeout,
		viewportW: 1280, viewportH: 720}
	bc.mu.Unlock()
	if bc.opts.viewportW > 0 && bc.opts.viewportH > 0 {
		p.viewportW, p.viewportH = bc.opts.viewportW, bc.opts.viewportH
	}

	p.ctx, p.cancel = chromedp.NewContext(bc.proc.ctx,
		chromedp.WithExistingBrowserContext(bc.id), chromedp.WithListener(p.onEvent))
	done := make(chan error, 1)
	go func() { done <- chromedp.Do(p.ctx) }() // creates and attaches the tab
	timer := time.NewTimer(bc.m.cfg.timeout)
	defer timer.Stop()
	var err error
	select {
	case err = <-done:
	case <-timer.C:
		err = fmt.Errorf("timed out after %s", fmtDuration(bc.m.cfg.timeout))
	}
	if err == nil {
		err = p.setup()
	}
	if err != nil {
		p.cancel()
		return nil, fmt.Errorf("k6/browser: creating a page: %w", err)
	}
	if c := chromedp.FromContext(p.ctx); c != nil && c.Target != nil {
		p.mu.Lock()
		if p.mainFrame == "" {
			p.mainFrame = cdp.FrameID(c.Target.TargetID)
		}
		p.mu.Unlock()
	}
	if ch, err := chromedp.Detached(p.ctx); err == nil {
		go func() {
			select {
			case <-ch:
				p.markGone(errors.New("the page was closed"))
			case <-p.ctx.Done():
				p.markGone(errors.New("the page was closed"))
			}
		}()
	}

	bc.mu.Lock()
	if bc.closed {
		bc.mu.Unlock()
		p.close()
		return nil, errors.New("k6/browser: the browser context was closed")
	}
	bc.pages = append(bc.pages, p)
	bc.mu.Unlock()
	return p, nil
}

// setup prepares a new tab: the web-vitals reporter, the viewport, the context options.
func (p *page) setup() error {
	ctx, cancel := context.WithTimeout(p.ctx, p.m.cfg.timeout)
	defer cancel()
	if _, err := chromedp.Call(ctx, runtime.AddBinding, runtime.AddBindingParams{Name: bindingName}); err != nil {
		return err
	}
	if _, err := chromedp.Call(ctx, cdppage.AddScriptToEvaluateOnNewDocument,
		cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: webVitalsScript}); err != nil {
		return err
	}
	// Pages of a context are in separate windows; only one has the focus. Emulate focus on every
	// one so that focus()/blur and :focus behave as in a foreground tab.
	_, _ = chromedp.Call(ctx, emulation.SetFocusEmulationEnabled, emulation.SetFocusEmulationEnabledParams{Enabled: true})
	if _, err := chromedp.Call(ctx, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{
		Width: p.viewportW, Height: p.viewportH, DeviceScaleFactor: 1}); err != nil {
		return err
	}
	o := p.bc.opts
	if o.userAgent != "" || o.locale != "" {
		ua := o.userAgent
		if ua == "" {
			p.m.procMu.Lock()
			if p.m.proc != nil {
				ua = p.m.proc.userAgent
			}
			p.m.procMu.Unlock()
		}
		if _, err := chromedp.Call(ctx, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{UserAgent: ua, AcceptLanguage: o.locale}); err != nil {
			return err
		}
	}
	if len(o.extraHeaders) > 0 {
		if _, err := chromedp.Call(ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers(o.extraHeaders)}); err != nil {
			return err
		}
	}
	return nil
}

// changed wakes the waiters; p.mu held.
func (p *page) changed() {
	close(p.notify)
	p.notify = make(chan struct{})
}

func (p *page) markGone(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.gone == nil {
		p.gone = err
		p.changed()
	}
}

func (p *page) isClosed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.gone != nil || p.closing
}

// onEvent runs on chromedp's reader goroutine: it must be fast and never call CDP.
func (p *page) onEvent(ev any) {
	switch e := ev.(type) {
	case *cdppage.EventFrameNavigated:
		if e.Frame == nil || e.Frame.ParentID != "" {
			return
		}
		p.mu.Lock()
		p.mainFrame = e.Frame.ID
		p.url = e.Frame.URL + e.Frame.URLFragment
		p.navs = append(p.navs, navEntry{loader: e.Frame.LoaderID, url: p.url})
		p.changed()
		p.mu.Unlock()
		p.emitVitals() // the previous document was left
	case *cdppage.EventNavigatedWithinDocument:
		p.mu.Lock()
		if e.FrameID == p.mainFrame {
			p.url = e.URL
			p.navs = append(p.navs, navEntry{url: e.URL, sameDoc: true})
			p.changed()
		}
		p.mu.Unlock()
	case *cdppage.EventLifecycleEvent:
		p.mu.Lock()
		lc := p.lifecycle[e.LoaderID]
		if lc == nil || e.Name == "init" {
			lc = map[string]bool{}
			p.lifecycle[e.LoaderID] = lc
		}
		lc[e.Name] = true
		p.changed()
		p.mu.Unlock()
	case *inspector.EventTargetCrashed:
		p.markGone(errors.New("the page crashed"))
	case *runtime.EventBindingCalled:
		if e.Name == bindingName {
			p.onWebVital(e.ExecutionContextID, e.Payload)
		}
	case *network.EventRequestWillBeSent:
		p.onRequest(e)
	case *network.EventResponseReceived:
		p.onResponse(e)
	case *network.EventLoadingFinished:
		p.mu.Lock()
		r := p.reqs[e.RequestID]
		delete(p.reqs, e.RequestID)
		p.mu.Unlock()
		if r != nil {
			p.finishRequest(r, e.Timestamp, e.EncodedDataLength, "")
		}
	case *network.EventLoadingFailed:
		p.mu.Lock()
		r := p.reqs[e.RequestID]
		delete(p.reqs, e.RequestID)
		p.mu.Unlock()
		if r != nil {
			msg := e.ErrorText
			if msg == "" {
				msg = "failed"
			}
			p.finishRequest(r, e.Timestamp, 0, msg)
		}
	}
}

func headerBytes(h network.Headers) float64 {
	n := 0
	for k, v := range h {
		n += len(k) + len(fmt.Sprint(v)) + 4
	}
	return float64(n)
}

func (p *page) onRequest(e *network.EventRequestWillBeSent) {
	if e.Request == nil {
		return
	}
	p.mu.Lock()
	prev := p.reqs[e.RequestID]
	delete(p.reqs, e.RequestID)
	p.mu.Unlock()
	if prev != nil && e.RedirectResponse != nil {
		prev.status = e.RedirectResponse.Status
		prev.proto = e.RedirectResponse.Protocol
		p.finishRequest(prev, e.Timestamp, e.RedirectResponse.EncodedDataLength, "")
	}
	u := e.Request.URL + e.Request.URLFragment
	if strings.HasPrefix(u, "data:") || strings.HasPrefix(u, "blob:") {
		return
	}
	sent := float64(len(e.Request.Method)+len(e.Request.URL)+12) + headerBytes(e.Request.Headers)
	for _, pd := range e.Request.PostDataEntries {
		if pd != nil {
			sent += float64(len(pd.Bytes))
		}
	}
	r := &reqInfo{url: e.Request.URL, method: e.Request.Method, resType: string(e.Type), start: e.Timestamp, sent: sent}
	p.mu.Lock()
	p.reqs[e.RequestID] = r
	p.mu.Unlock()
}

func (p *page) onResponse(e *network.EventResponseReceived) {
	if e.Response == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if r := p.reqs[e.RequestID]; r != nil {
		r.status = e.Response.Status
		r.proto = e.Response.Protocol
	}
	if e.Type == network.ResourceTypeDocument && e.LoaderID != "" {
		h := map[string]string{}
		for k, v := range e.Response.Headers {
			h[strings.ToLower(k)] = fmt.Sprint(v)
		}
		p.docResp[e.LoaderID] = &respInfo{requestID: e.RequestID, url: e.Response.URL, status: e.Response.Status,
			statusText: e.Response.StatusText, headers: h, fromCache: e.Response.FromDiskCache}
		p.changed()
	}
}

func protoTag(p string) string {
	switch strings.ToLower(p) {
	case "":
		return ""
	case "h2":
		return "HTTP/2.0"
	case "h3":
		return "HTTP/3.0"
	}
	return strings.ToUpper(p)
}

// finishRequest records the browser_http_req_* and browser_data_* samples of one request (one
// hop of a redirect chain).
func (p *page) finishRequest(r *reqInfo, end cdp.MonotonicTime, received float64, failure string) {
	now := time.Now()
	d := (float64(end) - float64(r.start)) * 1000
	if d < 0 {
		d = 0
	}
	tags := map[string]string{"url": r.url, "name": r.url, "method": r.method,
		"status": strconv.FormatInt(r.status, 10), "resource_type": r.resType}
	if pt := protoTag(r.proto); pt != "" {
		tags["proto"] = pt
	}
	failed := 0.0
	if failure != "" {
		failed = 1
		tags["error"] = failure
		tags["status"] = "0"
	} else if r.status >= 400 {
		failed = 1
	}
	ms := p.m.ms
	p.m.queue(pendingSample{ms.reqDuration, now, d, tags})
	p.m.queue(pendingSample{ms.reqFailed, now, failed, tags})
	p.m.queue(pendingSample{ms.dataSent, now, r.sent, tags})
	if received > 0 {
		p.m.queue(pendingSample{ms.dataReceived, now, received, tags})
	}
}

// ratings are web.dev's "good" and "poor" boundaries of each web vital.
var ratings = map[string][2]float64{
	"LCP": {2500, 4000}, "FCP": {1800, 3000}, "CLS": {0.1, 0.25},
	"TTFB": {800, 1800}, "INP": {200, 500}, "FID": {100, 300},
}

// docVitals are the web vitals of one document that are final only when it is left.
type docVitals struct {
	url       string
	lcp, inp  *float64
	cls       float64
	done      bool // emitted
	lcpPushed bool
}

func rating(name string, v float64) string {
	if b, ok := ratings[name]; ok {
		switch {
		case v > b[1]:
			return "poor"
		case v > b[0]:
			return "needs-improvement"
		}
	}
	return "good"
}

func (p *page) queueVital(name string, value float64, url string) {
	ms := p.m.ms
	metric := map[string]*metrics.Metric{"LCP": ms.lcp, "FCP": ms.fcp, "CLS": ms.cls, "TTFB": ms.ttfb, "INP": ms.inp, "FID": ms.fid}[name]
	if metric == nil || value < 0 {
		return
	}
	p.m.queue(pendingSample{metric, time.Now(), value, map[string]string{"url": url, "rating": rating(name, value)}})
}

// onWebVital handles a report of the page script: FCP, TTFB and FID are final at once; LCP, CLS
// and INP are candidates kept per document (execution context) until the document is left
// (the next main-frame document, page close, or the page's own "flush").
func (p *page) onWebVital(ctxID runtime.ExecutionContextID, payload string) {
	var v struct {
		Name  string  `json:"name"`
		Value float64 `json:"value"`
		URL   string  `json:"url"`
	}
	if json.Unmarshal([]byte(payload), &v) != nil {
		return
	}
	switch v.Name {
	case "FCP", "TTFB", "FID":
		p.queueVital(v.Name, v.Value, v.URL)
		return
	case "flush":
		p.mu.Lock()
		d := p.vitals[ctxID]
		p.mu.Unlock()
		if d != nil {
			p.emitDoc(d)
		}
		return
	}
	p.mu.Lock()
	d := p.vitals[ctxID]
	if d == nil {
		d = &docVitals{url: v.URL}
		p.vitals[ctxID] = d
	}
	val := v.Value
	late := false
	switch v.Name {
	case "LCP":
		d.lcp = &val
		late = d.done && !d.lcpPushed // left before its first paint was seen
		if late {
			d.lcpPushed = true
		}
	case "CLS":
		d.cls = val
	case "INP":
		d.inp = &val
	}
	p.mu.Unlock()
	if late {
		p.queueVital("LCP", val, d.url)
	}
}

// emitDoc queues the final LCP, CLS and INP of a document, once.
func (p *page) emitDoc(d *docVitals) {
	p.mu.Lock()
	if d.done {
		p.mu.Unlock()
		return
	}
	d.done = true
	lcp, cls, inp, url := d.lcp, d.cls, d.inp, d.url
	d.lcpPushed = lcp != nil
	p.mu.Unlock()
	if lcp != nil {
		p.queueVital("LCP", *lcp, url)
	}
	p.queueVital("CLS", cls, url)
	if inp != nil {
		p.queueVital("INP", *inp, url)
	}
}

// emitVitals emits every document not yet emitted (all of them were left).
func (p *page) emitVitals() {
	p.mu.Lock()
	docs := make([]*docVitals, 0, len(p.vitals))
	for _, d := range p.vitals {
		if !d.done {
			docs = append(docs, d)
		}
	}
	p.mu.Unlock()
	for _, d := range docs {
		p.emitDoc(d)
	}
}

// opCtx is the context of one operation: the tab's, limited by timeout (0 = none) and cancelled
// when the iteration must stop.
func (p *page) opCtx(iter context.Context, timeout time.Duration) (context.Context, context.CancelFunc) {
	var ctx context.Context
	var cancel context.CancelFunc
	if timeout > 0 {
		ctx, cancel = context.WithTimeout(p.ctx, timeout)
	} else {
		ctx, cancel = context.WithCancel(p.ctx)
	}
	stop := func() bool { return false }
	if iter != nil {
		stop = context.AfterFunc(iter, cancel)
	}
	return ctx, func() { stop(); cancel() }
}

// ctxErr turns a context error of an operation into k6-like wording.
func (p *page) ctxErr(ctx context.Context, what string, timeout time.Duration, err error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: timed out after %s", what, fmtDuration(timeout))
	}
	p.mu.Lock()
	gone := p.gone
	p.mu.Unlock()
	if gone != nil {
		return fmt.Errorf("%s: %w", what, gone)
	}
	if ctx.Err() != nil {
		return fmt.Errorf("%s: interrupted", what)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// lifecycleName maps waitUntil to CDP's lifecycle event names.
func lifecycleName(waitUntil string) (string, error) {
	switch waitUntil {
	case "", "load":
		return "load", nil
	case "domcontentloaded":
		return "DOMContentLoaded", nil
	case "networkidle":
		return "networkIdle", nil
	}
	return "", fmt.Errorf("waitUntil: expected load, domcontentloaded or networkidle, got %q", waitUntil)
}

// waitLoader waits until the document of loader reaches event.
func (p *page) waitLoader(ctx context.Context, loader cdp.LoaderID, event string) (*respInfo, error) {
	for {
		p.mu.Lock()
		if p.gone != nil {
			err := p.gone
			p.mu.Unlock()
			return nil, err
		}
		if p.lifecycle[loader][event] {
			r := p.docResp[loader]
			p.mu.Unlock()
			return r, nil
		}
		ch := p.notify
		p.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// waitNav waits for the first main-frame navigation at or after index from (matching match, if
// given) and then for its document to reach event. A navigation that a later one replaces before
// reaching event is skipped.
func (p *page) waitNav(ctx context.Context, from int, event string, match func(string) bool) (*respInfo, error) {
	idx := from
	for {
		p.mu.Lock()
		if p.gone != nil {
			err := p.gone
			p.mu.Unlock()
			return nil, err
		}
		for idx < len(p.navs) {
			n := p.navs[idx]
			if match != nil && !match(n.url) {
				idx++
				continue
			}
			if n.sameDoc {
				p.mu.Unlock()
				return nil, nil
			}
			if p.lifecycle[n.loader][event] {
				r := p.docResp[n.loader]
				p.mu.Unlock()
				return r, nil
			}
			if idx+1 < len(p.navs) {
				idx++
				continue
			}
			break
		}
		ch := p.notify
		p.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func (p *page) navCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.navs)
}

// flushVitals asks the page to report its pending web vitals (LCP, CLS, INP) now.
func (p *page) flushVitals() {
	ctx, cancel := context.WithTimeout(p.ctx, 2*time.Second)
	defer cancel()
	_, _, _ = p.eval(ctx, "typeof window.__gamedayFlushSoon === 'function' && window.__gamedayFlushSoon()", true)
}

func (p *page) close() {
	p.closeOnce.Do(func() {
		p.mu.Lock()
		p.closing = true
		gone := p.gone
		p.mu.Unlock()
		if gone == nil {
			p.flushVitals()
		}
		p.emitVitals()
		p.cancel() // closes the tab (waits a little for it)
		p.markGone(errors.New("the page was closed"))
		p.bc.removePage(p)
	})
}

// eval evaluates expr in the main frame and returns its JSON value and type.
func (p *page) eval(ctx context.Context, expr string, await bool) (json.RawMessage, string, error) {
	res, err := chromedp.Call(ctx, runtime.Evaluate, runtime.EvaluateParams{
		Expression: expr, ReturnByValue: ptr(true), AwaitPromise: ptr(await), UserGesture: ptr(true)})
	if err != nil {
		return nil, "", err
	}
	if res.ExceptionDetails != nil {
		msg := res.ExceptionDetails.Text
		if ex := res.ExceptionDetails.Exception; ex != nil && ex.Description != "" {
			msg = ex.Description
		}
		return nil, "", &jsException{msg}
	}
	if res.Result == nil {
		return nil, "undefined", nil
	}
	return json.RawMessage(res.Result.Value), string(res.Result.Type), nil
}

type jsException struct{ msg string }

func (e *jsException) Error() string { return e.msg }

// transient reports errors that a navigation in progress causes: the operation is retried.
func transient(err error) bool {
	if err == nil {
		return false
	}
	s := err.Error()
	for _, t := range []string{"Execution context was destroyed", "Cannot find default execution context",
		"Cannot find context with specified id", "Inspected target navigated or closed", "uniqueContextId not found"} {
		if strings.Contains(s, t) {
			return true
		}
	}
	return false
}

func (p *page) defaults() (timeout, navTimeout time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.timeout, p.navTimeout
}

// urlMatcher builds the url option of waitForNavigation: an exact string or a RegExp.
func urlMatcher(rt *goja.Runtime, opts goja.Value) (func(string) bool, error) {
	o := asObject(rt, opts)
	if o == nil {
		return nil, nil
	}
	v := o.Get("url")
	if v == nil || goja.IsUndefined(v) || goja.IsNull(v) {
		return nil, nil
	}
	if ro, ok := v.(*goja.Object); ok && ro.ClassName() == "RegExp" {
		re, err := regexp.Compile(ro.Get("source").String())
		if err != nil {
			return nil, fmt.Errorf("url: %w", err)
		}
		return re.MatchString, nil
	}
	s := v.String()
	return func(u string) bool { return u == s }, nil
}

// object is the JS Page; VU goroutine only.
func (p *page) object() *goja.Object {
	if p.obj != nil {
		return p.obj
	}
	m, rt := p.m, p.m.rt
	o := rt.NewObject()
	p.obj = o
	set := func(name string, fn func(call goja.FunctionCall) goja.Value) { must(o.Set(name, fn)) }
	closedErr := func(fn string) error { return fmt.Errorf("page.%s: the page is closed", fn) }

	set("goto", func(call goja.FunctionCall) goja.Value {
		url := call.Argument(0).String()
		_, navDef := p.defaults()
		timeout := optTimeout(rt, call.Argument(1), navDef)
		event, err := lifecycleName(optString(rt, call.Argument(1), "waitUntil", "load"))
		if err != nil {
			return m.rejected(fmt.Errorf("page.goto: %w", err))
		}
		referer := optString(rt, call.Argument(1), "referer", "")
		if p.isClosed() {
			return m.rejected(closedErr("goto"))
		}
		ictx := m.vu.Context()
		return m.async(func() (func() goja.Value, error) {
			what := fmt.Sprintf("navigating to %q", url)
			p.flushVitals()
			ctx, cancel := p.opCtx(ictx, timeout)
			defer cancel()
			res, err := chromedp.Call(ctx, cdppage.Navigate, cdppage.NavigateParams{URL: url, Referrer: referer})
			if err != nil {
				return nil, p.ctxErr(ctx, what, timeout, err)
			}
			if res.ErrorText != "" {
				return nil, fmt.Errorf("%s: %s", what, res.ErrorText)
			}
			if res.LoaderID == "" { // same-document navigation
				return func() goja.Value { return goja.Null() }, nil
			}
			r, err := p.waitLoader(ctx, res.LoaderID, event)
			if err != nil {
				return nil, p.ctxErr(ctx, what, timeout, err)
			}
			return p.responseConv(r), nil
		})
	})
	set("reload", func(call goja.FunctionCall) goja.Value {
		_, navDef := p.defaults()
		timeout := optTimeout(rt, call.Argument(0), navDef)
		event, err := lifecycleName(optString(rt, call.Argument(0), "waitUntil", "load"))
		if err != nil {
			return m.rejected(fmt.Errorf("page.reload: %w", err))
		}
		if p.isClosed() {
			return m.rejected(closedErr("reload"))
		}
		ictx := m.vu.Context()
		return m.async(func() (func() goja.Value, error) {
			p.flushVitals()
			ctx, cancel := p.opCtx(ictx, timeout)
			defer cancel()
			from := p.navCount()
			if _, err := chromedp.Call(ctx, cdppage.Reload, cdppage.ReloadParams{}); err != nil {
				return nil, p.ctxErr(ctx, "reloading", timeout, err)
			}
			r, err := p.waitNav(ctx, from, event, nil)
			if err != nil {
				return nil, p.ctxErr(ctx, "reloading", timeout, err)
			}
			return p.responseConv(r), nil
		})
	})
	set("waitForNavigation", func(call goja.FunctionCall) goja.Value {
		_, navDef := p.defaults()
		timeout := optTimeout(rt, call.Argument(0), navDef)
		event, err := lifecycleName(optString(rt, call.Argument(0), "waitUntil", "load"))
		if err != nil {
			return m.rejected(fmt.Errorf("page.waitForNavigation: %w", err))
		}
		match, err := urlMatcher(rt, call.Argument(0))
		if err != nil {
			return m.rejected(fmt.Errorf("page.waitForNavigation: %w", err))
		}
		if p.isClosed() {
			return m.rejected(closedErr("waitForNavigation"))
		}
		from := p.navCount() // listen from now on: a click that follows is seen
		ictx := m.vu.Context()
		return m.async(func() (func() goja.Value, error) {
			ctx, cancel := p.opCtx(ictx, timeout)
			defer cancel()
			r, err := p.waitNav(ctx, from, event, match)
			if err != nil {
				return nil, p.ctxErr(ctx, "waiting for navigation", timeout, err)
			}
			return p.responseConv(r), nil
		})
	})
	set("waitForLoadState", func(call goja.FunctionCall) goja.Value {
		state := "load"
		if a := call.Argument(0); !goja.IsUndefined(a) && !goja.IsNull(a) {
			state = a.String()
		}
		event, err := lifecycleName(state)
		if err != nil {
			return m.rejected(fmt.Errorf("page.waitForLoadState: %w", err))
		}
		_, navDef := p.defaults()
		timeout := optTimeout(rt, call.Argument(1), navDef)
		ictx := m.vu.Context()
		return m.async(func() (func() goja.Value, error) {
			ctx, cancel := p.opCtx(ictx, timeout)
			defer cancel()
			p.mu.Lock()
			var loader cdp.LoaderID
			for i := len(p.navs) - 1; i >= 0; i-- {
				if !p.navs[i].sameDoc {
					loader = p.navs[i].loader
					break
				}
			}
			p.mu.Unlock()
			if loader == "" {
				return nil, nil // about:blank, nothing loads
			}
			if _, err := p.waitLoader(ctx, loader, event); err != nil {
				return nil, p.ctxErr(ctx, "waiting for load state "+state, timeout, err)
			}
			return nil, nil
		})
	})
	set("waitForTimeout", func(call goja.FunctionCall) goja.Value {
		d := time.Duration(call.Argument(0).ToFloat() * float64(time.Millisecond))
		ictx := m.vu.Context()
		return m.async(func() (func() goja.Value, error) {
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-t.C:
			case <-ictx.Done():
			case <-p.ctx.Done():
			}
			return nil, nil
		})
	})
	set("close", func(goja.FunctionCall) goja.Value {
		return m.async(func() (func() goja.Value, error) {
			p.close()
			return nil, nil
		})
	})
	set("on", func(call goja.FunctionCall) goja.Value {
		panic(m.jsError(fmt.Errorf("page.on(%q): page events are not supported by gameday-engine", call.Argument(0).String())))
	})
	set("isClosed", func(goja.FunctionCall) goja.Value { return rt.ToValue(p.isClosed()) })
	set("url", func(goja.FunctionCall) goja.Value {
		p.mu.Lock()
		defer p.mu.Unlock()
		return rt.ToValue(p.url)
	})
	set("context", func(goja.FunctionCall) goja.Value { return p.bc.object() })
	set("bringToFront", func(goja.FunctionCall) goja.Value {
		return m.async(func() (func() goja.Value, error) {
			ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
			defer cancel()
			_, err := chromedp.Call(ctx, cdppage.BringToFront, cdp.Empty{})
			return nil, err
		})
	})
	set("setDefaultTimeout", func(call goja.FunctionCall) goja.Value {
		p.mu.Lock()
		p.timeout = time.Duration(call.Argument(0).ToFloat() * float64(time.Millisecond))
		p.mu.Unlock()
		return goja.Undefined()
	})
	set("setDefaultNavigationTimeout", func(call goja.FunctionCall) goja.Value {
		p.mu.Lock()
		p.navTimeout = time.Duration(call.Argument(0).ToFloat() * float64(time.Millisecond))
		p.mu.Unlock()
		return goja.Undefined()
	})
	set("viewportSize", func(goja.FunctionCall) goja.Value {
		p.mu.Lock()
		defer p.mu.Unlock()
		return rt.ToValue(map[string]any{"width": p.viewportW, "height": p.viewportH})
	})
	set("setViewportSize", func(call goja.FunctionCall) goja.Value {
		vp := asObject(rt, call.Argument(0))
		if vp == nil {
			return m.rejected(errors.New("page.setViewportSize: expected {width, height}"))
		}
		w, h := vp.Get("width").ToInteger(), vp.Get("height").ToInteger()
		return m.async(func() (func() goja.Value, error) {
			ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
			defer cancel()
			_, err := chromedp.Call(ctx, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{Width: w, Height: h, DeviceScaleFactor: 1})
			if err == nil {
				p.mu.Lock()
				p.viewportW, p.viewportH = w, h
				p.mu.Unlock()
			}
			return nil, err
		})
	})
	set("title", func(goja.FunctionCall) goja.Value {
		return p.evalString("page.title", "document.title")
	})
	set("content", func(goja.FunctionCall) goja.Value {
		return p.evalString("page.content", `(() => { let s = ''; if (document.doctype) s = new XMLSerializer().serializeToString(document.doctype); if (document.documentElement) s += document.documentElement.outerHTML; return s; })()`)
	})
	set("setContent", func(call goja.FunctionCall) goja.Value {
		html := call.Argument(0).String()
		_, navDef := p.defaults()
		timeout := optTimeout(rt, call.Argument(1), navDef)
		ictx := m.vu.Context()
		return m.async(func() (func() goja.Value, error) {
			ctx, cancel := p.opCtx(ictx, timeout)
			defer cancel()
			p.mu.Lock()
			frame := p.mainFrame
			p.mu.Unlock()
			if _, err := chromedp.Call(ctx, cdppage.SetDocumentContent, cdppage.SetDocumentContentParams{FrameID: frame, HTML: html}); err != nil {
				return nil, p.ctxErr(ctx, "page.setContent", timeout, err)
			}
			return nil, nil
		})
	})
	set("evaluate", func(call goja.FunctionCall) goja.Value {
		expr, err := evalExpression(rt, call.Arguments)
		if err != nil {
			return m.rejected(fmt.Errorf("page.evaluate: %w", err))
		}
		if p.isClosed() {
			return m.rejected(closedErr("evaluate"))
		}
		ictx := m.vu.Context()
		return m.async(func() (func() goja.Value, error) {
			ctx, cancel := p.opCtx(ictx, 0)
			defer cancel()
			raw, typ, err := p.eval(ctx, expr, true)
			if err != nil {
				return nil, p.ctxErr(ctx, "page.evaluate", 0, err)
			}
			return jsonConv(rt, raw, typ), nil
		})
	})
	set("screenshot", func(call goja.FunctionCall) goja.Value {
		opts := call.Argument(0)
		path := optString(rt, opts, "path", "")
		format := optString(rt, opts, "type", "")
		if format == "" {
			format = "png"
			if ext := strings.ToLower(filepath.Ext(path)); ext == ".jpg" || ext == ".jpeg" {
				format = "jpeg"
			}
		}
		if format != "png" && format != "jpeg" {
			return m.rejected(fmt.Errorf("page.screenshot: type: expected png or jpeg, got %q", format))
		}
		var quality *int64
		if o := asObject(rt, opts); o != nil {
			if q := o.Get("quality"); q != nil && !goja.IsUndefined(q) && format == "jpeg" {
				quality = ptr(q.ToInteger())
			}
		}
		fullPage := optBool(rt, opts, "fullPage")
		timeout, _ := p.defaults()
		timeout = optTimeout(rt, opts, timeout)
		ictx := m.vu.Context()
		return m.async(func() (func() goja.Value, error) {
			ctx, cancel := p.opCtx(ictx, timeout)
			defer cancel()
			params := cdppage.CaptureScreenshotParams{Format: cdppage.CaptureScreenshotFormat(format), Quality: quality}
			if fullPage {
				lm, err := chromedp.Call(ctx, cdppage.GetLayoutMetrics, cdp.Empty{})
				if err == nil && lm.CSSContentSize != nil {
					params.CaptureBeyondViewport = ptr(true)
					params.Clip = &cdppage.Viewport{Width: lm.CSSContentSize.Width, Height: lm.CSSContentSize.Height, Scale: 1}
				}
			}
			res, err := chromedp.Call(ctx, cdppage.CaptureScreenshot, params)
			if err != nil {
				return nil, p.ctxErr(ctx, "page.screenshot", timeout, err)
			}
			if path != "" {
				if dir := filepath.Dir(path); dir != "" {
					_ = os.MkdirAll(dir, 0o755)
				}
				if err := os.WriteFile(path, res.Data, 0o644); err != nil {
					return nil, fmt.Errorf("page.screenshot: %w", err)
				}
			}
			data := res.Data
			return func() goja.Value { return rt.ToValue(rt.NewArrayBuffer(data)) }, nil
		})
	})
	set("locator", func(call goja.FunctionCall) goja.Value {
		return p.newLocator(call.Argument(0).String(), 0).object()
	})
	// The selector-first methods of Page are the locator's, on the first match.
	for _, name := range []string{"click", "fill", "isVisible", "isHidden", "textContent", "innerText",
		"innerHTML", "getAttribute", "inputValue", "isChecked", "isEnabled", "isDisabled", "isEditable",
		"focus", "hover", "check", "uncheck", "dblclick", "type", "press", "selectOption"} {
		name := name
		set(name, func(call goja.FunctionCall) goja.Value {
			lo := p.newLocator(call.Argument(0).String(), 0).object()
			fn, ok := goja.AssertFunction(lo.Get(name))
			if !ok {
				panic(rt.NewTypeError("page." + name + " is not a function"))
			}
			v, err := fn(lo, call.Arguments[min(1, len(call.Arguments)):]...)
			if err != nil {
				panic(err)
			}
			return v
		})
	}
	return o
}

// evalString is an async evaluation returning a string.
func (p *page) evalString(what, expr string) goja.Value {
	m, rt := p.m, p.m.rt
	if p.isClosed() {
		return m.rejected(fmt.Errorf("%s: the page is closed", what))
	}
	timeout, _ := p.defaults()
	ictx := m.vu.Context()
	return m.async(func() (func() goja.Value, error) {
		ctx, cancel := p.opCtx(ictx, timeout)
		defer cancel()
		for {
			raw, _, err := p.eval(ctx, expr, false)
			if transient(err) && ctx.Err() == nil {
				time.Sleep(50 * time.Millisecond)
				continue
			}
			if err != nil {
				return nil, p.ctxErr(ctx, what, timeout, err)
			}
			var s string
			_ = json.Unmarshal(raw, &s)
			return func() goja.Value { return rt.ToValue(s) }, nil
		}
	})
}

// evalExpression builds the expression of page.evaluate(pageFunction, arg): a function is sent
// as its source and called with the JSON of arg; a string is evaluated as is.
func evalExpression(rt *goja.Runtime, args []goja.Value) (string, error) {
	if len(args) == 0 {
		return "", errors.New("expected a function or a string")
	}
	fnV := args[0]
	if _, ok := goja.AssertFunction(fnV); !ok {
		return fnV.String(), nil
	}
	src := fnV.String()
	parts := make([]string, 0, len(args)-1)
	for _, a := range args[1:] {
		b, err := json.Marshal(a.Export())
		if err != nil {
			return "", fmt.Errorf("argument: %w", err)
		}
		parts = append(parts, string(b))
	}
	return "(" + src + ")(" + strings.Join(parts, ",") + ")", nil
}

// jsonConv makes a converter of an evaluation result.
func jsonConv(rt *goja.Runtime, raw json.RawMessage, typ string) func() goja.Value {
	return func() goja.Value {
		if typ == "undefined" || len(raw) == 0 {
			return goja.Undefined()
		}
		var v any
		if json.Unmarshal(raw, &v) != nil {
			return goja.Undefined()
		}
		if v == nil {
			return goja.Null()
		}
		return rt.ToValue(v)
	}
}

// responseConv builds the JS Response (or null).
func (p *page) responseConv(r *respInfo) func() goja.Value {
	return func() goja.Value {
		if r == nil {
			return goja.Null()
		}
		return p.responseObject(r)
	}
}

func (p *page) responseObject(r *respInfo) goja.Value {
	m, rt := p.m, p.m.rt
	o := rt.NewObject()
	set := func(name string, fn func(call goja.FunctionCall) goja.Value) { must(o.Set(name, fn)) }
	set("status", func(goja.FunctionCall) goja.Value { return rt.ToValue(r.status) })
	set("statusText", func(goja.FunctionCall) goja.Value { return rt.ToValue(r.statusText) })
	set("url", func(goja.FunctionCall) goja.Value { return rt.ToValue(r.url) })
	set("ok", func(goja.FunctionCall) goja.Value {
		return rt.ToValue(r.status == 0 || (r.status >= 200 && r.status <= 299))
	})
	set("headers", func(goja.FunctionCall) goja.Value {
		h := map[string]any{}
		for k, v := range r.headers {
			h[k] = v
		}
		return rt.ToValue(h)
	})
	set("headerValue", func(call goja.FunctionCall) goja.Value {
		name := strings.ToLower(call.Argument(0).String())
		return m.async(func() (func() goja.Value, error) {
			return func() goja.Value {
				if v, ok := r.headers[name]; ok {
					return rt.ToValue(v)
				}
				return goja.Null()
			}, nil
		})
	})
	body := func(conv func([]byte) goja.Value) goja.Value {
		return m.async(func() (func() goja.Value, error) {
			ctx, cancel := context.WithTimeout(p.ctx, defaultTimeout)
			defer cancel()
			res, err := chromedp.Call(ctx, network.GetResponseBody, network.GetResponseBodyParams{RequestID: r.requestID})
			if err != nil {
				return nil, fmt.Errorf("response body of %s: %w", r.url, err)
			}
			b := res.Body
			return func() goja.Value { return conv(b) }, nil
		})
	}
	set("text", func(goja.FunctionCall) goja.Value {
		return body(func(b []byte) goja.Value { return rt.ToValue(string(b)) })
	})
	set("body", func(goja.FunctionCall) goja.Value {
		return body(func(b []byte) goja.Value { return rt.ToValue(rt.NewArrayBuffer(b)) })
	})
	set("json", func(goja.FunctionCall) goja.Value {
		return body(func(b []byte) goja.Value {
			var v any
			if err := json.Unmarshal(b, &v); err != nil {
				panic(m.jsError(fmt.Errorf("response.json: %w", err)))
			}
			return rt.ToValue(v)
		})
	})
	return o
}
