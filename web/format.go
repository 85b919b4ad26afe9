package web

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

// Age says how long ago t was, relative to now, in words: "just now", "3 minutes ago",
// "yesterday". A zero t is "never"; a t in the future (clock skew) is "just now".
func Age(now, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := now.Sub(t)
	switch {
	case d < 45*time.Second:
		return "just now"
	case d < 90*time.Second:
		return "1 minute ago"
	case d < time.Hour:
		return fmt.Sprintf("%d minutes ago", int((d + 30*time.Second).Minutes()))
	case d < 90*time.Minute:
		return "1 hour ago"
	case d < 24*time.Hour:
		return fmt.Sprintf("%d hours ago", int((d + 30*time.Minute).Hours()))
	case d < 48*time.Hour:
		return "yesterday"
	}
	return fmt.Sprintf("%d days ago", int(d.Hours()/24))
}

// DateTime formats an instant for people: "2 Jan 2006 15:04 UTC" in the instant's own zone.
func DateTime(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.Format("2 Jan 2006 15:04 MST")
}

// ISO is t in RFC 3339, for <time datetime> attributes that app.js reads.
func ISO(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// Number formats n with thousands separators: 10000 -> "10,000".
func Number(n int) string {
	s := strconv.Itoa(n)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	if len(s) <= 3 {
		if neg {
			return "-" + s
		}
		return s
	}
	b := make([]byte, 0, len(s)+len(s)/3+1)
	if neg {
		b = append(b, '-')
	}
	pre := len(s) % 3
	if pre > 0 {
		b = append(b, s[:pre]...)
	}
	for i := pre; i < len(s); i += 3 {
		if len(b) > 0 && b[len(b)-1] != '-' {
			b = append(b, ',')
		}
		b = append(b, s[i:i+3]...)
	}
	return string(b)
}

// ShortID is the first block of a GUID-like id followed by an ellipsis, for places where the
// full id is available on hover or copy.
func ShortID(id string) string {
	if len(id) <= 9 {
		return id
	}
	return id[:8] + "…"
}

// ProcessingLabel is a group's licenseProcessingState in words.
func ProcessingLabel(state string) string {
	switch state {
	case model.ProcessingComplete:
		return "Complete"
	case model.ProcessingInProgress:
		return "In progress"
	case model.ProcessingQueued:
		return "Queued"
	case "":
		return "Unknown"
	}
	return state
}

// ProcessingClass is the CSS class of a processing state badge.
func ProcessingClass(state string) string {
	if state == model.ProcessingComplete {
		return "badge ok"
	}
	return "badge pending"
}

// PhaseLabel names a sync phase for the progress line: "Reading users: 1,200 of 5,000".
func PhaseLabel(s SyncView) string {
	phase := s.Phase
	if phase == "" {
		phase = "starting"
	}
	what := "Refreshing"
	switch s.Kind {
	case model.SyncFull:
		what = "Full sync"
	case model.SyncIncremental:
		what = "Refreshing what changed"
	}
	switch {
	case s.Total > 0:
		return fmt.Sprintf("%s (%s): %s of %s", what, phase, Number(s.Done), Number(s.Total))
	case s.Done > 0:
		return fmt.Sprintf("%s (%s): %s", what, phase, Number(s.Done))
	}
	return fmt.Sprintf("%s (%s)…", what, phase)
}

// DataKindLabel says how the data was last refreshed, for the header's label above the data's
// age (which must stay one short line): "Full sync" or "Incremental"; "" when not known.
func DataKindLabel(kind string) string {
	switch kind {
	case model.SyncFull:
		return "Full sync"
	case model.SyncIncremental:
		return "Incremental"
	}
	return ""
}

// DataKindTitle is the tooltip of the data age: when the data was read and how.
func DataKindTitle(l Layout) string {
	t := "Data as of " + DateTime(l.DataAsOf)
	switch l.DataKind {
	case model.SyncFull:
		return t + ", by a full sync of the tenant"
	case model.SyncIncremental:
		if l.DataFullAt.IsZero() {
			return t + ", by an incremental refresh (only what changed was read)"
		}
		return t + ", by an incremental refresh (only what changed was read) of the full sync of " + DateTime(l.DataFullAt)
	}
	return t
}

// Percent is part of whole in whole percent, 0 when whole is 0.
func Percent(part, whole int) int {
	if whole <= 0 {
		return 0
	}
	return part * 100 / whole
}

// Plural picks the singular or plural word for n: Plural(1, "group", "groups").
func Plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// SKUUsageText says how a subscription's units are used: "500 of 500 used", plus units in
// their grace period or suspended when there are any.
func SKUUsageText(s SKUView) string {
	var b strings.Builder
	b.WriteString(Number(s.Consumed))
	if s.Enabled > 0 {
		b.WriteString(" of " + Number(s.Enabled))
	}
	b.WriteString(" used")
	if s.Warning > 0 {
		b.WriteString(", " + Number(s.Warning) + " in grace period")
	}
	if s.Suspended > 0 {
		b.WriteString(", " + Number(s.Suspended) + " suspended")
	}
	return b.String()
}
