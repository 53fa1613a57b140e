package devstack

import (
	"os"
	"strconv"
	"strings"
	"testing"

	enumspb "go.temporal.io/api/enums/v1"
	"gopkg.in/yaml.v3"
)

// sqlVisibilitySlots are the columns SQL advanced visibility (schema/postgresql/v12/
// visibility of the server module, v1.9) has for custom search attributes, by type: a
// namespace on PostgreSQL, MySQL or SQLite holds no more.
var sqlVisibilitySlots = map[enumspb.IndexedValueType]int{
	enumspb.INDEXED_VALUE_TYPE_KEYWORD:      10,
	enumspb.INDEXED_VALUE_TYPE_INT:          3,
	enumspb.INDEXED_VALUE_TYPE_DATETIME:     3,
	enumspb.INDEXED_VALUE_TYPE_BOOL:         3,
	enumspb.INDEXED_VALUE_TYPE_DOUBLE:       3,
	enumspb.INDEXED_VALUE_TYPE_TEXT:         3,
	enumspb.INDEXED_VALUE_TYPE_KEYWORD_LIST: 3,
}

// xsoc's search attributes must fit a cluster on SQL visibility: one more Keyword than
// there are columns and the cluster refuses to register it (Elasticsearch has no such
// limit, SQL does).
func TestXsocSearchAttributesFitSQLVisibility(t *testing.T) {
	types, err := searchAttributeTypes()
	if err != nil {
		t.Fatal(err)
	}
	used := map[enumspb.IndexedValueType]int{}
	for _, kind := range types {
		used[kind]++
	}
	for kind, n := range used {
		if n > sqlVisibilitySlots[kind] {
			t.Errorf("%d %s search attributes: SQL visibility has %d columns of that type", n, kind, sqlVisibilitySlots[kind])
		}
	}
}

// The server records its membership ports in a smallint column.
func TestServerPortsFitTheMembershipTable(t *testing.T) {
	ports := freeServerPorts()
	seen := map[string]bool{}
	for _, port := range []string{ports.FrontendHTTP, ports.FrontendMembership, ports.History, ports.HistoryMembership,
		ports.Matching, ports.MatchingMembership, ports.SystemWorker, ports.SystemWorkerMembership} {
		n, err := strconv.Atoi(port)
		if err != nil || n <= 0 || n > 32767 || seen[port] {
			t.Errorf("port %q: want distinct ports from 1 to 32767", port)
		}
		seen[port] = true
	}
}

// The server's config: both stores on PostgreSQL, the frontend refusing clients without
// a certificate of the cluster's CA, the system worker presenting one, and the dynamic
// config file read from where it is.
func TestServerConfigRequiresClientCertificatesAndUsesPostgres(t *testing.T) {
	rendered, err := serverConfig{
		Frontend: "127.0.0.1:7233", FrontendPort: "7233", Metrics: "127.0.0.1:9090", Ports: freeServerPorts(),
		Postgres: &Postgres{Address: "127.0.0.1:5433", User: "temporal", Password: "p@ss"}, Shards: 4,
		DynamicConfig: "/repo/examples/temporal-dynamicconfig.yaml", LogLevel: "warn",
		FrontendCert: "/tls/frontend.pem", FrontendKey: "/tls/frontend-key.pem", CA: "/tls/ca.pem",
		SystemWorkerCert: "/tls/sw.pem", SystemWorkerKey: "/tls/sw-key.pem",
	}.render()
	if err != nil {
		t.Fatal(err)
	}
	var config struct {
		Persistence struct {
			DefaultStore     string `yaml:"defaultStore"`
			VisibilityStore  string `yaml:"visibilityStore"`
			NumHistoryShards int    `yaml:"numHistoryShards"`
			Datastores       map[string]struct {
				SQL struct {
					PluginName   string `yaml:"pluginName"`
					DatabaseName string `yaml:"databaseName"`
					ConnectAddr  string `yaml:"connectAddr"`
					Password     string `yaml:"password"`
				} `yaml:"sql"`
			} `yaml:"datastores"`
		} `yaml:"persistence"`
		Global struct {
			TLS struct {
				Frontend struct {
					Server struct {
						CertFile          string   `yaml:"certFile"`
						RequireClientAuth bool     `yaml:"requireClientAuth"`
						ClientCAFiles     []string `yaml:"clientCaFiles"`
					} `yaml:"server"`
				} `yaml:"frontend"`
				SystemWorker struct {
					CertFile string `yaml:"certFile"`
				} `yaml:"systemWorker"`
			} `yaml:"tls"`
		} `yaml:"global"`
		DynamicConfigClient struct {
			Filepath string `yaml:"filepath"`
		} `yaml:"dynamicConfigClient"`
	}
	if err := yaml.Unmarshal(rendered, &config); err != nil {
		t.Fatalf("the config is not YAML: %v\n%s", err, rendered)
	}
	p := config.Persistence
	for _, store := range []string{p.DefaultStore, p.VisibilityStore} {
		sql := p.Datastores[store].SQL
		if sql.PluginName != "postgres12" || sql.ConnectAddr != "127.0.0.1:5433" || sql.Password != "p@ss" {
			t.Errorf("store %s: %+v", store, sql)
		}
	}
	if p.Datastores[p.VisibilityStore].SQL.DatabaseName != "temporal_visibility" || p.NumHistoryShards != 4 {
		t.Errorf("visibility database %q, %d shards", p.Datastores[p.VisibilityStore].SQL.DatabaseName, p.NumHistoryShards)
	}
	server := config.Global.TLS.Frontend.Server
	if !server.RequireClientAuth || server.CertFile != "/tls/frontend.pem" || len(server.ClientCAFiles) != 1 || server.ClientCAFiles[0] != "/tls/ca.pem" {
		t.Errorf("frontend TLS: %+v", server)
	}
	if config.Global.TLS.SystemWorker.CertFile != "/tls/sw.pem" || config.DynamicConfigClient.Filepath != "/repo/examples/temporal-dynamicconfig.yaml" {
		t.Errorf("system worker certificate %q, dynamic config %q", config.Global.TLS.SystemWorker.CertFile, config.DynamicConfigClient.Filepath)
	}
}

// docker-compose.yml publishes nothing beyond the machine: its frontend and UI have no
// TLS and no authorizer (docs/cluster.md says what production adds).
func TestComposePublishesOnLoopbackOnly(t *testing.T) {
	data, err := os.ReadFile("../../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var compose struct {
		Services map[string]struct {
			Ports []string `yaml:"ports"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(data, &compose); err != nil {
		t.Fatal(err)
	}
	published := 0
	for name, service := range compose.Services {
		for _, port := range service.Ports {
			published++
			if !strings.HasPrefix(port, "127.0.0.1:") {
				t.Errorf("%s publishes %q on every interface: want 127.0.0.1:host:container", name, port)
			}
		}
	}
	if published == 0 {
		t.Error("docker-compose.yml publishes no port at all")
	}
}
