package alerts

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

func sampleMessage() model.AlertMessage {
	return model.AlertMessage{
		Kind: model.AlertFired, Rule: RuleSKULow, Subject: "sku:aaa",
		Title:   "Office 365 A1 for faculty is used up (120 of 120 units assigned)",
		Summary: "2 groups assign it; <!channel> & friends get none.",
		Facts:   []model.Fact{{Name: "License", Value: "Office 365 A1 for faculty"}, {Name: "Groups affected", Value: "Staff <all> (12 in error)"}},
		Fix:     "Buy more units.", Link: "https://td.example/licenses/aaa",
		Since: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC), At: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC),
	}
}

func TestTeamsPayload(t *testing.T) {
	b, err := Payload(model.FormatTeams, sampleMessage())
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		Type        string
		Attachments []struct {
			ContentType string
			ContentURL  *string `json:"contentUrl"`
			Content     struct {
				Schema  string `json:"$schema"`
				Type    string
				Version string
				Body    []map[string]any
				Actions []map[string]any
			}
		}
	}
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	if p.Type != "message" || len(p.Attachments) != 1 || p.Attachments[0].ContentType != "application/vnd.microsoft.card.adaptive" {
		t.Fatalf("envelope %s", b)
	}
	c := p.Attachments[0].Content
	if c.Type != "AdaptiveCard" || c.Version != "1.4" || len(c.Body) != 4 || c.Body[2]["type"] != "FactSet" {
		t.Fatalf("card %s", b)
	}
	if len(c.Actions) != 1 || c.Actions[0]["type"] != "Action.OpenUrl" || c.Actions[0]["url"] != "https://td.example/licenses/aaa" {
		t.Errorf("actions %v", c.Actions)
	}
	// Adaptive Card text is plain (markdown subset), not HTML: names go as they are.
	if !strings.Contains(string(b), `Staff \u003call\u003e`) {
		t.Errorf("the group name is not carried as is: %s", b)
	}
}

func TestSlackPayload(t *testing.T) {
	m := sampleMessage()
	m.Title = strings.Repeat("é", 200)
	b, err := Payload(model.FormatSlack, m)
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		Text   string
		Blocks []struct {
			Type   string
			Text   *struct{ Type, Text string }
			Fields []struct{ Type, Text string }
		}
	}
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(p.Text, "<!channel>") || !strings.Contains(p.Text, "&lt;!channel&gt; &amp; friends") {
		t.Errorf("text not escaped: %q", p.Text)
	}
	if p.Blocks[0].Type != "header" || utf8.RuneCountInString(p.Blocks[0].Text.Text) != slackHeaderMax {
		t.Errorf("header %+v not cut to %d", p.Blocks[0], slackHeaderMax)
	}
	if len(p.Blocks[2].Fields) != 2 || p.Blocks[2].Fields[1].Text != "*Groups affected*\nStaff &lt;all&gt; (12 in error)" {
		t.Errorf("fields %+v", p.Blocks[2].Fields)
	}
}

func TestJSONPayloadRoundTrips(t *testing.T) {
	m := sampleMessage()
	b, err := Payload(model.FormatJSON, m)
	if err != nil {
		t.Fatal(err)
	}
	var got model.AlertMessage
	if err := json.Unmarshal(b, &got); err != nil || got.Title != m.Title || len(got.Facts) != 2 || !got.Since.Equal(m.Since) {
		t.Fatalf("%+v, %v", got, err)
	}
	if _, err := Payload("xml", m); err == nil {
		t.Error("an unknown format was accepted")
	}
}

