package triage

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"xsoc/workflows/api"
	"xsoc/workflows/internal/testworld"
)

// admitBatch asks triage by one batch Update, as a worker's admissions batches do,
// and records each answer under its incident.
func (tw *triageWorld) admitBatch(at time.Duration, updateID string, admissions ...api.Admission) *testworld.UpdateOutcome {
	outcome := &testworld.UpdateOutcome{}
	tw.w.At(at, func() { tw.admitBatchNow(outcome, updateID, admissions...) })
	return outcome
}

// admitBatchNow is admitBatch from a callback already running at its moment.
func (tw *triageWorld) admitBatchNow(outcome *testworld.UpdateOutcome, updateID string, admissions ...api.Admission) {
	{
		tw.w.Env.UpdateWorkflow(api.UpdateAdmitBatch, updateID, &testsuite.TestUpdateCallback{
			OnAccept: func() {},
			OnReject: func(err error) { outcome.Rejected = err },
			OnComplete: func(result any, err error) {
				outcome.Err, outcome.Completed = err, true
				if err != nil {
					return
				}
				answers := result.([]api.TriageAnswer)
				require.Len(tw.t, answers, len(admissions), "one answer per admission")
				tw.mu.Lock()
				for i, a := range admissions {
					tw.answers[a.Incident] = answers[i]
				}
				tw.mu.Unlock()
			},
		}, api.AdmissionBatch{Admissions: admissions})
	}
}

// A batch is decided admission by admission, in its order, exactly as if each had been
// asked alone: within one batch a host's first alert owns it and the next joins, three
// hosts open a campaign that the fourth joins, a rule suppresses, and an incident that
// asks again (in another batch, or alone) is answered the same.
func TestTriageAnswersABatchOfAdmissionsInItsOrder(t *testing.T) {
	t.Parallel()
	tw := newTriageWorld(t)
	rule := api.Rule{ID: "R-1", By: "hanako", ApprovedBy: "sato", Reason: "inventory script", Expires: testworld.Start.Add(24 * time.Hour),
		Match: api.RuleMatch{Detection: "Suspicious PowerShell*"}}
	tw.rules(time.Second, rule)
	batch := []api.Admission{
		admission(1, "Mimikatz", "high", "pc-1"),
		admission(2, "Port scan", "high", "pc-1"),
		admission(3, "Suspicious PowerShell usage", "high", "pc-9"),
		admission(4, "Worm.Conficker", "high", "pc-4"),
		admission(5, "Worm.Conficker", "high", "pc-5"),
		admission(6, "Worm.Conficker", "high", "pc-6"),
		admission(7, "Worm.Conficker", "high", "pc-7"),
	}
	first := tw.admitBatch(2*time.Second, "b1", batch...)
	// The incident of a2 asks again, alone and then in another batch with a newcomer.
	again := tw.admitByUpdate(3*time.Second, "u2-again", batch[1])
	second := tw.admitBatch(4*time.Second, "b2", batch[1], admission(8, "Port scan", "high", "pc-1"))
	refused := tw.admitBatch(5*time.Second, "b3", admission(9, "Mimikatz", "high", "pc-3"), api.Admission{Incident: "incident/acme/cybereason/a10"})

	tw.run(time.Hour, triageSettings())

	for _, o := range []*testworld.UpdateOutcome{first, again, second} {
		require.True(t, o.Completed)
		require.NoError(t, o.Err)
	}
	require.Equal(t, api.TriageOwn, tw.answer(1).Decision, "the host's first alert owns it")
	require.Equal(t, api.TriageMerged, tw.answer(2).Decision, "the same host's next alert in the same batch joins it")
	require.Equal(t, "incident/acme/cybereason/a1", tw.answer(2).Parent)
	require.Equal(t, api.TriageSuppressed, tw.answer(3).Decision, "a rule in force suppresses within a batch")
	require.Equal(t, api.TriageOwn, tw.answer(4).Decision)
	require.Equal(t, api.TriageOwn, tw.answer(5).Decision)
	campaign := tw.answer(6)
	require.Equal(t, api.TriageMerged, campaign.Decision, "the third host of a detection opens a campaign")
	require.Equal(t, api.TriageMerged, tw.answer(7).Decision, "the fourth joins it")
	require.Equal(t, campaign.Parent, tw.answer(7).Parent)
	require.Equal(t, api.TriageMerged, tw.answer(8).Decision)
	require.Equal(t, "incident/acme/cybereason/a1", tw.answer(8).Parent)
	require.ErrorContains(t, refused.Rejected, "admission 2 of the batch")
	require.ErrorContains(t, refused.Rejected, "field alert_id")
	_, answered := tw.answers["incident/acme/cybereason/a9"]
	require.False(t, answered, "a refused batch decides none of its admissions")
	require.Len(t, tw.campaigns, 1, "one campaign opened")
}

func TestAdmissionBatchIsBounded(t *testing.T) {
	t.Parallel()
	require.ErrorContains(t, api.AdmissionBatch{}.Validate(), "without admissions")
	big := api.AdmissionBatch{}
	for n := range api.MaxAdmissionBatch + 1 {
		big.Admissions = append(big.Admissions, admission(n, "Mimikatz", "high", fmt.Sprintf("pc-%d", n)))
	}
	require.ErrorContains(t, big.Validate(), fmt.Sprintf("at most %d", api.MaxAdmissionBatch))
	require.NoError(t, api.AdmissionBatch{Admissions: big.Admissions[:api.MaxAdmissionBatch]}.Validate())
}
