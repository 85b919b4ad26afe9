package server

import (
	"net/http"
	"net/url"

	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/web"
)

// bulkOutcomeURL is the bookmarkable page that follows a bulk change's groups: g=<id> each,
// what=<the change in words>.
func bulkOutcomeURL(what string, ids []string) string {
	q := url.Values{"what": {what}, "g": ids}
	return bulkURL + "/outcome?" + q.Encode()
}

// handleBulkOutcome is GET /licenses/bulk/outcome?g=...: each group's processing as Graph has
// it now and, once processed, how its members came out; the page reloads itself when the last
// group is processed.
func (s *Server) handleBulkOutcome(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	ids := q["g"]
	if len(ids) == 0 {
		return model.Invalid("No group to follow: the address names none (g=<group id>).")
	}
	if len(ids) > maxBulkLines {
		return model.Invalid("%d groups; at most %d are followed at once.", len(ids), maxBulkLines)
	}
	for _, id := range ids {
		if !model.ValidObjectID(id) {
			return model.Invalid("%q is not a group id.", clip(id))
		}
	}
	st, err := s.tpl.GroupsStatus(r.Context(), ids)
	if err != nil {
		return err
	}
	v := web.BulkResultView{Description: clipText(q.Get("what"), 300), BackHref: bulkURL, Following: true}
	self := bulkOutcomeURL(v.Description, ids)
	for i, g := range st {
		iv := web.BulkItemView{Group: web.GroupRef{ID: ids[i], Name: ids[i], Href: groupURL(ids[i])}}
		if g.Group != nil {
			iv.Group = groupRef(*g.Group)
		}
		pv := processingView(g.Processing)
		pv.ReloadURL = self
		if g.Err != nil {
			pv.Error = model.DescribeGraphError(g.Err)
			v.Failed++
		} else {
			pv.Reload = true // a group that cannot be read does not hold up the others
			iv.Members, iv.InError, iv.Followed = g.Members, g.InError, true
			iv.Licenses = len(g.Group.AssignedLicenses)
			if g.Processing.Done() {
				v.Processed++
				v.InError += g.InError
			}
		}
		iv.Processing = &pv
		v.Items = append(v.Items, iv)
	}
	s.render(w, r, http.StatusOK, web.BulkResultPage(s.layout(r.Context(), "Outcome: "+v.Description, "licenses"), v))
	return nil
}
