package graph

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	abstractions "github.com/microsoft/kiota-abstractions-go"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/text"
)

// maxBatch is Graph's limit of requests per $batch.
const maxBatch = 20

// batchConcurrency is how many $batch requests run at once: enough to hide latency, few enough
// not to provoke throttling on its own.
const batchConcurrency = 4

// We write and read $batch JSON ourselves rather than through msgraph-sdk-go-core's batch types:
// those insist on object bodies and string header values, and $count answers are bare numbers.

type batchRequest struct {
	ID      string            `json:"id"`
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    json.RawMessage   `json:"body,omitempty"`
}

type batchResponse struct {
	ID      string
	Status  int // 0 when Graph gave no answer for this request
	Headers map[string]string
	Body    json.RawMessage
}

// header looks a response header up case-insensitively (Graph spells them as it likes).
func (r batchResponse) header(name string) string {
	if v, ok := r.Headers[name]; ok {
		return v
	}
	for k, v := range r.Headers {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

func retryableStatus(s int) bool { return s == 0 || s == 429 || s == 503 || s == 504 }

// parseBatchResponses reads a $batch answer leniently: ids and statuses as strings or numbers,
// header values of any JSON type, bodies of any JSON type. Entries without an id are dropped
// (nothing could be matched to them); a body that is not {"responses":[...]} is an error.
func parseBatchResponses(data []byte) ([]batchResponse, error) {
	var env struct {
		Responses *[]map[string]json.RawMessage `json:"responses"`
	}
	if err := json.Unmarshal(data, &env); err != nil {
		return nil, fmt.Errorf("batch response: %w", err)
	}
	if env.Responses == nil {
		return nil, errors.New("batch response: no responses array")
	}
	out := make([]batchResponse, 0, len(*env.Responses))
	for _, raw := range *env.Responses {
		id, ok := jsonScalar(raw["id"])
		if !ok || id == "" {
			continue
		}
		r := batchResponse{ID: id, Body: raw["body"]}
		if s, ok := jsonScalar(raw["status"]); ok {
			if n, err := strconv.Atoi(s); err == nil && n >= 100 && n <= 599 {
				r.Status = n
			}
		}
		var hdr map[string]json.RawMessage
		if json.Unmarshal(raw["headers"], &hdr) == nil && len(hdr) > 0 {
			r.Headers = make(map[string]string, len(hdr))
			for k, v := range hdr {
				if s, ok := jsonScalar(v); ok {
					r.Headers[k] = s
				}
			}
		}
		if bytes.Equal(bytes.TrimSpace(r.Body), []byte("null")) {
			r.Body = nil
		}
		out = append(out, r)
	}
	return out, nil
}

// jsonScalar renders a JSON string, number or bool as a string.
func jsonScalar(raw json.RawMessage) (string, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "", false
	}
	switch raw[0] {
	case '"':
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return "", false
		}
		return s, true
	case '{', '[', 'n':
		return "", false
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String(), true
	}
	var b bool
	if json.Unmarshal(raw, &b) == nil {
		return strconv.FormatBool(b), true
	}
	return "", false
}

// parseCount reads a /$count answer from a batch body: a bare number (text/plain inlined), a
// numeric string, the same base64-encoded (how Graph inlines non-JSON bodies), or an object
// with @odata.count or value.
func parseCount(body json.RawMessage) (int, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return 0, errors.New("count: empty body")
	}
	switch body[0] {
	case '"':
		var s string
		if err := json.Unmarshal(body, &s); err != nil {
			return 0, fmt.Errorf("count: %w", err)
		}
		if n, err := parseCountText(s); err == nil {
			return n, nil
		}
		dec, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
		if err != nil {
			return 0, fmt.Errorf("count: %q is not a number", text.Clip(s, 40))
		}
		return parseCountText(string(dec))
	case '{':
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(body, &obj); err != nil {
			return 0, fmt.Errorf("count: %w", err)
		}
		for _, k := range []string{"@odata.count", "value"} {
			if v, ok := obj[k]; ok {
				return parseCount(v)
			}
		}
		return 0, errors.New("count: object without @odata.count or value")
	}
	return parseCountText(string(body))
}

func parseCountText(s string) (int, error) {
	s = strings.TrimSpace(strings.TrimPrefix(s, "\ufeff"))
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		// JSON numbers may come as 12.0 or 1.2e1.
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil || f != math.Trunc(f) || f > math.MaxInt32 {
			return 0, fmt.Errorf("count: %q is not a whole number", text.Clip(s, 40))
		}
		n = int64(f)
	}
	if n < 0 || n > math.MaxInt32 {
		return 0, fmt.Errorf("count: %d out of range", n)
	}
	return int(n), nil
}

