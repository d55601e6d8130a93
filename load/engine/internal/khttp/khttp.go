// Package khttp implements the `k6/http` module, written from k6's public documentation and
// @types/k6 only.
//
// Layout: khttp.go (exports, argument parsing), client.go (the network part: redirects, cookies,
// timings, error codes; goroutine-safe), response.go (the JS Response object), metrics.go
// (samples and tags), batch.go, cookies.go (CookieJar objects), expected.go
// (expectedStatuses / setResponseCallback), body.go (request bodies, http.file, multipart).
//
// Choices worth knowing:
//   - Redirects are followed by hand; every hop is a request of its own with its own set of
//     metrics (k6 does the same: the response callback "does include all redirects"). When the
//     limit is reached the last 3xx is returned (no error) and a warning is logged.
//   - The Response is a goja DynamicObject: fields are materialised on first access (headers,
//     cookies, timings, request, body string), which keeps the hot path cheap for scripts that only
//     look at `status`.
//   - All samples of one request share one tag map (it is never written after Push).
//   - A request that gets no response (timeout, refused, DNS, TLS, cancelled) returns a Response
//     with status 0, body null, error and error_code set (k6's documented codes: 1000 generic,
//     1020 invalid URL, 1050 timeout, 1100/1101 DNS, 1201 broken pipe, 1210/1211/1212 dial
//     generic/timeout/refused, 1220 reset, 1300/1310/1311 TLS); it throws only with
//     options.throw. Its samples carry status "0".
//   - Only http.expectedStatuses() objects are accepted as response callbacks (as in k6); they
//     are evaluated in Go. null disables http_req_failed and the expected_response tag.
//   - Not supported (throw a clear error): Response.html/clickLink/submitForm, params.auth
//     digest/ntlm (basic works through the URL's userinfo), params.compression.
//   - data_sent/data_received are computed from the request/response line, headers and body
//     lengths (not counted on the wire).
//   - The jar is used by hand (Cookie header from jar.Cookies, Set-Cookie into jar.SetCookies at
//     every hop); CookieJar.delete/clear expire the cookie for every path prefix and parent domain
//     because http.CookieJar has no delete.
package khttp

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/dop251/goja"

	"swarm-gameday/engine/internal/js/frozen"
	"swarm-gameday/engine/internal/js/modules"
	"swarm-gameday/engine/internal/metrics"
)

func init() {
	modules.Register("k6/http", New)
}

// DefaultUserAgent is sent when State.Options carries no user agent and the script set no
// userAgent option (the runner normally fills Options.UserAgent with the same value).
const DefaultUserAgent = "gameday-engine/0.1.0"

const (
	defaultTimeout      = 60 * time.Second
	defaultMaxRedirects = 10
	defaultBatch        = 20
	defaultBatchPerHost = 6
)

const initContextMsg = "Making http requests in the init context is not supported"

type responseType uint8

const (
	rtText responseType = iota
	rtBinary
	rtNone
)

// module is the per-VU instance of k6/http.
type module struct {
	vu modules.VU
	rt *goja.Runtime

	// response callback set by http.setResponseCallback; cbDisabled when set to null.
	cb         *expectedStatuses
	cbDisabled bool

	jsonParse goja.Callable

	// shared functions of Response objects (they read `this`).
	fnJSON, fnHTML, fnClickLink, fnSubmitForm goja.Value
	// shared functions of CookieJar objects.
	fnJarCookiesForURL, fnJarSet, fnJarClear, fnJarDelete goja.Value
	// shared toString of http.url objects
	fnURLToString goja.Value

	cookieJarProto *goja.Object

	// parsed URLs by string (scripts hit the same few URLs); the *url.URL values are never mutated
	urlCache map[string]*url.URL
	// what deeply frozen params objects said (read-only once stored)
	paramsMemo *frozen.Memo[*paramSet]
}

const urlCacheMax = 512

