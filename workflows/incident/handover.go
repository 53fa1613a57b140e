package incident

import (
	"fmt"
	"slices"
	"strings"

	"go.temporal.io/sdk/workflow"

	"xsoc/activities"
	"xsoc/integrations"
	"xsoc/workflows/api"
	"xsoc/workflows/casework"
	"xsoc/workflows/start"
)

// Merged alerts handed over by triage, and what a parent of thousands keeps.
//
// Since incidentVersionHandover an incident that triage answers "merged" closes at once
// when triage handed its alert to the parent itself (api.TriageAnswer.HandedOver): no
// signal to the parent, no answer to wait for. Parents take such alerts many at once
// (api.SignalJoinedAlerts): their hosts and indicators, a higher Severity, and, when
// the parent holds its hosts contained, the new hosts isolated in one vendor call per
// platform. A worm's campaign gathers thousands of members: it keeps the latest of them
// (JoinedCount counts all; visibility lists all by XsocParent, and the verdict is
// written back to all from there) and the first hostsKept hosts in full (the rest by
// platform and name, which is how vendors find them), so that its state stays small
// enough to carry into a new run.

const (
	// joinedKept bounds the joined alerts an incident keeps in its state.
	joinedKept = 200
	// hostsKept bounds the hosts kept in full in the incident's alert.
	hostsKept = 1000
	// batchHosts bounds the hosts of one isolate or release action.
	batchHosts = 1000
)

// closeMerged closes the incident as merged into the parent that took its alert.
func (inc *incident) closeMerged(ctx workflow.Context, parent, why string) {
	s := &inc.status
	now := workflow.Now(ctx)
	s.Parent = parent
	s.Containment = api.Containment{}
	for _, tier := range []string{api.TierSOC, api.TierCustomer} {
		inc.stopChain(tier)
	}
	inc.closeClocks()
	s.ClosedAt = now
	inc.record(ctx, casework.NewEntry(now, "merged", "", casework.Facts("parent", parent), "joined %s: %s", parent, why))
	inc.setState(ctx, api.StateMerged, "joined "+parent)
}

// alertsJoined takes alerts triage handed to this incident. A concluded incident
// cannot take them any more: they start again as incidents of their own.
func (inc *incident) alertsJoined(ctx workflow.Context, alerts []api.JoinedAlert) {
	s := &inc.status
	if s.concluded() {
		inc.reopen(ctx, alerts, fmt.Sprintf("it was handed to %s as it concluded (%s)", s.WorkflowID, s.State))
		return
	}
	now := workflow.Now(ctx)
	if len(s.Alert.Hosts) > 0 && s.Alert.Hosts[0].Vendor == "" {
		s.Alert.Hosts = inc.hostsWithVendor(s.Alert.Hosts)
	}
	var added []integrations.Host
	highest := s.Severity
	var ids []string
	for _, j := range alerts {
		added = append(added, inc.mergeHosts(j.Alert)...)
		s.JoinedCount++
		s.Joined = append(s.Joined, api.JoinedRef{Incident: j.Incident, Vendor: j.Vendor, AlertID: j.Alert.ID, Detection: j.Alert.Detection,
			Severity: j.Alert.Severity, At: now})
		if j.Alert.Severity.Rank() > highest.Rank() {
			highest = j.Alert.Severity
		}
		if len(ids) < 10 {
			ids = append(ids, j.Alert.ID)
		}
	}
	if over := len(s.Joined) - joinedKept; over > 0 {
		s.Joined = slices.Clone(s.Joined[over:])
	}
	more := ""
	if len(alerts) > len(ids) {
		more = fmt.Sprintf(" and %d more", len(alerts)-len(ids))
	}
	inc.record(ctx, casework.NewEntry(now, "joined", "", casework.Facts("alerts", strings.Join(ids, ", "), "count", fmt.Sprint(len(alerts)),
		"hosts_added", fmt.Sprint(len(added))), "%d alert(s) joined (%s%s): %d new host(s); %d joined in all",
		len(alerts), strings.Join(ids, ", "), more, len(added), s.JoinedCount))
	inc.publish(ctx)
	if len(added) > 0 && (s.Containment.Active() || inc.containing()) {
		inc.containHosts(ctx, "xsoc", added, "new hosts joined a contained incident", nil)
	}
	if highest.Rank() > s.Severity.Rank() {
		inc.raiseSeverity(ctx, highest, "xsoc", ": a joining alert is more severe")
	}
}

// reopen starts alerts this incident cannot take again as incidents of their own.
func (inc *incident) reopen(ctx workflow.Context, alerts []api.JoinedAlert, why string) {
	var a *start.Calls
	request := api.ReopenRequest{Customer: inc.in.Customer, Parent: inc.status.WorkflowID, Alerts: alerts, Why: why}
	future := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, casework.ReopenOptions), a.ReopenIncidents, request)
	inc.note(ctx, "reopened", "%d alert(s) handed to this incident after it concluded start again as incidents of their own", len(alerts))
	inc.await(ctx, future, func(get func(any) error) event {
		if err := get(nil); err != nil {
			return event{kind: evNoted, text: "re-opening alerts handed after close failed: " + err.Error()}
		}
		return event{kind: evNoted}
	})
}

