package metrics

// Builtins are k6's built-in metrics (names and types as documented by k6).
type Builtins struct {
	VUs, VUsMax                              *Metric
	Iterations, IterationDuration            *Metric
	DroppedIterations                        *Metric
	DataSent, DataReceived                   *Metric
	Checks, GroupDuration                    *Metric
	HTTPReqs, HTTPReqFailed, HTTPReqDuration *Metric
	HTTPReqBlocked, HTTPReqConnecting        *Metric
	HTTPReqTLSHandshaking, HTTPReqSending    *Metric
	HTTPReqWaiting, HTTPReqReceiving         *Metric
}

// RegisterBuiltins registers the built-ins in r. It panics only on a programming error
// (a builtin clashing with an already registered metric of another type).
func RegisterBuiltins(r *Registry) *Builtins {
	must := func(name string, t Type, vt ValueType) *Metric {
		m, err := r.NewMetric(name, t, vt)
		if err != nil {
			panic(err)
		}
		return m
	}
	return &Builtins{
		VUs:                   must("vus", Gauge, Default),
		VUsMax:                must("vus_max", Gauge, Default),
		Iterations:            must("iterations", Counter, Default),
		IterationDuration:     must("iteration_duration", Trend, Time),
		DroppedIterations:     must("dropped_iterations", Counter, Default),
		DataSent:              must("data_sent", Counter, Data),
		DataReceived:          must("data_received", Counter, Data),
		Checks:                must("checks", Rate, Default),
		GroupDuration:         must("group_duration", Trend, Time),
		HTTPReqs:              must("http_reqs", Counter, Default),
		HTTPReqFailed:         must("http_req_failed", Rate, Default),
		HTTPReqDuration:       must("http_req_duration", Trend, Time),
		HTTPReqBlocked:        must("http_req_blocked", Trend, Time),
		HTTPReqConnecting:     must("http_req_connecting", Trend, Time),
		HTTPReqTLSHandshaking: must("http_req_tls_handshaking", Trend, Time),
		HTTPReqSending:        must("http_req_sending", Trend, Time),
		HTTPReqWaiting:        must("http_req_waiting", Trend, Time),
		HTTPReqReceiving:      must("http_req_receiving", Trend, Time),
	}
}
