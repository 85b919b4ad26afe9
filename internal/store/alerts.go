package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/mattn/go-sqlite3"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

// OpenAlerts are the alerts whose condition lasted at the last evaluation.
func (s *Store) OpenAlerts(ctx context.Context) ([]model.OpenAlert, error) {
	return readValue(ctx, s, func(q querier) ([]model.OpenAlert, error) {
		rows, err := q.QueryContext(ctx, `SELECT id, rule, subject, title, level, started_at, last_sent_at
			FROM alerts WHERE resolved_at IS NULL ORDER BY id`)
		if err != nil {
			return nil, fmt.Errorf("read open alerts: %w", err)
		}
		defer rows.Close()
		var out []model.OpenAlert
		for rows.Next() {
			var a model.OpenAlert
			var started, sent sql.NullInt64
			if err := rows.Scan(&a.ID, &a.Rule, &a.Subject, &a.Title, &a.Level, &started, &sent); err != nil {
				return nil, fmt.Errorf("read open alerts: %w", err)
			}
			a.StartedAt, a.LastSentAt = timeFromDB(started), timeFromDB(sent)
			out = append(out, a)
		}
		return out, rows.Err()
	})
}

// RecordAlerts writes what one evaluation changed, in one transaction: a new alert for each
// fired message, the last notification time of each repeated one, the end of each resolved one,
// an event per message and, in the outbox, a delivery of each event to every enabled channel,
// due at once. So a notification is either recorded with all its deliveries or not at all.
func (s *Store) RecordAlerts(ctx context.Context, changes []model.AlertChange) error {
	if len(changes) == 0 {
		return nil
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		channels, err := queryColumn[int64](ctx, tx, `SELECT id FROM alert_channels WHERE enabled = 1 AND removed_at IS NULL ORDER BY id`)
		if err != nil {
			return err
		}
		for _, c := range changes {
			m := c.Message
			id := c.ID
			switch m.Kind {
			case model.AlertFired:
				res, err := tx.ExecContext(ctx, `INSERT INTO alerts (rule, subject, title, level, started_at, last_sent_at) VALUES (?, ?, ?, ?, ?, ?)`,
					m.Rule, m.Subject, m.Title, c.Level, timeToDB(m.Since), timeToDB(m.At))
				if err != nil {
					return err
				}
				if id, err = res.LastInsertId(); err != nil {
					return err
				}
			case model.AlertRepeat:
				if err := updateOne(ctx, tx, `UPDATE alerts SET last_sent_at = ?, title = ?, level = ? WHERE id = ? AND resolved_at IS NULL`, timeToDB(m.At), m.Title, c.Level, id); err != nil {
					return err
				}
			case model.AlertResolved:
				if err := updateOne(ctx, tx, `UPDATE alerts SET resolved_at = ? WHERE id = ? AND resolved_at IS NULL`, timeToDB(m.At), id); err != nil {
					return err
				}
			default:
				return fmt.Errorf("alert %s/%s: unknown kind %q", m.Rule, m.Subject, m.Kind)
			}
			if _, err := addEvent(ctx, tx, id, m, channels); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("record alerts: %w", err)
	}
	return nil
}

// updateOne runs an UPDATE that must change exactly one row (model.ErrNotFound otherwise).
func updateOne(ctx context.Context, tx *sql.Tx, query string, args ...any) error {
	res, err := tx.ExecContext(ctx, query, args...)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n != 1 {
		return fmt.Errorf("alert %v: %w", args[len(args)-1], model.ErrNotFound)
	}
	return nil
}

// addEvent records message m of alert id (0 for a channel test) and queues it to channels,
// returning the deliveries' ids in the order of channels.
func addEvent(ctx context.Context, tx *sql.Tx, id int64, m model.AlertMessage, channels []int64) ([]int64, error) {
	body, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	var alertID any = id
	if id == 0 {
		alertID = nil
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO alert_events (alert_id, kind, at, body) VALUES (?, ?, ?, ?)`,
		alertID, m.Kind, timeToDB(m.At), string(body))
	if err != nil {
		return nil, err
	}
	eventID, err := res.LastInsertId()
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(channels))
	for i, ch := range channels {
		// Due at once, unless the channel is in a backoff (a delivery that failed waits): then
		// with it, so a new alert does not restart the backoff from a minute.
		if err := tx.QueryRowContext(ctx, `INSERT INTO alert_deliveries (event_id, channel_id, status, next_at)
			VALUES (?1, ?2, 'pending', max(?3, coalesce((SELECT max(next_at) FROM alert_deliveries
				WHERE channel_id = ?2 AND status = 'pending' AND attempts > 0), ?3))) RETURNING id`,
			eventID, ch, timeToDB(m.At)).Scan(&ids[i]); err != nil {
			return nil, err
		}
	}
	return ids, nil
}

// QueueTest records a test message to one channel and queues its delivery, whose id it returns.
func (s *Store) QueueTest(ctx context.Context, channelID int64, m model.AlertMessage) (int64, error) {
	m.Kind = model.AlertTest
	var id int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM alert_channels WHERE id = ? AND removed_at IS NULL`, channelID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return &model.NotFoundError{What: "alert channel", ID: strconv.FormatInt(channelID, 10)}
		}
		ids, err := addEvent(ctx, tx, 0, m, []int64{channelID})
		if err != nil {
			return err
		}
		id = ids[0]
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("queue test: %w", err)
	}
	return id, nil
}