// mergeHosts adds the hosts and indicators of a joined alert the incident lacks, and
// answers the hosts it added (each marked with its platform). Past hostsKept, hosts
// are kept by platform and name only.
func (inc *incident) mergeHosts(alert integrations.Alert) []integrations.Host {
	s := &inc.status
	inc.indexHosts()
	var added []integrations.Host
	for _, host := range alert.Hosts {
		if host.Vendor == "" {
			host.Vendor = inc.in.Vendor
		}
		label := host.Label()
		if _, known := inc.hostIndex[label]; known {
			continue
		}
		inc.hostIndex[label] = host
		added = append(added, host)
		if len(s.Alert.Hosts) < hostsKept {
			s.Alert.Hosts = append(s.Alert.Hosts, host)
			continue
		}
		i := slices.IndexFunc(s.MoreHosts, func(v api.VendorHosts) bool { return v.Vendor == host.Vendor })
		if i < 0 {
			s.MoreHosts = append(s.MoreHosts, api.VendorHosts{Vendor: host.Vendor})
			i = len(s.MoreHosts) - 1
		}
		s.MoreHosts[i].Names = append(s.MoreHosts[i].Names, label)
	}
	for _, ind := range alert.Indicators {
		if !slices.Contains(s.Alert.Indicators, ind) {
			s.Alert.Indicators = append(s.Alert.Indicators, ind)
		}
	}
	return added
}

// indexHosts builds the index of the incident's hosts by label, once a run.
func (inc *incident) indexHosts() {
	if inc.hostIndex != nil {
		return
	}
	s := &inc.status
	inc.hostIndex = make(map[string]integrations.Host, len(s.Alert.Hosts))
	for _, h := range s.Alert.Hosts {
		inc.hostIndex[h.Label()] = h
	}
	for _, v := range s.MoreHosts {
		for _, name := range v.Names {
			inc.hostIndex[name] = integrations.Host{Name: name, Vendor: v.Vendor}
		}
	}
}

// containHosts queues the isolation of hosts that can be isolated and are neither held
// nor queued, one batch action per platform (a single host keeps its own action).
func (inc *incident) containHosts(ctx workflow.Context, by string, hosts []integrations.Host, why string, asked *pendingDecision) bool {
	inc.indexHeld()
	byVendor := map[string][]integrations.Host{}
	var vendors []string
	for _, h := range hosts {
		if !inc.canIsolate(h) || inc.heldIndex[h.Label()] || inc.queued("isolate", h.Label()) {
			continue
		}
		vendor := inc.vendorOf(h)
		if _, ok := byVendor[vendor]; !ok {
			vendors = append(vendors, vendor)
		}
		byVendor[vendor] = append(byVendor[vendor], h)
	}
	if len(vendors) == 0 {
		return false
	}
	inc.setState(ctx, api.StateContaining, "containing: "+why)
	for _, vendor := range vendors {
		inc.queueHosts("isolate", vendor, byVendor[vendor], by, why, asked)
	}
	return true
}

// queueHosts queues isolate or release actions for hosts of one platform, in batches
// of batchHosts. New hosts join a batch of the same platform that waits, not yet sent,
// rather than queue another call: in a worm, hosts handed over one or two at a time
// while a command runs go together in the next. A single host while nothing of its
// kind waits or runs on its platform keeps an action of its own, sent at once.
func (inc *incident) queueHosts(action, vendor string, hosts []integrations.Host, by, why string, asked *pendingDecision) {
	if asked == nil {
		for i := range inc.status.Pending {
			p := &inc.status.Pending[i]
			if p.Action == action && p.Vendor == vendor && len(p.Hosts) > 0 && !p.Running && len(p.Hosts)+len(hosts) <= batchHosts {
				p.Hosts = append(p.Hosts, hosts...)
				return
			}
		}
	}
	if len(hosts) == 1 && !inc.platformBusy(action, vendor) {
		host := hosts[0]
		inc.queue(api.VendorAction{Action: action, Host: &host, By: by, Why: why}, asked)
		return
	}
	for start := 0; start < len(hosts); start += batchHosts {
		batch := slices.Clone(hosts[start:min(start+batchHosts, len(hosts))])
		inc.queue(api.VendorAction{Action: action, Vendor: vendor, Hosts: batch, By: by, Why: why}, asked)
	}
}

// platformBusy tells whether an action of the kind is waiting or running on the
// platform: a host queued now waits anyway, and goes in a batch others can join.
func (inc *incident) platformBusy(action, vendor string) bool {
	return slices.ContainsFunc(inc.status.Pending, func(p api.VendorAction) bool {
		if p.Action != action {
			return false
		}
		if p.Host != nil {
			return inc.vendorOf(*p.Host) == vendor
		}
		return p.Vendor == vendor && len(p.Hosts) > 0
	})
}

