package incident

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"xsoc/activities"
	"xsoc/integrations"
	"xsoc/workflows/api"
	"xsoc/workflows/casework"
)

func TestIncidentSummaryCarriesTheManagersFigures(t *testing.T) {
	opened := time.Date(2026, 5, 10, 9, 0, 0, 0, time.UTC)
	at := func(d time.Duration) time.Time { return opened.Add(d) }
	for _, c := range []struct {
		name  string
		edit  func(*api.IncidentStatus)
		check func(*testing.T, api.IncidentSummary)
	}{
		{"contained within its clock, the customer phoned", func(s *api.IncidentStatus) {
			s.Clocks = []api.Clock{{Name: api.ClockAck, State: api.SLAMet, MetAt: at(time.Minute)}, {Name: api.ClockContain, State: api.SLAMet, MetAt: at(9 * time.Minute)}}
			s.Paged = []api.Page{
				{Kind: activities.KindPage, Tier: api.TierSOC, Channel: "call"},
				{Kind: activities.KindPage, Tier: api.TierCustomer, Channel: "email"},
				{Kind: activities.KindPage, Tier: api.TierCustomer, Channel: "call"},
			}
		}, func(t *testing.T, s api.IncidentSummary) {
			require.Equal(t, at(9*time.Minute), s.ContainedAt)
			require.True(t, s.CustomerPaged)
			require.True(t, s.CustomerCalled)
			require.Nil(t, s.BreachedAt)
		}},
		{"contained after its clock breached, only the SOC phoned", func(s *api.IncidentStatus) {
			s.Clocks = []api.Clock{{Name: api.ClockContain, State: api.SLABreached, BreachedAt: at(time.Hour)}}
			s.Timeline = []api.Entry{
				{At: at(time.Minute), Kind: "state", Args: casework.Facts("from", api.StateNew, "to", api.StateInvestigating)},
				{At: at(2 * time.Hour), Kind: "state", Args: casework.Facts("from", api.StateContaining, "to", api.StateContained)},
			}
			s.Paged = []api.Page{
				{Kind: activities.KindPage, Tier: api.TierSOC, Channel: "call"},
				{Kind: activities.KindStatus, Tier: api.TierCustomer, Channel: "email"},
				{Kind: activities.KindPage, Tier: api.TierCustomer, Channel: "call", Error: "invalid number"},
			}
		}, func(t *testing.T, s api.IncidentSummary) {
			require.Equal(t, at(2*time.Hour), s.ContainedAt)
			require.Equal(t, map[string]time.Time{api.ClockContain: at(time.Hour)}, s.BreachedAt)
			require.False(t, s.CustomerPaged, "a status update is not a page, and a call that failed reached nobody")
			require.False(t, s.CustomerCalled)
		}},
		{"suppressed by a rule", func(s *api.IncidentStatus) {
			s.State, s.Verdict, s.Rule = api.StateSuppressed, api.VerdictFalsePositive, &api.RuleRef{ID: "rule-7"}
			s.Decider = &api.DecisionRecord{By: "rule:rule-7", At: opened}
			s.Clocks = []api.Clock{{Name: api.ClockContain, State: api.SLAMet, MetAt: opened}}
		}, func(t *testing.T, s api.IncidentSummary) {
			require.Equal(t, "rule-7", s.Rule)
			require.Equal(t, opened, s.VerdictAt)
			require.True(t, s.ContainedAt.IsZero(), "a rule meets the contain clock without containing anything")
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			status := api.IncidentStatus{WorkflowID: "incident/acme/cybereason/1", Customer: "acme", Vendor: "cybereason",
				Alert: integrations.Alert{ID: "1", ObservedAt: opened.Add(-time.Minute)}, Severity: "high", State: api.StateResolved,
				OpenedAt: opened, ClosedAt: at(3 * time.Hour), Acknowledged: &api.Acknowledgement{By: "hanako", At: at(time.Minute)}}
			c.edit(&status)
			s := (&incident{status: incidentStatus(status)}).summary()
			require.Equal(t, opened.Add(-time.Minute), s.DetectedAt)
			require.Equal(t, at(time.Minute), s.AcknowledgedAt)
			c.check(t, s)
		})
	}
}
