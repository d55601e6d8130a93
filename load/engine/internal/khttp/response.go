package khttp

import (
	"crypto/tls"
	"errors"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/dop251/goja"
)

// response is the JS Response (a goja DynamicObject). Values are built on first access and cached.
type response struct {
	m   *module
	pr  *prepared
	res *result

	body, headers, cookies, timings, request goja.Value
	over                                     map[string]goja.Value // script-set or deleted (nil) keys
}

var responseKeys = []string{
	"status", "status_text", "body", "headers", "cookies", "url", "proto", "error", "error_code",
	"timings", "request", "remote_ip", "remote_port", "tls_version", "tls_cipher_suite", "ocsp",
}

func (m *module) newResponse(pr *prepared, res *result) *goja.Object {
	return m.rt.NewDynamicObject(&response{m: m, pr: pr, res: res})
}

func (r *response) Get(key string) goja.Value {
	if r.over != nil {
		if v, ok := r.over[key]; ok {
			return v
		}
	}
	rt := r.m.rt
	res := r.res
	switch key {
	case "status":
		return rt.ToValue(res.status)
	case "status_text":
		return rt.ToValue(res.statusText)
	case "body":
		if r.body == nil {
			r.body = r.bodyValue()
		}
		return r.body
	case "headers":
		if r.headers == nil {
			r.headers = r.headersValue()
		}
		return r.headers
	case "cookies":
		if r.cookies == nil {
			r.cookies = r.cookiesValue()
		}
		return r.cookies
	case "url":
		return rt.ToValue(res.finalURL)
	case "proto":
		return rt.ToValue(res.proto)
	case "error":
		return rt.ToValue(res.errMsg)
	case "error_code":
		return rt.ToValue(res.errCode)
	case "timings":
		if r.timings == nil {
			r.timings = r.timingsValue()
		}
		return r.timings
	case "request":
		if r.request == nil {
			r.request = r.requestValue()
		}
		return r.request
	case "remote_ip":
		if res.remote != nil {
			h, _, _ := splitHostPort(res.remote.String())
			return rt.ToValue(h)
		}
		return rt.ToValue("")
	case "remote_port":
		if res.remote != nil {
			_, p, _ := splitHostPort(res.remote.String())
			n, _ := strconv.Atoi(p)
			return rt.ToValue(n)
		}
		return rt.ToValue(0)
	case "tls_version":
		if res.tlsState != nil {
			return rt.ToValue(tlsVersionName(res.tlsState.Version))
		}
		return rt.ToValue("")
	case "tls_cipher_suite":
		if res.tlsState != nil {
			return rt.ToValue(tls.CipherSuiteName(res.tlsState.CipherSuite))
		}
		return rt.ToValue("")
	case "ocsp":
		o := rt.NewObject()
		_ = o.Set("produced_at", 0)
		_ = o.Set("this_update", 0)
		_ = o.Set("next_update", 0)
		_ = o.Set("revocation_reason", "")
		_ = o.Set("revoked_at", 0)
		_ = o.Set("status", "unknown")
		return o
	case "json":
		return r.m.fnJSON
	case "html":
		return r.m.fnHTML
	case "clickLink":
		return r.m.fnClickLink
	case "submitForm":
		return r.m.fnSubmitForm
	}
	return nil
}

func (r *response) Set(key string, val goja.Value) bool {
	if r.over == nil {
		r.over = map[string]goja.Value{}
	}
	r.over[key] = val
	return true
}

func (r *response) Has(key string) bool {
	if r.over != nil {
		if v, ok := r.over[key]; ok {
			return v != nil
		}
	}
	switch key {
	case "json", "html", "clickLink", "submitForm":
		return true
	}
	for _, k := range responseKeys {
		if k == key {
			return true
		}
	}
	return false
}

func (r *response) Delete(key string) bool {
	if r.over == nil {
		r.over = map[string]goja.Value{}
	}
	r.over[key] = nil
	return true
}

func (r *response) Keys() []string {
	keys := make([]string, 0, len(responseKeys)+len(r.over))
	for _, k := range responseKeys {
		if r.over != nil {
			if v, ok := r.over[k]; ok && v == nil {
				continue
			}
		}
		keys = append(keys, k)
	}
	if r.over != nil {
		extra := make([]string, 0, len(r.over))
		for k, v := range r.over {
			if v != nil && !containsStr(responseKeys, k) {
				extra = append(extra, k)
			}
		}
		sort.Strings(extra)
		keys = append(keys, extra...)
	}
	return keys
}

