package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/text"
)

// Dashboard sessions (internal/auth keeps them here): one row per signed-in browser, keyed by
// the hash of its cookie's token.

const sessionColumns = `id, ref, oid, upn, name, roles, created_at, seen_at, checked_at, remote_ip, user_agent`

// maxUserAgent bounds the stored browser description.
const maxUserAgent = 256

// CreateSession stores a new session.
func (s *Store) CreateSession(ctx context.Context, ses model.Session) error {
	if ses.ID == "" || ses.Ref == "" || ses.ObjectID == "" {
		return errors.New("create session: id, ref and object id are required")
	}
	_, err := s.exec(ctx, `INSERT INTO sessions (`+sessionColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		ses.ID, ses.Ref, ses.ObjectID, text.Truncate(ses.UPN, maxActivityField), text.Truncate(ses.Name, maxActivityField),
		jsonList(ses.Roles), timeToDB(ses.CreatedAt), timeToDB(ses.SeenAt), timeToDB(ses.CheckedAt),
		text.Truncate(ses.RemoteIP, maxActivityField), text.Truncate(ses.UserAgent, maxUserAgent))
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return nil
}

// Session is the session with id (its token's hash); ErrNotFound when it has ended.
func (s *Store) Session(ctx context.Context, id string) (model.Session, error) {
	ses, err := scanSession(s.rdb.QueryRowContext(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return model.Session{}, fmt.Errorf("session: %w", model.ErrNotFound)
	} else if err != nil {
		return model.Session{}, fmt.Errorf("session: %w", err)
	}
	return ses, nil
}

// TouchSession records that session id was used at seen; ErrNotFound when it has ended.
func (s *Store) TouchSession(ctx context.Context, id string, seen time.Time) error {
	return s.updateSession(ctx, "touch", `UPDATE sessions SET seen_at = ? WHERE id = ?`, timeToDB(seen), id)
}

// RecheckSession records roles (and the name) just read from the identity provider for
// session id at checked; ErrNotFound when it has ended meanwhile.
func (s *Store) RecheckSession(ctx context.Context, id, name string, roles []string, checked time.Time) error {
	return s.updateSession(ctx, "re-check", `UPDATE sessions SET roles = ?, name = ?, checked_at = ?, seen_at = max(seen_at, ?) WHERE id = ?`,
		jsonList(roles), text.Truncate(name, maxActivityField), timeToDB(checked), timeToDB(checked), id)
}

func (s *Store) updateSession(ctx context.Context, what, query string, args ...any) error {
	res, err := s.exec(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("%s session: %w", what, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("%s session: %w", what, err)
	} else if n == 0 {
		return fmt.Errorf("%s session: %w", what, model.ErrNotFound)
	}
	return nil
}

// DeleteSession ends session id; ending one that has ended already is no error.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	if _, err := s.exec(ctx, `DELETE FROM sessions WHERE id = ?`, id); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// DeleteSessionByRef ends the session a page names by ref and returns it; ErrNotFound when
// there is none.
func (s *Store) DeleteSessionByRef(ctx context.Context, ref string) (model.Session, error) {
	var ses model.Session
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		ses, err = scanSession(tx.QueryRowContext(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE ref = ?`, ref))
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM sessions WHERE id = ?`, ses.ID)
		return err
	})
	if errors.Is(err, sql.ErrNoRows) {
		return model.Session{}, fmt.Errorf("session %s: %w", ref, model.ErrNotFound)
	} else if err != nil {
		return model.Session{}, fmt.Errorf("end session %s: %w", ref, err)
	}
	return ses, nil
}

// DeleteSessionsOf ends every session of the person with object id oid and says how many.
func (s *Store) DeleteSessionsOf(ctx context.Context, oid string) (int, error) {
	res, err := s.exec(ctx, `DELETE FROM sessions WHERE oid = ?`, oid)
	if err != nil {
		return 0, fmt.Errorf("delete sessions: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// Sessions lists the sessions used at or after activeSince (of the person oid, or everyone's
// for ""), most recently used first.
func (s *Store) Sessions(ctx context.Context, oid string, activeSince time.Time) ([]model.Session, error) {
	q := `SELECT ` + sessionColumns + ` FROM sessions WHERE seen_at >= ?`
	args := []any{activeSince.UnixNano()}
	if activeSince.IsZero() {
		args[0] = 0
	}
	if oid != "" {
		q += ` AND oid = ?`
		args = append(args, oid)
	}
	rows, err := s.rdb.QueryContext(ctx, q+` ORDER BY seen_at DESC, ref`, args...)
	if err != nil {
		return nil, fmt.Errorf("sessions: %w", err)
	}
	defer rows.Close()
	var out []model.Session
	for rows.Next() {
		ses, err := scanSession(rows)
		if err != nil {
			return nil, fmt.Errorf("sessions: %w", err)
		}
		out = append(out, ses)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sessions: %w", err)
	}
	return out, nil
}

// PruneSessions deletes the sessions that ended by time: not used since idleBefore, or signed
// in before createdBefore.
func (s *Store) PruneSessions(ctx context.Context, idleBefore, createdBefore time.Time) (int, error) {
	res, err := s.exec(ctx, `DELETE FROM sessions WHERE seen_at < ? OR created_at < ?`,
		timeToDB(idleBefore), timeToDB(createdBefore))
	if err != nil {
		return 0, fmt.Errorf("prune sessions: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

func scanSession(sc scanner) (model.Session, error) {
	var ses model.Session
	var roles string
	var created, seen, checked sql.NullInt64
	if err := sc.Scan(&ses.ID, &ses.Ref, &ses.ObjectID, &ses.UPN, &ses.Name, &roles, &created, &seen, &checked,
		&ses.RemoteIP, &ses.UserAgent); err != nil {
		return model.Session{}, err
	}
	var err error
	if ses.Roles, err = parseList(roles); err != nil {
		return model.Session{}, err
	}
	ses.CreatedAt, ses.SeenAt, ses.CheckedAt = timeFromDB(created), timeFromDB(seen), timeFromDB(checked)
	return ses, nil
}
