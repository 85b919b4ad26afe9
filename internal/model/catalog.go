package model

import "time"

// Product is one SKU of Microsoft's "Product names and service plan identifiers for licensing"
// catalog: its GUID, string id (skuPartNumber) and friendly name, with its service plans.
type Product struct {
	SKUID       string // GUID
	PartNumber  string // String_Id
	DisplayName string // Product_Display_Name
	Plans       []PlanName
}

// PlanName is a service plan of the catalog with its friendly name.
type PlanName struct {
	PlanID       string // Service_Plan_Id
	Name         string // Service_Plan_Name
	FriendlyName string // Service_Plans_Included_Friendly_Names
}

// CatalogInfo describes the imported license-name catalog.
type CatalogInfo struct {
	Source    string // URL or file it came from
	FetchedAt time.Time
	Products  int
	Plans     int // distinct service plans
}
