// `make run`: the whole xsoc on this machine — the Temporal dev server and its UI
// (state in .xsoc/temporal.db), Mailpit as the SMTP sink, simulators for the vendors,
// Slack and Twilio, the worker and the starter — started by the same devstack as the
// end-to-end tests. It prints the URLs once every part answers, names the part that
// fails with the end of its log and the setting that moves it, and stops everything
// on Ctrl-C.
//
// `make cluster` (-cluster): the production topology instead — the Temporal server
// v1.29.1 on PostgreSQL behind mutual TLS, two workers and two starters behind one
// address (state in .xsoc/cluster/) — started by the same devstack as the cluster tests.
package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"xsoc/internal/devstack"
)

// stateDir holds the dev server's and Mailpit's databases, the binaries and the logs;
// clusterDir the cluster's (PostgreSQL's data, the certificates, the server's config).
const (
	stateDir   = ".xsoc"
	clusterDir = ".xsoc/cluster"
)

// clusterDirSetting moves the cluster's state, e.g. out of a home directory the
// postgres user may not enter.
const clusterDirSetting = "XSOC_CLUSTER_DIR"

// clusterReplicas is how many workers and starters make cluster runs.
const clusterReplicas = 2

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(log); err != nil {
		fmt.Fprintf(os.Stderr, "\nxsoc stopped: %v\n", err)
		os.Exit(1)
	}
}

func run(log *slog.Logger) error {
	cluster := flag.Bool("cluster", false, "run the production topology: the Temporal server on PostgreSQL behind mutual TLS, two workers, two starters")
	flag.Parse()
	addresses, err := devstack.AddressesFromEnv(os.Getenv)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ownSlack, ownTwilio := os.Getenv("XSOC_SLACK_TOKEN") != "", os.Getenv("XSOC_TWILIO_ACCOUNT_SID") != ""
	options := devstack.Options{
		Dir:       stateDir,
		Addresses: addresses,
		UI:        true,
		PersistDB: true,
		// WAL journal and synchronous=normal: SQLite's default (a rollback journal synced
		// on every commit) makes the dev server's disk the bottleneck; `make bench`
		// measured 1.7 to 2 times the throughput this way. A crash of the machine may
		// lose the last commits of this dev database.
		SQLitePragmas:    []string{"journal_mode=wal", "synchronous=normal"},
		TemporalLogLevel: "warn",
		OwnSlack:         ownSlack,
		OwnTwilio:        ownTwilio,
		Env:              environment(os.Environ()),
		Logf:             func(format string, args ...any) { log.Info(fmt.Sprintf(format, args...)) },
	}
	if *cluster {
		// The cluster runs no UI (the dev server's is the CLI's own) and keeps its state
		// apart from make run's.
		options.Dir, options.Cluster, options.UI, options.PersistDB, options.SQLitePragmas = cmp.Or(os.Getenv(clusterDirSetting), clusterDir), true, false, false, nil
		options.Workers, options.Starters = clusterReplicas, clusterReplicas
		log.Info("starting the xsoc cluster: PostgreSQL, the Temporal server, Mailpit, the simulators, 2 workers and 2 starters", "state", options.Dir)
	} else {
		log.Info("starting xsoc: the Temporal dev server, Mailpit, the simulators, the worker and the starter", "logs", stateDir+"/logs")
	}
	stack, err := devstack.Start(ctx, options)
	if stack != nil {
		defer func() {
			log.Info("stopping xsoc")
			stack.Stop()
		}()
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil // Ctrl-C while starting
		}
		return err
	}
	if *cluster {
		printCluster(os.Stdout, stack, ownSlack, ownTwilio)
	} else {
		printURLs(os.Stdout, stack, ownSlack, ownTwilio)
	}
	err = stack.Wait(ctx)
	if ctx.Err() != nil {
		// Ctrl-C reaches the whole process group: a part that ended on it did not fail.
		return nil
	}
	return err
}

// demoDefaults are the settings of the demo: the example customers file, whose
// platforms are the simulators, and the secrets it names, set to what the simulators
// accept.
var demoDefaults = []string{
	"XSOC_CUSTOMERS_FILE=examples/customers.yaml",
	"ACME_WEBHOOK_SECRET=demo-secret", "GLOBEX_WEBHOOK_SECRET=demo-secret",
	"XSOC_DASHBOARD_TOKEN=demo-dashboard-token",
	// ACME's demo firewall sends CEF from this machine (examples/customers.yaml).
	"XSOC_SYSLOG_TCP=" + demoSyslog, "XSOC_SYSLOG_UDP=" + demoSyslog,
	"ACME_CR_USER=" + devstack.CybereasonUser, "ACME_CR_PASSWORD=" + devstack.CybereasonPassword,
	"ACME_WS_ID=" + devstack.WithSecureClientID, "ACME_WS_SECRET=" + devstack.WithSecureSecret,
	"ACME_ZS_KEY=" + devstack.ZscalerAPIKey, "ACME_ZS_USER=" + devstack.ZscalerUser, "ACME_ZS_PASSWORD=" + devstack.ZscalerPassword,
}

// demoSyslog is where make run's starter takes syslog, over TCP and UDP.
const demoSyslog = "127.0.0.1:5140"

