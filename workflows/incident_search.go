package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// publishedAttributes is what the incident last showed to search, so that an upsert
// is written to history only when something a manager searches on changed.
type publishedAttributes struct {
	host, site, severity, state, verdict, slaState, rule, parent string
	dueAt                                                        time.Time
	contained                                                    bool
	// published is false until the first upsert, so that the first one is never
	// skipped as "unchanged" from the zero value.
	published bool
}

// publish marks the search attributes for an upsert: they are written once per
// workflow task (upsertSearch), however many changes the task made.
func (inc *incident) publish(workflow.Context) { inc.searchStale = true }

// upsertSearch upserts the search attributes that managers and the UI filter on,
// when something they show changed.
func (inc *incident) upsertSearch(ctx workflow.Context) {
	if !inc.searchStale {
		return
	}
	inc.searchStale = false
	s := inc.status
	now := publishedAttributes{
		site: s.Site, severity: string(s.Severity), state: s.State, verdict: s.Verdict,
		slaState: s.slaState(), dueAt: s.nextDue(), contained: s.Containment.Active(), published: true, parent: s.Parent,
	}
	if s.Rule != nil {
		now.rule = s.Rule.ID
	}
	if hosts := s.hostNames(); len(hosts) > 0 {
		now.host = hosts[0]
	}
	if now == inc.published {
		return
	}
	updates := []temporal.SearchAttributeUpdate{
		SACustomer.ValueSet(s.Customer),
		SAVendor.ValueSet(s.Vendor),
		SAHost.ValueSet(now.host),
		SASeverity.ValueSet(now.severity),
		SASeverityRank.ValueSet(int64(s.Severity.Rank())),
		SAState.ValueSet(now.state),
		SASLAState.ValueSet(now.slaState),
		SAContained.ValueSet(now.contained),
	}
	updates = append(updates, setOrUnset(SASite, now.site), setOrUnset(SAVerdict, now.verdict),
		setOrUnset(SARule, now.rule), setOrUnset(SAParent, now.parent), setOrUnsetTime(SASLADueAt, now.dueAt))
	if upsert(ctx, updates) {
		inc.published = now
	}
}

// upsert writes search attributes, and answers whether they were written: a failure
// is logged, and the workflow goes on (the attributes are an index, not the record).
func upsert(ctx workflow.Context, updates []temporal.SearchAttributeUpdate) bool {
	if err := workflow.UpsertTypedSearchAttributes(ctx, updates...); err != nil {
		workflow.GetLogger(ctx).Error("upserting search attributes", "error", err)
		return false
	}
	return true
}

func setOrUnsetTime(key temporal.SearchAttributeKeyTime, value time.Time) temporal.SearchAttributeUpdate {
	if value.IsZero() {
		return key.ValueUnset()
	}
	return key.ValueSet(value)
}

func setOrUnset(key temporal.SearchAttributeKeyKeyword, value string) temporal.SearchAttributeUpdate {
	if value == "" {
		return key.ValueUnset()
	}
	return key.ValueSet(value)
}