func (m *module) parseURL(s string) (*url.URL, error) {
	if u, ok := m.urlCache[s]; ok {
		return u, nil
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, err
	}
	if m.urlCache == nil || len(m.urlCache) >= urlCacheMax {
		m.urlCache = make(map[string]*url.URL, 64)
	}
	m.urlCache[s] = u
	return u, nil
}

// New builds the k6/http exports for one VU.
func New(vu modules.VU) (*goja.Object, error) {
	rt := vu.Runtime()
	m := &module{vu: vu, rt: rt}
	if err := m.initShared(); err != nil {
		return nil, err
	}
	exports := rt.NewObject()
	set := func(name string, fn func(goja.FunctionCall) goja.Value) {
		_ = exports.Set(name, fn)
	}
	set("get", func(c goja.FunctionCall) goja.Value { return m.call("GET", c.Argument(0), nil, c.Argument(1)) })
	set("head", func(c goja.FunctionCall) goja.Value { return m.call("HEAD", c.Argument(0), nil, c.Argument(1)) })
	for _, meth := range []struct{ js, http string }{
		{"post", "POST"}, {"put", "PUT"}, {"patch", "PATCH"}, {"del", "DELETE"}, {"options", "OPTIONS"},
	} {
		hm := meth.http
		set(meth.js, func(c goja.FunctionCall) goja.Value {
			return m.call(hm, c.Argument(0), c.Argument(1), c.Argument(2))
		})
	}
	set("request", func(c goja.FunctionCall) goja.Value {
		return m.call(strings.ToUpper(c.Argument(0).String()), c.Argument(1), c.Argument(2), c.Argument(3))
	})
	set("asyncRequest", m.asyncRequest)
	set("batch", m.batch)
	set("url", m.urlTemplate)
	set("file", m.file)
	set("cookieJar", m.cookieJar)
	set("expectedStatuses", m.expectedStatusesFn)
	set("setResponseCallback", m.setResponseCallback)
	if err := exports.Set("CookieJar", m.cookieJarConstructor()); err != nil {
		return nil, err
	}
	for k, v := range map[string]string{
		"SSL_3_0": "ssl3.0", "TLS_1_0": "tls1.0", "TLS_1_1": "tls1.1", "TLS_1_2": "tls1.2", "TLS_1_3": "tls1.3",
		"OCSP_STATUS_GOOD": "good", "OCSP_STATUS_REVOKED": "revoked",
		"OCSP_STATUS_SERVER_FAILED": "server_failed", "OCSP_STATUS_UNKNOWN": "unknown",
		"OCSP_REASON_AA_COMPROMISE": "aa_compromise", "OCSP_REASON_AFFILIATION_CHANGED": "affiliation_changed",
		"OCSP_REASON_CA_COMPROMISE": "ca_compromise", "OCSP_REASON_CERTIFICATE_HOLD": "certificate_hold",
		"OCSP_REASON_CESSATION_OF_OPERATION": "cessation_of_operation",
		"OCSP_REASON_KEY_COMPROMISE":         "key_compromise", "OCSP_REASON_PRIVILEGE_WITHDRAWN": "privilege_withdrawn",
		"OCSP_REASON_REMOVE_FROM_CRL": "remove_from_crl", "OCSP_REASON_SUPERSEDED": "superseded",
		"OCSP_REASON_UNSPECIFIED": "unspecified",
	} {
		_ = exports.Set(k, v)
	}
	return exports, nil
}

