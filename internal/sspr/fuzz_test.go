package sspr

import (
	"context"
	"os"
	"strings"
	"testing"
	"unicode/utf8"
)

// Seeds: every kind of message the table tests use.
func seeds(f *testing.F) {
	sim := newSim(f)
	fl := contacted(f, sim)[0]
	for _, v := range []string{"genuine", "spoofed-lookalike", "spoofed-injected-authres", "no-audit"} {
		msg := render(f, sim, fl.CorrelationID, v)
		f.Add([]byte(msg))
		f.Add([]byte(headerBlock(msg)))
		f.Add([]byte(lostFolding(msg)))
		f.Add([]byte(bodyBlock(msg)))
	}
	genuine := render(f, sim, fl.CorrelationID, "genuine")
	m, _ := Read([]byte(genuine), "", 0)
	f.Add(msgOf(headerBlock(genuine), m.Text))
	if b, err := os.ReadFile("testdata/outlook-sample.msg"); err == nil {
		f.Add(b)
	}
	f.Add([]byte("From: a@b.example\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: text/html; charset=shift_jis\r\nContent-Transfer-Encoding: base64\r\n\r\nPGEgaHJlZj0iaHR0cHM6Ly9ldmlsLmV4YW1wbGUiPng8L2E+\r\n--x--\r\n"))
	f.Add([]byte{0xFF, 0xFE, 'F', 0, 'r', 0, 'o', 0, 'm', 0, ':', 0})
}

// FuzzRead: the message reader never panics, and what it returns stays within its bounds.
func FuzzRead(f *testing.F) {
	seeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Read(data, "", 1<<20)
		if err != nil {
			if m != nil {
				t.Fatal("a message and an error")
			}
			return
		}
		if len(m.Fields) > maxFields || len(m.Text) > maxTextBytes || len(m.Links) > maxLinks {
			t.Fatalf("bounds: %d fields, %d text bytes, %d links", len(m.Fields), len(m.Text), len(m.Links))
		}
		if !utf8.ValidString(m.Text) {
			t.Fatal("body text is not UTF-8")
		}
		for _, fl := range m.Fields {
			if fl.Name == "" || strings.ContainsAny(fl.Name, ": \r\n") {
				t.Fatalf("field name %q", fl.Name)
			}
		}
	})
}

// FuzzHeaders: the header parser (fields, Received hops, the trust boundary, ARC sets, the
// EOP report) and every check over it never panic on any header text, and a report always has a
// verdict and the advice to confirm with the user.
func FuzzHeaders(f *testing.F) {
	seeds(f)
	e := newEnv(f)
	v := e.verifier(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Read(data, "", 1<<20)
		if err != nil {
			return
		}
		for _, fl := range m.All("Received") {
			parseReceived(fl)
		}
		rep := v.Check(context.Background(), m)
		switch rep.Verdict {
		case VerdictGenuine, VerdictSuspicious, VerdictSpoofed, VerdictCannotTell:
		default:
			t.Fatalf("verdict %q", rep.Verdict)
		}
		if len(rep.NextSteps) == 0 || rep.NextSteps[0] != confirmStep {
			t.Fatal("no advice to confirm with the user")
		}
		for _, c := range rep.Checks {
			if c.Message == "" || (c.Status != StatusPass && c.Status != StatusWarn && c.Status != StatusFail) {
				t.Fatalf("check %+v", c)
			}
		}
	})
}

// FuzzParseAuthResults: the Authentication-Results parser never panics and stays bounded.
func FuzzParseAuthResults(f *testing.F) {
	for _, s := range []string{
		"spf=pass (sender IP is 40.93.12.1)\r\n smtp.mailfrom=microsoftonline.com; dkim=pass (signature was verified)\r\n header.d=microsoftonline.com;dmarc=pass action=none\r\n header.from=microsoftonline.com;compauth=pass reason=100",
		"i=2; mx.microsoft.com 1; spf=softfail (sender ip is 1.2.3.4) smtp.rcpttodomain=x smtp.mailfrom=gmail.com; arc=pass (0 oda=1 ltdi=1 spf=[1,1,smtp.mailfrom=gmail.com])",
		`mx.google.com; dkim=pass header.i=@example.com header.s="s;1" (comment (nested) \) escaped)`,
		"spf = pass ; ;; dkim= ; =x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a := ParseAuthResults(s)
		if len(a.Results) > maxResults {
			t.Fatalf("%d results", len(a.Results))
		}
		for _, r := range a.Results {
			if r.Method == "" || len(r.Props) > maxProps {
				t.Fatalf("result %+v", r)
			}
			_ = r.senderIP()
		}
		resultsIP(a)
		arcPassed(a)
		arcSummary(a)
	})
}
