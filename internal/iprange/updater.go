package iprange

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/text"
)

// SourceStore is what iprange needs from the database (internal/store implements it).
type SourceStore interface {
	SaveIPSource(ctx context.Context, src model.IPSource) error
	IPSources(ctx context.Context) ([]model.IPSource, error)
	// IPSourcesStamp changes whenever a source is saved (see Service.ReloadIfChanged).
	IPSourcesStamp(ctx context.Context) (string, error)
	MarkIPSourceChecked(ctx context.Context, kind, instance string, at time.Time) error
	EnsureIPSetting(ctx context.Context, key, value string) (string, error)
}

// Default addresses of the live sources.
const (
	DefaultEndpointsBaseURL      = "https://endpoints.office.com"
	DefaultDownloadCenterBaseURL = "https://www.microsoft.com/en-us/download/details.aspx?id="
)

// clientRequestIDKey is the setting that keeps the ClientRequestId endpoints.office.com asks
// each client to generate once and send with every request.
const clientRequestIDKey = "m365_client_request_id"

// Updater downloads and imports sources into the store. The zero value of every field but Store
// has a usable default.
type Updater struct {
	HTTPClient            *http.Client // default: 2-minute timeout
	Store                 SourceStore
	Now                   func() time.Time
	Logger                *slog.Logger
	EndpointsBaseURL      string // default DefaultEndpointsBaseURL
	DownloadCenterBaseURL string // default DefaultDownloadCenterBaseURL; the page id is appended
}

// Outcome is what happened to one source in a refresh or import.
type Outcome string

// Outcomes of a refresh or import.
const (
	OutcomeUpdated   Outcome = "updated"   // new data stored
	OutcomeUnchanged Outcome = "unchanged" // the stored data is current
	OutcomeFailed    Outcome = "failed"    // nothing stored; the previous data (if any) is kept
)

// SourceResult is the outcome for one source (or, for imports, one file).
type SourceResult struct {
	Kind            Kind    `json:"kind,omitempty"`
	Instance        string  `json:"instance,omitempty"`
	File            string  `json:"file,omitempty"` // imports only
	Outcome         Outcome `json:"outcome"`
	Version         string  `json:"version,omitempty"`
	PreviousVersion string  `json:"previousVersion,omitempty"`
	URL             string  `json:"url,omitempty"`
	Err             error   `json:"-"`
	Error           string  `json:"error,omitempty"` // Err as text, for JSON
}

// Report lists the outcome of every source of a refresh or every file of an import.
type Report struct {
	Results []SourceResult `json:"results"`
}

// Changed reports whether any source was updated.
func (r Report) Changed() bool {
	for _, res := range r.Results {
		if res.Outcome == OutcomeUpdated {
			return true
		}
	}
	return false
}

func (r *Report) add(res SourceResult) {
	if res.Err != nil {
		res.Outcome = OutcomeFailed
		res.Error = res.Err.Error()
	}
	r.Results = append(r.Results, res)
}

// err joins the failures, each named by its source.
func (r Report) err() error {
	var errs []error
	for _, res := range r.Results {
		if res.Err != nil {
			name := res.File
			if name == "" {
				name = string(res.Kind) + " " + res.Instance
			}
			errs = append(errs, fmt.Errorf("%s: %w", name, res.Err))
		}
	}
	return errors.Join(errs...)
}

func (u *Updater) now() time.Time {
	if u.Now != nil {
		return u.Now()
	}
	return time.Now()
}

func (u *Updater) logger() *slog.Logger {
	if u.Logger != nil {
		return u.Logger
	}
	return slog.Default()
}

func (u *Updater) client() *http.Client {
	if u.HTTPClient != nil {
		return u.HTTPClient
	}
	return &http.Client{Timeout: 2 * time.Minute}
}

// Refresh checks every source and downloads those that changed: for each Microsoft 365 instance
// the /version document first and the endpoint sets only when the version differs from the
// stored one; for each Azure cloud the Download Center page, then the dated file it links to if
// that is a new file. Every download is parsed and validated completely before it replaces
// anything. The report has one result per source; the error joins the failures (nil if none).
func (u *Updater) Refresh(ctx context.Context) (Report, error) {
	var rep Report
	stored, err := u.storedByKey(ctx)
	if err != nil {
		return rep, fmt.Errorf("refresh ip ranges: %w", err)
	}
	clientID, err := u.Store.EnsureIPSetting(ctx, clientRequestIDKey, newGUID())
	if err != nil {
		return rep, fmt.Errorf("refresh ip ranges: %w", err)
	}
	for _, inst := range M365Instances {
		if ctx.Err() != nil {
			break
		}
		rep.add(u.refreshM365(ctx, inst, clientID, stored[sourceKey(KindM365, inst)]))
	}
	for _, c := range Clouds {
		if ctx.Err() != nil {
			break
		}
		rep.add(u.refreshServiceTags(ctx, c, stored[sourceKey(KindServiceTags, c.Name)]))
	}
	if err := ctx.Err(); err != nil {
		return rep, fmt.Errorf("refresh ip ranges: %w", err)
	}
	return rep, rep.err()
}

