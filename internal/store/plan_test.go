package store

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

// Every order of the group report is an index walk: SQLite never sorts the 10,000 groups for a
// page (which is what keeps deep pages fast; see BenchmarkGroupReport).
func TestGroupReportUsesIndexes(t *testing.T) {
	st := openTest(t)
	mustSave(t, st, 0, genTenant(2, 100, 300))
	info, err := st.CurrentSnapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, sort := range []string{model.GroupSortName, model.GroupSortID, model.GroupSortMembers, model.GroupSortErrors,
		model.GroupSortLicenses, model.GroupSortProcessing} {
		for _, desc := range []bool{false, true} {
			// With "only errors" SQLite may rather range over the errors index and sort the few
			// groups in error; either way it reads an index.
			for _, q := range []model.GroupReportQuery{
				{Sort: sort, Desc: desc},
				{Sort: sort, Desc: desc, Search: "stud"},
				{Sort: sort, Desc: desc, OnlyErrors: true},
			} {
				where, args := reportWhere(info.ID, q)
				query := `SELECT ` + reportColumns + ` FROM snapshot_groups WHERE ` + where +
					` ORDER BY ` + reportOrder(q) + ` LIMIT 50 OFFSET 100`
				plan := explain(t, st, query, args...)
				if !q.OnlyErrors && strings.Contains(plan, "TEMP B-TREE") || !strings.Contains(plan, "INDEX") && !strings.Contains(plan, "PRIMARY KEY") {
					t.Errorf("%+v: %s", q, plan)
				}
			}
		}
	}
	if plan := explain(t, st, `SELECT user_id FROM snapshot_user_states WHERE snapshot_id = ?1 AND assigned_by_group = ?2 AND error <> ''`,
		info.ID, "g"); !strings.Contains(plan, "snapshot_user_states_group_errors") {
		t.Errorf("users in error for a group: %s", plan)
	}
	if plan := explain(t, st, `SELECT user_id FROM snapshot_user_states WHERE snapshot_id = ?1 AND assigned_by_group = ?2 AND state = 'Disabled'`,
		info.ID, "g"); !strings.Contains(plan, "snapshot_user_states_group_disabled") {
		t.Errorf("users with disabled licenses of a group: %s", plan)
	}
}

func explain(t *testing.T, st *Store, query string, args ...any) string {
	t.Helper()
	rows, err := st.DB().Query(`EXPLAIN QUERY PLAN `+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	return fmt.Sprint(plan)
}
