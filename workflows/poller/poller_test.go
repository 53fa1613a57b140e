package poller

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"xsoc/activities"
	"xsoc/config"
	"xsoc/workflows/api"
	"xsoc/workflows/casework"
	"xsoc/workflows/internal/testworld"
	"xsoc/workflows/start"
)

func TestPollerPagesAtOnceSleepsWhenCaughtUpAndCarriesItsCursor(t *testing.T) {
	t.Parallel()
	env := testworld.NewTestEnv(testworld.Start)
	acts := &start.Calls{}
	env.RegisterActivity(acts)
	env.RegisterWorkflowWithOptions(Poller, workflow.RegisterOptions{Name: api.PollerWorkflowType})

	type poll struct {
		cursor string
		at     time.Time
	}
	var polls []poll
	env.OnActivity(acts.PollPlatform, mock.Anything, mock.Anything).Return(
		func(_ context.Context, r api.PollRequest) (api.PollResult, error) {
			polls = append(polls, poll{r.Cursor, env.Now()})
			next := len(polls)
			// The vendor has a backlog of two pages, then one page per poll.
			return api.PollResult{NextCursor: string(rune('a' + next)), More: next < 3}, nil
		})

	env.ExecuteWorkflow(api.PollerWorkflowType, api.PollerInput{Customer: "acme", Vendor: "cybereason", Every: time.Minute})

	require.True(t, env.IsWorkflowCompleted())
	var next *workflow.ContinueAsNewError
	require.ErrorAs(t, env.GetWorkflowError(), &next, "a poller continues as new to keep its history small")
	require.Len(t, polls, pollsPerRun)
	require.Equal(t, "", polls[0].cursor)
	require.Equal(t, "b", polls[1].cursor, "each poll starts at the cursor the last one answered")
	require.Equal(t, polls[0].at, polls[2].at, "pages waiting are fetched at once")
	require.Equal(t, time.Minute, polls[3].at.Sub(polls[2].at), "caught up, it waits its interval")

	var carried api.PollerInput
	require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(next.Input, &carried))
	require.Equal(t, string(rune('a'+pollsPerRun)), carried.Cursor, "the cursor carries over")
	require.Equal(t, testworld.Start, carried.Since)
}

// flakyVendor is a vendor behind the PollPlatform activity: alerts raised over time,
// a cursor that is the count fetched so far, and a stretch in which it refuses us.
type flakyVendor struct {
	env    *testsuite.TestWorkflowEnvironment
	raised []raisedAlert
	// down answers the error of a poll at a time, nil when the vendor answers.
	down func(at time.Time) error

	mu        sync.Mutex
	delivered []string
	answered  []answeredPoll
	failures  int
}

type answeredPoll struct {
	cursor string
	at     time.Time
}

type raisedAlert struct {
	id string
	at time.Time
}

func (v *flakyVendor) poll(_ context.Context, r api.PollRequest) (api.PollResult, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	now := v.env.Now()
	if err := v.down(now); err != nil {
		v.failures++
		return api.PollResult{}, err
	}
	from := 0
	if r.Cursor != "" {
		from, _ = strconv.Atoi(r.Cursor)
	}
	next := from
	for next < len(v.raised) && !v.raised[next].at.After(now) {
		v.delivered = append(v.delivered, v.raised[next].id)
		next++
	}
	v.answered = append(v.answered, answeredPoll{r.Cursor, now})
	return api.PollResult{NextCursor: strconv.Itoa(next), Delivered: next - from, New: next - from}, nil
}

// pollerWorld is a Poller under test: its vendor, the SOC's notifications and the
// search attributes it set.
type pollerWorld struct {
	env     *testsuite.TestWorkflowEnvironment
	vendor  *flakyVendor
	mu      sync.Mutex
	told    []activities.Notification
	upserts []string
}

func newPollerWorld(t *testing.T, vendor *flakyVendor) *pollerWorld {
	t.Helper()
	w := newPollerWorldPolling(t, vendor.poll)
	vendor.env, w.vendor = w.env, vendor
	return w
}

