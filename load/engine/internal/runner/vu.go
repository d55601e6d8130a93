package runner

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/cookiejar"
	"time"

	"swarm-gameday/engine/internal/browser"
	"swarm-gameday/engine/internal/h1"

	"swarm-gameday/engine/internal/js"
	"swarm-gameday/engine/internal/js/modules"
	"swarm-gameday/engine/internal/metrics"
	"swarm-gameday/engine/internal/sched"
)

// engineVU adapts a js.VU to sched.VU.
type engineVU struct {
	r         *run
	js        *js.VU
	transport *h1.Transport
	jar       http.CookieJar
}

// newTransport: plain http:// on the VU's own goroutine (h1), the rest through net/http.
func (r *run) newTransport() *h1.Transport {
	dial := (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	return h1.New(&http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dial,
		MaxIdleConns:          0,
		MaxIdleConnsPerHost:   10000,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
		ForceAttemptHTTP2:     true,
		DisableKeepAlives:     r.opts.Module.NoConnectionReuse,
		TLSClientConfig:       &tls.Config{InsecureSkipVerify: r.opts.Module.InsecureSkipTLSVerify}, //nolint:gosec // user option
	}, dial)
}

func newJar() http.CookieJar {
	j, _ := cookiejar.New(nil)
	return j
}

// NewVU implements sched.VUPool: a new VU runs the init code.
func (r *run) NewVU(ctx context.Context) (sched.VU, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	id := r.vuSeq.Add(1)
	jvu, err := js.NewVU(r.env, id)
	if err != nil {
		return nil, err
	}
	r.vusInit.Add(1)
	return &engineVU{r: r, js: jvu, transport: r.newTransport(), jar: newJar()}, nil
}

// newState is a VU's State for one iteration (or setup/teardown when scenario is "").
func (r *run) newState(vu *js.VU, scenario string, scOpts map[string]any) *modules.State {
	return &modules.State{
		Push:            r.col.Push,
		SystemTags:      r.opts.SystemTags,
		Group:           r.col.RootGroup(),
		Options:         &r.opts.Module,
		Transport:       r.newTransportOnce(vu),
		CookieJar:       newJar(),
		VUID:            vu.ID(),
		Scenario:        scenario,
		ScenarioOptions: scOpts,
		Logf:            func(level, format string, args ...any) { r.log.Log(level, fmt.Sprintf(format, args...)) },
	}
}

// the setup/teardown VU keeps one transport.
func (r *run) newTransportOnce(*js.VU) http.RoundTripper {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.setupTransport == nil {
		r.setupTransport = r.newTransport()
	}
	return r.setupTransport
}

func (v *engineVU) ID() uint64 { return v.js.ID() }

func (v *engineVU) RunIteration(ctx context.Context, it sched.Iteration) error {
	r := v.r
	sc := it.Scenario
	// a hard stop (second signal, test.abort) interrupts every iteration at once
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(r.itersCtx, cancel)
	defer stop()

	v.js.SetIteration(js.Iteration{
		Scenario: sc.Name, Executor: sc.Executor, ScenarioStart: it.ScenarioStart, ScenarioEnv: sc.Env,
		IDInTest: it.VUIDInTest, IterationInInstance: it.IterationInInstance, IterationInTest: it.IterationInTest,
		VUIterationInScenario: it.VUIterationInScenario, BaseTags: r.baseTags[sc.Name],
	})
	if !r.opts.Module.NoCookiesReset {
		v.jar = newJar()
	}
	st := &modules.State{
		Push:            r.col.Push,
		SystemTags:      r.opts.SystemTags,
		Group:           r.col.RootGroup(),
		Options:         &r.opts.Module,
		Transport:       v.transport,
		CookieJar:       v.jar,
		VUID:            v.js.ID(),
		Iteration:       it.VUIterationInScenario,
		Scenario:        sc.Name,
		ScenarioOptions: sc.Options,
		Logf:            func(level, format string, args ...any) { r.log.Log(level, fmt.Sprintf(format, args...)) },
	}
	start := time.Now()
	err := v.js.RunIteration(ctx, st, sc.Exec, r.setupData)
	if _, usesBrowser := sc.Options["browser"]; usesBrowser {
		// pages the script left open are closed now, so their last samples carry this
		// iteration's tags
		browser.EndIteration(v.js)
	}
	if r.opts.Module.NoVUConnectionReuse {
		v.transport.CloseIdleConnections()
	}
	if a, ok := js.IsAbort(err); ok {
		r.log.Log("error", a.Error())
		r.setAbort(ExitScriptAborted)
		r.sch.Abort()
		r.cancelRun()
		r.cancelIters()
		return err
	}
	if ctx.Err() != nil && (err == nil || js.IsInterrupted(err)) {
		// stopped before it finished: not a completed iteration
		if err == nil {
			err = ctx.Err()
		}
		return err
	}
	if err != nil {
		var se *js.ScriptError
		if errors.As(err, &se) {
			r.log.Log("error", se.Full(), "source", "stacktrace")
		} else {
			r.log.Log("error", err.Error())
		}
	}
	if min := r.opts.MinIterationDuration; min > 0 {
		if rest := min - time.Since(start); rest > 0 {
			t := time.NewTimer(rest)
			select {
			case <-t.C:
			case <-ctx.Done():
			}
			t.Stop()
		}
	}
	end := time.Now()
	st.Group = r.col.RootGroup()
	tags := st.Tags()
	r.col.Push(
		metrics.Sample{Metric: r.builtins.Iterations, Time: end, Value: 1, Tags: tags},
		metrics.Sample{Metric: r.builtins.IterationDuration, Time: end, Value: float64(end.Sub(start)) / float64(time.Millisecond), Tags: tags},
	)
	// script errors are logged here; the iteration still counts
	return nil
}
