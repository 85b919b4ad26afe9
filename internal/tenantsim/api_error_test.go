package tenantsim

import (
	"encoding/json"
	"net/http/httptest"
	"testing"
	"time"
)

// TestWriteErrorAlwaysHasMessage: whatever a handler returns, the error body has a code and a
// message (the SDK panics on a Graph error without message) and echoes the request ids.
func TestWriteErrorAlwaysHasMessage(t *testing.T) {
	a := NewAPI(nil, apiVerifier(), APIOptions{Now: func() time.Time { return time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC) }})
	for _, e := range []*apiError{
		{status: 500},
		{status: 400, code: "BadRequest"},
		{status: 403, message: "Insufficient privileges to complete the operation."},
		{status: 599},
		errInsufficient,
	} {
		rec := httptest.NewRecorder()
		rq := &request{w: rec, r: httptest.NewRequest("GET", "/v1.0/users", nil), reqID: "r-1", clientReq: "c-1"}
		a.writeError(rq, e)
		var body graphError
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatalf("%+v: %v", e, err)
		}
		got := body.Error
		if rec.Code != e.status || got.Code == "" || got.Message == "" || got.InnerError.RequestID != "r-1" ||
			got.InnerError.ClientRequestID != "c-1" || got.InnerError.Date != "2026-03-02T09:30:00" {
			t.Errorf("%+v rendered %d %s", e, rec.Code, rec.Body)
		}
		if e.message != "" && got.Message != e.message || e.code != "" && got.Code != e.code {
			t.Errorf("%+v: code/message changed: %s", e, rec.Body)
		}
	}
	if errInsufficient.message != "Insufficient privileges to complete the operation." || errInsufficient.code != "Authorization_RequestDenied" {
		t.Fatalf("shared error changed: %+v", errInsufficient)
	}
}
