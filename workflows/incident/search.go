package incident

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"xsoc/workflows/api"
	"xsoc/workflows/casework"
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
		api.SACustomer.ValueSet(s.Customer),
		api.SAVendor.ValueSet(s.Vendor),
		api.SAHost.ValueSet(now.host),
		api.SASeverity.ValueSet(now.severity),
		api.SASeverityRank.ValueSet(int64(s.Severity.Rank())),
		api.SAState.ValueSet(now.state),
		api.SASLAState.ValueSet(now.slaState),
		api.SAContained.ValueSet(now.contained),
	}
	updates = append(updates, casework.SetOrUnset(api.SASite, now.site), casework.SetOrUnset(api.SAVerdict, now.verdict),
		casework.SetOrUnset(api.SARule, now.rule), casework.SetOrUnset(api.SAParent, now.parent), casework.SetOrUnsetTime(api.SASLADueAt, now.dueAt))
	if casework.Upsert(ctx, updates) {
		inc.published = now
	}
}
