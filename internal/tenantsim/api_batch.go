package tenantsim

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// MaxBatch is how many requests Graph takes in one $batch.
const MaxBatch = 20

type batchBody struct {
	Requests *[]batchItem `json:"requests"`
}

type batchItem struct {
	ID        string            `json:"id"`
	Method    string            `json:"method"`
	URL       string            `json:"url"`
	Headers   map[string]string `json:"headers"`
	Body      json.RawMessage   `json:"body"`
	DependsOn []string          `json:"dependsOn"`
}

type batchResult struct {
	ID      string            `json:"id"`
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    json.RawMessage   `json:"body,omitempty"`
}

// recorder captures an inner response of a batch.
type recorder struct {
	h      http.Header
	status int
	buf    bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.h }
func (r *recorder) WriteHeader(s int) {
	if r.status == 0 {
		r.status = s
	}
}
func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = 200
	}
	return r.buf.Write(b)
}

func errBatch(format string, a ...any) *apiError { return errf(400, "BadRequest", format, a...) }

// batch serves POST /$batch: every part goes through the same handler as a direct request,
// with its own headers (ConsistencyLevel included) and the outer request's token. Parts run in
// order; dependsOn waits for the named parts and fails with 424 when one of them failed.
func (a *API) batch(rq *request) error {
	var body batchBody
	if err := decodeJSON(rq.body, &body); err != nil {
		return err
	}
	if body.Requests == nil || len(*body.Requests) == 0 {
		return errBatch("Invalid batch payload format.")
	}
	reqs := *body.Requests
	if len(reqs) > MaxBatch {
		return errBatch("The number of requests in the batch exceeds the limit of %d.", MaxBatch)
	}
	index := map[string]int{}
	for i, it := range reqs {
		switch {
		case it.ID == "":
			return errBatch("Invalid batch payload format: a request has no id.")
		case it.Method == "":
			return errBatch("Invalid batch payload format: request '%s' has no method.", it.ID)
		case it.URL == "":
			return errBatch("Invalid batch payload format: request '%s' has no url.", it.ID)
		}
		if _, dup := index[it.ID]; dup {
			return errBatch("Request ids must be unique within a batch: '%s' appears twice.", it.ID)
		}
		index[it.ID] = i
		if len(it.Body) > 0 && !bytes.Equal(bytes.TrimSpace(it.Body), []byte("null")) && headerFold(it.Headers, "Content-Type") == "" {
			return errBatch("Content-Type header must be specified for request '%s' with a body.", it.ID)
		}
	}
	for _, it := range reqs {
		for _, d := range it.DependsOn {
			if _, ok := index[d]; !ok || d == it.ID {
				return errBatch("Request '%s' depends on '%s', which is not in the batch.", it.ID, d)
			}
		}
	}
	order, ok := batchOrder(reqs, index)
	if !ok {
		return errBatch("The dependsOn of the batch requests form a cycle.")
	}

	results := make([]batchResult, len(reqs))
	for _, i := range order {
		it := reqs[i]
		failed := false
		for _, d := range it.DependsOn {
			if results[index[d]].Status >= 400 {
				failed = true
			}
		}
		if failed {
			results[i] = a.batchError(it.ID, 424, "FailedDependency", "The request depends on a request that failed.")
			continue
		}
		results[i] = a.runPart(rq, it)
	}
	out, err := json.Marshal(map[string]any{"responses": results})
	if err != nil {
		return err
	}
	writeJSON(rq.w, 200, out)
	return nil
}

// batchOrder sorts parts so that each comes after what it depends on, keeping the given order
// otherwise; false on a cycle.
func batchOrder(reqs []batchItem, index map[string]int) ([]int, bool) {
	done := make([]bool, len(reqs))
	var order []int
	for len(order) < len(reqs) {
		progress := false
		for i, it := range reqs {
			if done[i] {
				continue
			}
			ready := true
			for _, d := range it.DependsOn {
				if !done[index[d]] {
					ready = false
				}
			}
			if ready {
				done[i] = true
				order = append(order, i)
				progress = true
			}
		}
		if !progress {
			return nil, false
		}
	}
	return order, true
}

