package devstack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	mathrand "math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"text/template"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/types/known/durationpb"

	"xsoc/workflows/api"
)

// TemporalServerVersion is the Temporal server the cluster runs, built from source with
// `go install` like the CLI: its schema files come from the same module.
const TemporalServerVersion = "v1.29.1"

// The server and its SQL schema tool install into a directory of their own under
// GOPATH/bin: their package names (server, sql) say nothing beside other tools'.
const (
	temporalServerBinEnv = "XSOC_TEMPORAL_SERVER_BIN"
	temporalSQLToolEnv   = "XSOC_TEMPORAL_SQL_TOOL_BIN"
	temporalServerModule = "go.temporal.io/server"
)

// clusterRetention is how long the namespace keeps closed workflows: a month's
// closed incidents stay open to the analysts checking the monthly report.
const clusterRetention = 30 * 24 * time.Hour

// numHistoryShards is fixed when the persistence database is created and never
// changes: 4 suits one machine of 2 cores (a production cluster sizes it for its
// peak, typically 512 or more).
const numHistoryShards = 4

// TemporalServerTools answers the server binary and its SQL schema tool, building them
// with `go install …@v1.29.1` (about 3 minutes, once; cached in GOPATH/bin after) when
// they are missing. $XSOC_TEMPORAL_SERVER_BIN and $XSOC_TEMPORAL_SQL_TOOL_BIN name
// others.
func TemporalServerTools(ctx context.Context, logf func(string, ...any)) (server, sqlTool string, err error) {
	gopath, err := exec.CommandContext(ctx, "go", "env", "GOPATH").Output()
	if err != nil {
		return "", "", fmt.Errorf("go env GOPATH: %w", err)
	}
	dir := filepath.Join(strings.TrimSpace(string(gopath)), "bin", "temporal-server-"+TemporalServerVersion)
	server, sqlTool = os.Getenv(temporalServerBinEnv), os.Getenv(temporalSQLToolEnv)
	if server == "" {
		server = filepath.Join(dir, "server")
	}
	if sqlTool == "" {
		sqlTool = filepath.Join(dir, "sql")
	}
	var missing []string
	for _, tool := range []struct{ path, pkg string }{{server, "/cmd/server"}, {sqlTool, "/cmd/tools/sql"}} {
		if _, err := os.Stat(tool.path); err != nil {
			if filepath.Dir(tool.path) != dir {
				return "", "", fmt.Errorf("%s: %w", tool.path, err)
			}
			missing = append(missing, temporalServerModule+tool.pkg+"@"+TemporalServerVersion)
		}
	}
	if len(missing) > 0 {
		logf("building the Temporal server %s and its schema tool (go install, about 3 minutes the first time)", TemporalServerVersion)
		install := exec.CommandContext(ctx, "go", append([]string{"install"}, missing...)...)
		install.Env = append(os.Environ(), "GOBIN="+dir)
		if out, err := install.CombinedOutput(); err != nil {
			return "", "", fmt.Errorf("go install %s: %v\n%s", strings.Join(missing, " "), err, lastLines(string(out), 15))
		}
	}
	return server, sqlTool, nil
}

// temporalSchemaDir answers the directory of the server module's PostgreSQL schemas,
// which `go install` put in the module cache.
func temporalSchemaDir(ctx context.Context) (string, error) {
	modcache, err := exec.CommandContext(ctx, "go", "env", "GOMODCACHE").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMODCACHE: %w", err)
	}
	dir := filepath.Join(strings.TrimSpace(string(modcache)), temporalServerModule+"@"+TemporalServerVersion, "schema", "postgresql", "v12")
	if _, err := os.Stat(dir); err != nil {
		return "", fmt.Errorf("the Temporal server's schema files: %w (go mod download %s@%s fetches them)", err, temporalServerModule, TemporalServerVersion)
	}
	return dir, nil
}

// temporalDatabases are the persistence and the (SQL advanced) visibility databases,
// each with its schema directory under schema/postgresql/v12.
var temporalDatabases = []struct{ name, schema string }{
	{"temporal", "temporal"},
	{"temporal_visibility", "visibility"},
}

