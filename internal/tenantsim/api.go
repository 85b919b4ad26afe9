package tenantsim

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/tenantdesk/tenantdesk/internal/tenantsim/odata"
)

// Caller is the verified client of a Graph request: the app a token was issued to and the
// application permissions (roles) it was granted.
type Caller struct {
	AppID   string
	AppName string
	Roles   []string
	// ServicePrincipalID is the app's service principal (the token's oid), for audit events.
	ServicePrincipalID string
}

// TokenVerifier checks a bearer token. The error text is what Graph puts in its 401 message.
type TokenVerifier interface {
	Verify(raw string) (Caller, error)
}

// TokenVerifierFunc adapts a function to TokenVerifier.
type TokenVerifierFunc func(raw string) (Caller, error)

// Verify implements TokenVerifier.
func (f TokenVerifierFunc) Verify(raw string) (Caller, error) { return f(raw) }

// API is the simulated Microsoft Graph v1.0 endpoint, to be mounted at /v1.0.
type API struct {
	t      *Tenant
	verify TokenVerifier
	faults *Faults // nil: no throttling of batch parts, no per-route stats of batch parts
	log    *slog.Logger
	now    func() time.Time
	delta  *deltaTracker
}

// APIOptions configures NewAPI.
type APIOptions struct {
	// Faults throttles and counts the parts of $batch requests (the outer request goes through
	// Faults.Middleware); nil disables both.
	Faults *Faults
	Logger *slog.Logger
	Now    func() time.Time
}

// NewAPI serves t as Graph v1.0; every request must carry a token that v accepts.
func NewAPI(t *Tenant, v TokenVerifier, o APIOptions) *API {
	a := &API{t: t, verify: v, faults: o.Faults, log: o.Logger, now: o.Now, delta: newDeltaTracker()}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if a.now == nil {
		a.now = time.Now
	}
	return a
}

// graphError is Graph's error body.
type graphError struct {
	Error graphErrorDetail `json:"error"`
}

type graphErrorDetail struct {
	Code       string     `json:"code"`
	Message    string     `json:"message"`
	InnerError innerError `json:"innerError"`
}

type innerError struct {
	// Code, Message and Status are set on throttling errors only, as Graph's throttling
	// guidance shows them: "429", "Please retry after", "429".
	Code            string `json:"code,omitempty"`
	Date            string `json:"date"`
	Message         string `json:"message,omitempty"`
	RequestID       string `json:"request-id"`
	Status          string `json:"status,omitempty"`
	ClientRequestID string `json:"client-request-id"`
}

// throttled is the inner error of a 429 with its ids and date.
func throttled(in innerError) innerError {
	in.Code, in.Message, in.Status = "429", "Please retry after", "429"
	return in
}

// apiError is an error response a handler returns.
type apiError struct {
	status  int
	code    string
	message string
	header  http.Header
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func errf(status int, code, format string, a ...any) *apiError {
	return &apiError{status: status, code: code, message: fmt.Sprintf(format, a...)}
}

func segmentNotFound(seg string) *apiError {
	return errf(400, "BadRequest", "Resource not found for the segment '%s'.", seg)
}

func resourceNotFound(id string) *apiError {
	return errf(404, "Request_ResourceNotFound",
		"Resource '%s' does not exist or one of its queried reference-property objects are not present.", id)
}

func methodNotAllowed() *apiError {
	return errf(405, "Request_BadRequest", "Specified HTTP method is not allowed for the request uri.")
}

var errInsufficient = errf(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")

// toAPIError maps engine and query errors to Graph's error shape.
func toAPIError(err error) *apiError {
	var ae *apiError
	var oe *odata.Error
	var te *Error
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.As(err, &oe):
		return &apiError{status: oe.Status, code: oe.Code, message: oe.Message}
	case errors.As(err, &te):
		st := te.Status
		if st == 0 {
			st = 400
		}
		return &apiError{status: st, code: te.Code, message: te.Message}
	}
	return errf(500, "generalException", "An internal server error occurred.")
}

// request is one Graph request in flight.
type request struct {
	w         http.ResponseWriter
	r         *http.Request
	caller    Caller
	query     url.Values
	base      string // https://host/v1.0
	path      string // the path below /v1.0, as requested
	eventual  bool   // ConsistencyLevel: eventual
	inBatch   bool
	params    []string // route parameters ({id})
	reqID     string
	clientReq string
	body      []byte
}

func newGUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// isGUID reports whether s is a GUID in its 8-4-4-4-12 form.
func isGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c|0x20 >= 'a' && c|0x20 <= 'f') {
				return false
			}
		}
	}
	return true
}

// maxBody bounds request bodies, compressed and decompressed (Graph's limit is 4 MB).
const maxBody = 4 << 20

