package alerts

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

func goodEmail() ChannelInput {
	return ChannelInput{SMTPHost: "smtp.office365.com", SMTPSecurity: model.SMTPStartTLS, SMTPUser: "alerts@contoso.edu",
		SMTPPassword: "pw", From: "tenantdesk@contoso.edu", To: "helpdesk@contoso.edu"}
}

func TestCheckEmail(t *testing.T) {
	e, err := CheckEmail(goodEmail())
	if err != nil || e.Port != 587 || e.Host != "smtp.office365.com" || e.From != "tenantdesk@contoso.edu" || len(e.To) != 1 {
		t.Fatalf("%+v, %v", e, err)
	}
	ok := []struct {
		name string
		edit func(*ChannelInput)
		want func(model.EmailSettings) bool
	}{
		{"tls default port", func(in *ChannelInput) { in.SMTPSecurity = model.SMTPTLS }, func(e model.EmailSettings) bool { return e.Port == 465 }},
		{"own port", func(in *ChannelInput) { in.SMTPPort = " 2525 " }, func(e model.EmailSettings) bool { return e.Port == 2525 }},
		{"relay here without TLS", func(in *ChannelInput) {
			in.SMTPHost, in.SMTPSecurity, in.SMTPUser, in.SMTPPassword = "127.0.0.1", model.SMTPNone, "", ""
		}, func(e model.EmailSettings) bool { return e.Port == 25 && e.Host == "127.0.0.1" }},
		{"named addresses, many separators", func(in *ChannelInput) {
			in.From, in.To = "Tenantdesk <td@contoso.edu>", "a@contoso.edu; \"Bob, IT\" <b@contoso.edu>\nc@contoso.edu,,"
		}, func(e model.EmailSettings) bool { return e.From == "td@contoso.edu" && len(e.To) == 3 }},
		{"internationalised host", func(in *ChannelInput) { in.SMTPHost = "smtp.bücher.example" },
			func(e model.EmailSettings) bool { return e.Host == "smtp.xn--bcher-kva.example" }},
	}
	for _, c := range ok {
		in := goodEmail()
		c.edit(&in)
		e, err := CheckEmail(in)
		if err != nil || !c.want(e) {
			t.Errorf("%s: %+v, %v", c.name, e, err)
		}
	}
	bad := []struct {
		field string
		edit  func(*ChannelInput)
	}{
		{"smtp_host", func(in *ChannelInput) { in.SMTPHost = "" }},
		{"smtp_host", func(in *ChannelInput) { in.SMTPHost = "smtp.example.com:25" }},
		{"smtp_host", func(in *ChannelInput) { in.SMTPHost = "user@smtp.example.com" }},
		{"smtp_host", func(in *ChannelInput) { in.SMTPHost = "smtp example.com" }},
		{"smtp_host", func(in *ChannelInput) { in.SMTPHost = strings.Repeat("a.", 200) + "com" }},
		{"smtp_security", func(in *ChannelInput) { in.SMTPSecurity = "" }},
		{"smtp_security", func(in *ChannelInput) { in.SMTPSecurity = model.SMTPNone }}, // not on this machine
		{"smtp_port", func(in *ChannelInput) { in.SMTPPort = "0" }},
		{"smtp_port", func(in *ChannelInput) { in.SMTPPort = "65536" }},
		{"smtp_port", func(in *ChannelInput) { in.SMTPPort = "25; rm" }},
		{"smtp_user", func(in *ChannelInput) { in.SMTPUser = "" }},
		{"smtp_user", func(in *ChannelInput) { in.SMTPUser = "a\r\nRCPT TO:<x@evil>" }},
		{"smtp_password", func(in *ChannelInput) { in.SMTPPassword = "" }},
		{"smtp_password", func(in *ChannelInput) { in.SMTPPassword = strings.Repeat("p", 1025) }},
		{"from", func(in *ChannelInput) { in.From = "" }},
		{"from", func(in *ChannelInput) { in.From = "a@contoso.edu, b@contoso.edu" }},
		{"from", func(in *ChannelInput) { in.From = "td@contoso.edu\r\nBcc: x@evil.example" }},
		{"to", func(in *ChannelInput) { in.To = " ,; " }},
		{"to", func(in *ChannelInput) { in.To = "not an address" }},
		{"to", func(in *ChannelInput) { in.To = "a@contoso.edu\r\nBcc: x@evil.example" }},
		{"to", func(in *ChannelInput) { in.To = strings.Repeat("a@contoso.edu,", MaxRecipients+1) }},
	}
	for _, c := range bad {
		in := goodEmail()
		c.edit(&in)
		_, err := CheckEmail(in)
		var ie *model.InputError
		if !errors.As(err, &ie) || ie.Field != c.field {
			t.Errorf("%+v: %v, want refused on %s", in, err, c.field)
		}
	}
}

