package sspr

import (
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"time"
)

// The notification's wording is not published as text, so the user is found tolerantly: a
// "User ID:"-style line first, else any address in the body that is not the sender, a recipient
// or Microsoft's.
var (
	userLineRE  = regexp.MustCompile(`(?im)^[ \t]*(?:user ?id|user ?name|user principal name|upn|sign-in name|account)[ \t]*[:：][ \t]*(\S+@\S+)`)
	firstNameRE = regexp.MustCompile(`(?im)^[ \t]*first ?name[ \t]*[:：][ \t]*(.{1,100}?)[ \t]*$`)
	lastNameRE  = regexp.MustCompile(`(?im)^[ \t]*(?:last ?name|surname)[ \t]*[:：][ \t]*(.{1,100}?)[ \t]*$`)
)

// maxCandidates bounds the directory look-ups one message can cause.
const maxCandidates = 5

// named is who the body says asked: candidate sign-in names in order, and the first and last
// name it gives.
type named struct {
	candidates  []string
	first, last string
}

// namedUser finds the user a notification body names. exclude are addresses that are not the
// user (sender, recipients).
func namedUser(text string, exclude []string) named {
	var n named
	if m := firstNameRE.FindStringSubmatch(text); m != nil {
		n.first = strings.TrimSpace(m[1])
	}
	if m := lastNameRE.FindStringSubmatch(text); m != nil {
		n.last = strings.TrimSpace(m[1])
	}
	add := func(a string, labelled bool) {
		a = strings.Trim(a, ".,;:()<>[]\"'")
		if a == "" || len(n.candidates) >= maxCandidates || !addrSpecRE.MatchString(a) {
			return
		}
		low := strings.ToLower(a)
		// A "User ID:" line names the user even when the user is also a recipient (an admin
		// asking for their own reset); other addresses count only when they are not.
		if slices.Contains(n.candidates, low) || strings.EqualFold(low, SenderAddress) ||
			(!labelled && slices.ContainsFunc(exclude, func(e string) bool { return strings.EqualFold(e, low) })) {
			return
		}
		if d := low[strings.LastIndexByte(low, '@')+1:]; isMicrosoftLinkHost(d) {
			return
		}
		n.candidates = append(n.candidates, low)
	}
	if m := userLineRE.FindStringSubmatch(text); m != nil {
		add(addrSpecRE.FindString(m[1]), true)
	}
	for _, a := range addrSpecRE.FindAllString(text, 50) {
		add(a, false)
	}
	return n
}

// parseDate reads a Date header leniently (net/mail's parser, which takes obsolete forms).
func parseDate(v string) (time.Time, error) {
	return mail.ParseDate(strings.TrimSpace(v))
}
