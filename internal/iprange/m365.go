package iprange

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/tenantdesk/tenantdesk/internal/text"
)

// EndpointSet is one Microsoft 365 endpoint set as published by endpoints.office.com.
type EndpointSet struct {
	ID                     int
	ServiceArea            string // Exchange, SharePoint, Skype, Common, ...
	ServiceAreaDisplayName string // "Microsoft Teams", ...
	URLs                   []string
	IPs                    []netip.Prefix
	TCPPorts               string // normalised "80, 443"; empty when none
	UDPPorts               string
	ExpressRoute           bool
	Category               string // Optimize, Allow or Default
	Required               bool
	Notes                  string
}

// wireEndpointSet mirrors the JSON; pointers tell a missing field from a zero one, because the
// always-present fields must be there.
type wireEndpointSet struct {
	ID                     *int     `json:"id"`
	ServiceArea            *string  `json:"serviceArea"`
	ServiceAreaDisplayName *string  `json:"serviceAreaDisplayName"`
	URLs                   []string `json:"urls"`
	IPs                    []string `json:"ips"`
	TCPPorts               *string  `json:"tcpPorts"`
	UDPPorts               *string  `json:"udpPorts"`
	ExpressRoute           *bool    `json:"expressRoute"`
	Category               *string  `json:"category"`
	Required               *bool    `json:"required"`
	Notes                  *string  `json:"notes"`
}

// ParseEndpoints parses an endpoints.office.com /endpoints response. It is strict about the
// fields Microsoft always sends and about every value's form, and tolerant of fields it does not
// know (the service adds some from time to time). Any fault fails the whole document, so a
// partial list never replaces a good one.
func ParseEndpoints(data []byte) ([]EndpointSet, error) {
	data = trimBOM(data)
	if len(data) > MaxDocumentBytes {
		return nil, fmt.Errorf("%w: endpoint sets: document is %d bytes, limit %d", ErrInvalid, len(data), MaxDocumentBytes)
	}
	if first := firstByte(data); first != '[' {
		return nil, fmt.Errorf("%w: endpoint sets: want a JSON array, document starts with %s", ErrInvalid, describeByte(first))
	}
	var wire []wireEndpointSet
	if err := json.Unmarshal(data, &wire); err != nil {
		return nil, fmt.Errorf("%w: endpoint sets: %v", ErrInvalid, err)
	}
	if len(wire) == 0 {
		return nil, fmt.Errorf("%w: endpoint sets: the list is empty", ErrInvalid)
	}
	if len(wire) > maxEndpointSets {
		return nil, fmt.Errorf("%w: endpoint sets: %d sets, limit %d", ErrInvalid, len(wire), maxEndpointSets)
	}
	sets := make([]EndpointSet, 0, len(wire))
	seen := make(map[int]bool, len(wire))
	total := 0
	for i, w := range wire {
		set, err := w.validate()
		if err != nil {
			return nil, fmt.Errorf("%w: endpoint set #%d%s: %v", ErrInvalid, i+1, idSuffix(w.ID), err)
		}
		if seen[set.ID] {
			return nil, fmt.Errorf("%w: endpoint set #%d: id %d appears twice", ErrInvalid, i+1, set.ID)
		}
		seen[set.ID] = true
		total += len(set.IPs) + len(set.URLs)
		if total > maxTotalItems {
			return nil, fmt.Errorf("%w: endpoint sets: more than %d addresses and URLs", ErrInvalid, maxTotalItems)
		}
		sets = append(sets, set)
	}
	return sets, nil
}

func idSuffix(id *int) string {
	if id == nil {
		return ""
	}
	return fmt.Sprintf(" (id %d)", *id)
}

