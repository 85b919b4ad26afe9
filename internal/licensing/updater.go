package licensing

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

// DefaultCatalogURL is where Microsoft publishes the "Product names and service plan
// identifiers for licensing" CSV.
const DefaultCatalogURL = "https://download.microsoft.com/download/e/3/e/e3e9faf2-f28b-490a-9ada-c6089a1fc5b0/Product%20names%20and%20service%20plan%20identifiers%20for%20licensing.csv"

// Defaults of CatalogUpdater.
const (
	DefaultCatalogMaxAge = 7 * 24 * time.Hour
	downloadTimeout      = 2 * time.Minute
	retryAfterFailure    = time.Hour
	// minDownloadedProducts guards against a download that parses but is cut short (a proxy
	// that ends the body early with a matching length, a placeholder file): Microsoft's
	// catalog lists over 500 SKUs, so a few dozen means something went wrong.
	minDownloadedProducts = 100
)

// CatalogStore keeps the product catalog. The store package implements it.
type CatalogStore interface {
	// ReplaceProductCatalog replaces the whole catalog at once, recording where it came from.
	ReplaceProductCatalog(ctx context.Context, products []model.Product, source string, fetchedAt time.Time) error
	// ProductCatalogAge tells when the stored catalog was fetched; ok is false when there is none.
	ProductCatalogAge(ctx context.Context) (fetchedAt time.Time, ok bool, err error)
}

// CatalogUpdater downloads Microsoft's product catalog and keeps the store's copy current. A
// failed, partial or wrong download never replaces the catalog already stored.
type CatalogUpdater struct {
	URL        string       // default DefaultCatalogURL
	HTTPClient *http.Client // default: a client with a 2-minute timeout
	Store      CatalogStore
	Now        func() time.Time // default time.Now
	MaxAge     time.Duration    // refresh when older; default DefaultCatalogMaxAge
	Logger     *slog.Logger     // default slog.Default()

	mu sync.Mutex // one refresh or import at a time
}

// Refresh downloads the catalog, parses it and replaces the stored one.
func (u *CatalogUpdater) Refresh(ctx context.Context) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	start := u.now()
	url := u.url()
	products, size, err := u.download(ctx, url)
	if err != nil {
		return fmt.Errorf("refresh licensing catalog from %s: %w", url, err)
	}
	if err := u.Store.ReplaceProductCatalog(ctx, products, url, u.now()); err != nil {
		return fmt.Errorf("refresh licensing catalog: save: %w", err)
	}
	u.logger().Info("licensing catalog refreshed", "source", url, "products", len(products),
		"bytes", size, "took", u.now().Sub(start).Round(time.Millisecond))
	return nil
}

func (u *CatalogUpdater) download(ctx context.Context, url string) ([]model.Product, int, error) {
	ctx, cancel := context.WithTimeout(ctx, downloadTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("Accept", "text/csv, application/octet-stream;q=0.9, */*;q=0.5")
	req.Header.Set("User-Agent", "tenantdesk")
	resp, err := u.client().Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return nil, 0, fmt.Errorf("server answered %s", resp.Status)
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt == "text/html" {
		// What a captive portal, a login page or a moved download page looks like.
		return nil, 0, errors.New("server sent an HTML page, not the CSV (has the download moved?)")
	}
	if resp.ContentLength > MaxCatalogBytes {
		return nil, 0, fmt.Errorf("%w: server announces %d bytes", ErrCatalogTooLarge, resp.ContentLength)
	}
	// Read all of it before parsing, so that a body cut short fails here and not halfway
	// through a replace.
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxCatalogBytes+1))
	if err != nil {
		return nil, 0, fmt.Errorf("read body after %d bytes: %w", len(body), err)
	}
	if len(body) > MaxCatalogBytes {
		return nil, 0, fmt.Errorf("%w: more than %d MiB", ErrCatalogTooLarge, MaxCatalogBytes>>20)
	}
	if resp.ContentLength >= 0 && int64(len(body)) != resp.ContentLength {
		return nil, 0, fmt.Errorf("body cut short: %d of %d bytes", len(body), resp.ContentLength)
	}
	products, err := ParseProductCSV(bytes.NewReader(body))
	if err != nil {
		return nil, 0, err
	}
	if len(products) < minDownloadedProducts {
		return nil, 0, fmt.Errorf("only %d products in the download, expected hundreds: not replacing the stored catalog", len(products))
	}
	return products, len(body), nil
}

