// Package graph is tenantdesk's Microsoft Graph client: the only package that imports
// msgraph-sdk-go, kiota and azidentity. It authenticates an app (client secret or certificate)
// in any national cloud or against the simulated tenant, and offers the few reads and writes the
// dashboard needs with domain types from internal/model in and out, and classified errors.
package graph

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	abstractions "github.com/microsoft/kiota-abstractions-go"
	absser "github.com/microsoft/kiota-abstractions-go/serialization"
	kiotaauth "github.com/microsoft/kiota-authentication-azure-go"
	khttp "github.com/microsoft/kiota-http-go"
	formser "github.com/microsoft/kiota-serialization-form-go"
	jsonser "github.com/microsoft/kiota-serialization-json-go"
	textser "github.com/microsoft/kiota-serialization-text-go"
	msgraphcore "github.com/microsoftgraph/msgraph-sdk-go-core"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"
)

// Config says which tenant, app and cloud to talk to.
type Config struct {
	Cloud               string // "global" (default), "usgov", "usgovdod", "china"
	TenantID            string
	ClientID            string
	ClientSecret        string
	CertificatePEM      []byte // PEM certificate + private key, alternative to ClientSecret
	CertificatePassword string
	// GraphURL overrides the cloud's Graph endpoint, e.g. https://127.0.0.1:8443/v1.0 (the
	// version path may be left out).
	GraphURL string
	// AuthorityURL overrides the cloud's Entra authority host, e.g. https://127.0.0.1:8443.
	AuthorityURL string
	CAFile       string // extra trusted root CA (PEM), e.g. the simulator's
	MaxRetries   int    // retries of throttled/failed requests; 0 means 3, at most 10
	Timeout      time.Duration
	Logger       *slog.Logger
}

const (
	defaultMaxRetries = 3
	maxMaxRetries     = 10
	defaultTimeout    = 100 * time.Second
)

