// Command gameday-engine is a k6-compatible load engine (clean-room; see DESIGN.md).
package main

import (
	"os"

	"swarm-gameday/engine/internal/runner"

	// k6 modules register themselves
	_ "swarm-gameday/engine/internal/browser"
	_ "swarm-gameday/engine/internal/khttp"
)

func main() {
	os.Exit(runner.Main(os.Args[1:], runner.IO{}))
}
