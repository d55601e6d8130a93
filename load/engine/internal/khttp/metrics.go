package khttp

import (
	"crypto/tls"
	"strconv"
	"time"

	"swarm-gameday/engine/internal/js/modules"
	"swarm-gameday/engine/internal/metrics"
)

// system tags that are off unless options.systemTags names them (k6 defaults)
var defaultOffSystemTags = map[string]bool{"vu": true, "iter": true, "ip": true, "ocsp_status": true}

func sysTagOn(st *modules.State, name string) bool {
	if st.SystemTags == nil {
		return !defaultOffSystemTags[name]
	}
	return st.SystemTags[name]
}

func tlsVersionName(v uint16) string {
	switch v {
	case tls.VersionTLS10:
		return "tls1.0"
	case tls.VersionTLS11:
		return "tls1.1"
	case tls.VersionTLS12:
		return "tls1.2"
	case tls.VersionTLS13:
		return "tls1.3"
	}
	return ""
}

// expected decides whether a hop's outcome counts as expected (http_req_failed 0).
func (pr *prepared) expected(status int) bool {
	if pr.cb != nil {
		return pr.cb.match(status)
	}
	return status >= 200 && status < 400
}

var statusStrings [600]string

func init() {
	for i := range statusStrings {
		statusStrings[i] = strconv.Itoa(i)
	}
}

func statusString(s int) string {
	if s >= 0 && s < len(statusStrings) {
		return statusStrings[s]
	}
	return strconv.Itoa(s)
}

// hopSamples builds the samples of one hop (one HTTP request on the wire).
func hopSamples(st *modules.State, pr *prepared, hopURL string, res *result, sent, received int64, end time.Time) []metrics.Sample {
	b := pr.builtins
	if b == nil {
		return nil
	}
	var base map[string]string
	if st.Tags != nil {
		base = st.Tags()
	}
	// pre-sized: growing the small map State.Tags returns costs more than one copy
	tags := make(map[string]string, len(base)+len(pr.userTags)+11)
	for k, v := range base {
		tags[k] = v
	}
	status := res.status
	if res.err != nil && res.header == nil {
		status = 0
	}
	if sysTagOn(st, "proto") && res.proto != "" {
		tags["proto"] = res.proto
	}
	if sysTagOn(st, "status") {
		tags["status"] = statusString(status)
	}
	if sysTagOn(st, "method") {
		tags["method"] = res.reqMethod
	}
	if sysTagOn(st, "url") {
		tags["url"] = hopURL
	}
	if sysTagOn(st, "name") {
		if pr.name != "" {
			tags["name"] = pr.name
		} else {
			tags["name"] = hopURL
		}
	}
	if sysTagOn(st, "group") {
		if st.Group != nil {
			tags["group"] = st.Group.Path
		} else {
			tags["group"] = ""
		}
	}
	if res.errMsg != "" && sysTagOn(st, "error") {
		tags["error"] = res.errMsg
	}
	if res.errCode != 0 && sysTagOn(st, "error_code") {
		tags["error_code"] = strconv.Itoa(res.errCode)
	}
	if res.tlsState != nil && sysTagOn(st, "tls_version") {
		if v := tlsVersionName(res.tlsState.Version); v != "" {
			tags["tls_version"] = v
		}
	}
	if sysTagOn(st, "ip") && res.remote != nil {
		if host, _, ok := splitHostPort(res.remote.String()); ok {
			tags["ip"] = host
		}
	}
	emitFailed := !pr.cbOff
	isExpected := false
	if emitFailed {
		isExpected = status != 0 && pr.expected(status)
		if sysTagOn(st, "expected_response") {
			if isExpected {
				tags["expected_response"] = "true"
			} else {
				tags["expected_response"] = "false"
			}
		}
	}
	for k, v := range pr.userTags {
		tags[k] = v
	}

	n := 10
	if emitFailed {
		n++
	}
	s := make([]metrics.Sample, 0, n)
	tm := res.tm
	add := func(m *metrics.Metric, v float64) {
		if m != nil {
			s = append(s, metrics.Sample{Metric: m, Time: end, Value: v, Tags: tags})
		}
	}
	add(b.HTTPReqs, 1)
	add(b.HTTPReqDuration, tm.duration)
	add(b.HTTPReqBlocked, tm.blocked)
	add(b.HTTPReqConnecting, tm.connecting)
	add(b.HTTPReqTLSHandshaking, tm.tlsHandshaking)
	add(b.HTTPReqSending, tm.sending)
	add(b.HTTPReqWaiting, tm.waiting)
	add(b.HTTPReqReceiving, tm.receiving)
	if emitFailed {
		v := 0.0
		if !isExpected {
			v = 1
		}
		add(b.HTTPReqFailed, v)
	}
	add(b.DataSent, float64(sent))
	add(b.DataReceived, float64(received))
	return s
}

func splitHostPort(hp string) (host, port string, ok bool) {
	for i := len(hp) - 1; i >= 0; i-- {
		if hp[i] == ':' {
			host, port = hp[:i], hp[i+1:]
			if len(host) > 1 && host[0] == '[' && host[len(host)-1] == ']' {
				host = host[1 : len(host)-1]
			}
			return host, port, true
		}
	}
	return hp, "", false
}
