package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime/trace"
	"strconv"
	"strings"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	abstractions "github.com/microsoft/kiota-abstractions-go"
	absser "github.com/microsoft/kiota-abstractions-go/serialization"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

// The hot reads (every user, a group's members, delta rounds) skip the SDK's object model: the
// request still goes through the SDK's adapter and its whole middleware (token, retry honouring
// Retry-After, redirect, compression), but the body comes back as bytes and is decoded straight
// into our own types with encoding/json/v2 (decodePage). Building kiota objects for a 999-user
// page was most of a sync's CPU time (BenchmarkDecodeUsersPage measures all three).

// getJSON sends GET target (an absolute URL below the Graph base) with headers through the
// SDK's pipeline and returns the body. When Graph still throttles (or fails transiently) after
// the pipeline's retries, it waits with the client's other requests (the gate $batch requests
// pause too) for Retry-After and tries again, up to the retry budget: pages read beside
// batches of member counts compete with them for the same limit, and a sync should not fail
// for having asked while the batches were throttled.
func (c *Client) getJSON(ctx context.Context, target string, headers map[string]string) ([]byte, error) {
	var buf bytes.Buffer
	if err := c.getJSONInto(ctx, target, headers, &buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// getJSONInto is getJSON reading the body into buf (emptied first), so that a caller reading
// page after page can reuse its buffers (bodyBuffer, c.bodies).
func (c *Client) getJSONInto(ctx context.Context, target string, headers map[string]string, buf *bytes.Buffer) error {
	for attempt := 1; ; attempt++ {
		if err := c.throttleGate.wait(ctx); err != nil {
			return err
		}
		err := c.getJSONOnce(ctx, target, headers, buf)
		var ge *model.GraphError
		if err == nil || attempt > c.maxRetries || ctx.Err() != nil ||
			!errors.As(classify(err, "read", ""), &ge) || (ge.Kind != model.GraphThrottled && ge.Kind != model.GraphTransient) {
			return err
		}
		wait := ge.RetryAfter
		if wait == 0 {
			wait = backoff(attempt)
		}
		c.log.Debug("graph: still throttled after retries; waiting with the other requests", "path", pathOf(target), "after", wait)
		c.throttleGate.pauseFor(wait)
	}
}

func (c *Client) getJSONOnce(ctx context.Context, target string, headers map[string]string, buf *bytes.Buffer) error {
	u, err := url.Parse(target)
	if err != nil {
		return fmt.Errorf("graph url %q: %w", target, err)
	}
	ri := abstractions.NewRequestInformation()
	ri.Method = abstractions.GET
	ri.SetUri(*u)
	ri.Headers.TryAdd("Accept", "application/json")
	for k, v := range headers {
		ri.Headers.TryAdd(k, v)
	}
	buf.Reset()
	ri.AddRequestOptions([]abstractions.RequestOption{c.readBodyInto(buf)})
	if _, err := c.adapter.SendPrimitive(ctx, ri, "[]byte", errorMapping); err != nil {
		return err
	}
	if buf.Len() == 0 {
		return errors.New("graph returned an empty body")
	}
	return nil
}

// readBodyInto is a response handler that reads a successful response's body into buf. The
// adapter reads a body it handles itself with io.ReadAll, growing a new slice for every page:
// a quarter of all a 100,000-user sync allocated. Given a handler, the adapter leaves the
// response to it, failures too, so those become the errors the adapter would have made
// (failedResponse).
func (c *Client) readBodyInto(buf *bytes.Buffer) abstractions.RequestHandlerOption {
	opt := abstractions.NewRequestHandlerOption()
	opt.SetResponseHandler(func(response any, mappings abstractions.ErrorMappings) (any, error) {
		resp, ok := response.(*http.Response)
		if !ok || resp == nil {
			return nil, errors.New("graph: the adapter handed over no response")
		}
		defer func() { // what is left of an error's body, so the connection can be kept
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
			resp.Body.Close()
		}()
		if resp.StatusCode >= 400 {
			return nil, c.failedResponse(resp, mappings)
		}
		if resp.ContentLength > 0 {
			// ReadFrom wants MinRead bytes free before each read, the last (which finds the end) too.
			buf.Grow(int(min(resp.ContentLength, maxPresizedBody)) + bytes.MinRead)
		}
		_, err := buf.ReadFrom(resp.Body)
		return nil, err
	})
	return opt
}

// bodyBuffer is a buffer for a page's body, one given back to c.bodies if there is one.
func (c *Client) bodyBuffer() *bytes.Buffer {
	if b, ok := c.bodies.Get().(*bytes.Buffer); ok {
		return b
	}
	return new(bytes.Buffer)
}

// maxPresizedBody bounds how much a Content-Length may make readBodyInto reserve up front.
const maxPresizedBody = 64 << 20

// maxErrorBody is as much of an error's body as failedResponse reads: Graph's are a few
// hundred bytes.
const maxErrorBody = 1 << 20

// failedResponse is the error the SDK's adapter makes of a response with status 400 or more
// (NetHttpRequestAdapter.throwIfFailedResponse, which a response handler bypasses): Graph's
// OData error parsed from the body with the status and headers set, an ApiError when there is
// no body or it holds no error, the parser's error when it cannot be read. Two differences,
// both deliberate: an empty body without a Content-Length (chunked, or HTTP/2) is an ApiError
// with the status, where the adapter returns the parser's "content is empty" and loses the
// status (so a 503 so answered would not be retried); and a body is read up to maxErrorBody.
func (c *Client) failedResponse(resp *http.Response, mappings abstractions.ErrorMappings) error {
	headers := abstractions.NewResponseHeaders()
	for key, values := range resp.Header {
		for _, v := range values {
			headers.Add(key, v)
		}
	}
	status := strconv.Itoa(resp.StatusCode)
	apiError := func(why string) error {
		return &abstractions.ApiError{Message: "The server returned an unexpected status code " + why + ": " + status,
			ResponseStatusCode: resp.StatusCode, ResponseHeaders: headers}
	}
	ctor := mappings[status]
	if ctor == nil && resp.StatusCode < 500 {
		ctor = mappings["4XX"]
	}
	if ctor == nil && resp.StatusCode >= 500 && resp.StatusCode < 600 {
		ctor = mappings["5XX"]
	}
	if ctor == nil && resp.StatusCode < 600 {
		ctor = mappings["XXX"]
	}
	if ctor == nil {
		return apiError("and no error factory is registered for this code")
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	if err != nil {
		return err
	}
	contentType, _, _ := strings.Cut(resp.Header.Get("Content-Type"), ";")
	if len(body) == 0 || contentType == "" {
		return apiError("with no response body")
	}
	// The adapter was built without a factory of its own, so it parses with the default registry.
	root, err := absser.DefaultParseNodeFactoryInstance.GetRootParseNode(strings.ToLower(contentType), body)
	if err != nil {
		return err
	}
	value, err := root.GetObjectValue(ctor)
	if err != nil {
		if ae, ok := err.(abstractions.ApiErrorable); ok {
			ae.SetResponseHeaders(headers)
			ae.SetStatusCode(resp.StatusCode)
		}
		return err
	}
	if ae, ok := value.(abstractions.ApiErrorable); ok {
		ae.SetResponseHeaders(headers)
		ae.SetStatusCode(resp.StatusCode)
	}
	if err, ok := value.(error); ok {
		return err
	}
	return apiError("but the error could not be deserialized")
}

// collectionURL is base/path with the query options, encoded as Graph documents them ("$select"
// and the other system options keep their "$").
func (c *Client) collectionURL(path string, options ...[2]string) string {
	return c.baseURL + relativeURL(path, options...)
}

// relativeURL is path with the query options encoded as collectionURL encodes them; the requests
// of a $batch are relative to the version root.
func relativeURL(path string, options ...[2]string) string {
	var b strings.Builder
	b.WriteString(path)
	for i, o := range options {
		if i == 0 {
			b.WriteByte('?')
		} else {
			b.WriteByte('&')
		}
		b.WriteString(o[0])
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(o[1]))
	}
	return b.String()
}

func selectOption(fields []string) [2]string { return [2]string{"$select", strings.Join(fields, ",")} }
func topOption(n int32) [2]string            { return [2]string{"$top", strconv.Itoa(int(n))} }

// jsonPage is one page of a Graph collection.
type jsonPage[T any] struct {
	NextLink  string `json:"@odata.nextLink"`
	DeltaLink string `json:"@odata.deltaLink"`
	Value     []T    `json:"value"`
}

// pageOptions decode pages as leniently as encoding/json does where Graph could plausibly
// differ from strict JSON: a string with invalid UTF-8 or a lone surrogate escape (a .NET
// string may hold one, and a display name is whatever was typed) becomes U+FFFD instead of
// failing the whole sync, and of a member given twice the last wins. Member names match
// exactly, as Graph writes them.
var pageOptions = jsonv2.JoinOptions(jsontext.AllowInvalidUTF8(true), jsontext.AllowDuplicateNames(true))

// decodePage decodes a page of a collection (or any of Graph's hot answers) into v. It is the
// encoding/json/v2 implementation (go-json-experiment/json, which becomes the standard
// library's): twice as fast as encoding/json on a page of users (BenchmarkDecodeUsersPage).
func decodePage(body []byte, v any) error { return jsonv2.Unmarshal(body, v, pageOptions) }

// fetched is one decoded page, or the error that ended the listing.
type fetched[T any] struct {
	items     []T
	deltaLink string
	err       error
}

// eachPage reads the collection at first, page by page, decoding each into T, and calls fn with
// each page's items in order. Three stages overlap: the next page is asked for as soon as the
// current one's @odata.nextLink is known, which Graph writes before "value" (peekNextLink reads
// it from the first bytes, so the round trip does not wait for the whole page to be decoded);
// a second goroutine decodes the pages; fn handles them, so a caller that stores pages overlaps
// its writes with Graph's latency and the decoding. Where the link is not found before
// "value", the fetch waits for the page to be decoded. It returns the last page's
// @odata.deltaLink ("" for a collection that is not a delta round). fn's error stops the
// listing and is returned as it is.
func eachPage[T any](ctx context.Context, c *Client, first string, headers map[string]string, fn func([]T) error) (string, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type raw struct {
		body *bytes.Buffer // from c.bodies, given back once decoded
		path string
		err  error
		link chan<- string // if set, gets the page's nextLink once decoded
	}
	bodies := make(chan raw, 1)
	go func() {
		defer close(bodies)
		next := first
		for next != "" {
			rg := trace.StartRegion(ctx, "graph page")
			body := c.bodyBuffer()
			err := c.getJSONInto(ctx, next, headers, body)
			rg.End()
			r := raw{body: body, path: pathOf(next), err: err}
			link, known := "", false
			var wait chan string
			if err == nil {
				if link, known = peekNextLink(body.Bytes()); !known {
					wait = make(chan string, 1)
					r.link = wait
				}
			}
			select {
			case bodies <- r:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
			if !known {
				select {
				case link = <-wait:
				case <-ctx.Done():
					return
				}
			}
			next = link
		}
	}()
	pages := make(chan fetched[T], 1)
	go func() {
		defer close(pages)
		for r := range bodies {
			var p jsonPage[T]
			err := r.err
			if err == nil {
				rg := trace.StartRegion(ctx, "graph page decode")
				err = decodePage(r.body.Bytes(), &p)
				rg.End()
				c.bodies.Put(r.body) // decoding copied what it kept
				if err != nil {
					err = fmt.Errorf("decode %s: %w", r.path, err)
				}
			}
			if r.link != nil {
				r.link <- p.NextLink // "" after a decoding error: the fetcher stops
			}
			select {
			case pages <- fetched[T]{items: p.Value, deltaLink: p.DeltaLink, err: err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	var deltaLink string
	for p := range pages {
		if p.err != nil {
			return "", p.err
		}
		if err := fn(p.items); err != nil {
			return "", err
		}
		deltaLink = p.deltaLink
	}
	return deltaLink, ctx.Err()
}

// peekNextLink reads a page's @odata.nextLink from the members of its top-level object before
// "value" (where Graph writes it: "@odata.context", "@odata.nextLink", "value"). known is false
// when "value" (or the end, or anything unreadable) comes first: then only decoding the whole
// page tells. The members before "value" are short, so this reads a few hundred bytes.
func peekNextLink(body []byte) (link string, known bool) {
	d := json.NewDecoder(bytes.NewReader(body))
	if t, err := d.Token(); err != nil || t != json.Delim('{') {
		return "", false
	}
	for d.More() {
		t, err := d.Token()
		key, ok := t.(string)
		if err != nil || !ok || key == "value" {
			return "", false
		}
		if key == "@odata.nextLink" {
			var v string
			if err := d.Decode(&v); err != nil || v == "" {
				return "", false
			}
			return v, true
		}
		var skip json.RawMessage
		if err := d.Decode(&skip); err != nil {
			return "", false
		}
	}
	return "", false
}

// pathOf is target's path, for messages that must not carry skip tokens.
func pathOf(target string) string {
	if u, err := url.Parse(target); err == nil {
		return u.Path
	}
	return "a page"
}
