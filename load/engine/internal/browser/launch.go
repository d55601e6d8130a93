package browser

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/chromedp"
)

// browserProc is one Chromium process (one per VU).
type browserProc struct {
	allocCancel context.CancelFunc
	ctx         context.Context // the first tab's chromedp context; its cancel stops the process
	cancel      context.CancelFunc
	version     string
	userAgent   string
}

func (p *browserProc) alive() bool { return p.ctx.Err() == nil }

func (p *browserProc) close() {
	done := make(chan struct{})
	go func() {
		defer close(done)
		tctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
		defer cancel()
		_ = chromedp.Cancel(tctx) // graceful Browser.close
	}()
	select {
	case <-done:
	case <-time.After(6 * time.Second):
	}
	p.cancel()
	p.allocCancel()
}

// execCandidates are looked up in PATH when K6_BROWSER_EXECUTABLE_PATH is not set.
var execCandidates = []string{
	"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome",
	"headless_shell", "headless-shell", "/usr/bin/chromium", "/usr/lib/chromium/chromium",
}

// FindExecutable returns the browser executable: K6_BROWSER_EXECUTABLE_PATH (if given) or the
// first of the usual Chromium names found in PATH.
func FindExecutable(override string) (string, error) {
	if override != "" {
		p, err := exec.LookPath(override)
		if err != nil {
			return "", fmt.Errorf("k6/browser: K6_BROWSER_EXECUTABLE_PATH %q: %w", override, err)
		}
		return p, nil
	}
	for _, c := range execCandidates {
		if p, err := exec.LookPath(c); err == nil {
			return p, nil
		}
	}
	return "", errors.New("k6/browser: no Chromium executable found (tried chromium, chromium-browser, google-chrome...): install chromium or set K6_BROWSER_EXECUTABLE_PATH")
}

func (m *module) allocatorOptions(execPath string) []chromedp.ExecAllocatorOption {
	opts := append([]chromedp.ExecAllocatorOption{}, chromedp.DefaultExecAllocatorOptions[:]...)
	opts = append(opts,
		chromedp.ExecPath(execPath),
		chromedp.Flag("window-size", "1280,720"),
		chromedp.Flag("disable-gpu", true),
	)
	if os.Geteuid() == 0 {
		// Chromium refuses to start as root with its sandbox.
		opts = append(opts, chromedp.NoSandbox)
	}
	if !m.cfg.headless {
		opts = append(opts, chromedp.VisibleWindow)
	}
	for _, name := range m.cfg.ignoreDefault {
		opts = append(opts, chromedp.Flag(name, false))
	}
	for _, a := range m.cfg.args {
		if k, v, ok := strings.Cut(a, "="); ok {
			opts = append(opts, chromedp.Flag(k, v))
		} else {
			opts = append(opts, chromedp.Flag(a, true))
		}
	}
	return opts
}

// ensureBrowser returns the VU's browser, starting it on first use (or after it died).
func (m *module) ensureBrowser() (*browserProc, error) {
	m.procMu.Lock()
	defer m.procMu.Unlock()
	if m.closed {
		return nil, errors.New("k6/browser: the browser was closed at the end of the test")
	}
	if m.proc != nil {
		if m.proc.alive() {
			return m.proc, nil
		}
		m.proc.close()
		m.proc = nil
	}
	execPath, err := FindExecutable(m.cfg.execPath)
	if err != nil {
		return nil, err
	}
	allocCtx, allocCancel := chromedp.NewExecAllocator(context.Background(), m.allocatorOptions(execPath)...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	done := make(chan error, 1)
	go func() { done <- chromedp.Do(ctx) }() // starts the process; its life is bound to ctx
	timer := time.NewTimer(m.cfg.timeout)
	defer timer.Stop()
	select {
	case err = <-done:
	case <-timer.C:
		err = fmt.Errorf("timed out after %s (K6_BROWSER_TIMEOUT)", m.cfg.timeout)
	}
	if err != nil {
		cancel()
		allocCancel()
		return nil, fmt.Errorf("k6/browser: launching %s: %w", execPath, err)
	}
	p := &browserProc{allocCancel: allocCancel, ctx: ctx, cancel: cancel}
	vctx, vcancel := context.WithTimeout(ctx, m.cfg.timeout)
	if v, err := chromedp.CallBrowser(vctx, browser.GetVersion, cdp.Empty{}); err == nil {
		p.version = v.Product
		if i := strings.IndexByte(p.version, '/'); i >= 0 {
			p.version = p.version[i+1:]
		}
		p.userAgent = v.UserAgent
	}
	vcancel()
	m.proc = p
	return p, nil
}
