package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"

	"github.com/tenantdesk/tenantdesk/internal/auth"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/store"
	"github.com/tenantdesk/tenantdesk/web"
)

// LicenseStore is what the group, user and reprocess pages read and write in the current
// snapshot. *store.Store implements it.
type LicenseStore interface {
	UsersInErrorForGroup(ctx context.Context, groupID string) ([]model.User, error)
	User(ctx context.Context, id string) (model.User, error)
	UsersByID(ctx context.Context, ids []string) ([]model.User, error)
	SearchUsers(ctx context.Context, q string, offset, limit int) (model.UserSearchResult, error)
	Groups(ctx context.Context, ids []string) (map[string]model.GroupInfo, error)
	SKUs(ctx context.Context) ([]model.SKUUsage, error)
	ProductCatalog(ctx context.Context) ([]model.Product, error)
	UpdateUsers(ctx context.Context, users []model.User, groups []model.GroupUpdate) error
	UpdateSKUs(ctx context.Context, skus []model.SKU) error
}

var _ LicenseStore = (*store.Store)(nil)

// Directory is live Microsoft Graph as the licensing pages use it. The app adapts
// *graph.Client to it (internal/app/directory.go), so this package does not compile the SDK.
type Directory interface {
	// ReprocessUsers reprocesses each user's license assignments ($batch, throttle-aware)
	// and returns exactly one outcome per id, in input order.
	ReprocessUsers(ctx context.Context, ids []string) []ReprocessOutcome
	User(ctx context.Context, id string) (model.User, error)
	// Users pages through every user of the tenant with licenses and states.
	Users(ctx context.Context, fn func([]model.User) error) error
	Group(ctx context.Context, id string) (model.Group, error)
	GroupMembers(ctx context.Context, id string, fn func([]model.DirectoryObject) error) error
	MembersWithLicenseErrors(ctx context.Context, id string) ([]model.DirectoryObject, error)
	SubscribedSKUs(ctx context.Context) ([]model.SKU, error)
	DirectoryAudits(ctx context.Context, q AuditQuery) ([]model.AuditEvent, error)
}

// ReprocessOutcome is Graph's answer for one user.
type ReprocessOutcome struct {
	UserID string
	Err    error // nil when Graph accepted the reprocess
}

// AuditQuery selects directory audit events.
type AuditQuery struct {
	Activity string    // activityDisplayName eq; "" for every activity
	TargetID string    // targetResources/any(t:t/id eq ...); "" for every target
	Since    time.Time // zero for no lower bound
	Max      int       // stop after this many events
}

// GraphError is a failed Graph call as the pages explain it; the Directory adapter turns the
// Graph client's errors into it.
type GraphError struct {
	Kind       string // "forbidden", "not found", "throttled", "transient", "bad request", ...
	Status     int
	Code       string // Graph's error code, e.g. Authorization_RequestDenied
	Message    string // Graph's message
	Permission string // the application permission the call needs (for forbidden)
	Err        error
}

