package config

import (
	"fmt"
	"net/url"
	"os"
	"path"
	"slices"
	"strings"
	"time"

	"xsoc/integrations"
)

// Policies, services, languages and plans the customers file may name.
var (
	Policies  = []string{"isolate_first", "investigate_first", "hybrid"}
	Services  = []string{"detect", "respond"}
	Languages = []string{"en", "ja"}
	Plans     = []string{"per_id", "per_response"}
)

// ProblemList is every problem found in a customers file, each naming its line, the
// customer (or the soc), the field and why.
type ProblemList struct {
	File     string
	Problems []string
}

func (p *ProblemList) Error() string {
	return fmt.Sprintf("%s: %d problem(s):\n  - %s", p.File, len(p.Problems), strings.Join(p.Problems, "\n  - "))
}

// LoadCustomers reads and validates the customers file; on any problem it returns a
// *ProblemList and no customers, so that nothing starts on a half-valid config.
func LoadCustomers(file string) (*Customers, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("reading customers file: %w", err)
	}
	return ParseCustomers(file, data, os.LookupEnv)
}

// ParseCustomers is LoadCustomers on bytes, with the environment given (for tests).
// Every problem is listed: values of the wrong type (with their line) and values
// that break a rule alike.
func ParseCustomers(file string, data []byte, lookupEnv func(string) (string, bool)) (*Customers, error) {
	var parsed Customers
	undecoded, lines, err := decodeTree(data, &parsed)
	if err != nil {
		return nil, &ProblemList{File: file, Problems: []string{err.Error()}}
	}
	found := &report{customers: &parsed, lines: lines}
	for _, p := range undecoded {
		found.undecodable(p)
	}
	validate(&parsed, lookupEnv, found)
	if len(found.problems) > 0 {
		return nil, &ProblemList{File: file, Problems: found.sorted()}
	}
	for i := range parsed.Customers {
		parsed.Customers[i].applyDefaults()
	}
	if parsed.SOC != nil {
		parsed.SOC.applyDefaults()
	}
	return &parsed, nil
}

func validate(c *Customers, lookupEnv func(string) (string, bool), found *report) {
	if len(c.Customers) == 0 {
		found.at("")("customers", "none: the file needs a customers: list with at least one customer")
	}
	seen := map[string]int{}
	for i, cust := range c.Customers {
		add := found.at(fmt.Sprintf("customers[%d]", i))
		cust.validate(add, lookupEnv)
		if cust.PageCustomer == PageCustomerOnConfirm && c.SOC == nil {
			add("page_customer", "on_confirm needs a soc: block: without a SOC nobody triages before the customer is paged")
		}
		if cust.ID != "" {
			if first, dup := seen[cust.ID]; dup {
				add("id", "duplicate customer id (also customers[%d])", first)
			} else {
				seen[cust.ID] = i
			}
		}
	}
	validateSyslogSources(c.Customers, found)
	if c.SOC != nil {
		c.SOC.validate(found.at("soc"))
	}
	validateAnalystsAcross(c, found)
}

func (s SOC) validate(add addProblem) {
	if s.Language != "" && !slices.Contains(Languages, s.Language) {
		add("language", "%q is not one of %s", s.Language, strings.Join(Languages, ", "))
	}
	validateTimezone(add, s.Timezone)
	if len(s.Escalation) == 0 {
		add("escalation", "required: the SOC's chain by Severity pages an analyst for every alert")
	}
	validateChains(add, s.Escalation, s.EscalationRepeat)
	for j, contact := range s.Notices {
		validateContact(add, fmt.Sprintf("notices[%d]", j), contact)
	}
	if s.Storm.AlertsPerMinute < 0 {
		add("storm.alerts_per_minute", "must not be negative")
	}
	if s.Correlation.CampaignHosts < 0 || s.Correlation.CampaignHosts == 1 {
		add("correlation.campaign_hosts", "must be 2 or more (%d)", s.Correlation.CampaignHosts)
	}
	if s.Suppression.NotifyOver < 0 {
		add("suppression.notify_over", "must not be negative")
	}
	if s.Suppression.QAEvery < 0 {
		add("suppression.qa_every", "must not be negative")
	}
	validateAnalysts(add, s.Analysts)
}

func validateTimezone(add addProblem, zone string) {
	if zone == "" {
		return
	}
	if _, err := time.LoadLocation(zone); err != nil {
		add("timezone", "%q is not an IANA time zone (e.g. Asia/Tokyo, UTC)", zone)
	}
}

