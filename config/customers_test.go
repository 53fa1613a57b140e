package config

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

func env(vars ...string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		for _, v := range vars {
			if v == name {
				return "set", true
			}
		}
		return "", false
	}
}

const validCustomer = `customers:
  - id: acme
    name: ACME
    language: ja
    services: [detect, respond]
    webhook_secret_env: ACME_SECRET
    billing: {plan: per_response, ids: 100, tickets: [{count: 20, purchased: 2026-04-01}]}
    platforms:
      - {vendor: cybereason, url: "https://acme.cybereason.net", username_env: CR_USER, password_env: CR_PASS, poll: 1m}
    response: {policy: hybrid, critical_hosts: ["fs-*", erp-db01]}
    sites: [{id: osaka, hosts: ["osk-*"], contacts: [{email: it@acme.example, call: "+81600000001"}]}]
    sla:
      emergency: {ack: 5m, verdict: 30m, contain: 1h}
      low: {ack: 2d}
    escalation:
      emergency:
        - {after: 0s, email: it-ml@acme.example}
        - {after: 10m, call: "+81300000002", name: CIO}
    status_updates: [{email: csirt@acme.example}, {slack: "#acme-csirt"}]
`

func TestValidCustomersFileLoadsWithDefaults(t *testing.T) {
	customers, err := ParseCustomers("c.yaml", []byte(validCustomer), env("ACME_SECRET", "CR_USER", "CR_PASS"))
	if err != nil {
		t.Fatal(err)
	}
	acme, ok := customers.Customer("acme")
	if !ok {
		t.Fatal("acme missing")
	}
	if acme.SLA["low"].Ack.D() != 48*time.Hour || acme.Platforms[0].Poll.D() != time.Minute {
		t.Errorf("durations: %+v", acme.SLA["low"])
	}
	if got := acme.Platforms[0].FirstFetchWindow(); got != DefaultFirstFetch || DefaultFirstFetch != 24*time.Hour {
		t.Errorf("a poller without first_fetch looks back %s, want a day", got)
	}
	if *acme.EscalationRepeat != DefaultRepeat {
		t.Errorf("default repeat: %+v", acme.EscalationRepeat)
	}
	if acme.Billing.Tickets[0].Purchased.Format(time.DateOnly) != "2026-04-01" {
		t.Errorf("ticket date: %v", acme.Billing.Tickets[0].Purchased)
	}
	if len(acme.Sites[0].Contacts[0].Channels()) != 2 {
		t.Errorf("a site contact reached by email and phone: %+v", acme.Sites[0].Contacts[0])
	}
	if !acme.HasService("respond") || acme.Language != "ja" {
		t.Errorf("services/language: %+v", acme)
	}
}