// setupSchemas creates both databases and brings their schemas to the server's
// version. A database made by an earlier run is only updated (update-schema applies
// what a newer server needs, as a production upgrade does); schemaReady marks the
// databases whose creation finished.
func setupSchemas(ctx context.Context, sqlTool, schemaDir string, pg *Postgres, stateDir string) error {
	host, port, _ := net.SplitHostPort(pg.Address)
	for _, db := range temporalDatabases {
		base := []string{"--plugin", "postgres12", "--endpoint", host, "--port", port,
			"--user", pg.User, "--password", pg.Password, "--database", db.name}
		ready := filepath.Join(stateDir, "schema-"+db.name+".ready")
		var steps [][]string
		if _, err := os.Stat(ready); err != nil {
			steps = append(steps, []string{"create-database", "--defaultdb", "postgres"}, []string{"setup-schema", "--version", "0.0"})
		}
		steps = append(steps, []string{"update-schema", "--schema-dir", filepath.Join(schemaDir, db.schema, "versioned")})
		for _, step := range steps {
			out, err := exec.CommandContext(ctx, sqlTool, append(base, step...)...).CombinedOutput()
			if err != nil {
				return fmt.Errorf("temporal-sql-tool %s on %s: %v\n%s", step[0], db.name, err, lastLines(string(out), 10))
			}
		}
		if err := os.WriteFile(ready, nil, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// serverPorts are the Temporal server's own ports beside the frontend's: each service's
// gRPC and membership (gossip) ports. They stay the same across restarts of the server,
// so that it finds its own membership records again.
type serverPorts struct {
	FrontendHTTP, FrontendMembership     string
	History, HistoryMembership           string
	Matching, MatchingMembership         string
	SystemWorker, SystemWorkerMembership string
}

// freeServerPorts picks the ports below 32768: the server records its membership port
// in PostgreSQL as a smallint, and the kernel's free ports (FreeAddress) lie above.
func freeServerPorts() serverPorts {
	taken := map[int]bool{}
	port := func() string {
		for {
			p := 10000 + mathrand.IntN(32767-10000) //nolint:gosec // G404: a port to try, not a secret
			if taken[p] {
				continue
			}
			if addressFree(net.JoinHostPort("127.0.0.1", strconv.Itoa(p))) == nil {
				taken[p] = true
				return strconv.Itoa(p)
			}
		}
	}
	return serverPorts{port(), port(), port(), port(), port(), port(), port(), port()}
}

// serverConfig is what the server's config template reads.
type serverConfig struct {
	Frontend, FrontendPort, Metrics string
	Ports                           serverPorts
	Postgres                        *Postgres
	PostgresHost, PostgresPort      string
	Shards                          int
	DynamicConfig                   string
	LogLevel                        string
	// The frontend's certificate, the CA its clients must present certificates of,
	// and the system worker's client certificate.
	FrontendCert, FrontendKey, CA     string
	SystemWorkerCert, SystemWorkerKey string
}

// serverConfigTemplate starts from config/development-postgres12.yaml of the server
// module: PostgreSQL for persistence and SQL advanced visibility, every service in one
// process on 127.0.0.1, and the frontend behind mutual TLS: a client must present a
// certificate of the cluster's CA (the server's own system worker included).
var serverConfigTemplate = template.Must(template.New("").Parse(`# Written by xsoc's launcher (internal/devstack) at each start of the cluster.
log:
  stdout: true
  level: {{.LogLevel}}

persistence:
  defaultStore: postgres-default
  visibilityStore: postgres-visibility
  numHistoryShards: {{.Shards}}
  datastores:
    postgres-default:
      sql:
        pluginName: "postgres12"
        databaseName: "temporal"
        connectAddr: "{{.Postgres.Address}}"
        connectProtocol: "tcp"
        user: "{{.Postgres.User}}"
        password: "{{.Postgres.Password}}"
        maxConns: 20
        maxIdleConns: 20
        maxConnLifetime: "1h"
    postgres-visibility:
      sql:
        pluginName: "postgres12"
        databaseName: "temporal_visibility"
        connectAddr: "{{.Postgres.Address}}"
        connectProtocol: "tcp"
        user: "{{.Postgres.User}}"
        password: "{{.Postgres.Password}}"
        maxConns: 10
        maxIdleConns: 10
        maxConnLifetime: "1h"

global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: "127.0.0.1"
  metrics:
    prometheus:
      framework: "tally"
      timerType: "histogram"
      listenAddress: "{{.Metrics}}"
  tls:
    frontend:
      server:
        certFile: "{{.FrontendCert}}"
        keyFile: "{{.FrontendKey}}"
        requireClientAuth: true
        clientCaFiles: ["{{.CA}}"]
      client:
        serverName: "localhost"
        rootCaFiles: ["{{.CA}}"]
    systemWorker:
      certFile: "{{.SystemWorkerCert}}"
      keyFile: "{{.SystemWorkerKey}}"
      client:
        serverName: "localhost"
        rootCaFiles: ["{{.CA}}"]

services:
  frontend:
    rpc:
      grpcPort: {{.FrontendPort}}
      membershipPort: {{.Ports.FrontendMembership}}
      bindOnLocalHost: true
      httpPort: {{.Ports.FrontendHTTP}}
  matching:
    rpc:
      grpcPort: {{.Ports.Matching}}
      membershipPort: {{.Ports.MatchingMembership}}
      bindOnLocalHost: true
  history:
    rpc:
      grpcPort: {{.Ports.History}}
      membershipPort: {{.Ports.HistoryMembership}}
      bindOnLocalHost: true
  worker:
    rpc:
      grpcPort: {{.Ports.SystemWorker}}
      membershipPort: {{.Ports.SystemWorkerMembership}}
      bindOnLocalHost: true

clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: "active"
  currentClusterName: "active"
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: "frontend"
      rpcAddress: "localhost:{{.FrontendPort}}"

dcRedirectionPolicy:
  policy: "noop"

dynamicConfigClient:
  filepath: "{{.DynamicConfig}}"
  pollInterval: "10s"
`))

func (c serverConfig) render() ([]byte, error) {
	var out bytes.Buffer
	err := serverConfigTemplate.Execute(&out, c)
	return out.Bytes(), err
}

// registerNamespace makes the namespace the processes use, with xsoc's search
// attributes (each mapped to a column of SQL visibility), and waits until every
// service of the server knows both: their caches of namespaces refresh every 10 s.
// It does nothing that is done already, so that it runs at every start.
func registerNamespace(ctx context.Context, c client.Client, options client.Options) error {
	namespaces, err := client.NewNamespaceClient(options)
	if err != nil {
		return err
	}
	defer namespaces.Close()
	err = namespaces.Register(ctx, &workflowservice.RegisterNamespaceRequest{
		Namespace: options.Namespace, WorkflowExecutionRetentionPeriod: durationpb.New(clusterRetention),
		Description: "xsoc (make cluster)",
	})
	var exists *serviceerror.NamespaceAlreadyExists
	if err != nil && !errors.As(err, &exists) {
		return fmt.Errorf("registering namespace %s: %w", options.Namespace, err)
	}
	wanted, err := searchAttributeTypes()
	if err != nil {
		return err
	}
	missing, err := missingSearchAttributes(ctx, c, options.Namespace, wanted)
	if err != nil {
		return err
	}
	if len(missing) == 0 {
		return waitNamespaceServed(ctx, c, options.Namespace, wanted)
	}
	if _, err := c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace: options.Namespace, SearchAttributes: missing,
	}); err != nil {
		return fmt.Errorf("registering search attributes: %w", err)
	}
	if err := waitNamespaceServed(ctx, c, options.Namespace, wanted); err != nil {
		return err
	}
	// The frontend has them; the history service, which checks each upsert, refreshes
	// its cache on its own beat, at most one interval later.
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(namespaceCacheRefresh):
		return nil
	}
}

