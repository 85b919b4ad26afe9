package web

import (
	"strconv"
	"strings"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/text"
)

// SessionsView is the sessions page: the person's own sessions, and for a LicenseAdmin every
// active session by person.
type SessionsView struct {
	Mine                    []SessionRow
	SignOutEverywhereAction string
	// People is every person with an active session (LicenseAdmins only; nil otherwise).
	People   []PersonSessions
	CanAdmin bool
	// RoleCheck says how often roles are re-read, e.g. "every hour".
	RoleCheck string
	Notice    string // what the last action did
}

// SessionRow is one session.
type SessionRow struct {
	Ref       string
	Current   bool // the session of this browser
	SignedIn  time.Time
	LastSeen  time.Time
	CheckedAt time.Time // roles last read
	Role      string
	Address   string
	Browser   string // the user agent in short, e.g. "Firefox on Windows"
	UserAgent string // in full, on hover
	EndAction string // "" when it may not be ended from here
}

// PersonSessions are one person's active sessions.
type PersonSessions struct {
	Name, UPN    string
	Sessions     []SessionRow
	EndAllAction string
}

// BrowserName sums a user agent up as "<browser> on <system>", or returns it clipped.
func BrowserName(ua string) string {
	if ua == "" {
		return "unknown browser"
	}
	browser := ""
	for _, b := range []struct{ token, name string }{
		{"Edg/", "Edge"}, {"OPR/", "Opera"}, {"Firefox/", "Firefox"}, {"Chromium/", "Chromium"},
		{"Chrome/", "Chrome"}, {"Safari/", "Safari"}, {"curl/", "curl"}, {"Go-http-client", "Go HTTP client"},
	} {
		if strings.Contains(ua, b.token) {
			browser = b.name
			break
		}
	}
	system := ""
	for _, s := range []struct{ token, name string }{
		{"Windows", "Windows"}, {"iPhone", "iOS"}, {"iPad", "iPadOS"}, {"Mac OS X", "macOS"},
		{"Android", "Android"}, {"CrOS", "ChromeOS"}, {"Linux", "Linux"},
	} {
		if strings.Contains(ua, s.token) {
			system = s.name
			break
		}
	}
	switch {
	case browser != "" && system != "":
		return browser + " on " + system
	case browser != "":
		return browser
	}
	return text.Clip(ua, 40) // another program: its own words, cut without splitting a character
}

// EveryWords says how often something happens the way people do: "every hour", "every 90
// minutes", "every 30 seconds".
func EveryWords(d time.Duration) string {
	unit := func(n int64, one string) string {
		if n == 1 {
			return "every " + one
		}
		return "every " + strconv.FormatInt(n, 10) + " " + one + "s"
	}
	switch {
	case d >= 24*time.Hour && d%(24*time.Hour) == 0:
		return unit(int64(d/(24*time.Hour)), "day")
	case d >= time.Hour && d%time.Hour == 0:
		return unit(int64(d/time.Hour), "hour")
	case d >= time.Minute && d%time.Minute == 0:
		return unit(int64(d/time.Minute), "minute")
	}
	return unit(int64((d+time.Second/2)/time.Second), "second")
}
