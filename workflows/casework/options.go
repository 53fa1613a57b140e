package casework

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// RecordIncidentOptions are the options an incident runs RecordIncident with: a
// billable incident must be counted however long the Account cannot be reached, so
// the activity retries, at most every 10 minutes, for as long as it takes (no
// schedule-to-close limit). It stays exactly-once: the Update id is the incident's.
var RecordIncidentOptions = workflow.ActivityOptions{
	StartToCloseTimeout: 30 * time.Second,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval:    5 * time.Second,
		BackoffCoefficient: 2,
		MaximumInterval:    10 * time.Minute,
	},
}

// RecordIncidentLocalOptions are RecordIncidentOptions for the local activity that
// incidents run now: the same retries, without end.
var RecordIncidentLocalOptions = workflow.LocalActivityOptions{
	StartToCloseTimeout: RecordIncidentOptions.StartToCloseTimeout,
	RetryPolicy:         RecordIncidentOptions.RetryPolicy,
}

// AdmitOptions are the options of the local activity by which a new incident asks
// its customer's triage what it is: tried again within the minute an incident waits
// for triage (a triage busy with a storm, or continuing as new, answers later), after
// which the incident pages as a new one.
var AdmitOptions = workflow.LocalActivityOptions{
	ScheduleToCloseTimeout: TriageTimeout,
	StartToCloseTimeout:    20 * time.Second,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval:    200 * time.Millisecond,
		BackoffCoefficient: 2,
		MaximumInterval:    5 * time.Second,
	},
}

// AdmitWithinTaskOptions are the options of that local activity for incidents that
// are patient with a busy triage (incidentVersionPatience): the answer is awaited
// only while the incident's first workflow task lasts. A local activity still running
// when the task's time is nearly out makes the worker hold the task by completing it
// and asking for another every 8 s (10 s task timeout), three transactions each; in a
// worm thousands of incidents waiting so kept the server busy with nothing else. An
// incident not answered within AdmitWithinTask waits for the answer by Signal,
// holding no task (TriagePatience).
var AdmitWithinTaskOptions = workflow.LocalActivityOptions{
	ScheduleToCloseTimeout: AdmitWithinTask,
	StartToCloseTimeout:    AdmitWithinTask,
	RetryPolicy:            AdmitOptions.RetryPolicy,
}

// AdmitWithinTask: see AdmitWithinTaskOptions; under the 8 s after which a task
// running local activities is held by a new one.
const AdmitWithinTask = 5 * time.Second

// NotifyOptions bound the retries of the notices a workflow waits for (a poller's
// outage notices, an Account's ticket notices, storm digests): a broken channel must
// not hold that workflow, which records the failure instead.
//
// The schedule-to-close timeout bounds them when the server loses the activity's task:
// in a 20,000-alert worm one notice stayed scheduled, never started, for 13 minutes.
// It is longer than the five attempts and their backoff take (about 4 minutes).
var NotifyOptions = workflow.ActivityOptions{
	ScheduleToCloseTimeout: 5 * time.Minute,
	StartToCloseTimeout:    45 * time.Second,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval:    2 * time.Second,
		BackoffCoefficient: 2,
		MaximumInterval:    time.Minute,
		MaximumAttempts:    5,
	},
}

// PageOptions are those of an incident's (or a request's) pages and status messages:
// retried until they go through, for as long as they can matter, so that an outage
// of SMTP, Slack or Twilio delays a page without losing it; they run beside the
// story, so the chain's next steps page meanwhile. A refusal (4xx: bad address,
// revoked token) still fails at once and is recorded.
var PageOptions = workflow.ActivityOptions{
	StartToCloseTimeout:    45 * time.Second,
	ScheduleToCloseTimeout: time.Hour,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval:    2 * time.Second,
		BackoffCoefficient: 2,
		MaximumInterval:    10 * time.Second,
	},
}

// VendorOptions: a vendor call is given the time one call needs, and retried with
// backoff (honoring Retry-After through the activity's error) for as long as a
// containment can still be useful; 4xx fail at once. The activity heartbeats while
// it waits on the vendor, so a worker that dies mid-call is noticed in seconds and
// the call retried elsewhere (the platform checks the host's state first, so a
// retry never isolates twice).
var VendorOptions = workflow.ActivityOptions{
	StartToCloseTimeout:    time.Minute,
	HeartbeatTimeout:       10 * time.Second,
	ScheduleToCloseTimeout: 30 * time.Minute,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval:    2 * time.Second,
		BackoffCoefficient: 2,
		MaximumInterval:    2 * time.Minute,
	},
}

