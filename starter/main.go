// The xsoc starter: the HTTP surface that takes alerts, callbacks and report requests.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"

	"xsoc/config"
	"xsoc/starter/server"
)

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(log); err != nil {
		log.Error("starter stopped", "error", err)
		var problems *config.ProblemList
		if errors.As(err, &problems) {
			fmt.Fprintln(os.Stderr, problems.Error())
		}
		os.Exit(1)
	}
}

func run(log *slog.Logger) error {
	settings, err := config.LoadSettings()
	if err != nil {
		return err
	}
	customers, err := config.LoadCustomers(settings.CustomersFile)
	if err != nil {
		return err
	}
	temporalSettings, err := config.LoadTemporal()
	if err != nil {
		return err
	}
	options, err := temporalSettings.ClientOptions()
	if err != nil {
		return err
	}
	options.Logger = sdklog.NewStructuredLogger(log)
	// Dial lazily: the starter answers 503 (and /readyz says why) while Temporal is
	// down, instead of refusing to start.
	c, err := client.NewLazyClient(options)
	if err != nil {
		return fmt.Errorf("Temporal client for %s: %w", temporalSettings.Address, err)
	}
	defer c.Close()

	httpServer := &http.Server{
		Addr:              settings.Listen,
		Handler:           server.New(customers, settings, c, temporalSettings.Namespace, log).Handler(),
		ReadHeaderTimeout: 10 * time.Second,
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		_ = httpServer.Shutdown(shutdown)
	}()
	log.Info("starter listening", "address", settings.Listen, "customers", len(customers.Customers))
	if err := httpServer.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
