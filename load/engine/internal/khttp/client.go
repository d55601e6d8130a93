package khttp

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"

	"swarm-gameday/engine/internal/js/modules"
	"swarm-gameday/engine/internal/metrics"
)

// timings of one hop, in milliseconds (k6's http_req_* metrics).
type timings struct {
	blocked, connecting, tlsHandshaking, sending, waiting, receiving, duration float64
}

// result is what the network part hands back; built off the VU goroutine, read on it.
type result struct {
	// final hop
	status     int
	statusText string
	proto      string
	header     http.Header
	finalURL   string
	bodyText   string
	bodyBin    []byte
	tm         timings
	remote     net.Addr
	tlsState   *tls.ConnectionState
	err        error
	errMsg     string
	errCode    int
	// the request as last sent
	reqMethod string
	reqHeader http.Header
	reqBody   []byte
	// samples of every hop, pushed on the VU goroutine
	samples []metrics.Sample
	warning string
}

var bufPool = sync.Pool{New: func() any { return bytes.NewBuffer(make([]byte, 0, 16<<10)) }}

var copyBufPool = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// tracer collects httptrace events of one hop. Dial callbacks may arrive from the transport's
// dialing goroutine, hence the mutex.
type tracer struct {
	mu                        sync.Mutex
	getConn, gotConn          time.Time
	connectStart, connectDone time.Time
	tlsStart, tlsDone         time.Time
	wrote, firstByte          time.Time
	reused                    bool
	remote                    net.Addr
}

func (t *tracer) trace() *httptrace.ClientTrace {
	return &httptrace.ClientTrace{
		GetConn: func(string) {
			now := time.Now()
			t.mu.Lock()
			t.getConn = now
			t.mu.Unlock()
		},
		GotConn: func(info httptrace.GotConnInfo) {
			now := time.Now()
			t.mu.Lock()
			t.gotConn = now
			t.reused = info.Reused
			if info.Conn != nil {
				t.remote = info.Conn.RemoteAddr()
			}
			t.mu.Unlock()
		},
		ConnectStart: func(string, string) {
			now := time.Now()
			t.mu.Lock()
			if t.connectStart.IsZero() {
				t.connectStart = now
			}
			t.mu.Unlock()
		},
		ConnectDone: func(string, string, error) {
			now := time.Now()
			t.mu.Lock()
			t.connectDone = now
			t.mu.Unlock()
		},
		TLSHandshakeStart: func() {
			now := time.Now()
			t.mu.Lock()
			t.tlsStart = now
			t.mu.Unlock()
		},
		TLSHandshakeDone: func(tls.ConnectionState, error) {
			now := time.Now()
			t.mu.Lock()
			t.tlsDone = now
			t.mu.Unlock()
		},
		WroteRequest: func(httptrace.WroteRequestInfo) {
			now := time.Now()
			t.mu.Lock()
			t.wrote = now
			t.mu.Unlock()
		},
		GotFirstResponseByte: func() {
			now := time.Now()
			t.mu.Lock()
			t.firstByte = now
			t.mu.Unlock()
		},
	}
}

func ms(a, b time.Time) float64 {
	if a.IsZero() || b.IsZero() {
		return 0
	}
	d := b.Sub(a)
	if d < 0 {
		return 0
	}
	return float64(d) / float64(time.Millisecond)
}

// compute the hop's timings; start is when the request was handed to the transport, end when
// the body was read (or the request failed).
func (t *tracer) timings(start, end time.Time) (tm timings) {
	t.mu.Lock()
	defer t.mu.Unlock()
	getConn := t.getConn
	if getConn.IsZero() {
		getConn = start
	}
	if !t.reused && !t.connectStart.IsZero() {
		tm.blocked = ms(getConn, t.connectStart) // includes the DNS lookup
		tm.connecting = ms(t.connectStart, t.connectDone)
		if !t.tlsStart.IsZero() {
			tm.tlsHandshaking = ms(t.tlsStart, t.tlsDone)
		}
	} else {
		tm.blocked = ms(getConn, t.gotConn)
	}
	if t.gotConn.IsZero() {
		// never got a connection: everything so far was blocked/connecting
		if t.connectStart.IsZero() {
			tm.blocked = ms(getConn, end)
		} else if t.connectDone.IsZero() {
			tm.connecting = ms(t.connectStart, end)
		}
		return tm
	}
	wrote := t.wrote
	if wrote.IsZero() {
		tm.sending = ms(t.gotConn, end)
		tm.duration = tm.sending
		return tm
	}
	tm.sending = ms(t.gotConn, wrote)
	if t.firstByte.IsZero() {
		tm.waiting = ms(wrote, end)
	} else {
		tm.waiting = ms(wrote, t.firstByte)
		tm.receiving = ms(t.firstByte, end)
	}
	tm.duration = tm.sending + tm.waiting + tm.receiving
	return tm
}

func isRedirect(code int) bool {
	switch code {
	case 301, 302, 303, 307, 308:
		return true
	}
	return false
}

