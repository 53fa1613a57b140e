// Package tlsca is the certificate authority of the cluster the project starts
// (make cluster, the cluster tests): a CA generated on the spot, a server certificate
// for the Temporal frontend and client certificates for xsoc's processes and the
// server's own system worker, written as PEM files that the TEMPORAL_TLS_* settings
// and the server's tls: block name. Production brings its own PKI; nothing here is
// meant to outlive the machine it was made on.
package tlsca

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
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

// validity is how long the generated certificates hold: long enough for a
// `make cluster` left running for a while, short enough not to be mistaken for real ones.
const validity = 90 * 24 * time.Hour

// CA is a certificate authority whose key is in memory.
type CA struct {
	Cert    *x509.Certificate
	key     *ecdsa.PrivateKey
	CertPEM []byte
}

// Files are the PEM files of one certificate: its chain's CA, the certificate and its key.
type Files struct {
	CA, Cert, Key string
}

// New makes a CA named name (the subject's common name).
func New(name string) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	template := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: name, Organization: []string{"xsoc"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(validity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &CA{Cert: cert, key: key, CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}, nil
}

// Load reads a CA that WriteCA wrote to dir, so that a kept cluster directory keeps
// the certificates its clients were given.
func Load(dir string) (*CA, error) {
	certPEM, err := os.ReadFile(filepath.Join(dir, "ca.pem"))
	if err != nil {
		return nil, err
	}
	keyPEM, err := os.ReadFile(filepath.Join(dir, "ca-key.pem"))
	if err != nil {
		return nil, err
	}
	certBlock, _ := pem.Decode(certPEM)
	keyBlock, _ := pem.Decode(keyPEM)
	if certBlock == nil || keyBlock == nil {
		return nil, fmt.Errorf("%s: ca.pem or ca-key.pem holds no PEM block", dir)
	}
	cert, err := x509.ParseCertificate(certBlock.Bytes)
	if err != nil {
		return nil, err
	}
	key, err := x509.ParseECPrivateKey(keyBlock.Bytes)
	if err != nil {
		return nil, err
	}
	if time.Until(cert.NotAfter) < 24*time.Hour {
		return nil, fmt.Errorf("%s: the CA expires at %s", dir, cert.NotAfter.Format(time.RFC3339))
	}
	return &CA{Cert: cert, key: key, CertPEM: certPEM}, nil
}

// LoadOrNew loads the CA in dir, or makes one and writes it there when dir holds none.
func LoadOrNew(dir, name string) (*CA, error) {
	ca, err := Load(dir)
	if err == nil {
		return ca, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if ca, err = New(name); err != nil {
		return nil, err
	}
	return ca, ca.write(dir)
}

// Certificates are public by design: their files and directory are readable by all
// (0644, 0755), as certificates are anywhere; the keys beside them are the secrets, 0600.
func (ca *CA) write(dir string) error {
	keyDER, err := x509.MarshalECPrivateKey(ca.key)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil { //nolint:gosec // G301: it holds certificates, public; the keys are 0600
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "ca.pem"), ca.CertPEM, 0o644); err != nil { //nolint:gosec // G306: a certificate is public
		return err
	}
	return os.WriteFile(filepath.Join(dir, "ca-key.pem"), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600)
}

// Server issues a server certificate for the host names and IPs in hosts and writes
// it to dir as <name>.pem and <name>-key.pem, beside ca.pem.
func (ca *CA) Server(dir, name string, hosts ...string) (Files, error) {
	template := ca.leaf(name, x509.ExtKeyUsageServerAuth)
	for _, host := range hosts {
		if ip := net.ParseIP(host); ip != nil {
			template.IPAddresses = append(template.IPAddresses, ip)
		} else {
			template.DNSNames = append(template.DNSNames, host)
		}
	}
	return ca.issue(dir, name, template)
}

// Client issues a client certificate whose common name is name (what an authorizer
// on the frontend would map to a role) and writes it to dir as <name>.pem and
// <name>-key.pem.
func (ca *CA) Client(dir, name string) (Files, error) {
	return ca.issue(dir, name, ca.leaf(name, x509.ExtKeyUsageClientAuth))
}

func (ca *CA) leaf(name string, usage x509.ExtKeyUsage) *x509.Certificate {
	return &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: name, Organization: []string{"xsoc"}},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     ca.Cert.NotAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{usage},
	}
}

func (ca *CA) issue(dir, name string, template *x509.Certificate) (Files, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return Files{}, err
	}
	der, err := x509.CreateCertificate(rand.Reader, template, ca.Cert, &key.PublicKey, ca.key)
	if err != nil {
		return Files{}, err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return Files{}, err
	}
	files := Files{CA: filepath.Join(dir, "ca.pem"), Cert: filepath.Join(dir, name+".pem"), Key: filepath.Join(dir, name+"-key.pem")}
	if err := os.MkdirAll(dir, 0o755); err != nil { //nolint:gosec // G301: it holds certificates, public; the keys are 0600
		return files, err
	}
	if _, err := os.Stat(files.CA); errors.Is(err, os.ErrNotExist) {
		if err := os.WriteFile(files.CA, ca.CertPEM, 0o644); err != nil { //nolint:gosec // G306: a certificate is public
			return files, err
		}
	}
	if err := os.WriteFile(files.Cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil { //nolint:gosec // G306: a certificate is public
		return files, err
	}
	return files, os.WriteFile(files.Key, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600)
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return n
}
