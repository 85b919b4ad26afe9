package model

import "time"

// Session is a signed-in person's dashboard session as the server keeps it. The browser's
// cookie holds only a random token; ID is that token's hash, never shown. Ref names the session
// on pages (to end it).
type Session struct {
	ID        string
	Ref       string
	ObjectID  string // the person's object id (oid)
	UPN       string
	Name      string
	Roles     []string // the ID token's roles claim, as last read
	CreatedAt time.Time
	SeenAt    time.Time
	CheckedAt time.Time // when the roles were last read from the identity provider
	RemoteIP  string
	UserAgent string
}
