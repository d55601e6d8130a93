package browser

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dop251/goja"

	"swarm-gameday/engine/internal/js/modules"
	"swarm-gameday/engine/internal/metrics"
)

// fakeVU is a minimal modules.VU: a goja runtime, an event loop of callbacks, collected samples.
type fakeVU struct {
	rt    *goja.Runtime
	reg   *metrics.Registry
	state *modules.State
	init  *modules.InitEnv
	ctx   context.Context

	queue   chan func() error
	pending int

	mu      sync.Mutex
	samples []metrics.Sample
}

func newFakeVU(scenarioOptions map[string]any) *fakeVU {
	vu := &fakeVU{rt: goja.New(), reg: metrics.NewRegistry(), ctx: context.Background(),
		queue: make(chan func() error, 1024), init: &modules.InitEnv{Env: map[string]string{}}}
	vu.state = &modules.State{
		Push: func(s ...metrics.Sample) {
			vu.mu.Lock()
			vu.samples = append(vu.samples, s...)
			vu.mu.Unlock()
		},
		Tags:            func() map[string]string { return map[string]string{"scenario": "browser"} },
		VUID:            1,
		Scenario:        "browser",
		ScenarioOptions: scenarioOptions,
		Options:         &modules.Options{},
	}
	return vu
}

func (v *fakeVU) Runtime() *goja.Runtime      { return v.rt }
func (v *fakeVU) Context() context.Context    { return v.ctx }
func (v *fakeVU) Registry() *metrics.Registry { return v.reg }
func (v *fakeVU) Builtins() *metrics.Builtins { return nil }
func (v *fakeVU) State() *modules.State       { return v.state }
func (v *fakeVU) InitEnv() *modules.InitEnv   { return v.init }
func (v *fakeVU) RegisterCallback() func(func() error) {
	v.pending++
	var once sync.Once
	return func(f func() error) { once.Do(func() { v.queue <- f }) }
}

// load instantiates the module in the "init context" and exposes it as the global k6browser.
func (v *fakeVU) load(t *testing.T) {
	t.Helper()
	st := v.state
	v.state = nil
	exports, err := New(v)
	v.state = st
	if err != nil {
		t.Fatal(err)
	}
	v.init = nil
	if err := v.rt.Set("k6browser", exports); err != nil {
		t.Fatal(err)
	}
}

// run runs an async script body, drives the event loop until it settles, and returns the
// value of the promise (or the rejection as an error).
func (v *fakeVU) run(t *testing.T, body string, limit time.Duration) (goja.Value, error) {
	t.Helper()
	val, err := v.rt.RunString("(async () => { const browser = k6browser.browser;\n" + body + "\n})()")
	if err != nil {
		return nil, err
	}
	p, ok := val.Export().(*goja.Promise)
	if !ok {
		t.Fatalf("script did not return a promise: %v", val)
	}
	deadline := time.After(limit)
	for v.pending > 0 && p.State() == goja.PromiseStatePending {
		select {
		case f := <-v.queue:
			v.pending--
			if err := f(); err != nil {
				return nil, err
			}
		case <-deadline:
			t.Fatalf("script still running after %s", limit)
		}
	}
	// let the callbacks still queued (none expected) run
	for v.pending > 0 {
		select {
		case f := <-v.queue:
			v.pending--
			_ = f()
		case <-time.After(10 * time.Second):
			t.Fatalf("%d callbacks never completed", v.pending)
		}
	}
	switch p.State() {
	case goja.PromiseStateFulfilled:
		return p.Result(), nil
	case goja.PromiseStateRejected:
		return nil, fmt.Errorf("rejected: %v", p.Result())
	}
	t.Fatal("promise still pending with an empty event loop")
	return nil, nil
}

func (v *fakeVU) byMetric() map[string][]metrics.Sample {
	v.mu.Lock()
	defer v.mu.Unlock()
	out := map[string][]metrics.Sample{}
	for _, s := range v.samples {
		out[s.Metric.Name] = append(out[s.Metric.Name], s)
	}
	return out
}