// indexHeld builds the set of held hosts, once a run.
func (inc *incident) indexHeld() {
	if inc.heldIndex != nil {
		return
	}
	inc.heldIndex = make(map[string]bool, len(inc.status.Containment.Hosts))
	for _, h := range inc.status.Containment.Hosts {
		inc.heldIndex[h] = true
	}
}

// runHosts sends a batch action: one ContainHosts call; its per-host outcome comes
// back as an event.
func (inc *incident) runHosts(ctx workflow.Context, next *api.VendorAction) {
	var a *activities.Activities
	request := activities.HostsAction{Customer: inc.in.Customer, Vendor: next.Vendor, IncidentID: inc.status.WorkflowID,
		Action: next.Action, Hosts: next.Hosts}
	action := *next
	future := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, casework.VendorOptions), a.ContainHosts, request)
	inc.await(ctx, future, func(get func(any) error) event {
		var results []integrations.HostResult
		err := get(&results)
		return event{kind: evActionDone, action: action, hostResults: results, err: err}
	})
}

// hostsFinished applies a batch action's outcome: each host done is held (or
// released), each refused is named in one line with the vendor's words.
func (inc *incident) hostsFinished(ctx workflow.Context, action api.VendorAction, results []integrations.HostResult, err error) {
	inc.status.Pending = slices.DeleteFunc(inc.status.Pending, func(a api.VendorAction) bool { return a.Number == action.Number })
	now := workflow.Now(ctx)
	args := casework.Facts("action", action.Action, "vendor", action.Vendor, "hosts", fmt.Sprint(len(action.Hosts)))
	if err != nil {
		args["error"] = err.Error()
		inc.record(ctx, casework.NewEntry(now, "action_failed", action.By, args, "%s %d hosts through %s failed: %v", action.Action, len(action.Hosts), action.Vendor, err))
	} else {
		inc.indexHeld()
		var done, already int
		var refused []string
		for _, r := range results {
			if !r.Done() {
				refused = append(refused, r.Host.Label()+": "+r.Error)
				continue
			}
			done++
			if r.Result.AlreadyInPlace {
				already++
			}
			label := r.Host.Label()
			switch action.Action {
			case "isolate":
				if !inc.heldIndex[label] {
					inc.heldIndex[label] = true
					inc.status.Containment.Hosts = append(inc.status.Containment.Hosts, label)
				}
			case "release":
				delete(inc.heldIndex, label)
			}
		}
		if action.Action == "release" {
			inc.status.Containment.Hosts = slices.DeleteFunc(inc.status.Containment.Hosts, func(h string) bool { return !inc.heldIndex[h] })
		}
		inc.status.Actions = append(inc.status.Actions, integrations.ActionResult{Action: action.Action,
			Targets: []string{fmt.Sprintf("%d hosts through %s", done, action.Vendor)}})
		if len(refused) > 0 {
			args["refused"] = strings.Join(refused[:min(len(refused), 20)], "; ")
		}
		inc.record(ctx, casework.NewEntry(now, "action", action.By, args, "%s of %d hosts through %s: %d done (%d already), %d refused%s",
			action.Action, len(action.Hosts), action.Vendor, done, already, len(refused), refusedNote(refused)))
		if len(refused) > 0 && done == 0 {
			err = fmt.Errorf("%s through %s: every host refused", action.Action, action.Vendor)
		}
	}
	inc.settleContainmentState(ctx)
	if action.ThenInvestigate {
		inc.investigate(ctx)
	}
	inc.answerAction(action.Number, err)
}

func refusedNote(refused []string) string {
	if len(refused) == 0 {
		return ""
	}
	return ": " + strings.Join(refused[:min(len(refused), 5)], "; ")
}

// writeBackToMembers writes the verdict back to every alert that joined the incident,
// as visibility lists them, when the state keeps only the latest of them (or the
// incident is a campaign, whose members joined it by hand-over too).
func (inc *incident) writeBackToMembers(ctx workflow.Context) bool {
	s := inc.status
	if s.JoinedCount <= len(s.Joined) && inc.in.Campaign == nil {
		return false
	}
	var a *start.Calls
	request := api.MembersWriteBack{Customer: inc.in.Customer, Parent: s.WorkflowID, Verdict: s.Verdict, Note: s.Decider.Note, By: s.Decider.By}
	var written int
	err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, casework.MembersWriteBackOptions), a.WriteBackMembers, request).Get(ctx, &written)
	if err != nil {
		inc.note(ctx, "writeback_failed", "writing the verdict back to the members' alerts failed: %v", err)
	} else {
		inc.note(ctx, "writeback", "verdict %s by %s written back to %d member alert(s)", s.Verdict, s.Decider.By, written)
	}
	return true
}
