// Package js is the engine's JavaScript runtime: one goja runtime per VU, the script loader
// (esbuild ESM -> CommonJS, once per test), require() of registered modules, the init-context
// globals (__ENV, __VU, __ITER, open, console) and a per-VU event loop for promises.
package js

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/dop251/goja"
	"github.com/evanw/esbuild/pkg/api"
)

// Script is a compiled test script: transformed once, run in every VU runtime.
type Script struct {
	// Filename is the absolute path of the entry script.
	Filename string
	// Dir is the directory open() resolves relative paths against.
	Dir string
	// Source is the CommonJS code goja runs.
	Source  string
	Program *goja.Program
}

var sourceMapURLRe = regexp.MustCompile(`(?m)^//# sourceMappingURL=(\S+)\s*$`)

// Compile transforms an ES module (what esbuild bundles for k6: k6 modules stay imports) into
// CommonJS (ES2020, which goja runs natively: lowering object spread and the like to helper
// loops cost 40 % of a scenario's iterations) and compiles it. A source map next to the bundle (`//# sourceMappingURL=x.map`)
// is inlined before the transform so esbuild chains it and stack traces name the original source.
func Compile(filename string, src []byte) (*Script, error) {
	abs, err := filepath.Abs(filename)
	if err != nil {
		return nil, err
	}
	code := string(src)
	sourcemap := api.SourceMapNone
	if m := sourceMapURLRe.FindStringSubmatchIndex(code); m != nil {
		url := code[m[2]:m[3]]
		if strings.HasPrefix(url, "data:") {
			sourcemap = api.SourceMapInline
		} else if !strings.Contains(url, "://") {
			if b, err := os.ReadFile(filepath.Join(filepath.Dir(abs), url)); err == nil {
				code = code[:m[0]] + "//# sourceMappingURL=data:application/json;base64," +
					base64.StdEncoding.EncodeToString(b) + code[m[1]:]
				sourcemap = api.SourceMapInline
			} else {
				code = code[:m[0]] + code[m[1]:]
			}
		}
	}
	res := api.Transform(code, api.TransformOptions{
		Loader:     api.LoaderJS,
		Format:     api.FormatCommonJS,
		Target:     api.ES2020,
		Platform:   api.PlatformNeutral,
		Sourcefile: abs,
		Sourcemap:  sourcemap,
		LogLevel:   api.LogLevelSilent,
		// keep names as written: stack traces and exec function names
		KeepNames: false,
	})
	if len(res.Errors) > 0 {
		var b strings.Builder
		for i, e := range res.Errors {
			if i > 0 {
				b.WriteString("; ")
			}
			if e.Location != nil {
				fmt.Fprintf(&b, "%s:%d:%d: ", e.Location.File, e.Location.Line, e.Location.Column)
			}
			b.WriteString(e.Text)
		}
		return nil, fmt.Errorf("could not load %s: %s", filename, b.String())
	}
	out := string(res.Code)
	prog, err := goja.Compile(abs, out, true)
	if err != nil {
		return nil, fmt.Errorf("could not compile %s: %w", filename, err)
	}
	return &Script{Filename: abs, Dir: filepath.Dir(abs), Source: out, Program: prog}, nil
}