func TestInvalidCustomersFilesListEveryProblem(t *testing.T) {
	base := validCustomer
	cases := []struct {
		name, from, to string
		want           []string
	}{
		{"unknown vendor", "vendor: cybereason", "vendor: sentinelone", []string{`customer "acme": platforms[0].vendor: unknown vendor "sentinelone"`}},
		{"missing secret env var", "webhook_secret_env: ACME_SECRET", "webhook_secret_env: NOT_SET", []string{"webhook_secret_env: environment variable NOT_SET is not set"}},
		{"no secret env named", "webhook_secret_env: ACME_SECRET", "webhook_secret_env: \"\"", []string{"webhook_secret_env: required"}},
		{"bad duration", "ack: 5m", "ack: 5 minutes", []string{`bad duration "5 minutes"`}},
		{"unknown severity", "emergency: {ack", "urgent: {ack", []string{`sla.urgent: unknown severity "urgent"`}},
		{"bad policy", "policy: hybrid", "policy: yolo", []string{`response.policy: "yolo" is not one of isolate_first, investigate_first, hybrid`}},
		{"unknown service", "services: [detect, respond]", "services: [detect, protect]", []string{`services: "protect" is not one of detect, respond`}},
		{"step with no channel", "{after: 0s, email: it-ml@acme.example}", "{after: 0s, name: nobody}", []string{"escalation.emergency[0]: no channel"}},
		{"bad phone", `call: "+81300000002"`, `call: "03-0000-0002"`, []string{"not an E.164 phone number"}},
		{"bad language", "language: ja", "language: fr", []string{`language: "fr" is not one of en, ja`}},
		{"unknown field", "name: ACME", "nmae: ACME", []string{"field nmae not found"}},
		{"bad ticket date", "purchased: 2026-04-01", "purchased: April", []string{`bad date "April"`}},
		{"missing credentials env", "password_env: CR_PASS", "password_env: CR_MISSING", []string{"platforms[0].password_env: environment variable CR_MISSING is not set"}},
		{"not a url", `url: "https://acme.cybereason.net"`, `url: "acme"`, []string{`platforms[0].url: "acme" is not an http(s) URL`}},
		// The vendor registry says which credentials each vendor needs and whether it is polled.
		{"credentials of another vendor", "username_env: CR_USER, password_env: CR_PASS, poll: 1m",
			"client_id_env: CR_USER, poll: 1m", []string{"platforms[0].username_env: required", "platforms[0].password_env: required"}},
		{"a pushing vendor polled", "{vendor: cybereason, url: \"https://acme.cybereason.net\", username_env: CR_USER, password_env: CR_PASS, poll: 1m}",
			"{vendor: zscaler, url: \"https://zsapi.zscaler.net\", api_key_env: CR_USER, username_env: CR_USER, password_env: CR_PASS, poll: 1m}",
			[]string{"platforms[0].poll: zscaler pushes its alerts to intake and is not polled"}},
		// first_fetch: how far back a new poller looks, for polled platforms only.
		{"first fetch beyond 30 days", "poll: 1m}", "poll: 1m, first_fetch: 45d}",
			[]string{`customer "acme": platforms[0].first_fetch: cybereason looks back at most 30d (720h), not 1080h0m0s (45 days)`}},
		{"negative first fetch", "poll: 1m}", "poll: 1m, first_fetch: -3d}", []string{`platforms[0].first_fetch: bad duration "-3d"`}},
		{"first fetch of a platform not polled", "poll: 1m}", "first_fetch: 3d}",
			[]string{"platforms[0].first_fetch: cybereason is not polled here (no poll:), so there is no first fetch"}},
		{"first fetch of a pushing vendor", "{vendor: cybereason, url: \"https://acme.cybereason.net\", username_env: CR_USER, password_env: CR_PASS, poll: 1m}",
			"{vendor: zscaler, url: \"https://zsapi.zscaler.net\", api_key_env: CR_USER, username_env: CR_USER, password_env: CR_PASS, first_fetch: 3d}",
			[]string{"platforms[0].first_fetch: zscaler pushes its alerts to intake: there is nothing to fetch"}},
		// Never read by anything, the denylist field was dropped: the file says so.
		{"denylist", "status_updates:", "denylist: [{type: domain, value: evil.example}]\n    status_updates:", []string{"field denylist not found"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(base, tc.from) {
				t.Fatalf("fixture lacks %q", tc.from)
			}
			file := strings.Replace(base, tc.from, tc.to, 1)
			customers, err := ParseCustomers("customers.yaml", []byte(file), env("ACME_SECRET", "CR_USER", "CR_PASS"))
			if customers != nil {
				t.Fatal("a half-valid config was loaded")
			}
			var problems *ProblemList
			if !errors.As(err, &problems) {
				t.Fatalf("want a ProblemList, got %v", err)
			}
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error lacks %q:\n%v", want, err)
				}
			}
			if !strings.HasPrefix(err.Error(), "customers.yaml:") {
				t.Errorf("error does not name the file: %v", err)
			}
		})
	}
}