// environment is what the worker and starter get on top of the stack's settings: the
// demo's defaults, then every XSOC_ variable of the caller's environment, which wins.
func environment(callers []string) []string {
	env := append([]string{}, demoDefaults...)
	for _, variable := range callers {
		if strings.HasPrefix(variable, "XSOC_") || strings.HasPrefix(variable, "ACME_") || strings.HasPrefix(variable, "GLOBEX_") {
			env = append(env, variable)
		}
	}
	return env
}

// lookup reads a variable from an environment list, the last setting winning.
func lookup(env []string, name string) (string, bool) {
	value, found := "", false
	for _, variable := range env {
		if v, ok := strings.CutPrefix(variable, name+"="); ok {
			value, found = v, true
		}
	}
	return value, found
}

// simulatorLines lists the simulators' URLs, one a line, under the printout's column.
func simulatorLines(stack *devstack.Stack, ownSlack, ownTwilio bool) string {
	var simulators []string
	for _, name := range devstack.SimulatorNames {
		url := stack.SimulatorURLs[name]
		if name == "slack" && ownSlack || name == "twilio" && ownTwilio {
			url += " (unused: real credentials set)"
		}
		simulators = append(simulators, fmt.Sprintf("%-11s %s", name, url))
	}
	return strings.Join(simulators, "\n                 ")
}

func printURLs(w io.Writer, stack *devstack.Stack, ownSlack, ownTwilio bool) {
	publicURL, _ := lookup(stack.Env, "XSOC_PUBLIC_URL")
	secret, _ := lookup(stack.Env, "ACME_WEBHOOK_SECRET")
	dashboardToken, _ := lookup(stack.Env, "XSOC_DASHBOARD_TOKEN")
	_, _ = fmt.Fprintf(w, `
xsoc is running (logs in %s/logs/, Ctrl-C stops everything):
  Temporal UI    %s
  Mailpit        %s
  Webhook base   %s/v1/alerts/{vendor}/{customer}   (bearer secret: $ACME_WEBHOOK_SECRET = %s)
  Dashboard      %s/dashboard   (token: $XSOC_DASHBOARD_TOKEN = %s)
  Worker metrics %s   (the SDK's: task latencies, slots, sticky cache)
  Simulators     %s
%s
`, stateDir, stack.Dev.UIURL(), stack.MailpitURL, publicURL, secret, publicURL, dashboardToken, stack.WorkerMetricsURL,
		simulatorLines(stack, ownSlack, ownTwilio), syslogLine(stack))
}

// syslogLine says where the starter takes syslog, and how to send it an event.
func syslogLine(stack *devstack.Stack) string {
	if stack.SyslogTCP == "" && stack.SyslogUDP == "" {
		return ""
	}
	host, port, _ := net.SplitHostPort(stack.SyslogTCP)
	return fmt.Sprintf(`  Syslog         tcp %s, udp %s   (try: logger --tcp --octet-count --rfc5424 -n %s -P %s \
                   'CEF:0|Fortinet|Fortigate|7.2|16384|utm:ips signature reset|7|src=198.51.100.23 dst=10.1.2.3 dhost=osk-pc-17 duser=taro')
`, stack.SyslogTCP, stack.SyslogUDP, host, port)
}

// printCluster says where every part of the cluster is, and the settings a client
// (the temporal CLI, another worker) connects with.
func printCluster(w io.Writer, stack *devstack.Stack, ownSlack, ownTwilio bool) {
	publicURL, _ := lookup(stack.Env, "XSOC_PUBLIC_URL")
	secret, _ := lookup(stack.Env, "ACME_WEBHOOK_SECRET")
	dashboardToken, _ := lookup(stack.Env, "XSOC_DASHBOARD_TOKEN")
	c := stack.Cluster
	var replicas []string
	for _, name := range append(stack.Workers(), stack.Starters()...) {
		pid, _ := stack.PID(name)
		replicas = append(replicas, fmt.Sprintf("%-10s pid %-7d log %s/%s.log", name, pid, stack.Logs, name))
	}
	_, _ = fmt.Fprintf(w, `
the xsoc cluster is running (logs in %s/, Ctrl-C stops everything):
  Temporal frontend   %s   (gRPC, mutual TLS: a client certificate of the cluster's CA)
  Temporal metrics    %s
  PostgreSQL          %s   (user %s, password in %s; databases temporal, temporal_visibility; data %s)
  Starters            %s   (spread over %s)
  Webhook base        %s/v1/alerts/{vendor}/{customer}   (bearer secret: $ACME_WEBHOOK_SECRET = %s)
  Dashboard           %s/dashboard   (token: $XSOC_DASHBOARD_TOKEN = %s)
  Mailpit             %s
  Replicas            %s
  Simulators          %s

The temporal CLI (and any other client) reaches the cluster with:
  export %s

`, stack.Logs, c.Frontend, c.MetricsURL, c.Postgres.Address, c.Postgres.User, filepath.Join(filepath.Dir(c.Postgres.Data), "password"), c.Postgres.Data,
		stack.StarterURL, strings.Join(stack.StarterURLs, ", "), publicURL, secret, publicURL, dashboardToken, stack.MailpitURL,
		strings.Join(replicas, "\n                      "), strings.ReplaceAll(simulatorLines(stack, ownSlack, ownTwilio), "\n                 ", "\n                      "),
		strings.Join(stack.TemporalEnv(), " "))
}