func validateChains(add addProblem, chains map[string][]Step, repeat *Repeat) {
	for _, sev := range sortedKeys(chains) {
		if _, err := integrations.ParseSeverity(sev); err != nil || sev != strings.ToLower(sev) {
			add("escalation."+sev, "unknown severity %q", sev)
		}
		for j, step := range chains[sev] {
			validateContact(add, fmt.Sprintf("escalation.%s[%d]", sev, j), step.Contact)
		}
	}
	if r := repeat; r != nil {
		if r.Times < 0 {
			add("escalation_repeat.times", "must not be negative")
		}
		if r.Times > 0 && r.Every <= 0 {
			add("escalation_repeat.every", "must be longer than 0s when times is above 0")
		}
	}
}

type addProblem func(field, format string, args ...any)

func (c Customer) validate(add addProblem, lookupEnv func(string) (string, bool)) {
	if c.ID == "" {
		add("id", "required")
	} else if !validID(c.ID) {
		add("id", "%q may hold only lower-case letters, digits, '-' and '_'", c.ID)
	}
	if c.Language != "" && !slices.Contains(Languages, c.Language) {
		add("language", "%q is not one of %s", c.Language, strings.Join(Languages, ", "))
	}
	if len(c.Services) == 0 {
		add("services", "required: detect, respond or both")
	}
	for _, s := range c.Services {
		if !slices.Contains(Services, s) {
			add("services", "%q is not one of %s", s, strings.Join(Services, ", "))
		}
	}
	requireEnv(add, "webhook_secret_env", c.WebhookSecretEnv, lookupEnv)
	c.Billing.validate(add)
	for i, p := range c.Platforms {
		p.validate(func(field, format string, args ...any) {
			add(fmt.Sprintf("platforms[%d].%s", i, field), format, args...)
		}, lookupEnv)
	}
	if !slices.Contains(Policies, c.Response.Policy) {
		add("response.policy", "%q is not one of %s", c.Response.Policy, strings.Join(Policies, ", "))
	}
	for i, pattern := range c.Response.CriticalHosts {
		if _, err := path.Match(pattern, ""); err != nil {
			add(fmt.Sprintf("response.critical_hosts[%d]", i), "bad pattern %q", pattern)
		}
	}
	for i, site := range c.Sites {
		field := fmt.Sprintf("sites[%d]", i)
		if site.ID == "" {
			add(field+".id", "required")
		}
		if len(site.Hosts) == 0 {
			add(field+".hosts", "at least one host pattern is required")
		}
		for j, pattern := range site.Hosts {
			if _, err := path.Match(pattern, ""); err != nil {
				add(fmt.Sprintf("%s.hosts[%d]", field, j), "bad pattern %q", pattern)
			}
		}
		for j, contact := range site.Contacts {
			validateContact(add, fmt.Sprintf("%s.contacts[%d]", field, j), contact)
		}
	}
	for _, sev := range sortedKeys(c.SLA) {
		if _, err := integrations.ParseSeverity(sev); err != nil || sev != strings.ToLower(sev) {
			add("sla."+sev, "unknown severity %q", sev)
		}
	}
	validateChains(add, c.Escalation, c.EscalationRepeat)
	validateTimezone(add, c.Timezone)
	if c.Storm != nil && (c.Storm.AlertsPerMinute < 0 || c.Storm.DigestEvery < 0) {
		add("storm", "alerts_per_minute and digest_every must not be negative")
	}
	switch c.PageCustomer {
	case "", PageCustomerOnAlert, PageCustomerOnConfirm:
	default:
		add("page_customer", "%q is not one of %s, %s", c.PageCustomer, PageCustomerOnAlert, PageCustomerOnConfirm)
	}
	if c.PageCustomer == PageCustomerOnConfirm && !c.HasService("detect") {
		add("page_customer", "on_confirm needs the detect service: a respond-only customer triages its own alerts")
	}
	for j, contact := range c.StatusUpdates {
		validateContact(add, fmt.Sprintf("status_updates[%d]", j), contact)
	}
	for j, source := range c.SyslogSources {
		source.validate(func(field, format string, args ...any) {
			add(fmt.Sprintf("syslog_sources[%d].%s", j, field), format, args...)
		})
	}
	validateAnalysts(add, c.Analysts)
}

