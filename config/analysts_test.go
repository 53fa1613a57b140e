package config

import (
	"strings"
	"testing"
)

const analystsFile = `customers:
  - id: acme
    services: [detect, respond]
    webhook_secret_env: S
    response: {policy: hybrid}
    analysts:
      - {name: yamada, slack_user: U0ACME001, phone: "+81300000001"}
  - id: globex
    services: [detect]
    webhook_secret_env: S
    response: {policy: hybrid}
soc:
  escalation:
    high: [{after: 0s, slack: "#soc-triage"}]
  analysts:
    - {name: hanako, slack_user: U012AB, phone: "+81300009999"}
    - {name: sato, slack_user: W0SATO01}
`

func TestAnalystsMapSlackUsersAndPhonesToPeople(t *testing.T) {
	customers, err := ParseCustomers("c.yaml", []byte(analystsFile), env("S"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		customer, slackUser, want string
	}{
		{"acme", "U012AB", "hanako"},    // the SOC's, on any customer's incident
		{"globex", "W0SATO01", "sato"},  // the SOC's
		{"acme", "U0ACME001", "yamada"}, // acme's own, on acme's incident
		{"globex", "U0ACME001", ""},     // acme's, on another customer's: nobody
		{"acme", "U999", ""},            // unmapped
		{"acme", "", ""},                // no user
		{"unknown", "U012AB", "hanako"}, // the SOC's analysts need no customer
		{"unknown", "U0ACME001", ""},
	} {
		a, ok := customers.SlackAnalyst(tc.customer, tc.slackUser)
		if ok != (tc.want != "") || a.Name != tc.want {
			t.Errorf("SlackAnalyst(%s, %s) = %q, %v; want %q", tc.customer, tc.slackUser, a.Name, ok, tc.want)
		}
	}
	if a, ok := customers.PhoneAnalyst("acme", "+81300009999"); !ok || a.Name != "hanako" {
		t.Errorf("hanako's phone: %v %v", a, ok)
	}
	if _, ok := customers.PhoneAnalyst("globex", "+81300000001"); ok {
		t.Error("acme's person's phone answered for globex")
	}
	if !customers.SlackUsersMapped() {
		t.Error("SlackUsersMapped is false")
	}
}

func TestAnalystProblemsAreListed(t *testing.T) {
	for _, tc := range []struct {
		name, from, to string
		want           []string
	}{
		{"no name", "{name: sato, slack_user: W0SATO01}", "{slack_user: W0SATO01}", []string{"soc: analysts[1].name: required"}},
		{"display name for an id", "slack_user: W0SATO01", "slack_user: sato", []string{`soc: analysts[1].slack_user: "sato" is not a Slack member id`}},
		{"local phone", `phone: "+81300009999"`, `phone: "03-0000-9999"`, []string{`soc: analysts[0].phone: "03-0000-9999" is not an E.164`}},
		{"two hanakos", "name: sato", "name: Hanako", []string{"soc: analysts[1].name: Hanako appears twice"}},
		{"a name with a space", "name: sato", "name: sato kenji", []string{`soc: analysts[1].name: "sato kenji"`}},
		{"one Slack user, two people", "slack_user: U0ACME001", "slack_user: U012AB",
			[]string{`customer "acme": analysts[0].slack_user: U012AB is also hanako's (soc)`}},
		{"one phone, two people", `phone: "+81300000001"`, `phone: "+81300009999"`,
			[]string{`customer "acme": analysts[0].phone: +81300009999 is also hanako's (soc)`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(analystsFile, tc.from) {
				t.Fatalf("fixture lacks %q", tc.from)
			}
			requireProblems(t, problemsOf(t, strings.Replace(analystsFile, tc.from, tc.to, 1), env("S")), len(tc.want), tc.want...)
		})
	}
}
