package auth

import (
	"crypto/tls"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

func TestClientIPHostileHeaders(t *testing.T) {
	ps := Proxies{mustPrefix(t, "10.0.0.0/8"), mustPrefix(t, "fe80::/10")}
	for _, tc := range []struct {
		name, remote string
		xff          []string // one header line each
		ip           string
	}{
		{"zone injected by the client", "10.0.0.1:1", []string{"fe80::1%<script>alert(1)</script>"}, "10.0.0.1"},
		{"zone to dodge the rate limit", "10.0.0.1:1", []string{"198.51.100.1, 2001:db8::1%1"}, "10.0.0.1"},
		{"link-local proxy with zone", "[fe80::2%eth0]:1", []string{"198.51.100.4"}, "198.51.100.4"},
		{"port after the address", "10.0.0.1:1", []string{"198.51.100.2:55123"}, "198.51.100.2"},
		{"bracketed v6 with port", "10.0.0.1:1", []string{"[2001:db8::9]:443"}, "2001:db8::9"},
		{"bracketed v6 without port", "10.0.0.1:1", []string{"[2001:db8::9]"}, "10.0.0.1"},
		{"several header lines", "10.0.0.1:1", []string{"6.6.6.6", "198.51.100.3, 10.0.0.7"}, "198.51.100.3"},
		{"empty entries", "10.0.0.1:1", []string{",,, ,"}, "10.0.0.1"},
		{"only trusted hops", "10.0.0.1:1", []string{"10.1.1.1, 10.2.2.2"}, "10.1.1.1"},
		{"spoofed trusted left of real", "10.0.0.1:1", []string{"10.9.9.9, 203.0.113.8"}, "203.0.113.8"},
		{"header injection text", "10.0.0.1:1", []string{"203.0.113.8\r\nX-Evil: 1"}, "10.0.0.1"},
		{"hostname", "10.0.0.1:1", []string{"localhost"}, "10.0.0.1"},
		{"huge", "10.0.0.1:1", []string{strings.Repeat("1.1.1.1,", 10000) + "203.0.113.9"}, "203.0.113.9"},
		{"mapped v4", "10.0.0.1:1", []string{"::ffff:203.0.113.10"}, "203.0.113.10"},
		{"untrusted peer ignores all", "203.0.113.1:1", []string{"10.0.0.5"}, "203.0.113.1"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tc.remote
		for _, h := range tc.xff {
			r.Header.Add("X-Forwarded-For", h)
		}
		if got := ps.ClientIP(r); got != tc.ip {
			t.Errorf("%s: ClientIP %q, want %q", tc.name, got, tc.ip)
		}
	}
}

func TestIsTLSHostileHeaders(t *testing.T) {
	ps := Proxies{mustPrefix(t, "10.0.0.0/8")}
	for _, tc := range []struct {
		remote string
		proto  []string
		tls    bool
		want   bool
	}{
		{"10.0.0.1:1", []string{" https "}, false, true},
		{"10.0.0.1:1", []string{"https, http"}, false, true},
		{"10.0.0.1:1", []string{"http, https"}, false, false}, // the browser used http
		{"10.0.0.1:1", []string{"http", "https"}, false, false},
		{"10.0.0.1:1", []string{"httpsx"}, false, false},
		{"10.0.0.1:1", []string{"wss"}, false, false},
		{"10.0.0.1:1", []string{""}, false, false},
		{"10.0.0.1:1", []string{","}, false, false},
		{"203.0.113.1:1", []string{"https"}, false, false}, // untrusted peer
		{"203.0.113.1:1", []string{"http"}, true, true},    // direct TLS wins
		{"garbage", []string{"https"}, false, false},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tc.remote
		for _, p := range tc.proto {
			r.Header.Add("X-Forwarded-Proto", p)
		}
		if tc.tls {
			r.TLS = &tls.ConnectionState{}
		}
		if got := ps.IsTLS(r); got != tc.want {
			t.Errorf("%s %q tls=%v: IsTLS %v, want %v", tc.remote, tc.proto, tc.tls, got, tc.want)
		}
	}
}

func FuzzClientIP(f *testing.F) {
	for _, s := range [][2]string{
		{"10.0.0.1:1", "198.51.100.1"}, {"10.0.0.1:1", "a, 10.0.0.2"}, {"192.0.2.1:9", "10.0.0.1"},
		{"[::1]:1", "fe80::1%x"}, {"10.0.0.1:1", "[2001:db8::1]:80, 10.0.0.3"}, {"x", ""}, {"10.0.0.1:1", ",,,"},
	} {
		f.Add(s[0], s[1], "https")
	}
	ps := Proxies{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	f.Fuzz(func(t *testing.T, remote, xff, proto string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = remote
		r.Header["X-Forwarded-For"] = []string{xff}
		r.Header["X-Forwarded-Proto"] = []string{proto}
		got := ps.ClientIP(r)
		peer, ok := remoteAddr(r)
		if !ok {
			if got != remote {
				t.Fatalf("unreadable peer %q: ClientIP %q", remote, got)
			}
			if ps.IsTLS(r) {
				t.Fatalf("unreadable peer %q believed about TLS", remote)
			}
			return
		}
		a, err := netip.ParseAddr(got)
		if err != nil || a.Zone() != "" || a.Is4In6() {
			t.Fatalf("ClientIP(%q, %q) = %q: not a plain address", remote, xff, got)
		}
		if !ps.trusts(peer) {
			if a != peer {
				t.Fatalf("untrusted peer %q: ClientIP %q believed the header %q", remote, got, xff)
			}
			if ps.IsTLS(r) {
				t.Fatalf("untrusted peer %q believed X-Forwarded-Proto %q", remote, proto)
			}
			return
		}
		if a != peer {
			found := false
			for _, h := range strings.Split(xff, ",") {
				if hop, ok := forwardedHop(h); ok && hop == a {
					found = true
				}
			}
			if !found {
				t.Fatalf("ClientIP(%q, %q) = %q: neither the peer nor a forwarded hop", remote, xff, got)
			}
		}
		_ = ps.IsTLS(r)
	})
}