func (e *GraphError) Error() string {
	var b strings.Builder
	b.WriteString("Microsoft Graph: " + e.Kind)
	if e.Status != 0 {
		fmt.Fprintf(&b, " (HTTP %d", e.Status)
		if e.Code != "" {
			b.WriteString(" " + e.Code)
		}
		b.WriteString(")")
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.Kind == "forbidden" && e.Permission != "" {
		b.WriteString("; the app needs the " + e.Permission + " application permission")
	}
	return b.String()
}

func (e *GraphError) Unwrap() error { return e.Err }

// licensingParts is the state of the group, user and reprocess pages.
type licensingParts struct {
	store   LicenseStore // nil: the pages show only what ReportStore has
	dir     Directory    // nil: live parts unavailable
	members *memberCache
	results *resultStore
}

func newLicensingParts(deps Deps) licensingParts {
	p := licensingParts{
		store:   deps.Licenses,
		dir:     deps.Directory,
		members: newMemberCache(),
		results: &resultStore{m: map[string]storedResult{}},
	}
	if p.store == nil {
		if ls, ok := deps.Store.(LicenseStore); ok {
			p.store = ls
		}
	}
	return p
}

// Limits of one reprocess request.
const (
	maxReprocessUsers = 5000
	maxFormBytes      = 1 << 20
	liveTimeout       = 20 * time.Second
	// reprocessTimeout bounds a reprocess started from the web: it runs on even when the
	// browser gives up, so half the users are not left unreported.
	reprocessTimeout = 15 * time.Minute
)

// refreshBlocked says why license errors cannot be re-read, "" when they can. Re-reading
// needs only read permissions, so it is not gated on the reprocess permission.
func (s *Server) refreshBlocked() string {
	switch {
	case s.lic.dir == nil:
		return "Microsoft Graph is not configured"
	case s.lic.store == nil:
		return "the license data store is not available"
	}
	return ""
}

// reprocessBlocked says why reprocess cannot run at all, "" when it can.
func (s *Server) reprocessBlocked(ctx context.Context) string {
	if why := s.refreshBlocked(); why != "" {
		return why
	}
	return s.missingGraphPermission(ctx)
}

// Kinds of group writes (web.ReprocessResultView.Kind).
const (
	kindReprocess = "reprocess"
	kindRefresh   = "refresh"
)

// handleReprocess is POST /groups/{id}/reprocess: reprocess the selected users (form values
// user=<id>, scope=selected) or every member in error (scope=all), re-read them and the group,
// update the snapshot, and show every user's outcome on the group page.
func (s *Server) handleReprocess(w http.ResponseWriter, r *http.Request) {
	s.groupWrite(w, r, kindReprocess)
}

// handleRefreshErrors is POST /groups/{id}/refresh-errors: re-read this group's members in
// error (as Graph lists them now, and as the snapshot has them) without a full sync.
func (s *Server) handleRefreshErrors(w http.ResponseWriter, r *http.Request) {
	s.groupWrite(w, r, kindRefresh)
}

func (s *Server) groupWrite(w http.ResponseWriter, r *http.Request, kind string) {
	id, ok := groupIDParam(r)
	if !ok {
		s.notFound(w, r)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		s.badRequest(w, r, "The form could not be read: it is too large or malformed.", nil)
		return
	}
	ctx := r.Context()
	g, err := s.store.GroupDetail(ctx, id)
	if isNotFound(err) {
		s.groupNotFound(w, r, id)
		return
	} else if err != nil {
		s.serverError(w, r, err)
		return
	}
	logGroup := func(result, detail string) {
		a := model.Activity{Action: ActionReprocess, Target: id, TargetName: g.DisplayName, Result: result, Detail: detail}
		if kind == kindRefresh {
			a.Action = ActionRefreshErrors
		}
		s.logActivity(r, a)
	}
	why, heading := s.reprocessBlocked(ctx), "Reprocess not available"
	if kind == kindRefresh {
		why, heading = s.refreshBlocked(), "Refreshing license errors not available"
	}
	if why != "" {
		logGroup(model.ActivityRefused, why)
		status := http.StatusServiceUnavailable
		if s.lic.dir != nil && s.lic.store != nil {
			status = http.StatusForbidden
		}
		s.errorPage(w, r, web.ErrorView{Status: status, Heading: heading,
			Message: heading + ": " + why + ".", BackURL: groupURL(id)})
		return
	}

	// The work continues if the browser gives up: every user's outcome is recorded.
	work, cancel := context.WithTimeout(context.WithoutCancel(ctx), reprocessTimeout)
	defer cancel()
	var res web.ReprocessResultView
	if kind == kindRefresh {
		res, err = s.refreshGroupErrors(work, id)
	} else {
		ids, ignored, msg := s.selectedUsers(ctx, r.PostForm, id)
		if msg != "" {
			s.badRequest(w, r, msg, nil)
			return
		}
		res, err = s.ReprocessGroupUsers(work, id, ids)
		if len(ignored) > 0 {
			res.Problems = append(res.Problems, ignoredUsers(ignored))
		}
	}
	if err != nil {
		logGroup(model.ActivityFailed, err.Error())
		s.serverError(w, r, err)
		return
	}
	result := model.ActivityOK
	if res.Refused > 0 {
		result = model.ActivityFailed
	}
	logGroup(result, resultDetail(res))
	token := s.lic.results.put(id, principalUPN(r), res, s.now())
	http.Redirect(w, r, groupURL(id)+"?result="+token+"#reprocess-result", http.StatusSeeOther)
}

// principalUPN is who made the request, "" without sign-in.
func principalUPN(r *http.Request) string {
	if p, ok := auth.PrincipalFrom(r.Context()); ok {
		return p.UPN
	}
	return ""
}

func resultDetail(res web.ReprocessResultView) string {
	d := fmt.Sprintf("%d users: %d now licensed, %d still in error", res.Total, res.Licensed, res.InError)
	if res.Kind != kindRefresh {
		d += fmt.Sprintf(", %d refused by Graph", res.Refused)
	}
	if len(res.Problems) > 0 {
		d += "; " + strings.Join(res.Problems, "; ")
	}
	return d
}

// maxIgnoredShown bounds the ids named in the "not reprocessed" message.
const maxIgnoredShown = 10

// ignoredUsers says which selected users were not reprocessed.
func ignoredUsers(ids []string) string {
	shown := ids[:min(len(ids), maxIgnoredShown)]
	msg := "Not reprocessed, not a member in license error of this group in the current data: " + strings.Join(shown, ", ")
	if more := len(ids) - len(shown); more > 0 {
		msg += fmt.Sprintf(" and %d more", more)
	}
	return msg
}

// selectedUsers are the users a reprocess form names: every member in error for scope=all,
// else the user values, checked and without duplicates. Only members in error of the group
// in the current snapshot are kept (the form offers no others; a crafted form must not
// reprocess arbitrary users under this group's name); the rest are returned as ignored.
// msg explains a selection that leaves nobody to reprocess.
func (s *Server) selectedUsers(ctx context.Context, form url.Values, groupID string) (ids, ignored []string, msg string) {
	inError, err := s.lic.store.UsersInErrorForGroup(ctx, groupID)
	if err != nil && !isNotFound(err) {
		return nil, nil, "The users in error could not be read: " + err.Error()
	}
	if form.Get("scope") == "all" {
		for _, u := range inError {
			ids = append(ids, u.ID)
		}
		if len(ids) == 0 {
			return nil, nil, "No member of this group is in license error: there is nobody to reprocess."
		}
		return ids, nil, ""
	}
	seen := map[string]bool{}
	var selected []string
	for _, v := range form["user"] {
		v = strings.TrimSpace(v)
		if v == "" || len(v) > maxIDLen || !utf8.ValidString(v) || strings.ContainsAny(v, "/?#\\ \t\r\n") {
			return nil, nil, fmt.Sprintf("%q is not a user object id.", clip(v))
		}
		if k := strings.ToLower(v); !seen[k] {
			seen[k] = true
			selected = append(selected, v)
		}
		if len(selected) > maxReprocessUsers {
			return nil, nil, fmt.Sprintf("More than %d users selected; at most %d can be reprocessed at once.", maxReprocessUsers, maxReprocessUsers)
		}
	}
	if len(selected) == 0 {
		return nil, nil, "Select at least one user to reprocess, or reprocess all users in error."
	}
	members := make(map[string]string, len(inError))
	for _, u := range inError {
		members[strings.ToLower(u.ID)] = u.ID
	}
	for _, v := range selected {
		if id, ok := members[strings.ToLower(v)]; ok {
			ids = append(ids, id)
		} else {
			ignored = append(ignored, v)
		}
	}
	if len(ids) == 0 {
		return nil, ignored, "None of the selected users is in license error from this group in the current data: nobody was reprocessed. Reload the group page to see who is."
	}
	return ids, ignored, ""
}

// ReprocessGroupUsers reprocesses the users (one Graph outcome each), re-reads them, the group
// and the subscriptions, writes the new truth into the current snapshot and reports every
// user's outcome: now licensed, still in error with the current reason, or refused by Graph
// with its message decoded. Every id in ids gets exactly one row, in order.
func (s *Server) ReprocessGroupUsers(ctx context.Context, groupID string, ids []string) (web.ReprocessResultView, error) {
	if why := s.reprocessBlocked(ctx); why != "" {
		return web.ReprocessResultView{}, errors.New("reprocess not available: " + why)
	}
	outcomes := s.lic.dir.ReprocessUsers(ctx, ids)
	if len(outcomes) != len(ids) {
		// The Directory promises one outcome per id; never report users we did not hear about
		// as done.
		return web.ReprocessResultView{}, fmt.Errorf("reprocess: %d outcomes for %d users", len(outcomes), len(ids))
	}
	var accepted []string
	for i, o := range outcomes {
		if o.Err == nil {
			accepted = append(accepted, ids[i])
		}
	}
	res, fresh, err := s.rereadAndSave(ctx, groupID, accepted)
	if err != nil {
		return res, err
	}
	res.Kind = kindReprocess
	return s.outcomeRows(ctx, res, groupID, ids, outcomes, fresh), nil
}

// refreshGroupErrors re-reads the members in error of a group: those Graph lists now and
// those the snapshot has (they may be fixed), and saves what it finds.
func (s *Server) refreshGroupErrors(ctx context.Context, groupID string) (web.ReprocessResultView, error) {
	var ids []string
	seen := map[string]bool{}
	add := func(id string) {
		if k := strings.ToLower(id); id != "" && !seen[k] {
			seen[k] = true
			ids = append(ids, id)
		}
	}
	var problems []string
	live, err := s.lic.dir.MembersWithLicenseErrors(ctx, groupID)
	if err != nil {
		problems = append(problems, "Graph's list of members in error could not be read ("+err.Error()+"); re-read the users the snapshot has in error only.")
	}
	for _, o := range live {
		if o.Type == model.ObjectUser || o.Type == "" {
			add(o.ID)
		}
	}
	old, err := s.lic.store.UsersInErrorForGroup(ctx, groupID)
	if err != nil && !isNotFound(err) {
		return web.ReprocessResultView{}, err
	}
	for _, u := range old {
		add(u.ID)
	}
	res, fresh, err := s.rereadAndSave(ctx, groupID, ids)
	if err != nil {
		return res, err
	}
	res.Kind = kindRefresh
	res.Problems = append(problems, res.Problems...)
	outcomes := make([]ReprocessOutcome, len(ids))
	for i, id := range ids {
		outcomes[i].UserID = id
	}
	return s.outcomeRows(ctx, res, groupID, ids, outcomes, fresh), nil
}

// rereadResult is a user as re-read from Graph, or why that failed.
type rereadResult struct {
	user model.User
	err  error
}

// rereadAndSave re-reads users, the group and the subscriptions from Graph and writes them into
// the current snapshot. Failures to re-read become problems of the result, not errors: the
// users' outcomes are still reported.
func (s *Server) rereadAndSave(ctx context.Context, groupID string, ids []string) (web.ReprocessResultView, map[string]rereadResult, error) {
	res := web.ReprocessResultView{At: s.now()}
	fresh := s.reread(ctx, ids)
	var users []model.User
	for _, id := range ids {
		if f, ok := fresh[strings.ToLower(id)]; ok && f.err == nil {
			users = append(users, f.user)
		}
	}
	var groups []model.GroupUpdate
	if g, err := s.lic.dir.Group(ctx, groupID); err == nil {
		groups = append(groups, model.GroupUpdate{ID: groupID, ProcessingState: g.ProcessingState})
	} else {
		res.Problems = append(res.Problems, "The group could not be re-read: "+err.Error())
		groups = append(groups, model.GroupUpdate{ID: groupID})
	}
	if skus, err := s.lic.dir.SubscribedSKUs(ctx); err == nil {
		if err := s.lic.store.UpdateSKUs(ctx, skus); err != nil {
			return res, nil, fmt.Errorf("save subscriptions: %w", err)
		}
	} else {
		res.Problems = append(res.Problems, "License counts could not be re-read: "+err.Error())
	}
	if err := s.lic.store.UpdateUsers(ctx, users, groups); err != nil {
		return res, nil, fmt.Errorf("save re-read users: %w", err)
	}
	return res, fresh, nil
}

// rereadWorkers bounds concurrent single-user reads; the Graph client shares one throttle gate.
const rereadWorkers = 8

// reread reads users from Graph, keyed by lower-case id. Few users are read one by one; many are
// picked from one pass over all users (999 per page), which costs fewer requests than one read
// each once there are more users than a handful of pages.
func (s *Server) reread(ctx context.Context, ids []string) map[string]rereadResult {
	out := make(map[string]rereadResult, len(ids))
	if len(ids) == 0 {
		return out
	}
	pages := 1
	if o, err := s.store.Overview(ctx); err == nil {
		pages = o.Users/999 + 1
	}
	if len(ids) > max(16, 2*pages) {
		want := make(map[string]bool, len(ids))
		for _, id := range ids {
			want[strings.ToLower(id)] = true
		}
		err := s.lic.dir.Users(ctx, func(page []model.User) error {
			for _, u := range page {
				if k := strings.ToLower(u.ID); want[k] {
					out[k] = rereadResult{user: u}
				}
			}
			return nil
		})
		for _, id := range ids {
			k := strings.ToLower(id)
			if _, ok := out[k]; ok {
				continue
			}
			if err != nil {
				out[k] = rereadResult{err: err}
			} else {
				out[k] = rereadResult{err: errors.New("the user is no longer in the directory")}
			}
		}
		return out
	}
	var mu sync.Mutex
	jobs := make(chan string)
	var wg sync.WaitGroup
	for range min(rereadWorkers, len(ids)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range jobs {
				u, err := s.lic.dir.User(ctx, id)
				mu.Lock()
				out[strings.ToLower(id)] = rereadResult{user: u, err: err}
				mu.Unlock()
			}
		}()
	}
	for _, id := range ids {
		jobs <- id
	}
	close(jobs)
	wg.Wait()
	return out
}

