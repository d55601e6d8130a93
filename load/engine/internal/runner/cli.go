// Package runner is the engine's CLI: `run`, `inspect` and `version`; option resolution,
// setup/teardown/handleSummary, the thresholds loop, the progress line, signals and exit codes.
package runner

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/pflag"
)

// Exit codes (k6's).
const (
	ExitOK              = 0
	ExitThresholds      = 99
	ExitSetupTimeout    = 100
	ExitTeardownTimeout = 101
	ExitInvalidConfig   = 104
	ExitExternalAbort   = 105
	ExitScriptException = 107
	ExitScriptAborted   = 108
	ExitMarkedAsFailed  = 110
	ExitUsage           = 2
	ExitGenericError    = 1
)

type cliFlags struct {
	fs *pflag.FlagSet

	out              []string
	summaryExport    string
	env              []string
	includeSystemEnv bool
	vus              int64
	duration         string
	iterations       int64
	stages           []string
	segment          string
	sequence         string
	tags             []string
	trendStats       string
	summaryTimeUnit  string
	systemTags       string
	userAgent        string
	noThresholds     bool
	noSummary        bool
	noColor          bool
	quiet            bool
	throw            bool
	insecure         bool
	maxRedirects     int64
	batch            int64
	batchPerHost     int64
	noConnReuse      bool
	noVUConnReuse    bool
	noCookiesReset   bool
	discardBodies    bool
	noSetup          bool
	noTeardown       bool
	minIterDuration  string
	setupTimeout     string
	teardownTimeout  string
	httpDebug        string
	verbose          bool
	logFormat        string

	// ours, not k6's
	startAt     string   // run: wait until this RFC3339 time before the test starts
	metricsAddr string   // run: serve Prometheus text exposition on this loopback HOST:PORT
	inputs      []string // aggregate: JSON-lines files (.gz or plain) of the instances
	runDur      string   // aggregate: testRunDuration of the merged test
}

func (f *cliFlags) changed(name string) bool { return f.fs.Changed(name) }