// newPollerWorldPolling is a Poller under test whose PollPlatform activity is poll.
func newPollerWorldPolling(t *testing.T, poll func(context.Context, api.PollRequest) (api.PollResult, error)) *pollerWorld {
	t.Helper()
	env := testworld.NewTestEnv(testworld.Start)
	w := &pollerWorld{env: env}
	own, acts := &start.Calls{}, &activities.Activities{}
	env.RegisterActivity(own)
	env.RegisterActivity(acts)
	env.RegisterWorkflowWithOptions(Poller, workflow.RegisterOptions{Name: api.PollerWorkflowType})
	env.OnActivity(own.PollPlatform, mock.Anything, mock.Anything).Return(poll)
	env.OnActivity(own.SOCNoticesFor, mock.Anything, "acme").Return(api.SOCNotices{
		CustomerName: "ACME", Language: "en", Timezone: "Asia/Tokyo",
		Contacts: []config.Contact{{Email: "soc@xsoc.example"}, {Slack: "#soc-triage", Call: "+81300009999"}},
	}, nil)
	for _, fn := range []any{acts.SendEmail, acts.PostSlack, acts.SendSMS, acts.PlaceCall} {
		env.OnActivity(fn, mock.Anything, mock.Anything).Return(func(_ context.Context, n activities.Notification) (activities.Delivery, error) {
			w.mu.Lock()
			defer w.mu.Unlock()
			w.told = append(w.told, n)
			return activities.Delivery{}, nil
		}).Maybe()
	}
	env.OnUpsertTypedSearchAttributes(mock.Anything).Run(func(args mock.Arguments) {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.upserts = append(w.upserts, testworld.SearchAttributeMap(args.Get(0))[api.SAState.GetName()].(string))
	}).Return(nil)
	return w
}

// statusAt answers the poller's `status` query as it stands after a while, once the
// poller ran that far.
func (w *pollerWorld) statusAt(t *testing.T, after time.Duration) *api.PollerStatus {
	t.Helper()
	var status api.PollerStatus
	w.env.RegisterDelayedCallback(func() {
		value, err := w.env.QueryWorkflow(api.QueryStatus)
		require.NoError(t, err)
		require.NoError(t, value.Get(&status))
	}, after)
	return &status
}

// run runs the poller until it continues as new, and answers the next run's input.
func (w *pollerWorld) run(t *testing.T, in api.PollerInput) api.PollerInput {
	t.Helper()
	w.env.ExecuteWorkflow(api.PollerWorkflowType, in)
	require.True(t, w.env.IsWorkflowCompleted())
	var next *workflow.ContinueAsNewError
	require.ErrorAs(t, w.env.GetWorkflowError(), &next, "a poller never ends on a vendor error")
	var carried api.PollerInput
	require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(next.Input, &carried))
	return carried
}

var badCredentials = temporal.NewNonRetryableApplicationError(
	"customer acme: polling cybereason: cybereason login: HTTP 401: Invalid credentials", "VendorError", nil)