func (b Billing) validate(add addProblem) {
	if b.Plan == "" {
		return
	}
	if !slices.Contains(Plans, b.Plan) {
		add("billing.plan", "%q is not one of %s", b.Plan, strings.Join(Plans, ", "))
	}
	if b.IDs < 0 {
		add("billing.ids", "must not be negative")
	}
	for i, lot := range b.Tickets {
		if lot.Count <= 0 {
			add(fmt.Sprintf("billing.tickets[%d].count", i), "must be above 0")
		}
		if lot.Purchased.IsZero() {
			add(fmt.Sprintf("billing.tickets[%d].purchased", i), "required (YYYY-MM-DD)")
		}
	}
}

func (p Platform) validate(add addProblem, lookupEnv func(string) (string, bool)) {
	vendor, ok := integrations.LookupVendor(p.Vendor)
	if !ok {
		add("vendor", "unknown vendor %q (want one of %s)", p.Vendor, strings.Join(integrations.VendorNames(), ", "))
		return
	}
	if u, err := url.Parse(p.URL); err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		add("url", "%q is not an http(s) URL", p.URL)
	}
	for _, env := range p.credentialFields(vendor) {
		requireEnv(add, env.field, env.name, lookupEnv)
	}
	if p.Poll < 0 {
		add("poll", "must not be negative")
	}
	if !vendor.Polled && p.Poll > 0 {
		add("poll", "%s pushes its alerts to intake and is not polled", p.Vendor)
	}
	if p.FirstFetch != nil {
		switch window := p.FirstFetch.D(); {
		case !vendor.Polled:
			add("first_fetch", "%s pushes its alerts to intake: there is nothing to fetch (see docs/platforms.md on alerts raised before its feed was configured)", p.Vendor)
		case p.Poll <= 0:
			add("first_fetch", "%s is not polled here (no poll:), so there is no first fetch: set poll or leave first_fetch out", p.Vendor)
		case window > MaxFirstFetch:
			add("first_fetch", "%s looks back at most 30d (720h), not %s (%.4g days)", p.Vendor, window, window.Hours()/24)
		}
	}
	for vendorSeverity, ours := range p.SeverityMap {
		if _, err := integrations.ParseSeverity(ours); err != nil {
			add("severity_map."+vendorSeverity, "%v", err)
		}
	}
}

// envField is one credential of a platform: the customers file's field that names
// the environment variable, and that name.
type envField struct {
	credential  integrations.Credential
	field, name string
}

// credentialFields are the <credential>_env fields the vendor's credentials need.
func (p Platform) credentialFields(vendor integrations.Vendor) []envField {
	names := map[integrations.Credential]string{
		integrations.Username: p.UsernameEnv, integrations.Password: p.PasswordEnv,
		integrations.ClientID: p.ClientIDEnv, integrations.Secret: p.SecretEnv, integrations.APIKey: p.APIKeyEnv,
	}
	fields := make([]envField, 0, len(vendor.Credentials))
	for _, credential := range vendor.Credentials {
		fields = append(fields, envField{credential: credential, field: string(credential) + "_env", name: names[credential]})
	}
	return fields
}

