package metrics

import (
	"strings"
	"testing"
)

func TestTypeStrings(t *testing.T) {
	for v, want := range map[Type]string{Counter: "counter", Gauge: "gauge", Rate: "rate", Trend: "trend"} {
		if v.String() != want {
			t.Errorf("%d: %q", v, v.String())
		}
	}
	for v, want := range map[ValueType]string{Default: "default", Time: "time", Data: "data"} {
		if v.String() != want {
			t.Errorf("%d: %q", v, v.String())
		}
	}
}

func TestRegistryGetOrCreate(t *testing.T) {
	r := NewRegistry()
	a, err := r.NewMetric("my_trend", Trend, Time)
	if err != nil {
		t.Fatal(err)
	}
	b, err := r.NewMetric("my_trend", Trend, Time)
	if err != nil || a != b {
		t.Fatalf("re-register: %v %p %p", err, a, b)
	}
	if r.Get("my_trend") != a || r.Get("nope") != nil {
		t.Fatal("Get")
	}
	_, err = r.NewMetric("my_trend", Counter, Default)
	if err == nil || !strings.Contains(err.Error(), `"my_trend"`) || !strings.Contains(err.Error(), "trend") || !strings.Contains(err.Error(), "counter") {
		t.Fatalf("type clash: %v", err)
	}
	_, err = r.NewMetric("my_trend", Trend, Data)
	if err == nil || !strings.Contains(err.Error(), "data") {
		t.Fatalf("value type clash: %v", err)
	}
}

func TestRegistryNames(t *testing.T) {
	r := NewRegistry()
	for _, bad := range []string{"", "1abc", "a-b", "a b", "é", strings.Repeat("a", 129)} {
		if _, err := r.NewMetric(bad, Counter, Default); err == nil || !strings.Contains(err.Error(), "invalid") {
			t.Errorf("%q: %v", bad, err)
		}
	}
	for _, ok := range []string{"a", "_x", "A_9", strings.Repeat("a", 128)} {
		if _, err := r.NewMetric(ok, Counter, Default); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
}

func TestRegistryAllSorted(t *testing.T) {
	r := NewRegistry()
	for _, n := range []string{"zeta", "alpha", "mid"} {
		r.NewMetric(n, Gauge, Default)
	}
	var names []string
	for _, m := range r.All() {
		names = append(names, m.Name)
	}
	if strings.Join(names, ",") != "alpha,mid,zeta" {
		t.Fatal(names)
	}
}

func TestBuiltins(t *testing.T) {
	r := NewRegistry()
	b := RegisterBuiltins(r)
	want := map[string][2]string{
		"vus": {"gauge", "default"}, "vus_max": {"gauge", "default"}, "iterations": {"counter", "default"},
		"iteration_duration": {"trend", "time"}, "dropped_iterations": {"counter", "default"},
		"data_sent": {"counter", "data"}, "data_received": {"counter", "data"}, "checks": {"rate", "default"},
		"group_duration": {"trend", "time"}, "http_reqs": {"counter", "default"}, "http_req_failed": {"rate", "default"},
		"http_req_duration": {"trend", "time"}, "http_req_blocked": {"trend", "time"}, "http_req_connecting": {"trend", "time"},
		"http_req_tls_handshaking": {"trend", "time"}, "http_req_sending": {"trend", "time"},
		"http_req_waiting": {"trend", "time"}, "http_req_receiving": {"trend", "time"},
	}
	if len(r.All()) != len(want) {
		t.Fatalf("%d builtins", len(r.All()))
	}
	for _, m := range r.All() {
		w := want[m.Name]
		if m.Type.String() != w[0] || m.Contains.String() != w[1] {
			t.Errorf("%s: %s %s", m.Name, m.Type, m.Contains)
		}
	}
	if b.HTTPReqDuration.Name != "http_req_duration" || b.VUsMax.Name != "vus_max" || b.HTTPReqTLSHandshaking.Name != "http_req_tls_handshaking" {
		t.Fatal("fields")
	}
	if RegisterBuiltins(r).Checks != b.Checks {
		t.Fatal("idempotent")
	}
}
