package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

// The license report's data: who holds each SKU (snapshot_holders, derived when users are
// saved), the users' report-only properties (snapshot_user_props) and the summaries per SKU.

// userProps is a user's props (snapshot_user_props): the properties that pages show and sort
// but never filter, under Graph's names (a sort is json_extract(props, '$.<name>')).
type userProps struct {
	OfficeLocation               string    `json:"officeLocation,omitempty"`
	State                        string    `json:"state,omitempty"`
	PostalCode                   string    `json:"postalCode,omitempty"`
	StreetAddress                string    `json:"streetAddress,omitempty"`
	PreferredLanguage            string    `json:"preferredLanguage,omitempty"`
	EmployeeType                 string    `json:"employeeType,omitempty"`
	MobilePhone                  string    `json:"mobilePhone,omitempty"`
	BusinessPhones               []string  `json:"businessPhones,omitempty"`
	OtherMails                   []string  `json:"otherMails,omitempty"`
	ProxyAddresses               []string  `json:"proxyAddresses,omitempty"`
	OnPremisesSamAccountName     string    `json:"onPremisesSamAccountName,omitempty"`
	OnPremisesUserPrincipalName  string    `json:"onPremisesUserPrincipalName,omitempty"`
	OnPremisesDistinguishedName  string    `json:"onPremisesDistinguishedName,omitempty"`
	OnPremisesDomainName         string    `json:"onPremisesDomainName,omitempty"`
	OnPremisesImmutableID        string    `json:"onPremisesImmutableId,omitempty"`
	OnPremisesLastSyncAt         time.Time `json:"onPremisesLastSyncDateTime,omitzero"`
	OnPremisesSecurityIdentifier string    `json:"onPremisesSecurityIdentifier,omitempty"`
	ExternalUserState            string    `json:"externalUserState,omitempty"`
	LastPasswordChangeAt         time.Time `json:"lastPasswordChangeDateTime,omitzero"`
	SignInSessionsValidFrom      time.Time `json:"signInSessionsValidFromDateTime,omitzero"`
	PasswordPolicies             string    `json:"passwordPolicies,omitempty"`
	PreferredDataLocation        string    `json:"preferredDataLocation,omitempty"`
}

func propsOf(u *model.User) userProps {
	return userProps{
		OfficeLocation: u.OfficeLocation, State: u.State, PostalCode: u.PostalCode, StreetAddress: u.StreetAddress,
		PreferredLanguage: u.PreferredLanguage, EmployeeType: u.EmployeeType, MobilePhone: u.MobilePhone,
		BusinessPhones: u.BusinessPhones, OtherMails: u.OtherMails, ProxyAddresses: u.ProxyAddresses,
		OnPremisesSamAccountName: u.OnPremisesSamAccountName, OnPremisesUserPrincipalName: u.OnPremisesUserPrincipalName,
		OnPremisesDistinguishedName: u.OnPremisesDistinguishedName, OnPremisesDomainName: u.OnPremisesDomainName,
		OnPremisesImmutableID: u.OnPremisesImmutableID, OnPremisesLastSyncAt: u.OnPremisesLastSyncAt.UTC(),
		OnPremisesSecurityIdentifier: u.OnPremisesSecurityIdentifier, ExternalUserState: u.ExternalUserState,
		LastPasswordChangeAt: u.LastPasswordChangeAt.UTC(), SignInSessionsValidFrom: u.SignInSessionsValidFrom.UTC(),
		PasswordPolicies: u.PasswordPolicies, PreferredDataLocation: u.PreferredDataLocation,
	}
}

func (p userProps) apply(u *model.User) {
	u.OfficeLocation, u.State, u.PostalCode, u.StreetAddress = p.OfficeLocation, p.State, p.PostalCode, p.StreetAddress
	u.PreferredLanguage, u.EmployeeType, u.MobilePhone = p.PreferredLanguage, p.EmployeeType, p.MobilePhone
	u.BusinessPhones, u.OtherMails, u.ProxyAddresses = p.BusinessPhones, p.OtherMails, p.ProxyAddresses
	u.OnPremisesSamAccountName, u.OnPremisesUserPrincipalName = p.OnPremisesSamAccountName, p.OnPremisesUserPrincipalName
	u.OnPremisesDistinguishedName, u.OnPremisesDomainName = p.OnPremisesDistinguishedName, p.OnPremisesDomainName
	u.OnPremisesImmutableID, u.OnPremisesLastSyncAt = p.OnPremisesImmutableID, p.OnPremisesLastSyncAt
	u.OnPremisesSecurityIdentifier, u.ExternalUserState = p.OnPremisesSecurityIdentifier, p.ExternalUserState
	u.LastPasswordChangeAt, u.SignInSessionsValidFrom = p.LastPasswordChangeAt, p.SignInSessionsValidFrom
	u.PasswordPolicies, u.PreferredDataLocation = p.PasswordPolicies, p.PreferredDataLocation
}

