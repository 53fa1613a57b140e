package devstack

import (
	"cmp"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"go.temporal.io/sdk/client"

	"xsoc/config"
	"xsoc/internal/tlsca"
)

// Cluster is the Temporal cluster a stack runs with Options.Cluster: the Temporal
// server v1.29.1 (every service in one process) on a PostgreSQL of its own, which
// holds both the persistence and the SQL advanced-visibility databases; the frontend
// serves mutual TLS only, with certificates of a CA made for the cluster.
type Cluster struct {
	// Frontend is the frontend's gRPC address (TLS; a client certificate of the CA).
	Frontend string
	Postgres *Postgres
	// ClientTLS is the client certificate xsoc's processes present, with the CA that
	// signed it and the frontend's certificate (TEMPORAL_TLS_CERT, _KEY, _CA).
	ClientTLS tlsca.Files
	// ServerConfig is the server's config file; DynamicConfig the dynamic config it
	// reads (examples/temporal-dynamicconfig.yaml of this repository).
	ServerConfig, DynamicConfig string
	// MetricsURL is the server's Prometheus endpoint.
	MetricsURL string

	serverBin, sqlTool string
	server             serverConfig
}

// clusterParts lays out the cluster's parts — PostgreSQL and the Temporal server — on
// the stack's addresses, without starting or building anything yet: their addresses
// are checked first, with every other part's.
func (s *Stack) clusterParts(options Options) ([]*component, error) {
	dynamicConfig, err := repositoryFile("examples/temporal-dynamicconfig.yaml")
	if err != nil {
		return nil, err
	}
	_, frontendPort, _ := net.SplitHostPort(s.addresses.Temporal)
	s.TemporalMetricsURL = "http://" + s.addresses.TemporalMetrics + "/metrics"
	s.Cluster = &Cluster{
		Frontend: s.addresses.Temporal, DynamicConfig: dynamicConfig,
		ServerConfig: filepath.Join(s.Dir, "temporal", "config", "development.yaml"),
		MetricsURL:   s.TemporalMetricsURL,
		Postgres:     &Postgres{Address: s.addresses.Postgres},
	}
	s.ClientOptions = client.Options{HostPort: s.addresses.Temporal, Namespace: "default"}
	s.Cluster.server = serverConfig{
		Frontend: s.addresses.Temporal, FrontendPort: frontendPort, Metrics: s.addresses.TemporalMetrics,
		Ports: freeServerPorts(), Shards: numHistoryShards, DynamicConfig: dynamicConfig,
		LogLevel: cmp.Or(options.TemporalLogLevel, "warn"),
	}
	ports := s.Cluster.server.Ports
	server := &component{
		name: "temporal", title: "Temporal server", log: filepath.Join(s.Logs, "temporal.log"),
		// The server asks the internet for newer versions unless told not to.
		env:     append(os.Environ(), "TEMPORAL_VERSION_CHECK_DISABLED=1"),
		listens: []listen{{s.addresses.Temporal, temporalSetting}, {s.addresses.TemporalMetrics, "the launcher (a free port)"}},
		answers: s.temporalAnswers,
	}
	for _, port := range []string{ports.FrontendHTTP, ports.FrontendMembership, ports.History, ports.HistoryMembership,
		ports.Matching, ports.MatchingMembership, ports.SystemWorker, ports.SystemWorkerMembership} {
		server.listens = append(server.listens, listen{net.JoinHostPort("127.0.0.1", port), "the launcher (a free port)"})
	}
	return []*component{s.Cluster.Postgres.component(filepath.Join(s.Logs, "postgres.log")), server}, nil
}

