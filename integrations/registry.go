package integrations

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Vendor is everything xsoc knows of one vendor's platform, registered once by the
// vendor's own package (Register, from its init): the customers file's validation,
// the incident's policy, the worker's clients, the pollers and the starter's intake
// all read it from here.
type Vendor struct {
	// Name is the platform's name in the customers file, alert URLs and workflow ids.
	Name         string
	Capabilities Capabilities
	// Credentials are the secrets the vendor's API needs; the customers file names the
	// environment variable of each in the platform's <credential>_env field.
	Credentials []Credential
	// Polled says the vendor does not push: a durable poller fetches its alerts
	// (the platform's `poll:` interval). Every vendor can also push to intake.
	Polled bool
	// NewClient builds one customer's client; Connect checks the connection first.
	NewClient func(Connection) (Platform, error)
	// Parse reads the vendor's native payload as intake receives it.
	Parse Parser
}

// Parser turns a native body into normalized alerts; clean counts the events that
// carried no threat and were dropped.
type Parser func(body []byte, severityMap map[string]string) (alerts []Alert, clean int, err error)

// EveryEventAnAlert is the Parser of a vendor whose payloads hold only alerts (no
// clean events to count).
func EveryEventAnAlert(parse func(body []byte, severityMap map[string]string) ([]Alert, error)) Parser {
	return func(body []byte, severityMap map[string]string) ([]Alert, int, error) {
		alerts, err := parse(body, severityMap)
		return alerts, 0, err
	}
}

// Credential is one secret a vendor's API needs.
type Credential string

// The credentials a vendor may need.
const (
	Username Credential = "username"
	Password Credential = "password"
	ClientID Credential = "client_id"
	Secret   Credential = "secret"
	APIKey   Credential = "api_key"
)

// Connection is what a vendor client is built from: one customer's platform as the
// customers file describes it, with its secrets read from the worker's environment.
type Connection struct {
	Vendor      string
	URL         string
	Secrets     map[Credential]string
	SeverityMap map[string]string
}

// Connect builds the client of one customer's platform, once the connection is for
// this vendor and holds every credential the vendor needs.
func (v Vendor) Connect(c Connection) (Platform, error) {
	var problems []string
	if c.Vendor != "" && c.Vendor != v.Name {
		problems = append(problems, fmt.Sprintf("platform vendor is %q, not %q", c.Vendor, v.Name))
	}
	for _, credential := range v.Credentials {
		if c.Secrets[credential] == "" {
			problems = append(problems, fmt.Sprintf("no %s given", credential))
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%s: %s", v.Name, strings.Join(problems, "; "))
	}
	return v.NewClient(c)
}

// registry holds the vendors by name. Vendors register from their packages' init,
// before anything reads it, so it needs no lock.
var registry = map[string]Vendor{}

// Register adds a vendor. It panics on a vendor registered twice or without a name,
// client or parser: a programming error that must stop the process at start.
func Register(v Vendor) {
	if err := v.check(); err != nil {
		panic("integrations.Register: " + err.Error())
	}
	registry[v.Name] = v
}

func (v Vendor) check() error {
	switch {
	case v.Name == "":
		return errors.New("a vendor needs a name")
	case v.NewClient == nil || v.Parse == nil:
		return fmt.Errorf("vendor %s needs a client constructor and a parser", v.Name)
	}
	if _, taken := registry[v.Name]; taken {
		return fmt.Errorf("vendor %s is registered twice", v.Name)
	}
	return nil
}

// LookupVendor answers a registered vendor by name.
func LookupVendor(name string) (Vendor, bool) {
	v, ok := registry[name]
	return v, ok
}

// Vendors answers every registered vendor, by name.
func Vendors() []Vendor {
	list := make([]Vendor, 0, len(registry))
	for _, name := range VendorNames() {
		list = append(list, registry[name])
	}
	return list
}

// VendorNames answers the names of the registered vendors, sorted.
func VendorNames() []string {
	names := make([]string, 0, len(registry))
	for name := range registry {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// CapabilitiesOf says what xsoc can do on a vendor's platform. Alerts posted in the
// generic format come from no platform we can act on: they have none.
func CapabilitiesOf(vendor string) Capabilities {
	return registry[vendor].Capabilities
}

// Truncate shortens s to at most limit characters, the last being "…" when
// something was cut; it never cuts a character in half.
func Truncate(s string, limit int) string {
	runes := []rune(s)
	if len(runes) <= limit {
		return s
	}
	if limit <= 0 {
		return ""
	}
	return string(runes[:limit-1]) + "…"
}
