package graph

import (
	"fmt"
	"net/url"
	"strings"
)

// Cloud names accepted by Config.Cloud.
const (
	CloudGlobal   = "global"
	CloudUSGov    = "usgov"
	CloudUSGovDoD = "usgovdod"
	CloudChina    = "china"
)

type cloudEndpoints struct{ graph, authority string }

var clouds = map[string]cloudEndpoints{
	CloudGlobal:   {"https://graph.microsoft.com", "https://login.microsoftonline.com"},
	CloudUSGov:    {"https://graph.microsoft.us", "https://login.microsoftonline.us"},
	CloudUSGovDoD: {"https://dod-graph.microsoft.us", "https://login.microsoftonline.us"},
	CloudChina:    {"https://microsoftgraph.chinacloudapi.cn", "https://login.chinacloudapi.cn"},
}

// CloudEndpoints returns the Graph root (scheme and host, no version path) and the Entra
// authority host of a national cloud. "" means global.
func CloudEndpoints(name string) (graphURL, authority string, err error) {
	n := strings.ToLower(strings.TrimSpace(name))
	if n == "" {
		n = CloudGlobal
	}
	e, ok := clouds[n]
	if !ok {
		return "", "", fmt.Errorf("unknown cloud %q: use global, usgov, usgovdod or china", name)
	}
	return e.graph, e.authority, nil
}

// normalizeGraphURL turns a Graph URL given with or without its version path into the adapter's
// base URL: scheme://host[:port][/prefix]/v1.0 without a trailing slash.
func normalizeGraphURL(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return "", fmt.Errorf("graph URL %q: %w", raw, err)
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return "", fmt.Errorf("graph URL %q: scheme must be https", raw)
	}
	if u.Host == "" || u.Hostname() == "" {
		return "", fmt.Errorf("graph URL %q: no host", raw)
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		return "", fmt.Errorf("graph URL %q: plain http is allowed only for localhost", raw)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("graph URL %q: must not carry credentials, a query or a fragment", raw)
	}
	p := strings.TrimRight(u.Path, "/")
	last := p[strings.LastIndex(p, "/")+1:]
	if last != "v1.0" && last != "beta" {
		p += "/v1.0"
	}
	return u.Scheme + "://" + u.Host + p, nil
}

// normalizeAuthority checks an authority host URL: https (azidentity and MSAL refuse anything
// else), no path, since the tenant becomes the first path segment.
func normalizeAuthority(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return "", fmt.Errorf("authority URL %q: %w", raw, err)
	}
	if u.Scheme != "https" {
		return "", fmt.Errorf("authority URL %q: must be https (Entra ID libraries refuse anything else)", raw)
	}
	if u.Hostname() == "" {
		return "", fmt.Errorf("authority URL %q: no host", raw)
	}
	if strings.Trim(u.Path, "/") != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", fmt.Errorf("authority URL %q: give only scheme and host, e.g. https://login.microsoftonline.com", raw)
	}
	return "https://" + u.Host, nil
}

func isLoopback(host string) bool {
	switch strings.ToLower(host) {
	case "localhost", "127.0.0.1", "::1":
		return true
	}
	return false
}