// propsJSON is the props column of u.
func propsJSON(u *model.User) (string, error) {
	b, err := json.Marshal(propsOf(u))
	return string(b), err
}

// applyPropsJSON fills u's report-only properties from the props column.
func applyPropsJSON(u *model.User, s string) error {
	if s == "" || s == "{}" {
		return nil
	}
	var p userProps
	if err := json.Unmarshal([]byte(s), &p); err != nil {
		return fmt.Errorf("user %q props: %w", u.ID, err)
	}
	p.apply(u)
	return nil
}

// deriveHolders writes snapshot_holders of snapshot snapID from the users' license states and
// assigned licenses (for the users of ids, or every user when ids is nil): one row per user and
// SKU, direct when a state has no group or a license has no state at all, the worst state, the
// user's filter properties. Written in the table's own order, so SQLite appends rather than
// inserting all over the b-tree. model.User.Holdings says the same in Go.
func deriveHolders(ctx context.Context, tx *sql.Tx, snapID int64, ids []string) error {
	only, args := "", []any{snapID}
	if ids != nil {
		only = ` AND user_id IN (SELECT value FROM json_each(?2))`
		args = append(args, idsJSON(ids))
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO snapshot_holders (snapshot_id, sku_id, user_id, sort_name, direct,
			via_groups, in_error, state, account_enabled, department, usage_location)
		SELECT ?1, x.sku_id, x.user_id, u.sort_name, max(x.direct), sum(x.via), max(x.err),
			CASE max(CASE x.state WHEN 'Error' THEN 4 WHEN 'ActiveWithError' THEN 3 WHEN 'Disabled' THEN 2
			                      WHEN 'Active' THEN 1 ELSE 0 END)
				WHEN 4 THEN 'Error' WHEN 3 THEN 'ActiveWithError' WHEN 2 THEN 'Disabled' WHEN 1 THEN 'Active' ELSE '' END,
			u.account_enabled, u.department, u.usage_location
		FROM (
			SELECT sku_id, user_id, assigned_by_group = '' AS direct, assigned_by_group <> '' AS via,
				error <> '' AS err, state
			FROM snapshot_user_states WHERE snapshot_id = ?1`+only+`
			UNION ALL
			SELECT a.sku_id, a.user_id, 1, 0, 0, 'Active' FROM snapshot_user_assigned a
			WHERE a.snapshot_id = ?1`+strings.ReplaceAll(only, "user_id", "a.user_id")+` AND NOT EXISTS (SELECT 1 FROM snapshot_user_states s
				WHERE s.snapshot_id = ?1 AND s.user_id = a.user_id AND s.sku_id = a.sku_id)
		) x
		JOIN snapshot_users u ON u.snapshot_id = ?1 AND u.id = x.user_id
		GROUP BY x.sku_id, x.user_id
		ORDER BY x.sku_id, u.sort_name, x.user_id`, args...)
	if err != nil {
		return fmt.Errorf("derive holders: %w", err)
	}
	return nil
}

// userKeyRow is a row of snapshot_user_keys.
type userKeyRow struct{ key, userID string }

// appendUserKeys appends what a search for u matches whole: its proxy addresses and employee id
// (see userKey).
func appendUserKeys(rows []userKeyRow, u *model.User) []userKeyRow {
	for _, k := range append(slices.Clone(u.ProxyAddresses), u.EmployeeID) {
		if k = userKey(k); k != "" {
			rows = append(rows, userKeyRow{k, u.ID})
		}
	}
	return rows
}

// insertUserKeys writes a batch's search keys in key order: the keys of users in id order fall
// all over the index, and its pages are then read and dirtied once per key instead of once.
func insertUserKeys(ctx, bg context.Context, keys *rowInserter, rows []userKeyRow) error {
	slices.SortFunc(rows, func(a, b userKeyRow) int {
		return cmp.Or(strings.Compare(a.key, b.key), strings.Compare(a.userID, b.userID))
	})
	for i, r := range rows {
		if i%checkEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if err := keys.add(bg, r.key, r.userID); err != nil {
			return fmt.Errorf("insert search key of user %q: %w", r.userID, err)
		}
	}
	return nil
}

// userKey is the form in which a proxy address or employee id is kept and looked up: trimmed,
// folded, and an address without its type ("SMTP:ada@contoso.edu" and "ada@contoso.edu" are one
// key; "X500:/o=..." keeps its type, as it is no address).
func userKey(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, ':'); i >= 1 && i <= 8 && strings.Contains(s[i+1:], "@") {
		s = s[i+1:]
	}
	return fold(s)
}

// countHolders recounts the holders of each SKU of snapshot snapID by how they got it.
func countHolders(ctx context.Context, tx *sql.Tx, snapID int64) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM snapshot_sku_holders WHERE snapshot_id = ?`, snapID); err != nil {
		return fmt.Errorf("count holders: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO snapshot_sku_holders (snapshot_id, sku_id, holders, direct,
			from_groups, both, in_error)
		SELECT snapshot_id, sku_id, count(*), sum(direct = 1 AND via_groups = 0), sum(direct = 0 AND via_groups > 0),
			sum(direct = 1 AND via_groups > 0), sum(in_error)
		FROM snapshot_holders WHERE snapshot_id = ? GROUP BY sku_id`, snapID); err != nil {
		return fmt.Errorf("count holders: %w", err)
	}
	return nil
}

// DisabledAccountHolders counts, for each of these SKUs of the current snapshot, the users who
// hold it (assigned, not just in error) with a disabled account: units a shortage could free.
// SKUs without such holders are left out; ids are lower case.
func (s *Store) DisabledAccountHolders(ctx context.Context, skuIDs []string) (map[string]int, error) {
	return readValue(ctx, s, func(db querier) (map[string]int, error) {
		info, err := currentSnapshot(ctx, db)
		if err != nil {
			return nil, err
		}
		ids := make([]string, len(skuIDs))
		for i, id := range skuIDs {
			ids[i] = model.NormalizeID(id)
		}
		// One range of the holders' primary key per SKU.
		rows, err := db.QueryContext(ctx, `SELECT sku_id, count(*) FROM snapshot_holders
			WHERE snapshot_id = ?1 AND sku_id IN (SELECT value FROM json_each(?2)) AND account_enabled = 0 AND state <> ?3
			GROUP BY sku_id`, info.ID, idsJSON(ids), model.StateError)
		if err != nil {
			return nil, fmt.Errorf("disabled accounts holding licenses: %w", err)
		}
		defer rows.Close()
		out := map[string]int{}
		for rows.Next() {
			var id string
			var n int
			if err := rows.Scan(&id, &n); err != nil {
				return nil, fmt.Errorf("disabled accounts holding licenses: %w", err)
			}
			out[id] = n
		}
		return out, rows.Err()
	})
}

// addHolderValues records the departments and usage locations among the holders of snapshot
// snapID (users is nil) or of those users, for the filter lists.
func addHolderValues(ctx context.Context, tx *sql.Tx, snapID int64, users []string) error {
	only := ""
	args := []any{snapID}
	if users != nil {
		only = ` AND user_id IN (SELECT value FROM json_each(?2))`
		args = append(args, idsJSON(users))
	}
	_, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO snapshot_holder_values (snapshot_id, sku_id, field, value)
		SELECT DISTINCT snapshot_id, sku_id, 'department', department FROM snapshot_holders
		WHERE snapshot_id = ?1 AND department <> ''`+only+`
		UNION
		SELECT DISTINCT snapshot_id, sku_id, 'usageLocation', usage_location FROM snapshot_holders
		WHERE snapshot_id = ?1 AND usage_location <> ''`+only, args...)
	if err != nil {
		return fmt.Errorf("record filter values: %w", err)
	}
	return nil
}

