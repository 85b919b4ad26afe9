// Package e2e holds the browser tests: the demo started in-process on the simulated tenant and
// driven through headless Chromium (chromedp) as people use it, every role, with screenshots on
// request (TENANTDESK_SCREENSHOTS). Without Chromium they are skipped, unless
// TENANTDESK_BROWSER_TESTS=required (CI), where that is a failure.
package e2e
