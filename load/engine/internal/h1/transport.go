// Package h1 is the VUs' HTTP transport: plain http:// requests go over HTTP/1.1 keep-alive
// connections written and read on the calling goroutine; everything else (https, a proxy from
// the environment, Expect: 100-continue) goes to a net/http.Transport.
//
// Why: net/http.Transport hands every request to two goroutines per connection (a writer and
// a reader) and back through channels and selects. A VU makes one request at a time, so those
// hand-offs are pure overhead: about a fifth of the engine's CPU per request on a fast target
// (issue 10). Here a request is one buffered write and one buffered read by the VU itself.
//
// It behaves as net/http.Transport does where a script can tell: the same request bytes
// (http.Request.Write), Accept-Encoding: gzip added and decoded when the script did not ask for
// an encoding, httptrace events (GetConn, GotConn, GotFirstResponseByte here; DNS and connect
// from the dialer, WroteRequest from http.Request.Write), the context's deadline and cancellation, keep-alive unless either side
// says close, and a request that met a connection the server had closed while idle is sent
// again on a new one when it is safe to (idempotent, or nothing of the response read).
package h1

import (
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Transport is an http.RoundTripper; safe for concurrent use (http.batch).
type Transport struct {
	// Fallback takes what this transport does not do itself.
	Fallback *http.Transport
	// Dial opens a new connection (net.Dialer.DialContext).
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// DisableKeepAlives: one connection per request.
	DisableKeepAlives bool
	// IdleTimeout: an idle connection older than this is closed rather than reused.
	IdleTimeout time.Duration

	fast bool // false when a proxy is set in the environment: then every request is the fallback's

	mu   sync.Mutex
	idle map[string][]*conn
}

// New returns a Transport in front of fallback; dial opens connections of the fast path.
func New(fallback *http.Transport, dial func(ctx context.Context, network, addr string) (net.Conn, error)) *Transport {
	return &Transport{
		Fallback:          fallback,
		Dial:              dial,
		DisableKeepAlives: fallback.DisableKeepAlives,
		IdleTimeout:       fallback.IdleConnTimeout,
		fast:              !proxyInEnv(),
		idle:              map[string][]*conn{},
	}
}

// a proxy for http:// requests set in the environment (net/http reads these)
func proxyInEnv() bool {
	for _, k := range []string{"HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"} {
		if os.Getenv(k) != "" {
			return true
		}
	}
	return false
}

type conn struct {
	nc       net.Conn
	br       *bufio.Reader
	bw       *bufio.Writer
	key      string
	lastUsed time.Time
	reused   bool
}

// CloseIdleConnections closes every idle connection of both paths.
func (t *Transport) CloseIdleConnections() {
	t.mu.Lock()
	idle := t.idle
	t.idle = map[string][]*conn{}
	t.mu.Unlock()
	for _, cs := range idle {
		for _, c := range cs {
			c.nc.Close()
		}
	}
	t.Fallback.CloseIdleConnections()
}

func (t *Transport) useFallback(req *http.Request) bool {
	if !t.fast || req.URL == nil || req.URL.Scheme != "http" || req.URL.Host == "" {
		return true
	}
	if _, ok := req.Header["Expect"]; ok {
		return true // 100-continue: net/http waits for the interim answer before the body
	}
	if req.Body != nil && req.Body != http.NoBody && req.GetBody == nil {
		return true // a body we could not send again on a retry
	}
	for k, vs := range req.Header {
		if !validFieldName(k) {
			return true // net/http refuses it with its own error
		}
		for _, v := range vs {
			if !validFieldValue(v) {
				return true
			}
		}
	}
	return false
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if t.useFallback(req) {
		return t.Fallback.RoundTrip(req)
	}
	ctx := req.Context()
	trace := httptrace.ContextClientTrace(ctx)
	key := hostPort(req)
	// as net/http: ask for gzip and decode it, so the script sees the body it would see there
	gzipAdded := req.Method != http.MethodHead && req.Header.Get("Accept-Encoding") == "" && req.Header.Get("Range") == ""
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if trace != nil && trace.GetConn != nil {
			trace.GetConn(key)
		}
		c, err := t.getConn(ctx, key, trace)
		if err != nil {
			return nil, err
		}
		resp, retry, err := t.exchange(ctx, c, req, gzipAdded, trace)
		if err == nil {
			return resp, nil
		}
		c.nc.Close()
		if retry && attempt == 0 && ctx.Err() == nil {
			if req.GetBody != nil {
				body, berr := req.GetBody()
				if berr != nil {
					return nil, err
				}
				r2 := *req
				r2.Body = body
				req = &r2
			}
			continue
		}
		return nil, ctxErr(ctx, err)
	}
}

