package browser

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// The HTTPS listener's certificate: made by the agent for localhost,
// 127.0.0.1 and ::1, self-signed and not a CA (it vouches for nothing but
// this machine's loopback), kept in the data directory. `labelagent browser
// cert install` makes the user's browsers trust it.
const (
	CertFile = "browser-tls.crt"
	KeyFile  = "browser-tls.key"
	// CertName is the certificate's name in trust stores.
	CertName = "labelagent localhost"
	certLife = 397 * 24 * time.Hour
	renewAt  = 30 * 24 * time.Hour
)

// CertPath is where the certificate of the agent with data directory dir is.
func CertPath(dir string) string { return filepath.Join(dir, CertFile) }

// LoadOrCreateCert returns the HTTPS certificate from dir, making a new one
// when there is none or it ends within 30 days. renewed reports a new one,
// which browsers must be told to trust again.
func LoadOrCreateCert(dir string, now time.Time) (cert tls.Certificate, renewed bool, err error) {
	cp, kp := filepath.Join(dir, CertFile), filepath.Join(dir, KeyFile)
	if c, err := tls.LoadX509KeyPair(cp, kp); err == nil && c.Leaf != nil && !now.Before(c.Leaf.NotBefore) && now.Add(renewAt).Before(c.Leaf.NotAfter) {
		return c, false, nil
	}
	certPEM, keyPEM, err := newCert(now)
	if err != nil {
		return tls.Certificate{}, false, err
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return tls.Certificate{}, false, err
	}
	if err := writeAtomic(kp, keyPEM, 0o600); err != nil {
		return tls.Certificate{}, false, fmt.Errorf("save HTTPS key: %w", err)
	}
	if err := writeAtomic(cp, certPEM, 0o644); err != nil {
		return tls.Certificate{}, false, fmt.Errorf("save HTTPS certificate: %w", err)
	}
	c, err := tls.X509KeyPair(certPEM, keyPEM)
	return c, true, err
}

func newCert(now time.Time) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, nil, err
	}
	host, _ := os.Hostname()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "localhost", Organization: []string{CertName}, OrganizationalUnit: []string{host}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(certLife),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  false,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), nil
}

func writeAtomic(path string, data []byte, mode os.FileMode) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, mode); err != nil {
		return err
	}
	if err := os.Chmod(tmp, mode); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// TLSConfig serves cert.
func TLSConfig(cert tls.Certificate) *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
}

// ReadCert reads the certificate file for installing it.
func ReadCert(dir string) (*x509.Certificate, []byte, error) {
	data, err := os.ReadFile(CertPath(dir))
	if err != nil {
		return nil, nil, err
	}
	b, _ := pem.Decode(data)
	if b == nil || b.Type != "CERTIFICATE" {
		return nil, nil, errors.New(CertPath(dir) + ": not a PEM certificate")
	}
	c, err := x509.ParseCertificate(b.Bytes)
	return c, data, err
}