func (m *module) initShared() error {
	rt := m.rt
	jsonObj := rt.Get("JSON")
	if jsonObj == nil {
		return errors.New("k6/http: the runtime has no JSON object")
	}
	parse, ok := goja.AssertFunction(jsonObj.ToObject(rt).Get("parse"))
	if !ok {
		return errors.New("k6/http: JSON.parse is not a function")
	}
	m.jsonParse = parse
	m.fnJSON = rt.ToValue(m.responseJSON)
	m.fnHTML = rt.ToValue(func(goja.FunctionCall) goja.Value {
		panic(rt.NewGoError(errors.New("Response.html() is not supported by gameday-engine")))
	})
	m.fnClickLink = rt.ToValue(func(goja.FunctionCall) goja.Value {
		panic(rt.NewGoError(errors.New("Response.clickLink() is not supported by gameday-engine")))
	})
	m.fnSubmitForm = rt.ToValue(func(goja.FunctionCall) goja.Value {
		panic(rt.NewGoError(errors.New("Response.submitForm() is not supported by gameday-engine")))
	})
	m.fnURLToString = rt.ToValue(func(c goja.FunctionCall) goja.Value {
		if u, ok := c.This.Export().(*httpURL); ok {
			return rt.ToValue(u.url)
		}
		return rt.ToValue("[object Object]")
	})
	m.initJarFuncs()
	check, err := frozen.NewChecker(rt)
	if err != nil {
		return fmt.Errorf("k6/http: %w", err)
	}
	m.paramsMemo = frozen.NewMemo[*paramSet](check)
	return nil
}

func (m *module) throw(err error) {
	panic(m.rt.NewGoError(err))
}

func (m *module) typeError(format string, args ...any) {
	panic(m.rt.NewTypeError(fmt.Sprintf(format, args...)))
}

// call is the synchronous path of every request function.
func (m *module) call(method string, urlV, bodyV, paramsV goja.Value) goja.Value {
	st := m.vu.State()
	if st == nil {
		m.throw(errors.New(initContextMsg))
	}
	pr := m.prepare(st, method, urlV, bodyV, paramsV)
	res := do(m.vu.Context(), st, pr)
	return m.finish(st, pr, res)
}

// finish pushes the samples of a finished request and returns its Response (or throws when
// options.throw is set and the request failed).
func (m *module) finish(st *modules.State, pr *prepared, res *result) goja.Value {
	if st.Push != nil && len(res.samples) > 0 {
		st.Push(res.samples...)
	}
	if res.err != nil && st.Options != nil && st.Options.Throw {
		m.throw(errors.New(res.errMsg))
	}
	if res.warning != "" && st.Logf != nil {
		st.Logf("warning", "%s", res.warning)
	}
	return m.newResponse(pr, res)
}

// prepared is a request with all JS values read: safe to run on any goroutine.
type prepared struct {
	method    string
	u         *url.URL
	urlStr    string // as given (after url`` resolution)
	name      string // explicit name tag (params.tags.name or url`` template); "" = per-hop url
	header    http.Header
	body      []byte
	hasBody   bool
	userTags  map[string]string
	timeout   time.Duration
	redirects int
	jar       http.CookieJar
	cookies   []reqCookie
	rtype     responseType
	cb        *expectedStatuses
	cbOff     bool
	parseErr  error // URL could not be parsed: the request fails with error_code 1020
	hostKey   string
	builtins  *metrics.Builtins
}

type reqCookie struct {
	name, value string
	replace     bool
}

