package tenantsim

import (
	"bytes"
	"io"
	"net/mail"
	"slices"
	"strings"
	"testing"
)

// firstContacted returns a flow that ended in contacting an admin.
func firstContacted(t *testing.T, tn *Tenant) SSPRFlow {
	t.Helper()
	for _, f := range tn.SSPRFlows() {
		if f.Outcome == outcomeContacted {
			return f
		}
	}
	t.Fatal("no contacted-admin flow")
	return SSPRFlow{}
}

// rawHeaders returns the header lines (unfolded) in order, as name/value pairs.
func rawHeaders(t *testing.T, msg []byte) [][2]string {
	t.Helper()
	head, _, ok := bytes.Cut(msg, []byte("\r\n\r\n"))
	if !ok {
		t.Fatal("no header/body separator")
	}
	var out [][2]string
	for _, line := range strings.Split(string(head), "\r\n") {
		if strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t") {
			out[len(out)-1][1] += " " + strings.TrimSpace(line)
			continue
		}
		name, value, _ := strings.Cut(line, ":")
		out = append(out, [2]string{name, strings.TrimSpace(value)})
	}
	return out
}

// trustedAuthRes is the Authentication-Results nearest above the first Received hop "by"
// *.mail.protection.outlook.com, the one this tenant's EOP stamped.
func trustedAuthRes(hs [][2]string) string {
	for i, h := range hs {
		if h[0] == "Received" && strings.Contains(h[1], ".mail.protection.outlook.com") &&
			strings.Contains(h[1][strings.Index(h[1], " by "):], ".mail.protection.outlook.com") {
			for j := i - 1; j >= 0; j-- {
				if hs[j][0] == "Authentication-Results" {
					return hs[j][1]
				}
			}
			return ""
		}
	}
	return ""
}

func TestRenderSSPREmail(t *testing.T) {
	tn, _ := newTestTenant(t, Config{Seed: 40})
	f := firstContacted(t, tn)
	flowUser := tn.userCopy(f.UserID)
	cases := []struct {
		variant     string
		fromDomain  string
		trustedPass bool
		anyPassLow  bool // a passing Authentication-Results below EOP's
		flowUser    bool
	}{
		{"genuine", "microsoftonline.com", true, false, true},
		{"spoofed-lookalike", "microsoftonIine.com", true, false, true},
		{"spoofed-injected-authres", "microsoftonline.com", false, true, true},
		{"no-audit", "microsoftonline.com", true, false, false},
	}
	for _, c := range cases {
		t.Run(c.variant, func(t *testing.T) {
			raw, err := tn.RenderSSPREmail(f.CorrelationID, c.variant)
			if err != nil {
				t.Fatal(err)
			}
			again, _ := tn.RenderSSPREmail(f.CorrelationID, c.variant)
			if !bytes.Equal(raw, again) {
				t.Fatal("rendering is not deterministic")
			}
			msg, err := mail.ReadMessage(bytes.NewReader(raw))
			if err != nil {
				t.Fatalf("net/mail: %v", err)
			}
			from, err := mail.ParseAddress(msg.Header.Get("From"))
			if err != nil {
				t.Fatalf("From: %v", err)
			}
			if from.Name != "Microsoft on behalf of "+tn.DisplayName || from.Address != "msonlineservicesteam@"+c.fromDomain {
				t.Fatalf("From = %q <%s>", from.Name, from.Address)
			}
			if _, err := mail.ParseAddressList(msg.Header.Get("To")); err != nil {
				t.Fatalf("To: %v", err)
			}
			if _, err := msg.Header.Date(); err != nil {
				t.Fatalf("Date: %v", err)
			}
			if got := msg.Header.Get("X-MS-Exchange-CrossTenant-Id"); got != tn.ID {
				t.Fatalf("CrossTenant-Id %q, want %q", got, tn.ID)
			}
			for _, h := range []string{"X-Forefront-Antispam-Report", "X-Microsoft-Antispam", "DKIM-Signature", "Message-ID", "X-MS-Exchange-Organization-AuthAs"} {
				if msg.Header.Get(h) == "" {
					t.Errorf("header %s missing", h)
				}
			}
			hs := rawHeaders(t, raw)
			if hs[0][0] != "Received" {
				t.Fatalf("first header %s, want Received", hs[0][0])
			}
			trusted := trustedAuthRes(hs)
			if trusted == "" {
				t.Fatal("no Authentication-Results above the protection.outlook.com hop")
			}
			pass := strings.Contains(trusted, "spf=pass") && strings.Contains(trusted, "dmarc=pass") && strings.Contains(trusted, "compauth=pass")
			if pass != c.trustedPass {
				t.Fatalf("trusted Authentication-Results %q: pass=%v, want %v", trusted, pass, c.trustedPass)
			}
			if !strings.Contains(trusted, "header.from="+c.fromDomain) {
				t.Fatalf("trusted Authentication-Results %q does not name %s", trusted, c.fromDomain)
			}
			// EOP's (sender IP is X) equals the CIP of the antispam report.
			ip := trusted[strings.Index(trusted, "sender IP is ")+len("sender IP is "):]
			ip = ip[:strings.IndexByte(ip, ')')]
			if !strings.Contains(msg.Header.Get("X-Forefront-Antispam-Report"), "CIP:"+ip+";") {
				t.Fatalf("sender IP %s not the report's CIP: %s", ip, msg.Header.Get("X-Forefront-Antispam-Report"))
			}
			lowPass := false
			seenTrusted := false
			for _, h := range hs {
				if h[0] == "Authentication-Results" {
					if h[1] == trusted && !seenTrusted {
						seenTrusted = true
						continue
					}
					if seenTrusted && strings.Contains(h[1], "dmarc=pass") {
						lowPass = true
					}
				}
			}
			if lowPass != c.anyPassLow {
				t.Fatalf("passing Authentication-Results below EOP's: %v, want %v", lowPass, c.anyPassLow)
			}
			body, _ := io.ReadAll(msg.Body)
			u := flowUser
			if !c.flowUser {
				for _, x := range tn.SSPRFlows() {
					if strings.Contains(string(body), tn.userCopy(x.UserID).UserPrincipalName+"\r\n") {
						t.Fatalf("no-audit mail names %s, who ran a flow", tn.userCopy(x.UserID).UserPrincipalName)
					}
				}
				return
			}
			for _, want := range []string{"User ID: " + u.UserPrincipalName, "First name: " + u.GivenName, "Last name: " + u.Surname} {
				if !bytes.Contains(body, []byte(want)) {
					t.Errorf("body lacks %q", want)
				}
			}
		})
	}
}

func TestRenderSSPREmailErrors(t *testing.T) {
	tn, _ := newTestTenant(t, Config{Seed: 41})
	f := firstContacted(t, tn)
	i := slices.IndexFunc(tn.SSPRFlows(), func(x SSPRFlow) bool { return x.Outcome == outcomeSucceeded })
	cases := []struct{ corr, variant string }{
		{f.CorrelationID, "nope"},
		{f.CorrelationID, ""},
		{"00000000-0000-0000-0000-000000000000", "genuine"},
		{"", "genuine"},
		{tn.SSPRFlows()[i].CorrelationID, "genuine"},
	}
	for _, c := range cases {
		if _, err := tn.RenderSSPREmail(c.corr, c.variant); err == nil {
			t.Errorf("RenderSSPREmail(%q, %q) succeeded, want an error", c.corr, c.variant)
		}
	}
}
