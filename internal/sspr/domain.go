package sspr

import (
	"net/url"
	"strings"

	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"
)

// SenderDomain is the domain Entra ID sends password-reset notifications from, and
// SenderAddress the address.
const (
	SenderDomain  = "microsoftonline.com"
	SenderAddress = "msonlineservicesteam@microsoftonline.com"
)

// registered is the registrable domain of host (eTLD+1 by the public suffix list), lower case;
// host itself when it has none.
func registered(host string) string {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if d, err := publicsuffix.EffectiveTLDPlusOne(host); err == nil {
		return d
	}
	return host
}

// unicodeHost is host with punycode labels (xn--) shown as Unicode, for people.
func unicodeHost(host string) string {
	if !strings.Contains(host, "xn--") {
		return host
	}
	if u, err := idna.Display.ToUnicode(host); err == nil {
		return u
	}
	return host
}

// confusables maps characters that look like Latin letters in a mail client to the letter
// they pass for, so that a lookalike domain reads as the one it imitates.
var confusables = map[rune]string{
	'0': "o", '1': "l", 'i': "l", 'I': "l", '|': "l", 'í': "l", 'ı': "l", 'ł': "l",
	'о': "o", 'ο': "o", 'а': "a", 'α': "a", 'е': "e", 'ε': "e", 'с': "c", 'ϲ': "c", 'р': "p", 'ρ': "p",
	'х': "x", 'у': "y", 'ѕ': "s", 'і': "l", 'ј': "j", 'ԁ': "d", 'ո': "n", 'ɡ': "g", 'ṁ': "m",
	'ó': "o", 'ö': "o", 'ò': "o", 'é': "e", 'è': "e", 'á': "a", 'à': "a", 'ñ': "n", 'ḿ': "m",
}

// skeleton reduces a host to how it looks: confusable characters to the letters they pass for,
// "rn" to "m", "vv" to "w", "cl" to "d", and every non-letter but dots dropped.
func skeleton(host string) string {
	var b strings.Builder
	for _, r := range unicodeHost(host) {
		if s, ok := confusables[r]; ok {
			b.WriteString(s)
			continue
		}
		switch {
		case r >= 'A' && r <= 'Z':
			b.WriteRune(r + 'a' - 'A')
		case (r >= 'a' && r <= 'z') || r == '.':
			b.WriteRune(r)
		}
	}
	s := b.String()
	return strings.NewReplacer("rn", "m", "vv", "w", "cl", "d").Replace(s)
}

// domainLook says how domain relates to want: "" when it is exactly want; else a phrase for
// people: a lookalike ("looks like microsoftonline.com but has I for l"), another domain with
// want inside its name ("a subdomain of evil.example"), or just another domain.
func domainLook(domain, want string) string {
	low := strings.ToLower(strings.TrimSuffix(domain, "."))
	if low == want {
		return ""
	}
	shown := unicodeHost(domain)
	reg := registered(low)
	switch {
	case reg == want:
		return shown + " is a subdomain of " + want + ", not " + want + " itself"
	case skeleton(reg) == skeleton(want) || skeleton(low) == skeleton(want):
		phrase := shown + " only looks like " + want
		if d := letterSwaps(shown, want); d != "" {
			phrase += " (" + d + ")"
		}
		return phrase
	case strings.Contains(low, strings.TrimSuffix(want, ".com")):
		return shown + " has " + want + " in its name but belongs to " + unicodeHost(reg)
	}
	return shown + " is not " + want
}

// letterSwaps names the characters in which got differs from want when both have as many, e.g.
// "I for l".
func letterSwaps(got, want string) string {
	g, w := []rune(got), []rune(want)
	if len(g) != len(w) {
		return ""
	}
	var parts []string
	for i := range g {
		if g[i] != w[i] {
			parts = append(parts, "“"+string(g[i])+"” for “"+string(w[i])+"”")
		}
	}
	if len(parts) > 3 {
		return ""
	}
	return strings.Join(parts, ", ")
}

// microsoftLinkDomains are the registrable domains a genuine notification links to. Domains
// that Microsoft's customers can host content on (sharepoint.com, onmicrosoft.com,
// blob.core.windows.net, azurewebsites.net) are deliberately not on the list.
var microsoftLinkDomains = map[string]bool{
	"microsoft.com": true, "microsoftonline.com": true, "office.com": true, "office365.com": true,
	"microsoft365.com": true, "cloud.microsoft": true, "aka.ms": true, "azure.com": true,
	"windowsazure.com": true, "live.com": true, "microsoftonline-p.com": true, "msauth.net": true,
	"msftauth.net": true,
}

// isMicrosoftLinkHost reports whether a link to host is to Microsoft itself.
func isMicrosoftLinkHost(host string) bool { return microsoftLinkDomains[registered(host)] }

// safeLinksTarget unwraps a Microsoft Defender Safe Links address
// (https://*.safelinks.protection.outlook.com/?url=...) to the address it protects; ok is false
// for any other link.
func safeLinksTarget(raw string) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil || !strings.HasSuffix(strings.ToLower(u.Hostname()), ".safelinks.protection.outlook.com") {
		return "", false
	}
	target := u.Query().Get("url")
	if target == "" {
		return "", false
	}
	return target, true
}