// do runs the request with its redirects; safe to call on any goroutine.
func do(parent context.Context, st *modules.State, pr *prepared) *result {
	res := &result{reqMethod: pr.method, reqBody: pr.body}
	if pr.parseErr != nil {
		res.err = pr.parseErr
		res.errMsg = pr.parseErr.Error()
		res.errCode = 1020
		res.finalURL = pr.urlStr
		res.reqHeader = pr.header
		res.samples = hopSamples(st, pr, pr.urlStr, res, 0, 0, time.Now())
		return res
	}
	if parent == nil {
		parent = context.Background()
	}
	ctx, cancel := parent, context.CancelFunc(func() {})
	if pr.timeout > 0 {
		ctx, cancel = context.WithTimeout(parent, pr.timeout)
	}
	defer cancel()

	transport := st.Transport
	if transport == nil {
		transport = http.DefaultTransport
	}

	u := pr.u
	method := pr.method
	body := pr.body
	hasBody := pr.hasBody
	header := pr.header
	for hop := 0; ; hop++ {
		hopURL := pr.urlStr
		if hop > 0 || u.User != nil {
			hopURL = stripUserinfo(u)
		}
		tr := &tracer{}
		req, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, tr.trace()), method, "", nil)
		if err != nil {
			fail(res, err, ctx, parent)
			res.samples = append(res.samples, hopSamples(st, pr, hopURL, res, 0, 0, time.Now())...)
			return res
		}
		req.URL = u
		req.Host = u.Host
		if h := header.Get("Host"); h != "" {
			req.Host = h
		}
		var jc []*http.Cookie
		if pr.jar != nil {
			jc = pr.jar.Cookies(u)
		}
		reqHeader := header
		if len(jc) > 0 || len(pr.cookies) > 0 || u.User != nil {
			reqHeader = header.Clone()
			if u.User != nil && reqHeader.Get("Authorization") == "" {
				pw, _ := u.User.Password()
				reqHeader.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(u.User.Username()+":"+pw)))
			}
			addCookies(reqHeader, jc, pr.cookies)
		}
		req.Header = reqHeader
		if hasBody {
			b := body
			req.ContentLength = int64(len(b))
			req.Body = io.NopCloser(bytes.NewReader(b))
			req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
			if len(b) == 0 {
				req.Body = http.NoBody
			}
		}
		res.reqMethod, res.reqHeader, res.reqBody = method, reqHeader, body
		sent := requestSize(req, len(body))

		start := time.Now()
		resp, err := transport.RoundTrip(req)
		if err != nil {
			end := time.Now()
			res.tm = tr.timings(start, end)
			res.remote = tr.remote
			res.finalURL = hopURL
			res.status, res.statusText, res.proto, res.header, res.tlsState = 0, "", "", nil, nil
			fail(res, err, ctx, parent)
			res.samples = append(res.samples, hopSamples(st, pr, hopURL, res, sent, 0, end)...)
			return res
		}
		if pr.jar != nil {
			if rc := resp.Cookies(); len(rc) > 0 {
				pr.jar.SetCookies(u, rc)
			}
		}
		var next *url.URL
		if isRedirect(resp.StatusCode) {
			if loc := resp.Header.Get("Location"); loc != "" {
				if nu, perr := u.Parse(loc); perr == nil {
					if hop < pr.redirects {
						next = nu
					} else if pr.redirects > 0 || hop > 0 {
						res.warning = fmt.Sprintf("Stopped after %d redirects and returned the redirection; pass { redirects: n } in request params or set global maxRedirects to silence this", hop)
					}
				}
			}
		}
		// read (or discard) the body
		rtype := pr.rtype
		if next != nil {
			rtype = rtNone
		}
		n, rerr := readBody(resp, rtype, res)
		end := time.Now()
		res.tm = tr.timings(start, end)
		res.remote = tr.remote
		res.status = resp.StatusCode
		res.statusText = resp.Status
		res.proto = resp.Proto
		res.header = resp.Header
		res.tlsState = resp.TLS
		res.finalURL = hopURL
		res.err, res.errMsg, res.errCode = nil, "", 0
		if rerr != nil {
			fail(res, rerr, ctx, parent)
		}
		received := responseSize(resp, n)
		if hs := hopSamples(st, pr, hopURL, res, sent, received, end); res.samples == nil {
			res.samples = hs
		} else {
			res.samples = append(res.samples, hs...)
		}
		if next == nil || rerr != nil {
			return res
		}
		// follow the redirect (net/http's rules for the method and body)
		switch resp.StatusCode {
		case 301, 302, 303:
			if method != "HEAD" && (resp.StatusCode == 303 || method == "POST") {
				method = "GET"
			}
			if method == "GET" || method == "HEAD" {
				if hasBody {
					header = header.Clone()
					header.Del("Content-Type")
					header.Del("Content-Length")
				}
				body, hasBody = nil, false
			}
		}
		if next.Host != u.Host && header.Get("Authorization") != "" {
			header = header.Clone()
			header.Del("Authorization")
		}
		u = next
	}
}