func TestParseQuietHours(t *testing.T) {
	for _, c := range []struct {
		start, end, zone string
		want             model.QuietHours
	}{
		{"", "", "", model.QuietHours{}},
		{"", "", "Europe/Berlin", model.QuietHours{}},
		{"22:00", "07:00", "", model.QuietHours{Start: 1320, End: 420}},
		{" 09:30 ", "17:45", "America/New_York", model.QuietHours{Start: 570, End: 1065, Zone: "America/New_York"}},
		{"00:00", "23:59", "UTC", model.QuietHours{Start: 0, End: 1439}},
	} {
		q, err := ParseQuietHours(c.start, c.end, c.zone)
		if err != nil || q != c.want {
			t.Errorf("%q-%q %q: %+v, %v", c.start, c.end, c.zone, q, err)
		}
	}
	for _, c := range []struct{ start, end, zone, field string }{
		{"22:00", "", "", "quiet_end"},
		{"", "07:00", "", "quiet_start"},
		{"24:00", "07:00", "", "quiet_start"},
		{"10pm", "07:00", "", "quiet_start"},
		{"22:00", "7", "", "quiet_end"},
		{"22:00", "22:00", "", "quiet_end"},
		{"22:00", "07:00", "Mars/Olympus", "quiet_zone"},
		{"22:00", "07:00", "../../etc/passwd", "quiet_zone"},
		{"22:00", "07:00", "/etc/localtime", "quiet_zone"},
		{"22:00", "07:00", "Local", "quiet_zone"},
	} {
		_, err := ParseQuietHours(c.start, c.end, c.zone)
		var ie *model.InputError
		if !errors.As(err, &ie) || ie.Field != c.field {
			t.Errorf("%q-%q %q: %v, want refused on %s", c.start, c.end, c.zone, err, c.field)
		}
	}
}

func TestQuietUntil(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	night := model.QuietHours{Start: 22 * 60, End: 7 * 60, Zone: "Europe/Berlin"}
	day := model.QuietHours{Start: 9 * 60, End: 17 * 60}
	for _, c := range []struct {
		q     model.QuietHours
		at    time.Time
		quiet bool
		until time.Time
	}{
		{night, time.Date(2026, 3, 2, 23, 0, 0, 0, berlin), true, time.Date(2026, 3, 3, 7, 0, 0, 0, berlin)},
		{night, time.Date(2026, 3, 3, 6, 59, 0, 0, berlin), true, time.Date(2026, 3, 3, 7, 0, 0, 0, berlin)},
		{night, time.Date(2026, 3, 3, 7, 0, 0, 0, berlin), false, time.Time{}},
		{night, time.Date(2026, 3, 3, 21, 59, 0, 0, berlin), false, time.Time{}},
		// The night clocks go forward (29 March 2026, 02:00 -> 03:00): still ends at 07:00 local.
		{night, time.Date(2026, 3, 28, 23, 0, 0, 0, berlin), true, time.Date(2026, 3, 29, 7, 0, 0, 0, berlin)},
		{day, time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC), true, time.Date(2026, 3, 2, 17, 0, 0, 0, time.UTC)},
		{day, time.Date(2026, 3, 2, 17, 0, 0, 0, time.UTC), false, time.Time{}},
		{model.QuietHours{}, time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC), false, time.Time{}},
		// New York, 1 November 2026: 01:00-02:00 comes twice. Quiet until 01:30: at the second
		// 01:10 (EST, 06:10 UTC) it ends 20 minutes later, not a day.
		{model.QuietHours{Start: 0, End: 90, Zone: "America/New_York"}, time.Date(2026, 11, 1, 6, 10, 0, 0, time.UTC), true,
			time.Date(2026, 11, 1, 6, 30, 0, 0, time.UTC)},
		{model.QuietHours{Start: 0, End: 90, Zone: "America/New_York"}, time.Date(2026, 11, 1, 5, 10, 0, 0, time.UTC), true,
			time.Date(2026, 11, 1, 5, 30, 0, 0, time.UTC)},
	} {
		until, quiet := QuietUntil(c.q, c.at)
		if quiet != c.quiet || !until.Equal(c.until) {
			t.Errorf("%s at %s: %v until %s, want %v until %s", c.q, c.at, quiet, until, c.quiet, c.until)
		}
	}
}

// Form fields are outside input: whatever is typed, CheckEmail and ParseQuietHours answer
// without panicking, with settings that cannot carry a header or a command, or an InputError.
func FuzzEmailChannelForm(f *testing.F) {
	f.Add("smtp.office365.com", "587", "starttls", "a@contoso.edu", "pw", "td@contoso.edu", "h@contoso.edu", "22:00", "07:00", "Europe/Berlin")
	f.Add("127.0.0.1", "", "none", "", "", "Td <td@x>", "a@x;b@x\nc@x", "", "", "")
	f.Add("xn--", "-1", "tls", "\r\n", "\x00", "<>", ",,,", "25:61", "x", "../UTC")
	f.Fuzz(func(t *testing.T, host, port, security, user, password, from, to, qs, qe, zone string) {
		e, err := CheckEmail(ChannelInput{SMTPHost: host, SMTPPort: port, SMTPSecurity: security, SMTPUser: user, SMTPPassword: password, From: from, To: to})
		var ie *model.InputError
		switch {
		case err != nil && !errors.As(err, &ie):
			t.Fatalf("not an input error: %v", err)
		case err == nil:
			for _, s := range append([]string{e.Host, e.Username, e.From}, e.To...) {
				if strings.ContainsAny(s, "\r\n\x00") || !utf8.ValidString(s) {
					t.Fatalf("accepted %q", s)
				}
			}
			if e.Port < 1 || e.Port > 65535 || len(e.To) == 0 || len(e.To) > MaxRecipients {
				t.Fatalf("accepted %+v", e)
			}
		}
		q, err := ParseQuietHours(qs, qe, zone)
		if err != nil && !errors.As(err, &ie) {
			t.Fatalf("not an input error: %v", err)
		}
		if err == nil && (q.Start < 0 || q.Start > 1439 || q.End < 0 || q.End > 1439) {
			t.Fatalf("accepted %+v", q)
		}
		if _, quiet := QuietUntil(q, time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)); quiet && q.None() {
			t.Fatal("quiet without quiet hours")
		}
	})
}
