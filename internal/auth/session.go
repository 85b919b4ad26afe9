package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gorilla/sessions"

	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/text"
)

// SessionStore keeps sessions on the server. *store.Store implements it. Session, TouchSession
// and RecheckSession answer model.ErrNotFound for a session that has ended.
type SessionStore interface {
	CreateSession(ctx context.Context, s model.Session) error
	Session(ctx context.Context, id string) (model.Session, error)
	TouchSession(ctx context.Context, id string, seen time.Time) error
	RecheckSession(ctx context.Context, id, name string, roles []string, checked time.Time) error
	DeleteSession(ctx context.Context, id string) error
	DeleteSessionByRef(ctx context.Context, ref string) (model.Session, error)
	DeleteSessionsOf(ctx context.Context, oid string) (int, error)
	Sessions(ctx context.Context, oid string, activeSince time.Time) ([]model.Session, error)
}

// tokenKey is the cookie value's only entry: the session's random token.
const tokenKey = "t"

// sessionID is how a token is stored: its SHA-256, so the database (or a backup of it) holds
// nothing a browser could present.
func sessionID(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// startSession stores a new session for p and gives the browser its cookie; a new session
// replaces whatever cookie was there.
func (a *Authenticator) startSession(w http.ResponseWriter, r *http.Request, p Principal) error {
	token := rand.Text()
	var ref [9]byte
	_, _ = rand.Read(ref[:]) // crypto/rand never fails on supported platforms
	now := a.now()
	ses := model.Session{ID: sessionID(token), Ref: hex.EncodeToString(ref[:]), ObjectID: p.ObjectID, UPN: p.UPN, Name: p.Name,
		Roles: p.Roles, CreatedAt: now, SeenAt: now, CheckedAt: now, RemoteIP: a.cfg.Proxies.ClientIP(r),
		UserAgent: text.Truncate(strings.Map(printable, r.UserAgent()), 256)}
	if err := a.store.CreateSession(r.Context(), ses); err != nil {
		return err
	}
	c := sessions.NewSession(a.cookies, SessionCookie)
	c.Options = &sessions.Options{Path: "/", MaxAge: int(a.absMax / time.Second), HttpOnly: true, Secure: a.secure(r),
		SameSite: http.SameSiteLaxMode}
	c.Values[tokenKey] = token
	return a.cookies.Save(r, w, c)
}

// sessionState is what reading the session cookie found.
type sessionState int

const (
	sessionNone sessionState = iota
	sessionOK
	sessionInvalid // tampered, foreign key, or garbled
	sessionEnded   // signed out, ended by an administrator, or removed
	sessionIdle
	sessionExpired
	sessionFailed // the store could not be read
)

func (st sessionState) String() string {
	switch st {
	case sessionOK:
		return "ok"
	case sessionInvalid:
		return "invalid cookie"
	case sessionEnded:
		return "ended"
	case sessionIdle:
		return "idle timeout"
	case sessionExpired:
		return "absolute timeout"
	case sessionFailed:
		return "session store failed"
	}
	return "none"
}

// load reads the request's session: the cookie's token, then the stored session.
func (a *Authenticator) load(r *http.Request) (model.Session, sessionState) {
	c, err := a.cookies.New(r, SessionCookie)
	if err != nil {
		return model.Session{}, sessionInvalid
	}
	if c.IsNew {
		return model.Session{}, sessionNone
	}
	token, _ := c.Values[tokenKey].(string)
	if token == "" {
		return model.Session{}, sessionInvalid
	}
	ses, err := a.store.Session(r.Context(), sessionID(token))
	switch {
	case errors.Is(err, model.ErrNotFound):
		return model.Session{}, sessionEnded
	case err != nil:
		a.log.ErrorContext(r.Context(), "session store", "err", err)
		return model.Session{}, sessionFailed
	}
	now := a.now()
	switch {
	case now.Sub(ses.CreatedAt) > a.absMax || ses.CreatedAt.After(now.Add(time.Minute)):
		return ses, sessionExpired
	case now.Sub(ses.SeenAt) > a.idle:
		return ses, sessionIdle
	}
	return ses, sessionOK
}

// principal is the person of a stored session.
func (a *Authenticator) principal(ses model.Session) Principal {
	p := a.withRoles(Principal{ObjectID: ses.ObjectID, Name: ses.Name, UPN: ses.UPN}, ses.Roles)
	p.SessionRef = ses.Ref
	return p
}

func (a *Authenticator) clear(w http.ResponseWriter, r *http.Request) {
	del := sessions.NewSession(a.cookies, SessionCookie)
	del.Options = &sessions.Options{Path: "/", MaxAge: -1, HttpOnly: true, Secure: a.secure(r), SameSite: http.SameSiteLaxMode}
	_ = a.cookies.Save(r, w, del)
}

// navigation reports whether r is a browser opening a page (which may be sent to the identity
// provider and back), not a script's fetch or a form's POST.
func navigation(r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	if m := r.Header.Get("Sec-Fetch-Mode"); m != "" {
		return m == "navigate"
	}
	return !strings.Contains(r.Header.Get("Accept"), "application/json")
}

// Middleware puts the signed-in person into the request's context when the session cookie
// names a stored session within its timeouts; any other cookie is deleted and the request goes
// on anonymous. It pushes the idle timer forward at most once a minute. When the session's
// roles are due for a re-check, a page view is sent through a silent sign-in first, and any
// other request goes on anonymous (a form posted after an hour asks to sign in again), so a
// role removed in the identity provider never works longer than RoleCheck.
func (a *Authenticator) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ses, st := a.load(r)
		switch st {
		case sessionNone, sessionFailed:
			next.ServeHTTP(w, r)
			return
		case sessionOK:
		default:
			a.log.InfoContext(r.Context(), "session refused", "reason", st.String())
			if st == sessionIdle || st == sessionExpired {
				_ = a.store.DeleteSession(r.Context(), ses.ID)
			}
			a.clear(w, r)
			next.ServeHTTP(w, r)
			return
		}
		now := a.now()
		if now.Sub(ses.CheckedAt) >= a.recheck {
			if r.URL.Path == CallbackPath {
				next.ServeHTTP(w, r) // the answer of the re-check itself
				return
			}
			if navigation(r) {
				err := a.beginFlow(w, r, flowState{Next: SafeNext(r.URL.RequestURI()), Session: ses.ID}, ses.UPN, true)
				if err == nil {
					return
				}
				a.log.WarnContext(r.Context(), "role re-check could not start", "err", err)
			}
			next.ServeHTTP(w, r) // anonymous until the roles are confirmed
			return
		}
		if now.Sub(ses.SeenAt) >= touchEvery {
			if err := a.store.TouchSession(r.Context(), ses.ID, now); err != nil {
				a.log.WarnContext(r.Context(), "session touch", "err", err)
			}
		}
		next.ServeHTTP(w, r.WithContext(WithPrincipal(r.Context(), a.principal(ses))))
	})
}

