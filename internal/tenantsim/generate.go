package tenantsim

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The deterministic generator. Everything random comes from a PCG seeded with Config.Seed, so
// the same Config yields the same tenant, byte for byte. Users belong to populations (students,
// faculty, staff tiers, frontline ...) and only join licensed groups whose templates suit them,
// so the tenant's license errors are the seeded scenarios plus what the data makes realistic,
// not noise.

// Defaults of Config.
const (
	DefaultUsers          = 1500
	DefaultGroups         = 150
	DefaultLicensedGroups = 40
)

// Minimum sizes that still hold every seeded scenario.
const (
	minUsers          = 50
	minLicensedGroups = 7
)

// userRole is the generator's population of a user.
type userRole uint8

const (
	roleStudent userRole = iota
	roleFaculty
	roleStaff
	roleFrontline
	roleGuest
	roleService
	roleTA          // A1 scenario: teaching assistants, in the A1 students+faculty group
	roleConflict    // conflict scenario: direct Office 365 E3, in an A1 students group
	roleDependency  // dependency scenario: direct Exchange Online (Plan 1) only
	roleLocation    // usage location scenario: located in Belarus
	roleUniqueness  // uniqueness scenario: claims a former colleague's address
	roleFormer      // the former colleague: disabled, unlicensed
	roleProhibitedX // unlicensed users in a prohibited location
	roleArchitect   // ActiveWithError scenario: E3 from a group whose template later gained Visio
	rolePilot       // Disabled scenario: Power Automate Free from a group; the subscription is suspended
)

// staff license tiers: which base template a staff member's group carries.
type licKind uint8

const (
	kindO365E3 licKind = iota
	kindStudentsAll
	kindM365E5
	kindF3
	kindM365E3
	kindPowerBI
	kindE1
	kindProject
	kindVisio
	kindStudents
)

// New generates a tenant from cfg (defaults filled in). Same cfg, same tenant.
func New(cfg Config) (*Tenant, error) {
	cfg, err := withDefaults(cfg)
	if err != nil {
		return nil, err
	}
	t := &Tenant{cfg: cfg, now: cfg.Now}
	g := &generator{
		t:   t,
		rng: rand.New(rand.NewPCG(uint64(cfg.Seed), 0x9e3779b97f4a7c15)),
		now: cfg.Now().UTC().Truncate(time.Second),
	}
	g.run()
	t.auditDelay = cfg.AuditDelay // the generated history is in the log already
	t.startLog()
	return t, nil
}

func withDefaults(cfg Config) (Config, error) {
	if cfg.Users == 0 {
		cfg.Users = DefaultUsers
	}
	if cfg.Groups == 0 {
		cfg.Groups = DefaultGroups
	}
	if cfg.LicensedGroups == 0 {
		cfg.LicensedGroups = min(DefaultLicensedGroups, cfg.Groups)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	switch {
	case cfg.Users < minUsers:
		return cfg, fmt.Errorf("tenantsim: %d users: need at least %d for the seeded scenarios", cfg.Users, minUsers)
	case cfg.LicensedGroups < minLicensedGroups:
		return cfg, fmt.Errorf("tenantsim: %d licensed groups: need at least %d for the seeded scenarios", cfg.LicensedGroups, minLicensedGroups)
	case cfg.Groups < cfg.LicensedGroups:
		return cfg, fmt.Errorf("tenantsim: %d groups cannot hold %d licensed groups", cfg.Groups, cfg.LicensedGroups)
	case cfg.ProcessingDelay < 0:
		return cfg, errors.New("tenantsim: processing delay must not be negative")
	case cfg.AuditDelay < 0:
		return cfg, errors.New("tenantsim: audit delay must not be negative")
	}
	return cfg, nil
}

// guidFrom draws a version-4 shaped GUID from r.
func guidFrom(r *rand.Rand) string {
	var b [16]byte
	a, c := r.Uint64(), r.Uint64()
	for i := range 8 {
		b[i] = byte(a >> (8 * i))
		b[8+i] = byte(c >> (8 * i))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	const hex = "0123456789abcdef"
	out := make([]byte, 0, 36)
	for i, x := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out = append(out, '-')
		}
		out = append(out, hex[x>>4], hex[x&0x0f])
	}
	return string(out)
}

type generator struct {
	t   *Tenant
	rng *rand.Rand
	now time.Time

	usedLocal map[string]int // mail local parts taken, for first.last2 suffixes
	byRole    map[userRole][]*User
	tier      map[*User]licKind // staff base tier
	kinds     map[licKind][]*Group
	faculty   int
	// failures remembers the group outcomes that failed at generation, for the audit history.
	failures map[*User][]outcome
	// changes are template changes made after a group's first processing, for the history.
	changes map[*Group]templateChange
}

// templateChange is a license template change of a group after it was created.
type templateChange struct {
	old []License
	at  time.Time
}

func (g *generator) pick(list []string) string { return list[g.rng.IntN(len(list))] }

func (g *generator) chance(p float64) bool { return g.rng.Float64() < p }

