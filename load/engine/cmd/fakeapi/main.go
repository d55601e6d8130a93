// Command fakeapi is the benchmark's stand-in for the TODO API (npm run bench:load): a small,
// fast HTTP server on loopback, so that a load generator on the same 2 cores measures its own
// ceiling rather than the target's. It answers
//
//	GET /api/todo?status=TODO|PROGRESS|DONE  a fixed JSON array of --items items (like todoapi's default LIMIT 100)
//	GET /api/healthz, GET /                   small 200 answers (the suite's reachability probe)
//
// and, with --latency, delays every answer by a value drawn from a programmed distribution (see
// dist.go), so a generator's measured percentiles can be compared with known ones.
//
// It prints "http://127.0.0.1:PORT" on stdout once listening and exits after --max-lifetime (a
// benchmark that dies cannot leave it behind for long) or on SIGINT/SIGTERM.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	fs := flag.NewFlagSet("fakeapi", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "listen address (loopback only)")
	items := fs.Int("items", 100, "items in each list answer")
	latency := fs.String("latency", "", `delay per answer: "" none, a fixed duration ("20ms"), or a quantile table "q:ms,..." (e.g. "0:5,0.5:20,0.95:60,0.99:120,1:150")`)
	random := fs.Bool("random", false, "draw delays pseudo-randomly instead of from the low-discrepancy sequence")
	spin := fs.Duration("spin", 500*time.Microsecond, "end each delay with a busy wait this long (timer wake-ups are late by 0.1-1 ms on a busy machine)")
	maxLife := fs.Duration("max-lifetime", 30*time.Minute, "exit after this long")
	inContainer := fs.Bool("in-container", false, "allow a non-loopback --addr (0.0.0.0:PORT): only inside a container on the swarm's overlay network (the distributed-load test)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	host, _, err := net.SplitHostPort(*addr)
	if err != nil || (!*inContainer && !net.ParseIP(host).IsLoopback()) {
		fmt.Fprintf(os.Stderr, "fakeapi: --addr: expected a loopback HOST:PORT, got %q\n", *addr)
		return 2
	}
	var d *Dist
	if *latency != "" {
		if d, err = ParseDist(*latency); err != nil {
			fmt.Fprintf(os.Stderr, "fakeapi: --latency: %v\n", err)
			return 2
		}
	}
	var seed uint64
	if *random {
		seed = uint64(time.Now().UnixNano())
	}
	h := newHandler(*items, d, newDrawer(*random, seed))
	h.spin = *spin
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(os.Stderr, "fakeapi: %v\n", err)
		return 1
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	fmt.Printf("http://%s\n", ln.Addr())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		select {
		case <-ctx.Done():
		case <-time.After(*maxLife):
		}
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
		_ = srv.Close()
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintf(os.Stderr, "fakeapi: %v\n", err)
		return 1
	}
	return 0
}

type handler struct {
	lists   map[string][]byte
	dist    *Dist
	drawer  *drawer
	spin    time.Duration
	applied recorder
}

var statuses = []string{"TODO", "PROGRESS", "DONE"}

func newHandler(items int, d *Dist, dr *drawer) *handler {
	h := &handler{lists: map[string][]byte{}, dist: d, drawer: dr}
	ts := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC).Format("2006-01-02T15:04:05Z")
	for _, s := range statuses {
		var b strings.Builder
		b.WriteByte('[')
		for i := 0; i < items; i++ {
			if i > 0 {
				b.WriteByte(',')
			}
			id := items - i
			fmt.Fprintf(&b, `{"id":%d,"title":"gameday k6-%d-%d-fake","content":"written by swarm-gameday load (api-write/smoke)","status":%q,"created":%q,"updated":%q}`,
				id, id%16+1, id, s, ts, ts)
		}
		b.WriteByte(']')
		h.lists[s] = []byte(b.String())
	}
	return h
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/__applied" {
		// the delays actually applied (programmed + the timer's lateness), for the benchmark
		hd := w.Header()
		hd["Content-Type"] = []string{"application/json"}
		_, _ = w.Write(h.applied.summary(r.URL.Query().Get("reset") != ""))
		return
	}
	if h.dist != nil {
		// the delay counts from when the handler starts, so a generator should measure it plus
		// loopback and parsing overhead (tens of microseconds)
		start := time.Now()
		delay(start, h.dist.Quantile(h.drawer.next()), h.spin)
		h.applied.add(time.Since(start))
	}
	hd := w.Header()
	switch {
	case r.URL.Path == "/api/todo" && r.Method == http.MethodGet:
		body, ok := h.lists[r.URL.Query().Get("status")]
		if !ok {
			hd["Content-Type"] = []string{"application/json; charset=utf-8"}
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"status":400,"message":"status: expected TODO, PROGRESS or DONE"}`))
			return
		}
		hd["Content-Type"] = []string{"application/json; charset=utf-8"}
		hd["Content-Length"] = []string{strconv.Itoa(len(body))}
		hd["Cache-Control"] = []string{"no-store"}
		_, _ = w.Write(body)
	case r.URL.Path == "/api/healthz" || r.URL.Path == "/healthz":
		hd["Content-Type"] = []string{"application/json; charset=utf-8"}
		_, _ = w.Write([]byte(`{"status":"ok"}`))
	case r.URL.Path == "/" && r.Method == http.MethodGet:
		hd["Content-Type"] = []string{"text/html; charset=utf-8"}
		_, _ = w.Write([]byte("<!doctype html><title>fakeapi</title>"))
	default:
		hd["Content-Type"] = []string{"application/json; charset=utf-8"}
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"status":404,"message":"not found"}`))
	}
}

// delay waits until start+d: a timer for all but the last spin, then a yielding busy wait.
func delay(start time.Time, d, spin time.Duration) {
	until := start.Add(d)
	if d > spin {
		time.Sleep(d - spin)
	}
	for time.Now().Before(until) {
		runtime.Gosched()
	}
}

// recorder keeps the applied delays (at most maxRecorded) for exact percentiles.
type recorder struct {
	mu sync.Mutex
	ms []float64
}

const maxRecorded = 1 << 20

func (r *recorder) add(d time.Duration) {
	r.mu.Lock()
	if len(r.ms) < maxRecorded {
		r.ms = append(r.ms, float64(d)/float64(time.Millisecond))
	}
	r.mu.Unlock()
}

// summary is {"count":N,"p50":..,"p95":..,"p99":..} in ms (nearest-rank percentiles).
func (r *recorder) summary(reset bool) []byte {
	r.mu.Lock()
	ms := append([]float64(nil), r.ms...)
	if reset {
		r.ms = r.ms[:0]
	}
	r.mu.Unlock()
	sort.Float64s(ms)
	out := map[string]float64{"count": float64(len(ms))}
	for _, p := range []float64{50, 95, 99} {
		if len(ms) > 0 {
			out[fmt.Sprintf("p%g", p)] = nearestRank(ms, p)
		}
	}
	b, _ := json.Marshal(out)
	return b
}

// nearestRank is the p-th percentile of sorted values (nearest-rank definition).
func nearestRank(sorted []float64, p float64) float64 {
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	if i < 0 {
		i = 0
	}
	return sorted[i]
}
