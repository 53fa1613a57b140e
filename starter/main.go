// The xsoc starter: the HTTP surface that takes alerts, callbacks and report requests,
// and the syslog listeners that take network products' CEF and LEEF events.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"go.temporal.io/sdk/client"

	"xsoc/config"
	"xsoc/starter/server"
	"xsoc/starter/syslogd"
	"xsoc/workflows/start"
)

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(log); err != nil {
		config.Exit(log, "starter", err)
	}
}

func run(log *slog.Logger) error {
	process, err := config.LoadProcess(log)
	if err != nil {
		return err
	}
	settings, customers, temporalSettings := process.Settings, process.Customers, process.Temporal
	// Dial lazily: the starter answers 503 (and /readyz says why) while Temporal is
	// down, instead of refusing to start.
	c, err := client.NewLazyClient(process.ClientOptions)
	if err != nil {
		return fmt.Errorf("Temporal client for %s: %w", temporalSettings.Address, err)
	}
	defer c.Close()

	// Bind before saying so: a taken address ends the starter here, with the error.
	listener, err := net.Listen("tcp", settings.Listen)
	if err != nil {
		return fmt.Errorf("%w (XSOC_LISTEN sets the starter's address)", err)
	}
	handlers := server.New(process, c, log)
	httpServer := &http.Server{Handler: handlers.Handler(), ReadHeaderTimeout: 10 * time.Second}
	servers := []*http.Server{httpServer}
	if settings.MetricsListen != "" {
		// /metrics on an address of its own, without a token: keep it on a network
		// only Prometheus reaches.
		metricsListener, err := net.Listen("tcp", settings.MetricsListen)
		if err != nil {
			return fmt.Errorf("%w (XSOC_METRICS_LISTEN sets the address of the starter's /metrics)", err)
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", handlers.MetricsHandler())
		metricsServer := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		servers = append(servers, metricsServer)
		go func() {
			if err := metricsServer.Serve(metricsListener); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("metrics listener stopped", "address", settings.MetricsListen, "error", err)
			}
		}()
		log.Info("starter metrics listening", "address", metricsListener.Addr().String())
	}
	// Syslog listeners bind here too, and are nil when none is set.
	syslogServer, err := syslogd.New(syslogd.Config{
		Settings: settings.Syslog, Customers: customers, Metrics: handlers.Registry(), Log: log,
		Intake: start.NewIntake(c, process.ClientOptions, customers.SOC),
	})
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// Incidents and requests start pinned to the deployment's current version.
	start.FollowCurrentVersion(ctx, c)
	syslogDone := make(chan error, 1)
	if syslogServer != nil {
		go func() { syslogDone <- syslogServer.Run(ctx) }()
	} else {
		close(syslogDone)
	}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		for _, s := range servers {
			_ = s.Shutdown(shutdown)
		}
	}()
	log.Info("starter listening", "address", listener.Addr().String(), "customers", len(customers.Customers))
	if err := httpServer.Serve(listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	// Queued syslog events get their incidents before the starter ends.
	return <-syslogDone
}
