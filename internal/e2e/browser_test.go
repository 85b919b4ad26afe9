package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// browserMode is TENANTDESK_BROWSER_TESTS: "required" fails when Chromium is missing (CI),
// "off" skips, anything else runs when Chromium is present and skips otherwise.
func browserMode() string { return os.Getenv("TENANTDESK_BROWSER_TESTS") }

// findChromium returns the path of a Chromium or Chrome binary, or "".
func findChromium() string {
	if p := os.Getenv("TENANTDESK_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// newBrowser starts headless Chromium for one test and returns a context to drive it.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	mode := browserMode()
	if mode == "off" {
		t.Skip("browser tests switched off (TENANTDESK_BROWSER_TESTS=off)")
	}
	path := findChromium()
	if path == "" {
		if mode == "required" {
			t.Fatal("TENANTDESK_BROWSER_TESTS=required but no chromium found (apt-get install chromium)")
		}
		t.Skip("chromium not installed; set TENANTDESK_BROWSER_TESTS=required to make this a failure")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1400, 1000),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// screenshot saves a PNG of the page when TENANTDESK_SCREENSHOTS names a folder, for a person
// to look at; tests never depend on it.
func screenshot(t *testing.T, ctx context.Context, name string) {
	saveShot(t, ctx, name, chromedp.FullScreenshot(100))
}

// screenshotView is screenshot of the window only (not the whole page), for a look at its top.
func screenshotView(t *testing.T, ctx context.Context, name string) {
	saveShot(t, ctx, name, chromedp.CaptureScreenshot())
}

func saveShot(t *testing.T, ctx context.Context, name string, shot chromedp.Action[[]byte]) {
	dir := os.Getenv("TENANTDESK_SCREENSHOTS")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(ctx, shot)
	if err != nil {
		t.Logf("screenshot %s: %v", name, err)
		return
	}
	_ = os.MkdirAll(dir, 0o755)
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Logf("screenshot %s: %v", name, err)
	}
}

// screenshotWidths is screenshot at the widths people use (1024, 1280 and 1920 px), named
// name-<width>, then back to the test window's width.
func screenshotWidths(t *testing.T, ctx context.Context, name string) {
	if os.Getenv("TENANTDESK_SCREENSHOTS") == "" {
		return
	}
	for _, w := range []int64{1024, 1280, 1920} {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(w, 900)); err != nil {
			t.Logf("viewport %d: %v", w, err)
			return
		}
		screenshot(t, ctx, fmt.Sprintf("%s-%d", name, w))
	}
	_ = chromedp.Do(ctx, chromedp.EmulateViewport(1400, 1000))
}
