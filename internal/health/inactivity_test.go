package health

import (
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

// TestClassify holds the inactivity rule: what counts as a sign-in, what does not, and what a
// missing permission does.
func TestClassify(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	ago := func(d int) time.Time { return now.Add(-time.Duration(d) * 24 * time.Hour) }
	old := model.User{ID: "u", CreatedAt: ago(1000), AccountEnabled: true, UserType: "Member"}
	guest := old
	guest.UserType = "Guest"
	young := old
	young.CreatedAt = ago(10)
	for _, tc := range []struct {
		name     string
		u        model.User
		si       model.SignIn
		ok       bool
		missing  string
		want     Activity
		attempts bool
		nonInter bool
		last     time.Time
	}{
		{name: "active interactive", u: old, si: model.SignIn{LastInteractive: ago(3), LastSuccessful: ago(3)}, ok: true, want: ActivityActive, last: ago(3)},
		{name: "exactly at the threshold is inactive", u: old, si: model.SignIn{LastInteractive: ago(90), LastSuccessful: ago(90)}, ok: true, want: ActivityInactive, last: ago(90)},
		{name: "a day short of the threshold", u: old, si: model.SignIn{LastInteractive: ago(89), LastSuccessful: ago(89)}, ok: true, want: ActivityActive, last: ago(89)},
		{name: "inactive 180", u: old, si: model.SignIn{LastInteractive: ago(180), LastSuccessful: ago(180)}, ok: true, want: ActivityInactive, last: ago(180)},
		{name: "never signed in: no row", u: old, want: ActivityNever},
		{name: "never signed in: a row of nulls", u: old, si: model.SignIn{UserID: "u"}, ok: true, want: ActivityNever},
		{name: "never, but created 10 days ago", u: young, want: ActivityNew},
		{name: "only non-interactive sign-ins, recent success", u: old,
			si: model.SignIn{LastInteractive: ago(200), LastNonInteractive: ago(2), LastSuccessful: ago(2)}, ok: true, want: ActivityActive, nonInter: true, last: ago(2)},
		{name: "only non-interactive sign-ins, never interactive, no success recorded", u: old,
			si: model.SignIn{LastNonInteractive: ago(5)}, ok: true, want: ActivityActive, attempts: true, nonInter: true, last: ago(5)},
		{name: "recent failed attempts after an old success", u: old,
			si: model.SignIn{LastInteractive: ago(1), LastSuccessful: ago(150)}, ok: true, want: ActivityInactive, last: ago(150)},
		{name: "no success recorded (before December 2023): the latest attempt stands in", u: old,
			si: model.SignIn{LastInteractive: ago(400)}, ok: true, want: ActivityInactive, attempts: true, last: ago(400)},
		{name: "guest inactive: same rule", u: guest, si: model.SignIn{LastInteractive: ago(120), LastSuccessful: ago(120)}, ok: true, want: ActivityInactive, last: ago(120)},
		{name: "guest never", u: guest, want: ActivityNever},
		{name: "missing permission: unknown even for a recorded sign-in", u: old, si: model.SignIn{LastSuccessful: ago(300)}, ok: true,
			missing: "The app registration lacks AuditLog.Read.All", want: ActivityUnknown},
		{name: "missing permission: unknown, not never", u: old, missing: "no Entra ID P1", want: ActivityUnknown},
		{name: "unknown creation date, never", u: model.User{ID: "u"}, want: ActivityNever},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Classify(tc.u, tc.si, tc.ok, tc.missing, now, 90)
			if got.Activity != tc.want || got.AttemptsOnly != tc.attempts || got.NonInteractive != tc.nonInter || !got.Last.Equal(tc.last) {
				t.Errorf("Classify = %+v, want activity %d, attempts %v, non-interactive %v, last %v", got, tc.want, tc.attempts, tc.nonInter, tc.last)
			}
		})
	}
}

func TestParsePrice(t *testing.T) {
	for _, tc := range []struct {
		in    string
		cents int64
		set   bool
		bad   bool
	}{
		{"", 0, false, false}, {"  ", 0, false, false}, {"12", 1200, true, false}, {"12.5", 1250, true, false},
		{"12.50", 1250, true, false}, {"12,50", 1250, true, false}, {"1,234.50", 123450, true, false}, {"1,234", 123400, true, false},
		{"0", 0, true, false}, {"0.07", 7, true, false}, {"999999.99", 99999999, true, false},
		{"1000000", 0, false, true}, {"-5", 0, false, true}, {"12.345", 0, false, true}, {"1.2.3", 0, false, true},
		{"12.", 0, false, true}, {".5", 0, false, true}, {"1e3", 0, false, true}, {"=1+1", 0, false, true}, {"12 EUR", 0, false, true},
		{"١٢", 0, false, true}, {"99999999999999999999", 0, false, true}, {"NaN", 0, false, true}, {"0x10", 0, false, true},
	} {
		cents, set, err := ParsePrice(tc.in)
		if (err != nil) != tc.bad || cents != tc.cents || set != tc.set {
			t.Errorf("ParsePrice(%q) = %d, %v, %v", tc.in, cents, set, err)
		}
	}
	for in, want := range map[string]string{"eur": "EUR", " USD ": "USD"} {
		if got, err := ParseCurrency(in); err != nil || got != want {
			t.Errorf("ParseCurrency(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "EU", "EURO", "€", "E1R", "ÉUR"} {
		if _, err := ParseCurrency(in); err == nil {
			t.Errorf("ParseCurrency(%q) accepted", in)
		}
	}
}

// FuzzParsePrice: whatever is typed, a price is either refused or between 0 and a million and
// written back the same.
func FuzzParsePrice(f *testing.F) {
	for _, s := range []string{"12.50", "1,234.50", "", "-1", "9999999", "1,2,3", "\x00", "12,5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cents, set, err := ParsePrice(s)
		if err != nil || !set {
			return
		}
		if cents < 0 || cents >= maxPriceCents {
			t.Fatalf("ParsePrice(%q) = %d", s, cents)
		}
		back, _, err := ParsePrice(FormatCents(cents))
		if err != nil || back != cents {
			t.Fatalf("ParsePrice(%q) = %d; FormatCents %q reads back %d, %v", s, cents, FormatCents(cents), back, err)
		}
	})
}

func TestMoney(t *testing.T) {
	m := Money{}
	m.Add(model.Price{AmountCents: 1999, Currency: "EUR"}, 3)
	m.Add(model.Price{AmountCents: 100000, Currency: "USD"}, 12)
	if got := m.String(); got != "59.97 EUR + 12,000.00 USD" {
		t.Errorf("Money = %q", got)
	}
	if (Money{}).String() != "" || FormatCents(5) != "0.05" || FormatCents(-123456) != "-1,234.56" {
		t.Error("formatting")
	}
}