func stripUserinfo(u *url.URL) string {
	if u.User == nil {
		return u.String()
	}
	c := *u
	c.User = nil
	return c.String()
}

// addCookies writes the Cookie header: the jar's cookies for u, then params.cookies (a params
// cookie with replace: true drops the jar's cookie of the same name).
func addCookies(h http.Header, jc []*http.Cookie, extra []reqCookie) {
	if len(jc) == 0 && len(extra) == 0 {
		return
	}
	var b []byte
	if prev := h.Get("Cookie"); prev != "" {
		b = append(b, prev...)
	}
	add := func(name, value string) {
		if len(b) > 0 {
			b = append(b, "; "...)
		}
		b = append(b, name...)
		b = append(b, '=')
		b = append(b, sanitizeCookieValue(value)...)
	}
outer:
	for _, c := range jc {
		for _, e := range extra {
			if e.replace && e.name == c.Name {
				continue outer
			}
		}
		add(c.Name, c.Value)
	}
	for _, e := range extra {
		add(e.name, e.value)
	}
	h.Set("Cookie", string(b))
}

func sanitizeCookieValue(v string) string {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c < 0x20 || c == '"' || c == ';' || c == '\\' || c >= 0x7f || c == ' ' || c == ',' {
			return `"` + stripBad(v) + `"`
		}
	}
	return v
}

func stripBad(v string) string {
	out := make([]byte, 0, len(v))
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c < 0x20 || c == '"' || c == ';' || c == '\\' || c >= 0x7f {
			continue
		}
		out = append(out, c)
	}
	return string(out)
}

// readBody reads the response body according to the response type; it returns the number of
// body bytes read.
func readBody(resp *http.Response, rtype responseType, res *result) (int64, error) {
	defer resp.Body.Close()
	if rtype == rtNone {
		bp := copyBufPool.Get().(*[]byte)
		n, err := io.CopyBuffer(io.Discard, resp.Body, *bp)
		copyBufPool.Put(bp)
		return n, err
	}
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	n, err := buf.ReadFrom(resp.Body)
	if rtype == rtText {
		res.bodyText = buf.String()
	} else {
		res.bodyBin = append([]byte(nil), buf.Bytes()...)
	}
	if buf.Cap() <= 1<<20 {
		bufPool.Put(buf)
	}
	return n, err
}

// requestSize approximates the bytes written for the request (request line, headers, body).
func requestSize(req *http.Request, bodyLen int) int64 {
	n := len(req.Method) + 1 + len(req.URL.RequestURI()) + len(" HTTP/1.1\r\n")
	n += len("Host: \r\n") + len(req.Host)
	for k, vs := range req.Header {
		for _, v := range vs {
			n += len(k) + len(v) + 4
		}
	}
	if bodyLen > 0 {
		n += len("Content-Length: \r\n") + len(strconv.Itoa(bodyLen))
	}
	n += len("Accept-Encoding: gzip\r\n") + 2 + bodyLen
	return int64(n)
}

// responseSize approximates the bytes read for the response (status line, headers, body).
func responseSize(resp *http.Response, bodyLen int64) int64 {
	n := int64(len(resp.Proto) + 1 + len(resp.Status) + 2)
	for k, vs := range resp.Header {
		for _, v := range vs {
			n += int64(len(k) + len(v) + 4)
		}
	}
	return n + 2 + bodyLen
}

// fail records a request error with its k6 error code.
func fail(res *result, err error, ctx, parent context.Context) {
	res.err = err
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil && parent.Err() == nil {
		res.errMsg, res.errCode = "request timeout", 1050
		return
	}
	res.errCode = errorCode(err)
	res.errMsg = err.Error()
	if ue, ok := err.(*url.Error); ok {
		res.errMsg = ue.Err.Error()
	}
	if res.errMsg == "" {
		res.errMsg = err.Error()
	}
}

// errorCode maps a Go error to k6's documented error codes.
func errorCode(err error) int {
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		if dnsErr.IsNotFound {
			return 1101
		}
		return 1100
	}
	var uaErr x509.UnknownAuthorityError
	if errors.As(err, &uaErr) {
		return 1310
	}
	var hnErr x509.HostnameError
	if errors.As(err, &hnErr) {
		return 1311
	}
	var certErr *tls.CertificateVerificationError
	if errors.As(err, &certErr) {
		return 1300
	}
	var recErr tls.RecordHeaderError
	if errors.As(err, &recErr) {
		return 1300
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		switch {
		case errors.Is(err, syscall.ECONNREFUSED):
			return 1212
		case opErr.Timeout():
			return 1211
		}
		return 1210
	}
	switch {
	case errors.Is(err, syscall.ECONNRESET):
		return 1220
	case errors.Is(err, syscall.EPIPE):
		return 1201
	case errors.Is(err, syscall.ECONNREFUSED):
		return 1212
	case errors.Is(err, os.ErrDeadlineExceeded):
		return 1050
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return 1050
	}
	return 1000
}
