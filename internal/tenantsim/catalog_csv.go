package tenantsim

import (
	"bytes"
	"cmp"
	"encoding/csv"
)

// ProductCatalogCSV renders the tenant's SKUs in the byte format of Microsoft's "Product names
// and service plan identifiers for licensing" CSV (UTF-8 BOM, CRLF, one row per SKU and plan),
// so a dashboard on the simulator can import friendly names exactly as it would Microsoft's file.
func (t *Tenant) ProductCatalogCSV() []byte {
	t.mu.RLock()
	defer t.mu.RUnlock()
	var buf bytes.Buffer
	buf.WriteString("\ufeff")
	w := csv.NewWriter(&buf)
	w.UseCRLF = true
	w.Write([]string{"Product_Display_Name", "String_Id", "GUID", "Service_Plan_Name", "Service_Plan_Id", "Service_Plans_Included_Friendly_Names"})
	for _, s := range t.skus {
		for _, p := range s.Plans {
			w.Write([]string{s.DisplayName, s.PartNumber, s.ID, p.Name, p.ID, cmp.Or(planFriendlyNames[p.ID], p.Name)})
		}
	}
	w.Flush()
	return buf.Bytes()
}
