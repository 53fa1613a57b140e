// Package config reads xsoc's two kinds of configuration: process settings from the
// environment (XSOC_*, TEMPORAL_*) and the customers file, which is data that the
// workflows consult ("what does this customer's policy say").
package config

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Customers is the customers file: the tenants, and the SOC that serves them all.
type Customers struct {
	Customers []Customer `yaml:"customers" json:"customers"`
	// SOC is the provider's own analysts; nil when the file has no soc: block, in
	// which case every alert pages the customer's own chain (round-1 behaviour).
	SOC *SOC `yaml:"soc" json:"soc,omitempty"`
}

// SOC is the MDR provider's own team: paged for every alert of every customer, it
// triages before any customer hears of an incident.
type SOC struct {
	Name             string            `yaml:"name" json:"name"`
	Language         string            `yaml:"language" json:"language"`
	Timezone         string            `yaml:"timezone" json:"timezone"`
	Escalation       map[string][]Step `yaml:"escalation" json:"escalation"`
	EscalationRepeat *Repeat           `yaml:"escalation_repeat" json:"escalation_repeat,omitempty"`
	// Notices are told about what concerns the SOC but no single incident: a vendor
	// outage, a storm, an over-broad suppression rule. Default: the first steps of the
	// SOC's high chain.
	Notices []Contact `yaml:"notices" json:"notices,omitempty"`
	// Contact is how a customer reaches the SOC, printed in the customer's pages
	// (e.g. "+81-3-0000-9999, soc@xsoc.example").
	Contact     string      `yaml:"contact" json:"contact,omitempty"`
	Storm       Storm       `yaml:"storm" json:"storm"`
	Correlation Correlation `yaml:"correlation" json:"correlation"`
	Suppression Suppression `yaml:"suppression" json:"suppression"`
	Requests    Requests    `yaml:"requests" json:"requests"`
	// Analysts are the SOC's people: a Slack button or a keypress of theirs decides
	// as them, verified (Analyst).
	Analysts []Analyst `yaml:"analysts" json:"-"`
}

// Storm: more than AlertsPerMinute new alerts of one customer in a minute puts the
// customer in storm mode, where the SOC gets one digest every DigestEvery instead of
// a page per high-or-lower alert.
type Storm struct {
	AlertsPerMinute int      `yaml:"alerts_per_minute" json:"alerts_per_minute"`
	DigestEvery     Duration `yaml:"digest_every" json:"digest_every"`
}

// Correlation: the same detection or indicator on CampaignHosts distinct hosts within
// CampaignWindow opens a campaign incident.
type Correlation struct {
	CampaignHosts  int      `yaml:"campaign_hosts" json:"campaign_hosts"`
	CampaignWindow Duration `yaml:"campaign_window" json:"campaign_window"`
}

// Suppression: a rule matching more than NotifyOver alerts in an hour tells the SOC;
// every QAEvery-th suppressed alert of a rule goes to the SOC queue as a QA sample.
type Suppression struct {
	NotifyOver int `yaml:"notify_over" json:"notify_over"`
	QAEvery    int `yaml:"qa_every" json:"qa_every"`
}

// Requests are the times the SOC promises to acknowledge a customer's request.
type Requests struct {
	Urgent Duration `yaml:"urgent" json:"urgent"`
	Normal Duration `yaml:"normal" json:"normal"`
}

// Defaults of the SOC block (SPEC).
var (
	DefaultStorm       = Storm{AlertsPerMinute: 30, DigestEvery: Duration(5 * time.Minute)}
	DefaultCorrelation = Correlation{CampaignHosts: 3, CampaignWindow: Duration(30 * time.Minute)}
	DefaultSuppression = Suppression{NotifyOver: 500, QAEvery: 100}
	DefaultRequests    = Requests{Urgent: Duration(15 * time.Minute), Normal: Duration(4 * time.Hour)}
)

// When a customer's own chain starts (page_customer).
const (
	PageCustomerOnAlert   = "on_alert"
	PageCustomerOnConfirm = "on_confirm"
)

// DefaultStatusCoalesce is how long changes of one incident gather into one status message.
const DefaultStatusCoalesce = Duration(30 * time.Second)

