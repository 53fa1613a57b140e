package triage

import (
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"xsoc/workflows/api"
	"xsoc/workflows/casework"
	"xsoc/workflows/start"
)

// ownerFreshness is how long an owner is believed alive without looking again: in a
// storm of alerts for one host it is looked up about twice a minute, not per alert.
const ownerFreshness = 30 * time.Second

// liveOwnerOf answers the open incident that owns one of the alert's hosts. An owner
// not known alive lately is looked up first; one found over leaves the table and the
// next owner, if any, is considered.
func (t *triage) liveOwnerOf(ctx workflow.Context, a api.Admission) (string, bool) {
	for {
		owner, ok := t.ownerOf(hostLabels(a))
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
	var a *start.Calls
	var found api.Liveness
	err := workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(ctx, casework.IncidentAliveOptions), a.IncidentAlive,
		api.IncidentRun{WorkflowID: owner.Incident, FirstRun: owner.Run}).Get(ctx, &found)
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

// ownerOf answers the owner of one of the hosts: the first in the table's order, as a
// scan of the table would.
func (t *triage) ownerOf(hosts []string) (HostOwner, bool) {
	t.indexOwners()
	best := -1
	for _, h := range hosts {
		if i, ok := t.byHost[strings.ToLower(h)]; ok && (best < 0 || i < best) {
			best = i
		}
	}
	if best < 0 {
		return HostOwner{}, false
	}
	return t.state.Owners[best], true
}

func (t *triage) ownerIndex(incident string) int {
	t.indexOwners()
	if i, ok := t.byIncident[incident]; ok {
		return i
	}
	return -1
}

// indexOwners builds the owners table's indexes, by host and by incident, when the
// table changed: a worm's campaign owns thousands of hosts, and every alert looks its
// hosts up (a scan of the table per alert made a storm's triage quadratic).
func (t *triage) indexOwners() {
	if t.byHost != nil {
		return
	}
	t.byHost, t.byIncident = map[string]int{}, map[string]int{}
	for i, owner := range t.state.Owners {
		if _, ok := t.byIncident[owner.Incident]; !ok {
			t.byIncident[owner.Incident] = i
		}
		for _, h := range owner.Hosts {
			if _, ok := t.byHost[h]; !ok {
				t.byHost[h] = i
			}
		}
	}
}

// ownersChanged drops the indexes after the table's rows moved.
func (t *triage) ownersChanged() { t.byHost, t.byIncident = nil, nil }

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
		t.byIncident[incident] = i
	}
	for _, h := range hosts {
		h = strings.ToLower(h)
		if j, ok := t.byHost[h]; ok && j == i {
			continue
		}
		if !slices.Contains(t.state.Owners[i].Hosts, h) {
			t.state.Owners[i].Hosts = append(t.state.Owners[i].Hosts, h)
		}
		if _, ok := t.byHost[h]; !ok {
			t.byHost[h] = i
		}
	}
}

// closed frees the hosts of an incident that is over, and ends its campaign.
func (t *triage) closed(c api.Closure) {
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
	t.ownersChanged()
	t.state.Campaigns = slices.DeleteFunc(t.state.Campaigns, func(c OpenCampaign) bool { return c.Incident == incident })
	if t.round3 {
		t.state.Recent = slices.DeleteFunc(t.state.Recent, func(r RecentAlert) bool { return r.Owner == incident })
	}
}