// launchCluster builds what the cluster needs, prepares PostgreSQL, the certificates
// and the server's config, then starts PostgreSQL, the schemas, the server and Mailpit
// and registers the namespace with xsoc's search attributes.
func (s *Stack) launchCluster(ctx context.Context, options Options, parts []*component, mailpit *component) error {
	postgres, server := parts[0], parts[1]
	c := s.Cluster
	var err error
	if c.serverBin, c.sqlTool, err = TemporalServerTools(ctx, options.logf); err != nil {
		return err
	}
	schemaDir, err := temporalSchemaDir(ctx)
	if err != nil {
		return err
	}
	pgBin, err := findPostgres(ctx, options.logf)
	if err != nil {
		return err
	}
	if err := s.openToPostgres(); err != nil {
		return err
	}
	pg, err := preparePostgres(ctx, pgBin, filepath.Join(s.Dir, "postgres"), s.addresses.Postgres)
	if err != nil {
		return err
	}
	*c.Postgres = *pg
	*postgres = *pg.component(postgres.log)
	if err := s.issueCertificates(); err != nil {
		return err
	}
	c.server.Postgres = pg
	rendered, err := c.server.render()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(c.ServerConfig), 0o700); err != nil {
		return err
	}
	if err := os.WriteFile(c.ServerConfig, rendered, 0o600); err != nil {
		return err
	}
	server.path = c.serverBin
	server.args = []string{"--root", filepath.Dir(filepath.Dir(c.ServerConfig)), "--config", "config", "--env", "development",
		// The frontend admits only clients with a certificate of the cluster's CA (mutual
		// TLS), and each may do anything: production adds an authorizer (docs/security.md, docs/cluster.md).
		"--allow-no-auth", "start"}
	if err := s.launch(ctx, postgres); err != nil {
		return err
	}
	if err := setupSchemas(ctx, c.sqlTool, schemaDir, pg, filepath.Dir(pg.Data)); err != nil {
		return err
	}
	if err := s.launch(ctx, server, mailpit); err != nil {
		return err
	}
	registering, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	return registerNamespace(registering, s.Temporal, s.ClientOptions)
}

// issueCertificates makes the cluster's CA (kept in a kept directory, so that clients
// given its certificate keep working) and the frontend's, xsoc's and the system
// worker's certificates, and points the stack's client options at xsoc's.
func (s *Stack) issueCertificates() error {
	dir := filepath.Join(s.Dir, "tls")
	ca, err := tlsca.LoadOrNew(dir, "xsoc cluster CA")
	if err != nil {
		return err
	}
	frontend, err := ca.Server(dir, "frontend", "localhost", "127.0.0.1")
	if err != nil {
		return err
	}
	systemWorker, err := ca.Client(dir, "temporal-system-worker")
	if err != nil {
		return err
	}
	c := s.Cluster
	if c.ClientTLS, err = ca.Client(dir, "xsoc"); err != nil {
		return err
	}
	c.server.FrontendCert, c.server.FrontendKey, c.server.CA = frontend.Cert, frontend.Key, frontend.CA
	c.server.SystemWorkerCert, c.server.SystemWorkerKey = systemWorker.Cert, systemWorker.Key
	settings := config.Temporal{Address: s.addresses.Temporal, Namespace: "default",
		TLSCert: c.ClientTLS.Cert, TLSKey: c.ClientTLS.Key, TLSCA: c.ClientTLS.CA}
	options, err := settings.ClientOptions()
	if err != nil {
		return err
	}
	s.ClientOptions.ConnectionOptions.TLS = options.ConnectionOptions.TLS
	return nil
}

// openToPostgres lets the postgres user, who runs PostgreSQL, enter the stack's
// directory and those above it up to the repository's (.xsoc, made 0700 for the payload
// key it holds): enter, not list. Directories beyond are not ours to open.
func (s *Stack) openToPostgres() error {
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return fmt.Errorf("go env GOMOD: %w", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(gomod)))
	for dir := s.Dir; ; dir = filepath.Dir(dir) {
		info, err := os.Stat(dir)
		if err != nil {
			return err
		}
		if err := os.Chmod(dir, info.Mode().Perm()|0o011); err != nil {
			return err
		}
		if s.temporary || !strings.HasPrefix(filepath.Dir(dir), root+string(filepath.Separator)) {
			return nil
		}
	}
}

// repositoryFile answers the path of a file of this repository (the module's root),
// wherever the caller runs from.
func repositoryFile(name string) (string, error) {
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(gomod)))
	path := filepath.Join(root, name)
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("the cluster needs this repository's %s: %w", name, err)
	}
	return path, nil
}