// Customer is one tenant: who they are, what they subscribed to, how to reach their
// platforms, and their promises (SLA) and people (escalation, status updates).
type Customer struct {
	ID               string            `yaml:"id" json:"id"`
	Name             string            `yaml:"name" json:"name"`
	Language         string            `yaml:"language" json:"language"`
	Services         []string          `yaml:"services" json:"services"`
	WebhookSecretEnv string            `yaml:"webhook_secret_env" json:"webhook_secret_env"`
	Billing          Billing           `yaml:"billing" json:"billing"`
	Platforms        []Platform        `yaml:"platforms" json:"platforms"`
	Response         Response          `yaml:"response" json:"response"`
	Sites            []Site            `yaml:"sites" json:"sites"`
	SLA              map[string]SLA    `yaml:"sla" json:"sla"`
	Escalation       map[string][]Step `yaml:"escalation" json:"escalation"`
	EscalationRepeat *Repeat           `yaml:"escalation_repeat" json:"escalation_repeat,omitempty"`
	StatusUpdates    []Contact         `yaml:"status_updates" json:"status_updates"`
	// Timezone is the IANA zone every time the customer reads is in, and the zone of
	// its billing month (default UTC).
	Timezone string `yaml:"timezone" json:"timezone"`
	// PageCustomer says when the customer's own chain starts: on_confirm (default
	// with detect: when the SOC confirms a true positive) or on_alert (default when
	// respond-only: on every alert).
	PageCustomer string `yaml:"page_customer" json:"page_customer"`
	// StatusCoalesce gathers the changes of one incident within it into one message.
	StatusCoalesce Duration `yaml:"status_coalesce" json:"status_coalesce,omitempty"`
	// Storm overrides the SOC's storm settings for this customer: a customer whose
	// normal rate is high needs a higher threshold.
	Storm *Storm `yaml:"storm" json:"storm,omitempty"`
	// SyslogSources are the customer's network products that send events over syslog.
	SyslogSources []SyslogSource `yaml:"syslog_sources" json:"syslog_sources,omitempty"`
	// Analysts are the customer's own people who answer its pages: a Slack button or
	// a keypress of theirs decides as them, on this customer's incidents only.
	Analysts []Analyst `yaml:"analysts" json:"-"`
}

// Billing is the customer's plan and prepaid option tickets.
type Billing struct {
	Plan    string `yaml:"plan" json:"plan"`
	IDs     int    `yaml:"ids" json:"ids"`
	Tickets []Lot  `yaml:"tickets" json:"tickets"`
}

// Lot is one purchase of option tickets.
type Lot struct {
	Count     int  `yaml:"count" json:"count"`
	Purchased Date `yaml:"purchased" json:"purchased"`
}

// Platform is one vendor product instance of the customer. Credentials are never in
// the file: the *_env fields name environment variables that hold them.
type Platform struct {
	Vendor      string   `yaml:"vendor" json:"vendor"`
	URL         string   `yaml:"url" json:"url"`
	UsernameEnv string   `yaml:"username_env" json:"username_env,omitempty"`
	PasswordEnv string   `yaml:"password_env" json:"password_env,omitempty"`
	ClientIDEnv string   `yaml:"client_id_env" json:"client_id_env,omitempty"`
	SecretEnv   string   `yaml:"secret_env" json:"secret_env,omitempty"`
	APIKeyEnv   string   `yaml:"api_key_env" json:"api_key_env,omitempty"`
	Poll        Duration `yaml:"poll" json:"poll,omitempty"`
	// FirstFetch is how far back the platform's poller looks when it has no cursor
	// yet (its first run, or a poller started again after its history was lost), so
	// that what the platform raised before xsoc polled it is not lost. Nil:
	// DefaultFirstFetch; 0s: from the poller's first run on.
	FirstFetch  *Duration         `yaml:"first_fetch" json:"first_fetch,omitempty"`
	SeverityMap map[string]string `yaml:"severity_map" json:"severity_map,omitempty"`
}

// A new poller looks back a day unless the file says otherwise, and at most 30 days:
// further back is more than the SOC can usefully triage at once (and than some
// consoles keep).
const (
	DefaultFirstFetch = 24 * time.Hour
	MaxFirstFetch     = 30 * 24 * time.Hour
)

// FirstFetchWindow answers how far back the platform's new poller looks.
func (p Platform) FirstFetchWindow() time.Duration {
	if p.FirstFetch == nil {
		return DefaultFirstFetch
	}
	return p.FirstFetch.D()
}

// Response is the customer's response policy.
type Response struct {
	Policy        string   `yaml:"policy" json:"policy"`
	CriticalHosts []string `yaml:"critical_hosts" json:"critical_hosts,omitempty"`
}

// Site is a location whose hosts (by name pattern) have their own contacts.
type Site struct {
	ID       string    `yaml:"id" json:"id"`
	Hosts    []string  `yaml:"hosts" json:"hosts"`
	Contacts []Contact `yaml:"contacts" json:"contacts"`
}