// holderSorts are the orders of a holder page, by report column name (Graph's property names,
// "assignment" and "licenseState"): an SQL expression each over snapshot_holders h or
// snapshot_users u, the user id breaking ties.
var holderSorts = map[string]string{
	"":                      "h.sort_name",
	"displayName":           "h.sort_name",
	"id":                    "h.user_id",
	"userPrincipalName":     "u.upn COLLATE NOCASE",
	"mail":                  "u.mail COLLATE NOCASE",
	"givenName":             "u.given_name COLLATE NOCASE",
	"surname":               "u.surname COLLATE NOCASE",
	"department":            "h.department COLLATE NOCASE",
	"jobTitle":              "u.job_title COLLATE NOCASE",
	"companyName":           "u.company_name COLLATE NOCASE",
	"employeeId":            "u.employee_id COLLATE NOCASE",
	"city":                  "u.city COLLATE NOCASE",
	"country":               "u.country COLLATE NOCASE",
	"usageLocation":         "h.usage_location COLLATE NOCASE",
	"userType":              "u.user_type COLLATE NOCASE",
	"accountEnabled":        "h.account_enabled",
	"onPremisesSyncEnabled": "u.on_prem_sync",
	"createdDateTime":       "u.created_at",
	"assignment":            "(h.direct * 2 + (h.via_groups > 0))",
	"licenseState":          "h.state",
}

