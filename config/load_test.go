package config

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

// problemsOf parses a file that must be refused and answers its problems.
func problemsOf(t *testing.T, file string, lookupEnv func(string) (string, bool)) []string {
	t.Helper()
	customers, err := ParseCustomers("customers.yaml", []byte(file), lookupEnv)
	if customers != nil {
		t.Fatal("a file with problems was loaded")
	}
	var problems *ProblemList
	if !errors.As(err, &problems) {
		t.Fatalf("want a ProblemList, got %v", err)
	}
	return problems.Problems
}

// requireProblems checks that every wanted text is in exactly one problem and, when
// count is not -1, that there are count problems in all.
func requireProblems(t *testing.T, problems []string, count int, want ...string) {
	t.Helper()
	for _, w := range want {
		found := 0
		for _, p := range problems {
			if strings.Contains(p, w) {
				found++
			}
		}
		if found != 1 {
			t.Errorf("%q is in %d problems, want 1:\n  %s", w, found, strings.Join(problems, "\n  "))
		}
	}
	if count >= 0 && len(problems) != count {
		t.Errorf("%d problems, want %d:\n  %s", len(problems), count, strings.Join(problems, "\n  "))
	}
}

// The file of issue 14: five problems, one of them a value of the wrong type. Every one
// is named, with its line, customer and field.
func TestFiveProblemsAreAllNamed(t *testing.T) {
	file := `customers:
  - id: acme
    services: [detect, protect]
    webhook_secret_env: NOT_SET_ANYWHERE
    response: {policy: yolo}
    platforms: [{vendor: sentinelone, url: "https://x"}]
    sla: {high: {ack: soon}}
`
	problems := problemsOf(t, file, env())
	requireProblems(t, problems, 5,
		`line 3: customer "acme": services: "protect" is not one of detect, respond`,
		`line 4: customer "acme": webhook_secret_env: environment variable NOT_SET_ANYWHERE is not set`,
		`line 5: customer "acme": response.policy: "yolo" is not one of`,
		`line 6: customer "acme": platforms[0].vendor: unknown vendor "sentinelone"`,
		`line 7: customer "acme": sla.high.ack: bad duration "soon"`,
	)
}

// Each kind of value that cannot be decoded is named with its line and field, and does
// not hide a problem elsewhere in the file (the bad policy each case keeps).
func TestValuesOfTheWrongTypeAreListedWithTheRest(t *testing.T) {
	cases := []struct {
		name, from, to string
		want           string
	}{
		{"bad duration", "ack: 5m", "ack: soon",
			`line 13: customer "acme": sla.emergency.ack: bad duration "soon"`},
		{"duration given as a list", "ack: 5m", "ack: [5m]",
			`line 13: customer "acme": sla.emergency.ack: want a duration`},
		{"bad date", "purchased: 2026-04-01", "purchased: 2026-13-01",
			`line 7: customer "acme": billing.tickets[0].purchased: bad date "2026-13-01" (want YYYY-MM-DD)`},
		{"text where a list belongs", "services: [detect, respond]", "services: detect",
			`line 5: customer "acme": services: want a list, got "detect"`},
		{"list where text belongs", "name: ACME", "name: [ACME, Corp]",
			`line 3: customer "acme": name: want text, got a list`},
		{"mapping where a list belongs", "status_updates: [{email: csirt@acme.example}, {slack: \"#acme-csirt\"}]",
			"status_updates: {email: csirt@acme.example}",
			`line 19: customer "acme": status_updates: want a list, got a mapping`},
		{"text where a number belongs", "ids: 100", "ids: many",
			`line 7: customer "acme": billing.ids: want a whole number, got "many"`},
		{"text where a mapping belongs", "billing: {plan: per_response, ids: 100, tickets: [{count: 20, purchased: 2026-04-01}]}",
			"billing: per_id", `line 7: customer "acme": billing: want a mapping (key: value), got "per_id"`},
		{"unknown key", "name: ACME", "nmae: ACME",
			`line 3: customer "acme": field nmae not found (did you mean name?)`},
		{"unknown key far from any", "name: ACME", "colour: blue",
			`line 3: customer "acme": field colour not found (known: analysts, billing, escalation,`},
		{"unknown nested key", "ack: 5m", "ak: 5m",
			`line 13: customer "acme": sla.emergency: field ak not found (did you mean ack?)`},
		{"key given twice", "name: ACME", "name: ACME\n    name: Acme",
			`line 4: customer "acme": name given twice (first on line 3)`},
	}
	base := strings.Replace(validCustomer, "policy: hybrid", "policy: yolo", 1)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(base, tc.from) {
				t.Fatalf("fixture lacks %q", tc.from)
			}
			file := strings.Replace(base, tc.from, tc.to, 1)
			problems := problemsOf(t, file, env("ACME_SECRET", "CR_USER", "CR_PASS"))
			requireProblems(t, problems, 2, tc.want, `customer "acme": response.policy: "yolo"`)
		})
	}
}

