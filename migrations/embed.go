// Package migrations embeds the numbered SQL migrations that internal/store applies on open.
// Files are NNNN_name.up.sql (golang-migrate's naming); numbers are never reused or edited once
// released. golang-migrate applies only numbers above a database's version, so a migration
// merged onto main takes a number above main's highest, whatever its branch reserved.
package migrations

import "embed"

// FS holds every *.sql migration.
//
//go:embed *.sql
var FS embed.FS