// sendBatch posts one $batch (at most 20 requests) and returns its parsed responses. The outer
// request goes through the SDK pipeline: auth, retry on 429/503/504, compression.
func (c *Client) sendBatch(ctx context.Context, reqs []batchRequest) ([]batchResponse, error) {
	body, err := json.Marshal(struct {
		Requests []batchRequest `json:"requests"`
	}{reqs})
	if err != nil {
		return nil, fmt.Errorf("encode batch: %w", err)
	}
	ri := abstractions.NewRequestInformation()
	ri.Method = abstractions.POST
	ri.UrlTemplate = "{+baseurl}/$batch"
	ri.PathParameters["baseurl"] = c.adapter.GetBaseUrl()
	ri.Headers.TryAdd("Accept", "application/json")
	ri.SetStreamContentAndContentType(body, "application/json")
	// Every batch we send is safe to repeat (counts; reprocess is idempotent), so a dropped
	// connection may be retried underneath.
	res, err := c.adapter.SendPrimitive(withRetrySafe(ctx), ri, "[]byte", errorMapping)
	if err != nil {
		return nil, err
	}
	data, _ := res.([]byte)
	if len(data) == 0 {
		return nil, errors.New("batch response: empty body")
	}
	return parseBatchResponses(data)
}

// runBatch sends up to 20 requests as one $batch and re-sends those answered 429/503/504 (or not
// answered at all) after the longest Retry-After they carry. Graph throttles the parts of a batch
// one by one, so under a tight limit every round answers a few and throttles the rest: rounds
// that make progress do not count against MaxRetries, only rounds in a row that answer nothing
// new do (and maxBatchRounds bounds the whole). It returns
// the final response for every request id; an id that never got an answer has Status 0. Only a
// failure of the $batch request itself is returned as an error.
func (c *Client) runBatch(ctx context.Context, reqs []batchRequest) (map[string]batchResponse, error) {
	final := make(map[string]batchResponse, len(reqs))
	pending := reqs
	stalled := 0
	for round := 0; ; round++ {
		if err := c.throttleGate.wait(ctx); err != nil {
			return nil, err
		}
		resps, err := c.sendBatch(ctx, pending)
		if err != nil {
			// The SDK already retried the $batch POST itself; when Graph still throttles or
			// fails it (batches running side by side compete for the same limit), back off
			// with everyone and try again, as long as the stall budget lasts.
			var ge *model.GraphError
			if errors.As(classify(err, "batch", ""), &ge) && (ge.Kind == model.GraphThrottled || ge.Kind == model.GraphTransient) &&
				stalled < c.maxRetries && ctx.Err() == nil {
				stalled++
				wait := ge.RetryAfter
				if wait == 0 {
					wait = backoff(stalled)
				}
				c.throttleGate.pauseFor(wait)
				continue
			}
			return nil, err
		}
		byID := make(map[string]batchResponse, len(resps))
		for _, r := range resps {
			byID[r.ID] = r
		}
		var again []batchRequest
		var wait time.Duration
		for _, q := range pending {
			r, ok := byID[q.ID]
			if !ok {
				r = batchResponse{ID: q.ID}
			}
			final[q.ID] = r
			if retryableStatus(r.Status) {
				again = append(again, q)
				wait = max(wait, parseRetryAfter(r.header("Retry-After")))
			}
		}
		if len(again) < len(pending) {
			stalled = 0
		} else {
			stalled++
		}
		if len(again) == 0 || stalled > c.maxRetries || round >= maxBatchRounds {
			return final, nil
		}
		if wait == 0 {
			wait = backoff(stalled)
		}
		c.log.Debug("graph batch: retrying throttled requests", "count", len(again), "after", wait)
		c.throttleGate.pauseFor(wait)
		pending = again
	}
}

// maxBatchRounds bounds the rounds of one batch even when each makes a little progress.
const maxBatchRounds = 40

// backoff is the wait before retry attempt+1 when the server named none.
func backoff(attempt int) time.Duration {
	d := time.Second << min(attempt, 5)
	return min(d, 30*time.Second)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// forEachChunk runs fn over chunks of n items with batchConcurrency workers, stopping at the
// first error fn returns.
func forEachChunk[T any](ctx context.Context, items []T, n int, fn func(ctx context.Context, chunk []T) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	chunks := make(chan []T)
	var (
		wg       sync.WaitGroup
		once     sync.Once
		firstErr error
	)
	for range batchConcurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ch := range chunks {
				if err := fn(ctx, ch); err != nil {
					once.Do(func() { firstErr = err; cancel() })
				}
			}
		}()
	}
send:
	for i := 0; i < len(items); i += n {
		select {
		case chunks <- items[i:min(i+n, len(items))]:
		case <-ctx.Done():
			break send
		}
	}
	close(chunks)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}

// gate holds back every batch of a client while Graph has asked to wait: batches that run side
// by side otherwise keep spending the limit that a throttled one waits for, and starve it.
type gate struct {
	mu    sync.Mutex
	until time.Time
}

// pauseFor makes every caller of wait hold back for at least d from now.
func (g *gate) pauseFor(d time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if t := time.Now().Add(d); t.After(g.until) {
		g.until = t
	}
}

// wait returns when no pause is in force, or when ctx ends.
func (g *gate) wait(ctx context.Context) error {
	for {
		g.mu.Lock()
		d := time.Until(g.until)
		g.mu.Unlock()
		if d <= 0 {
			return nil
		}
		if err := sleep(ctx, d); err != nil {
			return err
		}
	}
}
