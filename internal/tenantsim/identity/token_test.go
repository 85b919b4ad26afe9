package identity

import (
	"crypto/rsa"
	"encoding/base64"
	"math/big"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestDiscoveryDocument(t *testing.T) {
	e := newEnv(t)
	for _, seg := range []string{testTenant, strings.ToUpper(testTenant), "organizations", "common"} {
		t.Run(seg, func(t *testing.T) {
			resp := e.get(t, e.p.base+"/"+seg+"/v2.0/.well-known/openid-configuration")
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d", resp.StatusCode)
			}
			doc := decodeJSON(t, resp.Body)
			if doc["issuer"] != e.p.IssuerURL() {
				t.Errorf("issuer %v, want %s", doc["issuer"], e.p.IssuerURL())
			}
			// MSAL compares scheme and host:port of issuer and authority.
			iss, err := url.Parse(doc["issuer"].(string))
			if err != nil || iss.Scheme != "https" || iss.Host != e.srv.Listener.Addr().String() {
				t.Errorf("issuer %v does not sit on the authority host %s", doc["issuer"], e.srv.Listener.Addr())
			}
			for _, k := range []string{"authorization_endpoint", "token_endpoint", "jwks_uri", "end_session_endpoint"} {
				s, _ := doc[k].(string)
				if !strings.HasPrefix(s, e.p.base+"/"+seg+"/") {
					t.Errorf("%s = %q, want under %s/%s/", k, s, e.p.base, seg)
				}
			}
			if doc["token_endpoint"] != e.p.base+"/"+seg+"/oauth2/v2.0/token" {
				t.Errorf("token_endpoint %v", doc["token_endpoint"])
			}
			for k, want := range map[string]string{
				"response_types_supported":              "code",
				"subject_types_supported":               "pairwise",
				"id_token_signing_alg_values_supported": "RS256",
				"scopes_supported":                      "openid",
				"claims_supported":                      "preferred_username",
				"code_challenge_methods_supported":      "S256",
			} {
				list, _ := doc[k].([]any)
				if !slices.Contains(list, any(want)) {
					t.Errorf("%s = %v, want it to contain %q", k, doc[k], want)
				}
			}
		})
	}
	t.Run("unknown tenant", func(t *testing.T) {
		resp := e.get(t, e.p.base+"/00000000-0000-0000-0000-000000000000/v2.0/.well-known/openid-configuration")
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("status %d", resp.StatusCode)
		}
		body := decodeJSON(t, resp.Body)
		if codes, _ := body["error_codes"].([]any); len(codes) != 1 || codes[0] != float64(90002) {
			t.Errorf("error_codes %v", body["error_codes"])
		}
	})
}

func TestJWKS(t *testing.T) {
	e := newEnv(t)
	resp := e.get(t, e.url("/discovery/v2.0/keys"))
	body := decodeJSON(t, resp.Body)
	keys, _ := body["keys"].([]any)
	if len(keys) != 1 {
		t.Fatalf("keys %v", body)
	}
	k := keys[0].(map[string]any)
	n, _ := base64.RawURLEncoding.DecodeString(k["n"].(string))
	ex, _ := base64.RawURLEncoding.DecodeString(k["e"].(string))
	pub := rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(ex).Int64())}
	if !pub.Equal(&e.p.key.PublicKey) || k["kid"] != e.p.kid || k["kty"] != "RSA" || k["use"] != "sig" {
		t.Errorf("JWKS key does not describe the signing key: %v", k)
	}
}

