// Package iprange answers "is this address (or host name) Microsoft's, and which service?".
//
// It keeps the Microsoft 365 endpoint sets of the four instances (Worldwide, USGovDoD,
// USGovGCCHigh, China) and the Azure service tags of the public, government and China clouds:
// it downloads them (Updater), imports them from files for air-gapped sites, stores them raw in
// SQLite through a small interface, parses them strictly, and builds an immutable prefix index
// (Index) that returns every matching endpoint set and service tag, most specific first. Service
// ties these together and swaps the index atomically after a refresh. ParseQuery pulls the
// addresses and host names out of pasted text (log lines, message headers).
package iprange

import (
	"errors"
	"slices"
)

// Kind is the kind of a source.
type Kind string

const (
	// KindM365 is a Microsoft 365 endpoint set list from endpoints.office.com.
	KindM365 Kind = "m365"
	// KindServiceTags is an Azure service tags file from the Microsoft Download Center.
	KindServiceTags Kind = "servicetags"
)

// The Microsoft 365 instances served by endpoints.office.com.
const (
	InstanceWorldwide    = "Worldwide"
	InstanceUSGovDoD     = "USGovDoD"
	InstanceUSGovGCCHigh = "USGovGCCHigh"
	InstanceChina        = "China"
)

// M365Instances lists the Microsoft 365 instances in the order they are fetched and shown.
var M365Instances = []string{InstanceWorldwide, InstanceUSGovDoD, InstanceUSGovGCCHigh, InstanceChina}

// Cloud is an Azure cloud whose service tags are published on a Download Center page.
type Cloud struct {
	Name       string // as in the file's "cloud" field and its name: Public, AzureGovernment, China
	DownloadID string // Download Center details page id
}

// Clouds lists the Azure clouds in the order they are fetched and shown.
var Clouds = []Cloud{
	{Name: "Public", DownloadID: "56519"},
	{Name: "AzureGovernment", DownloadID: "57063"},
	{Name: "China", DownloadID: "57062"},
}

// ErrInvalid marks data that is not a well-formed endpoint set list or service tags file.
var ErrInvalid = errors.New("invalid IP range data")

// MaxDocumentBytes caps any downloaded or imported JSON document and HTML page. The public
// service tags file, by far the largest, is about 4 MiB.
const MaxDocumentBytes = 32 << 20

// Limits inside a document; generous against real data, small enough to refuse junk early.
const (
	maxEndpointSets = 5_000
	maxTags         = 50_000
	maxListItems    = 200_000 // prefixes or URLs in one set or tag
	maxTotalItems   = 2_000_000
	maxTextLen      = 4_096 // names, notes, ports
	maxHostLen      = 253
)

func isKnownInstance(s string) bool { return slices.Contains(M365Instances, s) }