// channelColumns are an alert channel's columns in the order channelTargets scans them.
const channelColumns = `c.id, c.name, c.kind, c.format, c.secret, c.email, c.quiet_start, c.quiet_end, c.quiet_zone, c.enabled, c.off_by_person, c.created_at`

// channelScan holds what a channel's columns scan into until finish makes the channel.
type channelScan struct {
	c       model.AlertChannel
	email   string
	created sql.NullInt64
}

func (cs *channelScan) targets() []any {
	c := &cs.c
	return []any{&c.ID, &c.Name, &c.Kind, &c.Format, &c.Secret, &cs.email, &c.Quiet.Start, &c.Quiet.End, &c.Quiet.Zone, &c.Enabled, &c.OffByPerson, &cs.created}
}

func (cs *channelScan) finish() (model.AlertChannel, error) {
	cs.c.CreatedAt = timeFromDB(cs.created)
	if cs.c.Kind == model.ChannelEmail {
		if err := json.Unmarshal([]byte(cs.email), &cs.c.Email); err != nil {
			return cs.c, fmt.Errorf("channel %d: stored email settings: %w", cs.c.ID, err)
		}
	}
	return cs.c, nil
}

const deliveryColumns = `d.id, d.event_id, d.status, d.attempts, d.next_at, d.sent_at, d.error, e.body, ` + channelColumns

func scanDelivery(sc scanner) (model.AlertDelivery, error) {
	var d model.AlertDelivery
	var next, sent sql.NullInt64
	var body string
	var cs channelScan
	if err := sc.Scan(append([]any{&d.ID, &d.EventID, &d.Status, &d.Attempts, &next, &sent, &d.Error, &body}, cs.targets()...)...); err != nil {
		return d, err
	}
	var err error
	if d.Channel, err = cs.finish(); err != nil {
		return d, err
	}
	d.NextAt, d.SentAt = timeFromDB(next), timeFromDB(sent)
	if err := json.Unmarshal([]byte(body), &d.Message); err != nil {
		return d, fmt.Errorf("delivery %d: stored message: %w", d.ID, err)
	}
	return d, nil
}