// ServeHTTP serves one Graph request. The path must start with /v1.0. The answer is gzip
// compressed when the client accepts it, as Graph's are.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !AcceptsGzip(r.Header.Values("Accept-Encoding")) {
		a.serve(w, r, false)
		return
	}
	gw := &gzipResponse{ResponseWriter: w}
	defer gw.close()
	a.serve(gw, r, false)
}

// AcceptsGzip reports whether Accept-Encoding header values admit gzip: "gzip" or "*" with a
// q-value above 0 (RFC 9110 12.5.3); anything unreadable does not.
func AcceptsGzip(values []string) bool {
	ok := false
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			coding, params, _ := strings.Cut(part, ";")
			coding = strings.ToLower(strings.TrimSpace(coding))
			if coding != "gzip" && coding != "x-gzip" && coding != "*" {
				continue
			}
			q := 1.0
			for _, p := range strings.Split(params, ";") {
				k, val, found := strings.Cut(strings.TrimSpace(p), "=")
				if !found || !strings.EqualFold(strings.TrimSpace(k), "q") {
					continue
				}
				f, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
				if err != nil || f < 0 || f > 1 {
					f = 0
				}
				q = f
			}
			if coding != "*" && q == 0 {
				return false // gzip refused outright
			}
			ok = ok || q > 0
		}
	}
	return ok
}

// gzipResponse compresses what the handler writes, for answers with a body.
type gzipResponse struct {
	http.ResponseWriter
	zw          *gzip.Writer
	wroteHeader bool
}

func (g *gzipResponse) WriteHeader(status int) {
	if g.wroteHeader {
		return
	}
	g.wroteHeader = true
	h := g.Header()
	h.Add("Vary", "Accept-Encoding")
	if status != http.StatusNoContent && status != http.StatusNotModified && h.Get("Content-Encoding") == "" {
		h.Del("Content-Length")
		h.Set("Content-Encoding", "gzip")
		g.zw = gzipWriters.Get().(*gzip.Writer)
		g.zw.Reset(g.ResponseWriter)
	}
	g.ResponseWriter.WriteHeader(status)
}

func (g *gzipResponse) Write(b []byte) (int, error) {
	if !g.wroteHeader {
		g.WriteHeader(http.StatusOK)
	}
	if g.zw == nil {
		return g.ResponseWriter.Write(b)
	}
	return g.zw.Write(b)
}

func (g *gzipResponse) close() {
	if g.zw != nil {
		_ = g.zw.Close() // the client went away: nothing to do
		gzipWriters.Put(g.zw)
		g.zw = nil
	}
}

// gzipWriters are reused: a gzip.Writer costs hundreds of kilobytes to set up, more than most
// answers it compresses. They are klauspost/compress's (twice as fast as
// compress/gzip at the default level) at its fastest LZ level, BestSpeed: a page of 500 users with every property
// the sync reads is answered in 8.2 ms instead of 12.3 at the default level, for 16% more
// bytes (164 KB instead of 142; the page is 1 MB plain). Graph's servers compress on their own
// CPU, at a level Graph does not document; the simulator's runs on the cores the client being
// measured needs, so its cost is kept low.
var gzipWriters = sync.Pool{New: func() any {
	zw, _ := gzip.NewWriterLevel(io.Discard, gzip.BestSpeed) // fails only for a level out of range
	return zw
}}

func (a *API) serve(w http.ResponseWriter, r *http.Request, inBatch bool) {
	rq := &request{w: w, r: r, inBatch: inBatch, reqID: newGUID(), clientReq: r.Header.Get("client-request-id")}
	if rq.clientReq == "" {
		rq.clientReq = rq.reqID
	}
	h := w.Header()
	h.Set("request-id", rq.reqID)
	h.Set("client-request-id", rq.clientReq)
	h.Set("x-ms-ags-diagnostic", `{"ServerInfo":{"DataCenter":"Simulated","Slice":"E","Ring":"0","ScaleUnit":"000","RoleInstance":"TENANTSIM"}}`)
	if err := a.handle(rq); err != nil {
		a.writeError(rq, toAPIError(err))
	}
}