// HolderSortable reports whether holders can be ordered by key.
func HolderSortable(key string) bool {
	_, ok := holderOrder(key)
	return ok
}

// holderOrder is the SQL order of key: one of holderSorts, or a props property (over
// snapshot_user_props p).
func holderOrder(key string) (string, bool) {
	if e, ok := holderSorts[key]; ok {
		return e, true
	}
	f, ok := propsFields[key]
	if !ok {
		return "", false
	}
	return "json_extract(p.props, '$." + f + "') COLLATE NOCASE", true
}

// propsNames are every name in the props, and propsFields the sortable ones (lists have no
// order); safe to put into SQL, as they come from userProps' own tags, never from a request.
var propsNames, propsFields = func() (all, sortable map[string]string) {
	all, sortable = map[string]string{}, map[string]string{}
	t := reflect.TypeFor[userProps]()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		all[name] = name
		if t.Field(i).Type.Kind() != reflect.Slice {
			sortable[name] = name
		}
	}
	return all, sortable
}()

// holderSelect is how a holder query reads: FROM (the holders, and the users and their
// properties only when a filter or the order needs them: most views are a range scan of
// snapshot_holders alone), WHERE with ?1 the snapshot and ?2 the SKU, and its arguments after
// those two.
type holderSelect struct {
	from, where string
	joins       string // the joins of from after the holders
	args        []any
	every       bool // no filter: every holder of the SKU
}

func holderQuery(q model.HolderQuery, order string) (holderSelect, error) {
	conds := []string{"h.snapshot_id = ?1", "h.sku_id = ?2"}
	unfiltered := len(conds)
	var sel holderSelect
	switch q.Account {
	case "":
	case model.AccountEnabled:
		conds = append(conds, "h.account_enabled = 1")
	case model.AccountBlocked:
		conds = append(conds, "h.account_enabled = 0")
	default:
		return sel, fmt.Errorf("account %q: %w", q.Account, model.ErrInvalid)
	}
	switch q.Source {
	case "":
	case model.SourceDirect:
		conds = append(conds, "h.direct = 1 AND h.via_groups = 0")
	case model.SourceGroup:
		conds = append(conds, "h.direct = 0 AND h.via_groups > 0")
	case model.SourceBoth:
		conds = append(conds, "h.direct = 1 AND h.via_groups > 0")
	default:
		return sel, fmt.Errorf("source %q: %w", q.Source, model.ErrInvalid)
	}
	if q.InError {
		conds = append(conds, "h.in_error = 1")
	}
	if q.Department != "" {
		sel.args = append(sel.args, q.Department)
		conds = append(conds, fmt.Sprintf("h.department = ?%d COLLATE NOCASE", len(sel.args)+2))
	}
	if q.UsageLocation != "" {
		sel.args = append(sel.args, q.UsageLocation)
		conds = append(conds, fmt.Sprintf("h.usage_location = ?%d COLLATE NOCASE", len(sel.args)+2))
	}
	sel.every = len(conds) == unfiltered
	sel.where = strings.Join(conds, " AND ")
	if strings.HasPrefix(order, "u.") {
		sel.joins = `JOIN snapshot_users u ON u.snapshot_id = h.snapshot_id AND u.id = h.user_id `
	}
	sel.joins += propsSortJoin(order)
	sel.from = ` FROM snapshot_holders h ` + sel.joins
	return sel, nil
}

