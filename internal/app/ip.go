package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/config"
	"github.com/tenantdesk/tenantdesk/internal/iprange"
	"github.com/tenantdesk/tenantdesk/internal/store"
)

// IPRefreshInterval is how often the Microsoft 365 endpoint sets and Azure service tags are
// checked. Microsoft publishes both at most weekly, and the /version check makes an unchanged
// day cost one small request per instance.
const IPRefreshInterval = 24 * time.Hour

// IPWatchInterval is how often a running server looks for IP range sources that another
// process stored in its database (`tenantdesk ip import` on the server); the IP lookup page
// also looks each time it is opened.
const IPWatchInterval = 10 * time.Second

// NewIPService loads the stored IP range sources into a lookup service over st. It makes no
// network call: downloads happen in RunIPRanges or on an Operator's request.
func NewIPService(ctx context.Context, st *store.Store, logger *slog.Logger) (*iprange.Service, error) {
	if logger == nil {
		logger = slog.Default()
	}
	return iprange.NewService(ctx, &iprange.Updater{Store: st, Logger: logger})
}

// IPDownloadsEnabled reports whether the IP range sources are downloaded on a schedule
// (TENANTDESK_IP_RANGE_DOWNLOADS). Sites without internet, and the demo, import files instead.
func IPDownloadsEnabled(cfg config.Config) bool { return cfg.IPRangeDownloads }

// runIPRanges keeps the IP range data current until ctx ends, when downloads are enabled.
func (a *App) runIPRanges(ctx context.Context) {
	if a.IP == nil {
		return
	}
	if !IPDownloadsEnabled(a.Config) {
		a.Logger.Info("IP range downloads are off (TENANTDESK_IP_RANGE_DOWNLOADS); import files with 'tenantdesk ip import' or on the IP lookup page")
		return
	}
	a.IP.Run(ctx, IPRefreshInterval)
}