func newFlagSet(cmd string, stderr io.Writer) *cliFlags {
	f := &cliFlags{}
	fs := pflag.NewFlagSet(cmd, pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.SortFlags = false
	fs.StringArrayVarP(&f.out, "out", "o", nil, "output: json=FILE (gzip if FILE ends .gz); may repeat")
	fs.StringVar(&f.summaryExport, "summary-export", "", "write the legacy end-of-test summary JSON to FILE")
	fs.StringArrayVarP(&f.env, "env", "e", nil, "KEY=VALUE into __ENV; may repeat")
	fs.BoolVar(&f.includeSystemEnv, "include-system-env-vars", true, "pass the process environment into __ENV")
	fs.Int64VarP(&f.vus, "vus", "u", 1, "number of VUs (shortcut scenario)")
	fs.StringVarP(&f.duration, "duration", "d", "", "test duration (shortcut scenario), e.g. 30s")
	fs.Int64VarP(&f.iterations, "iterations", "i", 0, "total iterations (shortcut scenario)")
	fs.StringArrayVarP(&f.stages, "stage", "s", nil, "DURATION:TARGET ramping stage (shortcut scenario); may repeat")
	fs.StringVar(&f.segment, "execution-segment", "", "execution segment of this instance, e.g. 1/3:2/3")
	fs.StringVar(&f.sequence, "execution-segment-sequence", "", "execution segment sequence, e.g. 0,1/3,2/3,1")
	fs.StringArrayVar(&f.tags, "tag", nil, "NAME=VALUE tag on every sample; may repeat")
	fs.StringVar(&f.trendStats, "summary-trend-stats", "", "trend stats in the summary, e.g. avg,p(95)")
	fs.StringVar(&f.summaryTimeUnit, "summary-time-unit", "", "time unit of the summary: s, ms or us")
	fs.StringVar(&f.systemTags, "system-tags", "", "system tags to attach, comma-separated")
	fs.StringVar(&f.userAgent, "user-agent", "", "User-Agent header of HTTP requests")
	fs.BoolVar(&f.noThresholds, "no-thresholds", false, "do not evaluate thresholds")
	fs.BoolVar(&f.noSummary, "no-summary", false, "do not print the end-of-test summary")
	fs.BoolVar(&f.noColor, "no-color", false, "no colours in the output")
	fs.BoolVarP(&f.quiet, "quiet", "q", false, "no progress line")
	fs.BoolVarP(&f.throw, "throw", "w", false, "throw on failed HTTP requests")
	fs.BoolVar(&f.insecure, "insecure-skip-tls-verify", false, "skip TLS verification")
	fs.Int64Var(&f.maxRedirects, "max-redirects", 10, "follow at most this many redirects")
	fs.Int64Var(&f.batch, "batch", 10, "max parallel batch requests")
	fs.Int64Var(&f.batchPerHost, "batch-per-host", 6, "max parallel batch requests per host")
	fs.BoolVar(&f.noConnReuse, "no-connection-reuse", false, "disable keep-alive connections")
	fs.BoolVar(&f.noVUConnReuse, "no-vu-connection-reuse", false, "do not reuse connections between iterations")
	fs.BoolVar(&f.noCookiesReset, "no-cookies-reset", false, "keep the cookie jar between iterations")
	fs.BoolVar(&f.discardBodies, "discard-response-bodies", false, "read and discard response bodies")
	fs.BoolVar(&f.noSetup, "no-setup", false, "do not run setup()")
	fs.BoolVar(&f.noTeardown, "no-teardown", false, "do not run teardown()")
	fs.StringVar(&f.minIterDuration, "min-iteration-duration", "", "minimum duration of an iteration")
	fs.StringVar(&f.setupTimeout, "setup-timeout", "", "setup() timeout (default 60s)")
	fs.StringVar(&f.teardownTimeout, "teardown-timeout", "", "teardown() timeout (default 60s)")
	fs.StringVar(&f.httpDebug, "http-debug", "", "accepted for k6 compatibility (ignored)")
	fs.Lookup("http-debug").NoOptDefVal = "headers"
	fs.BoolVarP(&f.verbose, "verbose", "v", false, "accepted for k6 compatibility")
	fs.StringVar(&f.logFormat, "log-format", "", "accepted for k6 compatibility (ignored)")
	if cmd == "run" {
		fs.StringVar(&f.startAt, "start-at", "", "not a k6 flag: wait (after the VUs are initialised) until this RFC3339 time, then start the test, so several instances start together")
		fs.StringVar(&f.metricsAddr, "metrics-addr", "", "not a k6 flag: serve Prometheus metrics at http://HOST:PORT/metrics while the test runs (loopback only; port 0 picks one)")
	}
	if cmd == "aggregate" {
		fs.StringArrayVar(&f.inputs, "in", nil, "not a k6 flag: a JSON-lines metrics file (gzip if it ends .gz) of one instance; repeat per instance")
		fs.StringVar(&f.runDur, "test-run-duration", "", "not a k6 flag: the merged test's running time (e.g. 20.5s); default: the span of the samples")
	}
	f.fs = fs
	return f
}

// IO is where the CLI reads and writes; Main's defaults are the process's.
type IO struct {
	Stdout, Stderr io.Writer
	Environ        []string
	// Signals delivers SIGINT/SIGTERM; nil = the process's.
	Signals <-chan os.Signal
	// HardExit is called on a second signal; nil = os.Exit.
	HardExit func(code int)
}

func usage(w io.Writer) {
	fmt.Fprint(w, `gameday-engine: a k6-compatible load engine

usage:
  gameday-engine run [flags] script.js
  gameday-engine inspect [flags] script.js
  gameday-engine aggregate [flags] --in a.json.gz --in b.json.gz [--out json=merged.json.gz] script.js
  gameday-engine version

run --start-at RFC3339 (ours): wait until then before the test starts (instances start together).
run --metrics-addr 127.0.0.1:PORT (ours): Prometheus text exposition at /metrics during the run.
run --out json=- (ours): the JSON lines framed on stdout ("@gd " + line, then "@gdend lines=N durationMs=D").
aggregate (ours): replays the instances' samples into one collector, applies the script's
thresholds to the whole and runs its handleSummary as a single run would (exit 99 when crossed).
`)
}

// ExitGoPanic is k6's exit code for a Go panic.
const ExitGoPanic = 109

// Main runs the CLI and returns the exit code.
func Main(args []string, sio IO) (code int) {
	defer func() {
		if p := recover(); p != nil {
			w := sio.Stderr
			if w == nil {
				w = os.Stderr
			}
			fmt.Fprintf(w, "level=error msg=%q\n", fmt.Sprintf("engine panic: %v\n%s", p, debug.Stack()))
			code = ExitGoPanic
		}
	}()
	if sio.Stdout == nil {
		sio.Stdout = os.Stdout
	}
	if sio.Stderr == nil {
		sio.Stderr = os.Stderr
	}
	if sio.Environ == nil {
		sio.Environ = os.Environ()
	}
	if len(args) == 0 {
		usage(sio.Stderr)
		return ExitUsage
	}
	switch args[0] {
	case "version", "--version":
		fmt.Fprintf(sio.Stdout, "gameday-engine v%s (goja, %s)\n", Version, runtime.Version())
		return ExitOK
	case "help", "-h", "--help":
		usage(sio.Stdout)
		return ExitOK
	case "run", "inspect", "aggregate":
	default:
		fmt.Fprintf(sio.Stderr, "level=error msg=%q\n", fmt.Sprintf("unknown command %q: expected run, inspect, aggregate or version", args[0]))
		return ExitUsage
	}
	f := newFlagSet(args[0], sio.Stderr)
	if err := f.fs.Parse(args[1:]); err != nil {
		if err == pflag.ErrHelp {
			return ExitOK
		}
		fmt.Fprintf(sio.Stderr, "level=error msg=%q\n", err.Error())
		return ExitInvalidConfig
	}
	rest := f.fs.Args()
	if len(rest) != 1 {
		fmt.Fprintf(sio.Stderr, "level=error msg=%q\n", fmt.Sprintf("%s needs exactly one script argument, got %d (%s)", args[0], len(rest), strings.Join(rest, " ")))
		return ExitUsage
	}
	r := &run{cmd: args[0], flags: f, script: rest[0], io: sio}
	return r.main()
}
