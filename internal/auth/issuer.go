package auth

import (
	"fmt"
	"net/url"
	"strings"
)

// Issuer is the Entra ID v2.0 issuer of tenant in cloud (config.Cloud* names), used when no
// issuer is configured.
func Issuer(cloud, tenant string) (string, error) {
	tenant = strings.TrimSpace(tenant)
	if tenant == "" || strings.ContainsAny(tenant, "/?#% ") {
		return "", fmt.Errorf("issuer: tenant %q is not a tenant id or domain", tenant)
	}
	var host string
	switch cloud {
	case "", "global":
		host = "login.microsoftonline.com"
	case "usgov", "usgovdod":
		host = "login.microsoftonline.us"
	case "china":
		host = "login.chinacloudapi.cn"
	default:
		return "", fmt.Errorf("issuer: unknown cloud %q", cloud)
	}
	return "https://" + host + "/" + url.PathEscape(tenant) + "/v2.0", nil
}
