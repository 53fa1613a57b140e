package config

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"xsoc/internal/tlsca"
)

// A frontend whose certificate comes from the cluster's own CA and that wants a client
// certificate (mTLS): TEMPORAL_TLS_CA and TEMPORAL_TLS_CERT/KEY make the handshake, and
// without the CA the client refuses the server.
func TestTemporalTLSSettingsReachAFrontendOfAPrivateCA(t *testing.T) {
	dir := t.TempDir()
	ca, err := tlsca.New("test CA")
	if err != nil {
		t.Fatal(err)
	}
	server, err := ca.Server(dir, "frontend", "temporal.test", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	client, err := ca.Client(dir, "xsoc")
	if err != nil {
		t.Fatal(err)
	}
	address := serveMutualTLS(t, ca, server)

	for _, c := range []struct {
		name     string
		settings Temporal
		fails    string // "" when the handshake must succeed
	}{
		{"CA, client certificate, address's IP", Temporal{Address: address, TLSCA: server.CA, TLSCert: client.Cert, TLSKey: client.Key}, ""},
		{"server name given", Temporal{Address: address, TLSCA: server.CA, TLSCert: client.Cert, TLSKey: client.Key, TLSServerName: "temporal.test"}, ""},
		{"a name the certificate lacks", Temporal{Address: address, TLSCA: server.CA, TLSCert: client.Cert, TLSKey: client.Key, TLSServerName: "other.test"}, "certificate is valid for"},
		{"without the CA", Temporal{Address: address, TLSCert: client.Cert, TLSKey: client.Key}, "unknown authority"},
		{"without a client certificate", Temporal{Address: address, TLSCA: server.CA}, "certificate required"},
	} {
		t.Run(c.name, func(t *testing.T) {
			options, err := c.settings.ClientOptions()
			if err != nil {
				t.Fatal(err)
			}
			if options.ConnectionOptions.TLS == nil {
				t.Fatal("no TLS")
			}
			err = handshake(address, options.ConnectionOptions.TLS)
			switch {
			case c.fails == "" && err != nil:
				t.Fatalf("handshake: %v", err)
			case c.fails != "" && (err == nil || !strings.Contains(err.Error(), c.fails)):
				t.Fatalf("handshake: %v, want an error with %q", err, c.fails)
			}
		})
	}
}

func TestTemporalTLSSettingsNameWhatIsWrong(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "ca.txt")
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		settings Temporal
		problem  string
	}{
		{Temporal{TLSCA: filepath.Join(dir, "missing.pem")}, "TEMPORAL_TLS_CA: open"},
		{Temporal{TLSCA: notPEM}, "TEMPORAL_TLS_CA=" + notPEM + " holds no PEM certificate"},
		{Temporal{TLSCert: filepath.Join(dir, "client.pem")}, "TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY go together"},
	} {
		if _, err := c.settings.ClientOptions(); err == nil || !strings.Contains(err.Error(), c.problem) {
			t.Errorf("%+v: %v, want %q", c.settings, err, c.problem)
		}
	}
	options, err := Temporal{Address: "127.0.0.1:7233"}.ClientOptions()
	if err != nil || options.ConnectionOptions.TLS != nil {
		t.Errorf("no TLS setting: TLS %v, %v; want a plain connection", options.ConnectionOptions.TLS, err)
	}
}

// serveMutualTLS answers TLS handshakes that present a client certificate of ca.
func serveMutualTLS(t *testing.T, ca *tlsca.CA, server tlsca.Files) string {
	t.Helper()
	cert, err := tls.LoadX509KeyPair(server.Cert, server.Key)
	if err != nil {
		t.Fatal(err)
	}
	config := &tls.Config{Certificates: []tls.Certificate{cert}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: certPool(ca)}
	listener, err := tls.Listen("tcp", "127.0.0.1:0", config)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = listener.Close() })
	go func() {
		for {
			conn, err := listener.Accept()
			if err != nil {
				return
			}
			go func() {
				defer func() { _ = conn.Close() }()
				// The handshake runs on the first read; its failure reaches the client.
				_, _ = io.ReadAll(conn)
			}()
		}
	}()
	return listener.Addr().String()
}

// handshake connects as the SDK would (the server name from the address unless set)
// and reads once, so that a refused client certificate shows as the server's alert.
func handshake(address string, config *tls.Config) error {
	config = config.Clone()
	if config.ServerName == "" {
		config.ServerName, _, _ = net.SplitHostPort(address)
	}
	conn, err := tls.Dial("tcp", address, config)
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close() }()
	if _, err := conn.Write([]byte("x")); err != nil {
		return err
	}
	_ = conn.CloseWrite()
	_, err = conn.Read(make([]byte, 1))
	if err == io.EOF {
		return nil
	}
	return err
}

func certPool(ca *tlsca.CA) *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	return pool
}
