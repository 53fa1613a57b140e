package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// PollerInput is one customer platform's poller and where it stands.
type PollerInput struct {
	Customer string        `json:"customer"`
	Vendor   string        `json:"vendor"`
	Every    time.Duration `json:"every"`
	Cursor   string        `json:"cursor,omitempty"`
	// Since is where a poller with no cursor starts: its first start.
	Since time.Time `json:"since,omitzero"`
}

// pollsPerRun bounds a poller run's history; the cursor carries over.
const pollsPerRun = 200

// pollOptions: a vendor outage only delays the poller, which keeps its cursor and
// retries until the vendor answers again; a 4xx (bad credentials) is retried too,
// less often, since the fix is outside xsoc and nothing must be missed meanwhile.
var pollOptions = workflow.ActivityOptions{
	StartToCloseTimeout: 5 * time.Minute,
	HeartbeatTimeout:    time.Minute,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval:    5 * time.Second,
		BackoffCoefficient: 2,
		MaximumInterval:    5 * time.Minute,
	},
}

// Poller fetches a platform's new alerts since its cursor and delivers each to its
// incident (the same id as a pushed copy), page by page, forever. The alerts
// themselves never enter this history: the activity delivers them and answers only
// the next cursor.
func Poller(ctx workflow.Context, in PollerInput) error {
	if in.Since.IsZero() {
		in.Since = workflow.Now(ctx)
	}
	var a *Activities
	ctx = workflow.WithActivityOptions(ctx, pollOptions)
	for polls := 0; polls < pollsPerRun; polls++ {
		var result PollResult
		request := PollRequest{Customer: in.Customer, Vendor: in.Vendor, Cursor: in.Cursor, Since: in.Since}
		if err := workflow.ExecuteActivity(ctx, a.PollPlatform, request).Get(ctx, &result); err != nil {
			return err
		}
		in.Cursor = result.NextCursor
		if !result.More {
			if err := workflow.Sleep(ctx, in.Every); err != nil {
				return err
			}
		}
	}
	return workflow.NewContinueAsNewError(ctx, Poller, in)
}