// channelRow is c's columns after id and created_at as written: kind, format, secret, email,
// quiet hours, enabled.
func channelRow(c model.AlertChannel) ([]any, error) {
	email := "{}"
	if c.Kind == model.ChannelEmail {
		b, err := json.Marshal(c.Email)
		if err != nil {
			return nil, err
		}
		email = string(b)
	}
	return []any{c.Kind, c.Format, c.Secret, email, c.Quiet.Start, c.Quiet.End, c.Quiet.Zone, c.Enabled}, nil
}

// isUniqueViolation says whether err is SQLite refusing a duplicate of a UNIQUE column.
func isUniqueViolation(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && se.ExtendedCode == sqlite3.ErrConstraintUnique
}

func (s *Store) deliveries(ctx context.Context, where string, args ...any) ([]model.AlertDelivery, error) {
	return readValue(ctx, s, func(q querier) ([]model.AlertDelivery, error) {
		rows, err := q.QueryContext(ctx, `SELECT `+deliveryColumns+` FROM alert_deliveries d
			JOIN alert_events e ON e.id = d.event_id JOIN alert_channels c ON c.id = d.channel_id `+where, args...)
		if err != nil {
			return nil, fmt.Errorf("read alert deliveries: %w", err)
		}
		defer rows.Close()
		var out []model.AlertDelivery
		for rows.Next() {
			d, err := scanDelivery(rows)
			if err != nil {
				return nil, fmt.Errorf("read alert deliveries: %w", err)
			}
			out = append(out, d)
		}
		return out, rows.Err()
	})
}

// DueDeliveries are the pending deliveries due by now to channels that are on, oldest first, at
// most limit: not those another process is sending (claimed), nor channel tests (sent while
// the person waits, by SendTest alone).
func (s *Store) DueDeliveries(ctx context.Context, now time.Time, limit int) ([]model.AlertDelivery, error) {
	return s.deliveries(ctx, `WHERE d.status = 'pending' AND d.next_at <= ?1 AND c.enabled = 1 AND e.kind <> 'test'
		AND (d.claimed_until IS NULL OR d.claimed_until <= ?1) ORDER BY d.next_at, d.id LIMIT ?2`, timeToDB(now), limit)
}

// RecentDeliveries are the last limit deliveries, newest first, sent or not.
func (s *Store) RecentDeliveries(ctx context.Context, limit int) ([]model.AlertDelivery, error) {
	return s.deliveries(ctx, `ORDER BY d.id DESC LIMIT ?`, limit)
}

// AlertDelivery is delivery id; an *model.NotFoundError when there is none.
func (s *Store) AlertDelivery(ctx context.Context, id int64) (model.AlertDelivery, error) {
	ds, err := s.deliveries(ctx, `WHERE d.id = ?`, id)
	if err != nil {
		return model.AlertDelivery{}, err
	}
	if len(ds) == 0 {
		return model.AlertDelivery{}, &model.NotFoundError{What: "alert delivery", ID: strconv.FormatInt(id, 10)}
	}
	return ds[0], nil
}