func (w wireEndpointSet) validate() (EndpointSet, error) {
	var s EndpointSet
	switch {
	case w.ID == nil:
		return s, fmt.Errorf(`"id" is missing`)
	case w.ServiceArea == nil:
		return s, fmt.Errorf(`"serviceArea" is missing`)
	case w.ServiceAreaDisplayName == nil:
		return s, fmt.Errorf(`"serviceAreaDisplayName" is missing`)
	case w.ExpressRoute == nil:
		return s, fmt.Errorf(`"expressRoute" is missing`)
	case w.Category == nil:
		return s, fmt.Errorf(`"category" is missing`)
	case w.Required == nil:
		return s, fmt.Errorf(`"required" is missing`)
	}
	if *w.ID <= 0 {
		return s, fmt.Errorf(`"id" %d is not a positive number`, *w.ID)
	}
	s.ID, s.ExpressRoute, s.Required = *w.ID, *w.ExpressRoute, *w.Required
	var err error
	if s.ServiceArea, err = checkName("serviceArea", *w.ServiceArea, false); err != nil {
		return s, err
	}
	if s.ServiceAreaDisplayName, err = checkText("serviceAreaDisplayName", *w.ServiceAreaDisplayName); err != nil {
		return s, err
	}
	switch *w.Category {
	case "Optimize", "Allow", "Default":
		s.Category = *w.Category
	default:
		return s, fmt.Errorf(`"category" %q is not Optimize, Allow or Default`, text.Clip(*w.Category, 80))
	}
	if w.Notes != nil {
		if s.Notes, err = checkText("notes", *w.Notes); err != nil {
			return s, err
		}
	}
	if w.TCPPorts != nil {
		if s.TCPPorts, err = normalizePorts(*w.TCPPorts); err != nil {
			return s, fmt.Errorf(`"tcpPorts": %v`, err)
		}
	}
	if w.UDPPorts != nil {
		if s.UDPPorts, err = normalizePorts(*w.UDPPorts); err != nil {
			return s, fmt.Errorf(`"udpPorts": %v`, err)
		}
	}
	if len(w.IPs) > maxListItems || len(w.URLs) > maxListItems {
		return s, fmt.Errorf("more than %d addresses or URLs", maxListItems)
	}
	if s.IPs, err = parsePrefixes(w.IPs, "ips"); err != nil {
		return s, err
	}
	for j, u := range w.URLs {
		p, err := normalizePattern(u)
		if err != nil {
			return s, fmt.Errorf(`"urls"[%d]: %v`, j, err)
		}
		s.URLs = append(s.URLs, p)
	}
	return s, nil
}

// parsePrefixes parses CIDR prefixes as published. Host bits are masked off rather than refused:
// the range meant is clear, and one sloppy entry must not cost a whole refresh.
func parsePrefixes(in []string, field string) ([]netip.Prefix, error) {
	if len(in) == 0 {
		return nil, nil
	}
	out := make([]netip.Prefix, 0, len(in))
	for j, s := range in {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("%q[%d] %q is not a CIDR prefix", field, j, text.Clip(s, 80))
		}
		if p.Addr().Is4In6() {
			// Lookups unmap IPv4-mapped addresses, so such a prefix could never match.
			return nil, fmt.Errorf("%q[%d] %q is an IPv4-mapped IPv6 prefix", field, j, text.Clip(s, 80))
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// normalizePorts checks a port list such as "143, 587, 993, 995" (ranges "50000-50059" allowed)
// and returns it as "143, 587, 993, 995". The empty string (China's "udpPorts": "") means none.
func normalizePorts(s string) (string, error) {
	if strings.TrimSpace(s) == "" {
		return "", nil
	}
	if len(s) > maxTextLen {
		return "", fmt.Errorf("port list is %d bytes long", len(s))
	}
	parts := strings.Split(s, ",")
	out := make([]string, 0, len(parts))
	for _, p := range parts {
		p = strings.TrimSpace(p)
		lo, hi, isRange := strings.Cut(p, "-")
		a, err := parsePort(lo)
		if err != nil {
			return "", fmt.Errorf("%q: %v", text.Clip(p, 80), err)
		}
		if isRange {
			b, err := parsePort(hi)
			if err != nil {
				return "", fmt.Errorf("%q: %v", text.Clip(p, 80), err)
			}
			if b < a {
				return "", fmt.Errorf("%q: range runs backwards", text.Clip(p, 80))
			}
			out = append(out, strconv.Itoa(a)+"-"+strconv.Itoa(b))
			continue
		}
		out = append(out, strconv.Itoa(a))
	}
	return strings.Join(out, ", "), nil
}

func parsePort(s string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 5 || strings.Trim(s, "0123456789") != "" {
		return 0, fmt.Errorf("not a port number")
	}
	n, _ := strconv.Atoi(s)
	if n < 1 || n > 65535 {
		return 0, fmt.Errorf("port %d is out of range", n)
	}
	return n, nil
}

// normalizePattern checks an endpoint set URL, which is a host name or a host pattern with '*'
// wildcards ("*.teams.microsoft.com", "autodiscover.*.onmicrosoft.com", "*cdn.onenote.net"),
// and returns it lower-cased.
func normalizePattern(s string) (string, error) {
	p := strings.ToLower(strings.TrimSuffix(s, "."))
	if p == "" || len(p) > maxHostLen {
		return "", fmt.Errorf("%q is not a host name pattern (length)", text.Clip(s, 80))
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_' || c == '*') {
			return "", fmt.Errorf("%q is not a host name pattern (character %q)", text.Clip(s, 80), c)
		}
	}
	if strings.Contains(p, "..") || p[0] == '.' || strings.Trim(p, "*.") == "" {
		return "", fmt.Errorf("%q is not a host name pattern", text.Clip(s, 80))
	}
	return p, nil
}

// checkName checks an identifier-like field (service area, tag name, cloud).
func checkName(field, s string, allowEmpty bool) (string, error) {
	if s == "" {
		if allowEmpty {
			return "", nil
		}
		return "", fmt.Errorf("%q is empty", field)
	}
	if len(s) > 256 {
		return "", fmt.Errorf("%q is %d bytes long", field, len(s))
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._-/ ", r)) {
			return "", fmt.Errorf("%q %q has the character %q", field, text.Clip(s, 80), r)
		}
	}
	return s, nil
}

