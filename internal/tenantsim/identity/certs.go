package identity

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1" // #nosec: x5t is a SHA-1 thumbprint by definition (RFC 7517)
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"time"
)

// CA is a self-generated certificate authority and the server certificate it issued, so the
// simulator can serve HTTPS (which MSAL insists on) that clients trust through CertPEM alone.
type CA struct {
	CertPEM    []byte // the CA certificate: what clients add to their root pool
	ServerCert tls.Certificate
}

// Pool returns a certificate pool holding only the CA, for a client's tls.Config.RootCAs.
func (c *CA) Pool() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(c.CertPEM)
	return pool
}

// NewCA creates a CA and a server certificate for hosts (DNS names or IP addresses), valid from
// an hour ago (clock skew between processes) for a year.
func NewCA(hosts []string) (*CA, error) {
	if len(hosts) == 0 {
		return nil, errors.New("identity: NewCA needs at least one host")
	}
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("identity: generate CA key: %w", err)
	}
	caTmpl := newTemplate("tenantsim local CA", now)
	caTmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign
	caTmpl.BasicConstraintsValid = true
	caTmpl.IsCA = true
	caTmpl.MaxPathLenZero = true
	caDER, caCert, err := createCert("CA", caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}

	leafKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("identity: generate server key: %w", err)
	}
	leafTmpl := newTemplate(hosts[0], now)
	leafTmpl.KeyUsage = x509.KeyUsageDigitalSignature
	leafTmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			leafTmpl.IPAddresses = append(leafTmpl.IPAddresses, ip)
		} else {
			leafTmpl.DNSNames = append(leafTmpl.DNSNames, h)
		}
	}
	leafDER, leaf, err := createCert("server", leafTmpl, caCert, &leafKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	return &CA{
		CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		ServerCert: tls.Certificate{
			Certificate: [][]byte{leafDER, caDER},
			PrivateKey:  leafKey,
			Leaf:        leaf,
		},
	}, nil
}

// NewClientCertificate creates a self-signed RSA 2048 certificate and its PKCS #8 key, both PEM,
// as an app registration's credential (azidentity.ParseCertificates reads the pair).
func NewClientCertificate(commonName string) (certPEM, keyPEM []byte, err error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, nil, fmt.Errorf("identity: generate client key: %w", err)
	}
	tmpl := newTemplate(commonName, time.Now())
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	der, _, err := createCert("client", tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("identity: encode client key: %w", err)
	}
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})
	return certPEM, keyPEM, nil
}

// newTemplate is a certificate for cn, valid from an hour ago (clock skew between processes)
// for a year; the caller sets what it may be used for.
func newTemplate(cn string, now time.Time) *x509.Certificate {
	return &x509.Certificate{
		SerialNumber: serialNumber(),
		Subject:      pkixName(cn),
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(1, 0, 0),
	}
}

// createCert issues tmpl for the key pub, signed by signer as parent (tmpl itself when
// self-signed), and parses the result; what names the certificate in errors.
func createCert(what string, tmpl, parent *x509.Certificate, pub, signer any) ([]byte, *x509.Certificate, error) {
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
	if err != nil {
		return nil, nil, fmt.Errorf("identity: create %s certificate: %w", what, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, fmt.Errorf("identity: parse %s certificate: %w", what, err)
	}
	return der, cert, nil
}

func serialNumber() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return big.NewInt(time.Now().UnixNano()) // crypto/rand does not fail in practice
	}
	return n
}

func pkixName(cn string) pkix.Name {
	return pkix.Name{CommonName: cn, Organization: []string{"tenantsim"}}
}

func sha1Sum(b []byte) []byte {
	s := sha1.Sum(b) // #nosec: thumbprint, not a security boundary
	return s[:]
}