// ClaimDelivery takes pending delivery id for this process to send until until, unless another
// holds it (its claim not yet run out at now) or it is no longer pending: false then.
func (s *Store) ClaimDelivery(ctx context.Context, id int64, now, until time.Time) (bool, error) {
	var claimed bool
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE alert_deliveries SET claimed_until = ?1 WHERE id = ?2 AND status = 'pending'
			AND (claimed_until IS NULL OR claimed_until <= ?3)`, timeToDB(until), id, timeToDB(now))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		claimed = n == 1
		return err
	})
	if err != nil {
		return false, fmt.Errorf("claim delivery: %w", err)
	}
	return claimed, nil
}

// RecordAttempt records one attempt of delivery id at at: sent when errText is "", else failed
// with errText and tried again at next — or, when next is zero, failed for good (a channel
// test). statusCode is the receiver's HTTP status or SMTP reply code (0 when none).
func (s *Store) RecordAttempt(ctx context.Context, id int64, at time.Time, statusCode int, errText string, next time.Time) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO alert_attempts (delivery_id, at, error, status_code) VALUES (?, ?, ?, ?)`,
			id, timeToDB(at), errText, statusCode); err != nil {
			return err
		}
		switch {
		case errText == "":
			return updateOne(ctx, tx, `UPDATE alert_deliveries SET status = 'sent', attempts = attempts + 1, sent_at = ?, error = '', claimed_until = NULL WHERE id = ? AND status = 'pending'`,
				timeToDB(at), id)
		case next.IsZero():
			return updateOne(ctx, tx, `UPDATE alert_deliveries SET status = 'failed', attempts = attempts + 1, error = ?, claimed_until = NULL WHERE id = ? AND status = 'pending'`,
				errText, id)
		}
		return updateOne(ctx, tx, `UPDATE alert_deliveries SET attempts = attempts + 1, next_at = ?, error = ?, claimed_until = NULL WHERE id = ? AND status = 'pending'`,
			timeToDB(next), errText, id)
	})
	if err != nil {
		return fmt.Errorf("record delivery attempt: %w", err)
	}
	return nil
}

// AddAlertChannel stores a new channel; a name already taken is an *model.InputError.
func (s *Store) AddAlertChannel(ctx context.Context, c model.AlertChannel) (model.AlertChannel, error) {
	if c.CreatedAt.IsZero() {
		c.CreatedAt = s.Now()
	}
	row, err := channelRow(c)
	if err != nil {
		return model.AlertChannel{}, fmt.Errorf("add alert channel: %w", err)
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO alert_channels (name, created_at, kind, format, secret, email, quiet_start, quiet_end, quiet_zone, enabled)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, append([]any{c.Name, timeToDB(c.CreatedAt)}, row...)...).Scan(&c.ID)
	})
	switch {
	case isUniqueViolation(err):
		return model.AlertChannel{}, &model.InputError{Message: fmt.Sprintf("A channel named %q already exists.", c.Name), Field: "name"}
	case err != nil:
		return model.AlertChannel{}, fmt.Errorf("add alert channel: %w", err)
	}
	return c, nil
}

// dropPending drops what is queued for channel id and not sent (a channel off or removed is
// told nothing of that time; when it is on again, it hears what happens from then).
func dropPending(ctx context.Context, tx *sql.Tx, id int64) error {
	pending := `SELECT id FROM alert_deliveries WHERE channel_id = ?1 AND status = 'pending'`
	if _, err := tx.ExecContext(ctx, `DELETE FROM alert_attempts WHERE delivery_id IN (`+pending+`)`, id); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `DELETE FROM alert_deliveries WHERE channel_id = ? AND status = 'pending'`, id)
	return err
}

// ReleaseDeliveries makes what is queued for channel id due now: after its settings changed or
// a test went through, it need not wait out a backoff or quiet hours it no longer has.
func (s *Store) ReleaseDeliveries(ctx context.Context, channelID int64, now time.Time) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error { return releasePending(ctx, tx, channelID, now) })
	if err != nil {
		return fmt.Errorf("release deliveries: %w", err)
	}
	return nil
}

func releasePending(ctx context.Context, tx *sql.Tx, id int64, now time.Time) error {
	_, err := tx.ExecContext(ctx, `UPDATE alert_deliveries SET next_at = ?1 WHERE channel_id = ?2 AND status = 'pending' AND next_at > ?1`,
		timeToDB(now), id)
	return err
}

// RemoveAlertChannel removes channel id: it is sent nothing more, what was still queued for it
// is dropped, and what it was sent stays in the history under its name. An
// *model.NotFoundError when there is none (or it is removed already).
func (s *Store) RemoveAlertChannel(ctx context.Context, id int64) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := updateOne(ctx, tx, `UPDATE alert_channels SET removed_at = ?, enabled = 0 WHERE id = ? AND removed_at IS NULL`,
			timeToDB(s.Now()), id); err != nil {
			return err
		}
		return dropPending(ctx, tx, id)
	})
	if errors.Is(err, model.ErrNotFound) {
		return &model.NotFoundError{What: "alert channel", ID: strconv.FormatInt(id, 10)}
	}
	if err != nil {
		return fmt.Errorf("remove alert channel: %w", err)
	}
	return nil
}