// SKUHolders is one page of the holders of q.SKUID in the current snapshot, each with every
// license and state, and how many match in all. ErrNotFound before the first sync; bad input
// (an unknown sort key, account or source) is model.ErrInvalid.
func (s *Store) SKUHolders(ctx context.Context, q model.HolderQuery) (model.HolderPage, error) {
	var page model.HolderPage
	err := s.read(ctx, func(db querier) error {
		info, err := currentSnapshot(ctx, db)
		if err != nil {
			return err
		}
		sel, err := holderQuery(q, "")
		if err != nil {
			return err
		}
		all := append([]any{info.ID, model.NormalizeID(q.SKUID)}, sel.args...)
		count := `SELECT count(*)` + sel.from + `WHERE ` + sel.where
		if sel.every { // counted when the holders were derived: one row rather than a scan of them all
			count = `SELECT coalesce((SELECT holders FROM snapshot_sku_holders WHERE snapshot_id = ?1 AND sku_id = ?2), 0)`
		}
		if err := db.QueryRowContext(ctx, count, all...).Scan(&page.Total); err != nil {
			return fmt.Errorf("count holders: %w", err)
		}
		page.Rows = []model.Holder{}
		return eachHolder(ctx, db, info.ID, q, func(h model.Holder) error {
			page.Rows = append(page.Rows, h)
			return nil
		})
	})
	return page, err
}

// EachSKUHolder calls fn with every holder of q.SKUID that q selects, in q's order (q's page is
// ignored), from one consistent view of the current snapshot, a batch at a time.
func (s *Store) EachSKUHolder(ctx context.Context, q model.HolderQuery, fn func(model.Holder) error) error {
	q.Page, q.PageSize = 0, 0
	return s.read(ctx, func(db querier) error {
		info, err := currentSnapshot(ctx, db)
		if err != nil {
			return err
		}
		return eachHolder(ctx, db, info.ID, q, fn)
	})
}

// eachHolder lists the holders of q in order, each user with every property, license and state.
func eachHolder(ctx context.Context, db querier, snapID int64, q model.HolderQuery, fn func(model.Holder) error) error {
	order, ok := holderOrder(q.Sort)
	if !ok {
		return fmt.Errorf("sort by %q: %w", q.Sort, model.ErrInvalid)
	}
	sel, err := holderQuery(q, order)
	if err != nil {
		return err
	}
	dir := ""
	if q.Desc {
		dir = " DESC"
	}
	orderBy := ` ORDER BY ` + order + dir + `, h.user_id` + dir
	columns := `h.direct, h.via_groups, h.in_error, h.state, ` + userFields(q.Properties == nil || slices.ContainsFunc(q.Properties, isProp))
	const users = ` JOIN snapshot_users u ON u.snapshot_id = ?1 AND u.id = h.user_id `
	// An export is one pass over the holders joined to their users. A page first finds its
	// holders with only the joins its filters and order need, so skipping to page 500 does not
	// read 25,000 users, then reads those users (ordering the page's rows again).
	query := `SELECT ` + columns + ` FROM snapshot_holders h` + users + propsSortJoin(order) + `WHERE ` + sel.where + orderBy
	if q.PageSize > 0 {
		query = `WITH page AS (SELECT h.user_id, h.sort_name, h.direct, h.via_groups, h.in_error, h.state, h.account_enabled,
			h.department, h.usage_location` + sel.from +
			`WHERE ` + sel.where + orderBy + fmt.Sprintf(" LIMIT %d OFFSET %d", q.PageSize, (max(q.Page, 1)-1)*q.PageSize) +
			`) SELECT ` + columns + ` FROM page h` + users + propsSortJoin(order) + orderBy
	}
	all := append([]any{snapID, model.NormalizeID(q.SKUID)}, sel.args...)
	return eachRow(ctx, db, query, all, func(rows *sql.Rows) error {
		var h model.Holder
		if err := scanUser(rows, &h.User, &h.Direct, &h.ViaGroups, &h.InError, &h.State); err != nil {
			return err
		}
		return fn(h)
	})
}

// eachRow runs query and calls fn on each row, streaming: memory stays flat however many rows.
func eachRow(ctx context.Context, db querier, query string, args []any, fn func(*sql.Rows) error) error {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("list users: %w", err)
	}
	return nil
}

// isProp reports whether name is a report-only property (kept in snapshot_user_props).
func isProp(name string) bool {
	_, ok := propsNames[name]
	return ok
}

// propsSortJoin joins the users' properties when order sorts by one of them.
func propsSortJoin(order string) string {
	if strings.HasPrefix(order, "json_extract(p.props") {
		return `LEFT JOIN snapshot_user_props p ON p.snapshot_id = ?1 AND p.user_id = h.user_id `
	}
	return ""
}