// namespaceCacheRefresh is the server's system.namespaceCacheRefreshInterval (10 s by
// default), with a margin.
const namespaceCacheRefresh = 11 * time.Second

// searchAttributeTypes reads api.SearchAttributeTypes (Name=Type).
func searchAttributeTypes() (map[string]enumspb.IndexedValueType, error) {
	types := map[string]enumspb.IndexedValueType{}
	for _, attribute := range api.SearchAttributeTypes {
		name, typeName, _ := strings.Cut(attribute, "=")
		kind, err := enumspb.IndexedValueTypeFromString(typeName)
		if err != nil {
			return nil, fmt.Errorf("search attribute %s: %w", name, err)
		}
		types[name] = kind
	}
	return types, nil
}

func missingSearchAttributes(ctx context.Context, c client.Client, namespace string, wanted map[string]enumspb.IndexedValueType) (map[string]enumspb.IndexedValueType, error) {
	registered, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return nil, fmt.Errorf("listing search attributes: %w", err)
	}
	missing := map[string]enumspb.IndexedValueType{}
	for name, kind := range wanted {
		have, found := registered.GetCustomAttributes()[name]
		switch {
		case !found:
			missing[name] = kind
		case have != kind:
			return nil, fmt.Errorf("search attribute %s is registered as %s, but xsoc writes %s", name, have, kind)
		}
	}
	return missing, nil
}

// waitNamespaceServed waits until the frontend answers a visibility query on every
// search attribute and the history service knows the namespace (a workflow it does
// not hold is "not found", not the namespace).
func waitNamespaceServed(ctx context.Context, c client.Client, namespace string, wanted map[string]enumspb.IndexedValueType) error {
	var conditions []string
	for name, kind := range wanted {
		if kind == enumspb.INDEXED_VALUE_TYPE_KEYWORD {
			conditions = append(conditions, name+`="-"`)
		}
	}
	query := strings.Join(conditions, " OR ")
	var last error
	for {
		_, last = c.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Namespace: namespace, Query: query})
		if last == nil {
			_, last = c.DescribeWorkflow(ctx, "xsoc/namespace-probe", "")
			var notFound *serviceerror.NotFound
			if errors.As(last, &notFound) {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("namespace %s not served with xsoc's search attributes: %v", namespace, last)
		case <-time.After(500 * time.Millisecond):
		}
	}
}
