package web

// HealthView is the license health page: waste, renewals and hygiene findings.
type HealthView struct {
	HasData bool
	// FormURL is where the thresholds form submits (GET, so the thresholds are in the address).
	FormURL      string
	InactiveDays int
	HorizonDays  int
	Problem      *FormProblem
	// Waste is the monthly cost of the waste findings ("" when nothing is priced); Unpriced
	// counts the SKUs among them without a price.
	Waste     string
	Unpriced  int
	PricesURL string // the prices page; "" when the person may not set prices
	// Summary is every finding, for the table of counts; Findings are those shown in full.
	Summary  []HealthFindingView
	Findings []HealthFindingView
	// Focused: the page shows one finding (?finding=kind) with all its items; AllFindingsURL
	// goes back to every finding.
	Focused        bool
	AllFindingsURL string
}

// HealthFindingView is one finding.
type HealthFindingView struct {
	Kind        string // the anchor and data-kind
	Title       string
	Count       int
	Unit        string
	Monthly     string // "" when unpriced or not money
	Unpriced    int
	Waste       bool
	Fix         string
	Unavailable string
	CSVURL      string
	AllURL      string // this finding alone, with every item
	CleanupURL  string // the preview of cleaning it up; "" when not offered
	Items       []HealthItemView
	More        int // items not shown (in the CSV)
}

// HealthItemView is one user's license, SKU, subscription or group of a finding.
type HealthItemView struct {
	UserName, UserHref, UPN string
	SKUName, SKUHref        string
	Direct                  bool
	Groups                  []GroupLink
	Units                   int
	Monthly                 string
	Detail                  string
	Fix                     string
}

// PricesView is the SKU prices page.
type PricesView struct {
	HasData bool
	Action  string // where each row's form posts
	Rows    []PriceRow
	Problem *FormProblem
	// ProblemSKU is the row the problem belongs to; Saved names the row just saved.
	ProblemSKU, Saved string
	HealthURL         string
}

// PriceRow is one SKU with its price.
type PriceRow struct {
	SKUID, Name, PartNumber string
	Amount, Currency        string // as stored, or as typed when refused
	Updated                 string // "by whom, when"; "" when never set
}

// CleanupView is the preview of a license cleanup: every user and what will be done for them.
type CleanupView struct {
	HasData   bool
	FormURL   string // GET: change what is previewed
	Action    string // POST: run it
	Findings  []CleanupChoice
	Groups    string // "remove" or "keep"
	Days      int
	Problem   *FormProblem
	Users     []CleanupUserView
	Monthly   string
	HealthURL string
}

// CleanupChoice is a finding cleanup can act on, and whether it is chosen.
type CleanupChoice struct {
	Kind, Title string
	Chosen      bool
}

// CleanupUserView is one user of the preview.
type CleanupUserView struct {
	ID, Name, UPN, Href string
	Finding             string
	Steps               []string
	Skipped             []string
	Monthly             string
	Doable              bool // has a step tenantdesk can do
}
