// Package sspr tells whether an Entra ID password-reset "contact your administrator" email is
// genuine: it reads the message (pasted text, .eml or Outlook .msg), trusts only the
// Authentication-Results that this tenant's Exchange Online added, checks the sender strictly,
// and — the heart of the verdict — looks in the audit log for the user's self-service password
// reset flow that ended in asking an administrator, shortly before the mail. The server and
// the command line both call it. The message itself is never stored or logged.
package sspr

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/iprange"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/permissions"
)

// UserSource finds a user by object id or user principal name; *store.Store (the snapshot)
// and *graph.Client (live) implement it. A user it does not have is model.ErrNotFound.
type UserSource interface {
	User(ctx context.Context, idOrUPN string) (model.User, error)
}

// AuditSource reads directory audit events; *graph.Client implements it.
type AuditSource interface {
	DirectoryAudits(ctx context.Context, q model.AuditQuery) ([]model.AuditEvent, error)
}

// RoleSource reads the tenant's activated directory roles and their members; *graph.Client
// implements it.
type RoleSource interface {
	DirectoryRoles(ctx context.Context) ([]model.DirectoryRole, error)
	DirectoryRoleMembers(ctx context.Context, roleID string) ([]model.DirectoryObject, error)
}

// Options are the verifier's settings (TENANTDESK_SSPR_*).
type Options struct {
	MaxBytes int64         // size limit of a message; < 1 means DefaultMaxBytes
	Before   time.Duration // audit window before the message's time; 0 means 2h
	After    time.Duration // and after it; 0 means 15m
	// TrustedARCSealers are the domains of gateways in front of Exchange Online whose ARC
	// results count, as in Exchange's trusted ARC sealers.
	TrustedARCSealers []string
}

// Defaults of Options.
const (
	DefaultBefore = 2 * time.Hour
	DefaultAfter  = 15 * time.Minute
)

// Deps are what the verifier reads. Every one is required.
type Deps struct {
	// Users are tried in order: the snapshot first, then Graph for users newer than it.
	Users  []UserSource
	Audits AuditSource
	Roles  RoleSource
	IP     iprange.Looker
	// TenantID returns this tenant's directory id (GUID).
	TenantID func(ctx context.Context) (string, error)
	Options  Options
	Now      func() time.Time // nil means time.Now
	// Logger gets failures to read the tenant (never anything of a message); nil discards.
	Logger *slog.Logger
}

// Verifier checks messages. It is safe for concurrent use.
type Verifier struct {
	users    []UserSource
	audits   AuditSource
	roles    RoleSource
	ip       iprange.Looker
	tenantID func(ctx context.Context) (string, error)
	opts     Options
	now      func() time.Time
	log      *slog.Logger
}

