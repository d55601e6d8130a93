// Package promexport serves the run's built-in metrics as Prometheus text exposition on a
// loopback address (`run --metrics-addr`), so a Prometheus on the same machine can chart a game
// day while it runs. It is a metrics.Output: the collector hands it every sample in ~1 s batches.
package promexport

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"swarm-gameday/engine/internal/metrics"
)

// MaxLabelValues bounds the distinct values of each free-form tag (name, check) per process;
// later values are folded into OtherValue, so a script tagging by URL cannot blow up the series.
const MaxLabelValues = 50

// OtherValue replaces a tag value once MaxLabelValues distinct values were seen.
const OtherValue = "_other"

// Linger is how long Stop keeps serving after the last batch, so a 1 s scrape sees final totals.
const Linger = 1500 * time.Millisecond

// Durations are in seconds (Prometheus convention); buckets cover 1 ms to 30 s.
var durationBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}

// Output is the Prometheus exporter. Create with New, then pass to the collector.
type Output struct {
	ln     net.Listener
	srv    *http.Server
	linger time.Duration

	reqs       *prometheus.CounterVec
	failed     *prometheus.CounterVec
	duration   *prometheus.HistogramVec
	vus, vusMx prometheus.Gauge
	iterations *prometheus.CounterVec
	dropped    *prometheus.CounterVec
	checks     *prometheus.CounterVec

	mu       sync.Mutex // guards the label limiters (AddSamples runs on one goroutine; kept for safety)
	names    limiter
	checkNms limiter

	served chan error
}

// ValidateAddr accepts HOST:PORT with a loopback IP host (or "localhost"); flag names the CLI flag
// for the error.
func ValidateAddr(flag, addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("invalid flag %s: expected a loopback HOST:PORT like 127.0.0.1:9464, got %q: %w", flag, addr, err)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return fmt.Errorf("invalid flag %s: port %q of %q is not a number 0-65535", flag, port, addr)
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("invalid flag %s: only loopback addresses are served (the endpoint has no authentication), got host %q in %q", flag, host, addr)
	}
	return nil
}

// New validates addr and listens on it now, so a taken port fails before the test starts.
func New(flag, addr string) (*Output, error) {
	if err := ValidateAddr(flag, addr); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("invalid flag %s: cannot listen on %q: %w", flag, addr, err)
	}
	o := &Output{ln: ln, linger: Linger, names: newLimiter(MaxLabelValues), checkNms: newLimiter(MaxLabelValues)}
	reg := prometheus.NewRegistry()
	f := func(c prometheus.Collector) { reg.MustRegister(c) }
	o.reqs = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "gameday", Name: "http_reqs_total",
		Help: "HTTP requests made (k6 http_reqs)."}, []string{"scenario", "name", "method", "status"})
	o.failed = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "gameday", Name: "http_req_failed_total",
		Help: "HTTP requests counted as failed (k6 http_req_failed true); divide by http_reqs_total for the rate."}, []string{"scenario", "name"})
	o.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "gameday", Name: "http_req_duration_seconds",
		Help: "HTTP request duration (k6 http_req_duration).", Buckets: durationBuckets}, []string{"scenario", "name"})
	o.vus = prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "gameday", Name: "vus", Help: "Active VUs (k6 vus)."})
	o.vusMx = prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "gameday", Name: "vus_max", Help: "Allocated VUs (k6 vus_max)."})
	o.iterations = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "gameday", Name: "iterations_total",
		Help: "Completed iterations (k6 iterations)."}, []string{"scenario"})
	o.dropped = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "gameday", Name: "dropped_iterations_total",
		Help: "Iterations not started for lack of VUs (k6 dropped_iterations)."}, []string{"scenario"})
	o.checks = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "gameday", Name: "checks_total",
		Help: "check() results (k6 checks), result pass or fail."}, []string{"scenario", "check", "result"})
	for _, c := range []prometheus.Collector{o.reqs, o.failed, o.duration, o.vus, o.vusMx, o.iterations, o.dropped, o.checks} {
		f(c)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	o.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	return o, nil
}

// Addr is the address actually listened on (resolves port 0).
func (o *Output) Addr() string { return o.ln.Addr().String() }

// Start serves /metrics until Stop.
func (o *Output) Start() error {
	o.served = make(chan error, 1)
	go func() { o.served <- o.srv.Serve(o.ln) }()
	return nil
}

// AddSamples folds a batch into the Prometheus metrics.
func (o *Output) AddSamples(samples []metrics.Sample) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for i := range samples {
		s := &samples[i]
		if s.Metric == nil {
			continue
		}
		t := s.Tags
		switch s.Metric.Name {
		case "http_reqs":
			o.reqs.WithLabelValues(t["scenario"], o.names.value(t["name"]), t["method"], t["status"]).Add(s.Value)
		case "http_req_failed":
			if s.Value != 0 {
				o.failed.WithLabelValues(t["scenario"], o.names.value(t["name"])).Inc()
			} else {
				// touch the series so the rate is 0 (not absent) before the first failure
				o.failed.WithLabelValues(t["scenario"], o.names.value(t["name"]))
			}
		case "http_req_duration":
			o.duration.WithLabelValues(t["scenario"], o.names.value(t["name"])).Observe(s.Value / 1000) // ms -> s
		case "vus":
			o.vus.Set(s.Value)
		case "vus_max":
			o.vusMx.Set(s.Value)
		case "iterations":
			o.iterations.WithLabelValues(t["scenario"]).Add(s.Value)
		case "dropped_iterations":
			o.dropped.WithLabelValues(t["scenario"]).Add(s.Value)
		case "checks":
			res := "fail"
			if s.Value != 0 {
				res = "pass"
			}
			o.checks.WithLabelValues(t["scenario"], o.checkNms.value(t["check"]), res).Inc()
		}
	}
}

// Stop keeps serving for Linger (the last batch arrives just before Stop), then shuts down.
func (o *Output) Stop() error {
	if o.served == nil { // never started
		return o.ln.Close()
	}
	time.Sleep(o.linger)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := o.srv.Shutdown(ctx)
	if serr := <-o.served; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	if err != nil {
		return fmt.Errorf("metrics endpoint %s: %w", o.Addr(), err)
	}
	return nil
}

// limiter passes the first max distinct values through and folds the rest into OtherValue.
type limiter struct {
	max  int
	seen map[string]struct{}
}

func newLimiter(max int) limiter { return limiter{max: max, seen: map[string]struct{}{}} }

func (l *limiter) value(v string) string {
	if _, ok := l.seen[v]; ok {
		return v
	}
	if len(l.seen) >= l.max {
		return OtherValue
	}
	l.seen[v] = struct{}{}
	return v
}
