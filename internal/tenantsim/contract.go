package tenantsim

// TEMPORARY: the engine's method set, so the HTTP layer compiles while the engine is written.
// The engine's author replaces every body here (and deletes this file) with the real thing.

// New generates a tenant from cfg (defaults filled in). Same cfg, same tenant.
func New(cfg Config) (*Tenant, error) { panic("engine not written yet") }

// Tick applies group license processing whose time has come (ProcessingDue passed) and moves
// QueuedForProcessing -> ProcessingInProgress -> ProcessingComplete by the clock.
func (t *Tenant) Tick() { panic("engine not written yet") }

// AdvanceProcessing completes every queued or running group processing now.
func (t *Tenant) AdvanceProcessing() { panic("engine not written yet") }

// Reset regenerates the tenant from its Config, dropping every change.
func (t *Tenant) Reset() error { panic("engine not written yet") }

// AssignUserLicenses is POST /users/{id}/assignLicense: all-or-none, Graph's error text.
func (t *Tenant) AssignUserLicenses(userID string, add []License, remove []string, by Actor) (User, error) {
	panic("engine not written yet")
}

// AssignGroupLicenses is POST /groups/{id}/assignLicense: changes the template, queues processing.
func (t *Tenant) AssignGroupLicenses(groupID string, add []License, remove []string, by Actor) (Group, error) {
	panic("engine not written yet")
}

// ReprocessUser is POST /users/{id}/reprocessLicenseAssignment: re-evaluates one user at once.
func (t *Tenant) ReprocessUser(userID string, by Actor) (User, error) { panic("engine not written yet") }

// GroupSpec is the body of POST /groups.
type GroupSpec struct {
	DisplayName     string
	Description     string
	MailNickname    string
	MailEnabled     bool
	SecurityEnabled bool
	GroupTypes      []string
	MembershipRule  string
	Licenses        []License
}

// CreateGroup is POST /groups; dynamic rules are evaluated at once.
func (t *Tenant) CreateGroup(spec GroupSpec, by Actor) (Group, error) { panic("engine not written yet") }

// SetPrepaidUnits sets prepaidUnits.enabled of a SKU ("buy licenses").
func (t *Tenant) SetPrepaidUnits(skuID string, enabled int) error { panic("engine not written yet") }

// ConsumedUnits is how many users really hold the SKU.
func (t *Tenant) ConsumedUnits(skuID string) int { panic("engine not written yet") }

// SSPRFlows lists the generated self-service password reset flows.
func (t *Tenant) SSPRFlows() []SSPRFlow { panic("engine not written yet") }

// RenderSSPREmail renders the RFC 5322 notification mail that the tenant's admins receive for a
// contact-an-admin flow. variant is "genuine" or a spoof kind (see the engine's docs).
func (t *Tenant) RenderSSPREmail(correlationID, variant string) ([]byte, error) {
	panic("engine not written yet")
}