func (g *generator) run() {
	t := g.t
	t.rng = rand.New(rand.NewPCG(uint64(t.cfg.Seed), 0x2545f4914f6cdd1d))
	t.rules = newRules()
	t.ID = guidFrom(g.rng)
	t.DisplayName = "Contoso University"
	t.DefaultDomain = "contoso-edu.onmicrosoft.com"
	t.vanity = "contoso.edu"
	t.country = "US"
	t.skus = newCatalog()
	t.skuByID = make(map[string]*SKU, len(t.skus))
	for _, s := range t.skus {
		t.skuByID[s.ID] = s
		s.Prepaid.Enabled = 1 << 30 // unlimited while generating; real figures are set after
	}
	n := t.cfg.Users
	t.users = make([]*User, 0, n)
	t.userByID = make(map[string]*User, n)
	t.groupByID = make(map[string]*Group, t.cfg.Groups)
	t.devices = map[string]*Device{}
	t.contacts = map[string]*Contact{}
	t.objectType = make(map[string]string, n+t.cfg.Groups)
	t.memberOf = make(map[string][]string, n)
	t.proxyOwners = make(map[string]int, 2*n)
	g.usedLocal = make(map[string]int, n)
	g.byRole = map[userRole][]*User{}
	g.tier = map[*User]licKind{}
	g.kinds = map[licKind][]*Group{}
	g.failures = map[*User][]outcome{}
	g.changes = map[*Group]templateChange{}

	g.users()
	g.reportProperties()
	g.devicesAndContacts()
	g.groups()
	for _, gr := range t.groups {
		sortLicenses(gr.Licenses)
	}
	g.reportScenarios()
	g.licenses()
	g.healthScenarios()
	g.history()
	g.ssprFlows()
	g.directoryRoles()
	t.sortAudits()
}