// TicketOptions: consuming tickets is a quick call to the customer's Account; retried
// safely because the request id makes it exactly-once there.
var TicketOptions = workflow.ActivityOptions{
	StartToCloseTimeout: 30 * time.Second,
	RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 5},
}

// AskVendorOptions bound a question to the vendor (does it know the host, what does it
// know of these indicators): the host is asked about before the SOC is paged, so
// after a few minutes of vendor trouble the SOC is paged anyway and checks it itself.
var AskVendorOptions = workflow.ActivityOptions{
	StartToCloseTimeout:    time.Minute,
	ScheduleToCloseTimeout: 3 * time.Minute,
	RetryPolicy:            &temporal.RetryPolicy{InitialInterval: 2 * time.Second, BackoffCoefficient: 2, MaximumInterval: 30 * time.Second},
}

// IncidentAliveOptions: one quick look at the server; triage decides on what it has
// when the look fails (it keeps the owner: the joining incident asks again if the
// owner turns out to be over).
var IncidentAliveOptions = workflow.LocalActivityOptions{
	StartToCloseTimeout: 5 * time.Second,
	RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 2},
}

// ReopenOptions: alerts handed to a parent that was gone must start again, however
// long Temporal cannot be reached: retried without end, at most every minute.
var ReopenOptions = workflow.ActivityOptions{
	StartToCloseTimeout: 2 * time.Minute,
	HeartbeatTimeout:    30 * time.Second,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval:    time.Second,
		BackoffCoefficient: 2,
		MaximumInterval:    time.Minute,
	},
}

// MembersWriteBackOptions: a campaign's verdict written back to thousands of member
// alerts, page by page, for as long as a vendor takes (retried like vendor calls).
var MembersWriteBackOptions = workflow.ActivityOptions{
	StartToCloseTimeout:    30 * time.Minute,
	HeartbeatTimeout:       time.Minute,
	ScheduleToCloseTimeout: 24 * time.Hour,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval:    2 * time.Second,
		BackoffCoefficient: 2,
		MaximumInterval:    2 * time.Minute,
	},
}

// PollOptions absorb a vendor's blips (a 5xx or 429 retried, honoring Retry-After,
// for about half a minute); anything longer, and any 4xx, reaches the poller, which
// records the outage and tries again itself, keeping its cursor.
var PollOptions = workflow.ActivityOptions{
	StartToCloseTimeout: 5 * time.Minute,
	HeartbeatTimeout:    time.Minute,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval:    5 * time.Second,
		BackoffCoefficient: 2,
		MaximumInterval:    time.Minute,
		MaximumAttempts:    3,
	},
}

// SOCNoticesOptions: a short call to the worker, which reads its customers file.
var SOCNoticesOptions = workflow.ActivityOptions{StartToCloseTimeout: 30 * time.Second}

// LegacyPollOptions are the options of pollers started before pollerOutageVersion.
var LegacyPollOptions = workflow.ActivityOptions{
	StartToCloseTimeout: 5 * time.Minute,
	HeartbeatTimeout:    time.Minute,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval:    5 * time.Second,
		BackoffCoefficient: 2,
		MaximumInterval:    5 * time.Minute,
	},
}

// CountOptions give the vendors hours to answer: the report can go out late in the
// day, but without the count the customer's over-use would not show.
var CountOptions = workflow.ActivityOptions{
	StartToCloseTimeout:    2 * time.Minute,
	ScheduleToCloseTimeout: 6 * time.Hour,
	RetryPolicy:            &temporal.RetryPolicy{InitialInterval: 10 * time.Second, BackoffCoefficient: 2, MaximumInterval: 15 * time.Minute},
}

// AccountReadOptions: the Account answers at once unless its worker is down.
var AccountReadOptions = workflow.ActivityOptions{
	StartToCloseTimeout:    30 * time.Second,
	ScheduleToCloseTimeout: time.Hour,
}

// ReportMailOptions keep trying for hours: the report is mailed once a month, and a
// mail server down for a while must not lose it.
var ReportMailOptions = workflow.ActivityOptions{
	StartToCloseTimeout:    45 * time.Second,
	ScheduleToCloseTimeout: 6 * time.Hour,
	RetryPolicy:            &temporal.RetryPolicy{InitialInterval: 5 * time.Second, BackoffCoefficient: 2, MaximumInterval: 15 * time.Minute},
}
