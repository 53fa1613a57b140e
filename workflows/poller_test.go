package workflows

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"
)

func TestPollerPagesAtOnceSleepsWhenCaughtUpAndCarriesItsCursor(t *testing.T) {
	t.Parallel()
	env := newTestEnv(testStart)
	acts := &Activities{}
	env.RegisterActivity(acts)
	env.RegisterWorkflowWithOptions(Poller, workflow.RegisterOptions{Name: PollerWorkflowType})

	type poll struct {
		cursor string
		at     time.Time
	}
	var polls []poll
	env.OnActivity(acts.PollPlatform, mock.Anything, mock.Anything).Return(
		func(_ context.Context, r PollRequest) (PollResult, error) {
			polls = append(polls, poll{r.Cursor, env.Now()})
			next := len(polls)
			// The vendor has a backlog of two pages, then one page per poll.
			return PollResult{NextCursor: string(rune('a' + next)), More: next < 3}, nil
		})

	env.ExecuteWorkflow(PollerWorkflowType, PollerInput{Customer: "acme", Vendor: "cybereason", Every: time.Minute})

	require.True(t, env.IsWorkflowCompleted())
	var next *workflow.ContinueAsNewError
	require.ErrorAs(t, env.GetWorkflowError(), &next, "a poller continues as new to keep its history small")
	require.Len(t, polls, pollsPerRun)
	require.Equal(t, "", polls[0].cursor)
	require.Equal(t, "b", polls[1].cursor, "each poll starts at the cursor the last one answered")
	require.Equal(t, polls[0].at, polls[2].at, "pages waiting are fetched at once")
	require.Equal(t, time.Minute, polls[3].at.Sub(polls[2].at), "caught up, it waits its interval")

	var carried PollerInput
	require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(next.Input, &carried))
	require.Equal(t, string(rune('a'+pollsPerRun)), carried.Cursor, "the cursor carries over")
	require.Equal(t, testStart, carried.Since)
}