// RefreshIfStale refreshes when no catalog is stored or the stored one is older than MaxAge.
func (u *CatalogUpdater) RefreshIfStale(ctx context.Context) error {
	at, ok, err := u.Store.ProductCatalogAge(ctx)
	if err != nil {
		return fmt.Errorf("licensing catalog age: %w", err)
	}
	if ok && u.now().Sub(at) < u.maxAge() {
		return nil
	}
	return u.Refresh(ctx)
}

// BuiltinSource is the source recorded for the built-in table (see SeedBuiltin).
const BuiltinSource = "built-in: Microsoft's CSV of " + BuiltinCatalogDate + ", the SKUs of the simulated tenant"

// SeedBuiltin stores the built-in name table (builtinProducts, from Microsoft's CSV dated
// BuiltinCatalogDate) when no catalog was ever stored, so names read right from the first page,
// before a download or import. It is dated as its CSV, so a refresh replaces it at once.
func (u *CatalogUpdater) SeedBuiltin(ctx context.Context) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	if _, ok, err := u.Store.ProductCatalogAge(ctx); err != nil {
		return fmt.Errorf("licensing catalog age: %w", err)
	} else if ok {
		return nil
	}
	date, err := time.Parse(time.DateOnly, BuiltinCatalogDate)
	if err != nil {
		return fmt.Errorf("built-in licensing catalog date %q: %w", BuiltinCatalogDate, err)
	}
	if err := u.Store.ReplaceProductCatalog(ctx, builtinProducts, BuiltinSource, date); err != nil {
		return fmt.Errorf("store the built-in licensing catalog: %w", err)
	}
	u.logger().Info("no licensing catalog yet: stored the built-in names until Microsoft's is downloaded or imported",
		"products", len(builtinProducts), "dated", BuiltinCatalogDate)
	return nil
}

// ImportFile replaces the stored catalog with the CSV file at path (for machines that cannot
// reach Microsoft's download site).
func (u *CatalogUpdater) ImportFile(ctx context.Context, path string) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("import licensing catalog: %w", err)
	}
	defer f.Close()
	products, err := ParseProductCSV(f)
	if err != nil {
		return fmt.Errorf("import licensing catalog %s: %w", path, err)
	}
	if err := u.Store.ReplaceProductCatalog(ctx, products, "file:"+path, u.now()); err != nil {
		return fmt.Errorf("import licensing catalog %s: save: %w", path, err)
	}
	u.logger().Info("licensing catalog imported", "file", path, "products", len(products))
	return nil
}

// Run keeps the catalog fresh until ctx ends: it refreshes when stale, then sleeps until the
// stored copy reaches MaxAge, retrying hourly after a failure.
func (u *CatalogUpdater) Run(ctx context.Context) {
	for {
		wait := u.maxAge()
		if err := u.RefreshIfStale(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			u.logger().Warn("licensing catalog refresh failed; keeping the stored one", "err", err)
			wait = min(retryAfterFailure, u.maxAge())
		} else if at, ok, err := u.Store.ProductCatalogAge(ctx); err == nil && ok {
			wait = max(at.Add(u.maxAge()).Sub(u.now()), time.Minute)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

func (u *CatalogUpdater) url() string {
	if u.URL != "" {
		return u.URL
	}
	return DefaultCatalogURL
}

func (u *CatalogUpdater) client() *http.Client {
	if u.HTTPClient != nil {
		return u.HTTPClient
	}
	return &http.Client{Timeout: downloadTimeout}
}

func (u *CatalogUpdater) now() time.Time {
	if u.Now != nil {
		return u.Now()
	}
	return time.Now()
}

func (u *CatalogUpdater) maxAge() time.Duration {
	if u.MaxAge > 0 {
		return u.MaxAge
	}
	return DefaultCatalogMaxAge
}

func (u *CatalogUpdater) logger() *slog.Logger {
	if u.Logger != nil {
		return u.Logger
	}
	return slog.Default()
}
