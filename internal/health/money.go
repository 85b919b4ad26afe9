package health

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/text"
)

// Money is an amount per currency, in hundredths (cents), so sums stay exact and prices in
// different currencies are never added together.
type Money map[string]int64

// Add adds n units of price p.
func (m Money) Add(p model.Price, n int) {
	if n != 0 {
		m[p.Currency] += p.AmountCents * int64(n)
	}
}

// Plus adds o into m.
func (m Money) Plus(o Money) {
	for c, v := range o {
		m[c] += v
	}
}

// Zero reports whether m holds nothing.
func (m Money) Zero() bool {
	for _, v := range m {
		if v != 0 {
			return false
		}
	}
	return true
}

// String writes m for people: "1,234.50 EUR", currencies in order joined with " + ".
func (m Money) String() string {
	if m.Zero() {
		return ""
	}
	var parts []string
	for _, c := range slices.Sorted(func(yield func(string) bool) {
		for c := range m {
			if !yield(c) {
				return
			}
		}
	}) {
		if m[c] != 0 {
			parts = append(parts, FormatCents(m[c])+" "+c)
		}
	}
	return strings.Join(parts, " + ")
}

// FormatCents writes hundredths with a thousands separator and two decimals: 123456 is
// "1,234.56".
func FormatCents(c int64) string {
	neg := c < 0
	if neg {
		c = -c
	}
	whole := strconv.FormatInt(c/100, 10)
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	fmt.Fprintf(&b, ".%02d", c%100)
	return b.String()
}

// maxPriceCents bounds a monthly unit price: a million a month is a typing error.
const maxPriceCents = 100_000_000

// ParsePrice reads a monthly price as people type it: "12", "12.5", "12.50", "12,50" or
// "1,234.50" (a comma followed by exactly three digits groups thousands; otherwise it is the
// decimal separator), at most two decimals, not negative, below a million. An empty amount is
// (0, false, nil): no price.
func ParsePrice(s string) (cents int64, set bool, err error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false, nil
	}
	bad := &model.InputError{Field: "amount", Message: fmt.Sprintf("%q is not a price: write it like 12.50 (a monthly price per unit, at most two decimals).", clip(s))}
	if len(s) > 20 {
		return 0, false, bad
	}
	// Thousands separators: "1,234.50" or "1,234".
	if strings.Count(s, ",") > 0 && strings.Count(s, ".") == 1 && strings.Index(s, ",") < strings.Index(s, ".") {
		s = strings.ReplaceAll(s, ",", "")
	} else if i := strings.LastIndexByte(s, ','); i >= 0 && strings.Count(s, ",") == 1 && !strings.Contains(s, ".") {
		if len(s)-i-1 == 3 && i > 0 {
			s = s[:i] + s[i+1:]
		} else {
			s = s[:i] + "." + s[i+1:]
		}
	}
	whole, frac, hasFrac := strings.Cut(s, ".")
	if whole == "" || !digits(whole) || hasFrac && (frac == "" || len(frac) > 2 || !digits(frac)) || strings.Count(s, ".") > 1 {
		return 0, false, bad
	}
	for len(frac) < 2 {
		frac += "0"
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w > maxPriceCents/100 {
		return 0, false, &model.InputError{Field: "amount", Message: "A monthly price per unit must be below 1,000,000."}
	}
	f, _ := strconv.ParseInt(frac, 10, 64)
	cents = w*100 + f
	if cents >= maxPriceCents {
		return 0, false, &model.InputError{Field: "amount", Message: "A monthly price per unit must be below 1,000,000."}
	}
	return cents, true, nil
}

// ParseCurrency reads an ISO 4217 currency code: three letters, any case.
func ParseCurrency(s string) (string, error) {
	c := strings.ToUpper(strings.TrimSpace(s))
	if len(c) != 3 || strings.Trim(c, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
		return "", &model.InputError{Field: "currency", Message: fmt.Sprintf("%q is not a currency: give its three-letter code, such as EUR, USD or GBP.", clip(s))}
	}
	return c, nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// clip shortens hostile input for a message.
func clip(s string) string { return text.Clip(s, 24) }
