package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

// The alerts' history as /alerts shows it: every alert and channel test, newest first, with its
// notifications and each one's deliveries; and each channel's last test. One read transaction,
// so an alert and its deliveries are seen as of one moment.

// AlertHistory is one page of the history (see model.AlertHistoryQuery). A limit below 1 is 1;
// events below 1 means every notification of an alert.
func (s *Store) AlertHistory(ctx context.Context, q model.AlertHistoryQuery) (model.AlertHistoryPage, error) {
	q.Limit, q.Offset = max(q.Limit, 1), max(q.Offset, 0)
	page, err := readValue(ctx, s, func(db querier) (model.AlertHistoryPage, error) {
		var p model.AlertHistoryPage
		open := 0
		if q.Open {
			open = 1
		}
		if err := db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM alerts WHERE ? = 0 OR resolved_at IS NULL)
			+ (SELECT count(*) FROM alert_events WHERE alert_id IS NULL AND ? = 0)`, open, open).Scan(&p.Total); err != nil {
			return p, err
		}
		rows, err := db.QueryContext(ctx, `SELECT a.id, a.rule, a.subject, a.title, a.started_at, a.resolved_at, 0 FROM alerts a
			WHERE ? = 0 OR a.resolved_at IS NULL
			UNION ALL
			SELECT 0, 'test', '', '', e.at, NULL, e.id FROM alert_events e WHERE e.alert_id IS NULL AND ? = 0
			ORDER BY 5 DESC, 1 DESC, 7 DESC LIMIT ? OFFSET ?`, open, open, q.Limit, q.Offset)
		if err != nil {
			return p, err
		}
		defer rows.Close()
		var alertIDs, testIDs []any
		alertAt, testAt := map[int64]int{}, map[int64]int{}
		for rows.Next() {
			var e model.AlertHistoryEntry
			var started, resolved sql.NullInt64
			var testID int64
			if err := rows.Scan(&e.AlertID, &e.Rule, &e.Subject, &e.Title, &started, &resolved, &testID); err != nil {
				return p, err
			}
			e.StartedAt, e.ResolvedAt = timeFromDB(started), timeFromDB(resolved)
			if e.AlertID != 0 {
				alertAt[e.AlertID] = len(p.Entries)
				alertIDs = append(alertIDs, e.AlertID)
			} else {
				testAt[testID] = len(p.Entries)
				testIDs = append(testIDs, testID)
			}
			p.Entries = append(p.Entries, e)
		}
		if err := rows.Err(); err != nil {
			return p, err
		}
		rows.Close()
		events := map[int64]*model.AlertEventRecord{}
		var eventIDs []any
		add := func(entry int, ev model.AlertEventRecord) {
			e := &p.Entries[entry]
			e.Events = append(e.Events, ev)
			eventIDs = append(eventIDs, ev.ID)
		}
		if len(alertIDs) > 0 {
			limit := q.Events
			if limit < 1 {
				limit = -1
			}
			err := eachEvent(ctx, db, `SELECT id, alert_id, kind, at, body, n FROM (
				SELECT e.*, row_number() OVER (PARTITION BY alert_id ORDER BY at DESC, id DESC) AS rn,
					count(*) OVER (PARTITION BY alert_id) AS n
				FROM alert_events e WHERE alert_id IN (`+placeholders(len(alertIDs))+`))
				WHERE ? < 0 OR rn <= ? ORDER BY alert_id, at, id`, append(alertIDs, limit, limit),
				func(alertID int64, n int, ev model.AlertEventRecord) {
					i := alertAt[alertID]
					p.Entries[i].EventCount = n
					add(i, ev)
				})
			if err != nil {
				return p, err
			}
		}
		if len(testIDs) > 0 {
			err := eachEvent(ctx, db, `SELECT id, 0, kind, at, body, 1 FROM alert_events WHERE id IN (`+placeholders(len(testIDs))+`)`, testIDs,
				func(_ int64, _ int, ev model.AlertEventRecord) {
					i := testAt[ev.ID]
					p.Entries[i].EventCount = 1
					p.Entries[i].Title = ev.Message.Title
					add(i, ev)
				})
			if err != nil {
				return p, err
			}
		}
		for i := range p.Entries {
			for j := range p.Entries[i].Events {
				events[p.Entries[i].Events[j].ID] = &p.Entries[i].Events[j]
			}
		}
		if len(eventIDs) == 0 {
			return p, nil
		}
		ds, err := deliveryRecords(ctx, db, `d.event_id IN (`+placeholders(len(eventIDs))+`) ORDER BY c.name, d.id`, eventIDs...)
		if err != nil {
			return p, err
		}
		for _, d := range ds {
			if ev := events[d.EventID]; ev != nil {
				ev.Deliveries = append(ev.Deliveries, d)
			}
		}
		return p, nil
	})
	if err != nil {
		return model.AlertHistoryPage{}, fmt.Errorf("read alert history: %w", err)
	}
	return page, nil
}

// eachEvent calls fn with each event a query of (id, alert id, kind, at, body, count) returns.
func eachEvent(ctx context.Context, db querier, query string, args []any, fn func(alertID int64, n int, ev model.AlertEventRecord)) error {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var ev model.AlertEventRecord
		var alertID int64
		var n int
		var at sql.NullInt64
		var body string
		if err := rows.Scan(&ev.ID, &alertID, &ev.Kind, &at, &body, &n); err != nil {
			return err
		}
		ev.At = timeFromDB(at)
		if err := json.Unmarshal([]byte(body), &ev.Message); err != nil {
			return fmt.Errorf("event %d: stored message: %w", ev.ID, err)
		}
		fn(alertID, n, ev)
	}
	return rows.Err()
}

// deliveryRecords are the deliveries matching where (over d, the delivery, e its event and c its
// channel), with the time of each one's last attempt.
func deliveryRecords(ctx context.Context, db querier, where string, args ...any) ([]model.AlertDeliveryRecord, error) {
	rows, err := db.QueryContext(ctx, `SELECT d.id, d.event_id, e.at, d.channel_id, c.name, c.enabled, d.status, d.attempts,
			d.next_at, d.sent_at, d.error, (SELECT max(t.at) FROM alert_attempts t WHERE t.delivery_id = d.id)
		FROM alert_deliveries d JOIN alert_events e ON e.id = d.event_id JOIN alert_channels c ON c.id = d.channel_id
		WHERE `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []model.AlertDeliveryRecord
	for rows.Next() {
		var d model.AlertDeliveryRecord
		var eventAt, next, sent, last sql.NullInt64
		if err := rows.Scan(&d.ID, &d.EventID, &eventAt, &d.ChannelID, &d.ChannelName, &d.ChannelEnabled, &d.Status, &d.Attempts,
			&next, &sent, &d.Error, &last); err != nil {
			return nil, err
		}
		d.EventAt, d.NextAt, d.SentAt, d.LastAttemptAt = timeFromDB(eventAt), timeFromDB(next), timeFromDB(sent), timeFromDB(last)
		out = append(out, d)
	}
	return out, rows.Err()
}

// LastAlertTests are the delivery of each channel's latest test, by channel id (channels never
// tested are missing).
func (s *Store) LastAlertTests(ctx context.Context) (map[int64]model.AlertDeliveryRecord, error) {
	ds, err := readValue(ctx, s, func(db querier) ([]model.AlertDeliveryRecord, error) {
		return deliveryRecords(ctx, db, `d.id IN (SELECT max(d2.id) FROM alert_deliveries d2 JOIN alert_events e2 ON e2.id = d2.event_id
			WHERE e2.kind = 'test' GROUP BY d2.channel_id)`)
	})
	if err != nil {
		return nil, fmt.Errorf("read alert tests: %w", err)
	}
	out := make(map[int64]model.AlertDeliveryRecord, len(ds))
	for _, d := range ds {
		out[d.ChannelID] = d
	}
	return out, nil
}
