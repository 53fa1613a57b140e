package workflows

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// Triage's owners table: which open incident owns which hosts. An alert whose host has
// an owner joins it; an owner that is over must therefore never stay in the table, or
// every later alert of its hosts is handed to a dead incident, fails to join, and pages
// on its own where a rule would have suppressed it. Owners leave the table when their
// incident tells triage it is over (Closure); because a message can be late or never
// come (a terminated incident runs no code), an alert about to join an owner not known
// alive for ownerFreshness has triage look first (IncidentAlive), and an incident whose
// join fails asks triage again (Admission.Gone).

// ownerFreshness is how long an owner is believed alive without looking again: in a
// storm of alerts for one host it is looked up about twice a minute, not per alert.
const ownerFreshness = 30 * time.Second

// IncidentRun names one incident's run chain: its workflow id and its first run.
type IncidentRun struct {
	WorkflowID string `json:"workflow_id"`
	// FirstRun is the run that started the chain ("" for whatever runs now).
	FirstRun string `json:"first_run,omitempty"`
}

// Liveness is what IncidentAlive found.
type Liveness struct {
	Alive bool `json:"alive"`
	// Why says what was found, for the log and the incident's timeline.
	Why string `json:"why"`
}

// IncidentAliveOptions: one quick look at the server; triage decides on what it has
// when the look fails (it keeps the owner: the joining incident asks again if the
// owner turns out to be over).
var IncidentAliveOptions = workflow.LocalActivityOptions{
	StartToCloseTimeout: 5 * time.Second,
	RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 2},
}

// IncidentAlive tells whether an incident still runs and is open: not closed, not
// concluded (an incident doing its bookkeeping refuses new alerts), and still the run
// chain triage knows (a recurrence is another incident).
func (a *Activities) IncidentAlive(ctx context.Context, run IncidentRun) (Liveness, error) {
	described, err := a.Temporal.DescribeWorkflowExecution(ctx, run.WorkflowID, "")
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return Liveness{Why: run.WorkflowID + " does not exist"}, nil
	}
	if err != nil {
		return Liveness{}, err
	}
	info := described.GetWorkflowExecutionInfo()
	if status := info.GetStatus(); status != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		return Liveness{Why: run.WorkflowID + " is " + strings.ToLower(strings.TrimPrefix(status.String(), "WORKFLOW_EXECUTION_STATUS_"))}, nil
	}
	if run.FirstRun != "" && info.GetFirstRunId() != "" && info.GetFirstRunId() != run.FirstRun {
		return Liveness{Why: run.WorkflowID + " runs again as a new incident (recurrence)"}, nil
	}
	if field, ok := info.GetSearchAttributes().GetIndexedFields()[SAState.GetName()]; ok {
		state := strings.Trim(string(field.GetData()), `"`)
		if terminal(state) {
			return Liveness{Why: run.WorkflowID + " is concluding (" + state + ")"}, nil
		}
	}
	return Liveness{Alive: true, Why: run.WorkflowID + " is open"}, nil
}

// liveOwnerOf answers the open incident that owns one of the alert's hosts. An owner
// not known alive lately is looked up first; one found over leaves the table and the
// next owner, if any, is considered.
func (t *triage) liveOwnerOf(ctx workflow.Context, a Admission) (string, bool) {
	for {
		owner, ok := t.ownerOf(a.labels())
		if !ok || !t.round3 {
			return owner.Incident, ok
		}
		if owner.Incident == a.Incident {
			// A recurrence finds the run it recurs after still listed: that run is over.
			t.forgetOwner(owner.Incident, "")
			continue
		}
		if t.alive(ctx, owner) {
			return owner.Incident, true
		}
	}
}

// alive tells whether the owner may take an alert, looking it up when it was not
// known alive within ownerFreshness.
func (t *triage) alive(ctx workflow.Context, owner HostOwner) bool {
	now := workflow.Now(ctx)
	if now.Sub(owner.Alive) < ownerFreshness {
		return true
	}
	var a *Activities
	var found Liveness
	err := workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(ctx, IncidentAliveOptions), a.IncidentAlive,
		IncidentRun{WorkflowID: owner.Incident, FirstRun: owner.Run}).Get(ctx, &found)
	if err != nil {
		workflow.GetLogger(ctx).Warn("could not look up an owner; it keeps its hosts", "owner", owner.Incident, "error", err)
		found.Alive = true
	}
	if !found.Alive {
		workflow.GetLogger(ctx).Info("an owner is over: its hosts are free", "owner", owner.Incident, "why", found.Why)
		t.forgetOwner(owner.Incident, "")
		return false
	}
	if i := t.ownerIndex(owner.Incident); i >= 0 {
		t.state.Owners[i].Alive = workflow.Now(ctx)
	}
	return true
}

// ownerOf answers the owner of one of the hosts.
func (t *triage) ownerOf(hosts []string) (HostOwner, bool) {
	for _, owner := range t.state.Owners {
		for _, h := range hosts {
			if slices.Contains(owner.Hosts, strings.ToLower(h)) {
				return owner, true
			}
		}
	}
	return HostOwner{}, false
}

func (t *triage) ownerIndex(incident string) int {
	return slices.IndexFunc(t.state.Owners, func(o HostOwner) bool { return o.Incident == incident })
}

func (t *triage) sharedHost(owner string, hosts []string) string {
	if i := t.ownerIndex(owner); i >= 0 {
		for _, h := range hosts {
			if slices.Contains(t.state.Owners[i].Hosts, strings.ToLower(h)) {
				return h
			}
		}
	}
	return strings.Join(hosts, ", ")
}

// own makes an incident (its run chain, when known) the owner of hosts.
func (t *triage) own(incident, run string, hosts []string, campaign bool, now time.Time) {
	i := t.ownerIndex(incident)
	if i < 0 {
		owner := HostOwner{Incident: incident, Campaign: campaign}
		if t.round3 {
			owner.Run, owner.Alive = run, now
		}
		t.state.Owners = append(t.state.Owners, owner)
		i = len(t.state.Owners) - 1
	}
	for _, h := range hosts {
		if h = strings.ToLower(h); !slices.Contains(t.state.Owners[i].Hosts, h) {
			t.state.Owners[i].Hosts = append(t.state.Owners[i].Hosts, h)
		}
	}
}

// closed frees the hosts of an incident that is over, and ends its campaign.
func (t *triage) closed(c Closure) {
	t.forgetOwner(c.Incident, c.Run)
}

// forgetOwner frees an incident's hosts and ends its campaign; given a run, only when
// the owner is that run (a late closure of an earlier incident of the same alert
// leaves its recurrence the owner). Since round 3 the alerts it held leave the campaign
// window too: they were decided with it, and must not form a campaign again (a closed
// campaign re-opened under its first member's id, with its old members).
func (t *triage) forgetOwner(incident, run string) {
	if i := t.ownerIndex(incident); i >= 0 && run != "" && t.state.Owners[i].Run != "" && t.state.Owners[i].Run != run {
		return
	}
	t.state.Owners = slices.DeleteFunc(t.state.Owners, func(o HostOwner) bool { return o.Incident == incident })
	t.state.Campaigns = slices.DeleteFunc(t.state.Campaigns, func(c OpenCampaign) bool { return c.Incident == incident })
	if t.round3 {
		t.state.Recent = slices.DeleteFunc(t.state.Recent, func(r RecentAlert) bool { return r.Owner == incident })
	}
}
