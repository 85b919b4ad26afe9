package tenantsim

// GroupTruth is what a correct dashboard must report for one licensed group, computed from the
// engine's own state rather than through the API, so tests can hold a client against it.
type GroupTruth struct {
	ID          string
	DisplayName string
	Members     int // direct members of any type
	Users       int // direct members that are users
	Errors      int // users with an errored license state assigned by this group
	Licenses    []string
	State       string
}

// LicensedGroupTruth lists every group that assigns licenses, with its true counts.
func (t *Tenant) LicensedGroupTruth() []GroupTruth {
	t.Tick()
	t.mu.RLock()
	defer t.mu.RUnlock()
	var out []GroupTruth
	for _, g := range t.groups {
		if len(g.Licenses) == 0 {
			continue
		}
		gt := GroupTruth{ID: g.ID, DisplayName: g.DisplayName, Members: len(g.Members), State: g.ProcessingState}
		for _, l := range g.Licenses {
			gt.Licenses = append(gt.Licenses, l.SKUID)
		}
		for _, m := range g.Members {
			if t.objectType[m] != TypeUser {
				continue
			}
			gt.Users++
			for _, st := range t.userByID[m].LicenseStates {
				if st.AssignedByGroup == g.ID && st.Error != "" && st.Error != "None" {
					gt.Errors++
					break
				}
			}
		}
		out = append(out, gt)
	}
	return out
}
