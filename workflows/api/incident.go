package api

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"time"

	"xsoc/config"
	"xsoc/identity"
	"xsoc/integrations"
)

// IncidentInput starts an incident. Resume is set only when an incident continues as
// new, to take its state over into the new run.
type IncidentInput struct {
	Customer      string             `json:"customer"`
	Vendor        string             `json:"vendor"`
	Alert         integrations.Alert `json:"alert"`
	Policy        Policy             `json:"policy"`
	PreviousRunID string             `json:"previous_run_id,omitempty"`
	// Reopened says why the alert starts again as an incident of its own after its
	// incident closed merged: the parent it was handed to could not take it.
	Reopened string          `json:"reopened,omitempty"`
	Resume   *IncidentStatus `json:"resume,omitempty"`
	// Campaign is set on a campaign incident, which triage opened for alerts that
	// share a detection or an indicator across hosts.
	Campaign *CampaignInfo `json:"campaign,omitempty"`
	// Stamps are the decisions' stamps the incident took in the last minutes, carried
	// with Resume so that a copy of a stamped decision is refused in the new run too.
	Stamps identity.Replays `json:"stamps,omitzero"`
}

// IncidentStatus is the incident as the `status` query answers it, and the state an
// incident carries over when it continues as new.
type IncidentStatus struct {
	WorkflowID string                `json:"workflow_id"`
	Customer   string                `json:"customer"`
	Vendor     string                `json:"vendor"`
	Alert      integrations.Alert    `json:"alert"`
	Severity   integrations.Severity `json:"severity"`
	State      string                `json:"state"`
	Verdict    string                `json:"verdict,omitempty"`
	// Decider is the analyst who gave the verdict, and their note: what the vendor's
	// console is told when the incident ends.
	Decider  *DecisionRecord `json:"decider,omitempty"`
	OpenedAt time.Time       `json:"opened_at"`
	ClosedAt time.Time       `json:"closed_at,omitzero"`
	// Acknowledged is the triaging tier's acknowledgement (the SOC's, or the customer's
	// without a SOC): it meets the ack clock.
	Acknowledged *Acknowledgement `json:"acknowledged,omitempty"`
	// CustomerAcknowledged is the customer's own acknowledgement of their chain.
	CustomerAcknowledged *Acknowledgement            `json:"customer_acknowledged,omitempty"`
	Containment          Containment                 `json:"containment"`
	Findings             *integrations.Findings      `json:"findings,omitempty"`
	Paged                []Page                      `json:"paged"`
	Clocks               []Clock                     `json:"clocks"`
	Chains               []Chain                     `json:"chains"`
	Tickets              []TicketUse                 `json:"tickets,omitempty"`
	Deliveries           int                         `json:"deliveries"`
	PreviousRunID        string                      `json:"previous_run_id,omitempty"`
	Timeline             []Entry                     `json:"timeline"`
	Dropped              int                         `json:"timeline_dropped,omitempty"`
	Decisions            int                         `json:"decisions"`
	Site                 string                      `json:"site,omitempty"`
	Recommend            string                      `json:"recommendation,omitempty"`
	Actions              []integrations.ActionResult `json:"actions,omitempty"`
	// Vendor work waiting its turn: containment actions run one at a time, in order.
	Pending []VendorAction `json:"pending_actions,omitempty"`
	// Outbox gathers the changes the customer's contacts hear about next.
	Outbox Outbox `json:"outbox"`
	// Rule is the suppression rule that closed the incident, or sampled it for QA.
	Rule *RuleRef `json:"rule,omitempty"`
	// Parent is the incident or campaign this incident's alert joined (merged).
	Parent string `json:"parent,omitempty"`
	// Joined are the alerts that joined this incident (the latest, when there are
	// many: JoinedCount counts them all, and visibility lists them by XsocParent).
	Joined      []JoinedRef `json:"joined,omitempty"`
	JoinedCount int         `json:"joined_count,omitempty"`
	// MoreHosts are the hosts beyond the first that Alert.Hosts keeps, by platform, by
	// name: a campaign of thousands of hosts carries them in a compact form.
	MoreHosts []VendorHosts `json:"more_hosts,omitempty"`
	// JoinPending is a campaign this incident joins once its vendor work is done.
	JoinPending *JoinRequest `json:"join_pending,omitempty"`
	// Sequence numbers the vendor actions and status messages of this incident, so
	// that their idempotency keys stay unique across continue-as-new.
	Sequence int `json:"sequence"`
	// Fingerprint is that of the last version of the alert the incident took, when a
	// re-delivery brought one other than the first (see tookVersion); empty until then.
	Fingerprint string `json:"fingerprint,omitempty"`
}

