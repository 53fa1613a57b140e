package config

import (
	"errors"
	"fmt"
	"log/slog"
	"os"

	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"

	"xsoc/internal/codec"
)

// Process is what the worker and the starter read when they start: their settings,
// the customers file and the Temporal connection.
type Process struct {
	Settings  Settings
	Customers *Customers
	Temporal  Temporal
	// ClientOptions carry the codec: every client and worker built from them encrypts
	// what it writes to Temporal.
	ClientOptions client.Options
	// Codec is the payload key ring, for the starter's codec server.
	Codec *codec.Ring
}

// LoadProcess reads and checks everything a process needs, logging Temporal's
// messages through log. Any problem stops the process before it starts anything.
func LoadProcess(log *slog.Logger) (Process, error) {
	var p Process
	var err error
	if p.Settings, err = LoadSettings(); err != nil {
		return p, err
	}
	if p.Customers, err = LoadCustomers(p.Settings.CustomersFile); err != nil {
		return p, err
	}
	if p.Customers.SOC == nil {
		log.Warn("the customers file has no soc: block: every alert pages the customer's own chain, with no SOC triage first",
			"file", p.Settings.CustomersFile)
	}
	if p.Temporal, err = LoadTemporal(); err != nil {
		return p, err
	}
	if p.ClientOptions, err = p.Temporal.ClientOptions(); err != nil {
		return p, err
	}
	if p.Codec, err = LoadCodec(os.Getenv, log); err != nil {
		return p, err
	}
	p.ClientOptions = WithCodec(p.ClientOptions, p.Codec)
	p.ClientOptions.Logger = sdklog.NewStructuredLogger(log)
	return p, nil
}

// Exit ends a process that could not run: it logs why and lists every problem of an
// invalid customers file on stderr, then exits non-zero.
func Exit(log *slog.Logger, process string, err error) {
	log.Error(process+" stopped", "error", err)
	var problems *ProblemList
	if errors.As(err, &problems) {
		fmt.Fprintln(os.Stderr, problems.Error())
	}
	os.Exit(1)
}