func TestProblemsOutsideAnyCustomer(t *testing.T) {
	cases := []struct{ name, file, want string }{
		{"empty file", "", "customers: none: the file needs a customers: list"},
		{"misspelt top-level key", "customer:\n  - id: acme\n", "line 1: field customer not found (did you mean customers?)"},
		{"customers not a list", "customers: acme\n", `line 1: customers: want a list, got "acme"`},
		{"syntax error", "customers:\n  - id: [acme\n", "yaml: line"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			requireProblems(t, problemsOf(t, tc.file, env()), -1, tc.want)
		})
	}
}

// Aliases and merge keys are YAML's way to share a chain between Severities.
func TestAnchorsAndMergeKeysAreRead(t *testing.T) {
	file := `customers:
  - id: acme
    services: [detect]
    webhook_secret_env: S
    response: {policy: hybrid}
    sla:
      high: &slow {ack: 1h, verdict: 4h}
      medium: {<<: *slow, ack: 2h}
    escalation:
      high: &chain [{after: 0s, email: it@acme.example}]
      medium: *chain
`
	customers, err := ParseCustomers("c.yaml", []byte(file), env("S"))
	if err != nil {
		t.Fatal(err)
	}
	acme := customers.Customers[0]
	if acme.SLA["medium"].Ack.D() != 2*time.Hour || acme.SLA["medium"].Verdict.D() != 4*time.Hour {
		t.Errorf("merged SLA: %+v", acme.SLA["medium"])
	}
	if len(acme.Escalation["medium"]) != 1 || acme.Escalation["medium"][0].Email != "it@acme.example" {
		t.Errorf("aliased chain: %+v", acme.Escalation["medium"])
	}
}

// Aliases of aliases can make a few kilobytes stand for millions of values.
func TestAliasBombIsRefused(t *testing.T) {
	file := `shared:
  step: &step {after: 0s, email: it@acme.example}
  chain: &chain [` + strings.Repeat("*step, ", 999) + `*step]
  customer: &customer {id: acme, escalation: {high: *chain, low: *chain}}
customers: [` + strings.Repeat("*customer, ", 999) + `*customer]
`
	requireProblems(t, problemsOf(t, file, env()), 1, "the file expands to more than 100000 values")
}

const validSOC = `customers:
  - id: acme
    services: [detect, respond]
    webhook_secret_env: S
    response: {policy: hybrid}
    page_customer: on_confirm
soc:
  name: X-SOC
  language: ja
  timezone: Asia/Tokyo
  escalation:
    critical: [{after: 0s, slack: "#soc-urgent"}, {after: 5m, call: "+81300009999", name: SOC on-call}]
    high: [{after: 0s, slack: "#soc-triage"}]
  notices: [{email: soc-lead@xsoc.example}]
  storm: {alerts_per_minute: 50}
  correlation: {campaign_window: 1h}
`

func TestSOCBlockLoadsWithDefaults(t *testing.T) {
	customers, err := ParseCustomers("c.yaml", []byte(validSOC), env("S"))
	if err != nil {
		t.Fatal(err)
	}
	soc := customers.SOC
	if soc == nil || soc.Name != "X-SOC" || soc.Location().String() != "Asia/Tokyo" {
		t.Fatalf("soc: %+v", soc)
	}
	if soc.Storm.AlertsPerMinute != 50 || soc.Storm.DigestEvery != DefaultStorm.DigestEvery {
		t.Errorf("storm: %+v", soc.Storm)
	}
	if soc.Correlation.CampaignHosts != DefaultCorrelation.CampaignHosts || soc.Correlation.CampaignWindow.D() != time.Hour {
		t.Errorf("correlation: %+v", soc.Correlation)
	}
	if soc.Suppression != DefaultSuppression || soc.Requests != DefaultRequests || *soc.EscalationRepeat != DefaultRepeat {
		t.Errorf("defaults: %+v %+v %+v", soc.Suppression, soc.Requests, soc.EscalationRepeat)
	}
	if customers.Customers[0].PagesCustomerOnAlert(soc) {
		t.Error("acme pages on_confirm, yet is paged on every alert")
	}
}