// roles lays out the population: exact counts for the scenarios, shuffled into the user list.
func (g *generator) roles(n int) []userRole {
	clamp := func(v, lo, hi int) int { return max(lo, min(hi, v)) }
	g.faculty = min(500, n/3)
	counts := []struct {
		r userRole
		n int
	}{
		{roleFaculty, g.faculty},
		{roleTA, clamp(n/60, 3, 25)},
		{roleConflict, clamp(n/125, 2, 12)},
		{roleDependency, clamp(n/150, 2, 10)},
		{roleLocation, clamp(n/250, 2, 6)},
		{roleUniqueness, 1},
		{roleFormer, 1},
		{roleProhibitedX, clamp(n/500, 1, 4)},
		{roleArchitect, clamp(n/100, 2, 8)},
		{rolePilot, clamp(n/150, 2, 6)},
		{roleGuest, max(1, n/50)},
		{roleService, max(1, n/500)},
		{roleFrontline, n * 8 / 100},
		{roleStaff, n * 22 / 100},
	}
	out := make([]userRole, 0, n)
	for _, c := range counts {
		for range c.n {
			out = append(out, c.r)
		}
	}
	for len(out) < n {
		out = append(out, roleStudent)
	}
	out = out[:n]
	g.rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

var (
	firstNames = []string{"James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David",
		"Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Carlos",
		"Karen", "Daniel", "Lisa", "Matthew", "Nancy", "Anthony", "Sandra", "Mark", "Ashley", "Steven", "Emily",
		"Paul", "Michelle", "Andrew", "Amanda", "Kenji", "Melissa", "Priya", "Deborah", "Ahmed", "Stephanie",
		"Lukas", "Rebecca", "Mateo", "Laura", "Olivia", "Sophie", "Noah", "Emma", "Liam", "Mia", "Ethan", "Chloe",
		"Lucas", "Zoe", "Aiden", "Hannah", "Elena", "Ivan", "Fatima", "Omar", "Yuki", "Wei", "Mei", "Raj",
		"Anika", "Sven", "Ingrid", "Pierre", "Camille", "Giulia", "Marco", "Aisha", "Kwame", "Nia", "Diego",
		"Lucia", "Tomasz", "Katarzyna", "Sean", "Siobhan", "Anna", "Jonas", "Freya", "Hugo", "Alice"}
	lastNames = []string{"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
		"Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson",
		"Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson",
		"Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green",
		"Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Roberts", "Schmidt",
		"Mueller", "Schneider", "Fischer", "Weber", "Dubois", "Lefebvre", "Rossi", "Russo", "Kowalski", "Nowak",
		"Tanaka", "Suzuki", "Sato", "Kim", "Park", "Chen", "Wang", "Li", "Zhang", "Patel", "Shah", "Singh",
		"Kumar", "Ali", "Khan", "Okafor", "Mensah", "Silva", "Santos", "Costa", "Jansen", "de Vries", "Bakker",
		"Larsen", "Nielsen", "Johansson", "Andersson", "O'Brien", "Murphy", "Kelly", "Walsh", "Novak", "Horvat",
		"Ivanova", "Petrov", "Popescu", "Yilmaz", "Cohen", "Levi"}
	academicDepts = []string{"Mathematics", "Physics", "Chemistry", "Biology", "History", "Computer Science",
		"Economics", "Law", "Medicine", "Languages", "Engineering", "Psychology"}
	staffDepts = []string{"Sales", "Finance", "Human Resources", "IT", "Marketing", "Library", "Admissions",
		"Research Office", "Student Services", "Legal", "Communications"}
	frontDepts   = []string{"Facilities", "Catering", "Campus Security"}
	staffTitles  = []string{"Officer", "Manager", "Coordinator", "Specialist", "Administrator", "Analyst", "Assistant", "Senior Advisor"}
	facultyTitle = []string{"Professor", "Associate Professor", "Assistant Professor", "Lecturer", "Senior Lecturer", "Research Fellow"}
	frontTitles  = map[string][]string{
		"Facilities":      {"Facilities Technician", "Groundskeeper", "Maintenance Supervisor"},
		"Catering":        {"Catering Assistant", "Chef", "Kitchen Supervisor"},
		"Campus Security": {"Security Officer", "Security Supervisor"},
	}
	guestDomains = []string{"fabrikam.com", "northwindtraders.com", "adatum.com", "tailspintoys.com", "woodgrovebank.com", "litwareinc.com"}
)

type place struct{ country, code, city, office, lang string }

var places = []place{
	{"United States", "US", "Seattle", "Main Campus", "en-US"},
	{"United States", "US", "Redmond", "North Campus", "en-US"},
	{"United States", "US", "Boston", "Boston Center", "en-US"},
	{"United States", "US", "Chicago", "Chicago Center", "en-US"},
	{"United States", "US", "Austin", "Austin Lab", "en-US"},
	{"United Kingdom", "GB", "London", "London Campus", "en-GB"},
	{"Germany", "DE", "Berlin", "Berlin Office", "de-DE"},
	{"France", "FR", "Paris", "Paris Office", "fr-FR"},
	{"Canada", "CA", "Toronto", "Toronto Office", "en-CA"},
	{"Netherlands", "NL", "Amsterdam", "Amsterdam Office", "nl-NL"},
}

var prohibitedPlaces = []place{
	{"Belarus", "BY", "Minsk", "Minsk Office", "be-BY"},
	{"Russia", "RU", "Moscow", "Moscow Office", "ru-RU"},
}

// asciiLocal makes a mail local part from a name.
func asciiLocal(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func (g *generator) uniqueLocal(base string) string {
	n := g.usedLocal[base]
	g.usedLocal[base] = n + 1
	if n == 0 {
		return base
	}
	return base + strconv.Itoa(n+1)
}

// uniqueExternal is a local part not yet used at an external domain.
func (g *generator) uniqueExternal(base, domain string) string {
	key := base + "@" + domain
	n := g.usedLocal[key]
	g.usedLocal[key] = n + 1
	if n == 0 {
		return base
	}
	return base + strconv.Itoa(n+1)
}

func (g *generator) users() {
	t := g.t
	roles := g.roles(t.cfg.Users)
	for _, r := range roles {
		g.user(r)
	}
	// The uniqueness scenario: a new colleague of the same name as a former one was given the
	// former colleague's address as an alias, which the disabled former account still holds.
	former, uniq := g.byRole[roleFormer][0], g.byRole[roleUniqueness][0]
	uniq.ProxyAddresses = append(uniq.ProxyAddresses, "smtp:"+former.Mail)
	t.proxyOwners[proxyKey(former.Mail)]++
	t.Scenarios.UniquenessUser = uniq.ID
}

func (g *generator) user(r userRole) {
	t := g.t
	u := &User{ID: guidFrom(g.rng), role: r, UserType: "Member", AccountEnabled: true, CompanyName: t.DisplayName}
	u.GivenName, u.Surname = g.pick(firstNames), g.pick(lastNames)
	u.DisplayName = u.GivenName + " " + u.Surname
	pl := places[0]
	if g.chance(0.25) {
		pl = places[g.rng.IntN(len(places))]
	}
	age := time.Duration(g.rng.Int64N(int64(6 * 365 * 24 * time.Hour)))
	if g.chance(0.02) {
		age = time.Duration(g.rng.Int64N(int64(28 * 24 * time.Hour))) // hired this month
	}
	u.CreatedDateTime = g.now.Add(-age - time.Hour).Truncate(time.Second)
	switch r {
	case roleStudent:
		u.Department, u.JobTitle = "Students", "Student"
		u.EmployeeID = "S" + strconv.Itoa(2020+g.rng.IntN(6)) + fmt.Sprintf("%05d", g.rng.IntN(100000))
	case roleFaculty, roleTA:
		u.Department = g.pick(academicDepts)
		u.JobTitle = g.pick(facultyTitle)
		if r == roleTA {
			u.JobTitle = "Teaching Assistant"
		}
	case roleConflict:
		u.Department, u.JobTitle = g.pick(academicDepts), "Visiting Lecturer"
	case roleDependency:
		u.Department, u.JobTitle, u.CompanyName = "IT", "Contractor", "Fabrikam Consulting"
	case roleArchitect:
		u.Department, u.JobTitle = "Campus Planning", "Architect"
	case rolePilot:
		u.Department, u.JobTitle = "Research Office", "Process Automation Pilot"
	case roleFrontline:
		u.Department = g.pick(frontDepts)
		u.JobTitle = g.pick(frontTitles[u.Department])
	case roleService:
		u.GivenName, u.Surname = "", ""
		u.Department, u.DisplayName = "IT", "Service Account "+strconv.Itoa(len(g.byRole[roleService])+1)
	default:
		u.Department = g.pick(staffDepts)
		u.JobTitle = u.Department + " " + g.pick(staffTitles)
		if u.Department == "IT" && g.chance(0.3) {
			u.JobTitle = "Helpdesk Administrator"
		}
	}
	if r == roleLocation || r == roleProhibitedX {
		pl = prohibitedPlaces[g.rng.IntN(len(prohibitedPlaces))]
		if r == roleLocation {
			pl = prohibitedPlaces[0]
		}
		u.JobTitle = "Regional " + g.pick(staffTitles)
	}
	u.City, u.Country, u.OfficeLocation, u.PreferredLanguage, u.UsageLocation = pl.city, pl.country, pl.office, pl.lang, pl.code
	if r != roleStudent && r != roleService {
		u.EmployeeID = strconv.Itoa(100000 + g.rng.IntN(900000))
		u.BusinessPhones = []string{fmt.Sprintf("+1 425 555 %04d", g.rng.IntN(10000))}
		u.OnPremisesSyncEnabled = g.chance(0.7)
	}
	if g.chance(0.3) {
		u.MobilePhone = fmt.Sprintf("+1 206 555 %04d", g.rng.IntN(10000))
	}
	// Some users were never given a usage location; group licensing falls back to the tenant's
	// country for them, a direct assignLicense is refused.
	if (r == roleStudent || r == roleStaff || r == roleFrontline) && g.chance(0.03) {
		u.UsageLocation = ""
	}
	if (r == roleStudent || r == roleStaff) && g.chance(0.03) {
		u.AccountEnabled = false
	}
	switch r {
	case roleGuest:
		dom := g.pick(guestDomains)
		base := g.uniqueExternal(asciiLocal(u.GivenName+"."+u.Surname), dom)
		u.UserType, u.CompanyName, u.Department, u.JobTitle, u.UsageLocation = "Guest", "", "", "", ""
		u.OnPremisesSyncEnabled, u.EmployeeID, u.BusinessPhones = false, "", nil
		u.Mail = base + "@" + dom
		u.MailNickname = base + "_" + dom
		u.UserPrincipalName = u.MailNickname + "#EXT#@" + t.DefaultDomain
		u.ProxyAddresses = []string{"SMTP:" + u.Mail}
	case roleService:
		local := g.uniqueLocal("svc-mailbox")
		u.UserPrincipalName = local + "@" + t.DefaultDomain
		u.Mail = local + "@" + t.vanity
		u.MailNickname = local
		u.ProxyAddresses = []string{"SMTP:" + u.Mail, "smtp:" + u.UserPrincipalName}
	default:
		local := g.uniqueLocal(asciiLocal(u.GivenName + "." + u.Surname))
		u.UserPrincipalName = local + "@" + t.vanity
		u.Mail = u.UserPrincipalName
		u.MailNickname = local
		u.ProxyAddresses = []string{"SMTP:" + u.Mail, "smtp:" + local + "@" + t.DefaultDomain}
	}
	if r == roleFormer {
		u.AccountEnabled = false
		u.JobTitle = "Former " + u.JobTitle
		u.CreatedDateTime = g.now.Add(-5 * 365 * 24 * time.Hour)
	}
	if r == roleUniqueness {
		u.CreatedDateTime = g.now.Add(-time.Duration(3+g.rng.IntN(5)) * 24 * time.Hour).Truncate(time.Second)
	}
	for _, p := range u.ProxyAddresses {
		t.proxyOwners[proxyKey(p)]++
	}
	t.users = append(t.users, u)
	t.userByID[u.ID] = u
	t.objectType[u.ID] = TypeUser
	g.byRole[r] = append(g.byRole[r], u)
}

func (g *generator) devicesAndContacts() {
	t := g.t
	nd := max(3, min(50, t.cfg.Users/100))
	oses := []string{"Windows", "Windows", "iOS", "Android", "MacMDM"}
	for i := range nd {
		d := &Device{ID: guidFrom(g.rng), DeviceID: guidFrom(g.rng), OperatingSystem: oses[i%len(oses)], AccountEnabled: !g.chance(0.05)}
		d.DisplayName = fmt.Sprintf("KIOSK-%s-%02d", strings.ToUpper(places[i%len(places)].city[:3]), i+1)
		if d.OperatingSystem != "Windows" {
			d.DisplayName = fmt.Sprintf("%s device %02d", d.OperatingSystem, i+1)
		}
		t.devices[d.ID] = d
		t.objectType[d.ID] = TypeDevice
	}
	nc := max(3, min(40, t.cfg.Users/100))
	for range nc {
		first, last, dom := g.pick(firstNames), g.pick(lastNames), g.pick(guestDomains)
		c := &Contact{ID: guidFrom(g.rng), DisplayName: first + " " + last + " (" + dom + ")", CompanyName: dom}
		c.Mail = g.uniqueExternal(asciiLocal(first+"."+last), dom) + "@" + dom
		t.contacts[c.ID] = c
		t.objectType[c.ID] = TypeContact
		t.proxyOwners[proxyKey(c.Mail)]++
	}
}

// sortedIDs returns the keys of m sorted, for deterministic iteration.
func sortedIDs[V any](m map[string]V) []string {
	ids := make([]string, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// newGroup creates a group with the next creation time; groups are created oldest first.
func (g *generator) newGroup(name, desc string, unified, security bool, created time.Time) *Group {
	t := g.t
	gr := &Group{
		ID: guidFrom(g.rng), DisplayName: name, Description: desc, SecurityEnabled: security,
		CreatedDateTime: created, ProcessingState: processingComplete,
	}
	nick := asciiLocal(strings.NewReplacer(" ", "", "-", "", "+", "", "(", "", ")", "").Replace(name))
	if nick == "" {
		nick = "group"
	}
	gr.MailNickname = g.uniqueLocal(nick)
	if unified {
		gr.GroupTypes = []string{"Unified"}
		gr.MailEnabled = true
		gr.Mail = gr.MailNickname + "@" + t.vanity
		t.proxyOwners[proxyKey(gr.Mail)]++
	}
	t.addGroup(gr)
	return gr
}

func (g *generator) groups() {
	t := g.t
	total, licensed := t.cfg.Groups, t.cfg.LicensedGroups
	general := licensed - 6 // the scenario groups are the others
	unlicensed := total - licensed
	// Creation times: general groups over the last five years, scenario groups in the last weeks.
	step := 5 * 365 * 24 * time.Hour / time.Duration(general+unlicensed+1)
	created := g.now.Add(-5 * 365 * 24 * time.Hour)
	next := func() time.Time {
		created = created.Add(step)
		return created.Truncate(time.Second)
	}
	firstCycle := []licKind{kindO365E3, kindStudentsAll, kindM365E5, kindF3, kindM365E3, kindPowerBI, kindE1, kindProject, kindVisio, kindStudents}
	cycle := []licKind{kindStudents, kindO365E3, kindM365E3, kindF3, kindE1, kindPowerBI, kindM365E5, kindProject, kindVisio, kindO365E3}
	for i := range general {
		k := firstCycle[min(i, len(firstCycle)-1)]
		if i >= len(firstCycle) {
			k = cycle[(i-len(firstCycle))%len(cycle)]
		}
		g.licensedGroup(k, len(g.kinds[k])+1, next())
	}
	g.unlicensedGroups(unlicensed, next)
	g.memberships()
	g.scenarioGroups()
	g.dynamicMemberships()
	for id, list := range t.memberOf {
		if !slices.IsSortedFunc(list, func(a, b string) int { return t.groupByID[a].seq - t.groupByID[b].seq }) {
			slices.SortFunc(list, func(a, b string) int { return t.groupByID[a].seq - t.groupByID[b].seq })
			t.memberOf[id] = list
		}
	}
}

func (g *generator) licensedGroup(k licKind, n int, created time.Time) {
	lic := func(sku string, disabled ...string) License { return License{SKUID: sku, DisabledPlans: disabled} }
	var name string
	var tmpl []License
	unified := false
	switch k {
	case kindO365E3:
		name = fmt.Sprintf("LIC-O365-E3-Staff-%02d", n)
		tmpl = []License{lic(skuO365E3)}
		switch g.rng.IntN(3) {
		case 0:
			tmpl = []License{lic(skuO365E3, planSway, planKaizalaO365P3)}
		case 1:
			tmpl = append(tmpl, lic(skuAudioConf))
		}
	case kindStudentsAll:
		name = "LIC-A1-All-Students"
		tmpl = []License{lic(skuA1Students)}
	case kindStudents:
		name = fmt.Sprintf("LIC-A1-Students-Cohort-%d", 2019+n)
		tmpl = []License{lic(skuA1Students, planStaffHub)}
	case kindM365E5:
		name = fmt.Sprintf("LIC-M365-E5-Leadership-%02d", n)
		tmpl = []License{lic(skuM365E5)}
	case kindM365E3:
		name = fmt.Sprintf("LIC-M365-E3-Staff-%02d", n)
		tmpl = []License{lic(skuM365E3), lic(skuDefenderP2)}
		if g.chance(0.5) {
			tmpl = append(tmpl, lic(skuAudioConf))
		}
	case kindF3:
		name = fmt.Sprintf("LIC-M365-F3-Frontline-%02d", n)
		tmpl = []License{lic(skuM365F3)}
	case kindE1:
		name = fmt.Sprintf("LIC-O365-E1-Staff-%02d", n)
		tmpl = []License{lic(skuO365E1)}
		if g.chance(0.5) {
			tmpl = append(tmpl, lic(skuPowerBIPro))
		}
	case kindPowerBI:
		name, unified = fmt.Sprintf("Power BI Pro Users %02d", n), true
		tmpl = []License{lic(skuPowerBIPro)}
	case kindProject:
		name = fmt.Sprintf("LIC-Project-Plan3-%02d", n)
		tmpl = []License{lic(skuProjectP3)}
	case kindVisio:
		name = fmt.Sprintf("LIC-Visio-Plan2-%02d", n)
		tmpl = []License{lic(skuVisioP2)}
	}
	gr := g.newGroup(name, "Assigns licenses: group-based licensing", unified, true, created)
	gr.Licenses = tmpl
	if k == kindStudentsAll {
		gr.GroupTypes = append(gr.GroupTypes, "DynamicMembership")
		gr.MembershipRule = `user.jobTitle -eq "Student"`
		gr.MembershipRuleProcessingState = "On"
	}
	g.kinds[k] = append(g.kinds[k], gr)
}

// unlicensedGroups creates the ordinary groups: security, Microsoft 365, distribution lists and
// dynamic groups, a few with nested groups, devices and contacts as members.
func (g *generator) unlicensedGroups(n int, next func() time.Time) {
	t := g.t
	maxDynamic := max(4, t.cfg.Groups/100)
	dynamic := 0
	kinds := []string{"security", "unified", "dynDept", "mixed", "dynMemberOf", "project", "dynOther", "dl"}
	codenames := []string{"Aurora", "Borealis", "Cascade", "Delta", "Everest", "Falcon", "Glacier", "Horizon", "Ion", "Juniper", "Kestrel", "Lumen"}
	var static []*Group
	others := []string{`user.city -eq "Seattle"`, `user.userType -eq "Guest"`, `(user.department -eq "Sales") -and (user.accountEnabled -eq true)`,
		`user.jobTitle -startsWith "Senior"`, `user.department -in ["Finance", "Legal"]`, `user.objectId -ne null -and user.userType -eq "Member"`}
	deptIdx := 0
	depts := slices.Concat(staffDepts, academicDepts)
	for i := range n {
		k := kinds[i%len(kinds)]
		if strings.HasPrefix(k, "dyn") && (dynamic >= maxDynamic || k == "dynMemberOf" && len(static) == 0) {
			k = "security"
		}
		dept := depts[deptIdx%len(depts)]
		var gr *Group
		switch k {
		case "security":
			gr = g.newGroup(fmt.Sprintf("SG-%s-%03d", strings.ReplaceAll(dept, " ", ""), i+1), "Access group for "+dept, false, true, next())
			deptIdx++
		case "unified":
			gr = g.newGroup(dept+" Team", "Microsoft 365 group of "+dept, true, false, next())
			deptIdx++
		case "project":
			gr = g.newGroup("Project "+codenames[(i/len(kinds))%len(codenames)]+fmt.Sprintf(" %d", i+1), "Project workspace", true, false, next())
		case "dl":
			gr = g.newGroup(fmt.Sprintf("DL %s Announcements %d", dept, i+1), "Distribution list", false, false, next())
			gr.MailEnabled = true
			gr.Mail = gr.MailNickname + "@" + t.vanity
			t.proxyOwners[proxyKey(gr.Mail)]++
			deptIdx++
		case "mixed":
			gr = g.newGroup(fmt.Sprintf("SG-Devices-and-Partners-%03d", i+1), "Kiosk devices, partner contacts and nested teams", false, true, next())
		case "dynDept", "dynMemberOf", "dynOther":
			dynamic++
			var rule string
			switch k {
			case "dynDept":
				d := "Sales"
				if dynamic > 1 {
					d = dept
					deptIdx++
				}
				rule = `user.department -eq "` + d + `"`
			case "dynMemberOf":
				ref := static[g.rng.IntN(len(static))]
				rule = `user.memberof -any (group.objectId -in ['` + ref.ID + `'])`
			default:
				rule = others[(dynamic/3)%len(others)]
			}
			gr = g.newGroup(fmt.Sprintf("DYN-%03d %s", i+1, ruleTitle(rule)), "Dynamic membership", false, true, next())
			gr.GroupTypes = append(gr.GroupTypes, "DynamicMembership")
			gr.MembershipRule = rule
			gr.MembershipRuleProcessingState = "On"
		}
		if gr.MembershipRule == "" {
			static = append(static, gr)
		}
	}
}

func ruleTitle(rule string) string {
	if strings.Contains(rule, "memberof") {
		return "Members of referenced group"
	}
	if i := strings.IndexByte(rule, '"'); i >= 0 {
		if j := strings.IndexByte(rule[i+1:], '"'); j >= 0 {
			return rule[i+1 : i+1+j]
		}
	}
	return "Rule"
}

// memberships fills static groups: licensed groups by population, the others at random with a
// skew so that a few groups are large.
func (g *generator) memberships() {
	t := g.t
	var static, mixed []*Group
	for _, gr := range t.groups {
		if gr.MembershipRule != "" || len(gr.Licenses) > 0 {
			continue
		}
		static = append(static, gr)
		if strings.HasPrefix(gr.DisplayName, "SG-Devices-and-Partners") {
			mixed = append(mixed, gr)
		}
	}
	staffTiers := []licKind{}
	for _, k := range []licKind{kindO365E3, kindM365E3, kindM365E5, kindE1} {
		if len(g.kinds[k]) > 0 {
			staffTiers = append(staffTiers, k)
		}
	}
	join := func(k licKind, u *User) {
		if gs := g.kinds[k]; len(gs) > 0 {
			t.addMember(gs[g.rng.IntN(len(gs))], u.ID)
		}
	}
	for _, u := range t.users {
		switch u.role {
		case roleStudent:
			if g.chance(0.7) {
				join(kindStudents, u)
			}
		case roleFrontline:
			join(kindF3, u)
		case roleStaff, roleUniqueness:
			if len(staffTiers) == 0 {
				break
			}
			tier := staffTiers[g.rng.IntN(len(staffTiers))]
			if tier == kindM365E5 && g.chance(0.6) { // leadership is a minority
				tier = staffTiers[0]
			}
			if u.role == roleUniqueness {
				tier = kindO365E3
			}
			g.tier[u] = tier
			if u.role == roleUniqueness {
				t.addMember(g.kinds[kindO365E3][0], u.ID)
			} else {
				join(tier, u)
			}
			if u.role == roleStaff && g.chance(0.12) {
				join(kindPowerBI, u)
			}
			if u.role == roleStaff && tier != kindE1 && g.chance(0.05) {
				join(kindProject, u)
			}
			if u.role == roleStaff && g.chance(0.04) {
				join(kindVisio, u)
			}
		}
		if len(static) > 0 && u.role != roleGuest {
			for range g.rng.IntN(4) {
				f := g.rng.Float64()
				t.addMember(static[int(f*f*float64(len(static)))], u.ID)
			}
		} else if len(static) > 0 && g.chance(0.3) {
			t.addMember(static[g.rng.IntN(len(static))], u.ID)
		}
	}
	// Members that are no users: devices, contacts and nested groups; and one licensed group with
	// a nested group, whose members group-based licensing does not reach.
	devs, cons := sortedIDs(t.devices), sortedIDs(t.contacts)
	for i, gr := range mixed {
		for j, d := range devs {
			if j%len(mixed) == i {
				t.addMember(gr, d)
			}
		}
		for j, c := range cons {
			if j%len(mixed) == i {
				t.addMember(gr, c)
			}
		}
		if len(static) > 1 {
			if nested := static[(i+1)%len(static)]; nested != gr {
				t.addMember(gr, nested.ID)
			}
		}
	}
	if len(mixed) == 0 && len(static) > 0 {
		t.addMember(static[0], devs[0])
		t.addMember(static[0], cons[0])
	}
	if len(static) > 0 && len(g.kinds[kindO365E3]) > 0 {
		t.addMember(g.kinds[kindO365E3][0], static[0].ID)
	}
}

// scenarioGroups creates the four licensed groups of the seeded error scenarios, newest of all.
func (g *generator) scenarioGroups() {
	t := g.t
	at := func(daysAgo int) time.Time {
		return g.now.Add(-time.Duration(daysAgo)*24*time.Hour - time.Duration(g.rng.IntN(36000))*time.Second)
	}
	a1 := g.newGroup("LIC-A1-Teaching-Assistants", "Teaching assistants: A1 for students and A1 for faculty", false, true, at(9))
	a1.Licenses = []License{{SKUID: skuA1Students}, {SKUID: skuA1Faculty}}
	// The admin switched off Exchange and SharePoint because the lecturers hold Office 365 E3,
	// and forgot Yammer: YAMMER_EDU conflicts with E3's YAMMER_ENTERPRISE, as in the field.
	conflict := g.newGroup("LIC-A1-Students-Visiting-Lecturers", "A1 for visiting lecturers (Exchange and SharePoint off: they have E3)", false, true, at(7))
	conflict.Licenses = []License{{SKUID: skuA1Students, DisabledPlans: []string{planEXOStandard, planSPOStandardEdu}}}
	dep := g.newGroup("LIC-Audio-Conferencing-Contractors", "Dial-in conferencing and Power BI for contractors", false, true, at(5))
	dep.Licenses = []License{{SKUID: skuAudioConf}, {SKUID: skuPowerBIPro}}
	loc := g.newGroup("LIC-O365-E3-Minsk-Office", "Office 365 E3 with audio conferencing for the Minsk office", false, true, at(3))
	loc.Licenses = []License{{SKUID: skuO365E3}, {SKUID: skuAudioConf}}
	// Visio Plan 2 joins this template later (laterChanges): its expired subscription takes no new
	// users, so the change fails all-or-none and the E3 the architects have stays, ActiveWithError.
	arch := g.newGroup("LIC-O365-E3-Campus-Architects", "Office 365 E3 for campus planning; Visio Plan 2 added recently", false, true, at(21))
	arch.Licenses = []License{{SKUID: skuO365E3}}
	// Its subscription was suspended after the pilot started: the assignments are Disabled.
	pilot := g.newGroup("LIC-Power-Automate-Pilot", "Power Automate for the process automation pilot", false, true, at(26))
	pilot.Licenses = []License{{SKUID: skuPowerAutoFree}}
	for _, p := range []struct {
		gr *Group
		r  userRole
	}{{a1, roleTA}, {conflict, roleConflict}, {dep, roleDependency}, {loc, roleLocation}, {arch, roleArchitect}, {pilot, rolePilot}} {
		for _, u := range g.byRole[p.r] {
			t.addMember(p.gr, u.ID)
		}
	}
	t.Scenarios.A1Group, t.Scenarios.ConflictGroup = a1.ID, conflict.ID
	t.Scenarios.DependencyGroup, t.Scenarios.UsageLocationGroup = dep.ID, loc.ID
	t.Scenarios.FacultySKU, t.Scenarios.StudentSKU = skuA1Faculty, skuA1Students
	t.Scenarios.ActiveWithErrorGroup, t.Scenarios.DisabledGroup = arch.ID, pilot.ID
}

// dynamicMemberships evaluates every dynamic group's rule in creation order, so a memberof
// rule sees the groups created before it.
func (g *generator) dynamicMemberships() {
	t := g.t
	for _, gr := range t.groups {
		if gr.MembershipRule == "" {
			continue
		}
		rule, err := parseRule(gr.MembershipRule)
		if err != nil {
			// Generated rules are constants of this file; a failure is a bug worth seeing.
			gr.Description = "rule error: " + err.Error()
			continue
		}
		t.fillDynamic(gr, rule)
	}
}

// licenses assigns direct licenses, evaluates everybody and then sets prepaid units from what
// is consumed: some SKUs with room, some nearly full, some full, one in warning, one suspended.
func (g *generator) licenses() {
	t := g.t
	direct := func(u *User, sku string) { u.DirectLicenses = append(u.DirectLicenses, License{SKUID: sku}) }
	for _, u := range t.users {
		switch u.role {
		case roleFaculty:
			direct(u, skuA1Faculty)
		case roleConflict:
			direct(u, skuO365E3)
		case roleDependency:
			direct(u, skuEXOP1)
		case roleService:
			direct(u, skuEXOP2)
		case roleStaff:
			if u.UsageLocation == "" {
				break
			}
			if g.chance(0.04) {
				direct(u, skuPowerBIPro)
			}
			if tier, ok := g.tier[u]; ok && tier != kindE1 && g.chance(0.02) {
				direct(u, skuProjectP3)
			}
		}
	}
	for _, u := range t.users {
		sortLicenses(u.DirectLicenses) // the one order of every license list (sortLicenses)
	}
	t.skuByID[skuA1Faculty].Prepaid.Enabled = g.faculty
	// Direct assignments came first and hold their units; then group licensing ran.
	for _, u := range t.users {
		if len(u.DirectLicenses) > 0 {
			t.evaluate(u, g.now, true)
		}
	}
	for _, u := range t.users {
		res := t.evaluate(u, g.now, false)
		for _, oc := range res.outcomes {
			if oc.failed {
				g.failures[u] = append(g.failures[u], oc)
			}
		}
	}
	g.backdateStates()
	roundUp := func(n, to int) int { return (n + to - 1) / to * to }
	ample := func(n int) int { return roundUp(n+max(5, n/10), 10) }
	for _, s := range t.skus {
		c := s.ConsumedUnits
		switch s.ID {
		case skuA1Students:
			s.Prepaid.Enabled = max(1000000, ample(c))
		case skuA1Faculty:
			// full: every unit taken by the faculty's direct assignments
		case skuM365E5:
			s.Prepaid.Enabled = c + 2
		case skuM365F3:
			s.Prepaid.Enabled = c + 3
		case skuProjectP3:
			s.Prepaid.Enabled = c + 1
		case skuPowerBIPro:
			s.Prepaid.Enabled = c
		case skuVisioP2:
			// expired, in its grace period: the units moved from enabled to warning
			s.CapabilityStatus, s.Prepaid.Enabled, s.Prepaid.Warning = "Warning", 0, roundUp(c+3, 5)
		case skuPowerAutoFree:
			s.CapabilityStatus, s.Prepaid.Enabled, s.Prepaid.Suspended = "Suspended", 0, 10000
		default:
			s.Prepaid.Enabled = ample(c)
		}
	}
	g.laterChanges()
}

// laterChanges plays what happened after the licenses were first processed: the Power Automate
// subscription was suspended ten days ago (its holders' assignments turn Disabled), and two days
// ago Visio Plan 2, whose expired subscription takes no new users, joined the architects'
// template (the change fails all-or-none; the E3 they hold stays, ActiveWithError).
func (g *generator) laterChanges() {
	t := g.t
	suspended := g.now.Add(-10 * 24 * time.Hour)
	for _, u := range t.users {
		if slices.ContainsFunc(u.AssignedLicenses, func(l License) bool { return subscriptionOff(t.skuByID[l.SKUID].CapabilityStatus) }) {
			t.evaluate(u, suspended, false)
		}
	}
	arch := t.groupByID[t.Scenarios.ActiveWithErrorGroup]
	changed := g.now.Add(-2*24*time.Hour - time.Duration(g.rng.IntN(36000))*time.Second)
	g.changes[arch] = templateChange{old: cloneLicenses(arch.Licenses), at: changed}
	arch.Licenses = append(arch.Licenses, License{SKUID: skuVisioP2})
	sortLicenses(arch.Licenses)
	for _, id := range arch.Members {
		if u := t.userByID[id]; u != nil {
			for _, oc := range t.evaluate(u, changed.Add(10*time.Minute), false).outcomes {
				if oc.failed {
					g.failures[u] = append(g.failures[u], oc)
				}
			}
		}
	}
}

// backdateStates sets each license state's lastUpdatedDateTime to when it was plausibly
// processed: shortly after the later of the user's and the group's creation.
func (g *generator) backdateStates() {
	t := g.t
	for _, u := range t.users {
		for i := range u.LicenseStates {
			st := &u.LicenseStates[i]
			at := u.CreatedDateTime
			if gr := t.groupByID[st.AssignedByGroup]; gr != nil && gr.CreatedDateTime.After(at) {
				at = gr.CreatedDateTime
			}
			st.LastUpdated = at.Add(7 * time.Minute)
			if st.LastUpdated.After(g.now) {
				st.LastUpdated = g.now
			}
		}
	}
}

// history writes the audit events of the last 30 days (the log's retention): the creation and
// first processing of the scenario groups with their failures, and license changes of users
// created this month.
func (g *generator) history() {
	t := g.t
	since := g.now.Add(-30 * 24 * time.Hour)
	admin := Actor{AppID: guidFrom(g.rng), DisplayName: "Contoso License Automation"}
	for _, gr := range t.groups {
		if gr.CreatedDateTime.Before(since) {
			continue
		}
		t.auditAddGroup(gr, gr.CreatedDateTime, admin)
		if len(gr.Licenses) == 0 {
			continue
		}
		tpl := gr.Licenses
		ch, changed := g.changes[gr]
		if changed {
			gr.Licenses = ch.old // as it was at creation
		}
		t.auditSetGroupLicense(gr, nil, gr.CreatedDateTime.Add(time.Minute), admin)
		t.auditGroupProcessing(gr, activityStartGBL, gr.CreatedDateTime.Add(2*time.Minute))
		t.auditGroupProcessing(gr, activityFinishGBL, gr.CreatedDateTime.Add(12*time.Minute))
		gr.Licenses = tpl
		if changed {
			t.auditSetGroupLicense(gr, ch.old, ch.at, admin)
			t.auditGroupProcessing(gr, activityStartGBL, ch.at.Add(time.Minute))
			t.auditGroupProcessing(gr, activityFinishGBL, ch.at.Add(11*time.Minute))
		}
	}
	for _, u := range t.users {
		fails := g.failures[u]
		if u.CreatedDateTime.Before(since) && len(fails) == 0 {
			continue
		}
		for _, oc := range fails {
			at, _ := g.stateTime(u, oc.group)
			t.auditLicenseFailure(u, oc.first, at, t.gblInitiator(), t.newGUID())
		}
		if !u.CreatedDateTime.Before(since) && len(u.AssignedLicenses) > 0 {
			by := t.gblInitiator()
			if len(u.DirectLicenses) > 0 {
				by = actorInitiator(admin)
			}
			t.auditLicenseChange(u, nil, u.AssignedLicenses, u.CreatedDateTime.Add(7*time.Minute), by, t.newGUID())
		}
	}
}

func (g *generator) stateTime(u *User, group string) (time.Time, bool) {
	for _, s := range u.LicenseStates {
		if s.AssignedByGroup == group {
			return s.LastUpdated, true
		}
	}
	return g.now, false
}
