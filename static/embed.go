// Package static embeds tenantdesk's own stylesheet, script and icon. internal/server serves them
// under content-hashed URLs with long cache lifetimes.
package static

import "embed"

// FS holds every static file.
//
//go:embed *.css *.js *.svg
var FS embed.FS