func hostPort(req *http.Request) string {
	host, port := req.URL.Hostname(), req.URL.Port()
	if port == "" {
		port = "80"
	}
	return net.JoinHostPort(host, port)
}

// ctxErr reports a read or write that ended because the request's context did as the context's
// error (as net/http does: "request timeout" in the script), whichever of the two noticed first.
func ctxErr(ctx context.Context, err error) error {
	if e := ctx.Err(); e != nil {
		return e
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		if d, ok := ctx.Deadline(); ok && !time.Now().Before(d) {
			// the connection's deadline is the context's: its timer is due, so callers that
			// ask ctx.Err() (khttp: "request timeout") see the same as with net/http
			<-ctx.Done()
			return ctx.Err()
		}
	}
	return err
}

// getConn takes an idle connection that is still open, or dials a new one.
func (t *Transport) getConn(ctx context.Context, key string, trace *httptrace.ClientTrace) (*conn, error) {
	now := time.Now()
	for {
		c := t.popIdle(key)
		if c == nil {
			break
		}
		if t.IdleTimeout > 0 && now.Sub(c.lastUsed) > t.IdleTimeout {
			c.nc.Close()
			continue
		}
		// A connection idle for a while may have been closed by the server (its keep-alive
		// timeout): look without blocking, as net/http's reader goroutine would have noticed.
		if now.Sub(c.lastUsed) >= staleCheckAfter && !alive(c) {
			c.nc.Close()
			continue
		}
		c.reused = true
		if trace != nil && trace.GotConn != nil {
			trace.GotConn(httptrace.GotConnInfo{Conn: c.nc, Reused: true, WasIdle: true, IdleTime: now.Sub(c.lastUsed)})
		}
		return c, nil
	}
	// the dialer reports DNS and connect events to the trace itself
	nc, err := t.Dial(ctx, "tcp", key)
	if err != nil {
		return nil, err
	}
	// 4 KiB each, as net/http: memory per VU stays as it was
	c := &conn{nc: nc, br: bufio.NewReaderSize(nc, 4<<10), bw: bufio.NewWriterSize(nc, 4<<10), key: key}
	if trace != nil && trace.GotConn != nil {
		trace.GotConn(httptrace.GotConnInfo{Conn: nc})
	}
	return c, nil
}

// connections reused within this are not checked for a close by the server
const staleCheckAfter = 100 * time.Millisecond

func (t *Transport) popIdle(key string) *conn {
	t.mu.Lock()
	defer t.mu.Unlock()
	cs := t.idle[key]
	if len(cs) == 0 {
		return nil
	}
	c := cs[len(cs)-1]
	cs[len(cs)-1] = nil
	t.idle[key] = cs[:len(cs)-1]
	return c
}

// putIdle: only for a connection whose exchange allowed keep-alive (body.keep)
func (t *Transport) putIdle(c *conn) {
	c.lastUsed = time.Now()
	t.mu.Lock()
	t.idle[c.key] = append(t.idle[c.key], c)
	t.mu.Unlock()
}

