package h1

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// server counts the connections it accepted.
type server struct {
	*httptest.Server
	conns atomic.Int64
}

func newServer(t *testing.T, h http.HandlerFunc) *server {
	t.Helper()
	s := &server{}
	s.Server = httptest.NewUnstartedServer(h)
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	s.Start()
	t.Cleanup(s.Close)
	return s
}

func newTransport(t *testing.T) *Transport {
	t.Helper()
	tr := New(http.DefaultTransport.(*http.Transport).Clone(), (&net.Dialer{}).DialContext)
	t.Cleanup(tr.CloseIdleConnections)
	return tr
}

func get(t *testing.T, tr http.RoundTripper, ctx context.Context, method, url string, body []byte, hdr http.Header) (*http.Response, string, error) {
	t.Helper()
	if ctx == nil {
		ctx = context.Background()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range hdr {
		req.Header[k] = vs
	}
	resp, err := tr.RoundTrip(req)
	if err != nil {
		return nil, "", err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b), err
}

func TestKeepAliveOneConnection(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok "+r.URL.Path) })
	tr := newTransport(t)
	for i := 0; i < 20; i++ {
		_, b, err := get(t, tr, nil, "GET", s.URL+"/x", nil, nil)
		if err != nil || b != "ok /x" {
			t.Fatalf("request %d: %q %v", i, b, err)
		}
	}
	if n := s.conns.Load(); n != 1 {
		t.Errorf("20 sequential requests opened %d connections, want 1", n)
	}
}

func TestRequestBytesAsNetHTTP(t *testing.T) {
	var got atomic.Value
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got.Store([]string{r.Method, r.Host, r.Header.Get("User-Agent"), r.Header.Get("Accept-Encoding"), r.Header.Get("X-A"), string(b), r.Header.Get("Content-Length")})
	})
	tr := newTransport(t)
	if _, _, err := get(t, tr, nil, "POST", s.URL+"/p", []byte("hello"), http.Header{"X-A": {"1"}}); err != nil {
		t.Fatal(err)
	}
	want := []string{"POST", strings.TrimPrefix(s.URL, "http://"), "Go-http-client/1.1", "gzip", "1", "hello", "5"}
	if g := got.Load().([]string); strings.Join(g, "|") != strings.Join(want, "|") {
		t.Errorf("server saw %q, want %q", g, want)
	}
}

func TestGzipDecodedAndConnectionReused(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Accept-Encoding") != "gzip" {
			io.WriteString(w, "plain:"+r.Header.Get("Accept-Encoding"))
			return
		}
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w)
		io.WriteString(zw, strings.Repeat("z", 1000))
		zw.Close()
	})
	tr := newTransport(t)
	for i := 0; i < 3; i++ {
		resp, b, err := get(t, tr, nil, "GET", s.URL, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if b != strings.Repeat("z", 1000) || !resp.Uncompressed || resp.Header.Get("Content-Encoding") != "" || resp.ContentLength != -1 {
			t.Fatalf("body %d bytes, uncompressed %v, encoding %q, length %d", len(b), resp.Uncompressed, resp.Header.Get("Content-Encoding"), resp.ContentLength)
		}
	}
	if n := s.conns.Load(); n != 1 {
		t.Errorf("3 gzip responses used %d connections, want 1", n)
	}
	// the script asked for an encoding itself: passed on, nothing decoded
	resp, b, err := get(t, tr, nil, "GET", s.URL, nil, http.Header{"Accept-Encoding": {"identity"}})
	if err != nil || b != "plain:identity" || resp.Uncompressed {
		t.Errorf("own Accept-Encoding: %q %v", b, err)
	}
}

func TestServerCloseNotReused(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		io.WriteString(w, "bye")
	})
	tr := newTransport(t)
	for i := 0; i < 3; i++ {
		if _, b, err := get(t, tr, nil, "GET", s.URL, nil, nil); err != nil || b != "bye" {
			t.Fatalf("%q %v", b, err)
		}
	}
	if n := s.conns.Load(); n != 3 {
		t.Errorf("Connection: close x3 used %d connections, want 3", n)
	}
}

func TestDisableKeepAlives(t *testing.T) {
	var closeHdr atomic.Int64
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Close {
			closeHdr.Add(1)
		}
	})
	fb := http.DefaultTransport.(*http.Transport).Clone()
	fb.DisableKeepAlives = true
	tr := New(fb, (&net.Dialer{}).DialContext)
	for i := 0; i < 3; i++ {
		if _, _, err := get(t, tr, nil, "GET", s.URL, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	if n, c := s.conns.Load(), closeHdr.Load(); n != 3 || c != 3 {
		t.Errorf("connections %d, requests with Connection: close %d; want 3 and 3", n, c)
	}
}

// a server that ends every connection right after its response, without saying so
func closingServer(t *testing.T) (addr string, requests *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	requests = &atomic.Int64{}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				req, err := http.ReadRequest(bufio.NewReader(c))
				if err != nil {
					return
				}
				io.Copy(io.Discard, req.Body)
				requests.Add(1)
				io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
			}()
		}
	}()
	return "http://" + ln.Addr().String(), requests
}

