package tenantsim

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"
)

// ChangeSet is what ApplyChanges changed in the tenant.
type ChangeSet struct {
	Users           int    `json:"users"` // users chosen for a change
	AttributeEdits  int    `json:"attribute_edits"`
	UsageLocations  int    `json:"usage_locations"` // attribute edits that changed the usage location
	LicensesAdded   int    `json:"licenses_added"`
	LicensesRemoved int    `json:"licenses_removed"`
	LicensesRefused int    `json:"licenses_refused"` // direct assignments Graph would refuse (no units, conflicts)
	Joins           int    `json:"joins"`
	Leaves          int    `json:"leaves"`
	Deletions       int    `json:"deletions"`
	TemplateGroup   string `json:"template_group,omitempty"` // the group whose license template changed
	TemplateChange  string `json:"template_change,omitempty"`
	UnitsSKU        string `json:"units_sku,omitempty"` // the SKU units were bought of
	UnitsBought     int    `json:"units_bought"`
}

// changeActor is who makes the changes of a change set, for the audit log.
var changeActor = Actor{AppID: "5c1f3e1a-8e2b-4d7e-9a55-0e3c6f1d2b7a", DisplayName: "Directory sync (simulated changes)"}

// ApplyChanges changes share (0..1) of the tenant's users, the same way for the same seed and
// tenant: each chosen user gets an attribute edit (some of them a new usage location), a direct
// license added or removed, a group joined or left, or is deleted; and, when any user is
// chosen, one licensed group's template changes (a license added, or removed when it has
// several; one Graph would refuse is not made, and another is tried) and units of one
// subscription are bought. Direct licenses Graph would refuse (without units) are counted, not
// applied. The seeded scenarios' users and groups are
// left alone. share 0 changes nothing.
func (t *Tenant) ApplyChanges(share float64, seed int64) (ChangeSet, error) {
	if share < 0 || share > 1 || math.IsNaN(share) {
		return ChangeSet{}, fmt.Errorf("tenantsim: change share %v is not between 0 and 1", share)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.nowSec()
	rng := rand.New(rand.NewPCG(uint64(seed), 0x5eed5eed))
	protected := t.scenarioObjects()
	var candidates []*User
	for _, u := range t.users {
		if !protected[u.ID] {
			candidates = append(candidates, u)
		}
	}
	n := int(math.Round(share * float64(len(t.users))))
	if share > 0 && n == 0 {
		n = 1
	}
	n = min(n, len(candidates))
	var cs ChangeSet
	if n == 0 {
		return cs, nil
	}
	// A partial shuffle picks n distinct users.
	for i := range n {
		j := i + rng.IntN(len(candidates)-i)
		candidates[i], candidates[j] = candidates[j], candidates[i]
	}
	var static, licensed []*Group
	for _, g := range t.groups {
		if protected[g.ID] {
			continue
		}
		if g.MembershipRule == "" {
			static = append(static, g)
		}
		if len(g.Licenses) > 0 {
			licensed = append(licensed, g)
		}
	}
	cs.Users = n
	for _, u := range candidates[:n] {
		switch p := rng.Float64(); {
		case p < 0.40:
			t.editAttributes(rng, u, &cs, now)
		case p < 0.60:
			t.changeDirectLicense(rng, u, &cs, now)
		case p < 0.90:
			t.changeMembership(rng, u, static, &cs, now)
		default:
			t.deleteUser(u, changeActor, now)
			cs.Deletions++
		}
	}
	if len(licensed) > 0 {
		if err := t.changeTemplate(rng, licensed[rng.IntN(len(licensed))], &cs, now); err != nil {
			return cs, err
		}
	}
	if len(t.skus) > 0 {
		s := t.skus[rng.IntN(len(t.skus))]
		cs.UnitsSKU, cs.UnitsBought = s.ID, max(5, n/10)
		s.Prepaid.Enabled += cs.UnitsBought
	}
	// License processing the changes made due now (a processing delay of 0) runs here, as
	// Microsoft's backend runs it on its own: not inside the next Graph request, which Tick
	// would otherwise make wait for every member of a changed group to be evaluated (1.2-1.3 s
	// at 50,000 users after a template change; Graph never holds a read for it).
	t.tick(now, false)
	return cs, nil
}

// scenarioObjects are the users and groups of the seeded scenarios; the caller holds t.mu.
func (t *Tenant) scenarioObjects() map[string]bool {
	s := t.Scenarios
	out := map[string]bool{}
	for _, id := range append([]string{s.A1Group, s.ConflictGroup, s.DependencyGroup, s.UsageLocationGroup,
		s.UniquenessUser, s.ActiveWithErrorGroup, s.DisabledGroup, s.DirectAndGroupsUser}, s.HostileUsers...) {
		if id != "" {
			out[id] = true
		}
	}
	return out
}

var (
	editDepartments = []string{"Biology", "History", "Mathematics", "Admissions", "Library", "IT"}
	editTitles      = []string{"Lecturer", "Student", "Librarian", "Administrator", "Research Assistant"}
	editCities      = []string{"Seattle", "Boston", "London", "Berlin", "Toronto"}
	editLocations   = []string{"US", "GB", "DE", "FR", "CA", "NL"}
)

func (t *Tenant) editAttributes(rng *rand.Rand, u *User, cs *ChangeSet, now time.Time) {
	pick := func(xs []string) *string { return &xs[rng.IntN(len(xs))] }
	var c UserChange
	switch rng.IntN(5) {
	case 0:
		c.Department = pick(editDepartments)
	case 1:
		c.JobTitle = pick(editTitles) // may move the user into or out of dynamic groups
	case 2:
		c.City = pick(editCities)
	case 3:
		name := u.DisplayName + " (" + u.Department + ")"
		c.DisplayName = &name
	default:
		phone := fmt.Sprintf("+1 206 555 %04d", rng.IntN(10000))
		c.MobilePhone = &phone
	}
	if rng.IntN(10) == 0 && u.UserType != "Guest" {
		c.UsageLocation = pick(editLocations)
		if *c.UsageLocation != u.UsageLocation {
			cs.UsageLocations++
		}
	}
	if err := t.updateUser(u, c, changeActor, now); err == nil {
		cs.AttributeEdits++
	}
}

func (t *Tenant) changeDirectLicense(rng *rand.Rand, u *User, cs *ChangeSet, now time.Time) {
	if len(u.DirectLicenses) > 0 && rng.IntN(2) == 0 {
		sku := u.DirectLicenses[rng.IntN(len(u.DirectLicenses))].SKUID
		if err := t.assignUserLicenses(u, nil, []string{sku}, changeActor, now); err == nil {
			cs.LicensesRemoved++
		}
		return
	}
	var options []string
	for _, s := range t.skus {
		if !slices.ContainsFunc(u.DirectLicenses, func(l License) bool { return l.SKUID == s.ID }) && !subscriptionOff(s.CapabilityStatus) {
			options = append(options, s.ID)
		}
	}
	if len(options) == 0 || u.UsageLocation == "" {
		cs.LicensesRefused++
		return
	}
	err := t.assignUserLicenses(u, []License{{SKUID: options[rng.IntN(len(options))]}}, nil, changeActor, now)
	if err == nil {
		cs.LicensesAdded++
		return
	}
	var te *Error
	if errors.As(err, &te) {
		cs.LicensesRefused++
	}
}

func (t *Tenant) changeMembership(rng *rand.Rand, u *User, static []*Group, cs *ChangeSet, now time.Time) {
	var in []*Group
	for _, gid := range t.memberOf[u.ID] {
		if g := t.groupByID[gid]; g != nil && g.MembershipRule == "" && slices.Contains(static, g) {
			in = append(in, g)
		}
	}
	if len(in) > 0 && rng.IntN(2) == 0 {
		t.leaveGroup(in[rng.IntN(len(in))], u.ID, changeActor, now)
		cs.Leaves++
		return
	}
	for range 20 { // a group the user is not in yet
		g := static[rng.IntN(len(static))]
		if !slices.Contains(g.Members, u.ID) {
			t.joinGroup(g, u.ID, changeActor, now)
			cs.Joins++
			return
		}
	}
}

func (t *Tenant) changeTemplate(rng *rand.Rand, g *Group, cs *ChangeSet, now time.Time) error {
	cs.TemplateGroup = g.ID
	// A change Graph refuses (a license whose plans need a service the template lacks, or the
	// removal of one another license's plans need) changes nothing: the next one is tried.
	refused := func(err error) bool {
		var te *Error
		return errors.As(err, &te)
	}
	if len(g.Licenses) > 1 && rng.IntN(2) == 0 {
		sku := g.Licenses[rng.IntN(len(g.Licenses))].SKUID
		err := t.assignGroupLicenses(g, nil, []string{sku}, changeActor, now)
		if err == nil {
			cs.TemplateChange = "removed " + t.skuByID[sku].PartNumber
			return nil
		}
		if !refused(err) {
			return err
		}
	}
	var options []*SKU
	for _, s := range t.skus {
		if !slices.ContainsFunc(g.Licenses, func(l License) bool { return l.SKUID == s.ID }) {
			options = append(options, s)
		}
	}
	rng.Shuffle(len(options), func(i, j int) { options[i], options[j] = options[j], options[i] })
	for _, s := range options {
		err := t.assignGroupLicenses(g, []License{{SKUID: s.ID}}, nil, changeActor, now)
		if err == nil {
			cs.TemplateChange = "added " + s.PartNumber
			return nil
		}
		if !refused(err) {
			return err
		}
	}
	cs.TemplateGroup = "" // every change was refused, or there is none to make
	return nil
}