func (m *module) prepare(st *modules.State, method string, urlV, bodyV, paramsV goja.Value) *prepared {
	pr := &prepared{
		method:    method,
		timeout:   defaultTimeout,
		redirects: defaultMaxRedirects,
		jar:       st.CookieJar,
		cb:        m.cb,
		cbOff:     m.cbDisabled,
		builtins:  m.vu.Builtins(),
	}
	opts := st.Options
	if opts != nil {
		if opts.MaxRedirects > 0 || rawHas(opts, "maxRedirects") {
			pr.redirects = opts.MaxRedirects
		}
		if opts.DiscardResponseBodies {
			pr.rtype = rtNone
		}
	}

	// URL
	switch u := exportURL(urlV).(type) {
	case *httpURL:
		pr.urlStr, pr.name = u.url, u.name
	default:
		if urlV == nil || goja.IsUndefined(urlV) || goja.IsNull(urlV) {
			m.typeError("a URL is required")
		}
		pr.urlStr = urlV.String()
	}
	pu, err := m.parseURL(pr.urlStr)
	if err != nil {
		pr.parseErr = err
	} else if pu.Scheme != "http" && pu.Scheme != "https" {
		pr.parseErr = fmt.Errorf("unsupported protocol scheme %q in URL %q", pu.Scheme, pr.urlStr)
	} else if pu.Host == "" {
		pr.parseErr = fmt.Errorf("no host in URL %q", pr.urlStr)
	}
	pr.u = pu
	if pu != nil {
		pr.hostKey = pu.Host
	}

	pr.header = make(http.Header, 4)
	ua := DefaultUserAgent
	if opts != nil && (opts.UserAgent != "" || rawHas(opts, "userAgent")) {
		ua = opts.UserAgent
	}
	// an empty User-Agent value makes net/http send none (k6: userAgent "" sends none)
	pr.header["User-Agent"] = []string{ua}

	var params *goja.Object
	if paramsV != nil && !goja.IsUndefined(paramsV) && !goja.IsNull(paramsV) {
		params = paramsV.ToObject(m.rt)
	}
	if params != nil {
		m.readParams(pr, params)
	}

	// body (after params: the Content-Type header may come from params)
	if bodyV != nil && !goja.IsUndefined(bodyV) && !goja.IsNull(bodyV) {
		m.readBody(pr, bodyV)
	}
	return pr
}

func rawHas(o *modules.Options, key string) bool {
	if o == nil || o.Raw == nil {
		return false
	}
	_, ok := o.Raw[key]
	return ok
}

func isNullish(v goja.Value) bool {
	return v == nil || goja.IsUndefined(v) || goja.IsNull(v)
}

// paramSet is what a params object says, read once: applied to each request's prepared.
type paramSet struct {
	header       http.Header // canonical keys, one value each
	userTags     map[string]string
	name         string
	hasName      bool
	timeout      time.Duration
	hasTimeout   bool
	redirects    int
	hasRedirects bool
	cookies      []reqCookie
	rtype        responseType
	hasRtype     bool
	jar          http.CookieJar
	hasJar       bool
	cb           *expectedStatuses
	cbOff        bool
	hasCb        bool
}

// readParams applies a params object to pr. A deeply frozen one is read once per VU (see
// js/frozen); what it said is shared, read-only, by every request that passes it.
func (m *module) readParams(pr *prepared, params *goja.Object) {
	ps, ok := m.paramsMemo.Get(params)
	if !ok {
		ps = m.readParamSet(params)
		if m.paramsMemo.Admit(params) {
			m.paramsMemo.Put(params, ps)
		}
	}
	ps.apply(pr)
}

func (ps *paramSet) apply(pr *prepared) {
	for k, v := range ps.header {
		pr.header[k] = []string{v[0]}
	}
	if ps.userTags != nil {
		pr.userTags = ps.userTags
	}
	if ps.hasName {
		pr.name = ps.name
	}
	if ps.hasTimeout {
		pr.timeout = ps.timeout
	}
	if ps.hasRedirects {
		pr.redirects = ps.redirects
	}
	if ps.cookies != nil {
		pr.cookies = ps.cookies
	}
	if ps.hasRtype {
		pr.rtype = ps.rtype
	}
	if ps.hasJar {
		pr.jar = ps.jar
	}
	if ps.hasCb {
		pr.cb, pr.cbOff = ps.cb, ps.cbOff
	}
}