func TestStaleConnectionRetriedWhenSafe(t *testing.T) {
	url, requests := closingServer(t)
	tr := newTransport(t)
	// at once (no look before reuse): the GET meets the closed connection and is sent again
	for i := 0; i < 5; i++ {
		if _, b, err := get(t, tr, nil, "GET", url, nil, nil); err != nil || b != "ok" {
			t.Fatalf("GET %d: %q %v", i, b, err)
		}
	}
	// a POST with an idempotency key may be sent again too, with its body
	if _, b, err := get(t, tr, nil, "POST", url, []byte("x"), http.Header{"Idempotency-Key": {"k1"}}); err != nil || b != "ok" {
		t.Fatalf("keyed POST: %q %v", b, err)
	}
	if n := requests.Load(); n != 6 {
		t.Errorf("server answered %d requests, want 6", n)
	}
	// after an idle while the closed connection is noticed before it is used: even a bare POST goes through
	time.Sleep(2 * staleCheckAfter)
	if _, b, err := get(t, tr, nil, "POST", url, []byte("y"), nil); err != nil || b != "ok" {
		t.Fatalf("POST after idle: %q %v", b, err)
	}
}

func TestTimeoutIsContextDeadline(t *testing.T) {
	release := make(chan struct{})
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/body" {
			w.Header().Set("Content-Length", "10")
			io.WriteString(w, "12345")
			w.(http.Flusher).Flush()
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	tr := newTransport(t)
	for _, path := range []string{"/head", "/body"} {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		start := time.Now()
		_, _, err := get(t, tr, ctx, "GET", s.URL+path, nil, nil)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s: error %v, want context.DeadlineExceeded", path, err)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("%s: took %v for a 100 ms timeout", path, d)
		}
	}
}

func TestCancelEndsABlockedRead(t *testing.T) {
	release := make(chan struct{})
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	tr := newTransport(t)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	_, _, err := get(t, tr, ctx, "GET", s.URL, nil, nil)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("cancel took %v", d)
	}
}

func TestBodilessAndChunkedResponses(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/204":
			w.WriteHeader(204)
		case "/304":
			w.WriteHeader(304)
		case "/chunked":
			for i := 0; i < 3; i++ {
				io.WriteString(w, "c")
				w.(http.Flusher).Flush()
			}
		case "/early":
			w.Header().Set("Link", "</a.css>; rel=preload")
			w.WriteHeader(103)
			io.WriteString(w, "final")
		default:
			w.Header().Set("Content-Length", "4")
			io.WriteString(w, "body")
		}
	})
	tr := newTransport(t)
	cases := []struct {
		method, path, body string
		status             int
	}{
		{"HEAD", "/len", "", 200}, {"GET", "/204", "", 204}, {"GET", "/304", "", 304},
		{"GET", "/chunked", "ccc", 200}, {"GET", "/early", "final", 200}, {"GET", "/len", "body", 200},
	}
	for _, c := range cases {
		resp, b, err := get(t, tr, nil, c.method, s.URL+c.path, nil, nil)
		if err != nil || b != c.body || resp.StatusCode != c.status {
			t.Fatalf("%s %s: %v %q %v", c.method, c.path, resp, b, err)
		}
	}
	if n := s.conns.Load(); n != 1 {
		t.Errorf("%d connections for %d keep-alive exchanges, want 1", n, len(cases))
	}
}

func TestTraceEvents(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	tr := newTransport(t)
	for i, wantReused := range []bool{false, true} {
		var mu sync.Mutex
		var events []string
		add := func(e string) { mu.Lock(); events = append(events, e); mu.Unlock() }
		reused := false
		ct := &httptrace.ClientTrace{
			GetConn:              func(string) { add("get") },
			ConnectStart:         func(string, string) { add("connect") },
			ConnectDone:          func(string, string, error) { add("connected") },
			GotConn:              func(i httptrace.GotConnInfo) { reused = i.Reused; add("got") },
			WroteRequest:         func(httptrace.WroteRequestInfo) { add("wrote") },
			GotFirstResponseByte: func() { add("first") },
		}
		if _, _, err := get(t, tr, httptrace.WithClientTrace(context.Background(), ct), "GET", s.URL, nil, nil); err != nil {
			t.Fatal(err)
		}
		want := "get connect connected got wrote first"
		if wantReused {
			want = "get got wrote first"
		}
		if g := strings.Join(events, " "); g != want || reused != wantReused {
			t.Errorf("request %d: events %q reused %v, want %q reused %v", i, g, reused, want, wantReused)
		}
	}
}

func TestFallbackForHTTPSAndBadHeaders(t *testing.T) {
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "secure") }))
	defer ts.Close()
	tr := New(ts.Client().Transport.(*http.Transport), (&net.Dialer{}).DialContext)
	defer tr.CloseIdleConnections()
	if resp, b, err := get(t, tr, nil, "GET", ts.URL, nil, nil); err != nil || b != "secure" || resp.TLS == nil {
		t.Fatalf("https through the fallback: %q %v", b, err)
	}
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {})
	_, _, err := get(t, tr, nil, "GET", s.URL, nil, http.Header{"X-Bad": {"a\r\nInjected: 1"}})
	if err == nil || !strings.Contains(err.Error(), "invalid header field value") {
		t.Errorf("a header value with CRLF: %v, want net/http's invalid header field value", err)
	}
}

func TestConcurrentRequestsShareThePool(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(5 * time.Millisecond)
		io.WriteString(w, r.URL.Query().Get("i"))
	})
	tr := newTransport(t)
	for round := 0; round < 3; round++ {
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				want := string(rune('a' + i))
				if _, b, err := get(t, tr, nil, "GET", s.URL+"/?i="+want, nil, nil); err != nil || b != want {
					errs <- errors.New("got " + b + ", want " + want)
				}
			}(i)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	}
	if n := s.conns.Load(); n > 8 {
		t.Errorf("3 rounds of 8 parallel requests opened %d connections, want at most 8", n)
	}
}
