package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/tenantdesk/tenantdesk/internal/app"
	"github.com/tenantdesk/tenantdesk/internal/config"
	"github.com/tenantdesk/tenantdesk/internal/licensing"
)

// runLicenses manages the license-name catalog: import a downloaded copy of Microsoft's CSV
// (for sites that cannot reach the download URL) or refresh it from the URL now.
func runLicenses(ctx context.Context, e env, args []string) error {
	cfg, err := config.Load(e.lookupEnv, e.readFile)
	if err != nil {
		return err
	}
	fs := newFlagSet(e, "licenses", "import FILE | refresh")
	cfg.BindFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	rest := fs.Args()
	if len(rest) == 0 || (rest[0] == "import" && len(rest) != 2) || (rest[0] == "refresh" && len(rest) != 1) ||
		(rest[0] != "import" && rest[0] != "refresh") {
		fs.Usage()
		return errUsage
	}
	st, err := app.OpenStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	u := &licensing.CatalogUpdater{URL: cfg.LicenseCatalogURL, Store: st, Logger: slog.New(slog.NewTextHandler(e.stderr, nil))}
	switch rest[0] {
	case "import":
		if err := u.ImportFile(ctx, rest[1]); err != nil {
			return err
		}
	case "refresh":
		if cfg.LicenseCatalogURL == "" {
			return fmt.Errorf("the license catalog download is off (TENANTDESK_LICENSE_CATALOG_URL); use 'tenantdesk licenses import FILE'")
		}
		if err := u.Refresh(ctx); err != nil {
			return err
		}
	}
	info, err := st.ProductCatalogInfo(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "license names: %d products, %d service plans from %s\n", info.Products, info.Plans, info.Source)
	return nil
}

// runConfigReference prints every setting as a Markdown table (the README's reference).
func runConfigReference(ctx context.Context, e env, args []string) error {
	fmt.Fprint(e.stdout, config.ReferenceMarkdown())
	return nil
}