// alive: nothing to read and not closed by the peer (a non-blocking peek).
func alive(c *conn) bool {
	if c.br.Buffered() > 0 {
		return false // bytes nobody asked for: the connection is out of step
	}
	sc, ok := c.nc.(syscall.Conn)
	if !ok {
		return true
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	ok = false
	var buf [1]byte
	cerr := raw.Read(func(fd uintptr) bool {
		// EAGAIN: open, nothing to read; 0 bytes: closed by the peer; bytes or another error: unusable
		_, _, err := syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		ok = err == syscall.EAGAIN || err == syscall.EWOULDBLOCK
		return true // never wait
	})
	return cerr == nil && ok
}

// exchange writes the request and reads the response head on c. retry says the error came
// before anything of a response and the request may be sent again on a new connection.
func (t *Transport) exchange(ctx context.Context, c *conn, req *http.Request, gzipAdded bool, trace *httptrace.ClientTrace) (*http.Response, bool, error) {
	deadline, hasDeadline := ctx.Deadline()
	if hasDeadline {
		c.nc.SetDeadline(deadline)
	} else {
		c.nc.SetDeadline(time.Time{})
	}
	// cancellation (a stopped test) ends a blocked read or write at once
	stop := context.AfterFunc(ctx, func() { c.nc.SetDeadline(time.Unix(1, 0)) })

	werr := writeRequest(c.bw, req, gzipAdded, t.DisableKeepAlives)
	if werr == nil {
		werr = c.bw.Flush()
	}
	// http.Request.Write reports WroteRequest to the trace itself (before the flush, as in net/http)
	if werr != nil {
		stop()
		// the server may have closed the reused connection: nothing of this request was taken
		return nil, c.reused, werr
	}
	var resp *http.Response
	for {
		if _, err := c.br.Peek(1); err != nil {
			stop()
			// nothing of a response: a reused connection the server closed while idle
			closed := errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET)
			return nil, c.reused && closed && idempotent(req), err
		}
		if trace != nil && trace.GotFirstResponseByte != nil && resp == nil {
			trace.GotFirstResponseByte()
		}
		r, err := http.ReadResponse(c.br, req)
		if err != nil {
			stop()
			return nil, false, err
		}
		if r.StatusCode >= 100 && r.StatusCode < 200 && r.StatusCode != http.StatusSwitchingProtocols {
			resp = r // an interim answer (103 Early Hints): the final one follows
			continue
		}
		resp = r
		break
	}
	keep := !resp.Close && !req.Close && !t.DisableKeepAlives && resp.StatusCode != http.StatusSwitchingProtocols
	b := &body{rc: resp.Body, c: c, t: t, keep: keep, stop: stop, ctx: ctx}
	if resp.Body == http.NoBody {
		b.finish(true)
		resp.Body = http.NoBody
	} else {
		resp.Body = b
	}
	if gzipAdded && strings.EqualFold(resp.Header.Get("Content-Encoding"), "gzip") && resp.Body != http.NoBody {
		resp.Header.Del("Content-Encoding")
		resp.Header.Del("Content-Length")
		resp.ContentLength = -1
		resp.Uncompressed = true
		resp.Body = &gzipBody{body: b}
	}
	return resp, false, nil
}

// net/http's rule: these methods, or a request with an idempotency key, may be sent twice
func idempotent(req *http.Request) bool {
	switch req.Method {
	case "", http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return true
	}
	if _, ok := req.Header["Idempotency-Key"]; ok {
		return true
	}
	_, ok := req.Header["X-Idempotency-Key"]
	return ok
}

// writeRequest writes req as net/http.Transport would: http.Request.Write, with the
// Accept-Encoding it adds and Connection: close when keep-alive is off.
func writeRequest(w *bufio.Writer, req *http.Request, gzipAdded, closeConn bool) error {
	if !gzipAdded && !closeConn {
		return req.Write(w)
	}
	r := *req
	r.Header = req.Header.Clone()
	if r.Header == nil {
		r.Header = http.Header{}
	}
	if gzipAdded {
		r.Header["Accept-Encoding"] = acceptGzip
	}
	if closeConn {
		r.Close = true
	}
	return r.Write(w)
}

var acceptGzip = []string{"gzip"}

// body returns the connection to the pool once the response was read to its end, and closes
// it if the reader stopped before that.
type body struct {
	rc   io.ReadCloser
	c    *conn
	t    *Transport
	keep bool
	stop func() bool
	ctx  context.Context
	done bool
}

func (b *body) Read(p []byte) (int, error) {
	if b.done {
		return 0, io.EOF
	}
	n, err := b.rc.Read(p)
	if err == io.EOF {
		b.finish(true)
		return n, io.EOF
	}
	if err != nil {
		b.finish(false)
		return n, ctxErr(b.ctx, err)
	}
	return n, nil
}

func (b *body) Close() error {
	if !b.done {
		b.finish(false)
	}
	return nil
}

// finish: the exchange on this connection is over; read to the end (ok) or not.
func (b *body) finish(ok bool) {
	if b.done {
		return
	}
	b.done = true
	if b.stop != nil && !b.stop() {
		ok = false // the context ended meanwhile and set a past deadline on the connection
	}
	if ok && b.keep {
		b.t.putIdle(b.c)
		return
	}
	b.c.nc.Close()
}

// gzipBody decodes the body lazily, as net/http's gzipReader does.
type gzipBody struct {
	body *body
	zr   *gzip.Reader
	err  error
}

func (g *gzipBody) Read(p []byte) (int, error) {
	if g.zr == nil && g.err == nil {
		g.zr, g.err = gzip.NewReader(g.body)
	}
	if g.err != nil {
		return 0, g.err
	}
	n, err := g.zr.Read(p)
	if err == io.EOF {
		// the connection goes back only once the compressed stream is read to its end
		var one [1]byte
		if m, _ := g.body.Read(one[:]); m != 0 {
			g.body.finish(false)
		}
	}
	return n, err
}

func (g *gzipBody) Close() error { return g.body.Close() }