func headerFold(h map[string]string, name string) string {
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

func (a *API) batchError(id string, status int, code, msg string) batchResult {
	in := innerError{Date: a.now().UTC().Format("2006-01-02T15:04:05"), RequestID: newGUID(), ClientRequestID: newGUID()}
	if status == http.StatusTooManyRequests {
		in = throttled(in)
	}
	b, _ := json.Marshal(graphError{Error: graphErrorDetail{Code: code, Message: msg, InnerError: in}})
	return batchResult{ID: id, Status: status, Headers: map[string]string{"Content-Type": "application/json"}, Body: b}
}

// innerPath turns a part's url ("/groups?...", "groups/x", or an absolute Graph URL) into a
// path below /v1.0.
func innerPath(raw string) (string, bool) {
	raw = strings.TrimSpace(raw)
	if strings.HasPrefix(strings.ToLower(raw), "http://") || strings.HasPrefix(strings.ToLower(raw), "https://") {
		u, err := url.Parse(raw)
		if err != nil {
			return "", false
		}
		raw = u.RequestURI()
	}
	if !strings.HasPrefix(raw, "/") {
		raw = "/" + raw
	}
	if !strings.HasPrefix(raw, "/v1.0/") {
		raw = "/v1.0" + raw
	}
	return raw, true
}

func (a *API) runPart(rq *request, it batchItem) batchResult {
	target, ok := innerPath(it.URL)
	u, err := url.Parse(target)
	if !ok || err != nil {
		return a.batchError(it.ID, 400, "BadRequest", "Invalid request URL '"+it.URL+"'.")
	}
	method := strings.ToUpper(it.Method)
	if strings.EqualFold(strings.Trim(strings.TrimPrefix(u.Path, "/v1.0"), "/"), "$batch") {
		return a.batchError(it.ID, 400, "BadRequest", "A batch request cannot contain another batch request.")
	}
	var body []byte
	if len(it.Body) > 0 && !bytes.Equal(bytes.TrimSpace(it.Body), []byte("null")) {
		body = it.Body
		// A string body is base64, as Graph takes non-JSON bodies in a batch.
		var s string
		if json.Unmarshal(it.Body, &s) == nil {
			if dec, err := base64.StdEncoding.DecodeString(s); err == nil {
				body = dec
			}
		}
	}
	inner, err := http.NewRequestWithContext(rq.r.Context(), method, target, bytes.NewReader(body))
	if err != nil {
		return a.batchError(it.ID, 400, "BadRequest", "Invalid request '"+it.ID+"'.")
	}
	for k, v := range it.Headers {
		inner.Header.Set(k, v)
	}
	inner.Header.Del("Content-Encoding")
	inner.Header.Set("Authorization", rq.r.Header.Get("Authorization"))
	inner.Host = rq.r.Host
	inner.TLS = rq.r.TLS
	inner.RemoteAddr = rq.r.RemoteAddr

	rec := &recorder{h: http.Header{}}
	tmpl := Route(inner)
	if a.faults != nil {
		if wait, throttled := a.faults.admit(rq.caller.AppID); throttled {
			res := a.batchError(it.ID, 429, "TooManyRequests", "Please retry again later.")
			res.Headers["Retry-After"] = strconv.Itoa(wait)
			a.faults.stats.record(tmpl, true, 429, len(res.Body))
			return res
		}
	}
	a.serve(rec, inner, true)
	if rec.status == 0 {
		rec.status = 200
	}
	if a.faults != nil {
		a.faults.stats.record(tmpl, true, rec.status, rec.buf.Len())
	}
	res := batchResult{ID: it.ID, Status: rec.status, Headers: map[string]string{}}
	ct := rec.h.Get("Content-Type")
	if ct != "" {
		res.Headers["Content-Type"] = ct
	}
	for _, h := range []string{"Location", "Retry-After"} {
		if v := rec.h.Get(h); v != "" {
			res.Headers[h] = v
		}
	}
	switch {
	case rec.buf.Len() == 0:
	case strings.HasPrefix(ct, "application/json"):
		res.Body = rec.buf.Bytes()
	default:
		// Graph returns non-JSON bodies of batch parts ($count's text/plain) base64-encoded.
		res.Body, _ = json.Marshal(base64.StdEncoding.EncodeToString(rec.buf.Bytes()))
	}
	return res
}
