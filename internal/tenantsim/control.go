package tenantsim

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"
)

// Control is the simulator's own JSON API under /_sim/: statistics, buying licenses, fault
// knobs, processing and reset, scenarios and SSPR material. It is never part of /v1.0, takes no
// Graph token, and answers loopback clients only.
type Control struct {
	t      *Tenant
	api    *API
	faults *Faults
	// Accounts changes the sign-in accounts (POST /_sim/accounts); nil answers 404 there.
	Accounts AccountAdmin
}

// AccountAdmin changes demo accounts as an Entra administrator would. *identity.Provider
// implements it.
type AccountAdmin interface {
	SetRoles(upn string, roles []string) error
	SetDisabled(upn string, disabled bool) error
}

// NewControl serves the control API for a tenant, its Graph API and its fault injection.
func NewControl(t *Tenant, api *API, f *Faults) *Control {
	return &Control{t: t, api: api, faults: f}
}

// KnobsJSON is the body of POST /_sim/knobs and the answer of GET /_sim/knobs. Absent fields
// keep their value.
type KnobsJSON struct {
	LatencyMS         *int64   `json:"latency_ms,omitempty"`
	ThrottleRequests  *int     `json:"throttle_requests,omitempty"`
	ThrottleWindowMS  *int64   `json:"throttle_window_ms,omitempty"`
	FaultRate         *float64 `json:"fault_rate,omitempty"`
	DropRate          *float64 `json:"drop_rate,omitempty"`
	ProcessingDelayMS *int64   `json:"processing_delay_ms,omitempty"`
	// AuditDelayMS applies to audit events written from now on.
	AuditDelayMS *int64 `json:"audit_delay_ms,omitempty"`
	// RejectCompressedRoutes are the routes ("POST /$batch", "*" for all) that answer 415 to a
	// gzip-compressed body; [] accepts compressed bodies everywhere again.
	RejectCompressedRoutes *[]string `json:"reject_compressed_routes,omitempty"`
}

type scenariosJSON struct {
	A1Group              string   `json:"a1_group"`
	ConflictGroup        string   `json:"conflict_group"`
	DependencyGroup      string   `json:"dependency_group"`
	UsageLocationGroup   string   `json:"usage_location_group"`
	UniquenessUser       string   `json:"uniqueness_user"`
	FacultySKU           string   `json:"faculty_sku"`
	StudentSKU           string   `json:"student_sku"`
	ActiveWithErrorGroup string   `json:"active_with_error_group"`
	DisabledGroup        string   `json:"disabled_group"`
	HostileUsers         []string `json:"hostile_users"`
	DirectAndGroupsUser  string   `json:"direct_and_groups_user"`
}

type ssprFlowJSON struct {
	CorrelationID string    `json:"correlation_id"`
	UserID        string    `json:"user_id"`
	IPAddress     string    `json:"ip_address"`
	Started       time.Time `json:"started"`
	Ended         time.Time `json:"ended"`
	Outcome       string    `json:"outcome"`
}

func ctlJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = 500, []byte(`{"error":"encoding failed"}`)
	}
	writeRaw(w, status, "application/json", b)
}

func ctlError(w http.ResponseWriter, status int, msg string) {
	ctlJSON(w, status, map[string]string{"error": msg})
}

// ctlTenantError answers with an error from the tenant, at its status when it carries one.
func ctlTenantError(w http.ResponseWriter, err error) {
	status := 400
	var te *Error
	if errors.As(err, &te) && te.Status != 0 {
		status = te.Status
	}
	ctlError(w, status, err.Error())
}