// outcomeRows turns outcomes and re-read users into one row per id, in order.
func (s *Server) outcomeRows(ctx context.Context, res web.ReprocessResultView, groupID string, ids []string,
	outcomes []ReprocessOutcome, fresh map[string]rereadResult) web.ReprocessResultView {
	var users []model.User
	for _, id := range ids {
		if f, ok := fresh[strings.ToLower(id)]; ok && f.err == nil {
			users = append(users, f.user)
		}
	}
	ex, err := s.newExplainer(ctx, users, nil)
	if err != nil {
		res.Problems = append(res.Problems, "License names could not be read: "+err.Error())
	}
	// Names of users Graph refused come from the snapshot.
	known := map[string]model.User{}
	if old, err := s.lic.store.UsersByID(ctx, ids); err == nil {
		for _, u := range old {
			known[strings.ToLower(u.ID)] = u
		}
	}
	res.Total = len(ids)
	res.Rows = make([]web.OutcomeRow, 0, len(ids))
	for i, id := range ids {
		k := strings.ToLower(id)
		row := web.OutcomeRow{UserID: id, Name: id}
		if u, ok := known[k]; ok {
			row.Name = displayName(firstNonEmpty(u.DisplayName, u.UserPrincipalName))
			row.Href = userURL(u.ID)
		}
		f, read := fresh[k]
		switch {
		case outcomes[i].Err != nil:
			row.Status = web.OutcomeRefused
			row.Summary = ex.decodeError(outcomes[i].Err)
			res.Refused++
		case !read || f.err != nil:
			row.Status = web.OutcomeInError
			why := "not read"
			if read {
				why = f.err.Error()
			}
			row.Summary = "Reprocessed, but the user could not be re-read (" + ex.decodeError(errors.New(why)) + "): the state is not known yet. Refresh license errors in a moment."
			res.InError++
		default:
			u := f.user
			row.Name = displayName(firstNonEmpty(u.DisplayName, u.UserPrincipalName, row.Name))
			row.Href = userURL(u.ID)
			if lic, ok := ex.firstGroupError(u, groupID); ok {
				row.Status = web.OutcomeInError
				row.Summary, row.Fix = lic.Summary, lic.Fix
				res.InError++
			} else {
				row.Status = web.OutcomeLicensed
				row.Summary = "Every license from this group is assigned."
				res.Licensed++
			}
		}
		res.Rows = append(res.Rows, row)
	}
	return res
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if strings.TrimSpace(s) != "" {
			return s
		}
	}
	return ""
}

