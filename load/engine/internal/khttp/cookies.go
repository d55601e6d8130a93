package khttp

import (
	"errors"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"time"

	"github.com/dop251/goja"
)

// jarObject is the JS CookieJar (a DynamicObject around an http.CookieJar).
type jarObject struct {
	m   *module
	jar http.CookieJar
}

func (j *jarObject) Get(key string) goja.Value {
	switch key {
	case "cookiesForURL":
		return j.m.fnJarCookiesForURL
	case "set":
		return j.m.fnJarSet
	case "clear":
		return j.m.fnJarClear
	case "delete":
		return j.m.fnJarDelete
	}
	return nil
}
func (j *jarObject) Set(string, goja.Value) bool { return false }
func (j *jarObject) Has(key string) bool {
	switch key {
	case "cookiesForURL", "set", "clear", "delete":
		return true
	}
	return false
}
func (j *jarObject) Delete(string) bool { return false }
func (j *jarObject) Keys() []string     { return nil }

func (m *module) newJarObject(jar http.CookieJar) *goja.Object {
	o := m.rt.NewDynamicObject(&jarObject{m: m, jar: jar})
	if m.cookieJarProto != nil {
		o.SetPrototype(m.cookieJarProto)
	}
	return o
}

// cookieJar is http.cookieJar(): the VU's jar of the current iteration.
func (m *module) cookieJar(goja.FunctionCall) goja.Value {
	st := m.vu.State()
	if st == nil {
		m.throw(errors.New("http.cookieJar() is not supported in the init context"))
	}
	if st.CookieJar == nil {
		m.throw(errors.New("this VU has no cookie jar"))
	}
	return m.newJarObject(st.CookieJar)
}

func (m *module) cookieJarConstructor() goja.Value {
	ctor := m.rt.ToValue(func(call goja.ConstructorCall) *goja.Object {
		jar, _ := cookiejar.New(nil)
		return m.newJarObject(jar)
	})
	if co, ok := ctor.(*goja.Object); ok {
		if p, ok := co.Get("prototype").(*goja.Object); ok {
			m.cookieJarProto = p
		}
	}
	return ctor
}

func (m *module) thisJar(c goja.FunctionCall, fn string) *jarObject {
	j, ok := c.This.Export().(*jarObject)
	if !ok || j.jar == nil {
		m.typeError("CookieJar.%s called on something that is not a CookieJar", fn)
	}
	return j
}

func (m *module) jarURL(v goja.Value, fn string) *url.URL {
	if isNullish(v) {
		m.typeError("CookieJar.%s needs a URL", fn)
	}
	s := v.String()
	if u, ok := exportURL(v).(*httpURL); ok {
		s = u.url
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		m.typeError("CookieJar.%s: invalid URL %q", fn, s)
	}
	return u
}

func (m *module) initJarFuncs() {
	rt := m.rt
	m.fnJarCookiesForURL = rt.ToValue(func(c goja.FunctionCall) goja.Value {
		j := m.thisJar(c, "cookiesForURL")
		u := m.jarURL(c.Argument(0), "cookiesForURL")
		o := rt.NewObject()
		groups := map[string][]any{}
		var order []string
		for _, ck := range j.jar.Cookies(u) {
			if _, ok := groups[ck.Name]; !ok {
				order = append(order, ck.Name)
			}
			groups[ck.Name] = append(groups[ck.Name], ck.Value)
		}
		for _, n := range order {
			_ = o.Set(n, rt.NewArray(groups[n]...))
		}
		return o
	})
	m.fnJarSet = rt.ToValue(func(c goja.FunctionCall) goja.Value {
		j := m.thisJar(c, "set")
		u := m.jarURL(c.Argument(0), "set")
		name := c.Argument(1)
		if isNullish(name) || name.String() == "" {
			m.typeError("CookieJar.set needs a cookie name")
		}
		ck := &http.Cookie{Name: name.String(), Value: c.Argument(2).String()}
		if isNullish(c.Argument(2)) {
			ck.Value = ""
		}
		if ov := c.Argument(3); !isNullish(ov) {
			o := ov.ToObject(rt)
			if v := o.Get("domain"); !isNullish(v) {
				ck.Domain = v.String()
			}
			if v := o.Get("path"); !isNullish(v) {
				ck.Path = v.String()
			}
			if v := o.Get("expires"); !isNullish(v) {
				t, err := parseCookieTime(v.String())
				if err != nil {
					m.typeError("CookieJar.set: invalid expires %q: %v", v.String(), err)
				}
				ck.Expires = t
			}
			if v := o.Get("max_age"); !isNullish(v) {
				ck.MaxAge = int(v.ToInteger())
			}
			if v := o.Get("secure"); !isNullish(v) {
				ck.Secure = v.ToBoolean()
			}
			if v := o.Get("http_only"); !isNullish(v) {
				ck.HttpOnly = v.ToBoolean()
			}
		}
		j.jar.SetCookies(u, []*http.Cookie{ck})
		return goja.Undefined()
	})
	m.fnJarClear = rt.ToValue(func(c goja.FunctionCall) goja.Value {
		j := m.thisJar(c, "clear")
		u := m.jarURL(c.Argument(0), "clear")
		for _, ck := range j.jar.Cookies(u) {
			expireCookie(j.jar, u, ck.Name)
		}
		return goja.Undefined()
	})
	m.fnJarDelete = rt.ToValue(func(c goja.FunctionCall) goja.Value {
		j := m.thisJar(c, "delete")
		u := m.jarURL(c.Argument(0), "delete")
		if isNullish(c.Argument(1)) {
			m.typeError("CookieJar.delete needs a cookie name")
		}
		expireCookie(j.jar, u, c.Argument(1).String())
		return goja.Undefined()
	})
}

func parseCookieTime(s string) (time.Time, error) {
	var firstErr error
	for _, layout := range []string{time.RFC1123, time.RFC1123Z, "Mon, 02-Jan-2006 15:04:05 MST", time.RFC3339, time.RFC850, time.ANSIC} {
		t, err := time.Parse(layout, s)
		if err == nil {
			return t, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	return time.Time{}, firstErr
}

// expireCookie removes the cookie `name` visible at u. http.CookieJar has no delete, so the
// cookie is overwritten with Max-Age<0 for every path prefix of u and for the host and its parent
// domains (a jar keys cookies by domain, path and name).
func expireCookie(jar http.CookieJar, u *url.URL, name string) {
	paths := []string{"/"}
	p := u.Path
	for p != "" && p != "/" {
		paths = append(paths, p)
		i := strings.LastIndex(p, "/")
		if i <= 0 {
			break
		}
		p = p[:i]
		paths = append(paths, p)
	}
	host := u.Hostname()
	domains := []string{""} // host-only
	if net := strings.Count(host, "."); net > 0 && !isIP(host) {
		d := host
		for strings.Count(d, ".") >= 1 {
			domains = append(domains, d)
			d = d[strings.Index(d, ".")+1:]
		}
	}
	var cs []*http.Cookie
	for _, d := range domains {
		for _, p := range paths {
			cs = append(cs, &http.Cookie{Name: name, Value: "x", Domain: d, Path: p, MaxAge: -1})
		}
	}
	// set each separately: a jar may reject a whole batch over one bad domain
	for _, c := range cs {
		jar.SetCookies(u, []*http.Cookie{c})
	}
}

func isIP(h string) bool {
	for i := 0; i < len(h); i++ {
		c := h[i]
		if (c < '0' || c > '9') && c != '.' && c != ':' {
			return false
		}
	}
	return true
}
