package server

import "context"

// reprocessPermissions are the Graph application permissions with which
// reprocessLicenseAssignment works: any one of them, the first the least privileged.
var reprocessPermissions = []string{"LicenseAssignment.ReadWrite.All", "User.ReadWrite.All", "Directory.ReadWrite.All"}

// missingGraphPermission says why the app may not reprocess, "" when it may, in words for
// the page.
func (s *Server) missingGraphPermission(ctx context.Context) string {
	return s.missingPermission(ctx, reprocessPermissions...)
}
