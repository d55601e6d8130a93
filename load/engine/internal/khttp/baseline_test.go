package khttp

import (
	"io"
	"net/http"
	"testing"
)

// BenchmarkRawTransport is the floor BenchmarkGet compares with: the same request made with
// the bare transport (no JS, no metrics).
func BenchmarkRawTransport(b *testing.B) {
	e := newEnv(b, nil)
	tr := e.vu.state.Transport
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req, _ := http.NewRequest("GET", e.srv.URL+"/ok", nil)
		resp, err := tr.RoundTrip(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
}