// New checks d and returns a Verifier.
func New(d Deps) (*Verifier, error) {
	var missing []string
	if len(d.Users) == 0 || slices.Contains(d.Users, nil) {
		missing = append(missing, "Users")
	}
	for _, x := range []struct {
		name string
		ok   bool
	}{{"Audits", d.Audits != nil}, {"Roles", d.Roles != nil}, {"IP", d.IP != nil}, {"TenantID", d.TenantID != nil}} {
		if !x.ok {
			missing = append(missing, x.name)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("sspr: %s required", strings.Join(missing, ", "))
	}
	o := d.Options
	if o.MaxBytes < 1 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.Before <= 0 {
		o.Before = DefaultBefore
	}
	if o.After <= 0 {
		o.After = DefaultAfter
	}
	v := &Verifier{users: d.Users, audits: d.Audits, roles: d.Roles, ip: d.IP, tenantID: d.TenantID, opts: o, now: d.Now, log: d.Logger}
	if v.now == nil {
		v.now = time.Now
	}
	if v.log == nil {
		v.log = slog.New(slog.DiscardHandler)
	}
	return v, nil
}

// Options returns the settings in force.
func (v *Verifier) Options() Options { return v.opts }

// Verify reads a message (name is the uploaded file's, "" for a paste) and checks it. Input it
// cannot use is a *model.TooLargeError or *model.InputError; everything else, including
// Graph failures, is in the report.
func (v *Verifier) Verify(ctx context.Context, data []byte, name string) (Report, error) {
	m, err := Read(data, name, v.opts.MaxBytes)
	if err != nil {
		return Report{}, err
	}
	return v.Check(ctx, m), nil
}

// Check checks a message that has been read.
func (v *Verifier) Check(ctx context.Context, m *Message) Report {
	rep := Report{At: v.now(), Flows: []Flow{}}
	f := &facts{}
	if rs := m.All("X-Forefront-Antispam-Report"); len(rs) > 0 {
		f.report = parseReport(rs[0].Value)
		if a, err := netip.ParseAddr(f.report["CIP"]); err == nil {
			f.cip = a.Unmap()
		}
	}
	if m.HasHeaders() {
		f.trustBoundary(m)
		f.arcCheck(m, v.opts.TrustedARCSealers)
		if f.trusted != nil {
			f.authChecks()
		}
		f.senderCheck(m)
		f.ipCheck(v.ip)
		tid, terr := v.tenantID(ctx)
		f.tenantCheck(m, tid, terr)
		f.spamCheck(m)
	} else {
		f.add(Check{ID: checkTrusted, Title: "Trusted Authentication-Results", Status: StatusWarn, Source: "none",
			Message: "No headers were given, only the body: nothing shows who sent the message."})
	}
	f.ignoreInBody(m)
	f.linkCheck(m)
	if m.HasHeaders() {
		v.recipientCheck(ctx, f, m, &rep)
	}
	sortChecks(f.checks)
	rep.Checks, rep.Ignored = f.checks, f.ignored
	rep.Message = messageInfo(m, f)

	basis, basisName := v.now(), "now (the message has no date)"
	switch {
	case f.boundary != nil && !f.boundary.At.IsZero():
		basis, basisName = f.boundary.At, "when this tenant's Exchange Online received the message"
	case !rep.Message.Date.IsZero():
		basis, basisName = rep.Message.Date, "the message's Date"
	}
	rep.Window = Window{From: basis.Add(-v.opts.Before).UTC(), To: basis.Add(v.opts.After).UTC(), Basis: basisName}

	c := v.correlate(ctx, m, f, &rep, basis)
	decide(&rep, m, f, c, basis)
	return rep
}

// checkOrder is the order checks are shown in.
var checkOrder = []string{checkTrusted, checkSPF, checkDKIM, checkDMARC, checkCompauth, checkARC, checkSender,
	checkIP, checkTenant, checkSpam, checkLinks, checkRecipient}

func sortChecks(cs []Check) {
	slices.SortStableFunc(cs, func(a, b Check) int {
		return slices.Index(checkOrder, a.ID) - slices.Index(checkOrder, b.ID)
	})
}

// messageInfo is what the report shows of the message: its headers' From, To, Subject, Date.
func messageInfo(m *Message, f *facts) MessageInfo {
	mi := MessageInfo{Format: m.Format, HasHeaders: m.HasHeaders(), HasBody: m.HasBody(), Fields: len(m.Fields), Notes: m.Notes}
	if fr, ok := m.Get("From"); ok {
		mi.From = decodeText(fr.Value)
	}
	if to, ok := m.Get("To"); ok {
		f.to = parseAddresses(to.Value)
		for _, a := range f.to {
			mi.To = append(mi.To, a.Address)
		}
	}
	if s, ok := m.Get("Subject"); ok {
		mi.Subject = decodeText(s.Value)
	}
	if d, ok := m.Get("Date"); ok {
		if t, err := parseDate(d.Value); err == nil {
			mi.Date = t.UTC()
		}
	}
	if f.boundary != nil && !f.boundary.At.IsZero() {
		mi.ReceivedAt = f.boundary.At.UTC()
	}
	return mi
}

// correlation is what the audit log says about the user the body names.
type correlation struct {
	upn         string // named in the body; "" when none was found
	user        *model.User
	lookupErr   error // the directory could not be read
	auditErr    error // the audit log could not be read
	auditDenied bool  // ... because the app lacks AuditLog.Read.All
}

// correlate finds the user the body names, reads their password reset events in the window
// and groups them into flows.
func (v *Verifier) correlate(ctx context.Context, m *Message, f *facts, rep *Report, basis time.Time) correlation {
	var c correlation
	if !m.HasBody() {
		return c
	}
	exclude := []string{SenderAddress}
	for _, a := range append(slices.Clone(f.from), f.to...) {
		exclude = append(exclude, a.Address)
	}
	named := namedUser(m.Text, exclude)
	if len(named.candidates) == 0 {
		return c
	}
	c.upn = named.candidates[0]
	var errs []error
	for _, upn := range named.candidates {
		u, err := v.findUser(ctx, upn)
		if err == nil {
			c.upn, c.user = upn, &u
			break
		}
		if !errors.Is(err, model.ErrNotFound) {
			errs = append(errs, err)
		}
	}
	if c.user == nil {
		rep.User = &UserMatch{UPN: c.upn}
		if len(errs) > 0 {
			v.log.WarnContext(ctx, "password-reset check: the directory could not be read", "err", errs[0])
			c.lookupErr = errs[0]
			rep.Warnings = append(rep.Warnings, "The directory could not be read to find "+c.upn+": "+model.DescribeGraphError(errs[0]))
		}
		return c
	}
	u := c.user
	rep.User = &UserMatch{UPN: c.upn, Found: true, ID: u.ID, DisplayName: u.DisplayName, Enabled: u.AccountEnabled}
	if named.first != "" || named.last != "" {
		rep.User.NamedAs = strings.TrimSpace(named.first + " " + named.last)
		rep.User.NameMatches = strings.EqualFold(named.first, u.GivenName) && strings.EqualFold(named.last, u.Surname)
	}
	events, err := v.audits.DirectoryAudits(ctx, model.AuditQuery{LoggedByService: SSPRService, TargetID: u.ID,
		Since: rep.Window.From, Until: rep.Window.To, Max: 500})
	if err != nil {
		v.log.WarnContext(ctx, "password-reset check: the audit log could not be read", "err", err)
		c.auditErr = err
		c.auditDenied = errors.Is(err, model.ErrForbidden)
		rep.Warnings = append(rep.Warnings, "The audit log could not be read: "+model.DescribeGraphError(err))
		return c
	}
	rep.Flows = flows(events, v.ip)
	matchFlow(rep.Flows, basis, v.opts.After)
	return c
}

// findUser asks each user source in turn; the first that knows the user answers.
func (v *Verifier) findUser(ctx context.Context, upn string) (model.User, error) {
	var first error
	for _, s := range v.users {
		u, err := s.User(ctx, upn)
		if err == nil {
			return u, nil
		}
		if first == nil || (errors.Is(first, model.ErrNotFound) && !errors.Is(err, model.ErrNotFound)) {
			first = err
		}
	}
	return model.User{}, first
}

// adminRoles are the roles whose holders receive the notification (Entra ID mails Helpdesk and
// Password Administrators first, else User Administrators, else Global Administrators), by
// their role template ids, which are the same in every tenant.
var adminRoles = map[string]string{
	"729827e3-9c14-49f7-bb1b-9608f156bbb8": "Helpdesk Administrator",
	"966707d0-3269-4727-9be2-8c3a10f19b9d": "Password Administrator",
	"fe930be7-5e62-47db-91af-98c3a49a38b1": "User Administrator",
	"62e90394-69f5-4237-9190-012177145e10": "Global Administrator",
}

// recipientCheck: the notification goes to the tenant's administrators holding a role that
// receives it. Roles that cannot be read make it a warning, not a failure.
func (v *Verifier) recipientCheck(ctx context.Context, f *facts, m *Message, rep *Report) {
	c := Check{ID: checkRecipient, Title: "Recipients", Source: "To"}
	to, ok := m.Get("To")
	if !ok {
		c.Status, c.Message = StatusWarn, "The headers have no To: the recipients cannot be checked."
		f.add(c)
		return
	}
	c.Source, c.Value = fieldRef(to), to.Value
	rcpts := parseAddresses(to.Value)
	holders, err := v.roleHolders(ctx)
	if err != nil {
		v.log.WarnContext(ctx, "password-reset check: directory roles could not be read", "err", err)
		why := model.DescribeGraphError(err)
		c.Status = StatusWarn
		c.Message = "The tenant's administrator roles could not be read, so the recipients were not checked (" + why + "). Grant the app " + permissions.RoleManagementRead + " (or " + permissions.DirectoryRead + ")."
		rep.Warnings = append(rep.Warnings, "Directory roles could not be read: "+why)
		f.add(c)
		return
	}
	var admins, others []string
	for _, a := range rcpts {
		if role, ok := holders[strings.ToLower(a.Address)]; ok {
			admins = append(admins, a.Address+" ("+role+")")
		} else {
			others = append(others, a.Address)
		}
	}
	switch {
	case len(rcpts) == 0:
		c.Status, c.Message = StatusWarn, "To holds no readable address."
	case len(others) == 0:
		c.Status, c.Message = StatusPass, "Sent to "+joinFirst(admins, 4)+": administrators who receive these notifications."
	case len(admins) == 0:
		c.Status, c.Message = StatusFail, "Sent to "+joinFirst(others, 4)+", who "+plural(len(others), "holds", "hold")+" none of the roles that receive these notifications (Helpdesk, Password, User or Global Administrator)."
	default:
		c.Status, c.Message = StatusWarn, "Sent to administrators ("+joinFirst(admins, 3)+") but also to "+joinFirst(others, 3)+", who "+plural(len(others), "holds", "hold")+" no role that receives these notifications."
	}
	f.add(c)
}

// roleHolders maps the lower-case addresses (UPN and mail) of every member of the roles that
// receive the notification to the role's name. Members Graph returns with limited information
// (no UPN or mail) are looked up by id.
func (v *Verifier) roleHolders(ctx context.Context) (map[string]string, error) {
	roles, err := v.roles.DirectoryRoles(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, r := range roles {
		name, ok := adminRoles[strings.ToLower(r.TemplateID)]
		if !ok {
			continue
		}
		members, err := v.roles.DirectoryRoleMembers(ctx, r.ID)
		if err != nil {
			return nil, err
		}
		for _, mb := range members {
			if mb.Type != "" && mb.Type != model.ObjectUser {
				continue
			}
			if mb.UserPrincipalName == "" && mb.Mail == "" {
				if u, err := v.findUser(ctx, mb.ID); err == nil {
					mb.UserPrincipalName, mb.Mail = u.UserPrincipalName, u.Mail
				}
			}
			for _, a := range []string{mb.UserPrincipalName, mb.Mail} {
				if a != "" {
					out[strings.ToLower(a)] = name
				}
			}
		}
	}
	return out, nil
}