func isLoopback(remote string) bool {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// ServeHTTP implements http.Handler; mount it at /_sim/.
func (c *Control) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !isLoopback(r.RemoteAddr) {
		ctlError(w, http.StatusForbidden, "the control API answers loopback clients only")
		return
	}
	path := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/_sim"), "/")
	get, post := r.Method == http.MethodGet, r.Method == http.MethodPost
	switch {
	case path == "/stats" && get:
		ctlJSON(w, 200, c.faults.Stats().Snapshot())
	case path == "/stats/reset" && post:
		c.faults.Stats().Reset()
		ctlJSON(w, 200, map[string]bool{"ok": true})
	case strings.HasPrefix(path, "/skus/") && strings.HasSuffix(path, "/prepaid") && post:
		c.prepaid(w, r, strings.TrimSuffix(strings.TrimPrefix(path, "/skus/"), "/prepaid"))
	case path == "/knobs" && get:
		ctlJSON(w, 200, c.knobs())
	case path == "/knobs" && post:
		c.setKnobs(w, r)
	case path == "/changes" && post:
		c.changes(w, r)
	case path == "/advance-processing" && post:
		c.t.AdvanceProcessing()
		ctlJSON(w, 200, map[string]bool{"ok": true})
	case path == "/reset" && post:
		if err := c.t.Reset(); err != nil {
			ctlError(w, 500, "reset: "+err.Error())
			return
		}
		c.api.ResetDelta()
		ctlJSON(w, 200, map[string]bool{"ok": true})
	case strings.HasPrefix(path, "/groups/") && strings.HasSuffix(path, "/members") && post:
		c.handleMembers(w, r, strings.TrimSuffix(strings.TrimPrefix(path, "/groups/"), "/members"))
	case path == "/scenarios" && get:
		c.t.mu.RLock()
		s := c.t.Scenarios
		c.t.mu.RUnlock()
		ctlJSON(w, 200, scenariosJSON(s))
	case path == "/sspr/flows" && get:
		flows := c.t.SSPRFlows()
		out := make([]ssprFlowJSON, len(flows))
		for i, f := range flows {
			out[i] = ssprFlowJSON{f.CorrelationID, f.UserID, f.IPAddress, f.Started.UTC(), f.Ended.UTC(), f.Outcome}
		}
		ctlJSON(w, 200, out)
	case path == "/sspr/email" && get:
		q := r.URL.Query()
		variant := q.Get("variant")
		if variant == "" {
			variant = "genuine"
		}
		msg, err := c.t.RenderSSPREmail(q.Get("correlation_id"), variant)
		if err != nil {
			ctlTenantError(w, err)
			return
		}
		writeRaw(w, 200, "message/rfc822", msg)
	case path == "/accounts" && post && c.Accounts != nil:
		c.setAccount(w, r)
	case path == "/stats", path == "/stats/reset", path == "/knobs", path == "/advance-processing", path == "/reset", path == "/changes",
		path == "/scenarios", path == "/sspr/flows", path == "/sspr/email", strings.HasPrefix(path, "/skus/"),
		strings.HasPrefix(path, "/groups/"):
		ctlError(w, http.StatusMethodNotAllowed, "method not allowed")
	default:
		ctlError(w, http.StatusNotFound, "no such control endpoint: "+r.URL.Path)
	}
}