// Connect builds the client of the platform, with the credentials read through
// getenv (os.Getenv on a worker) from the variables the customers file names.
func (p Platform) Connect(getenv func(string) string) (integrations.Platform, error) {
	vendor, ok := integrations.LookupVendor(p.Vendor)
	if !ok {
		return nil, fmt.Errorf("unknown vendor %q (want one of %s)", p.Vendor, strings.Join(integrations.VendorNames(), ", "))
	}
	connection := integrations.Connection{Vendor: p.Vendor, URL: p.URL, SeverityMap: p.SeverityMap, Secrets: map[integrations.Credential]string{}}
	var problems []string
	for _, env := range p.credentialFields(vendor) {
		switch value := getenv(env.name); {
		case env.name == "":
			problems = append(problems, env.field+" is not set")
		case value == "":
			problems = append(problems, fmt.Sprintf("environment variable %s (%s) is empty or unset", env.name, env.field))
		default:
			connection.Secrets[env.credential] = value
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%s: %s", p.Vendor, strings.Join(problems, "; "))
	}
	return vendor.Connect(connection)
}

func requireEnv(add addProblem, field, name string, lookupEnv func(string) (string, bool)) {
	if name == "" {
		add(field, "required: the name of the environment variable holding the secret")
		return
	}
	if value, ok := lookupEnv(name); !ok || value == "" {
		add(field, "environment variable %s is not set", name)
	}
}

func validateContact(add addProblem, field string, c Contact) {
	if len(c.Channels()) == 0 {
		add(field, "no channel: set at least one of email, slack, call, sms")
	}
	if c.SMSFallback && c.Call == "" {
		add(field+".sms_fallback", "needs a call number to fall back from")
	}
	if c.Email != "" && !strings.Contains(c.Email, "@") {
		add(field+".email", "%q is not an email address", c.Email)
	}
	for _, number := range []struct{ name, value string }{{"call", c.Call}, {"sms", c.SMS}} {
		if number.value != "" && !validPhone(number.value) {
			add(field+"."+number.name, "%q is not an E.164 phone number (+ and digits)", number.value)
		}
	}
}

func validPhone(s string) bool {
	if len(s) < 4 || s[0] != '+' {
		return false
	}
	for _, r := range s[1:] {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func validID(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func (c *Customer) applyDefaults() {
	if c.Language == "" {
		c.Language = "en"
	}
	if c.Name == "" {
		c.Name = c.ID
	}
	if c.EscalationRepeat == nil {
		repeat := DefaultRepeat
		c.EscalationRepeat = &repeat
	}
	if c.Timezone == "" {
		c.Timezone = "UTC"
	}
	if c.StatusCoalesce == 0 {
		c.StatusCoalesce = DefaultStatusCoalesce
	}
}

// PagesCustomerOnAlert tells whether the customer's own chain starts with every alert:
// page_customer says so, or nobody triages before them (respond-only, or no SOC).
func (c Customer) PagesCustomerOnAlert(soc *SOC) bool {
	switch {
	case soc == nil || !c.HasService("detect"):
		return true
	case c.PageCustomer != "":
		return c.PageCustomer == PageCustomerOnAlert
	}
	return false
}

// Location is the customer's time zone (UTC when unset or unknown).
func (c Customer) Location() *time.Location { return LoadLocation(c.Timezone) }

// Location is the SOC's time zone.
func (s SOC) Location() *time.Location { return LoadLocation(s.Timezone) }

// LoadLocation answers the IANA zone, UTC when empty or unknown (the file was
// validated at load, so an unknown zone here is a programming error, not input).
func LoadLocation(zone string) *time.Location {
	if zone == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return time.UTC
	}
	return loc
}

func (s *SOC) applyDefaults() {
	if s.Name == "" {
		s.Name = "SOC"
	}
	if s.Language == "" {
		s.Language = "en"
	}
	if s.Timezone == "" {
		s.Timezone = "UTC"
	}
	if s.EscalationRepeat == nil {
		repeat := DefaultRepeat
		s.EscalationRepeat = &repeat
	}
	if s.Storm.AlertsPerMinute == 0 {
		s.Storm.AlertsPerMinute = DefaultStorm.AlertsPerMinute
	}
	if s.Storm.DigestEvery == 0 {
		s.Storm.DigestEvery = DefaultStorm.DigestEvery
	}
	if s.Correlation.CampaignHosts == 0 {
		s.Correlation.CampaignHosts = DefaultCorrelation.CampaignHosts
	}
	if s.Correlation.CampaignWindow == 0 {
		s.Correlation.CampaignWindow = DefaultCorrelation.CampaignWindow
	}
	if s.Suppression.NotifyOver == 0 {
		s.Suppression.NotifyOver = DefaultSuppression.NotifyOver
	}
	if s.Suppression.QAEvery == 0 {
		s.Suppression.QAEvery = DefaultSuppression.QAEvery
	}
	if s.Requests.Urgent == 0 {
		s.Requests.Urgent = DefaultRequests.Urgent
	}
	if s.Requests.Normal == 0 {
		s.Requests.Normal = DefaultRequests.Normal
	}
}

// Customer finds a customer by id.
func (c *Customers) Customer(id string) (*Customer, bool) {
	for i := range c.Customers {
		if c.Customers[i].ID == id {
			return &c.Customers[i], true
		}
	}
	return nil, false
}

// HasService tells whether the customer subscribed to detect or respond.
func (c Customer) HasService(service string) bool { return slices.Contains(c.Services, service) }

// Platform finds the customer's instance of a vendor.
func (c Customer) Platform(vendor string) (Platform, bool) {
	for _, p := range c.Platforms {
		if p.Vendor == vendor {
			return p, true
		}
	}
	return Platform{}, false
}