func TestSOCProblemsAreListed(t *testing.T) {
	cases := []struct {
		name, from, to string
		want           []string
	}{
		{"bad timezone", "timezone: Asia/Tokyo", "timezone: Asia/Osaka",
			[]string{`line 10: soc: timezone: "Asia/Osaka" is not an IANA time zone`}},
		{"no escalation", `  escalation:
    critical: [{after: 0s, slack: "#soc-urgent"}, {after: 5m, call: "+81300009999", name: SOC on-call}]
    high: [{after: 0s, slack: "#soc-triage"}]
`, "", []string{"line 7: soc: escalation: required"}},
		{"step with no channel", `high: [{after: 0s, slack: "#soc-triage"}]`, `high: [{after: 0s, name: nobody}]`,
			[]string{"line 13: soc: escalation.high[0]: no channel"}},
		{"bad phone", `call: "+81300009999"`, `call: "03-0000-9999"`,
			[]string{`line 12: soc: escalation.critical[1].call: "03-0000-9999" is not an E.164 phone number`}},
		{"unknown severity", "high: [{after", "urgent: [{after",
			[]string{`line 13: soc: escalation.urgent: unknown severity "urgent"`}},
		{"bad notice contact", "notices: [{email: soc-lead@xsoc.example}]", "notices: [{email: soc-lead}]",
			[]string{`line 14: soc: notices[0].email: "soc-lead" is not an email address`}},
		{"bad language", "language: ja", "language: fr", []string{`line 9: soc: language: "fr" is not one of en, ja`}},
		{"campaign of one host", "campaign_window: 1h", "campaign_window: 1h, campaign_hosts: 1",
			[]string{"line 16: soc: correlation.campaign_hosts: must be 2 or more (1)"}},
		{"negative storm", "alerts_per_minute: 50", "alerts_per_minute: -1",
			[]string{"line 15: soc: storm.alerts_per_minute: must not be negative"}},
		{"negative suppression", "storm: {alerts_per_minute: 50}", "storm: {alerts_per_minute: 50}\n  suppression: {notify_over: -1, qa_every: -2}",
			[]string{"line 16: soc: suppression.notify_over: must not be negative", "line 16: soc: suppression.qa_every: must not be negative"}},
		{"repeat without interval", "storm: {alerts_per_minute: 50}", "storm: {alerts_per_minute: 50}\n  escalation_repeat: {every: 0s, times: 2}",
			[]string{"line 16: soc: escalation_repeat.every: must be longer than 0s"}},
		{"bad digest interval", "storm: {alerts_per_minute: 50}", "storm: {alerts_per_minute: 50, digest_every: often}",
			[]string{`line 15: soc: storm.digest_every: bad duration "often"`}},
		{"unknown soc key", "name: X-SOC", "nmae: X-SOC", []string{"line 8: soc: field nmae not found (did you mean name?)"}},
		{"on_confirm without a soc", validSOC[strings.Index(validSOC, "soc:"):], "",
			[]string{`line 6: customer "acme": page_customer: on_confirm needs a soc: block`}},
		{"on_confirm for a respond-only customer", "services: [detect, respond]", "services: [respond]",
			[]string{`line 6: customer "acme": page_customer: on_confirm needs the detect service`}},
		{"bad page_customer", "page_customer: on_confirm", "page_customer: always",
			[]string{`line 6: customer "acme": page_customer: "always" is not one of on_alert, on_confirm`}},
		{"bad customer timezone", "page_customer: on_confirm", "timezone: JST",
			[]string{`line 6: customer "acme": timezone: "JST" is not an IANA time zone`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(validSOC, tc.from) {
				t.Fatalf("fixture lacks %q", tc.from)
			}
			file := strings.Replace(validSOC, tc.from, tc.to, 1)
			requireProblems(t, problemsOf(t, file, env("S")), len(tc.want), tc.want...)
		})
	}
}

// FuzzParseCustomers: no input makes the loader panic, and every answer is either
// customers or a list of at least one problem naming the file.
func FuzzParseCustomers(f *testing.F) {
	for _, path := range []string{"../examples/customers.yaml", "../bench/customers.yaml"} {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, file := range []string{validCustomer, validSOC, "customers: []\n", "a: &a [*a]\n", "customers: [{<<: [*x]}]\n"} {
		f.Add([]byte(file))
	}
	all := func(string) (string, bool) { return "set", true }
	f.Fuzz(func(t *testing.T, data []byte) {
		customers, err := ParseCustomers("fuzz.yaml", data, all)
		if err == nil {
			if customers == nil || len(customers.Customers) == 0 {
				t.Fatalf("no error and no customers: %+v", customers)
			}
			return
		}
		var problems *ProblemList
		if customers != nil || !errors.As(err, &problems) || len(problems.Problems) == 0 || !strings.HasPrefix(err.Error(), "fuzz.yaml: ") {
			t.Fatalf("customers %v with error %v", customers, err)
		}
	})
}
