// Runs every simulator (Cybereason, WithSecure, Zscaler, Slack, Twilio) for `make run`
// and demos, each on its own address, with the credentials the demo's environment holds.
// Each simulator's control API (/_sim/...) creates alerts and plays the human side.
package main

import (
	"errors"
	"flag"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	cybereasonsim "xsoc/integrations/cybereason/sim"
	slacksim "xsoc/integrations/slack/sim"
	twiliosim "xsoc/integrations/twilio/sim"
	withsecuresim "xsoc/integrations/withsecure/sim"
	zscalersim "xsoc/integrations/zscaler/sim"
)

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	addresses := map[string]*string{
		"cybereason": flag.String("cybereason", "127.0.0.1:9101", "Cybereason simulator address"),
		"withsecure": flag.String("withsecure", "127.0.0.1:9102", "WithSecure simulator address"),
		"zscaler":    flag.String("zscaler", "127.0.0.1:9103", "Zscaler simulator address"),
		"slack":      flag.String("slack", "127.0.0.1:9104", "Slack simulator address"),
		"twilio":     flag.String("twilio", "127.0.0.1:9105", "Twilio simulator address"),
	}
	flag.Parse()
	handlers := map[string]http.Handler{
		"cybereason": cybereasonsim.New(os.Getenv("ACME_CR_USER"), os.Getenv("ACME_CR_PASSWORD")),
		"withsecure": withsecuresim.New(os.Getenv("ACME_WS_ID"), os.Getenv("ACME_WS_SECRET")),
		"zscaler":    zscalersim.New(os.Getenv("ACME_ZS_KEY"), os.Getenv("ACME_ZS_USER"), os.Getenv("ACME_ZS_PASSWORD")),
		"slack":      slacksim.New(os.Getenv("XSOC_SLACK_SIGNING_SECRET")),
		"twilio":     twiliosim.New(os.Getenv("XSOC_TWILIO_ACCOUNT_SID"), os.Getenv("XSOC_TWILIO_AUTH_TOKEN")),
	}
	errs := make(chan error, len(handlers))
	var servers []*http.Server
	for name, handler := range handlers {
		server := &http.Server{Addr: *addresses[name], Handler: handler, ReadHeaderTimeout: 10 * time.Second}
		servers = append(servers, server)
		go func() {
			log.Info("simulator listening", "simulator", name, "address", server.Addr)
			if err := server.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errs <- err
			}
		}()
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	select {
	case err := <-errs:
		log.Error("simulator failed", "error", err)
		os.Exit(1)
	case <-stop:
	}
	for _, server := range servers {
		_ = server.Close()
	}
}
