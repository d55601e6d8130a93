// Command gameday-engine is a k6-compatible load engine (clean-room; see DESIGN.md).
package main

import (
	"fmt"
	"os"
	"runtime/debug"
	"runtime/pprof"
	"strings"

	"swarm-gameday/engine/internal/runner"

	// k6 modules register themselves
	_ "swarm-gameday/engine/internal/browser"
	_ "swarm-gameday/engine/internal/khttp"
)

func main() {
	tuneGC()
	args, prof := cpuProfileArg(os.Args[1:])
	if prof != "" {
		// hidden --cpuprofile FILE (for npm run bench:load and tuning; not a k6 flag)
		f, err := os.Create(prof)
		if err != nil {
			fmt.Fprintf(os.Stderr, "level=error msg=%q\n", "--cpuprofile: "+err.Error())
			os.Exit(runner.ExitInvalidConfig)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintf(os.Stderr, "level=error msg=%q\n", "--cpuprofile: "+err.Error())
			os.Exit(runner.ExitInvalidConfig)
		}
		code := runner.Main(args, runner.IO{})
		pprof.StopCPUProfile()
		_ = f.Close()
		os.Exit(code)
	}
	os.Exit(runner.Main(args, runner.IO{}))
}

// tuneGC trades memory for CPU unless GOGC / GOMEMLIMIT say otherwise: a load test allocates a
// JS value per JSON field of every response, and with Go's default GOGC=100 collection took a
// quarter of the CPU (GOGC=300: +26 % iterations/s on the bundled scenario). The soft limit keeps
// a large VU count from tripling its footprint: near it the collector works harder again.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(300)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(2 << 30)
	}
}

// cpuProfileArg takes "--cpuprofile FILE" / "--cpuprofile=FILE" out of the arguments.
func cpuProfileArg(args []string) (rest []string, file string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return append(rest, args[i:]...), file
		case a == "--cpuprofile" && i+1 < len(args):
			file = args[i+1]
			i++
		case strings.HasPrefix(a, "--cpuprofile="):
			file = strings.TrimPrefix(a, "--cpuprofile=")
		default:
			rest = append(rest, a)
		}
	}
	return rest, file
}