func sourceKey(k Kind, instance string) string { return string(k) + "/" + instance }

func (u *Updater) storedByKey(ctx context.Context) (map[string]*model.IPSource, error) {
	srcs, err := u.Store.IPSources(ctx)
	if err != nil {
		return nil, err
	}
	m := make(map[string]*model.IPSource, len(srcs))
	for i := range srcs {
		m[sourceKey(Kind(srcs[i].Kind), srcs[i].Instance)] = &srcs[i]
	}
	return m, nil
}

func (u *Updater) refreshM365(ctx context.Context, instance, clientID string, old *model.IPSource) SourceResult {
	res := SourceResult{Kind: KindM365, Instance: instance}
	if old != nil {
		res.PreviousVersion, res.Version = old.Version, old.Version
	}
	base := strings.TrimRight(u.EndpointsBaseURL, "/")
	if base == "" {
		base = DefaultEndpointsBaseURL
	}
	q := "?ClientRequestId=" + url.QueryEscape(clientID)
	body, err := u.get(ctx, base+"/version/"+url.PathEscape(instance)+q)
	if err != nil {
		res.Err = fmt.Errorf("version check: %w", err)
		return res
	}
	v, err := ParseM365Version(body)
	if err != nil {
		res.Err = fmt.Errorf("version check: %w", err)
		return res
	}
	if v.Instance != instance {
		res.Err = fmt.Errorf("version check: asked for %s, answer is for %s", instance, v.Instance)
		return res
	}
	if old != nil && old.Version == v.Latest {
		res.Outcome, res.URL = OutcomeUnchanged, old.URL
		res.Err = u.markChecked(ctx, KindM365, instance)
		return res
	}
	res.URL = base + "/endpoints/" + url.PathEscape(instance)
	body, err = u.get(ctx, res.URL+q)
	if err != nil {
		res.Err = err
		return res
	}
	sets, err := ParseEndpoints(body)
	if err != nil {
		res.Err = err
		return res
	}
	now := u.now()
	if err := u.Store.SaveIPSource(ctx, model.IPSource{Kind: string(KindM365), Instance: instance, Version: v.Latest,
		FetchedAt: now, CheckedAt: now, URL: res.URL, Raw: body}); err != nil {
		res.Err = err
		return res
	}
	u.logger().Info("ip ranges updated", "kind", KindM365, "instance", instance, "version", v.Latest,
		"previous", res.PreviousVersion, "sets", len(sets))
	res.Outcome, res.Version = OutcomeUpdated, v.Latest
	return res
}

func (u *Updater) refreshServiceTags(ctx context.Context, c Cloud, old *model.IPSource) SourceResult {
	res := SourceResult{Kind: KindServiceTags, Instance: c.Name}
	if old != nil {
		res.PreviousVersion, res.Version = old.Version, old.Version
	}
	base := u.DownloadCenterBaseURL
	if base == "" {
		base = DefaultDownloadCenterBaseURL
	}
	page := base + c.DownloadID
	html, err := u.get(ctx, page)
	if err != nil {
		res.Err = fmt.Errorf("download page: %w", err)
		return res
	}
	link, err := FindServiceTagsLink(html, page, c.Name)
	if err != nil {
		res.Err = fmt.Errorf("download page %s: %w", page, err)
		return res
	}
	res.URL = link
	// The file name carries its date, so the same link means the same file: skip the download.
	if old != nil && old.URL == link {
		res.Outcome = OutcomeUnchanged
		res.Err = u.markChecked(ctx, KindServiceTags, c.Name)
		return res
	}
	body, err := u.get(ctx, link)
	if err != nil {
		res.Err = err
		return res
	}
	st, err := ParseServiceTags(body)
	if err != nil {
		res.Err = err
		return res
	}
	if st.Cloud != c.Name {
		res.Err = fmt.Errorf("%w: %s holds the %q cloud, want %q", ErrInvalid, link, st.Cloud, c.Name)
		return res
	}
	now := u.now()
	src := model.IPSource{Kind: string(KindServiceTags), Instance: c.Name, Version: strconv.Itoa(st.ChangeNumber),
		FetchedAt: now, CheckedAt: now, URL: link, Raw: body}
	res.Outcome, res.Version = OutcomeUpdated, src.Version
	if old != nil && old.Version == src.Version {
		// A new file name with the same change number: same data. Keep it under the new link
		// (so the next refresh skips the download) but keep the original fetch time.
		src.FetchedAt = old.FetchedAt
		res.Outcome = OutcomeUnchanged
	}
	if err := u.Store.SaveIPSource(ctx, src); err != nil {
		res.Err = err
		return res
	}
	if res.Outcome == OutcomeUpdated {
		u.logger().Info("ip ranges updated", "kind", KindServiceTags, "instance", c.Name, "version", src.Version,
			"previous", res.PreviousVersion, "tags", len(st.Values))
	}
	return res
}