// DecisionRecord is who decided, and why. Verified says the codec server, a Slack
// button or a call proved By (Via: token, sso, slack or call); otherwise By is only
// declared (docs/identity-contract.md).
type DecisionRecord struct {
	By       string    `json:"by"`
	Verified bool      `json:"verified"`
	Via      string    `json:"via,omitempty"`
	Note     string    `json:"note,omitempty"`
	At       time.Time `json:"at"`
}

// Acknowledgement says who stopped the paging, when and how. Verified: By is proven,
// and Via says how (token, sso, slack, call); declared, Via is what the sender said
// (slack, phone) or empty.
type Acknowledgement struct {
	By       string    `json:"by"`
	Verified bool      `json:"verified"`
	At       time.Time `json:"at"`
	Via      string    `json:"via,omitempty"`
}

// Containment is what we hold contained for this incident.
type Containment struct {
	Hosts      []string                 `json:"hosts,omitempty"`
	Indicators []integrations.Indicator `json:"indicators,omitempty"`
	// Carried are indicators blocked through other platforms by incidents that joined
	// this one: this incident holds them now, and releases each through its platform.
	Carried []CarriedBlock `json:"carried,omitempty"`
}

// CarriedBlock is indicators blocked through one platform.
type CarriedBlock struct {
	Vendor     string                   `json:"vendor"`
	Indicators []integrations.Indicator `json:"indicators"`
}

// Active tells whether anything is contained.
func (c Containment) Active() bool {
	return len(c.Hosts) > 0 || len(c.Indicators) > 0 || len(c.Carried) > 0
}

// Page is one notification sent (or attempted) to one contact.
type Page struct {
	Key     string    `json:"key"`
	Kind    string    `json:"kind"`
	Tier    string    `json:"tier,omitempty"`
	Channel string    `json:"channel"`
	Address string    `json:"address"`
	Name    string    `json:"name,omitempty"`
	At      time.Time `json:"at"`
	Ref     string    `json:"ref,omitempty"`
	Error   string    `json:"error,omitempty"`
	// FallbackSMS is the number texted if this call is not answered by a person.
	FallbackSMS string `json:"fallback_sms,omitempty"`
}

// TicketUse is one consumption of option tickets for this incident.
type TicketUse struct {
	Service  string    `json:"service"`
	Tickets  int       `json:"tickets"`
	By       string    `json:"by"`
	Verified bool      `json:"verified"`
	Via      string    `json:"via,omitempty"`
	At       time.Time `json:"at"`
}

// Entry is one line of the incident's timeline: what happened, when, by whom. Args
// carry the line's facts so that messages can say it in the reader's language. A line
// a person's decision wrote says how far its By is proven, as identity.Author does:
// Verified true with Via (token, sso, slack, call), or false (declared); lines xsoc
// writes itself carry neither.
type Entry struct {
	At       time.Time         `json:"at"`
	Kind     string            `json:"kind"`
	By       string            `json:"by,omitempty"`
	Verified *bool             `json:"verified,omitempty"`
	Via      string            `json:"via,omitempty"`
	Text     string            `json:"text"`
	Args     map[string]string `json:"args,omitempty"`
}

// SLA clock names.
const (
	ClockAck     = "ack"
	ClockVerdict = "verdict"
	ClockContain = "contain"
)

// Clock states beyond the search attribute's SLA states.
const (
	ClockRunning   = "running"
	ClockNotNeeded = "not_needed"
)

// Clock is one SLA promise of the incident: acknowledge, verdict or contain by Due.
type Clock struct {
	Name       string    `json:"name"`
	StartedAt  time.Time `json:"started_at"`
	Due        time.Time `json:"due"`
	State      string    `json:"state"`
	MetAt      time.Time `json:"met_at,omitzero"`
	BreachedAt time.Time `json:"breached_at,omitzero"`
}

// ClockView is one clock as the `sla` query answers it.
type ClockView struct {
	Clock
	Remaining string `json:"remaining"`
	Breached  bool   `json:"breached"`
	Met       bool   `json:"met"`
}

// SLAView answers the `sla` query.
type SLAView struct {
	State   string      `json:"state"`
	NextDue time.Time   `json:"next_due,omitzero"`
	Clocks  []ClockView `json:"clocks"`
}

// Chain is one tier's escalation chain in progress: which Severity's steps, counted
// from when, and which steps are done. A Severity raise starts a new chain (Gen+1).
type Chain struct {
	Tier      string                `json:"tier"`
	Severity  integrations.Severity `json:"severity"`
	StartedAt time.Time             `json:"started_at"`
	Gen       int                   `json:"gen"`
	Done      []string              `json:"done,omitempty"`
	// AlreadyPaged holds contacts paged by the previous chain, not paged again in
	// the first round of this one.
	AlreadyPaged []string `json:"already_paged,omitempty"`
	// Hurry is set when a call went unanswered: the next step goes out at once.
	Hurry bool `json:"hurry,omitempty"`
	// Stopped is set when the tier acknowledged.
	Stopped bool `json:"stopped,omitempty"`
}

