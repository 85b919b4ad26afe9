package server

import "context"

// permLicenseAssignment is the Graph application permission reprocessLicenseAssignment needs.
const permLicenseAssignment = "LicenseAssignment.ReadWrite.All"

// missingGraphPermission says why the app may not reprocess, "" when it may: the Graph
// application permission it was not granted, in words for the page.
func (s *Server) missingGraphPermission(ctx context.Context) string {
	if p := s.missingPermission(ctx, permLicenseAssignment); p != "" {
		return "the app lacks " + p
	}
	return ""
}
