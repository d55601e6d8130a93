package khttp

import (
	"errors"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"github.com/dop251/goja"

	"swarm-gameday/engine/internal/js/modules"
)

// httpURL is what the http.url“ tagged template returns: the URL plus the name tag (the
// template with ${} in place of each substitution).
type httpURL struct {
	m         *module
	url, name string
}

func (u *httpURL) Get(key string) goja.Value {
	switch key {
	case "url":
		return u.m.rt.ToValue(u.url)
	case "name":
		return u.m.rt.ToValue(u.name)
	case "__brand":
		return u.m.rt.ToValue("http-url")
	case "toString":
		return u.m.fnURLToString
	}
	return nil
}
func (u *httpURL) Set(string, goja.Value) bool { return false }
func (u *httpURL) Has(key string) bool {
	return key == "url" || key == "name" || key == "__brand" || key == "toString"
}
func (u *httpURL) Delete(string) bool { return false }
func (u *httpURL) Keys() []string     { return []string{"url", "name"} }

var typeHTTPURL = reflect.TypeOf((*httpURL)(nil))

func exportURL(v goja.Value) any {
	if o, ok := v.(*goja.Object); ok && o.ExportType() == typeHTTPURL {
		return o.Export().(*httpURL)
	}
	return nil
}

func (m *module) urlTemplate(c goja.FunctionCall) goja.Value {
	strs, ok := c.Argument(0).(*goja.Object)
	if !ok {
		m.typeError("http.url must be used as a tagged template: http.url`https://host/${id}`")
	}
	n := int(strs.Get("length").ToInteger())
	var url, name strings.Builder
	for i := 0; i < n; i++ {
		part := strs.Get(strconv.Itoa(i)).String()
		url.WriteString(part)
		name.WriteString(part)
		if i+1 < n {
			url.WriteString(c.Argument(i + 1).String())
			name.WriteString("${}")
		}
	}
	return m.rt.NewDynamicObject(&httpURL{m: m, url: url.String(), name: name.String()})
}

// batchItem is one parsed batch request.
type batchItem struct {
	key string // object form: the property name
	pr  *prepared
	res *result
}

func (m *module) batch(c goja.FunctionCall) goja.Value {
	rt := m.rt
	st := m.vu.State()
	if st == nil {
		m.throw(errors.New(initContextMsg))
	}
	reqsV := c.Argument(0)
	if isNullish(reqsV) {
		m.typeError("http.batch() needs an array or an object of requests")
	}
	reqs := reqsV.ToObject(rt)
	isArray := reqs.ClassName() == "Array"
	var items []*batchItem
	if isArray {
		n := int(reqs.Get("length").ToInteger())
		items = make([]*batchItem, n)
		for i := 0; i < n; i++ {
			items[i] = &batchItem{pr: m.batchRequest(st, reqs.Get(strconv.Itoa(i)))}
		}
	} else {
		keys := reqs.Keys()
		items = make([]*batchItem, len(keys))
		for i, k := range keys {
			items[i] = &batchItem{key: k, pr: m.batchRequest(st, reqs.Get(k))}
		}
	}

	runBatch(m.vu, st, items)

	var firstErr *result
	for _, it := range items {
		if st.Push != nil && len(it.res.samples) > 0 {
			st.Push(it.res.samples...)
		}
		if it.res.warning != "" && st.Logf != nil {
			st.Logf("warning", "%s", it.res.warning)
		}
		if it.res.err != nil && firstErr == nil {
			firstErr = it.res
		}
	}
	if firstErr != nil && st.Options != nil && st.Options.Throw {
		m.throw(errors.New(firstErr.errMsg))
	}
	if isArray {
		vals := make([]any, len(items))
		for i, it := range items {
			vals[i] = m.newResponse(it.pr, it.res)
		}
		return rt.NewArray(vals...)
	}
	out := rt.NewObject()
	for _, it := range items {
		_ = out.Set(it.key, m.newResponse(it.pr, it.res))
	}
	return out
}

// runBatch runs the requests in parallel: at most options.batch at once overall and
// options.batchPerHost per host (0 = no per-host bound).
func runBatch(vu modules.VU, st *modules.State, items []*batchItem) {
	limit, perHost := defaultBatch, defaultBatchPerHost
	if o := st.Options; o != nil {
		if o.Batch > 0 {
			limit = o.Batch
		}
		if o.BatchPerHost > 0 || rawHas(o, "batchPerHost") {
			perHost = o.BatchPerHost
		}
	}
	ctx := vu.Context()
	if len(items) == 1 {
		items[0].res = do(ctx, st, items[0].pr)
		return
	}
	global := make(chan struct{}, limit)
	var hostSems map[string]chan struct{}
	if perHost > 0 {
		hostSems = map[string]chan struct{}{}
		for _, it := range items {
			if _, ok := hostSems[it.pr.hostKey]; !ok {
				hostSems[it.pr.hostKey] = make(chan struct{}, perHost)
			}
		}
	}
	var wg sync.WaitGroup
	wg.Add(len(items))
	for _, it := range items {
		go func(it *batchItem) {
			defer wg.Done()
			if hostSems != nil {
				hs := hostSems[it.pr.hostKey]
				hs <- struct{}{}
				defer func() { <-hs }()
			}
			global <- struct{}{}
			defer func() { <-global }()
			it.res = do(ctx, st, it.pr)
		}(it)
	}
	wg.Wait()
}

// batchRequest parses one element: a URL string (or http.url), [method, url, body, params] or
// {method, url, body, params}.
func (m *module) batchRequest(st *modules.State, v goja.Value) *prepared {
	if isNullish(v) {
		m.typeError("http.batch(): a request is null or undefined")
	}
	o, isObj := v.(*goja.Object)
	if !isObj || exportURL(v) != nil {
		return m.prepare(st, "GET", v, nil, nil)
	}
	var methodV, urlV, bodyV, paramsV goja.Value
	if o.ClassName() == "Array" {
		methodV, urlV, bodyV, paramsV = o.Get("0"), o.Get("1"), o.Get("2"), o.Get("3")
	} else {
		methodV, urlV, bodyV, paramsV = o.Get("method"), o.Get("url"), o.Get("body"), o.Get("params")
	}
	method := "GET"
	if !isNullish(methodV) {
		method = strings.ToUpper(methodV.String())
	}
	if isNullish(urlV) {
		m.typeError("http.batch(): a request has no url")
	}
	return m.prepare(st, method, urlV, bodyV, paramsV)
}

// asyncRequest is http.asyncRequest(method, url, body?, params?): the request runs off the VU
// goroutine and the returned promise resolves with the Response on the event loop.
func (m *module) asyncRequest(c goja.FunctionCall) goja.Value {
	rt := m.rt
	st := m.vu.State()
	if st == nil {
		m.throw(errors.New(initContextMsg))
	}
	promise, resolve, reject := rt.NewPromise()
	pr := m.prepare(st, strings.ToUpper(c.Argument(0).String()), c.Argument(1), c.Argument(2), c.Argument(3))
	done := m.vu.RegisterCallback()
	ctx := m.vu.Context()
	go func() {
		res := do(ctx, st, pr)
		done(func() error {
			if st.Push != nil && len(res.samples) > 0 {
				st.Push(res.samples...)
			}
			if res.warning != "" && st.Logf != nil {
				st.Logf("warning", "%s", res.warning)
			}
			if res.err != nil && st.Options != nil && st.Options.Throw {
				return reject(rt.NewGoError(errors.New(res.errMsg)))
			}
			return resolve(m.newResponse(pr, res))
		})
	}()
	return rt.ToValue(promise)
}
