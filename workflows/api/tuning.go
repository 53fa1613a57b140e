package api

import "time"

// Rule is one suppression rule: alerts it matches are known benign. A rule is never
// edited: it is added, and later retired or left to expire; its History says who did
// what and when.
type Rule struct {
	ID         string    `json:"id"`
	By         string    `json:"by"`
	ApprovedBy string    `json:"approved_by"`
	Reason     string    `json:"reason"`
	Expires    time.Time `json:"expires"`
	Match      RuleMatch `json:"match"`
	AddedAt    time.Time `json:"added_at"`
	RetiredAt  time.Time `json:"retired_at,omitzero"`
	RetiredBy  string    `json:"retired_by,omitempty"`
	Hits       int       `json:"hits"`
	LastHit    time.Time `json:"last_hit,omitzero"`
	// State is answered by the rules query: active, expired or retired.
	State   string       `json:"state,omitempty"`
	History []RuleChange `json:"history"`
}

// RuleChange is one change of a rule, for the audit.
type RuleChange struct {
	At   time.Time `json:"at"`
	By   string    `json:"by"`
	What string    `json:"what"`
	Note string    `json:"note,omitempty"`
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

// Rule states.
const (
	RuleActive  = "active"
	RuleExpired = "expired"
	RuleRetired = "retired"
)

// AddRuleRequest is the add_rule Update's argument.
type AddRuleRequest struct {
	By         string    `json:"by"`
	ApprovedBy string    `json:"approved_by"`
	Reason     string    `json:"reason"`
	Expires    time.Time `json:"expires"`
	Match      RuleMatch `json:"match"`
}

// RetireRuleRequest is the retire_rule Update's argument.
type RetireRuleRequest struct {
	ID     string `json:"id"`
	By     string `json:"by"`
	Reason string `json:"reason,omitempty"`
}

// RuleAdded answers add_rule.
type RuleAdded struct {
	ID string `json:"id"`
}

// StateAt is the rule's state at a moment.
func (r Rule) StateAt(now time.Time) string {
	switch {
	case !r.RetiredAt.IsZero():
		return RuleRetired
	case !now.Before(r.Expires):
		return RuleExpired
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
