package health

import (
	"github.com/tenantdesk/tenantdesk/internal/export"
)

// csvHeader are the columns of a finding's CSV: every finding has the same, so files of
// different findings can be put together.
var csvHeader = []string{"finding", "userDisplayName", "userPrincipalName", "userId", "groups", "groupIds",
	"license", "skuId", "assignedDirectly", "units", "monthlyCost", "currency", "date", "detail", "fix"}

// FileName is the name of a finding's CSV file.
func FileName(kind string) string { return "license-health-" + kind + ".csv" }

// WriteCSV writes the items of finding f as CSV rows into c, the header first, with the
// neutralising writer of every file tenantdesk hands out.
func WriteCSV(c *export.CSV, f Finding) error {
	if err := c.Write(export.Texts(csvHeader...)...); err != nil {
		return err
	}
	for _, it := range f.Items {
		names, ids := make([]string, len(it.Groups)), make([]string, len(it.Groups))
		for i, g := range it.Groups {
			names[i], ids[i] = g.Name, g.ID
		}
		amount, currency := export.Cell{}, ""
		for cur, cents := range it.Monthly {
			amount, currency = export.Cell{Text: FormatCents(cents), Numeric: true}, cur
		}
		if len(it.Monthly) > 1 {
			amount, currency = export.Text(it.Monthly.String()), ""
		}
		amount.Text = stripThousands(amount.Text, amount.Numeric)
		direct := export.Cell{}
		if it.SKUID != "" && it.UserID != "" {
			direct = export.Bool(it.Direct)
		}
		units := export.Cell{}
		if it.Units > 0 {
			units = export.Number(it.Units)
		}
		if err := c.Write(export.Text(f.Kind), export.Text(it.UserName), export.Text(it.UPN), export.Text(it.UserID),
			export.List(names), export.List(ids), export.Text(it.SKUName), export.Text(it.SKUID), direct, units,
			amount, export.Text(currency), export.Time(it.When), export.Text(it.Detail), export.Text(it.Fix)); err != nil {
			return err
		}
	}
	return nil
}

// stripThousands drops the thousands separators of a numeric amount, so spreadsheets read it as
// a number.
func stripThousands(s string, numeric bool) string {
	if !numeric {
		return s
	}
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != ',' {
			out = append(out, s[i])
		}
	}
	return string(out)
}
