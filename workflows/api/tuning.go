package api

import (
	"time"

	"xsoc/identity"
)

// Rule is one suppression rule: alerts it matches are known benign. A rule is never
// edited: it is added (pending), approved by a second person, and later retired or
// left to expire; its History says who did what and when, and how far each is proven.
type Rule struct {
	ID string `json:"id"`
	// By wrote the rule (add_rule); ApprovedBy approved it (approve_rule), at ApprovedAt.
	By         string    `json:"by"`
	ApprovedBy string    `json:"approved_by"`
	ApprovedAt time.Time `json:"approved_at,omitzero"`
	Reason     string    `json:"reason"`
	Expires    time.Time `json:"expires"`
	Match      RuleMatch `json:"match"`
	AddedAt    time.Time `json:"added_at"`
	// ApprovalDue is set on a rule added pending: unapproved by then, it expires.
	// Rules added before approvals were their own Update carry none: they were
	// approved as they were added.
	ApprovalDue time.Time `json:"approval_due,omitzero"`
	RetiredAt   time.Time `json:"retired_at,omitzero"`
	RetiredBy   string    `json:"retired_by,omitempty"`
	Hits        int       `json:"hits"`
	LastHit     time.Time `json:"last_hit,omitzero"`
	// State is answered by the rules query: pending, active, expired or retired.
	State   string       `json:"state,omitempty"`
	History []RuleChange `json:"history"`
}

// RuleChange is one change of a rule, for the audit: who (verified and how, or
// declared, as identity.Author says it; xsoc's own changes carry neither), what, when.
type RuleChange struct {
	At       time.Time `json:"at"`
	By       string    `json:"by"`
	Verified *bool     `json:"verified,omitempty"`
	Via      string    `json:"via,omitempty"`
	What     string    `json:"what"`
	Note     string    `json:"note,omitempty"`
}

// RuleMatch says which alerts a rule matches: every field given must match (globs
// with *, case-insensitive); hosts, users and indicators match when any listed value
// does; max_severity is the highest Severity matched (default high; critical only
// when written; emergency never).
type RuleMatch struct {
	Vendor      string   `json:"vendor,omitempty"`
	Detection   string   `json:"detection,omitempty"`
	Hosts       []string `json:"hosts,omitempty"`
	Users       []string `json:"users,omitempty"`
	Indicators  []string `json:"indicators,omitempty"`
	MaxSeverity string   `json:"max_severity,omitempty"`
}

// Rule states. A pending rule suppresses nothing: it waits for its approval.
const (
	RulePending = "pending"
	RuleActive  = "active"
	RuleExpired = "expired"
	RuleRetired = "retired"
)

// RuleApprovalWindow is how long a rule waits for its approval: unapproved, it
// expires.
const RuleApprovalWindow = 24 * time.Hour

// AddRuleRequest is the add_rule Update's argument. By is the writer (filled from the
// stamp when sent through the codec server). ApprovedBy is only who the writer asks
// to approve: the rule stays pending until an approve_rule by another verified
// person, whoever it is (callers written before approve_rule still send it).
type AddRuleRequest struct {
	identity.Stamp
	By         string    `json:"by"`
	ApprovedBy string    `json:"approved_by,omitempty"`
	Reason     string    `json:"reason"`
	Expires    time.Time `json:"expires"`
	Match      RuleMatch `json:"match"`
}

// ApproveRuleRequest is the approve_rule Update's argument: the rule's id, sent by
// the approver through the codec server (By is optional, and must name them).
type ApproveRuleRequest struct {
	identity.Stamp
	ID   string `json:"id"`
	By   string `json:"by,omitempty"`
	Note string `json:"note,omitempty"`
}

// RetireRuleRequest is the retire_rule Update's argument.
type RetireRuleRequest struct {
	identity.Stamp
	ID     string `json:"id"`
	By     string `json:"by"`
	Reason string `json:"reason,omitempty"`
}

// RuleAdded answers add_rule, approve_rule and retire_rule: the rule and its state
// after the change (pending until ApprovalDue after add_rule).
type RuleAdded struct {
	ID          string    `json:"id"`
	State       string    `json:"state,omitempty"`
	ApprovalDue time.Time `json:"approval_due,omitzero"`
}

// Pending tells whether the rule waits for its approval (or waited in vain).
func (r Rule) Pending() bool { return !r.ApprovalDue.IsZero() && r.ApprovedAt.IsZero() }

// StateAt is the rule's state at a moment.
func (r Rule) StateAt(now time.Time) string {
	switch {
	case !r.RetiredAt.IsZero():
		return RuleRetired
	case !now.Before(r.Expires):
		return RuleExpired
	case r.Pending() && !now.Before(r.ApprovalDue):
		return RuleExpired
	case r.Pending():
		return RulePending
	}
	return RuleActive
}

// TuningInput starts a customer's Tuning (the tuning package's Input carries its rules
// over when it continues as new).
type TuningInput struct {
	Customer string `json:"customer"`
}

// RuleSet is what Tuning hands Triage: the rules in force, and their revision.
type RuleSet struct {
	Revision int    `json:"revision"`
	Rules    []Rule `json:"rules"`
	// Epoch names the Tuning that counts the revisions (its first run): a Tuning
	// started afresh counts from 0 again, and Triage believes it by its new epoch.
	Epoch string `json:"epoch,omitempty"`
}

// RuleHits are the incidents rules suppressed, as Triage reports them.
type RuleHits struct {
	Hits []RuleHit `json:"hits"`
}

// RuleHit is one incident a rule suppressed.
type RuleHit struct {
	Rule     string    `json:"rule"`
	Incident string    `json:"incident"`
	At       time.Time `json:"at"`
}