// finishRecheck ends a silent sign-in that re-checked a session's roles: on success the
// session gets the ID token's roles; when the provider did not confirm the sign-in (the person
// signed out there, was disabled, or the answer does not check out) the session ends.
func (a *Authenticator) finishRecheck(w http.ResponseWriter, r *http.Request, f flowState, p Principal, err error) (Principal, string, error) {
	ctx := r.Context()
	ses, serr := a.store.Session(ctx, f.Session)
	if serr != nil {
		a.clear(w, r)
		return Principal{}, "", &SignInError{Status: http.StatusUnauthorized, SessionEnded: true,
			Reason: "Your session has ended. Sign in again.", Err: fmt.Errorf("re-checked session is gone: %w", serr)}
	}
	old := a.principal(ses)
	end := func(reason string, cause error) (Principal, string, error) {
		_ = a.store.DeleteSession(ctx, ses.ID)
		a.clear(w, r)
		return old, "", &SignInError{Status: http.StatusUnauthorized, SessionEnded: true, Reason: reason, Err: cause}
	}
	if err != nil {
		return end("Your session has ended: the identity provider no longer confirms your sign-in. Sign in again.", err)
	}
	if !strings.EqualFold(p.ObjectID, ses.ObjectID) {
		return end("Your session has ended: the identity provider answered for another account. Sign in again.",
			fmt.Errorf("re-check answered for %s, the session is %s's", p.UPN, ses.UPN))
	}
	if err := a.store.RecheckSession(ctx, ses.ID, p.Name, p.Roles, a.now()); err != nil {
		if errors.Is(err, model.ErrNotFound) {
			return end("Your session has ended. Sign in again.", err)
		}
		return Principal{}, "", &SignInError{Status: http.StatusInternalServerError, Reason: "Your roles could not be saved. Try again.", Err: err}
	}
	p.SessionRef, p.Rechecked, p.PreviousRole = ses.Ref, true, old.Role
	p.RolesChanged = !slices.Equal(p.Roles, ses.Roles)
	return p, SafeNext(f.Next), nil
}

// SignOut ends the session (its stored row and its cookie) and returns who was signed in.
func (a *Authenticator) SignOut(w http.ResponseWriter, r *http.Request) (Principal, bool) {
	ses, st := a.load(r)
	if st == sessionNone {
		return Principal{}, false
	}
	if ses.ID != "" {
		if err := a.store.DeleteSession(r.Context(), ses.ID); err != nil {
			a.log.ErrorContext(r.Context(), "sign out", "err", err)
		}
	}
	a.clear(w, r)
	return a.principal(ses), st == sessionOK
}

// SignOutEverywhere ends every session of the signed-in person, in every browser, and says how
// many there were.
func (a *Authenticator) SignOutEverywhere(w http.ResponseWriter, r *http.Request) (Principal, int, error) {
	ses, st := a.load(r)
	if st != sessionOK {
		return Principal{}, 0, errors.New("not signed in")
	}
	n, err := a.store.DeleteSessionsOf(r.Context(), ses.ObjectID)
	if err != nil {
		return Principal{}, 0, err
	}
	a.clear(w, r)
	return a.principal(ses), n, nil
}

// ActiveSessions lists the sessions within their timeouts, of the person oid or, for "",
// everyone's, most recently used first.
func (a *Authenticator) ActiveSessions(ctx context.Context, oid string) ([]model.Session, error) {
	now := a.now()
	all, err := a.store.Sessions(ctx, oid, now.Add(-a.idle))
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, s := range all {
		if now.Sub(s.CreatedAt) <= a.absMax {
			out = append(out, s)
		}
	}
	return out, nil
}

// EndSession ends the session named ref (from the sessions page) and returns whose it was.
func (a *Authenticator) EndSession(ctx context.Context, ref string) (model.Session, error) {
	return a.store.DeleteSessionByRef(ctx, ref)
}

// EndSessionsOf ends every session of the person oid and says how many there were.
func (a *Authenticator) EndSessionsOf(ctx context.Context, oid string) (int, error) {
	return a.store.DeleteSessionsOf(ctx, oid)
}

// RoleCheck is how often roles are re-read.
func (a *Authenticator) RoleCheck() time.Duration { return a.recheck }