// todoServer imitates the TODO web: a server-rendered board with the "new item" form whose POST
// redirects back to the board.
func todoServer() *httptest.Server {
	var mu sync.Mutex
	var cards []string
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		var b strings.Builder
		for i, c := range cards {
			fmt.Fprintf(&b, `<article class="card" data-id="%d"><h3>%s</h3></article>`, i+1, html.EscapeString(c))
		}
		mu.Unlock()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>TODO dashboard</title>
<style>body{font-family:sans-serif} .card{border:1px solid #ccc;padding:4px}</style></head>
<body><header><h1>TODO board</h1></header><main>
<form class="new" method="post" action="/items">
<input name="title" placeholder="Title" required aria-label="Title">
<textarea name="content" placeholder="Details (optional)" aria-label="Details"></textarea>
<button type="submit">Add</button>
</form>
<div id="hidden" style="display:none">hidden</div>
<div class="board">
<section class="column" data-status="TODO"><h2><span>TODO</span></h2>%s</section>
<section class="column" data-status="PROGRESS"><h2><span>PROGRESS</span></h2></section>
<section class="column" data-status="DONE"><h2><span>DONE</span></h2></section>
</div></main></body></html>`, b.String())
	})
	mux.HandleFunc("POST /items", func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		mu.Lock()
		cards = append(cards, r.PostForm.Get("title")+" | "+r.PostForm.Get("content"))
		mu.Unlock()
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})
	return httptest.NewServer(mux)
}

func needChromium(t *testing.T) {
	t.Helper()
	if _, err := FindExecutable(os.Getenv("K6_BROWSER_EXECUTABLE_PATH")); err != nil {
		t.Skipf("no Chromium to run: %v", err)
	}
}

func TestBrowserFlow(t *testing.T) {
	needChromium(t)
	srv := todoServer()
	defer srv.Close()
	t.Cleanup(CloseAll)

	vu := newFakeVU(map[string]any{"browser": map[string]any{"type": "chromium"}})
	vu.load(t)
	must(vu.rt.Set("BASE", srv.URL))
	shot := filepath.Join(t.TempDir(), "shots", "board.png")
	must(vu.rt.Set("SHOT", shot))

	res, err := vu.run(t, `
const out = {};
const p = await browser.newPage();
const r = await p.goto(BASE + '/', { waitUntil: 'load', timeout: 15000 });
out.status = r.status();
out.ok = r.ok();
out.columns = [];
for (const s of ['TODO', 'PROGRESS', 'DONE']) out.columns.push(await p.locator('section.column[data-status="' + s + '"]').isVisible());
out.missingCss = await p.locator('section.column[data-status="NOPE"]').isVisible();
out.hidden = await p.locator('#hidden').isVisible();
const card = '//article[contains(@class,"card")]//h3[starts-with(normalize-space(.),"gameday one")]';
out.cardBefore = await p.locator(card).isVisible();
out.title = await p.title();
await p.locator('form.new input[name="title"]').fill('gameday one');
await p.locator('form.new textarea[name="content"]').fill('added by the test');
const [nav] = await Promise.all([p.waitForNavigation({ timeout: 15000 }), p.locator('form.new button[type="submit"]').click()]);
out.navStatus = nav ? nav.status() : null;
out.url = p.url();
out.cardAfter = await p.locator(card).isVisible();
out.cardText = await p.locator('article.card h3').textContent();
const t0 = Date.now();
await p.waitForTimeout(150);
out.waited = Date.now() - t0;
const rr = await p.reload({ waitUntil: 'load', timeout: 15000 });
out.reloadStatus = rr.status();
out.cardAfterReload = await p.locator(card).isVisible();
out.evalFn = await p.evaluate((a) => a + 1, 41);
out.evalStr = await p.evaluate('document.querySelectorAll("section.column").length');
out.content = (await p.content()).includes('<form class="new"');
try { await p.locator('#nope').click({ timeout: 300 }); out.clickErr = 'none'; } catch (e) { out.clickErr = String(e); }
const r404 = await p.goto(BASE + '/missing', { timeout: 15000 });
out.status404 = r404.status();
await p.close();
out.closed = p.isClosed();

const ctx = await browser.newContext();
const p2 = await ctx.newPage();
await p2.goto(BASE + '/');
const buf = await p2.screenshot({ path: SHOT });
out.shotBytes = buf.byteLength;
out.pages = ctx.pages().length;
await ctx.close();
return JSON.stringify(out);
`, 90*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("script result: %s", res)
	var out map[string]any
	if err := json.Unmarshal([]byte(res.String()), &out); err != nil {
		t.Fatal(err)
	}

	want := map[string]any{
		"status": (200), "ok": true, "missingCss": false, "hidden": false, "cardBefore": false,
		"title": "TODO dashboard", "navStatus": (200), "url": srv.URL + "/", "cardAfter": true,
		"cardText": "gameday one | added by the test", "reloadStatus": (200), "cardAfterReload": true,
		"evalFn": (42), "evalStr": (3), "content": true, "status404": (404), "closed": true,
		"pages": (1),
	}
	for k, w := range want {
		if got := out[k]; fmt.Sprint(got) != fmt.Sprint(w) {
			t.Errorf("%s: got %v, want %v", k, got, w)
		}
	}
	if fmt.Sprint(out["columns"]) != "[true true true]" {
		t.Errorf("columns: got %v", out["columns"])
	}
	if w, _ := out["waited"].(float64); w < 140 {
		t.Errorf("waitForTimeout(150) waited %v ms", out["waited"])
	}
	if s, _ := out["clickErr"].(string); !strings.Contains(s, "timed out") || !strings.Contains(s, "#nope") {
		t.Errorf("click on a missing element: got %q, want a timeout naming the selector", s)
	}
	if n, _ := out["shotBytes"].(float64); n < 100 {
		t.Errorf("screenshot: %v bytes", out["shotBytes"])
	}
	if st, err := os.Stat(shot); err != nil || st.Size() < 100 {
		t.Errorf("screenshot file: %v", err)
	}

	byName := vu.byMetric()
	for name, ss := range byName {
		t.Logf("%s: %d samples, first %.2f %v", name, len(ss), ss[0].Value, ss[0].Tags)
	}
	for _, name := range []string{"browser_web_vital_fcp", "browser_web_vital_lcp", "browser_web_vital_cls",
		"browser_web_vital_ttfb", "browser_http_req_duration", "browser_http_req_failed", "browser_data_received", "browser_data_sent"} {
		if len(byName[name]) == 0 {
			t.Errorf("no %s sample", name)
		}
	}
	for _, s := range byName["browser_web_vital_fcp"] {
		if s.Tags["url"] == "" || s.Tags["rating"] == "" || s.Tags["scenario"] != "browser" {
			t.Errorf("fcp tags: %v", s.Tags)
		}
	}
	var sawDoc, sawPost, saw404 bool
	for _, s := range byName["browser_http_req_duration"] {
		if s.Tags["url"] == srv.URL+"/" && s.Tags["method"] == "GET" && s.Tags["status"] == "200" {
			sawDoc = true
		}
		if s.Tags["method"] == "POST" && s.Tags["status"] == "303" {
			sawPost = true
		}
		if s.Value < 0 {
			t.Errorf("negative duration %v", s.Value)
		}
	}
	for _, s := range byName["browser_http_req_failed"] {
		if s.Tags["status"] == "404" && s.Value == 1 {
			saw404 = true
		}
	}
	if !sawDoc || !sawPost || !saw404 {
		t.Errorf("browser_http_req_*: GET / 200 %v, POST 303 %v, 404 failed %v", sawDoc, sawPost, saw404)
	}

	// A page left open is closed by EndIteration (the end of the iteration).
	if _, err := vu.run(t, `globalThis.left = await browser.newPage(); await left.goto(BASE + '/');`, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	EndIteration(vu)
	if v, _ := vu.rt.RunString("left.isClosed()"); !v.ToBoolean() {
		t.Error("a page left open was not closed at the end of the iteration")
	}
}

func TestNewPageNeedsBrowserScenario(t *testing.T) {
	vu := newFakeVU(map[string]any{})
	vu.load(t)
	_, err := vu.run(t, `await browser.newPage();`, 10*time.Second)
	if err == nil || !strings.Contains(err.Error(), `options.browser.type to "chromium"`) {
		t.Fatalf("newPage without options.browser.type: got %v", err)
	}
	// and in the init context it throws
	vu.state = nil
	if _, err := vu.rt.RunString(`k6browser.browser.newPage()`); err == nil || !strings.Contains(err.Error(), "init context") {
		t.Fatalf("newPage in the init context: got %v", err)
	}
}

func TestConfigFromEnv(t *testing.T) {
	env := map[string]string{"K6_BROWSER_HEADLESS": "false", "K6_BROWSER_ARGS": "no-sandbox, --window-size=800,600x,lang=fr",
		"K6_BROWSER_TIMEOUT": "5s", "K6_BROWSER_EXECUTABLE_PATH": "/opt/chrome"}
	c, err := parseConfig(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	if c.headless || c.timeout != 5*time.Second || c.execPath != "/opt/chrome" ||
		fmt.Sprint(c.args) != "[no-sandbox window-size=800 600x lang=fr]" {
		t.Errorf("config: %+v", c)
	}
	c, err = parseConfig(func(string) (string, bool) { return "", false })
	if err != nil || !c.headless || c.timeout != 30*time.Second {
		t.Errorf("defaults: %+v %v", c, err)
	}
	if _, err := parseConfig(func(k string) (string, bool) { return "maybe", k == "K6_BROWSER_HEADLESS" }); err == nil {
		t.Error("K6_BROWSER_HEADLESS=maybe accepted")
	}
}