func containsStr(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

func (r *response) bodyValue() goja.Value {
	rt := r.m.rt
	if r.res.header == nil {
		return goja.Null() // no response at all
	}
	switch r.pr.rtype {
	case rtText:
		return rt.ToValue(r.res.bodyText)
	case rtBinary:
		return rt.ToValue(rt.NewArrayBuffer(r.res.bodyBin))
	}
	return goja.Null()
}

func (r *response) headersValue() goja.Value {
	o := r.m.rt.NewObject()
	for k, vs := range r.res.header {
		if len(vs) == 1 {
			_ = o.Set(k, vs[0])
		} else {
			_ = o.Set(k, strings.Join(vs, ", "))
		}
	}
	return o
}

func (r *response) cookiesValue() goja.Value {
	rt := r.m.rt
	o := rt.NewObject()
	if r.res.header == nil || len(r.res.header["Set-Cookie"]) == 0 {
		return o
	}
	hr := &http.Response{Header: r.res.header}
	groups := map[string][]any{}
	var order []string
	for _, c := range hr.Cookies() {
		co := rt.NewObject()
		_ = co.Set("name", c.Name)
		_ = co.Set("value", c.Value)
		_ = co.Set("domain", c.Domain)
		_ = co.Set("path", c.Path)
		_ = co.Set("httpOnly", c.HttpOnly)
		_ = co.Set("secure", c.Secure)
		_ = co.Set("maxAge", c.MaxAge)
		var exp int64
		if !c.Expires.IsZero() {
			exp = c.Expires.UnixMilli()
		}
		_ = co.Set("expires", exp)
		if _, ok := groups[c.Name]; !ok {
			order = append(order, c.Name)
		}
		groups[c.Name] = append(groups[c.Name], co)
	}
	for _, n := range order {
		_ = o.Set(n, rt.NewArray(groups[n]...))
	}
	return o
}

func (r *response) timingsValue() goja.Value {
	o := r.m.rt.NewObject()
	tm := r.res.tm
	_ = o.Set("blocked", tm.blocked)
	_ = o.Set("connecting", tm.connecting)
	_ = o.Set("tls_handshaking", tm.tlsHandshaking)
	_ = o.Set("sending", tm.sending)
	_ = o.Set("waiting", tm.waiting)
	_ = o.Set("receiving", tm.receiving)
	_ = o.Set("duration", tm.duration)
	return o
}

func (r *response) requestValue() goja.Value {
	rt := r.m.rt
	o := rt.NewObject()
	_ = o.Set("method", r.res.reqMethod)
	_ = o.Set("url", r.res.finalURL)
	h := rt.NewObject()
	for k, vs := range r.res.reqHeader {
		items := make([]any, len(vs))
		for i, v := range vs {
			items[i] = v
		}
		_ = h.Set(k, rt.NewArray(items...))
	}
	_ = o.Set("headers", h)
	_ = o.Set("body", string(r.res.reqBody))
	cookies := rt.NewObject()
	if r.res.reqHeader != nil {
		hr := &http.Request{Header: r.res.reqHeader}
		replace := map[string]bool{}
		for _, c := range r.pr.cookies {
			if c.replace {
				replace[c.name] = true
			}
		}
		groups := map[string][]any{}
		var order []string
		for _, c := range hr.Cookies() {
			co := rt.NewObject()
			_ = co.Set("name", c.Name)
			_ = co.Set("value", c.Value)
			_ = co.Set("replace", replace[c.Name])
			if _, ok := groups[c.Name]; !ok {
				order = append(order, c.Name)
			}
			groups[c.Name] = append(groups[c.Name], co)
		}
		for _, n := range order {
			_ = cookies.Set(n, rt.NewArray(groups[n]...))
		}
	}
	_ = o.Set("cookies", cookies)
	return o
}

// responseJSON is Response.json(selector?).
func (m *module) responseJSON(c goja.FunctionCall) goja.Value {
	rt := m.rt
	var text string
	if r, ok := c.This.Export().(*response); ok && (r.over == nil || r.over["body"] == nil) {
		if r.res.header == nil || r.pr.rtype == rtNone {
			m.throw(errors.New("cannot parse the response body as JSON: the response has no body (responseType none or no response)"))
		}
		if r.pr.rtype == rtBinary {
			text = string(r.res.bodyBin)
		} else {
			text = r.res.bodyText
		}
	} else {
		obj := c.This.ToObject(rt)
		b := obj.Get("body")
		if isNullish(b) {
			m.throw(errors.New("cannot parse the response body as JSON: the body is null"))
		}
		if ab, ok := b.Export().(goja.ArrayBuffer); ok {
			text = string(ab.Bytes())
		} else {
			text = b.String()
		}
	}
	v, err := m.jsonParse(goja.Undefined(), rt.ToValue(text))
	if err != nil {
		panic(err)
	}
	sel := c.Argument(0)
	if isNullish(sel) {
		return v
	}
	return m.selectJSON(v, sel.String())
}

// selectJSON walks a simple gjson-like path: "a.b.0.c", "items.#" (length), `a\.b` escapes a dot.
func (m *module) selectJSON(v goja.Value, path string) goja.Value {
	rt := m.rt
	if path == "" {
		return v
	}
	for _, seg := range splitPath(path) {
		if isNullish(v) {
			return goja.Undefined()
		}
		obj, ok := v.(*goja.Object)
		if !ok {
			return goja.Undefined()
		}
		if seg == "#" && obj.ClassName() == "Array" {
			return obj.Get("length")
		}
		next := obj.Get(seg)
		if next == nil {
			return goja.Undefined()
		}
		v = next
	}
	_ = rt
	return v
}

func splitPath(p string) []string {
	var out []string
	var cur strings.Builder
	for i := 0; i < len(p); i++ {
		ch := p[i]
		if ch == '\\' && i+1 < len(p) {
			i++
			cur.WriteByte(p[i])
			continue
		}
		if ch == '.' {
			out = append(out, cur.String())
			cur.Reset()
			continue
		}
		cur.WriteByte(ch)
	}
	return append(out, cur.String())
}
