package syslogd

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// authority is a test CA that issues server and client certificates.
type authority struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func newAuthority(t *testing.T, name string) authority {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	template := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return authority{cert, key}
}

// issue answers a certificate of subject, for a server (on 127.0.0.1) or a client.
func (a authority) issue(t *testing.T, subject pkix.Name, server bool) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	template := &x509.Certificate{SerialNumber: serial, Subject: subject,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	if server {
		template.ExtKeyUsage, template.IPAddresses = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, []net.IP{net.IPv4(127, 0, 0, 1)}
	}
	der, err := x509.CreateCertificate(rand.Reader, template, a.cert, &key.PublicKey, a.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func writePEM(t *testing.T, dir, name, kind string, der []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// A sender is known by its verified client certificate's subject, whatever its
// address; a certificate of another subject or another CA, or none, is no source's.
func TestTLSClientCertificateAuthenticatesTheSender(t *testing.T) {
	dir := t.TempDir()
	ca, stranger := newAuthority(t, "xsoc syslog CA"), newAuthority(t, "someone else's CA")
	serverCert := ca.issue(t, pkix.Name{CommonName: "xsoc.example"}, true)
	keyDER, err := x509.MarshalPKCS8PrivateKey(serverCert.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	file := strings.Replace(customersFile, `      - {name: ndr, from: ["127.0.0.1"], hostname: ndr01, format: leef}`,
		`      - {name: pa01, tls_subject: "CN=pa01.globex.example,O=Globex", format: cef}`, 1)
	file = strings.Replace(file, `"127.0.0.0/8"`, `"10.0.0.0/8"`, 1)
	h := startListener(t, file, func(c *Config) {
		c.Settings.TLS = "127.0.0.1:0"
		c.Settings.TLSCert = writePEM(t, dir, "server.pem", "CERTIFICATE", serverCert.Certificate[0])
		c.Settings.TLSKey = writePEM(t, dir, "server.key", "PRIVATE KEY", keyDER)
		c.Settings.ClientCA = writePEM(t, dir, "ca.pem", "CERTIFICATE", ca.cert.Raw)
	})
	roots := x509.NewCertPool()
	roots.AddCert(ca.cert)
	send := func(client *tls.Certificate, data string) error {
		config := &tls.Config{RootCAs: roots}
		if client != nil {
			// Sent whatever CAs the server asks for: an impostor's too.
			config.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return client, nil }
		}
		conn, err := tls.Dial("tcp", h.server.Addresses()["tls"], config)
		if err != nil {
			return err
		}
		defer func() { _ = conn.Close() }()
		_, err = io.WriteString(conn, data)
		return err
	}
	mustSend := func(client *tls.Certificate, data string) {
		t.Helper()
		if err := send(client, data); err != nil {
			t.Fatal(err)
		}
	}
	paloalto := ca.issue(t, pkix.Name{CommonName: "pa01.globex.example", Organization: []string{"Globex"}, Country: []string{"US"}}, false)
	event := "CEF:0|Palo Alto Networks|PAN-OS|10.1|virus|THREAT|4|src=10.20.1.15 dst=198.51.100.23 externalId=1 deviceExternalId=0070"
	mustSend(&paloalto, octetCounted("<14>1 2026-03-01T09:12:44Z pa01 - - - - "+event))
	got := h.waitDeliveries(1)
	if got[0].customer != "globex" || got[0].alert.ID != "0070-THREAT-1" {
		t.Errorf("delivered %+v", got[0])
	}
	other := ca.issue(t, pkix.Name{CommonName: "pa02.globex.example", Organization: []string{"Globex"}}, false)
	impostor := stranger.issue(t, pkix.Name{CommonName: "pa01.globex.example", Organization: []string{"Globex"}}, false)
	mustSend(&other, octetCounted("<14>1 2026-03-01T09:12:44Z pa01 - - - - "+event))
	// Unknown senders of one address are logged once a period: the certified one first.
	h.eventually("the sender with an unknown certificate counted as unknown", func() error {
		if n := h.count(h.server.metrics.unknown, "tls"); n < 1 {
			return fmt.Errorf("unknown %d", n)
		}
		return nil
	})
	mustSend(nil, "<14>Mar  1 09:12:44 pa01 "+event+"\n")
	// A certificate of another CA fails the server's side of the handshake: the
	// client may or may not hear of it before it writes.
	_ = send(&impostor, "<14>Mar  1 09:12:44 pa01 "+event+"\n")
	h.eventually("senders without the subject counted as unknown", func() error {
		if n := h.count(h.server.metrics.unknown, "tls"); n < 2 {
			return fmt.Errorf("unknown %d", n)
		}
		return nil
	})
	time.Sleep(100 * time.Millisecond)
	if n := len(h.intake.deliveries()); n != 1 {
		t.Errorf("%d deliveries: a sender without the source's certificate got through", n)
	}
	h.eventually("the impostor's handshake failure logged", func() error {
		if !strings.Contains(h.logs.String(), "syslog TLS handshake failed") {
			return fmt.Errorf("not logged")
		}
		return nil
	})
	// The connection's goroutine logs the subject after it counted the sender.
	h.eventually("the unknown certificate's subject logged", func() error {
		if !strings.Contains(h.logs.String(), "subject=") || !strings.Contains(h.logs.String(), "pa02.globex.example") {
			return fmt.Errorf("not logged:\n%s", h.logs.String())
		}
		return nil
	})
}