// RemovedAlertChannel is the name of channel id, removed; an *model.NotFoundError when there is
// no such channel or it is not removed.
func (s *Store) RemovedAlertChannel(ctx context.Context, id int64) (string, error) {
	return readValue(ctx, s, func(q querier) (string, error) {
		var name string
		err := q.QueryRowContext(ctx, `SELECT name FROM alert_channels WHERE id = ? AND removed_at IS NOT NULL`, id).Scan(&name)
		if errors.Is(err, sql.ErrNoRows) {
			return "", &model.NotFoundError{What: "removed alert channel", ID: strconv.FormatInt(id, 10)}
		}
		return name, err
	})
}

// AlertChannels are every channel not removed, by name.
func (s *Store) AlertChannels(ctx context.Context) ([]model.AlertChannel, error) {
	return readValue(ctx, s, func(q querier) ([]model.AlertChannel, error) {
		rows, err := q.QueryContext(ctx, `SELECT `+channelColumns+` FROM alert_channels c WHERE c.removed_at IS NULL ORDER BY c.name`)
		if err != nil {
			return nil, fmt.Errorf("read alert channels: %w", err)
		}
		defer rows.Close()
		var out []model.AlertChannel
		for rows.Next() {
			var cs channelScan
			if err := rows.Scan(cs.targets()...); err != nil {
				return nil, fmt.Errorf("read alert channels: %w", err)
			}
			c, err := cs.finish()
			if err != nil {
				return nil, err
			}
			out = append(out, c)
		}
		return out, rows.Err()
	})
}

// AlertChannel is channel id; an *model.NotFoundError when there is none or it is removed.
func (s *Store) AlertChannel(ctx context.Context, id int64) (model.AlertChannel, error) {
	return readValue(ctx, s, func(q querier) (model.AlertChannel, error) {
		var cs channelScan
		err := q.QueryRowContext(ctx, `SELECT `+channelColumns+` FROM alert_channels c WHERE c.id = ? AND c.removed_at IS NULL`, id).Scan(cs.targets()...)
		if errors.Is(err, sql.ErrNoRows) {
			return model.AlertChannel{}, &model.NotFoundError{What: "alert channel", ID: strconv.FormatInt(id, 10)}
		}
		if err != nil {
			return model.AlertChannel{}, fmt.Errorf("read alert channel: %w", err)
		}
		return cs.finish()
	})
}

// SetAlertChannel switches channel id on or off and sets its quiet hours (a person's choice:
// one they switch from on to off stays off when the configuration is applied again at the next
// start, PutAlertChannel; saving a channel that was off already changes nothing of that); an
// *model.NotFoundError when there is none. Switched off, what is queued for it is dropped (it
// is told nothing of the time it is off, so never a start without its end); otherwise what is
// queued is due now, the next round deciding by the new quiet hours.
func (s *Store) SetAlertChannel(ctx context.Context, id int64, enabled bool, quiet model.QuietHours) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := updateOne(ctx, tx, `UPDATE alert_channels SET enabled = ?1,
				off_by_person = CASE WHEN ?1 THEN 0 WHEN enabled THEN 1 ELSE off_by_person END, quiet_start = ?2, quiet_end = ?3, quiet_zone = ?4
				WHERE id = ?5 AND removed_at IS NULL`,
			enabled, quiet.Start, quiet.End, quiet.Zone, id); err != nil {
			return err
		}
		if !enabled {
			return dropPending(ctx, tx, id)
		}
		return releasePending(ctx, tx, id, s.Now())
	})
	if errors.Is(err, model.ErrNotFound) {
		return &model.NotFoundError{What: "alert channel", ID: strconv.FormatInt(id, 10)}
	}
	if err != nil {
		return fmt.Errorf("set alert channel: %w", err)
	}
	return nil
}