func (u *Updater) markChecked(ctx context.Context, k Kind, instance string) error {
	if err := u.Store.MarkIPSourceChecked(ctx, string(k), instance, u.now()); err != nil {
		return fmt.Errorf("record check: %w", err)
	}
	return nil
}

// get downloads url, refusing non-200 answers and bodies over MaxDocumentBytes. A connection
// cut short surfaces as a read error, so a partial body is never returned.
func (u *Updater) get(ctx context.Context, rawURL string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", redact(rawURL), err)
	}
	req.Header.Set("User-Agent", "tenantdesk (IP range lookup)")
	resp, err := u.client().Do(req)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", redact(rawURL), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
		return nil, fmt.Errorf("get %s: %s: %q", redact(rawURL), resp.Status, text.Clip(string(snippet), 80))
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxDocumentBytes+1))
	if err != nil {
		return nil, fmt.Errorf("get %s: reading body: %w", redact(rawURL), err)
	}
	if len(body) > MaxDocumentBytes {
		return nil, fmt.Errorf("get %s: answer is larger than %d bytes", redact(rawURL), MaxDocumentBytes)
	}
	return body, nil
}

// redact drops the query (the ClientRequestId) from URLs in errors and logs.
func redact(rawURL string) string {
	if i := strings.IndexByte(rawURL, '?'); i >= 0 && !strings.Contains(rawURL[:i], "details.aspx") {
		return rawURL[:i]
	}
	return rawURL
}

// serviceTagsLinkRE finds a dated service tags file name with the URL-ish text before it, in an
// href, a JSON "url" field or plain text.
var serviceTagsLinkRE = regexp.MustCompile(`[A-Za-z0-9:/._~%+\-]*ServiceTags_([A-Za-z]+)_(\d{8})\.json`)

// FindServiceTagsLink finds the newest ServiceTags_<cloud>_YYYYMMDD.json link in a Download
// Center page and returns it resolved against pageURL. Only http(s) links are accepted.
func FindServiceTagsLink(page []byte, pageURL, cloud string) (string, error) {
	if len(page) > MaxDocumentBytes {
		return "", fmt.Errorf("page is %d bytes, limit %d", len(page), MaxDocumentBytes)
	}
	base, err := url.Parse(pageURL)
	if err != nil {
		return "", fmt.Errorf("page URL: %w", err)
	}
	// The page embeds its download list as JSON in a script, where '/' may be escaped.
	text := bytes.ReplaceAll(page, []byte(`\/`), []byte(`/`))
	text = bytes.ReplaceAll(text, []byte(`\u002f`), []byte(`/`))
	text = bytes.ReplaceAll(text, []byte(`\u002F`), []byte(`/`))
	var best string
	var bestDate time.Time
	for _, m := range serviceTagsLinkRE.FindAllSubmatch(text, 1000) {
		if string(m[1]) != cloud {
			continue
		}
		date, err := time.Parse("20060102", string(m[2]))
		if err != nil {
			continue
		}
		link := string(m[0])
		// An absolute http(s) URL or a root-relative path; not a bare file name (the page
		// also lists the name alone) and not "//host" text cut out of something else.
		lower := strings.ToLower(link)
		if !strings.HasPrefix(lower, "https://") && !strings.HasPrefix(lower, "http://") &&
			!(strings.HasPrefix(link, "/") && !strings.HasPrefix(link, "//")) {
			continue
		}
		ref, err := url.Parse(link)
		if err != nil {
			continue
		}
		abs := base.ResolveReference(ref)
		if abs.Scheme != "https" && abs.Scheme != "http" || abs.Host == "" {
			continue
		}
		if best == "" || date.After(bestDate) {
			best, bestDate = abs.String(), date
		}
	}
	if best == "" {
		return "", fmt.Errorf("no ServiceTags_%s_YYYYMMDD.json link on the page", cloud)
	}
	return best, nil
}

// newGUID returns a random (version 4) GUID.
func newGUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// ImportFile is one file to import: an endpoints.office.com /endpoints response or a service
// tags file, told apart by content. The Microsoft 365 instance is guessed from the content
// unless Instance names it.
type ImportFile struct {
	Name     string // for messages only
	Data     []byte
	Instance string // optional, Microsoft 365 files only
}

