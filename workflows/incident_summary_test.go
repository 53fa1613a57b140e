package workflows

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"xsoc/activities"
	"xsoc/integrations"
)

func TestIncidentSummaryCarriesTheManagersFigures(t *testing.T) {
	opened := time.Date(2026, 5, 10, 9, 0, 0, 0, time.UTC)
	at := func(d time.Duration) time.Time { return opened.Add(d) }
	for _, c := range []struct {
		name  string
		edit  func(*IncidentStatus)
		check func(*testing.T, IncidentSummary)
	}{
		{"contained within its clock, the customer phoned", func(s *IncidentStatus) {
			s.Clocks = []Clock{{Name: ClockAck, State: SLAMet, MetAt: at(time.Minute)}, {Name: ClockContain, State: SLAMet, MetAt: at(9 * time.Minute)}}
			s.Paged = []Page{
				{Kind: activities.KindPage, Tier: TierSOC, Channel: "call"},
				{Kind: activities.KindPage, Tier: TierCustomer, Channel: "email"},
				{Kind: activities.KindPage, Tier: TierCustomer, Channel: "call"},
			}
		}, func(t *testing.T, s IncidentSummary) {
			require.Equal(t, at(9*time.Minute), s.ContainedAt)
			require.True(t, s.CustomerPaged)
			require.True(t, s.CustomerCalled)
			require.Nil(t, s.BreachedAt)
		}},
		{"contained after its clock breached, only the SOC phoned", func(s *IncidentStatus) {
			s.Clocks = []Clock{{Name: ClockContain, State: SLABreached, BreachedAt: at(time.Hour)}}
			s.Timeline = []Entry{
				{At: at(time.Minute), Kind: "state", Args: facts("from", StateNew, "to", StateInvestigating)},
				{At: at(2 * time.Hour), Kind: "state", Args: facts("from", StateContaining, "to", StateContained)},
			}
			s.Paged = []Page{
				{Kind: activities.KindPage, Tier: TierSOC, Channel: "call"},
				{Kind: activities.KindStatus, Tier: TierCustomer, Channel: "email"},
				{Kind: activities.KindPage, Tier: TierCustomer, Channel: "call", Error: "invalid number"},
			}
		}, func(t *testing.T, s IncidentSummary) {
			require.Equal(t, at(2*time.Hour), s.ContainedAt)
			require.Equal(t, map[string]time.Time{ClockContain: at(time.Hour)}, s.BreachedAt)
			require.False(t, s.CustomerPaged, "a status update is not a page, and a call that failed reached nobody")
			require.False(t, s.CustomerCalled)
		}},
		{"suppressed by a rule", func(s *IncidentStatus) {
			s.State, s.Verdict, s.Rule = StateSuppressed, VerdictFalsePositive, &RuleRef{ID: "rule-7"}
			s.Decider = &DecisionRecord{By: "rule:rule-7", At: opened}
			s.Clocks = []Clock{{Name: ClockContain, State: SLAMet, MetAt: opened}}
		}, func(t *testing.T, s IncidentSummary) {
			require.Equal(t, "rule-7", s.Rule)
			require.Equal(t, opened, s.VerdictAt)
			require.True(t, s.ContainedAt.IsZero(), "a rule meets the contain clock without containing anything")
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			status := IncidentStatus{WorkflowID: "incident/acme/cybereason/1", Customer: "acme", Vendor: "cybereason",
				Alert: integrations.Alert{ID: "1", ObservedAt: opened.Add(-time.Minute)}, Severity: "high", State: StateResolved,
				OpenedAt: opened, ClosedAt: at(3 * time.Hour), Acknowledged: &Acknowledgement{By: "hanako", At: at(time.Minute)}}
			c.edit(&status)
			s := (&incident{status: status}).summary()
			require.Equal(t, opened.Add(-time.Minute), s.DetectedAt)
			require.Equal(t, at(time.Minute), s.AcknowledgedAt)
			c.check(t, s)
		})
	}
}