func (m *module) readParamSet(params *goja.Object) *paramSet {
	rt := m.rt
	pr := &paramSet{}
	for _, key := range params.Keys() {
		v := params.Get(key)
		switch key {
		case "headers":
			if isNullish(v) {
				continue
			}
			h := v.ToObject(rt)
			for _, hk := range h.Keys() {
				hv := h.Get(hk)
				if isNullish(hv) {
					continue
				}
				if pr.header == nil {
					pr.header = make(http.Header, 4)
				}
				pr.header[http.CanonicalHeaderKey(hk)] = []string{hv.String()}
			}
		case "tags":
			if isNullish(v) {
				continue
			}
			t := v.ToObject(rt)
			keys := t.Keys()
			if len(keys) == 0 {
				continue
			}
			pr.userTags = make(map[string]string, len(keys))
			for _, tk := range keys {
				tv := t.Get(tk)
				if isNullish(tv) {
					continue
				}
				pr.userTags[tk] = tv.String()
			}
			if n, ok := pr.userTags["name"]; ok {
				pr.name, pr.hasName = n, true
			}
		case "timeout":
			if isNullish(v) {
				continue
			}
			d, err := parseTimeout(v)
			if err != nil {
				m.typeError("invalid timeout value %q: %v", v.String(), err)
			}
			pr.timeout, pr.hasTimeout = d, true
		case "redirects":
			if isNullish(v) {
				continue
			}
			n := v.ToInteger()
			if n < 0 {
				n = 0
			}
			pr.redirects, pr.hasRedirects = int(n), true
		case "cookies":
			if isNullish(v) {
				continue
			}
			c := v.ToObject(rt)
			for _, ck := range c.Keys() {
				cv := c.Get(ck)
				if isNullish(cv) {
					continue
				}
				rc := reqCookie{name: ck}
				if o, ok := cv.(*goja.Object); ok && o.ClassName() == "Object" {
					if val := o.Get("value"); !isNullish(val) {
						rc.value = val.String()
					}
					if r := o.Get("replace"); !isNullish(r) {
						rc.replace = r.ToBoolean()
					}
				} else {
					rc.value = cv.String()
				}
				pr.cookies = append(pr.cookies, rc)
			}
		case "responseType":
			if isNullish(v) {
				continue
			}
			switch s := v.String(); s {
			case "text":
				pr.rtype, pr.hasRtype = rtText, true
			case "binary":
				pr.rtype, pr.hasRtype = rtBinary, true
			case "none":
				pr.rtype, pr.hasRtype = rtNone, true
			default:
				m.typeError("invalid responseType %q: expected \"text\", \"binary\" or \"none\"", s)
			}
		case "jar":
			if goja.IsUndefined(v) {
				continue
			}
			if goja.IsNull(v) {
				pr.jar, pr.hasJar = nil, true
				continue
			}
			j, ok := v.Export().(*jarObject)
			if !ok {
				m.typeError("params.jar must be a CookieJar (http.cookieJar() or new http.CookieJar()) or null")
			}
			pr.jar, pr.hasJar = j.jar, true
		case "responseCallback":
			if goja.IsUndefined(v) {
				continue
			}
			if goja.IsNull(v) {
				pr.cb, pr.cbOff, pr.hasCb = nil, true, true
				continue
			}
			es, ok := v.Export().(*expectedStatuses)
			if !ok {
				m.typeError("params.responseCallback must be the result of http.expectedStatuses() or null")
			}
			pr.cb, pr.cbOff, pr.hasCb = es, false, true
		case "auth":
			if isNullish(v) {
				continue
			}
			switch s := v.String(); s {
			case "basic":
				// credentials come from the URL's userinfo, which is sent as basic auth anyway
			default:
				m.typeError("auth %q is not supported by gameday-engine (only basic, via the URL's userinfo)", s)
			}
		case "compression":
			if !isNullish(v) && v.String() != "" {
				m.typeError("params.compression is not supported by gameday-engine")
			}
		}
	}
	return pr
}

// parseTimeout reads k6 durations: numbers are milliseconds, strings Go/k6 durations ("10s",
// "1m30s", "500ms") or a bare number of milliseconds.
func parseTimeout(v goja.Value) (time.Duration, error) {
	switch e := v.Export().(type) {
	case int64:
		return time.Duration(e) * time.Millisecond, nil
	case float64:
		if math.IsNaN(e) || math.IsInf(e, 0) {
			return 0, errors.New("not a finite number")
		}
		return time.Duration(e * float64(time.Millisecond)), nil
	}
	s := strings.TrimSpace(v.String())
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return time.Duration(f * float64(time.Millisecond)), nil
	}
	return time.ParseDuration(s)
}
