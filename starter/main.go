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

	"xsoc/config"
	"xsoc/starter/server"
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

	httpServer := &http.Server{
		Addr:              settings.Listen,
		Handler:           server.New(process, c, log).Handler(),
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