func TestClientSecret(t *testing.T) {
	e := newEnv(t)
	base := url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {fullAppID},
		"client_secret": {fullAppSecret},
		"scope":         {"https://graph.microsoft.com/.default openid offline_access profile"},
		"claims":        {`{"access_token":{"xms_cc":{"values":["CP1"]}}}`},
	}
	with := func(k, v string) url.Values {
		f := url.Values{}
		for kk, vv := range base {
			f[kk] = slices.Clone(vv)
		}
		if v == "" {
			f.Del(k)
		} else {
			f.Set(k, v)
		}
		return f
	}

	t.Run("good secret", func(t *testing.T) {
		status, body := e.postToken(t, base, nil)
		if status != http.StatusOK {
			t.Fatalf("status %d: %v", status, body)
		}
		var keys []string
		for k := range body {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if want := []string{"access_token", "expires_in", "ext_expires_in", "token_type"}; !slices.Equal(keys, want) {
			t.Errorf("reply keys %v, want exactly %v", keys, want)
		}
		if body["token_type"] != "Bearer" || body["expires_in"] != float64(3599) || body["ext_expires_in"] != float64(3599) {
			t.Errorf("reply %v", body)
		}
		at := body["access_token"].(string)
		c, err := e.p.VerifyAccessToken(at)
		if err != nil {
			t.Fatal(err)
		}
		if c.AppID != fullAppID || c.AppName != "tenantdesk (full)" || c.TenantID != testTenant ||
			c.Audience != "https://graph.microsoft.com" || c.IDType != "app" ||
			!slices.Equal(c.Roles, []string{"User.ReadWrite.All", "Group.ReadWrite.All", "AuditLog.Read.All"}) {
			t.Errorf("claims %+v", c)
		}
		if d := c.ExpiresAt.Sub(e.clock.Now()); d < 59*time.Minute || d > time.Hour {
			t.Errorf("token lives %v", d)
		}
		payload := jwtPart(t, at, 1)
		if payload["iss"] != "https://sts.windows.net/"+testTenant+"/" || payload["appidacr"] != "1" ||
			payload["idtyp"] != "app" || payload["oid"] == "" || payload["uti"] == "" {
			t.Errorf("payload %v", payload)
		}
		if h := jwtPart(t, at, 0); h["alg"] != "RS256" || h["kid"] != e.p.kid {
			t.Errorf("header %v", h)
		}
	})

	t.Run("basic auth", func(t *testing.T) {
		f := with("client_secret", "")
		f.Del("client_id")
		status, body := e.postToken(t, f, func(r *http.Request) {
			r.SetBasicAuth(url.QueryEscape(readAppID), url.QueryEscape(readAppSecret))
		})
		if status != http.StatusOK {
			t.Fatalf("status %d: %v", status, body)
		}
		c, err := e.p.VerifyAccessToken(body["access_token"].(string))
		if err != nil || c.AppID != readAppID || !slices.Equal(c.Roles, []string{"User.Read.All", "Group.Read.All"}) {
			t.Errorf("claims %+v, %v", c, err)
		}
	})

	t.Run("unknown resource named in Entra's words", func(t *testing.T) {
		status, body := e.postToken(t, with("scope", "https://management.azure.com/.default"), nil)
		desc, _ := body["error_description"].(string)
		if status != http.StatusBadRequest || !strings.HasPrefix(desc, "AADSTS500011: The resource principal named https://management.azure.com was not found in the tenant named ") {
			t.Fatalf("status %d: %v", status, body)
		}
	})

	t.Run("the simulator's own URL as the Graph resource", func(t *testing.T) {
		base := strings.TrimSuffix(e.p.AuthorityURL(), "/")
		status, body := e.postToken(t, with("scope", base+"/.default"), nil)
		if status != http.StatusOK {
			t.Fatalf("status %d: %v", status, body)
		}
		if c, err := e.p.VerifyAccessToken(body["access_token"].(string)); err != nil || c.Audience != base {
			t.Errorf("claims %+v, %v", c, err)
		}
	})

	t.Run("national cloud resource", func(t *testing.T) {
		status, body := e.postToken(t, with("scope", "https://graph.microsoft.us/.default"), nil)
		if status != http.StatusOK {
			t.Fatalf("status %d: %v", status, body)
		}
		if aud := jwtPart(t, body["access_token"].(string), 1)["aud"]; aud != "https://graph.microsoft.us" {
			t.Errorf("aud %v", aud)
		}
	})

	const corrID = "3b7c6b4f-1d7e-4e2a-9c55-0f3f8a6e2b11"
	for _, tc := range []struct {
		name   string
		form   url.Values
		status int
		errc   string
		aadsts float64
	}{
		{"bad secret", with("client_secret", "nope"), 401, "invalid_client", 7000215},
		{"secret of another app", with("client_secret", readAppSecret), 401, "invalid_client", 7000215},
		{"secret for cert-only app", with("client_id", certAppID), 401, "invalid_client", 7000215},
		{"no credential", with("client_secret", ""), 401, "invalid_client", 7000216},
		{"unknown app", with("client_id", "99999999-9999-4999-8999-999999999999"), 400, "unauthorized_client", 700016},
		{"no client id", with("client_id", ""), 400, "invalid_request", 900144},
		{"no scope", with("scope", ""), 400, "invalid_request", 900144},
		{"scope without .default", with("scope", "User.Read.All"), 400, "invalid_scope", 1002012},
		{"two resources", with("scope", "https://graph.microsoft.com/.default https://management.azure.com/.default"), 400, "invalid_scope", 28000},
		{"empty resource", with("scope", "/.default"), 400, "invalid_resource", 500011},
		{"unknown resource", with("scope", "https://management.azure.com/.default"), 400, "invalid_resource", 500011},
		{"an API of the tenant's own", with("scope", "api://tenantdesk/.default"), 400, "invalid_resource", 500011},
		{"no grant type", with("grant_type", ""), 400, "invalid_request", 900144},
		{"password grant", with("grant_type", "password"), 400, "unsupported_grant_type", 70003},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := e.postToken(t, tc.form, func(r *http.Request) { r.Header.Set("client-request-id", corrID) })
			if status != tc.status || body["error"] != tc.errc {
				t.Fatalf("got %d %v, want %d %s", status, body, tc.status, tc.errc)
			}
			codes, _ := body["error_codes"].([]any)
			if len(codes) != 1 || codes[0] != tc.aadsts {
				t.Errorf("error_codes %v, want [%v]", body["error_codes"], tc.aadsts)
			}
			desc, _ := body["error_description"].(string)
			if !strings.HasPrefix(desc, "AADSTS") || !strings.Contains(desc, "Correlation ID: "+corrID) {
				t.Errorf("error_description %q", desc)
			}
			if body["correlation_id"] != corrID || body["trace_id"] == "" || body["timestamp"] == "" {
				t.Errorf("ids %v", body)
			}
			if _, ok := body["access_token"]; ok {
				t.Error("error reply carries an access token")
			}
		})
	}

	t.Run("unknown tenant", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, e.p.base+"/contoso.example/oauth2/v2.0/token", strings.NewReader(base.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := e.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != 400 || decodeJSON(t, resp.Body)["error"] != "invalid_request" {
			t.Errorf("status %d", resp.StatusCode)
		}
	})
}