// checkText checks free text (display names, notes): bounded, valid UTF-8 (encoding/json has
// already replaced invalid bytes) and without control characters that would garble a page.
func checkText(field, s string) (string, error) {
	if len(s) > maxTextLen {
		return "", fmt.Errorf("%q is %d bytes long, limit %d", field, len(s), maxTextLen)
	}
	for _, r := range s {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0x7f {
			return "", fmt.Errorf("%q contains the control character %U", field, r)
		}
	}
	return s, nil
}

func trimBOM(b []byte) []byte { return bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")) }

// firstByte returns the first non-space byte of b, or 0.
func firstByte(b []byte) byte {
	b = bytes.TrimLeft(b, " \t\r\n")
	if len(b) == 0 {
		return 0
	}
	return b[0]
}

func describeByte(c byte) string {
	if c == 0 {
		return "nothing (empty document)"
	}
	if c >= 0x20 && c < 0x7f {
		return fmt.Sprintf("%q", c)
	}
	return fmt.Sprintf("byte 0x%02x", c)
}

// M365Version is an endpoints.office.com /version/{instance} response.
type M365Version struct {
	Instance string
	Latest   string // yyyymmddnn
}

// ParseM365Version parses a /version/{instance} response such as
// {"instance":"Worldwide","latest":"2025120100"}.
func ParseM365Version(data []byte) (M365Version, error) {
	var w struct {
		Instance *string `json:"instance"`
		Latest   *string `json:"latest"`
	}
	if len(data) > 64<<10 {
		return M365Version{}, fmt.Errorf("%w: version: document is %d bytes", ErrInvalid, len(data))
	}
	if err := json.Unmarshal(trimBOM(data), &w); err != nil {
		return M365Version{}, fmt.Errorf("%w: version: %v", ErrInvalid, err)
	}
	if w.Instance == nil || w.Latest == nil {
		return M365Version{}, fmt.Errorf(`%w: version: "instance" or "latest" is missing`, ErrInvalid)
	}
	l := *w.Latest
	if len(l) < 6 || len(l) > 20 || strings.Trim(l, "0123456789") != "" {
		return M365Version{}, fmt.Errorf(`%w: version: "latest" %q is not a version number`, ErrInvalid, text.Clip(l, 80))
	}
	if !isKnownInstance(*w.Instance) {
		return M365Version{}, fmt.Errorf(`%w: version: unknown instance %q`, ErrInvalid, text.Clip(*w.Instance, 80))
	}
	return M365Version{Instance: *w.Instance, Latest: l}, nil
}

// GuessInstance tells which Microsoft 365 instance an endpoint set list belongs to, from the
// host names only that instance uses; the /endpoints response does not name its instance and
// imported files may be named anything.
func GuessInstance(sets []EndpointSet) string {
	var dod, gcch, china bool
	for _, s := range sets {
		for _, u := range s.URLs {
			switch {
			case strings.HasSuffix(u, ".mil") || strings.Contains(u, ".dod.online.office365.us") || strings.HasSuffix(u, "dod.office365.us"):
				dod = true
			case strings.HasSuffix(u, ".cn"):
				china = true
			case u == "office365.us" || strings.HasSuffix(u, ".office365.us"):
				gcch = true
			}
		}
	}
	switch {
	case dod:
		return InstanceUSGovDoD
	case china:
		return InstanceChina
	case gcch:
		return InstanceUSGovGCCHigh
	}
	return InstanceWorldwide
}