// DetectKind tells an endpoint set list (a JSON array) from a service tags file (a JSON object),
// and refuses other documents with a message saying what they seem to be.
func DetectKind(data []byte) (Kind, error) {
	switch c := firstByte(trimBOM(data)); c {
	case '[':
		return KindM365, nil
	case '{':
		if len(data) < 4096 && bytes.Contains(data, []byte(`"latest"`)) {
			return "", fmt.Errorf("%w: this is a /version answer, not the endpoint sets (download /endpoints/{instance})", ErrInvalid)
		}
		return KindServiceTags, nil
	default:
		return "", fmt.Errorf("%w: not a JSON endpoint set list or service tags file (starts with %s)", ErrInvalid, describeByte(c))
	}
}

// Import stores files brought in by hand (air-gapped sites). Each file is validated completely
// before it replaces the stored source of its kind and instance; a bad file changes nothing.
// Imported endpoint sets have no /version number, so the next online refresh replaces them.
func (u *Updater) Import(ctx context.Context, files ...ImportFile) (Report, error) {
	var rep Report
	stored, err := u.storedByKey(ctx)
	if err != nil {
		return rep, fmt.Errorf("import ip ranges: %w", err)
	}
	for _, f := range files {
		res := u.importOne(ctx, f, stored)
		rep.add(res)
	}
	return rep, rep.err()
}

func (u *Updater) importOne(ctx context.Context, f ImportFile, stored map[string]*model.IPSource) SourceResult {
	res := SourceResult{File: f.Name}
	if len(f.Data) > MaxDocumentBytes {
		res.Err = fmt.Errorf("%w: file is %d bytes, limit %d", ErrInvalid, len(f.Data), MaxDocumentBytes)
		return res
	}
	kind, err := DetectKind(f.Data)
	if err != nil {
		res.Err = err
		return res
	}
	src := model.IPSource{Kind: string(kind), URL: "import:" + filepath.Base(f.Name), Raw: f.Data}
	switch kind {
	case KindM365:
		sets, err := ParseEndpoints(f.Data)
		if err != nil {
			res.Err = err
			return res
		}
		src.Instance = f.Instance
		if src.Instance == "" {
			src.Instance = GuessInstance(sets)
		} else if !isKnownInstance(src.Instance) {
			res.Err = fmt.Errorf("unknown Microsoft 365 instance %q (want one of %s)", text.Clip(f.Instance, 80), strings.Join(M365Instances, ", "))
			return res
		}
		sum := sha256.Sum256(f.Data)
		src.Version = "import-" + hex.EncodeToString(sum[:6])
	case KindServiceTags:
		st, err := ParseServiceTags(f.Data)
		if err != nil {
			res.Err = err
			return res
		}
		if !knownCloud(st.Cloud) {
			res.Err = fmt.Errorf("%w: unknown cloud %q", ErrInvalid, st.Cloud)
			return res
		}
		src.Instance, src.Version = st.Cloud, strconv.Itoa(st.ChangeNumber)
	}
	res.Kind, res.Instance, res.Version, res.URL = kind, src.Instance, src.Version, src.URL
	old := stored[sourceKey(kind, src.Instance)]
	if old != nil {
		res.PreviousVersion = old.Version
		if bytes.Equal(old.Raw, f.Data) {
			res.Outcome = OutcomeUnchanged
			res.Err = u.markChecked(ctx, kind, src.Instance)
			return res
		}
	}
	src.FetchedAt = u.now()
	if err := u.Store.SaveIPSource(ctx, src); err != nil {
		res.Err = err
		return res
	}
	stored[sourceKey(kind, src.Instance)] = &src
	u.logger().Info("ip ranges imported", "kind", kind, "instance", src.Instance, "version", src.Version, "file", f.Name)
	res.Outcome = OutcomeUpdated
	return res
}

func knownCloud(name string) bool {
	for _, c := range Clouds {
		if c.Name == name {
			return true
		}
	}
	return false
}

// ReadImportDir reads the *.json files of dir (not its subfolders) for Import.
func ReadImportDir(dir string) ([]ImportFile, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read import folder: %w", err)
	}
	var files []ImportFile
	for _, e := range entries {
		if !e.Type().IsRegular() || !strings.EqualFold(filepath.Ext(e.Name()), ".json") {
			continue
		}
		p := filepath.Join(dir, e.Name())
		data, err := readCapped(p)
		if err != nil {
			return nil, fmt.Errorf("read import folder: %w", err)
		}
		files = append(files, ImportFile{Name: e.Name(), Data: data})
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("read import folder: no .json files in %s", dir)
	}
	return files, nil
}

func readCapped(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxDocumentBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(data) > MaxDocumentBytes {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, MaxDocumentBytes)
	}
	return data, nil
}