// AlertRuleSettings are the stored settings of the rules that have any, by rule.
func (s *Store) AlertRuleSettings(ctx context.Context) (map[string]model.AlertRuleSettings, error) {
	return readValue(ctx, s, func(q querier) (map[string]model.AlertRuleSettings, error) {
		rows, err := q.QueryContext(ctx, `SELECT rule, enabled, settings, updated_at, updated_by FROM alert_rules`)
		if err != nil {
			return nil, fmt.Errorf("read alert rules: %w", err)
		}
		defer rows.Close()
		out := map[string]model.AlertRuleSettings{}
		for rows.Next() {
			var r model.AlertRuleSettings
			var at sql.NullInt64
			if err := rows.Scan(&r.Rule, &r.Enabled, &r.Settings, &at, &r.UpdatedBy); err != nil {
				return nil, fmt.Errorf("read alert rules: %w", err)
			}
			r.UpdatedAt = timeFromDB(at)
			out[r.Rule] = r
		}
		return out, rows.Err()
	})
}

// SetAlertRuleSettings stores a rule's settings, replacing earlier ones.
func (s *Store) SetAlertRuleSettings(ctx context.Context, r model.AlertRuleSettings) error {
	if r.UpdatedAt.IsZero() {
		r.UpdatedAt = s.Now()
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO alert_rules (rule, enabled, settings, updated_at, updated_by) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (rule) DO UPDATE SET enabled = excluded.enabled, settings = excluded.settings,
			updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
			r.Rule, r.Enabled, r.Settings, timeToDB(r.UpdatedAt), r.UpdatedBy)
		return err
	})
	if err != nil {
		return fmt.Errorf("set alert rule: %w", err)
	}
	return nil
}

// PostponeDeliveries makes the pending deliveries to channel id due no earlier than until: when
// the channel failed, the others wait for its next try instead of each failing on their own.
// It counts no attempt.
func (s *Store) PostponeDeliveries(ctx context.Context, channelID int64, until time.Time) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE alert_deliveries SET next_at = ? WHERE channel_id = ? AND status = 'pending' AND next_at < ?`,
			timeToDB(until), channelID, timeToDB(until))
		return err
	})
	if err != nil {
		return fmt.Errorf("postpone deliveries: %w", err)
	}
	return nil
}

// PutAlertChannel makes the channel named c.Name what c says (kind, format, secret, on or off),
// adding it when there is none: the channel the configuration gives. One a person switched off
// (SetAlertChannel) stays off. It returns it as stored.
func (s *Store) PutAlertChannel(ctx context.Context, c model.AlertChannel) (model.AlertChannel, error) {
	if c.CreatedAt.IsZero() {
		c.CreatedAt = s.Now()
	}
	row, err := channelRow(c)
	if err != nil {
		return model.AlertChannel{}, fmt.Errorf("put alert channel: %w", err)
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO alert_channels (name, created_at, kind, format, secret, email, quiet_start, quiet_end, quiet_zone, enabled)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (name) WHERE removed_at IS NULL DO UPDATE SET kind = excluded.kind, format = excluded.format, secret = excluded.secret,
			email = excluded.email, enabled = excluded.enabled AND NOT alert_channels.off_by_person
			RETURNING id, enabled`, append([]any{c.Name, timeToDB(c.CreatedAt)}, row...)...).Scan(&c.ID, &c.Enabled); err != nil {
			return err
		}
		if !c.Enabled {
			return dropPending(ctx, tx, c.ID)
		}
		return nil
	})
	if err != nil {
		return model.AlertChannel{}, fmt.Errorf("put alert channel: %w", err)
	}
	return c, nil
}
