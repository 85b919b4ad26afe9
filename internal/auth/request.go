package auth

import (
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
)

// maxNextLen bounds the return path kept through sign-in; longer ones are dropped.
const maxNextLen = 2048

// SafeNext returns next when it is a path on this site to return to after sign-in, else "/".
// Only same-origin relative paths pass: anything with a scheme, a host, "//" or a backslash
// (which browsers read as a slash) would make the sign-in an open redirector, and the sign-in
// flow itself is refused so it cannot loop.
func SafeNext(next string) string {
	if next == "" || len(next) > maxNextLen || next[0] != '/' {
		return "/"
	}
	if strings.HasPrefix(next, "//") || strings.ContainsRune(next, '\\') {
		return "/"
	}
	for _, c := range next {
		if c < 0x20 || c == 0x7f {
			return "/"
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return "/"
	}
	p := u.Path
	if p == "/login" || p == "/logout" || strings.HasPrefix(p, "/auth/") {
		return "/"
	}
	return next
}

// Proxies says which peers are reverse proxies whose X-Forwarded-* headers are believed.
type Proxies []netip.Prefix

func (ps Proxies) trusts(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func remoteAddr(r *http.Request) (netip.Addr, bool) {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, false
	}
	// A link-local peer carries its interface as zone; prefixes never contain zoned addresses.
	return a.WithZone("").Unmap(), true
}

// forwardedHop parses one X-Forwarded-For entry: an address, or an address with a port as
// some proxies (Azure Application Gateway among them) write it. An entry with a zone is not
// believed: no proxy reports a browser's interface, and a zone is free text.
func forwardedHop(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	a, err := netip.ParseAddr(s)
	if err != nil {
		ap, perr := netip.ParseAddrPort(s)
		if perr != nil {
			return netip.Addr{}, false
		}
		a = ap.Addr()
	}
	if a.Zone() != "" {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// ClientIP is the address of the person's browser: the peer's address, or, when the peer is a
// trusted proxy, the right-most X-Forwarded-For entry that is not itself a trusted proxy
// (entries to its left are whatever the client claimed and cannot be believed).
func (ps Proxies) ClientIP(r *http.Request) string {
	a, ok := remoteAddr(r)
	if !ok {
		return r.RemoteAddr
	}
	if !ps.trusts(a) {
		return a.String()
	}
	var hops []string
	for _, h := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(h, ",")...)
	}
	for i := len(hops) - 1; i >= 0; i-- {
		hop, ok := forwardedHop(hops[i])
		if !ok {
			break // a garbled entry: stop at the last address we can vouch for
		}
		a = hop
		if !ps.trusts(a) {
			break
		}
	}
	return a.String()
}

// IsTLS reports whether the browser reached us over https: directly, or through a trusted
// proxy that says so in X-Forwarded-Proto.
func (ps Proxies) IsTLS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	a, ok := remoteAddr(r)
	if !ok || !ps.trusts(a) {
		return false
	}
	proto := r.Header.Get("X-Forwarded-Proto")
	if i := strings.IndexByte(proto, ','); i >= 0 {
		proto = proto[:i] // the first proxy's view: what the browser used
	}
	return strings.EqualFold(strings.TrimSpace(proto), "https")
}