// SLA is the time promised, per Severity, to acknowledge, reach a verdict and contain.
// A zero duration means no promise for that clock.
type SLA struct {
	Ack     Duration `yaml:"ack" json:"ack,omitempty"`
	Verdict Duration `yaml:"verdict" json:"verdict,omitempty"`
	Contain Duration `yaml:"contain" json:"contain,omitempty"`
}

// Contact is a person or a group and the channels that reach them.
type Contact struct {
	Email string `yaml:"email" json:"email,omitempty"`
	Slack string `yaml:"slack" json:"slack,omitempty"`
	Call  string `yaml:"call" json:"call,omitempty"`
	SMS   string `yaml:"sms" json:"sms,omitempty"`
	Name  string `yaml:"name" json:"name,omitempty"`
	// SMSFallback texts the called number when the call is not answered by a person.
	SMSFallback bool `yaml:"sms_fallback" json:"sms_fallback,omitempty"`
}

// Step is one escalation step: a contact paged After the start of the chain.
type Step struct {
	After   Duration `yaml:"after" json:"after"`
	Contact `yaml:",inline" json:",inline"`
}

// Repeat says how often the whole chain starts over until someone acknowledges.
type Repeat struct {
	Every Duration `yaml:"every" json:"every"`
	Times int      `yaml:"times" json:"times"`
}

// DefaultRepeat is the SPEC's default: every 10 minutes, 3 times.
var DefaultRepeat = Repeat{Every: Duration(10 * time.Minute), Times: 3}

// Channel is one way to reach a contact.
type Channel struct {
	Name    string // email, slack, call or sms
	Address string
}

// Channels lists the contact's channels, in a fixed order. A contact may have several
// (a site's IT lead by email and by phone): each is used.
func (c Contact) Channels() []Channel {
	var channels []Channel
	for _, ch := range []Channel{{"email", c.Email}, {"slack", c.Slack}, {"call", c.Call}, {"sms", c.SMS}} {
		if ch.Address != "" {
			channels = append(channels, ch)
		}
	}
	return channels
}

// Only is the contact reached by one of its channels.
func (c Contact) Only(channel Channel) Contact {
	only := Contact{Name: c.Name, SMSFallback: c.SMSFallback && channel.Name == "call"}
	switch channel.Name {
	case "email":
		only.Email = channel.Address
	case "slack":
		only.Slack = channel.Address
	case "call":
		only.Call = channel.Address
	case "sms":
		only.SMS = channel.Address
	}
	return only
}

// Duration is a time.Duration written as "30s", "15m", "4h" or "2d" in YAML.
type Duration time.Duration

// D is the duration as time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// UnmarshalYAML reads "30s", "15m", "4h" or "2d"; the customers file's decoder adds the
// line to the error.
func (d *Duration) UnmarshalYAML(node *yaml.Node) error {
	if node.Kind != yaml.ScalarNode {
		return errors.New("want a duration such as 30s, 15m, 4h or 2d")
	}
	parsed, err := ParseDuration(node.Value)
	if err != nil {
		return err
	}
	*d = Duration(parsed)
	return nil
}

func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

func (d *Duration) UnmarshalText(text []byte) error {
	parsed, err := ParseDuration(string(text))
	*d = Duration(parsed)
	return err
}

// ParseDuration is time.ParseDuration that also takes whole days ("2d").
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if days, ok := strings.CutSuffix(s, "d"); ok {
		var n int
		if _, err := fmt.Sscanf(days, "%d", &n); err == nil && n >= 0 && fmt.Sprint(n) == days {
			return time.Duration(n) * 24 * time.Hour, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("bad duration %q (want e.g. 30s, 15m, 4h, 2d)", s)
	}
	if d < 0 {
		return 0, fmt.Errorf("bad duration %q: negative", s)
	}
	return d, nil
}

// Date is a calendar day written as 2026-04-01.
type Date struct{ time.Time }

// UnmarshalYAML reads YYYY-MM-DD; the customers file's decoder adds the line to the error.
func (d *Date) UnmarshalYAML(node *yaml.Node) error {
	t, err := time.Parse(time.DateOnly, node.Value)
	if err != nil || node.Kind != yaml.ScalarNode {
		return fmt.Errorf("bad date %q (want YYYY-MM-DD)", node.Value)
	}
	d.Time = t
	return nil
}

func (d Date) MarshalText() ([]byte, error) { return []byte(d.Format(time.DateOnly)), nil }

func (d *Date) UnmarshalText(text []byte) error {
	t, err := time.Parse(time.DateOnly, string(text))
	d.Time = t
	return err
}
