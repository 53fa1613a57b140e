package devstack

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// Addresses are where the parts of the stack listen (host:port). The tests leave them
// empty, for free ports; make run reads them from the environment (AddressesFromEnv).
type Addresses struct {
	Temporal string // the dev server's frontend (gRPC)
	// TemporalUI is the port of the Temporal UI, on the frontend's host; empty: no UI.
	TemporalUI string
	// TemporalMetrics is the dev server's Prometheus /metrics (persistence requests,
	// task latencies), which the benchmark reads; empty: a free port.
	TemporalMetrics string
	Mailpit         string // Mailpit's web UI and API
	SMTP            string // Mailpit's SMTP
	// Starter is the starter's address, or the balancer's in front of several.
	Starter string
	// Starters are the starter replicas' own addresses when several run; empty: the
	// ports after Starter's (8081, 8082 under make cluster).
	Starters []string
	// Postgres is the cluster's PostgreSQL (5433 under make cluster: Debian's own
	// cluster, when one runs, has 5432).
	Postgres string
	// WorkerMetrics is the (first) worker's own /metrics and /readyz (XSOC_WORKER_METRICS_LISTEN).
	WorkerMetrics string
	// Simulators by name (cybereason, withsecure, zscaler, slack, twilio).
	Simulators map[string]string
}

// SimulatorNames are the simulators the stack runs, in the order make run lists them.
var SimulatorNames = []string{"cybereason", "withsecure", "zscaler", "slack", "twilio"}

// The environment variables that set each address under make run. Those the worker
// and starter read too (TEMPORAL_ADDRESS, XSOC_SMTP_*, XSOC_LISTEN, XSOC_UI_URL) keep
// their meaning; the others exist for make run alone.
const (
	temporalSetting = "TEMPORAL_ADDRESS"
	uiSetting       = "XSOC_UI_URL"
	mailpitSetting  = "XSOC_MAILPIT_LISTEN"
	smtpSetting     = "XSOC_SMTP_PORT"
	starterSetting  = "XSOC_LISTEN"
	// workerMetricsSetting is the worker's own; the stack hands its address to the worker.
	workerMetricsSetting = "XSOC_WORKER_METRICS_LISTEN"
	startersSetting      = "XSOC_LISTEN (the starters take the ports after its)"
	postgresSetting      = "XSOC_POSTGRES_LISTEN"
)

func simulatorSetting(name string) string {
	return "XSOC_SIM_" + strings.ToUpper(name) + "_LISTEN"
}

// AddressesFromEnv answers make run's addresses: each from its variable, else the
// default docs/running.md documents (Temporal 7233 and its UI 8233, Mailpit 8025 and SMTP
// 1025, the simulators 9101 to 9105, the starter 8080, the worker's metrics 9090).
func AddressesFromEnv(getenv func(string) string) (Addresses, error) {
	get := func(name, fallback string) string {
		if value := getenv(name); value != "" {
			return value
		}
		return fallback
	}
	a := Addresses{
		Temporal:      get(temporalSetting, "127.0.0.1:7233"),
		Mailpit:       get(mailpitSetting, "127.0.0.1:8025"),
		SMTP:          net.JoinHostPort(get("XSOC_SMTP_HOST", "127.0.0.1"), get(smtpSetting, "1025")),
		Starter:       get(starterSetting, "127.0.0.1:8080"),
		Postgres:      get(postgresSetting, "127.0.0.1:5433"),
		WorkerMetrics: get(workerMetricsSetting, "127.0.0.1:9090"),
		Simulators:    map[string]string{},
	}
	ui, err := url.Parse(get(uiSetting, "http://localhost:8233"))
	if err != nil || ui.Port() == "" {
		return a, fmt.Errorf("%s=%q: want a URL with a port, such as http://localhost:8233", uiSetting, getenv(uiSetting))
	}
	a.TemporalUI = ui.Port()
	for i, name := range SimulatorNames {
		a.Simulators[name] = get(simulatorSetting(name), fmt.Sprintf("127.0.0.1:%d", 9101+i))
	}
	for name, address := range map[string]string{temporalSetting: a.Temporal, mailpitSetting: a.Mailpit, smtpSetting: a.SMTP, starterSetting: a.Starter,
		postgresSetting: a.Postgres, workerMetricsSetting: a.WorkerMetrics} {
		if _, _, err := net.SplitHostPort(address); err != nil {
			return a, fmt.Errorf("%s=%q: want host:port", name, address)
		}
	}
	return a, nil
}

// withFreePorts fills every empty address with a free port on 127.0.0.1 (the
// simulators bind port 0 themselves). The UI stays off unless asked for; PostgreSQL
// runs on a cluster only. Several starters listen on the ports after a given
// Starter's, or on free ones.
func (a Addresses) withFreePorts(ui, cluster bool, starters int) Addresses {
	given := a.Starter != ""
	addresses := []*string{&a.Temporal, &a.TemporalMetrics, &a.Mailpit, &a.SMTP, &a.Starter, &a.WorkerMetrics}
	if cluster {
		addresses = append(addresses, &a.Postgres)
	}
	for _, address := range addresses {
		if *address == "" {
			*address = FreeAddress()
		}
	}
	switch {
	case starters == 1:
		a.Starters = []string{a.Starter}
	case len(a.Starters) == starters:
	case given:
		host, port, _ := net.SplitHostPort(a.Starter)
		first, _ := strconv.Atoi(port)
		a.Starters = nil
		for i := range starters {
			a.Starters = append(a.Starters, net.JoinHostPort(host, strconv.Itoa(first+1+i)))
		}
	default:
		a.Starters = nil
		for range starters {
			a.Starters = append(a.Starters, FreeAddress())
		}
	}
	if ui && a.TemporalUI == "" {
		_, a.TemporalUI, _ = net.SplitHostPort(FreeAddress())
	}
	simulators := map[string]string{}
	for _, name := range SimulatorNames {
		simulators[name] = a.Simulators[name]
		if simulators[name] == "" {
			simulators[name] = "127.0.0.1:0"
		}
	}
	a.Simulators = simulators
	return a
}