func TestSendFailuresSayWhyWithoutTheURL(t *testing.T) {
	secret := "/workflows/abc123/triggers/manual/paths/invoke?sig=SECRETSIG"
	var got []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.Contains(r.URL.RawQuery, "SECRETSIG"):
			got, _ = io.ReadAll(r.Body)
			w.WriteHeader(http.StatusAccepted)
		case strings.Contains(r.URL.Path, "slow"):
			time.Sleep(300 * time.Millisecond)
		default:
			http.Error(w, "invalid_payload \xff", http.StatusBadRequest)
		}
	}))
	defer srv.Close()
	ctx := context.Background()
	s := &Sender{Client: &http.Client{Timeout: 100 * time.Millisecond}, UserAgent: "tenantdesk/test"}
	ch := model.AlertChannel{Name: "Teams", Kind: "webhook", Format: model.FormatTeams, Secret: srv.URL + secret}
	if code, err := s.Send(ctx, ch, sampleMessage()); err != nil || code != http.StatusAccepted || len(got) == 0 {
		t.Fatalf("send: %d %v", code, err)
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := "http://" + ln.Addr().String() + secret
	ln.Close()
	for name, url := range map[string]string{
		"refused":        srv.URL + "/bad?sig=OTHERSIG",
		"nobody listens": closed,
		"too slow":       srv.URL + "/slow?sig=SLOWSIG",
		"not a URL":      "ht!tp://\x7f?sig=SECRETSIG",
	} {
		ch.Secret = url
		_, err := s.Send(ctx, ch, sampleMessage())
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		if strings.Contains(err.Error(), "SIG") || strings.Contains(err.Error(), "workflows") {
			t.Errorf("%s: the error shows the secret URL: %v", name, err)
		}
		if name == "refused" && (!strings.Contains(err.Error(), "400") || !strings.Contains(err.Error(), "invalid_payload") && !strings.HasSuffix(err.Error(), "Bad Request")) {
			t.Errorf("refused: %v does not say why", err)
		}
	}
}

func TestDefaultBackoff(t *testing.T) {
	want := []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 16 * time.Minute, 32 * time.Minute, time.Hour, time.Hour}
	for i, w := range want {
		if got := DefaultBackoff(i + 1); got != w {
			t.Errorf("after %d failures: %s, want %s", i+1, got, w)
		}
	}
	if DefaultBackoff(1000) != time.Hour {
		t.Error("no cap")
	}
}

// A receiver that echoes what it was sent (Express: "Cannot POST /services/T0/B0/<token>")
// does not put the webhook's token into the recorded error; a redirect is not followed.
func TestSendHidesTheURLInAnswersAndFollowsNoRedirect(t *testing.T) {
	var elsewhere int
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { elsewhere++ }))
	defer other.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/moved") {
			http.Redirect(w, r, other.URL+"/internal", http.StatusFound)
			return
		}
		http.Error(w, "Cannot POST "+r.URL.RequestURI(), http.StatusNotFound)
	}))
	defer srv.Close()
	s := &Sender{}
	for _, path := range []string{"/services/T0ABC/B0DEF/SECRETTOKEN123", "/hook?sig=SECRETTOKEN123&sp=x"} {
		ch := model.AlertChannel{Name: "x", Kind: model.ChannelWebhook, Format: model.FormatJSON, Secret: srv.URL + path}
		code, err := s.Send(context.Background(), ch, sampleMessage())
		if code != 404 || err == nil || strings.Contains(err.Error(), "SECRETTOKEN123") || !strings.Contains(err.Error(), "Cannot POST") {
			t.Errorf("%s: %d, %v", path, code, err)
		}
	}
	ch := model.AlertChannel{Name: "x", Kind: model.ChannelWebhook, Format: model.FormatJSON, Secret: srv.URL + "/moved"}
	if code, err := s.Send(context.Background(), ch, sampleMessage()); code != http.StatusFound || err == nil || !strings.Contains(err.Error(), "redirect") || elsewhere != 0 {
		t.Errorf("redirect: %d, %v, followed %d times", code, err, elsewhere)
	}
}

// A group named like a Markdown link is no link in the Teams card.
func TestTeamsPayloadDefusesMarkdownLinks(t *testing.T) {
	m := sampleMessage()
	m.Title = "[Fix licensing](https://phish.example): 3 members in error"
	m.Facts = []model.Fact{{Name: "Group", Value: "[Fix](https://phish.example)"}}
	b, err := Payload(model.FormatTeams, m)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "](https://phish.example)") {
		t.Errorf("a Markdown link in the card: %s", b)
	}
	if !strings.Contains(string(b), "[Fix licensing]\u2060(https://phish.example)") {
		t.Errorf("the text is not kept as typed: %s", b)
	}
}