// Outbox gathers the changes the customer's contacts (CSIRT and site) hear about in
// the next status message: changes within the customer's status_coalesce go out as
// one message, and the first change after a quiet spell goes out at once.
type Outbox struct {
	Changes    []Entry   `json:"changes,omitempty"`
	FlushAt    time.Time `json:"flush_at,omitzero"`
	LastSentAt time.Time `json:"last_sent_at,omitzero"`
	Sent       int       `json:"sent,omitempty"`
}

// VendorAction is one containment call waiting its turn or running: vendor actions
// run one at a time, in the order they were asked for, so that a release never
// overtakes the isolation it undoes.
type VendorAction struct {
	Number int                `json:"number"`
	Action string             `json:"action"` // isolate, release, block, unblock
	Host   *integrations.Host `json:"host,omitempty"`
	// Hosts are the hosts of one platform isolated or released in one vendor call (a
	// batch: Vendor names the platform).
	Hosts      []integrations.Host      `json:"hosts,omitempty"`
	Indicators []integrations.Indicator `json:"indicators,omitempty"`
	By         string                   `json:"by"`
	Why        string                   `json:"why"`
	// Vendor is the platform of an unblock of indicators carried from a joined
	// incident of another platform ("" for the incident's own).
	Vendor string `json:"vendor,omitempty"`
	// Running is set once the call went out.
	Running bool `json:"running,omitempty"`
	// ThenInvestigate starts the investigation when this action is done: isolate
	// first, then investigate.
	ThenInvestigate bool `json:"then_investigate,omitempty"`
}

// VendorHosts are hosts of one platform, by name.
type VendorHosts struct {
	Vendor string   `json:"vendor"`
	Names  []string `json:"names"`
}

// IncidentVersionUnsupported is the failure type of an incident whose history is
// older than the oldest incident version the worker's build runs (package incident).
const IncidentVersionUnsupported = "IncidentVersionUnsupported"

// MemoFingerprint is the incident's memo field that holds the Fingerprint of the last
// version of its alert it took: intake compares a delivery after close with it.
const MemoFingerprint = "fingerprint"

// Fingerprint identifies one version of a vendor alert: a re-delivery has the same,
// a vendor update after close has another.
func Fingerprint(alert integrations.Alert) string {
	hosts := alert.HostNames()
	slices.Sort(hosts)
	sum := sha256.Sum256([]byte(strings.Join([]string{alert.ID, alert.Detection, string(alert.Severity),
		alert.ObservedAt.UTC().Format(time.RFC3339Nano), strings.Join(hosts, ",")}, "\n")))
	return hex.EncodeToString(sum[:])
}

// Policy is what an incident needs to know of its customer and of the SOC, taken
// from the customers file when the alert arrives. It holds no secrets: those stay in
// the worker's environment and are read by activities.
type Policy struct {
	CustomerName  string                    `json:"customer_name"`
	Language      string                    `json:"language"`
	Detect        bool                      `json:"detect"`
	Respond       bool                      `json:"respond"`
	Response      config.Response           `json:"response"`
	Capabilities  integrations.Capabilities `json:"capabilities"`
	Sites         []config.Site             `json:"sites,omitempty"`
	SLA           map[string]config.SLA     `json:"sla,omitempty"`
	Escalation    map[string][]config.Step  `json:"escalation,omitempty"`
	Repeat        config.Repeat             `json:"repeat"`
	StatusUpdates []config.Contact          `json:"status_updates,omitempty"`
	// Timezone is the customer's IANA zone: the times its people read.
	Timezone string `json:"timezone,omitempty"`
	// StatusCoalesce gathers an incident's changes into one status message.
	StatusCoalesce config.Duration `json:"status_coalesce,omitempty"`
	// PageCustomerOnAlert starts the customer's own chain with every alert (respond-only
	// customers, page_customer: on_alert, or no SOC); otherwise it starts when the SOC
	// confirms a true positive.
	PageCustomerOnAlert bool `json:"page_customer_on_alert,omitempty"`
	// SOC is the provider's own team, paged for every alert; nil without a soc: block.
	SOC *SOCPolicy `json:"soc,omitempty"`
}

// SOCPolicy is the SOC as an incident needs it: who they are and how to page them.
type SOCPolicy struct {
	Name       string                   `json:"name"`
	Language   string                   `json:"language"`
	Timezone   string                   `json:"timezone,omitempty"`
	Contact    string                   `json:"contact,omitempty"`
	Escalation map[string][]config.Step `json:"escalation"`
	Repeat     config.Repeat            `json:"repeat"`
	Notices    []config.Contact         `json:"notices,omitempty"`
}

// Paging tiers: the SOC's analysts and the customer's own people.
const (
	TierSOC      = "soc"
	TierCustomer = "customer"
)
