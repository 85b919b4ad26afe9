package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"

	"github.com/tenantdesk/tenantdesk/internal/app"
	"github.com/tenantdesk/tenantdesk/internal/config"
)

// loadConfig reads the environment, then the flags, and validates the result for mode.
func loadConfig(e env, name string, mode config.Mode, args []string) (config.Config, []string, error) {
	cfg, err := config.Load(e.lookupEnv, e.readFile)
	if err != nil {
		return cfg, nil, err
	}
	fs := newFlagSet(e, name, "")
	cfg.BindFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return cfg, nil, err
	}
	if err := cfg.Validate(mode); err != nil {
		return cfg, nil, err
	}
	return cfg, fs.Args(), nil
}

func newLogger(e env, cfg config.Config) *slog.Logger {
	return slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
}

// runServe serves the dashboard against the configured tenant (a real one, or a separately
// running `tenantdesk sim` named by TENANTDESK_GRAPH_URL, _AUTHORITY_URL and _CA_FILE).
func runServe(ctx context.Context, e env, args []string) error {
	cfg, _, err := loadConfig(e, "serve", config.ModeServe, args)
	if err != nil {
		return err
	}
	logger := newLogger(e, cfg)
	a, err := app.New(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer a.Close()
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	logger.Info("tenantdesk serving", "url", cfg.BaseURL(), "config", cfg)
	return a.Run(ctx, ln)
}
