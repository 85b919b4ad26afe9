package tenantsim

import (
	"strings"

	"github.com/tenantdesk/tenantdesk/internal/tenantsim/odata"
)

// auditJSON returns an event as Graph writes it: UTC times, empty lists as [].
func auditJSON(e AuditEvent) AuditEvent {
	e.ActivityDateTime = e.ActivityDateTime.UTC()
	return e.withEmptyLists()
}

// listAudits serves GET /auditLogs/directoryAudits, newest first unless $orderby says asc. The
// skip token holds the absolute index of the next event, so events logged while a client pages
// do not shift its pages.
func (a *API) listAudits(rq *request) error {
	q, err := odata.ParseQuery(rq.query)
	if err != nil {
		return err
	}
	if q.Select != nil || q.Search != nil || q.Count {
		return errf(400, "Request_UnsupportedQuery", "directoryAudits supports $filter, $top, $orderby and $skiptoken only.")
	}
	var filter odata.Expr
	if q.Filter != nil {
		var usage odata.Usage
		filter, usage, err = auditSchema.Validate(q.Filter)
		if err != nil {
			return err
		}
		if usage.Advanced {
			return errf(400, "Request_UnsupportedQuery", "Unsupported or invalid query filter clause specified for property '%s' of resource 'DirectoryAudit'.", usage.Props[0])
		}
	}
	desc := true
	if ob := q.OrderBy; ob != nil {
		if !strings.EqualFold(ob.Property, "activityDateTime") {
			return errf(400, "Request_UnsupportedQuery", "Order by '%s' is not supported.", ob.Property)
		}
		desc = ob.Desc
	}
	a.t.Tick()
	a.t.mu.RLock()
	defer a.t.mu.RUnlock()
	now := a.t.now()
	ev := a.t.audits
	n := len(ev)
	pos := 0
	if desc {
		pos = n - 1
	}
	if q.SkipToken != "" {
		if pos, err = decodeSkip(rq, q.SkipToken); err != nil {
			return err
		}
		if pos >= n {
			return errExpiredToken()
		}
	}
	step := 1
	if desc {
		step = -1
	}
	match := func(i int) bool {
		return auditVisible(&ev[i], now) && (filter == nil || odata.Eval(filter, auditAcc{&ev[i]}))
	}
	var items []byte
	count, next := 0, -1
	for i := pos; i >= 0 && i < n; i += step {
		if !match(i) {
			continue
		}
		if count == q.Top {
			next = i
			break
		}
		if count > 0 {
			items = append(items, ',')
		}
		items = appendValue(items, auditJSON(ev[i]))
		count++
	}
	return a.writePage(rq, "auditLogs/directoryAudits", listQuery{Query: q}, -1, next, items)
}

func (a *API) getAudit(rq *request) error {
	if _, err := parseSingle(rq); err != nil {
		return err
	}
	a.t.Tick()
	a.t.mu.RLock()
	defer a.t.mu.RUnlock()
	now := a.t.now()
	for i := len(a.t.audits) - 1; i >= 0; i-- {
		if strings.EqualFold(a.t.audits[i].ID, rq.params[0]) && auditVisible(&a.t.audits[i], now) {
			writeJSON(rq.w, 200, entity(rq, "auditLogs/directoryAudits", appendValue(nil, auditJSON(a.t.audits[i]))))
			return nil
		}
	}
	return resourceNotFound(rq.params[0])
}
