package khttp

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dop251/goja"

	"swarm-gameday/engine/internal/h1"
	"swarm-gameday/engine/internal/js/modules"
	"swarm-gameday/engine/internal/metrics"
)

// fakeVU is a minimal modules.VU: a goja runtime, a State whose Push collects samples.
type fakeVU struct {
	rt      *goja.Runtime
	ctx     context.Context
	reg     *metrics.Registry
	b       *metrics.Builtins
	state   *modules.State
	initCtx bool

	mu      sync.Mutex
	samples []metrics.Sample
	logs    []string

	cbs     chan func() error
	pending int
}

func (v *fakeVU) Runtime() *goja.Runtime      { return v.rt }
func (v *fakeVU) Context() context.Context    { return v.ctx }
func (v *fakeVU) Registry() *metrics.Registry { return v.reg }
func (v *fakeVU) Builtins() *metrics.Builtins { return v.b }
func (v *fakeVU) InitEnv() *modules.InitEnv   { return nil }
func (v *fakeVU) RegisterCallback() func(func() error) {
	v.pending++
	var once sync.Once
	return func(f func() error) { once.Do(func() { v.cbs <- f }) }
}
func (v *fakeVU) State() *modules.State {
	if v.initCtx {
		return nil
	}
	return v.state
}

// drain runs the event-loop callbacks until none is pending.
func (v *fakeVU) drain(t *testing.T) {
	t.Helper()
	for v.pending > 0 {
		select {
		case f := <-v.cbs:
			v.pending--
			if err := f(); err != nil {
				t.Fatalf("callback: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("timeout waiting for a callback")
		}
	}
}

type env struct {
	t   testing.TB
	vu  *fakeVU
	srv *httptest.Server
	// server-side observations
	inFlight, maxInFlight atomic.Int64
	hits                  atomic.Int64
	remotes               sync.Map
}

func newEnv(t testing.TB, opts *modules.Options) *env {
	t.Helper()
	e := &env{t: t}
	e.srv = httptest.NewServer(e.handler())
	t.Cleanup(e.srv.Close)
	reg := metrics.NewRegistry()
	jar, _ := cookiejar.New(nil)
	// the engine's transport: plain http on the VU's goroutine, the rest through net/http
	tr := h1.New(http.DefaultTransport.(*http.Transport).Clone(), (&net.Dialer{}).DialContext)
	t.Cleanup(tr.CloseIdleConnections)
	if opts == nil {
		opts = &modules.Options{}
	}
	root := metrics.NewRootGroup()
	vu := &fakeVU{
		rt:  goja.New(),
		ctx: context.Background(),
		reg: reg,
		b:   metrics.RegisterBuiltins(reg),
		cbs: make(chan func() error, 100),
	}
	vu.state = &modules.State{
		Tags:      func() map[string]string { return map[string]string{"scenario": "default"} },
		Group:     root,
		Options:   opts,
		Transport: tr,
		CookieJar: jar,
		VUID:      1,
		Scenario:  "default",
		Logf: func(level, format string, args ...any) {
			vu.mu.Lock()
			vu.logs = append(vu.logs, level+": "+fmt.Sprintf(format, args...))
			vu.mu.Unlock()
		},
	}
	vu.state.Push = func(s ...metrics.Sample) {
		vu.mu.Lock()
		vu.samples = append(vu.samples, s...)
		vu.mu.Unlock()
	}
	e.vu = vu
	c, ok := modules.Get("k6/http")
	if !ok {
		t.Fatal("k6/http is not registered")
	}
	exports, err := c(vu)
	if err != nil {
		t.Fatal(err)
	}
	_ = vu.rt.Set("http", exports)
	_ = vu.rt.Set("BASE", e.srv.URL)
	return e
}

func (e *env) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) {
		e.remotes.Store(r.RemoteAddr, true)
		w.Header().Add("X-Multi", "a")
		w.Header().Add("X-Multi", "b")
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, "hello")
	})
	mux.HandleFunc("/json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"a":{"b":[1,2,{"c":"d"}]},"x.y":5}`)
	})
	mux.HandleFunc("/bad-json", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{nope`)
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		cookies := map[string]string{}
		for _, c := range r.Cookies() {
			cookies[c.Name] = c.Value
		}
		out := map[string]any{
			"method":  r.Method,
			"body":    string(b),
			"headers": r.Header,
			"cookies": cookies,
			"cookie":  r.Header.Get("Cookie"),
			"query":   r.URL.RawQuery,
			"path":    r.URL.Path,
			"len":     len(b),
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(out)
	})
	mux.HandleFunc("/delay", func(w http.ResponseWriter, r *http.Request) {
		msec, _ := strconv.Atoi(r.URL.Query().Get("ms"))
		select {
		case <-time.After(time.Duration(msec) * time.Millisecond):
		case <-r.Context().Done():
			return
		}
		_, _ = io.WriteString(w, "late")
	})
	mux.HandleFunc("/redirect/", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/redirect/"))
		if n <= 0 {
			http.Redirect(w, r, "/echo", http.StatusFound)
			return
		}
		http.Redirect(w, r, "/redirect/"+strconv.Itoa(n-1), http.StatusFound)
	})
	mux.HandleFunc("/redirect307", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/echo", http.StatusTemporaryRedirect)
	})
	mux.HandleFunc("/setcookie", func(w http.ResponseWriter, r *http.Request) {
		for k, vs := range r.URL.Query() {
			http.SetCookie(w, &http.Cookie{Name: k, Value: vs[0], Path: "/", HttpOnly: true, MaxAge: 3600})
		}
		_, _ = io.WriteString(w, "set")
	})
	mux.HandleFunc("/status/", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/status/"))
		w.WriteHeader(n)
	})
	mux.HandleFunc("/concurrent", func(w http.ResponseWriter, r *http.Request) {
		e.hits.Add(1)
		cur := e.inFlight.Add(1)
		for {
			m := e.maxInFlight.Load()
			if cur <= m || e.maxInFlight.CompareAndSwap(m, cur) {
				break
			}
		}
		time.Sleep(60 * time.Millisecond)
		e.inFlight.Add(-1)
		_, _ = io.WriteString(w, r.URL.Query().Get("i"))
	})
	mux.HandleFunc("/bin", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte{0, 1, 2, 255})
	})
	return mux
}

func (e *env) run(src string) goja.Value {
	e.t.Helper()
	v, err := e.vu.rt.RunString(src)
	if err != nil {
		e.t.Fatalf("script failed: %v\n%s", err, src)
	}
	return v
}

func (e *env) runErr(src string) error {
	e.t.Helper()
	_, err := e.vu.rt.RunString(src)
	return err
}

func (e *env) samples() []metrics.Sample {
	e.vu.mu.Lock()
	defer e.vu.mu.Unlock()
	return append([]metrics.Sample(nil), e.vu.samples...)
}

func (e *env) reset() {
	e.vu.mu.Lock()
	e.vu.samples = nil
	e.vu.mu.Unlock()
}

// byMetric returns the samples of one metric.
func (e *env) byMetric(name string) []metrics.Sample {
	var out []metrics.Sample
	for _, s := range e.samples() {
		if s.Metric.Name == name {
			out = append(out, s)
		}
	}
	return out
}

func (e *env) str(src string) string { e.t.Helper(); return e.run(src).String() }

func (e *env) eq(src, want string) {
	e.t.Helper()
	if got := e.str(src); got != want {
		e.t.Errorf("%s = %q, want %q", src, got, want)
	}
}

func TestGetResponseFields(t *testing.T) {
	e := newEnv(t, nil)
	e.run(`var res = http.get(BASE + "/ok");`)
	e.eq(`res.status`, "200")
	e.eq(`res.status_text`, "200 OK")
	e.eq(`res.body`, "hello")
	e.eq(`res.headers["X-Multi"]`, "a, b")
	e.eq(`res.headers["Content-Type"]`, "text/plain")
	e.eq(`res.url`, e.srv.URL+"/ok")
	e.eq(`res.proto`, "HTTP/1.1")
	e.eq(`res.error`, "")
	e.eq(`res.error_code`, "0")
	e.eq(`res.request.method`, "GET")
	e.eq(`res.request.url`, e.srv.URL+"/ok")
	e.eq(`Array.isArray(res.request.headers["User-Agent"])`, "true")
	e.eq(`res.request.headers["User-Agent"][0]`, DefaultUserAgent)
	e.eq(`res.remote_ip`, "127.0.0.1")
	e.eq(`res.remote_port > 0`, "true")
	e.eq(`typeof res.timings.duration`, "number")
	e.eq(`["blocked","connecting","tls_handshaking","sending","waiting","receiving","duration"].every(k => typeof res.timings[k] === "number" && res.timings[k] >= 0)`, "true")
	e.eq(`Math.abs(res.timings.duration - (res.timings.sending + res.timings.waiting + res.timings.receiving)) < 1e-9`, "true")
	e.eq(`res.timings === res.timings`, "true")
	// usable like a plain object by check() callbacks and spreads
	e.eq(`((checks) => Object.keys(checks).every(k => checks[k](res)))({"is 200": r => r.status === 200, "body": r => r.body.includes("hell")})`, "true")
	e.eq(`Object.keys(res).includes("status") && Object.keys(res).includes("timings")`, "true")
	e.eq(`JSON.parse(JSON.stringify(res)).status`, "200")
	e.eq(`({...res}).body`, "hello")
	e.eq(`res.foo = 5; res.foo`, "5")
	e.eq(`res.status = 7; res.status`, "7")
	e.eq(`"status" in res && "json" in res && !("nope" in res)`, "true")
	e.eq(`typeof res.html`, "function")
	if err := e.runErr(`res.html()`); err == nil || !strings.Contains(err.Error(), "not supported") {
		t.Errorf("html(): want a not-supported error, got %v", err)
	}
}

func TestMethodsAndBodies(t *testing.T) {
	e := newEnv(t, nil)
	for _, tc := range []struct{ call, method, body string }{
		{`http.post(BASE+"/echo", "p-body")`, "POST", "p-body"},
		{`http.put(BASE+"/echo", "u-body")`, "PUT", "u-body"},
		{`http.patch(BASE+"/echo", "pa")`, "PATCH", "pa"},
		{`http.del(BASE+"/echo", "d")`, "DELETE", "d"},
		{`http.del(BASE+"/echo")`, "DELETE", ""},
		{`http.options(BASE+"/echo")`, "OPTIONS", ""},
		{`http.request("put", BASE+"/echo", "rq")`, "PUT", "rq"},
		{`http.get(BASE+"/echo")`, "GET", ""},
	} {
		e.run(`var r = ` + tc.call + `; var j = r.json();`)
		e.eq(`j.method`, tc.method)
		e.eq(`j.body`, tc.body)
		e.eq(`r.request.method`, tc.method)
	}
	e.run(`var h = http.head(BASE+"/ok")`)
	e.eq(`h.status`, "200")
	e.eq(`h.body`, "")
	e.eq(`h.request.method`, "HEAD")

	// ArrayBuffer and typed array bodies
	e.eq(`http.post(BASE+"/echo", new Uint8Array([104,105]).buffer).json().body`, "hi")
	e.eq(`http.post(BASE+"/echo", new Uint8Array([1,104,105,2]).subarray(1,3)).json().body`, "hi")
	// object -> form
	e.run(`var f = http.post(BASE+"/echo", {a: "1", b: "x y", c: ["p", "q"]}).json()`)
	e.eq(`f.body`, "a=1&b=x+y&c=p&c=q")
	e.eq(`f.headers["Content-Type"][0]`, "application/x-www-form-urlencoded")
	// explicit content type wins
	e.eq(`http.post(BASE+"/echo", {a: "1"}, {headers: {"content-type": "text/x-mine"}}).json().headers["Content-Type"][0]`, "text/x-mine")
	// JSON string body
	e.eq(`JSON.parse(http.post(BASE+"/echo", JSON.stringify({k: 1}), {headers: {"Content-Type": "application/json"}}).json().body).k`, "1")
	// multipart with http.file
	e.run(`var mp = http.post(BASE+"/echo", {field: "v", upload: http.file("FILEDATA", "a.txt", "text/plain")}).json()`)
	e.eq(`mp.headers["Content-Type"][0].startsWith("multipart/form-data; boundary=")`, "true")
	e.eq(`mp.body.includes('name="upload"; filename="a.txt"') && mp.body.includes("FILEDATA") && mp.body.includes('name="field"')`, "true")
	e.eq(`http.file("d", "n.bin").content_type`, "application/octet-stream")
	// the request body is visible on the response
	e.eq(`http.post(BASE+"/echo", "abc").request.body`, "abc")
}

func TestParamsHeadersTagsUserAgent(t *testing.T) {
	e := newEnv(t, &modules.Options{UserAgent: "my-agent/1"})
	e.run(`var r = http.get(BASE+"/echo?q=1", {headers: {"x-custom": "v1", "X-Num": 5}, tags: {name: "Echo", team: "blue"}}).json()`)
	e.eq(`r.headers["X-Custom"][0]`, "v1")
	e.eq(`r.headers["X-Num"][0]`, "5")
	e.eq(`r.headers["User-Agent"][0]`, "my-agent/1")
	e.eq(`r.query`, "q=1")
	e.eq(`http.get(BASE+"/echo", {headers: {"User-Agent": "override"}}).json().headers["User-Agent"][0]`, "override")
	reqs := e.byMetric("http_reqs")
	if len(reqs) != 2 {
		t.Fatalf("want 2 http_reqs samples, got %d", len(reqs))
	}
	tags := reqs[0].Tags
	want := map[string]string{
		"method": "GET", "url": e.srv.URL + "/echo?q=1", "name": "Echo", "status": "200", "proto": "HTTP/1.1",
		"group": "", "scenario": "default", "expected_response": "true", "team": "blue",
	}
	for k, v := range want {
		if got, ok := tags[k]; !ok || got != v {
			t.Errorf("tag %s = %q (present %v), want %q", k, got, ok, v)
		}
	}
	for _, k := range []string{"error", "error_code", "vu", "iter"} {
		if _, ok := tags[k]; ok {
			t.Errorf("tag %s should be absent: %v", k, tags)
		}
	}
	// name defaults to the URL
	if got := reqs[1].Tags["name"]; got != e.srv.URL+"/echo" {
		t.Errorf("default name tag = %q", got)
	}

	// empty userAgent option: no User-Agent header at all
	e2 := newEnv(t, &modules.Options{Raw: map[string]any{"userAgent": ""}})
	e2.eq(`http.get(BASE+"/echo").json().headers["User-Agent"] === undefined`, "true")
}

func TestMetricSamples(t *testing.T) {
	e := newEnv(t, nil)
	e.vu.state.Group = e.vu.state.Group.Child("g1")
	e.run(`http.get(BASE+"/ok")`)
	names := map[string]int{}
	var tags map[string]string
	for _, s := range e.samples() {
		names[s.Metric.Name]++
		tags = s.Tags
		if s.Time.IsZero() {
			t.Errorf("%s: zero time", s.Metric.Name)
		}
		if s.Value < 0 {
			t.Errorf("%s: negative value %v", s.Metric.Name, s.Value)
		}
	}
	for _, n := range []string{"http_reqs", "http_req_duration", "http_req_blocked", "http_req_connecting",
		"http_req_tls_handshaking", "http_req_sending", "http_req_waiting", "http_req_receiving",
		"http_req_failed", "data_sent", "data_received"} {
		if names[n] != 1 {
			t.Errorf("metric %s: %d samples, want 1", n, names[n])
		}
	}
	if tags["group"] != "::g1" {
		t.Errorf("group tag = %q", tags["group"])
	}
	val := func(n string) float64 { return e.byMetric(n)[0].Value }
	if val("http_reqs") != 1 || val("http_req_failed") != 0 {
		t.Errorf("http_reqs %v http_req_failed %v", val("http_reqs"), val("http_req_failed"))
	}
	if val("data_sent") < 50 || val("data_received") < 60 {
		t.Errorf("data_sent %v data_received %v: too small", val("data_sent"), val("data_received"))
	}
	if val("http_req_connecting") <= 0 {
		t.Errorf("first request should have a connecting time, got %v", val("http_req_connecting"))
	}
	// second request reuses the connection: no connecting time
	e.reset()
	e.run(`http.get(BASE+"/ok")`)
	if v := val("http_req_connecting"); v != 0 {
		t.Errorf("reused connection: connecting = %v, want 0", v)
	}

	// only the enabled system tags
	e.vu.state.SystemTags = map[string]bool{"status": true, "method": true}
	e.reset()
	e.run(`http.get(BASE+"/ok", {tags: {mine: "x"}})`)
	got := e.byMetric("http_reqs")[0].Tags
	want := map[string]string{"status": "200", "method": "GET", "scenario": "default", "mine": "x"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("tags with systemTags [status method] = %v, want %v", got, want)
	}
	// http_req_failed is still emitted (its tag expected_response is not enabled)
	if len(e.byMetric("http_req_failed")) != 1 {
		t.Errorf("http_req_failed missing")
	}
}

func TestTimeoutError(t *testing.T) {
	e := newEnv(t, nil)
	start := time.Now()
	e.run(`var r = http.get(BASE+"/delay?ms=2000", {timeout: "150ms"})`)
	if el := time.Since(start); el > 1500*time.Millisecond || el < 140*time.Millisecond {
		t.Errorf("timeout took %v", el)
	}
	e.eq(`r.status`, "0")
	e.eq(`r.error_code`, "1050")
	e.eq(`r.error`, "request timeout")
	e.eq(`r.body === null`, "true")
	e.eq(`r.url`, e.srv.URL+"/delay?ms=2000")
	f := e.byMetric("http_req_failed")
	if len(f) != 1 || f[0].Value != 1 {
		t.Fatalf("http_req_failed samples %v", f)
	}
	tags := f[0].Tags
	if tags["status"] != "0" || tags["error_code"] != "1050" || tags["error"] != "request timeout" || tags["expected_response"] != "false" {
		t.Errorf("timeout tags %v", tags)
	}
	// number timeout = ms
	e.eq(`http.get(BASE+"/delay?ms=2000", {timeout: 100}).error_code`, "1050")
	// a fast request inside its timeout is fine
	e.eq(`http.get(BASE+"/delay?ms=10", {timeout: "5s"}).status`, "200")
	if err := e.runErr(`http.get(BASE+"/ok", {timeout: "soon"})`); err == nil {
		t.Error("invalid timeout should throw")
	}
}

func TestConnectionRefusedAndThrow(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	e := newEnv(t, nil)
	e.run(`var r = http.get("http://` + addr + `/x")`)
	e.eq(`r.status`, "0")
	e.eq(`r.error_code`, "1212")
	e.eq(`r.error.includes("connection refused")`, "true")
	if s := e.byMetric("http_reqs"); len(s) != 1 || s[0].Tags["status"] != "0" || s[0].Tags["error_code"] != "1212" {
		t.Errorf("refused samples %v", s)
	}
	// invalid URL
	e.eq(`http.get("ftp://x/y").error_code`, "1020")
	e.eq(`http.get("::nope").error_code`, "1020")

	// options.throw
	et := newEnv(t, &modules.Options{Throw: true})
	err = et.runErr(`http.get("http://` + addr + `/x")`)
	if err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("throw: want an exception, got %v", err)
	}
	if len(et.byMetric("http_reqs")) != 1 {
		t.Errorf("throw: metrics must still be pushed")
	}
	// an HTTP error status does not throw
	et.eq(`http.get(BASE+"/status/500").status`, "500")
}

func TestRedirects(t *testing.T) {
	e := newEnv(t, nil)
	e.run(`var r = http.get(BASE+"/redirect/3")`)
	e.eq(`r.status`, "200")
	e.eq(`r.url`, e.srv.URL+"/echo")
	e.eq(`r.json().path`, "/echo")
	reqs := e.byMetric("http_reqs")
	if len(reqs) != 5 {
		t.Fatalf("5 hops expected (4 redirects + final), got %d", len(reqs))
	}
	if reqs[0].Tags["status"] != "302" || reqs[0].Tags["url"] != e.srv.URL+"/redirect/3" || reqs[4].Tags["status"] != "200" {
		t.Errorf("hop tags: first %v last %v", reqs[0].Tags, reqs[4].Tags)
	}
	// limit: stops and returns the redirection
	e.reset()
	e.run(`var r1 = http.get(BASE+"/redirect/3", {redirects: 1})`)
	e.eq(`r1.status`, "302")
	e.eq(`r1.url`, e.srv.URL+"/redirect/2")
	e.eq(`r1.error`, "")
	if n := len(e.byMetric("http_reqs")); n != 2 {
		t.Errorf("redirects:1 -> %d hops, want 2", n)
	}
	e.eq(`http.get(BASE+"/redirect/0", {redirects: 0}).status`, "302")
	// POST -> 302 -> GET without body; 307 keeps method and body
	e.eq(`http.post(BASE+"/redirect/0", "b").json().method`, "GET")
	e.run(`var r7 = http.post(BASE+"/redirect307", "keep").json()`)
	e.eq(`r7.method + ":" + r7.body`, "POST:keep")

	// options.maxRedirects
	em := newEnv(t, &modules.Options{MaxRedirects: 2})
	em.eq(`http.get(BASE+"/redirect/5").status`, "302")
	if n := len(em.byMetric("http_reqs")); n != 3 {
		t.Errorf("maxRedirects 2 -> %d hops, want 3", n)
	}
	if len(em.vu.logs) == 0 || !strings.Contains(em.vu.logs[0], "Stopped after 2 redirects") {
		t.Errorf("want a redirect-limit warning, got %v", em.vu.logs)
	}
}

func TestCookies(t *testing.T) {
	e := newEnv(t, nil)
	e.run(`var s = http.get(BASE+"/setcookie?sess=abc")`)
	e.eq(`s.cookies.sess[0].value`, "abc")
	e.eq(`s.cookies.sess[0].httpOnly`, "true")
	e.eq(`s.cookies.sess[0].maxAge`, "3600")
	e.eq(`s.cookies.sess[0].path`, "/")
	// persisted in the VU jar and sent again
	e.eq(`http.get(BASE+"/echo").json().cookies.sess`, "abc")
	e.eq(`http.cookieJar().cookiesForURL(BASE+"/").sess[0]`, "abc")
	e.eq(`http.get(BASE+"/echo").request.cookies.sess[0].value`, "abc")
	// params.cookies adds; replace overrides the jar's one
	e.eq(`http.get(BASE+"/echo", {cookies: {extra: "1"}}).json().cookie`, "sess=abc; extra=1")
	e.eq(`http.get(BASE+"/echo", {cookies: {sess: {value: "new", replace: true}}}).json().cookie`, "sess=new")
	// params cookies are not stored
	e.eq(`http.cookieJar().cookiesForURL(BASE+"/").extra === undefined`, "true")
	// jar.set, delete, clear
	e.run(`var jar = http.cookieJar(); jar.set(BASE, "k", "v1", {path: "/"});`)
	e.eq(`http.get(BASE+"/echo").json().cookies.k`, "v1")
	e.run(`jar.delete(BASE, "k")`)
	e.eq(`http.get(BASE+"/echo").json().cookies.k === undefined`, "true")
	e.eq(`http.get(BASE+"/echo").json().cookies.sess`, "abc")
	e.run(`jar.set(BASE+"/a/b", "deep", "d")`) // default path /a
	e.eq(`jar.cookiesForURL(BASE+"/a/x").deep[0]`, "d")
	e.run(`jar.clear(BASE+"/a/x")`)
	e.eq(`JSON.stringify(jar.cookiesForURL(BASE+"/a/x"))`, "{}")
	// jar: null -> nothing sent, nothing stored
	e.run(`http.get(BASE+"/setcookie?sess=zzz")`) // back in the VU jar
	e.eq(`http.get(BASE+"/echo", {jar: null}).json().cookie`, "")
	e.run(`http.get(BASE+"/setcookie?other=1", {jar: null})`)
	e.eq(`http.cookieJar().cookiesForURL(BASE).other === undefined`, "true")
	// a private jar
	e.run(`var mine = new http.CookieJar(); http.get(BASE+"/setcookie?p=1", {jar: mine})`)
	e.eq(`mine.cookiesForURL(BASE).p[0]`, "1")
	e.eq(`http.cookieJar().cookiesForURL(BASE).p === undefined`, "true")
	e.eq(`http.get(BASE+"/echo", {jar: mine}).json().cookie`, "p=1")
	e.eq(`mine instanceof http.CookieJar`, "true")
	// cookies set during a redirect chain are kept
	if err := e.runErr(`http.get(BASE+"/echo", {jar: {}})`); err == nil {
		t.Error("jar must be a CookieJar")
	}
}

func TestBatch(t *testing.T) {
	e := newEnv(t, nil)
	e.run(`var rs = http.batch([
		["GET", BASE+"/echo?i=0"],
		["POST", BASE+"/echo", "b1", {tags: {name: "post"}}],
		BASE+"/echo?i=2",
		{method: "PUT", url: BASE+"/echo", body: "b3"},
		http.url` + "`" + `${BASE}/echo?i=${4}` + "`" + `,
	])`)
	e.eq(`rs.length`, "5")
	e.eq(`rs.map(r => r.json().method + ":" + r.json().query + ":" + r.json().body).join("|")`, "GET:i=0:|POST::b1|GET:i=2:|PUT::b3|GET:i=4:")
	e.run(`var ro = http.batch({a: BASE+"/echo?x=a", b: ["DELETE", BASE+"/echo"], c: {url: BASE+"/status/404"}})`)
	e.eq(`Object.keys(ro).join(",")`, "a,b,c")
	e.eq(`ro.a.json().query + ro.b.json().method + ro.c.status`, "x=aDELETE404")
	if n := len(e.byMetric("http_reqs")); n != 8 {
		t.Errorf("batch http_reqs = %d, want 8", n)
	}
	names := map[string]bool{}
	for _, s := range e.byMetric("http_reqs") {
		names[s.Tags["name"]] = true
	}
	if !names["post"] {
		t.Errorf("batch name tag missing: %v", names)
	}
}

func TestBatchParallelism(t *testing.T) {
	// per host bound (default 6 per host, 20 overall)
	e := newEnv(t, nil)
	start := time.Now()
	e.run(`var reqs = []; for (let i = 0; i < 12; i++) reqs.push(BASE+"/concurrent?i="+i); var out = http.batch(reqs);`)
	el := time.Since(start)
	e.eq(`out.map(r => r.body).join(",")`, "0,1,2,3,4,5,6,7,8,9,10,11")
	if m := e.maxInFlight.Load(); m > 6 || m < 4 {
		t.Errorf("default batchPerHost: max in flight %d, want 4..6", m)
	}
	if el > 600*time.Millisecond {
		t.Errorf("12 requests of 60ms with 6 in parallel took %v", el)
	}
	// batchPerHost 2
	e2 := newEnv(t, &modules.Options{BatchPerHost: 2})
	e2.run(`var reqs = []; for (let i = 0; i < 6; i++) reqs.push(BASE+"/concurrent?i="+i); http.batch(reqs);`)
	if m := e2.maxInFlight.Load(); m != 2 {
		t.Errorf("batchPerHost 2: max in flight %d", m)
	}
	// overall bound
	e3 := newEnv(t, &modules.Options{Batch: 3, BatchPerHost: 10})
	e3.run(`var reqs = []; for (let i = 0; i < 9; i++) reqs.push(BASE+"/concurrent?i="+i); http.batch(reqs);`)
	if m := e3.maxInFlight.Load(); m != 3 {
		t.Errorf("batch 3: max in flight %d", m)
	}
}

func TestExpectedStatusesAndResponseCallback(t *testing.T) {
	e := newEnv(t, nil)
	failed := func() (float64, string) {
		s := e.byMetric("http_req_failed")
		if len(s) == 0 {
			return -1, ""
		}
		last := s[len(s)-1]
		return last.Value, last.Tags["expected_response"]
	}
	check := func(call string, wantV float64, wantTag string) {
		t.Helper()
		e.reset()
		e.run(call)
		v, tag := failed()
		if v != wantV || tag != wantTag {
			t.Errorf("%s: http_req_failed %v expected_response %q, want %v %q", call, v, tag, wantV, wantTag)
		}
	}
	check(`http.get(BASE+"/status/404")`, 1, "false")
	check(`http.get(BASE+"/status/302")`, 0, "true") // no Location -> not followed, 3xx is expected by default
	check(`http.get(BASE+"/status/500")`, 1, "false")
	e.run(`http.setResponseCallback(http.expectedStatuses(404, {min: 500, max: 502}))`)
	check(`http.get(BASE+"/status/404")`, 0, "true")
	check(`http.get(BASE+"/status/501")`, 0, "true")
	check(`http.get(BASE+"/status/503")`, 1, "false")
	check(`http.get(BASE+"/ok")`, 1, "false")
	// per request
	check(`http.get(BASE+"/ok", {responseCallback: http.expectedStatuses(200)})`, 0, "true")
	// redirect hops count too
	e.run(`http.setResponseCallback(http.expectedStatuses(200))`)
	e.reset()
	e.run(`http.get(BASE+"/redirect/0")`)
	fs := e.byMetric("http_req_failed")
	if len(fs) != 2 || fs[0].Value != 1 || fs[1].Value != 0 {
		t.Errorf("redirect hops with expectedStatuses(200): %v", fs)
	}
	// null disables http_req_failed and the tag
	e.run(`http.setResponseCallback(null)`)
	e.reset()
	e.run(`http.get(BASE+"/status/500")`)
	if s := e.byMetric("http_req_failed"); len(s) != 0 {
		t.Errorf("callback null: http_req_failed emitted %v", s)
	}
	if _, ok := e.byMetric("http_reqs")[0].Tags["expected_response"]; ok {
		t.Error("callback null: expected_response tag present")
	}
	// params.responseCallback null, per request
	e.run(`http.setResponseCallback(http.expectedStatuses({min: 200, max: 299}))`)
	e.reset()
	e.run(`http.get(BASE+"/status/500", {responseCallback: null})`)
	if s := e.byMetric("http_req_failed"); len(s) != 0 {
		t.Errorf("params.responseCallback null: %v", s)
	}
	for _, bad := range []string{`http.setResponseCallback(r => true)`, `http.expectedStatuses("x")`, `http.expectedStatuses({min: 5})`} {
		if err := e.runErr(bad); err == nil {
			t.Errorf("%s should throw", bad)
		}
	}
}

func TestJSON(t *testing.T) {
	e := newEnv(t, nil)
	e.run(`var r = http.get(BASE+"/json")`)
	e.eq(`r.json().a.b[2].c`, "d")
	e.eq(`r.json("a.b.2.c")`, "d")
	e.eq(`r.json("a.b.1")`, "2")
	e.eq(`r.json("a.b.#")`, "3")
	e.eq(`r.json("x\\.y")`, "5")
	e.eq(`r.json("a.nope.deeper") === undefined`, "true")
	e.run(`var b = http.get(BASE+"/json", {responseType: "binary"})`)
	e.eq(`b.json("a.b.0")`, "1")
	if err := e.runErr(`http.get(BASE+"/bad-json").json()`); err == nil {
		t.Error("bad JSON must throw")
	}
	if err := e.runErr(`http.get(BASE+"/json", {responseType: "none"}).json()`); err == nil {
		t.Error("json() of a none response must throw")
	}
}

func TestResponseTypes(t *testing.T) {
	e := newEnv(t, nil)
	e.run(`var b = http.get(BASE+"/bin", {responseType: "binary"})`)
	e.eq(`b.body instanceof ArrayBuffer`, "true")
	e.eq(`Array.from(new Uint8Array(b.body)).join(",")`, "0,1,2,255")
	e.eq(`http.get(BASE+"/ok", {responseType: "none"}).body === null`, "true")
	if err := e.runErr(`http.get(BASE+"/ok", {responseType: "weird"})`); err == nil {
		t.Error("bad responseType must throw")
	}
	// data_received still counts a discarded body
	e.reset()
	e.run(`http.get(BASE+"/ok", {responseType: "none"})`)
	if v := e.byMetric("data_received")[0].Value; v < 5 {
		t.Errorf("data_received %v", v)
	}
	ed := newEnv(t, &modules.Options{DiscardResponseBodies: true})
	ed.eq(`http.get(BASE+"/ok").body === null`, "true")
	ed.eq(`http.get(BASE+"/ok", {responseType: "text"}).body`, "hello")
}

func TestTimingsWaiting(t *testing.T) {
	e := newEnv(t, nil)
	e.run(`var r = http.get(BASE+"/delay?ms=120")`)
	e.eq(`r.timings.waiting >= 120`, "true")
	e.eq(`r.timings.duration >= r.timings.waiting`, "true")
	e.eq(`r.timings.waiting < 1000`, "true")
	w := e.byMetric("http_req_waiting")
	d := e.byMetric("http_req_duration")
	if len(w) != 1 || w[0].Value < 120 || d[0].Value < w[0].Value {
		t.Errorf("waiting %v duration %v", w, d)
	}
	if e.run(`r.timings.waiting`).ToFloat() != w[0].Value {
		t.Error("the timings object and the metric disagree")
	}
}

func TestInitContext(t *testing.T) {
	e := newEnv(t, nil)
	e.vu.initCtx = true
	for _, call := range []string{`http.get(BASE)`, `http.post(BASE, "x")`, `http.batch([BASE])`, `http.request("GET", BASE)`, `http.asyncRequest("GET", BASE)`} {
		err := e.runErr(call)
		if err == nil || !strings.Contains(err.Error(), "Making http requests in the init context is not supported") {
			t.Errorf("%s in init: %v", call, err)
		}
	}
	// allowed in init
	e.run(`var cb = http.expectedStatuses(200, 201); http.setResponseCallback(cb); var j = new http.CookieJar();`)
	if len(e.samples()) != 0 {
		t.Error("no samples expected")
	}
}

func TestURLTemplate(t *testing.T) {
	e := newEnv(t, nil)
	e.run("var id = 42; var u = http.url`" + e.srv.URL + "/echo?id=${id}&x=${'y'}`; var r = http.get(u);")
	e.eq(`r.json().query`, "id=42&x=y")
	e.eq(`u.url`, e.srv.URL+"/echo?id=42&x=y")
	e.eq(`String(u)`, e.srv.URL+"/echo?id=42&x=y")
	s := e.byMetric("http_reqs")
	if s[0].Tags["name"] != e.srv.URL+"/echo?id=${}&x=${}" || s[0].Tags["url"] != e.srv.URL+"/echo?id=42&x=y" {
		t.Errorf("url template tags %v", s[0].Tags)
	}
	// params.tags.name wins over the template
	e.reset()
	e.run(`http.get(u, {tags: {name: "explicit"}})`)
	if got := e.byMetric("http_reqs")[0].Tags["name"]; got != "explicit" {
		t.Errorf("name = %q", got)
	}
}

func TestContextCancel(t *testing.T) {
	e := newEnv(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	e.vu.ctx = ctx
	go func() { time.Sleep(100 * time.Millisecond); cancel() }()
	start := time.Now()
	e.run(`var r = http.get(BASE+"/delay?ms=3000")`)
	if el := time.Since(start); el > time.Second {
		t.Errorf("cancel did not abort the request: %v", el)
	}
	e.eq(`r.status`, "0")
	e.eq(`r.error_code !== 1050 && r.error !== ""`, "true")
}

func TestBasicAuthFromURL(t *testing.T) {
	e := newEnv(t, nil)
	u := strings.Replace(e.srv.URL, "http://", "http://user:pa%20ss@", 1)
	e.run(`var r = http.get("` + u + `/echo", {auth: "basic"})`)
	e.eq(`r.json().headers.Authorization[0]`, "Basic dXNlcjpwYSBzcw==")
	if got := e.byMetric("http_reqs")[0].Tags["url"]; got != e.srv.URL+"/echo" {
		t.Errorf("url tag must not carry credentials: %q", got)
	}
	if err := e.runErr(`http.get(BASE, {auth: "digest"})`); err == nil {
		t.Error("digest auth must be reported as unsupported")
	}
}

func TestAsyncRequest(t *testing.T) {
	e := newEnv(t, nil)
	e.run(`var got = null; var p = http.asyncRequest("POST", BASE+"/echo", "async"); p.then(r => { got = r.json().body + ":" + r.status; });`)
	e.vu.drain(t)
	e.eq(`got`, "async:200")
	if n := len(e.byMetric("http_reqs")); n != 1 {
		t.Errorf("async http_reqs %d", n)
	}
}

func TestSharedTransportKeepAlive(t *testing.T) {
	e := newEnv(t, nil)
	e.run(`for (let i = 0; i < 20; i++) http.get(BASE+"/ok")`)
	n := 0
	e.remotes.Range(func(any, any) bool { n++; return true })
	if n != 1 {
		t.Errorf("20 sequential requests opened %d connections, want 1 (keep-alive)", n)
	}
}

func BenchmarkGet(b *testing.B) {
	e := newEnv(b, nil)
	e.vu.state.Push = func(...metrics.Sample) {}
	fn, err := e.vu.rt.RunString(`(function() { var r = http.get(BASE+"/ok"); if (r.status !== 200) throw new Error("bad"); })`)
	if err != nil {
		b.Fatal(err)
	}
	call, _ := goja.AssertFunction(fn)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := call(goja.Undefined()); err != nil {
			b.Fatal(err)
		}
	}
}

func TestTLS(t *testing.T) {
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "secure")
	}))
	defer ts.Close()
	e := newEnv(t, nil)
	// default transport: the test server's certificate is unknown -> 1310
	e.run(`var bad = http.get("` + ts.URL + `/")`)
	e.eq(`bad.status`, "0")
	e.eq(`bad.error_code`, "1310")
	// a transport that trusts it
	e.vu.state.Transport = ts.Client().Transport
	e.reset()
	e.run(`var r = http.get("` + ts.URL + `/")`)
	e.eq(`r.body`, "secure")
	e.eq(`r.tls_version`, "tls1.3")
	e.eq(`r.timings.tls_handshaking > 0`, "true")
	e.eq(`r.tls_cipher_suite.startsWith("TLS_")`, "true")
	if tags := e.byMetric("http_reqs")[0].Tags; tags["tls_version"] != "tls1.3" {
		t.Errorf("tls_version tag: %v", tags)
	}
	if v := e.byMetric("http_req_tls_handshaking")[0].Value; v <= 0 {
		t.Errorf("http_req_tls_handshaking %v", v)
	}
}

// Params objects are read on every call unless they are frozen all the way down, in which case
// they are read once (js/frozen): a mutable one changed between calls must be seen changed.
func TestParamsReadAgainUnlessFrozen(t *testing.T) {
	e := newEnv(t, nil)
	e.run(`var p = {headers: {"X-Step": "0"}, tags: {step: "0"}};
		var steps = [];
		for (var i = 0; i < 5; i++) {
			p.headers["X-Step"] = String(i); p.tags.step = String(i);
			if (i === 3) p.timeout = "7s";
			steps.push(http.get(BASE+"/echo", p).json().headers["X-Step"][0]);
		}`)
	e.eq(`steps.join(",")`, "0,1,2,3,4")
	var tagSteps []string
	for _, s := range e.byMetric("http_reqs") {
		tagSteps = append(tagSteps, s.Tags["step"])
	}
	if got := strings.Join(tagSteps, ","); got != "0,1,2,3,4" {
		t.Errorf("step tags of a mutated params object = %s, want 0,1,2,3,4", got)
	}

	e.reset()
	e.run(`var fp = Object.freeze({headers: Object.freeze({"X-Frozen": "yes"}), tags: Object.freeze({name: "frozen", team: "red"}), timeout: "3s"});
		var seen = [];
		for (var i = 0; i < 4; i++) seen.push(http.get(BASE+"/echo?i="+i, fp).json().headers["X-Frozen"][0]);`)
	e.eq(`seen.join(",")`, "yes,yes,yes,yes")
	reqs := e.byMetric("http_reqs")
	if len(reqs) != 4 {
		t.Fatalf("want 4 http_reqs samples, got %d", len(reqs))
	}
	for i, s := range reqs {
		if s.Tags["name"] != "frozen" || s.Tags["team"] != "red" {
			t.Errorf("request %d: tags %v, want name=frozen team=red", i, s.Tags)
		}
	}
	// frozen params still leave each request its own header set: one request's Content-Type (from
	// its body) does not leak into the next
	e.run(`var fj = Object.freeze({tags: Object.freeze({name: "fj"})});
		var ct = [];
		for (var i = 0; i < 3; i++) ct.push(String(http.post(BASE+"/echo", i === 1 ? {a: "1"} : "raw", fj).json().headers["Content-Type"]));`)
	e.eq(`ct.join("|")`, "undefined|application/x-www-form-urlencoded|undefined")
}
