// Package modules is the registration API between the JS runtime (internal/js) and the packages
// that implement k6 modules (k6/http, k6/browser, ...). It has no logic of its own.
package modules

import (
	"context"
	"net/http"
	"sync"

	"github.com/dop251/goja"

	"swarm-gameday/engine/internal/metrics"
)

// VU is what a module sees of the virtual user it was instantiated for. All methods must be
// called on the VU's own goroutine (goja runtimes are not goroutine-safe), except the function
// returned by RegisterCallback.
type VU interface {
	Runtime() *goja.Runtime
	// Context is cancelled when the current iteration must stop (hard stop); Background in init.
	Context() context.Context
	// Registry is available in the init context too: modules register their custom metrics there.
	Registry() *metrics.Registry
	Builtins() *metrics.Builtins
	// State is nil in the init context.
	State() *State
	// InitEnv is nil outside the init context.
	InitEnv() *InitEnv
	// RegisterCallback reserves a slot on the VU's event loop, keeping the iteration alive until the
	// returned function is called (exactly once, from any goroutine); the function it is given then
	// runs on the VU goroutine. This is how Go work resolves JS promises.
	RegisterCallback() func(func() error)
}

// InitEnv is the init context: where the script is and what it may read.
type InitEnv struct {
	// ScriptDir is the directory of the entry script (relative paths of open() resolve against it).
	ScriptDir string
	// Env is __ENV.
	Env map[string]string
}

// State is the running VU: what a request needs to be made and measured.
type State struct {
	Push func(samples ...metrics.Sample)
	// Tags returns a fresh copy of the tags every sample of this VU carries now: options.tags,
	// scenario tags, exec.vu.tags, and the system tags scenario and group when enabled.
	Tags func() map[string]string
	// SystemTags: the enabled system tags (options.systemTags).
	SystemTags map[string]bool
	// Group is the current group (k6 `group()` changes it for the duration of its callback).
	Group   *metrics.Group
	Options *Options
	// Transport is the VU's HTTP transport (keep-alive pool per VU, unless noVUConnectionReuse).
	Transport http.RoundTripper
	// CookieJar is the VU's jar; reset at the start of every iteration unless noCookiesReset.
	CookieJar http.CookieJar
	VUID      uint64
	Iteration int64
	Scenario  string
	// ScenarioOptions is the raw `options` object of the current scenario (k6/browser reads
	// options.browser.type there).
	ScenarioOptions map[string]any
	// Logf prints a line to the run's log (stderr), e.g. level=warning messages.
	Logf func(level, format string, args ...any)
}

// Options are the test-wide options a module may need (from the script's `options` and flags).
type Options struct {
	UserAgent             string
	InsecureSkipTLSVerify bool
	Batch                 int
	BatchPerHost          int
	Throw                 bool
	DiscardResponseBodies bool
	MaxRedirects          int
	NoConnectionReuse     bool
	NoVUConnectionReuse   bool
	NoCookiesReset        bool
	// Raw is every option as JSON-decoded, for modules with options of their own.
	Raw map[string]any
}

// Constructor builds a module's exports for one VU.
type Constructor func(vu VU) (*goja.Object, error)

var (
	mu       sync.RWMutex
	registry = map[string]Constructor{}
)

// Register makes a module importable by name; called from the module package's init().
func Register(name string, c Constructor) {
	mu.Lock()
	defer mu.Unlock()
	if _, dup := registry[name]; dup {
		panic("modules: " + name + " registered twice")
	}
	registry[name] = c
}

// Get returns the constructor of a module name.
func Get(name string) (Constructor, bool) {
	mu.RLock()
	defer mu.RUnlock()
	c, ok := registry[name]
	return c, ok
}

// Names lists the registered modules.
func Names() []string {
	mu.RLock()
	defer mu.RUnlock()
	out := make([]string, 0, len(registry))
	for n := range registry {
		out = append(out, n)
	}
	return out
}