func TestClientAssertion(t *testing.T) {
	e := newEnv(t)
	aud := e.url(tokenEndpointP)
	other := mustPair(t, otherCert)
	now := e.clock.Now()
	form := func(assertion string) url.Values {
		return url.Values{
			"grant_type":            {"client_credentials"},
			"client_id":             {certAppID},
			"client_assertion_type": {clientAssertionType},
			"client_assertion":      {assertion},
			"client_info":           {"1"},
			"scope":                 {"https://graph.microsoft.com/.default openid offline_access profile"},
		}
	}
	// alg none: MSAL never sends it; an attacker would.
	none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." +
		strings.Split(msalAssertion(t, e.cert, "PS256", certAppID, aud, now), ".")[1] + "."
	swapped := msalAssertion(t, e.cert, "PS256", certAppID, aud, now)
	parts := strings.Split(swapped, ".")
	parts[1] = strings.Split(msalAssertion(t, e.cert, "PS256", fullAppID, aud, now), ".")[1]
	tampered := strings.Join(parts, ".")

	for _, tc := range []struct {
		name      string
		clientID  string
		assertion string
		aadsts    float64 // 0: accepted
	}{
		{"PS256 x5t#S256 (MSAL)", certAppID, msalAssertion(t, e.cert, "PS256", certAppID, aud, now), 0},
		{"RS256 x5t (ADFS style)", certAppID, msalAssertion(t, e.cert, "RS256", certAppID, aud, now), 0},
		{"v1 token endpoint as aud", certAppID, msalAssertion(t, e.cert, "PS256", certAppID, e.p.base+"/"+testTenant+"/oauth2/token", now), 0},
		{"unregistered certificate", certAppID, msalAssertion(t, other, "PS256", certAppID, aud, now), 700027},
		{"unregistered certificate RS256", certAppID, msalAssertion(t, other, "RS256", certAppID, aud, now), 700027},
		{"app without certificate", fullAppID, msalAssertion(t, e.cert, "PS256", fullAppID, aud, now), 700027},
		{"expired", certAppID, msalAssertion(t, e.cert, "PS256", certAppID, aud, now.Add(-30*time.Minute)), 700024},
		{"not yet valid", certAppID, msalAssertion(t, e.cert, "PS256", certAppID, aud, now.Add(30*time.Minute)), 700024},
		{"wrong audience", certAppID, msalAssertion(t, e.cert, "PS256", certAppID, "https://login.microsoftonline.com/"+testTenant+"/oauth2/v2.0/token", now), 700212},
		{"iss/sub of another app", certAppID, msalAssertion(t, e.cert, "PS256", fullAppID, aud, now), 700021},
		{"payload swapped", certAppID, tampered, 700027},
		{"alg none", certAppID, none, 700027},
		{"not a JWT", certAppID, "hello", 700025},
		{"garbage parts", certAppID, "a.b.c", 700025},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := form(tc.assertion)
			f.Set("client_id", tc.clientID)
			status, body := e.postToken(t, f, nil)
			if tc.aadsts == 0 {
				if status != http.StatusOK {
					t.Fatalf("status %d: %v", status, body)
				}
				c, err := e.p.VerifyAccessToken(body["access_token"].(string))
				if err != nil || c.AppID != certAppID || !slices.Equal(c.Roles, []string{"User.Read.All"}) {
					t.Errorf("claims %+v, %v", c, err)
				}
				if acr := jwtPart(t, body["access_token"].(string), 1)["appidacr"]; acr != "2" {
					t.Errorf("appidacr %v, want 2 (certificate)", acr)
				}
				return
			}
			codes, _ := body["error_codes"].([]any)
			if status != http.StatusUnauthorized || body["error"] != "invalid_client" || len(codes) != 1 || codes[0] != tc.aadsts {
				t.Errorf("got %d %v, want 401 invalid_client AADSTS%v", status, body, tc.aadsts)
			}
		})
	}

	t.Run("wrong assertion type", func(t *testing.T) {
		f := form(msalAssertion(t, e.cert, "PS256", certAppID, aud, now))
		f.Set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:saml2-bearer")
		if status, body := e.postToken(t, f, nil); status != 400 || body["error"] != "invalid_request" {
			t.Errorf("got %d %v", status, body)
		}
	})
	t.Run("assertion and secret", func(t *testing.T) {
		f := form(msalAssertion(t, e.cert, "PS256", certAppID, aud, now))
		f.Set("client_secret", "x")
		if status, _ := e.postToken(t, f, nil); status != 400 {
			t.Errorf("status %d", status)
		}
	})
}