// decodeControl reads a small JSON body of a control endpoint, refusing unknown fields.
func decodeControl(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// setAccount changes a demo account's app roles or blocks its sign-in:
// {"upn": "...", "roles": ["Reader"]} and/or {"upn": "...", "disabled": true}.
func (c *Control) setAccount(w http.ResponseWriter, r *http.Request) {
	var body struct {
		UPN      string    `json:"upn"`
		Roles    *[]string `json:"roles"`
		Disabled *bool     `json:"disabled"`
	}
	if err := decodeControl(w, r, &body); err != nil || body.UPN == "" || body.Roles == nil && body.Disabled == nil {
		ctlError(w, 400, `body must be {"upn": "...", "roles": [...]} and/or "disabled": true|false`)
		return
	}
	if body.Roles != nil {
		if err := c.Accounts.SetRoles(body.UPN, *body.Roles); err != nil {
			ctlError(w, 404, err.Error())
			return
		}
	}
	if body.Disabled != nil {
		if err := c.Accounts.SetDisabled(body.UPN, *body.Disabled); err != nil {
			ctlError(w, 404, err.Error())
			return
		}
	}
	ctlJSON(w, 200, map[string]bool{"ok": true})
}

func (c *Control) prepaid(w http.ResponseWriter, r *http.Request, skuID string) {
	var body struct {
		Enabled *int `json:"enabled"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&body); err != nil || body.Enabled == nil || *body.Enabled < 0 {
		ctlError(w, 400, `body must be {"enabled": N} with N >= 0`)
		return
	}
	if err := c.t.SetPrepaidUnits(strings.ToLower(skuID), *body.Enabled); err != nil {
		ctlTenantError(w, err)
		return
	}
	ctlJSON(w, 200, map[string]any{"sku_id": strings.ToLower(skuID), "enabled": *body.Enabled,
		"consumed_units": c.t.ConsumedUnits(strings.ToLower(skuID))})
}

// ChangesJSON is the body of POST /_sim/changes: change this share (0..1) of the users with
// the change set seed picks (Tenant.ApplyChanges); the answer is the ChangeSet.
type ChangesJSON struct {
	Share *float64 `json:"share"`
	Seed  int64    `json:"seed"`
}

func (c *Control) changes(w http.ResponseWriter, r *http.Request) {
	var in ChangesJSON
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil || in.Share == nil || !(*in.Share >= 0 && *in.Share <= 1) {
		ctlError(w, 400, `body must be {"share": S, "seed": N} with S within 0..1`)
		return
	}
	cs, err := c.t.ApplyChanges(*in.Share, in.Seed)
	if err != nil {
		ctlTenantError(w, err)
		return
	}
	ctlJSON(w, 200, cs)
}

func (c *Control) knobs() KnobsJSON {
	k := c.faults.Knobs()
	c.t.mu.RLock()
	pd, ad := c.t.cfg.ProcessingDelay.Milliseconds(), c.t.auditDelay.Milliseconds()
	c.t.mu.RUnlock()
	lat, win := k.Latency.Milliseconds(), k.ThrottleWindow.Milliseconds()
	return KnobsJSON{&lat, &k.ThrottleRequests, &win, &k.FaultRate, &k.DropRate, &pd, &ad, &k.RejectCompressed}
}

func (c *Control) setKnobs(w http.ResponseWriter, r *http.Request) {
	var in KnobsJSON
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		ctlError(w, 400, "invalid knobs: "+err.Error())
		return
	}
	bad := func(p *int64) bool { return p != nil && *p < 0 }
	rate := func(p *float64) bool { return p != nil && !(*p >= 0 && *p <= 1) }
	if bad(in.LatencyMS) || bad(in.ThrottleWindowMS) || bad(in.ProcessingDelayMS) || bad(in.AuditDelayMS) || rate(in.FaultRate) || rate(in.DropRate) ||
		(in.ThrottleRequests != nil && *in.ThrottleRequests < 0) {
		ctlError(w, 400, "knobs must not be negative and rates must be within 0..1")
		return
	}
	if in.RejectCompressedRoutes != nil {
		for _, r := range *in.RejectCompressedRoutes {
			if !ValidRouteKey(r) {
				ctlError(w, 400, fmt.Sprintf("reject_compressed_routes: %q is no route of the simulated Graph (like \"POST /$batch\", or \"*\")", r))
				return
			}
		}
	}
	k := c.faults.Knobs()
	if in.RejectCompressedRoutes != nil {
		k.RejectCompressed = *in.RejectCompressedRoutes
	}
	if in.LatencyMS != nil {
		k.Latency = time.Duration(*in.LatencyMS) * time.Millisecond
	}
	if in.ThrottleRequests != nil {
		k.ThrottleRequests = *in.ThrottleRequests
	}
	if in.ThrottleWindowMS != nil {
		k.ThrottleWindow = time.Duration(*in.ThrottleWindowMS) * time.Millisecond
	}
	if in.FaultRate != nil {
		k.FaultRate = *in.FaultRate
	}
	if in.DropRate != nil {
		k.DropRate = *in.DropRate
	}
	c.faults.SetKnobs(k)
	if in.ProcessingDelayMS != nil {
		setProcessingDelay(c.t, time.Duration(*in.ProcessingDelayMS)*time.Millisecond)
	}
	if in.AuditDelayMS != nil {
		c.t.SetAuditDelay(time.Duration(*in.AuditDelayMS) * time.Millisecond)
	}
	ctlJSON(w, 200, c.knobs())
}

// SetAuditDelay changes how long audit events written from now on take to appear (Config.AuditDelay).
func (t *Tenant) SetAuditDelay(d time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.cfg.AuditDelay, t.auditDelay = max(d, 0), max(d, 0)
}

// setProcessingDelay changes the delay of group processing queued from now on. The engine has
// no setter for it; the Config field is only read under the same lock.
func setProcessingDelay(t *Tenant, d time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.cfg.ProcessingDelay = d
}
