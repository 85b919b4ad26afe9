package model

import "time"

// IPSource is one downloaded or imported IP range source: the Microsoft 365 endpoint sets of one
// instance, or the Azure service tags of one cloud, kept exactly as downloaded.
type IPSource struct {
	Kind      string    // "m365" or "servicetags"
	Instance  string    // M365 instance (Worldwide, USGovDoD, ...) or Azure cloud (Public, ...)
	Version   string    // M365 /version "latest", or the service tags changeNumber
	FetchedAt time.Time // when this version was downloaded or imported
	CheckedAt time.Time // when the source was last confirmed current (>= FetchedAt)
	URL       string    // where it came from ("import:<file name>" for imports)
	Raw       []byte    // the JSON as downloaded
}
