package tlsca

import (
	"crypto/x509"
	"encoding/pem"
	"os"
	"testing"
)

// A kept directory keeps its CA: certificates issued before still verify after the
// cluster starts again.
func TestLoadOrNewKeepsTheCAOfAKeptDirectory(t *testing.T) {
	dir := t.TempDir()
	first, err := LoadOrNew(dir, "test CA")
	if err != nil {
		t.Fatal(err)
	}
	client, err := first.Client(dir, "xsoc")
	if err != nil {
		t.Fatal(err)
	}
	again, err := LoadOrNew(dir, "test CA")
	if err != nil {
		t.Fatal(err)
	}
	if !again.Cert.Equal(first.Cert) {
		t.Fatal("a second start made a new CA")
	}
	server, err := again.Server(dir, "frontend", "localhost", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(again.Cert)
	for _, c := range []struct {
		file  string
		usage x509.ExtKeyUsage
		name  string
	}{{client.Cert, x509.ExtKeyUsageClientAuth, ""}, {server.Cert, x509.ExtKeyUsageServerAuth, "127.0.0.1"}, {server.Cert, x509.ExtKeyUsageServerAuth, "localhost"}} {
		data, err := os.ReadFile(c.file)
		if err != nil {
			t.Fatal(err)
		}
		block, _ := pem.Decode(data)
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, DNSName: c.name, KeyUsages: []x509.ExtKeyUsage{c.usage}}); err != nil {
			t.Errorf("%s for %q: %v", c.file, c.name, err)
		}
	}
	if info, err := os.Stat(client.Key); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("the client's key: %v, mode %v; want 0600", err, info.Mode().Perm())
	}
}
