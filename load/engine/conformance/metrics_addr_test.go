package conformance

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestMetricsAddrServesDuringRun scrapes --metrics-addr while a 2 s test runs: the series are
// there mid-run, and the last scrape (served for a moment after the end) agrees with the summary.
func TestMetricsAddrServesDuringRun(t *testing.T) {
	t.Parallel()
	addr := freeLoopbackAddr(t)
	src := `
import http from 'k6/http';
import { check } from 'k6';
export const options = { scenarios: { steady: { executor: 'constant-vus', vus: 2, duration: '2s' } } };
export default function () {
  const r = http.get(__ENV.BASE + '/slow?ms=20', { tags: { name: 'slow' } });
  check(r, { 'is 200': (x) => x.status === 200 });
  http.get(__ENV.BASE + '/status/503', { tags: { name: 'broken' } });
}
`
	var mu sync.Mutex
	var midRun, last map[string]float64
	done := make(chan struct{})
	scraped := make(chan struct{})
	go func() {
		defer close(scraped)
		start := time.Now()
		for {
			select {
			case <-done:
				return
			case <-time.After(200 * time.Millisecond):
			}
			m, err := scrape("http://" + addr + "/metrics")
			if err != nil {
				continue // not listening yet, or already shut down
			}
			mu.Lock()
			if midRun == nil && time.Since(start) < 1500*time.Millisecond && m[`gameday_http_reqs_total{method="GET",name="slow",scenario="steady",status="200"}`] > 0 {
				midRun = m
			}
			last = m
			mu.Unlock()
		}
	}()
	res := runScript(t, src, runOpts{args: []string{"--metrics-addr", addr}})
	close(done)
	<-scraped
	res.wantCode(t, 0)
	if !strings.Contains(res.stderr, "Prometheus metrics at http://"+addr+"/metrics") {
		t.Errorf("no log line naming the endpoint:\n%s", res.stderr)
	}
	mu.Lock()
	defer mu.Unlock()
	if midRun == nil {
		t.Fatalf("no scrape in the first 1.5 s showed requests; last scrape: %v\n%s", last, res.dump())
	}
	if midRun["gameday_vus"] != 2 {
		t.Errorf("gameday_vus mid-run = %v, want 2", midRun["gameday_vus"])
	}
	reqs := res.value(t, "http_reqs", "count")
	var got float64
	for k, v := range last {
		if strings.HasPrefix(k, "gameday_http_reqs_total{") {
			got += v
		}
	}
	if got != reqs {
		t.Errorf("last scrape http_reqs_total sum = %v, summary http_reqs count = %v", got, reqs)
	}
	broken := last[`gameday_http_reqs_total{method="GET",name="broken",scenario="steady",status="503"}`]
	if failed := last[`gameday_http_req_failed_total{name="broken",scenario="steady"}`]; failed != broken || failed == 0 {
		t.Errorf("http_req_failed_total{broken} = %v, want = 503 requests (%v) > 0", failed, broken)
	}
	if f := last[`gameday_http_req_failed_total{name="slow",scenario="steady"}`]; f != 0 {
		t.Errorf("http_req_failed_total{slow} = %v, want 0", f)
	}
	if n := last[`gameday_http_req_duration_seconds_count{name="slow",scenario="steady"}`]; n == 0 || n != last[`gameday_http_reqs_total{method="GET",name="slow",scenario="steady",status="200"}`] {
		t.Errorf("duration histogram count{slow} = %v, want the slow request count", n)
	}
	// 20 ms answers: none in the <=10 ms bucket, all in the <=100 ms one
	if b := last[`gameday_http_req_duration_seconds_bucket{name="slow",scenario="steady",le="0.01"}`]; b != 0 {
		t.Errorf("slow requests in le=0.01 bucket: %v, want 0", b)
	}
	if it, want := last[`gameday_iterations_total{scenario="steady"}`], res.value(t, "iterations", "count"); it != want {
		t.Errorf("iterations_total = %v, summary iterations = %v", it, want)
	}
	if p := last[`gameday_checks_total{check="is 200",result="pass",scenario="steady"}`]; p == 0 {
		t.Errorf("checks_total pass = 0; last scrape: %v", last)
	}
}

func TestMetricsAddrRefusesNonLoopback(t *testing.T) {
	t.Parallel()
	for _, addr := range []string{"0.0.0.0:9464", "10.0.0.1:9464", "nonsense"} {
		res := runScript(t, `export default function () {}`, runOpts{args: []string{"--metrics-addr", addr}})
		res.wantCode(t, 104)
		if !strings.Contains(res.stderr, "--metrics-addr") || !strings.Contains(res.stderr, addr) {
			t.Errorf("%s: error should name the flag and the address:\n%s", addr, res.stderr)
		}
	}
}

func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

// scrape parses the text exposition into "name{labels}" -> value (labels as Prometheus prints
// them: sorted by name).
func scrape(url string) (map[string]float64, error) {
	c := http.Client{Timeout: time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		return nil, &net.AddrError{Err: "status " + resp.Status + ": " + string(b), Addr: url}
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			continue
		}
		out[line[:i]] = v
	}
	return out, sc.Err()
}
