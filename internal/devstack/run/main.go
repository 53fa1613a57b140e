// `make run`: the whole xsoc on this machine — the Temporal dev server and its UI
// (state in .xsoc/temporal.db), Mailpit as the SMTP sink, simulators for the vendors,
// Slack and Twilio, the worker and the starter — started by the same devstack as the
// end-to-end tests. It prints the URLs once every part answers, names the part that
// fails with the end of its log and the setting that moves it, and stops everything
// on Ctrl-C.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"xsoc/internal/devstack"
)

// stateDir holds the dev server's and Mailpit's databases, the binaries and the logs.
const stateDir = ".xsoc"

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(log); err != nil {
		fmt.Fprintf(os.Stderr, "\nxsoc stopped: %v\n", err)
		os.Exit(1)
	}
}

func run(log *slog.Logger) error {
	addresses, err := devstack.AddressesFromEnv(os.Getenv)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log.Info("starting xsoc: the Temporal dev server, Mailpit, the simulators, the worker and the starter", "logs", stateDir+"/logs")
	ownSlack, ownTwilio := os.Getenv("XSOC_SLACK_TOKEN") != "", os.Getenv("XSOC_TWILIO_ACCOUNT_SID") != ""
	stack, err := devstack.Start(ctx, devstack.Options{
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
	})
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
	printURLs(os.Stdout, stack, ownSlack, ownTwilio)
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
	"ACME_CR_USER=" + devstack.CybereasonUser, "ACME_CR_PASSWORD=" + devstack.CybereasonPassword,
	"ACME_WS_ID=" + devstack.WithSecureClientID, "ACME_WS_SECRET=" + devstack.WithSecureSecret,
	"ACME_ZS_KEY=" + devstack.ZscalerAPIKey, "ACME_ZS_USER=" + devstack.ZscalerUser, "ACME_ZS_PASSWORD=" + devstack.ZscalerPassword,
}

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

func printURLs(w io.Writer, stack *devstack.Stack, ownSlack, ownTwilio bool) {
	publicURL, _ := lookup(stack.Env, "XSOC_PUBLIC_URL")
	secret, _ := lookup(stack.Env, "ACME_WEBHOOK_SECRET")
	dashboardToken, _ := lookup(stack.Env, "XSOC_DASHBOARD_TOKEN")
	var simulators []string
	for _, name := range devstack.SimulatorNames {
		url := stack.SimulatorURLs[name]
		if name == "slack" && ownSlack || name == "twilio" && ownTwilio {
			url += " (unused: real credentials set)"
		}
		simulators = append(simulators, fmt.Sprintf("%-11s %s", name, url))
	}
	_, _ = fmt.Fprintf(w, `
xsoc is running (logs in %s/logs/, Ctrl-C stops everything):
  Temporal UI    %s
  Mailpit        %s
  Webhook base   %s/v1/alerts/{vendor}/{customer}   (bearer secret: $ACME_WEBHOOK_SECRET = %s)
  Dashboard      %s/dashboard   (token: $XSOC_DASHBOARD_TOKEN = %s)
  Worker metrics %s   (the SDK's: task latencies, slots, sticky cache)
  Simulators     %s

`, stateDir, stack.Dev.UIURL(), stack.MailpitURL, publicURL, secret, publicURL, dashboardToken, stack.WorkerMetricsURL,
		strings.Join(simulators, "\n                 "))
}
