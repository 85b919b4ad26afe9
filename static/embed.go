// Package static embeds tenantdesk's own stylesheet and script. internal/server serves them
// under content-hashed URLs with long cache lifetimes.
package static

import "embed"

// FS holds every static file.
//
//go:embed *.css *.js
var FS embed.FS
