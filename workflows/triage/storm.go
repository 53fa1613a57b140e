package triage

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/workflow"

	"xsoc/integrations/messages"
	"xsoc/workflows/api"
	"xsoc/workflows/casework"
)

// StormState is a customer's alert rate and, during a storm, what the next digest
// tells the SOC.
type StormState struct {
	// Arrivals are the admissions of the last minute.
	Arrivals   Arrivals  `json:"arrivals"`
	Active     bool      `json:"active,omitempty"`
	Since      time.Time `json:"since,omitzero"`
	LastDigest time.Time `json:"last_digest,omitzero"`
	// Number counts the customer's storms, for the notices' keys.
	Number int `json:"number"`
	// Digests counts this storm's digests.
	Digests int `json:"digests"`
	// Quiet counts the alerts not paged one by one since the last digest.
	Quiet       int              `json:"quiet"`
	ByDetection []messages.Tally `json:"by_detection,omitempty"`
	ByHost      []messages.Tally `json:"by_host,omitempty"`
}

// countForStorm counts an arrival; more than storm_per_minute in a minute starts a
// storm, paged to the SOC once.
func (t *triage) countForStorm(ctx workflow.Context, a api.Admission, now time.Time) {
	s := &t.state.Storm
	s.Arrivals = s.pruned(now).add(now)
	limit := t.in.Settings.StormPerMinute
	if limit <= 0 || s.Active || s.Arrivals.count() <= limit {
		return
	}
	s.Active, s.Since, s.LastDigest, s.Digests = true, now, now, 0
	s.Number++
	t.tellSOC(ctx, fmt.Sprintf("storm/%d/started", s.Number), messages.SOCNotice{Topic: messages.TopicStormStarted,
		Customer: t.in.Customer, At: now, Since: now, Alerts: s.Arrivals.count(), ListQuery: t.listQuery(now)})
}

// pruned drops the arrivals older than a minute.
func (s *StormState) pruned(now time.Time) Arrivals {
	return slices.DeleteFunc(s.Arrivals, func(a Arrival) bool { return now.Sub(a.At) >= time.Minute })
}

// tally counts a quiet alert for the next digest.
func (s *StormState) tally(a api.Admission) {
	s.Quiet++
	s.ByDetection = addTally(s.ByDetection, a.Detection)
	for _, h := range hostLabels(a) {
		s.ByHost = addTally(s.ByHost, h)
	}
}

func addTally(tallies []messages.Tally, name string) []messages.Tally {
	if i := slices.IndexFunc(tallies, func(t messages.Tally) bool { return t.Name == name }); i >= 0 {
		tallies[i].Count++
		return tallies
	}
	return append(tallies, messages.Tally{Name: name, Count: 1})
}

// passStorm sends the digest that is due, and ends the storm once a minute passes
// under the threshold, with a last digest and one page.
func (t *triage) passStorm(ctx workflow.Context, now time.Time) {
	s := &t.state.Storm
	if !s.Active {
		return
	}
	s.Arrivals = s.pruned(now)
	ended := s.Arrivals.count() <= t.in.Settings.StormPerMinute
	if ended || !now.Before(s.LastDigest.Add(t.in.Settings.DigestEvery)) {
		t.sendDigest(ctx, now)
	}
	if ended {
		s.Active = false
		t.tellSOC(ctx, fmt.Sprintf("storm/%d/ended", s.Number), messages.SOCNotice{Topic: messages.TopicStormEnded,
			Customer: t.in.Customer, At: now, Since: s.Since, ListQuery: t.listQuery(s.Since)})
	}
}

// sendDigest tells the SOC what the storm brought since the last digest.
func (t *triage) sendDigest(ctx workflow.Context, now time.Time) {
	s := &t.state.Storm
	if s.Quiet > 0 {
		s.Digests++
		byCount := func(a, b messages.Tally) int { return cmp.Or(b.Count-a.Count, cmp.Compare(a.Name, b.Name)) }
		slices.SortFunc(s.ByDetection, byCount)
		slices.SortFunc(s.ByHost, byCount)
		t.tellSOC(ctx, fmt.Sprintf("storm/%d/digest/%d", s.Number, s.Digests), messages.SOCNotice{Topic: messages.TopicStormDigest,
			Customer: t.in.Customer, At: now, Since: s.LastDigest, Alerts: s.Quiet,
			ByDetection: s.ByDetection[:min(len(s.ByDetection), 20)], ByHost: s.ByHost[:min(len(s.ByHost), 20)],
			ListQuery: t.listQuery(s.LastDigest)})
	}
	s.LastDigest, s.Quiet, s.ByDetection, s.ByHost = now, 0, nil, nil
}

// listQuery is the Temporal list query of the customer's incidents since a moment.
func (t *triage) listQuery(since time.Time) string {
	return fmt.Sprintf(`WorkflowType="Incident" AND XsocCustomer="%s" AND StartTime >= "%s"`, t.in.Customer, since.UTC().Format(time.RFC3339))
}

// nextDue is when the storm's next digest is due, or when its oldest arrival leaves
// the minute (the storm may end then).
func (s StormState) nextDue(settings api.TriageSettings) time.Time {
	if !s.Active {
		return time.Time{}
	}
	next := s.LastDigest.Add(settings.DigestEvery)
	if len(s.Arrivals) > 0 {
		if leaves := s.Arrivals[0].At.Add(time.Minute); leaves.Before(next) {
			next = leaves
		}
	}
	return next
}

// tellOverBroad tells the SOC that a rule matched more alerts in an hour than
// notify_over: an over-broad rule is seen, not silently eating alerts.
func (t *triage) tellOverBroad(ctx workflow.Context, rule api.Rule, count int, now time.Time) {
	t.tellSOC(ctx, fmt.Sprintf("rule/%s/%s", rule.ID, now.UTC().Format("2006010215")), messages.SOCNotice{Topic: messages.TopicRuleOverBroad,
		Customer: t.in.Customer, At: now, Rule: rule.ID, Count: count,
		Detail: fmt.Sprintf("%s (written by %s, approved by %s, expires %s)", rule.Reason, rule.By, rule.ApprovedBy, rule.Expires.UTC().Format(time.RFC3339))})
}

// tellSOC sends a notice to the SOC's notice contacts (never by phone).
func (t *triage) tellSOC(ctx workflow.Context, topic string, notice messages.SOCNotice) {
	soc := t.in.Settings.Policy.SOC
	if soc == nil {
		return
	}
	brief := messages.Brief{CustomerName: t.in.Settings.Policy.CustomerName, SOCNotice: &notice}
	key := fmt.Sprintf("%s/%s", api.TriageWorkflowID(t.in.Customer), topic)
	for _, m := range casework.SOCNoticeMessages(casework.NoticeContacts(*soc), key, t.in.Customer, soc.Language, soc.Timezone, brief) {
		t.sendNotice(ctx, m, func(ctx workflow.Context, err error) {
			if err != nil {
				workflow.GetLogger(ctx).Warn("a SOC notice failed", "customer", t.in.Customer, "topic", topic, "error", err)
			}
		})
	}
}