// EachLicensedUser calls fn with every user of the current snapshot who holds a license, by
// name, with every license and state, from one consistent view, streaming. properties are the
// user properties (Graph names) fn reads; nil reads them all.
func (s *Store) EachLicensedUser(ctx context.Context, properties []string, fn func(model.User) error) error {
	return s.read(ctx, func(db querier) error {
		info, err := currentSnapshot(ctx, db)
		if err != nil {
			return err
		}
		query := `SELECT ` + userFields(properties == nil || slices.ContainsFunc(properties, isProp)) + `
			FROM (SELECT user_id, min(sort_name) AS sort_name FROM snapshot_holders WHERE snapshot_id = ?1 GROUP BY user_id) h
			JOIN snapshot_users u ON u.snapshot_id = ?1 AND u.id = h.user_id
			ORDER BY h.sort_name, h.user_id`
		return eachRow(ctx, db, query, []any{info.ID}, func(rows *sql.Rows) error {
			var u model.User
			if err := scanUser(rows, &u); err != nil {
				return err
			}
			return fn(u)
		})
	})
}

// HolderValues are the distinct non-empty departments and usage locations among the holders of
// a SKU, sorted, for the report's filters.
func (s *Store) HolderValues(ctx context.Context, skuID string) (departments, locations []string, err error) {
	err = s.read(ctx, func(db querier) error {
		info, err := currentSnapshot(ctx, db)
		if err != nil {
			return err
		}
		for _, c := range []struct {
			field string
			out   *[]string
		}{{"department", &departments}, {"usageLocation", &locations}} {
			rows, err := db.QueryContext(ctx, `SELECT value FROM snapshot_holder_values
				WHERE snapshot_id = ?1 AND sku_id = ?2 AND field = ?3`, info.ID, model.NormalizeID(skuID), c.field)
			if err != nil {
				return fmt.Errorf("holder values: %w", err)
			}
			for rows.Next() {
				var v string
				if err := rows.Scan(&v); err != nil {
					rows.Close()
					return fmt.Errorf("holder values: %w", err)
				}
				*c.out = append(*c.out, v)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return fmt.Errorf("holder values: %w", err)
			}
			sort.Slice(*c.out, func(i, j int) bool { return compareFold((*c.out)[i], (*c.out)[j]) < 0 })
		}
		return nil
	})
	return departments, locations, err
}

// LicenseSummaries are the current snapshot's subscribed SKUs with their holders counted by
// path and the licensed groups that assign each, ordered by name. ErrNotFound before the first
// sync.
func (s *Store) LicenseSummaries(ctx context.Context) ([]model.SKUSummary, error) {
	return readValue(ctx, s, func(db querier) ([]model.SKUSummary, error) {
		info, err := currentSnapshot(ctx, db)
		if err != nil {
			return nil, err
		}
		usage, err := skus(ctx, db, info.ID)
		if err != nil {
			return nil, err
		}
		out := make([]model.SKUSummary, len(usage))
		index := map[string]int{}
		for i, u := range usage {
			out[i].SKUUsage = u
			index[model.NormalizeID(u.ID)] = i
		}
		rows, err := db.QueryContext(ctx, `SELECT sku_id, holders, direct, from_groups, both, in_error
			FROM snapshot_sku_holders WHERE snapshot_id = ?`, info.ID)
		if err != nil {
			return nil, fmt.Errorf("license summaries: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			var c model.SKUHolders
			if err := rows.Scan(&id, &c.Holders, &c.Direct, &c.FromGroups, &c.Both, &c.InError); err != nil {
				return nil, fmt.Errorf("license summaries: %w", err)
			}
			if i, ok := index[id]; ok {
				out[i].SKUHolders = c
			}
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("license summaries: %w", err)
		}
		rows.Close()
		rows, err = db.QueryContext(ctx, `SELECT l.sku_id, g.id, g.display_name FROM snapshot_group_licenses l
			JOIN snapshot_groups g ON g.snapshot_id = l.snapshot_id AND g.id = l.group_id
			WHERE l.snapshot_id = ? ORDER BY g.sort_name, g.id`, info.ID)
		if err != nil {
			return nil, fmt.Errorf("license summaries: groups: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var sku string
			var g model.GroupRef
			if err := rows.Scan(&sku, &g.ID, &g.Name); err != nil {
				return nil, fmt.Errorf("license summaries: groups: %w", err)
			}
			if i, ok := index[sku]; ok {
				out[i].Groups = append(out[i].Groups, g)
			}
		}
		return out, rows.Err()
	})
}