func (a *API) handle(rq *request) error {
	r := rq.r
	scheme := "https"
	if r.TLS == nil {
		scheme = "http"
	}
	rq.base = scheme + "://" + r.Host + "/v1.0"
	p := r.URL.Path
	if !strings.HasPrefix(p, "/v1.0") {
		return segmentNotFound(strings.Trim(p, "/"))
	}
	rq.path = strings.TrimPrefix(p, "/v1.0")
	var err error
	rq.query, err = url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return errf(400, "BadRequest", "The query string is not valid: %s.", err)
	}
	rq.eventual = strings.EqualFold(strings.TrimSpace(r.Header.Get("ConsistencyLevel")), "eventual")

	rt, params, err := matchRoute(r.Method, rq.path)
	if err != nil {
		return err
	}
	rq.params = params

	auth := r.Header.Get("Authorization")
	raw, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok {
		raw, ok = strings.CutPrefix(auth, "bearer ")
	}
	if !ok || strings.TrimSpace(raw) == "" {
		return unauthorized("Access token is empty.")
	}
	rq.caller, err = a.verify.Verify(strings.TrimSpace(raw))
	if err != nil {
		msg := err.Error()
		if !strings.HasSuffix(msg, ".") {
			msg = "Access token validation failure."
		}
		return unauthorized(msg)
	}
	if rt.perms != nil && !hasAnyRole(rq.caller.Roles, rt.perms) {
		return errInsufficient
	}

	if r.Body != nil && r.Method != http.MethodGet {
		if a.faults != nil && !rq.inBatch && isGzip(r) && a.faults.rejectsCompressed(rt.Key()) {
			return errf(415, "BadRequest", "Content-Encoding 'gzip' is not supported for this request; send the body uncompressed.")
		}
		rq.body, err = readBody(r)
		if err != nil {
			return err
		}
	}
	return rt.handler(a, rq)
}

// unauthorized is Graph's 401: InvalidAuthenticationToken, with the WWW-Authenticate challenge
// that names the authority, on every 401.
func unauthorized(msg string) *apiError {
	return &apiError{status: 401, code: "InvalidAuthenticationToken", message: msg,
		header: http.Header{"Www-Authenticate": {`Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"`}}}
}

func hasAnyRole(have, want []string) bool {
	for _, w := range want {
		for _, h := range have {
			if strings.EqualFold(h, w) {
				return true
			}
		}
	}
	return false
}

func isGzip(r *http.Request) bool {
	return strings.EqualFold(strings.TrimSpace(r.Header.Get("Content-Encoding")), "gzip")
}

// readBody reads a request body, gunzipping it when the client says so (the Graph SDK
// compresses request bodies).
func readBody(r *http.Request) ([]byte, error) {
	var rd io.Reader = io.LimitReader(r.Body, maxBody+1)
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
	case "gzip":
		zr, err := gzip.NewReader(rd)
		if err != nil {
			return nil, errf(400, "BadRequest", "The request body is not valid gzip: %s.", err)
		}
		defer zr.Close()
		rd = io.LimitReader(zr, maxBody+1)
	default:
		return nil, errf(415, "BadRequest", "Content-Encoding '%s' is not supported.", enc)
	}
	b, err := io.ReadAll(rd)
	if err != nil {
		return nil, errf(400, "BadRequest", "The request body could not be read: %s.", err)
	}
	if len(b) > maxBody {
		return nil, errf(413, "BadRequest", "The request body exceeds %d bytes.", maxBody)
	}
	return b, nil
}

// errBadJSON is Graph's answer to a body that is not the JSON it wants.
func errBadJSON() *apiError {
	return errf(400, "BadRequest", "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.")
}

func (a *API) writeError(rq *request, e *apiError) {
	if e.status >= 500 {
		a.log.Error("tenantsim: graph request failed", "method", rq.r.Method, "path", rq.r.URL.Path, "code", e.code, "message", e.message)
	}
	// The SDK's ODataError.Error() dereferences message and panics without it, so no error
	// leaves without a code and a message, whatever a handler returned.
	code, msg := e.code, e.message
	if code == "" {
		code = "UnknownError"
	}
	if msg == "" {
		msg = http.StatusText(e.status)
		if msg == "" {
			msg = "The request failed"
		}
		msg += "."
	}
	body := graphError{Error: graphErrorDetail{Code: code, Message: msg, InnerError: innerError{
		// Graph writes this date without a zone; the SDK reads it as such.
		Date:            a.now().UTC().Format("2006-01-02T15:04:05"),
		RequestID:       rq.reqID,
		ClientRequestID: rq.clientReq,
	}}}
	for k, v := range e.header {
		rq.w.Header()[k] = v
	}
	b, _ := json.Marshal(body)
	writeRaw(rq.w, e.status, "application/json", b)
}

func writeRaw(w http.ResponseWriter, status int, contentType string, b []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(b)))
	h.Set("Cache-Control", "no-cache")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func writeJSON(w http.ResponseWriter, status int, b []byte) {
	writeRaw(w, status, "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8", b)
}

// decodeJSON decodes a request body strictly enough to catch garbage, leniently about
// properties it does not know (as Graph ignores unknown annotations).
func decodeJSON(b []byte, v any) error {
	if len(bytes.TrimSpace(b)) == 0 {
		return errBadJSON()
	}
	if err := json.Unmarshal(b, v); err != nil {
		return errBadJSON()
	}
	return nil
}