func TestPollerRidesOutACredentialsOutageAndDeliversWhatWasRaisedMeanwhile(t *testing.T) {
	t.Parallel()
	outageStart, outageEnd := testworld.Start.Add(10*time.Minute), testworld.Start.Add(2*time.Hour)
	vendor := &flakyVendor{
		raised: []raisedAlert{{"before", testworld.Start.Add(5 * time.Minute)}, {"during-1", testworld.Start.Add(30 * time.Minute)},
			{"during-2", testworld.Start.Add(time.Hour)}, {"after", testworld.Start.Add(3 * time.Hour)}},
		down: func(at time.Time) error {
			if !at.Before(outageStart) && at.Before(outageEnd) {
				return badCredentials
			}
			return nil
		},
	}
	w := newPollerWorld(t, vendor)
	during := w.statusAt(t, 90*time.Minute)

	next := w.run(t, api.PollerInput{Customer: "acme", Vendor: "cybereason", Every: time.Minute})

	require.Equal(t, []string{"before", "during-1", "during-2", "after"}, vendor.delivered,
		"the alerts raised during the outage are delivered once it is over")
	require.Positive(t, vendor.failures)
	resumed := slices.IndexFunc(vendor.answered, func(p answeredPoll) bool { return !p.at.Before(outageEnd) })
	require.Equal(t, "1", vendor.answered[resumed].cursor, "the first poll after the outage asks from where the poller stopped")
	require.Less(t, vendor.answered[resumed].at.Sub(outageEnd), outageRetryMax+time.Minute, "tried again at most 15 minutes apart")
	require.Equal(t, "4", next.Cursor)
	require.Nil(t, next.Outage)

	require.Equal(t, []string{api.PollerPolling, api.PollerOutageState, api.PollerPolling}, w.upserts, "XsocState shows the outage while it lasts")
	require.Equal(t, api.PollerOutageState, during.State)
	require.Equal(t, "1", during.Cursor, "the cursor is kept through the outage")
	require.Equal(t, outageStart, during.Outage.Since)
	require.Contains(t, during.Outage.LastError, "HTTP 401: Invalid credentials")
	require.Contains(t, during.Outage.LastError, "customer acme")

	// The SOC is told once that the outage began and once that it is over, by every
	// channel but a call.
	var kinds []string
	for _, n := range w.told {
		require.Equal(t, activities.KindSOCNotice, n.Kind)
		kinds = append(kinds, n.Incident.SOCNotice.Topic+" "+n.Contact.Channels()[0].Name)
		require.Equal(t, "en", n.Language)
		require.Equal(t, "poller/acme/cybereason", n.Incident.WorkflowID)
		require.Equal(t, "Asia/Tokyo", n.Zone, "the SOC reads times in its zone")
		require.True(t, outageStart.Equal(n.Incident.SOCNotice.Since))
	}
	require.ElementsMatch(t, []string{"vendor_outage email", "vendor_outage slack", "vendor_recovered email", "vendor_recovered slack"}, kinds)
}

func TestPollerCarriesItsOutageAcrossContinueAsNew(t *testing.T) {
	t.Parallel()
	since := testworld.Start.Add(-3 * time.Hour)
	// The vendor is down (5xx) for the whole run, which started in an outage the SOC
	// was told about.
	vendor := &flakyVendor{down: func(time.Time) error {
		return temporal.NewApplicationError("customer acme: polling cybereason: HTTP 503: maintenance", "VendorError")
	}}
	w := newPollerWorld(t, vendor)
	in := api.PollerInput{Customer: "acme", Vendor: "cybereason", Every: time.Minute, Cursor: "7", Since: since.Add(-time.Hour),
		Outage: &api.PollerOutage{Since: since, Failures: 12, Told: true, LastError: "HTTP 503"}}
	next := w.run(t, in)

	require.Equal(t, "7", next.Cursor, "the cursor carries over untouched")
	require.Equal(t, since, next.Outage.Since, "one outage, however many runs it lasts")
	require.Equal(t, 12+pollsPerRun, next.Outage.Failures)
	require.True(t, next.Outage.Told)
	require.Contains(t, next.Outage.LastError, "HTTP 503: maintenance")
	require.Empty(t, w.told, "the SOC, told in an earlier run, is not told again")
	require.Equal(t, []string{api.PollerOutageState}, w.upserts, "each run shows the outage once")
	require.Equal(t, pollsPerRun*casework.PollOptions.RetryPolicy.MaximumAttempts, int32(vendor.failures), "blips are retried by the activity first")
	// Capped backoff: 200 polls at most 15 minutes apart (and the activity's own
	// retries, 15 seconds a poll).
	require.LessOrEqual(t, w.env.Now().Sub(testworld.Start), pollsPerRun*(outageRetryMax+15*time.Second))
	require.GreaterOrEqual(t, w.env.Now().Sub(testworld.Start), (pollsPerRun-10)*outageRetryMax)
}