// resultStore keeps recent reprocess results for the redirect after the POST, so a reload of
// the group page does not repeat the reprocess. A result is shown only to the person who ran
// it (it names users and Graph's messages, and the token travels in a URL that may be shared
// or logged) and only for resultTTL; beyond maxStoredResults the oldest go first.
type resultStore struct {
	mu    sync.Mutex
	m     map[string]storedResult
	order []string // tokens, oldest first
}

type storedResult struct {
	group string
	owner string // the UPN of who ran it; "" without sign-in
	at    time.Time
	res   web.ReprocessResultView
}

const (
	maxStoredResults = 200
	resultTTL        = 30 * time.Minute
)

// put stores res of group, run by owner at now, and returns its token.
func (rs *resultStore) put(group, owner string, res web.ReprocessResultView, now time.Time) string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // crypto/rand never fails on supported platforms
	token := hex.EncodeToString(b[:])
	rs.mu.Lock()
	defer rs.mu.Unlock()
	rs.m[token] = storedResult{group: group, owner: owner, at: now, res: res}
	rs.order = append(rs.order, token)
	for len(rs.order) > 0 {
		oldest, ok := rs.m[rs.order[0]]
		if ok && len(rs.order) <= maxStoredResults && !rs.expired(oldest, now) {
			break
		}
		delete(rs.m, rs.order[0])
		rs.order = rs.order[1:]
	}
	return token
}

// expired reports whether r is too old at now; a clock that went back also ends it.
func (rs *resultStore) expired(r storedResult, now time.Time) bool {
	return now.Sub(r.at) > resultTTL || now.Before(r.at.Add(-time.Minute))
}

// get returns the result stored under token for group, when owner ran it and it has not
// expired at now.
func (rs *resultStore) get(group, owner, token string, now time.Time) (web.ReprocessResultView, bool) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	r, ok := rs.m[token]
	if !ok || r.group != group || !strings.EqualFold(r.owner, owner) || rs.expired(r, now) {
		return web.ReprocessResultView{}, false
	}
	return r.res, true
}

// groupIDParam is the {id} of a group route, checked.
func groupIDParam(r *http.Request) (string, bool) {
	id := strings.TrimSpace(chi.URLParam(r, "id"))
	if id == "" || len(id) > maxIDLen || !utf8.ValidString(id) {
		return "", false
	}
	return id, true
}