// tenantRE accepts a tenant GUID or a domain name (contoso.onmicrosoft.com): the tenant becomes a
// path segment of the authority URL, so nothing else may pass.
var tenantRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$`)

// Validate reports the first configuration mistake in words an admin can act on.
func (c Config) Validate() error {
	if _, _, err := CloudEndpoints(c.Cloud); err != nil {
		return err
	}
	if strings.TrimSpace(c.TenantID) == "" {
		return errors.New("tenant id is required (the directory id of your Entra tenant, a GUID)")
	}
	if !tenantRE.MatchString(c.TenantID) {
		return fmt.Errorf("tenant id %q is not a GUID or domain name", c.TenantID)
	}
	if strings.TrimSpace(c.ClientID) == "" {
		return errors.New("client id is required (the application id of the app registration)")
	}
	if strings.ContainsAny(c.ClientID, " \t\r\n/?#&") {
		return fmt.Errorf("client id %q contains characters an application id cannot have", c.ClientID)
	}
	switch {
	case c.ClientSecret == "" && len(c.CertificatePEM) == 0:
		return errors.New("a client secret or a client certificate is required")
	case c.ClientSecret != "" && len(c.CertificatePEM) > 0:
		return errors.New("give either a client secret or a client certificate, not both")
	case c.CertificatePassword != "" && len(c.CertificatePEM) == 0:
		return errors.New("a certificate password was given without a certificate")
	}
	if c.GraphURL != "" {
		if _, err := normalizeGraphURL(c.GraphURL); err != nil {
			return err
		}
	}
	if c.AuthorityURL != "" {
		if _, err := normalizeAuthority(c.AuthorityURL); err != nil {
			return err
		}
	}
	if c.MaxRetries < 0 || c.MaxRetries > maxMaxRetries {
		return fmt.Errorf("max retries %d out of range 0..%d", c.MaxRetries, maxMaxRetries)
	}
	if c.Timeout < 0 {
		return fmt.Errorf("timeout %v is negative", c.Timeout)
	}
	return nil
}

// Stats counts HTTP traffic: Graph requests (every attempt, retries included) and the response
// bytes read, and the same for token requests separately.
type Stats struct {
	Requests      int64
	Bytes         int64
	TokenRequests int64
	TokenBytes    int64
}

// Client talks to Microsoft Graph as one app. It is safe for concurrent use.
type Client struct {
	adapter    *msgraphcore.GraphRequestAdapterBase
	cred       azcore.TokenCredential
	tenant     string // as configured: a GUID or a domain name
	scope      string
	baseURL    string
	maxRetries int
	pageSize   int32 // $top of collection reads; tests lower it to force paging
	log        *slog.Logger

	graphCount, tokenCount counter
	throttleGate           gate
	// bodies are the buffers pages are read into (getJSONInto), given back once decoded: a
	// sync reads hundreds of pages of up to a megabyte one after another.
	bodies sync.Pool
}

// errorMapping makes the SDK parse every 4xx/5xx body as Graph's OData error.
var errorMapping = abstractions.ErrorMappings{"XXX": odataerrors.CreateODataErrorFromDiscriminatorValue}

func init() {
	// What msgraph-sdk-go's root package registers; we import only subpackages to keep builds
	// fast, so we register the serializers and deserializers ourselves.
	abstractions.RegisterDefaultSerializer(func() absser.SerializationWriterFactory {
		return jsonser.NewJsonSerializationWriterFactory()
	})
	abstractions.RegisterDefaultSerializer(func() absser.SerializationWriterFactory {
		return textser.NewTextSerializationWriterFactory()
	})
	abstractions.RegisterDefaultSerializer(func() absser.SerializationWriterFactory {
		return formser.NewFormSerializationWriterFactory()
	})
	abstractions.RegisterDefaultDeserializer(func() absser.ParseNodeFactory { return jsonser.NewJsonParseNodeFactory() })
	abstractions.RegisterDefaultDeserializer(func() absser.ParseNodeFactory { return textser.NewTextParseNodeFactory() })
	abstractions.RegisterDefaultDeserializer(func() absser.ParseNodeFactory { return formser.NewFormParseNodeFactory() })
	// Without this, PageIterator reports page 2+ failures without Graph's code and message.
	_ = msgraphcore.RegisterError(msgraphcore.PageIteratorErrorRegistryKey, errorMapping)
}

// New builds a client. It does not call the network: the first request fetches the token.
func New(cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("graph config: %w", err)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	graphRoot, authority, _ := CloudEndpoints(cfg.Cloud)
	scope := graphRoot + "/.default"
	baseURL, _ := normalizeGraphURL(graphRoot)
	if cfg.GraphURL != "" {
		baseURL, _ = normalizeGraphURL(cfg.GraphURL)
	}
	customAuthority := cfg.AuthorityURL != ""
	if customAuthority {
		authority, _ = normalizeAuthority(cfg.AuthorityURL)
	}
	maxRetries := cfg.MaxRetries
	if maxRetries == 0 {
		maxRetries = defaultMaxRetries
	}
	timeout := cfg.Timeout
	if timeout == 0 {
		timeout = defaultTimeout
	}

	base, err := baseTransport(cfg.CAFile)
	if err != nil {
		return nil, err
	}
	c := &Client{tenant: cfg.TenantID, scope: scope, baseURL: baseURL, maxRetries: maxRetries, pageSize: maxPageSize, log: log}

	azOpts := azcore.ClientOptions{
		Cloud: cloud.Configuration{ActiveDirectoryAuthorityHost: authority + "/"},
		Transport: &http.Client{
			Transport: &countingTransport{next: base, c: &c.tokenCount},
			Timeout:   timeout,
		},
	}
	var cred azcore.TokenCredential
	if len(cfg.CertificatePEM) > 0 {
		var pw []byte
		if cfg.CertificatePassword != "" {
			pw = []byte(cfg.CertificatePassword)
		}
		certs, key, err := azidentity.ParseCertificates(cfg.CertificatePEM, pw)
		if err != nil {
			return nil, fmt.Errorf("graph config: client certificate: %w", err)
		}
		cred, err = azidentity.NewClientCertificateCredential(cfg.TenantID, cfg.ClientID, certs, key,
			&azidentity.ClientCertificateCredentialOptions{ClientOptions: azOpts, DisableInstanceDiscovery: customAuthority})
		if err != nil {
			return nil, fmt.Errorf("graph: certificate credential: %w", err)
		}
	} else {
		cred, err = azidentity.NewClientSecretCredential(cfg.TenantID, cfg.ClientID, cfg.ClientSecret,
			&azidentity.ClientSecretCredentialOptions{ClientOptions: azOpts, DisableInstanceDiscovery: customAuthority})
		if err != nil {
			return nil, fmt.Errorf("graph: secret credential: %w", err)
		}
	}
	c.cred = cred

	// The token goes only to hosts on this list; a custom Graph host must be on it or requests
	// leave without a bearer token.
	bu, _ := url.Parse(baseURL)
	gu, _ := url.Parse(graphRoot)
	hosts := []string{gu.Hostname()}
	if h := bu.Hostname(); h != gu.Hostname() {
		hosts = append(hosts, h)
	}
	auth, err := kiotaauth.NewAzureIdentityAuthenticationProviderWithScopesAndValidHosts(cred, []string{scope}, hosts)
	if err != nil {
		return nil, fmt.Errorf("graph: auth provider: %w", err)
	}

	httpClient := &http.Client{
		Transport: khttp.NewCustomTransportWithParentTransport(
			&retrySafeTransport{next: &countingTransport{next: base, c: &c.graphCount}, maxRetries: maxRetries, log: log},
			middlewares(maxRetries)...),
		// Graph answers redirects the SDK's redirect handler follows; net/http must not.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       timeout,
	}
	adapter, err := msgraphcore.NewGraphRequestAdapterBaseWithParseNodeFactoryAndSerializationWriterFactoryAndHttpClient(
		auth, msgraphcore.GraphClientOptions{GraphServiceLibraryVersion: "1.89.0"}, nil, nil, httpClient)
	if err != nil {
		return nil, fmt.Errorf("graph: request adapter: %w", err)
	}
	adapter.SetBaseUrl(baseURL)
	c.adapter = adapter
	log.Debug("graph client ready", "graph", baseURL, "authority", authority, "scope", scope)
	return c, nil
}

// middlewares is the SDK's default pipeline (telemetry, retry honouring Retry-After, redirect,
// compression, ...) with the retry handler set to our retry budget, in a fixed order. kiota
// builds the list from a map, so its order is random, and with the retry handler outside the
// compression handler a retried POST goes out uncompressed but labelled gzip (the compression
// handler sets the header on a shared map but the body on a copy of the request). Compression
// therefore goes first.
func middlewares(maxRetries int) []khttp.Middleware {
	opts := msgraphcore.GraphClientOptions{GraphServiceLibraryVersion: "1.89.0"}
	mws := msgraphcore.GetDefaultMiddlewaresWithOptions(&opts)
	for i, m := range mws {
		if _, ok := m.(*khttp.RetryHandler); ok {
			mws[i] = khttp.NewRetryHandlerWithOptions(khttp.RetryHandlerOptions{
				MaxRetries: maxRetries,
				// A nil ShouldRetry would panic inside kiota.
				ShouldRetry: func(time.Duration, int, *http.Request, *http.Response) bool { return true },
			})
		}
	}
	slices.SortStableFunc(mws, func(a, b khttp.Middleware) int { return middlewareRank(a) - middlewareRank(b) })
	return mws
}

func middlewareRank(m khttp.Middleware) int {
	switch m.(type) {
	case *msgraphcore.GraphTelemetryHandler, msgraphcore.GraphTelemetryHandler:
		return 0
	case *khttp.UrlReplaceHandler:
		return 1
	case *khttp.CompressionHandler:
		return 2
	case *khttp.RetryHandler:
		return 3
	case *khttp.RedirectHandler:
		return 4
	}
	return 5
}

// BaseURL is the Graph base URL requests go to, e.g. https://graph.microsoft.com/v1.0.
func (c *Client) BaseURL() string { return c.baseURL }

// Stats returns the traffic counted so far.
func (c *Client) Stats() Stats {
	return Stats{
		Requests:      c.graphCount.requests.Load(),
		Bytes:         c.graphCount.bytes.Load(),
		TokenRequests: c.tokenCount.requests.Load(),
		TokenBytes:    c.tokenCount.bytes.Load(),
	}
}

func baseTransport(caFile string) (*http.Transport, error) {
	t := http.DefaultTransport.(*http.Transport).Clone()
	if caFile == "" {
		return t, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("graph config: CA file: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("graph config: CA file %s holds no PEM certificate", caFile)
	}
	t.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return t, nil
}

type counter struct{ requests, bytes atomic.Int64 }

// countingTransport counts requests sent and response body bytes read.
type countingTransport struct {
	next http.RoundTripper
	c    *counter
}

func (t *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	t.c.requests.Add(1)
	res, err := t.next.RoundTrip(req)
	if res != nil && res.Body != nil {
		res.Body = &countingBody{ReadCloser: res.Body, n: &t.c.bytes}
	}
	return res, err
}

// Do lets countingTransport serve as azcore's policy.Transporter too.
func (t *countingTransport) Do(req *http.Request) (*http.Response, error) { return t.RoundTrip(req) }

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}

type retrySafeKey struct{}

// withRetrySafe marks a request as safe to repeat although its method is POST.
func withRetrySafe(ctx context.Context) context.Context {
	return context.WithValue(ctx, retrySafeKey{}, true)
}

// retrySafeTransport repeats idempotent requests that failed on the wire (dropped connection,
// reset) or got a 500/502, which kiota's retry handler leaves alone (it only retries
// 429/503/504 responses).
type retrySafeTransport struct {
	next       http.RoundTripper
	maxRetries int
	log        *slog.Logger
}

func (t *retrySafeTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	safe := req.Method == http.MethodGet || req.Method == http.MethodHead
	if v, _ := req.Context().Value(retrySafeKey{}).(bool); v {
		safe = true
	}
	if !safe {
		return t.next.RoundTrip(req)
	}
	var body []byte
	if req.Body != nil && req.Body != http.NoBody {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		body = b
	}
	for attempt := 0; ; attempt++ {
		r := req
		if body != nil {
			r = req.Clone(req.Context())
			r.Body = io.NopCloser(strings.NewReader(string(body)))
			r.ContentLength = int64(len(body))
		}
		res, err := t.next.RoundTrip(r)
		retry := err != nil || res.StatusCode == http.StatusInternalServerError || res.StatusCode == http.StatusBadGateway
		if !retry || attempt >= t.maxRetries || req.Context().Err() != nil {
			return res, err
		}
		if res != nil {
			io.Copy(io.Discard, io.LimitReader(res.Body, 1<<16))
			res.Body.Close()
		}
		wait := backoff(attempt) / 2
		t.log.Debug("graph: retrying after transient failure", "url", req.URL.Path, "attempt", attempt+1, "err", err)
		if err := sleep(req.Context(), wait); err != nil {
			return nil, err
		}
	}
}
