package alerts

import (
	"fmt"
	"net"
	"net/mail"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/net/idna"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

// MaxRecipients is how many addresses an email channel sends to.
const MaxRecipients = 50

// CheckEmail validates an email channel's server and addresses as typed; bad input is an
// *model.InputError naming its field. SMTPNone (no TLS) is for a relay on this machine only:
// the password and the alerts would cross the network in the clear.
func CheckEmail(in ChannelInput) (model.EmailSettings, error) {
	bad := func(field, msg string) (model.EmailSettings, error) {
		return model.EmailSettings{}, &model.InputError{Message: msg, Field: field}
	}
	e := model.EmailSettings{Security: in.SMTPSecurity, Username: strings.TrimSpace(in.SMTPUser)}
	host := strings.TrimSpace(in.SMTPHost)
	if host == "" {
		return bad("smtp_host", "Give the SMTP server's host name, e.g. smtp.office365.com.")
	}
	if ip := net.ParseIP(host); ip == nil {
		ascii, err := idna.Lookup.ToASCII(host)
		if err != nil || len(ascii) > 253 || strings.ContainsAny(ascii, ":/@ ") {
			return bad("smtp_host", fmt.Sprintf("%q is not a host name.", host))
		}
		e.Host = ascii
	} else {
		e.Host = ip.String()
	}
	defaultPort := 0
	switch e.Security {
	case model.SMTPStartTLS:
		defaultPort = 587
	case model.SMTPTLS:
		defaultPort = 465
	case model.SMTPNone:
		defaultPort = 25
		if ip := net.ParseIP(e.Host); e.Host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return bad("smtp_security", "Without TLS, tenantdesk sends only to a relay on this machine (localhost): choose STARTTLS or TLS.")
		}
	default:
		return bad("smtp_security", "Choose how to secure the connection: STARTTLS (port 587) or TLS (port 465).")
	}
	e.Port = defaultPort
	if p := strings.TrimSpace(in.SMTPPort); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return bad("smtp_port", fmt.Sprintf("%q is not a port (1 to 65535).", p))
		}
		e.Port = n
	}
	if len(e.Username) > 256 || strings.ContainsFunc(e.Username, isControl) || !utf8.ValidString(e.Username) {
		return bad("smtp_user", "A user name is at most 256 characters, without control characters.")
	}
	if in.SMTPPassword != "" && e.Username == "" {
		return bad("smtp_user", "A password needs its user name.")
	}
	if in.SMTPPassword == "" && e.Username != "" {
		return bad("smtp_password", "Give the password of "+e.Username+".")
	}
	if len(in.SMTPPassword) > 1024 || !utf8.ValidString(in.SMTPPassword) {
		return bad("smtp_password", "A password is at most 1024 characters of text.")
	}
	from, err := mail.ParseAddress(strings.TrimSpace(in.From))
	if err != nil || strings.ContainsFunc(in.From, isControl) {
		return bad("from", fmt.Sprintf("%q is not one email address (e.g. tenantdesk@contoso.com).", in.From))
	}
	e.From = from.Address
	for _, part := range splitAddresses(in.To) {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		to, err := mail.ParseAddress(part)
		if err != nil || strings.ContainsFunc(part, isControl) {
			return bad("to", fmt.Sprintf("%q is not an email address.", part))
		}
		e.To = append(e.To, to.Address)
	}
	switch {
	case len(e.To) == 0:
		return bad("to", "Give at least one address to send the alerts to.")
	case len(e.To) > MaxRecipients:
		return bad("to", fmt.Sprintf("At most %d addresses; use a distribution list for more.", MaxRecipients))
	}
	return e, nil
}

// splitAddresses splits a list of addresses at commas, semicolons and line ends outside quoted
// display names ("Bob, IT" <b@contoso.edu>).
func splitAddresses(s string) []string {
	var out []string
	quoted, start := false, 0
	for i, r := range s {
		switch {
		case r == '"':
			quoted = !quoted
		case !quoted && (r == ',' || r == ';' || r == '\n' || r == '\r'):
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// ParseQuietHours reads quiet hours as typed: "HH:MM" from and to (both or neither) in an IANA
// time zone ("" for UTC). Bad input is an *model.InputError naming its field.
func ParseQuietHours(start, end, zone string) (model.QuietHours, error) {
	start, end, zone = strings.TrimSpace(start), strings.TrimSpace(end), strings.TrimSpace(zone)
	if start == "" && end == "" {
		return model.QuietHours{}, nil
	}
	var q model.QuietHours
	var err error
	if q.Start, err = parseClock(start, "quiet_start"); err != nil {
		return q, err
	}
	if q.End, err = parseClock(end, "quiet_end"); err != nil {
		return q, err
	}
	if q.None() {
		return q, &model.InputError{Message: "Quiet hours start and end at the same time: leave both empty for none.", Field: "quiet_end"}
	}
	if zone != "" && zone != "UTC" {
		// "Local" is this server's zone, not a place: refused, as a path is.
		if _, err := time.LoadLocation(zone); err != nil || zone == "Local" || len(zone) > 64 || strings.HasPrefix(zone, "/") || strings.Contains(zone, "..") {
			return q, &model.InputError{Message: fmt.Sprintf("%q is not a time zone (e.g. Europe/Berlin, America/New_York).", zone), Field: "quiet_zone"}
		}
		q.Zone = zone
	}
	return q, nil
}

// parseClock reads "HH:MM" (24-hour) as minutes after midnight.
func parseClock(s, field string) (int, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, &model.InputError{Message: fmt.Sprintf("%q is not a time of day (HH:MM, 24-hour, e.g. 22:00).", s), Field: field}
	}
	return t.Hour()*60 + t.Minute(), nil
}

// QuietUntil says whether at falls in q and, if so, when the quiet hours end (the next End
// after at, in q's zone). A zone that no longer loads counts as UTC.
func QuietUntil(q model.QuietHours, at time.Time) (time.Time, bool) {
	if q.None() {
		return time.Time{}, false
	}
	loc := time.UTC
	if q.Zone != "" {
		if l, err := time.LoadLocation(q.Zone); err == nil {
			loc = l
		}
	}
	local := at.In(loc)
	minute := local.Hour()*60 + local.Minute()
	in := minute >= q.Start && minute < q.End
	if q.Start > q.End { // past midnight
		in = minute >= q.Start || minute < q.End
	}
	if !in {
		return time.Time{}, false
	}
	end := time.Date(local.Year(), local.Month(), local.Day(), q.End/60, q.End%60, 0, 0, loc)
	if !end.After(local) {
		// The night clocks go back, End's wall time comes twice and time.Date gives the first:
		// at the second pass it is still today's End, an hour on.
		if later := end.Add(time.Hour); later.After(local) && later.In(loc).Hour()*60+later.In(loc).Minute() == q.End {
			return later, true
		}
		end = time.Date(local.Year(), local.Month(), local.Day()+1, q.End/60, q.End%60, 0, 0, loc)
	}
	return end, true
}

// Destination says where channel c sends, without its secret: the webhook's format and host, or
// the mail's recipients and server.
func Destination(c model.AlertChannel) string {
	if c.Kind == model.ChannelEmail {
		return fmt.Sprintf("email to %s through %s:%d", strings.Join(c.Email.To, ", "), c.Email.Host, c.Email.Port)
	}
	return fmt.Sprintf("%s webhook %s", c.Format, MaskSecret(c.Secret))
}
