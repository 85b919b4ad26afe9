// Package migrations embeds the numbered SQL migrations that internal/store applies on open.
// Files are NNNN_name.up.sql (golang-migrate's naming); numbers are never reused or edited once
// released.
package migrations

import "embed"

// FS holds every *.sql migration.
//
//go:embed *.sql
var FS embed.FS