func TestDuplicateCustomerAndSeveralProblemsAreAllListed(t *testing.T) {
	file := `customers:
  - {id: acme, services: [detect], webhook_secret_env: S, response: {policy: hybrid}}
  - {id: acme, services: [], webhook_secret_env: S, response: {policy: nope}}
`
	_, err := ParseCustomers("c.yaml", []byte(file), env("S"))
	var problems *ProblemList
	if !errors.As(err, &problems) || len(problems.Problems) != 3 {
		t.Fatalf("want 3 problems, got %v", err)
	}
	for _, want := range []string{"duplicate customer id", "services: required", `"nope"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in %v", want, err)
		}
	}
}

func TestExampleCustomersFileIsValid(t *testing.T) {
	data, err := os.ReadFile("../examples/customers.yaml")
	if err != nil {
		t.Fatal(err)
	}
	all := func(string) (string, bool) { return "set", true }
	customers, err := ParseCustomers("examples/customers.yaml", data, all)
	if err != nil {
		t.Fatal(err)
	}
	acme, _ := customers.Customer("acme")
	globex, _ := customers.Customer("globex")
	if acme.Location().String() != "Asia/Tokyo" || globex.Location().String() != "America/New_York" {
		t.Errorf("time zones: acme %s, globex %s", acme.Timezone, globex.Timezone)
	}
	soc := customers.SOC
	if soc == nil || soc.Name != "X-SOC" || len(soc.Escalation) != 5 {
		t.Fatalf("soc: %+v", soc)
	}
	// The example spells the defaults out: they must be the defaults.
	if soc.Storm != DefaultStorm || soc.Correlation != DefaultCorrelation || soc.Suppression != DefaultSuppression || soc.Requests != DefaultRequests {
		t.Errorf("the example's soc settings differ from the defaults: %+v %+v %+v %+v", soc.Storm, soc.Correlation, soc.Suppression, soc.Requests)
	}
}

func TestPlatformConnectReadsTheVendorsCredentials(t *testing.T) {
	environment := map[string]string{"WS_ID": "id", "WS_SECRET": "secret"}
	getenv := func(name string) string { return environment[name] }
	cases := []struct {
		name     string
		platform Platform
		says     []string
	}{
		{"no env names", Platform{Vendor: "withsecure", URL: "https://api.connect.withsecure.com"},
			[]string{"withsecure: client_id_env is not set", "secret_env is not set"}},
		{"empty variable", Platform{Vendor: "withsecure", URL: "https://api.connect.withsecure.com", ClientIDEnv: "WS_ID", SecretEnv: "WS_NONE"},
			[]string{"environment variable WS_NONE (secret_env) is empty or unset"}},
		{"unknown vendor", Platform{Vendor: "sentinelone"}, []string{`unknown vendor "sentinelone" (want one of cybereason, withsecure, zscaler)`}},
		{"the vendor's own check", Platform{Vendor: "withsecure", URL: "api.connect.withsecure.com", ClientIDEnv: "WS_ID", SecretEnv: "WS_SECRET"},
			[]string{"not an absolute URL"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.platform.Connect(getenv)
			for _, want := range tc.says {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("error %v does not say %q", err, want)
				}
			}
			if err != nil && strings.Contains(err.Error(), "secret\"") {
				t.Errorf("error %v shows a secret", err)
			}
		})
	}
	client, err := Platform{Vendor: "withsecure", URL: "https://api.connect.withsecure.com", ClientIDEnv: "WS_ID", SecretEnv: "WS_SECRET"}.Connect(getenv)
	if err != nil || client == nil {
		t.Fatalf("Connect = %v, %v", client, err)
	}
}

func TestFirstFetchIsHowFarBackANewPollerLooks(t *testing.T) {
	for given, want := range map[string]time.Duration{"3d": 72 * time.Hour, "30d": MaxFirstFetch, "90m": 90 * time.Minute, "0s": 0} {
		file := strings.Replace(validCustomer, "poll: 1m}", "poll: 1m, first_fetch: "+given+"}", 1)
		customers, err := ParseCustomers("c.yaml", []byte(file), env("ACME_SECRET", "CR_USER", "CR_PASS"))
		if err != nil {
			t.Fatalf("first_fetch: %s: %v", given, err)
		}
		if got := customers.Customers[0].Platforms[0].FirstFetchWindow(); got != want {
			t.Errorf("first_fetch: %s looks back %s, want %s", given, got, want)
		}
	}
}
