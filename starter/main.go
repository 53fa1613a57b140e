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
	"xsoc/workflows"
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
	srv := server.New(process, c, log)
	httpServer := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
	}
	// Syslog listeners bind here too, and are nil when none is set.
	syslogServer, err := syslogd.New(syslogd.Config{
		Settings: settings.Syslog, Customers: customers, Metrics: srv.Registry(), Log: log,
		Intake: workflows.NewIntake(c, process.ClientOptions, customers.SOC),
	})
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
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
		_ = httpServer.Shutdown(shutdown)
	}()
	log.Info("starter listening", "address", listener.Addr().String(), "customers", len(customers.Customers))
	if err := httpServer.Serve(listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	// Queued syslog events get their incidents before the starter ends.
	return <-syslogDone
}
