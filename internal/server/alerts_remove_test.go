package server

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/tenantdesk/tenantdesk/internal/alerts"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/store"
)

// A LicenseAdmin removes a channel: it leaves the list, the page says so by the name the store
// has (an address cannot make it say so), the activity log records it; a channel the
// configuration gives cannot be removed here and says which setting gives it; a Reader may not.
func TestAlertsRemoveChannel(t *testing.T) {
	ctx := context.Background()
	st, h, deps := configuredChannelServer(t)
	ast := st
	var ids []string
	for _, name := range []string{"Old Teams", "environment"} {
		ch, err := ast.AddAlertChannel(ctx, model.AlertChannel{Name: name, Kind: model.ChannelWebhook, Format: model.FormatJSON, Secret: "https://hooks.example/" + name, Enabled: true})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, strconv.FormatInt(ch.ID, 10))
	}
	d := do(t, h, "GET", "/alerts", nil).doc(t)
	if d.Find("#channel-"+ids[0]+" form.remove-form").Length() != 1 || d.Find("#channel-"+ids[1]+" form.remove-form").Length() != 0 ||
		!strings.Contains(d.Find("#channel-"+ids[1]).Text(), "Given by TENANTDESK_ALERT_WEBHOOK") {
		t.Fatal("remove buttons: one for the added channel, none for the configured one")
	}
	if res := postForm(t, h, "/alerts/channels/"+ids[0]+"/remove", url.Values{}, "reader"); res.StatusCode != http.StatusForbidden {
		t.Errorf("a Reader's removal: %d", res.StatusCode)
	}
	res := postForm(t, h, "/alerts/channels/"+ids[0]+"/remove", url.Values{}, "")
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("remove: %d %s", res.StatusCode, res.body)
	}
	d = do(t, h, "GET", page(res.Header.Get("Location")), nil).doc(t)
	if got := d.Find("#channel-removed").Text(); !strings.Contains(got, "Channel Old Teams removed") {
		t.Errorf("notice %q", got)
	}
	if d.Find(`tr[data-channel="Old Teams"]`).Length() != 0 {
		t.Error("the removed channel is still listed")
	}
	if d := do(t, h, "GET", "/alerts?removed="+ids[1], nil).doc(t); d.Find("#channel-removed").Length() != 0 {
		t.Error("an address makes the page say a channel that is there was removed")
	}
	res = postForm(t, h, "/alerts/channels/"+ids[1]+"/remove", url.Values{}, "")
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(res.doc(t).Find("#channel-"+ids[1]+" .form-problem").Text(), "unset it there") {
		t.Errorf("removing the configured channel: %d", res.StatusCode)
	}
	if res := postForm(t, h, "/alerts/channels/"+ids[0]+"/remove", url.Values{}, ""); res.StatusCode != http.StatusNotFound {
		t.Errorf("removed twice: %d", res.StatusCode)
	}
	var results []string
	for _, a := range deps.Activity.(*activityRecorder).list() {
		if a.Action == model.ActionAlertChannel {
			results = append(results, a.Result+" "+a.TargetName)
		}
	}
	if strings.Join(results, ",") != "ok Old Teams,refused environment,refused " {
		t.Errorf("activity %q", results)
	}
}

// A channel the configuration gives says why it is off: a person switched it off here (it stays
// off after a restart), or its setting is not set.
func TestAlertsConfiguredChannelSaysWhyOff(t *testing.T) {
	ctx := context.Background()
	st, h, _ := configuredChannelServer(t)
	ch, err := st.AddAlertChannel(ctx, model.AlertChannel{Name: "environment", Kind: model.ChannelWebhook, Format: model.FormatJSON, Secret: "https://hooks.example/e", Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	row := func() string {
		return do(t, h, "GET", "/alerts", nil).doc(t).Find("#channel-" + strconv.FormatInt(ch.ID, 10)).Text()
	}
	if got := row(); strings.Contains(got, "Off because") || strings.Contains(got, "Switched off here") {
		t.Errorf("an enabled channel says it is off: %q", got)
	}
	if err := st.SetAlertChannel(ctx, ch.ID, false, model.QuietHours{}); err != nil {
		t.Fatal(err)
	}
	if got := row(); !strings.Contains(got, "Switched off here: it stays off when the server starts again") {
		t.Errorf("switched off by a person: %q", got)
	}
	// Off because the setting is gone (the configuration switched it off), then saved again off
	// (its quiet hours): still off because of the setting, not a person's choice.
	if err := st.SetAlertChannel(ctx, ch.ID, true, model.QuietHours{}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.PutAlertChannel(ctx, model.AlertChannel{Name: "environment", Kind: model.ChannelWebhook, Format: model.FormatJSON, Secret: "https://hooks.example/e"}); err != nil {
		t.Fatal(err)
	}
	if err := st.SetAlertChannel(ctx, ch.ID, false, model.QuietHours{Start: 22 * 60, End: 7 * 60, Zone: "UTC"}); err != nil {
		t.Fatal(err)
	}
	if got := row(); !strings.Contains(got, "Off because TENANTDESK_ALERT_WEBHOOK is not set") {
		t.Errorf("off for its setting: %q", got)
	}
	if c, err := st.PutAlertChannel(ctx, model.AlertChannel{Name: "environment", Kind: model.ChannelWebhook, Format: model.FormatJSON, Secret: "https://hooks.example/e", Enabled: true}); err != nil || !c.Enabled {
		t.Errorf("the setting is back: %+v, %v", c, err)
	}
}

// configuredChannelServer is a server whose configuration gives the channel "environment".
func configuredChannelServer(t *testing.T) (*store.Store, http.Handler, Deps) {
	t.Helper()
	st := openStore(t, nil)
	deps := testDeps(t, st, nil)
	deps.AlertConfig.(*alerts.Configurator).Configured = map[string]string{"environment": "TENANTDESK_ALERT_WEBHOOK"}
	s, err := New(deps)
	if err != nil {
		t.Fatal(err)
	}
	return st, s.Handler(), deps
}
