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
)

// target names what the action acts on.
func target(a api.VendorAction) string {
	if a.Host != nil {
		return a.Host.Label()
	}
	return casework.IndicatorList(a.Indicators)
}

// respondByPolicy runs the customer's response policy on a new incident.
func (inc *incident) respondByPolicy(ctx workflow.Context) {
	policy := inc.policy
	switch {
	case !policy.Detect:
		inc.setState(ctx, api.StateAwaitingCustomer, "the customer triages (respond-only): waiting for their verdict")
	case policy.CanContain() && policy.IsolateFirst(inc.status.Alert.Hosts):
		inc.record(ctx, casework.NewEntry(workflow.Now(ctx), "plan", "", nil, "policy %s: contain first, then investigate", policy.Response.Policy))
		if !inc.contain(ctx, "xsoc", "", "policy "+policy.Response.Policy, nil) {
			inc.investigate(ctx)
			return
		}
		inc.status.Pending[len(inc.status.Pending)-1].ThenInvestigate = true
	default:
		inc.record(ctx, casework.NewEntry(workflow.Now(ctx), "plan", "", nil, "policy %s: investigate first%s", policy.Response.Policy, inc.containNote()))
		inc.investigate(ctx)
	}
}

func (inc *incident) containNote() string {
	switch {
	case !inc.policy.Respond:
		return "; detect-only: the customer contains on our recommendation"
	case !inc.policy.CanContain():
		return fmt.Sprintf("; %s offers no containment: contain by hand", inc.in.Vendor)
	case inc.policy.Response.Policy == "hybrid":
		return " (critical host)"
	}
	return "; contain on a true-positive verdict"
}

// investigate asks the vendor what it knows about the alert; the findings come back
// as an event, for the analyst.
func (inc *incident) investigate(ctx workflow.Context) {
	if inc.status.State == api.StateNew {
		inc.setState(ctx, api.StateInvestigating, "investigating")
	}
	if !inc.policy.Capabilities.Investigate {
		return
	}
	var a *activities.Activities
	request := activities.InvestigateRequest{Customer: inc.in.Customer, Vendor: inc.in.Vendor, Alert: inc.status.Alert}
	future := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, casework.VendorOptions), a.Investigate, request)
	inc.await(ctx, future, func(get func(any) error) event {
		var findings integrations.Findings
		err := get(&findings)
		return event{kind: evInvestigated, findings: findings, err: err}
	})
}

func (inc *incident) investigated(ctx workflow.Context, findings integrations.Findings, err error) {
	if err != nil {
		inc.note(ctx, "investigation_failed", "investigation failed: %v", err)
		return
	}
	inc.status.Findings = &findings
	inc.record(ctx, casework.NewEntry(workflow.Now(ctx), "investigated", "", casework.Facts("summary", findings.Summary), "investigation: %s", findings.Summary))
}

// toContain lists the incident's hosts (or the one asked for) neither isolated nor
// queued for isolation.
func (inc *incident) toContain(only string) []integrations.Host {
	var hosts []integrations.Host
	for _, h := range inc.status.Alert.Hosts {
		if inc.canIsolate(h) && (only == "" || h.Label() == only) && !slices.Contains(inc.status.Containment.Hosts, h.Label()) && !inc.queued("isolate", h.Label()) {
			hosts = append(hosts, h)
		}
	}
	return hosts
}

// canIsolate tells whether the platform the host is on can isolate it.
func (inc *incident) canIsolate(h integrations.Host) bool {
	if h.Vendor != "" && h.Vendor != inc.in.Vendor {
		return integrations.CapabilitiesOf(h.Vendor).IsolateHost
	}
	return inc.policy.Capabilities.IsolateHost
}

// vendorOf is the platform a host is on: its own, or the incident's.
func (inc *incident) vendorOf(h integrations.Host) string {
	if h.Vendor != "" {
		return h.Vendor
	}
	return inc.in.Vendor
}

// toBlock lists the incident's blockable indicators neither blocked nor queued.
func (inc *incident) toBlock() []integrations.Indicator {
	if !inc.policy.Capabilities.BlockIndicators {
		return nil
	}
	var indicators []integrations.Indicator
	for _, ind := range inc.status.Alert.Indicators {
		blockable := ind.Type == "url" || ind.Type == "domain" || ind.Type == "ip"
		if blockable && !slices.Contains(inc.status.Containment.Indicators, ind) && !inc.queued("block", ind.Value) {
			indicators = append(indicators, ind)
		}
	}
	return indicators
}

// queued tells whether an action on the target is waiting or running.
func (inc *incident) queued(action, target string) bool {
	return slices.ContainsFunc(inc.status.Pending, func(a api.VendorAction) bool {
		if a.Action != action {
			return false
		}
		if a.Host != nil {
			return a.Host.Label() == target
		}
		if len(a.Hosts) > 0 {
			return slices.ContainsFunc(a.Hosts, func(h integrations.Host) bool { return h.Label() == target })
		}
		return slices.ContainsFunc(a.Indicators, func(i integrations.Indicator) bool { return i.Value == target })
	})
}

// containing tells whether a containment action is waiting or running.
func (inc *incident) containing() bool {
	return slices.ContainsFunc(inc.status.Pending, func(a api.VendorAction) bool { return a.Action == "isolate" || a.Action == "block" })
}

// contain queues the isolation of the hosts (or the blocking of the indicators where
// the platform cannot isolate). It answers whether anything was queued; the decision
// that asked, if any, is answered when its actions are done.
func (inc *incident) contain(ctx workflow.Context, by, only, why string, asked *pendingDecision) bool {
	hosts, indicators := inc.toContain(only), inc.toBlock()
	if len(hosts) == 0 && len(indicators) == 0 {
		asked.answerNow("nothing left to contain")
		return false
	}
	if incidentVersion(ctx) >= incidentVersionHandover && len(hosts) > 1 {
		if !inc.containHosts(ctx, by, hosts, why, asked) {
			inc.setState(ctx, api.StateContaining, "containing: "+why)
		}
	} else {
		inc.setState(ctx, api.StateContaining, "containing: "+why)
		for _, host := range hosts {
			inc.queue(api.VendorAction{Action: "isolate", Host: &host, By: by, Why: why}, asked)
		}
	}
	if len(indicators) > 0 {
		inc.queue(api.VendorAction{Action: "block", Indicators: indicators, By: by, Why: why}, asked)
	}
	return true
}

// release queues the release of what we contained (all of it, or one host), and of
// what is still being contained: a release after a false positive waits for the
// isolation it undoes.
func (inc *incident) release(ctx workflow.Context, by, only, why string, asked *pendingDecision) {
	held := slices.Clone(inc.status.Containment.Hosts)
	for _, a := range inc.status.Pending {
		if a.Action == "isolate" && a.Host != nil {
			held = append(held, a.Host.Label())
		}
		for _, h := range a.Hosts {
			if a.Action == "isolate" {
				held = append(held, h.Label())
			}
		}
	}
	queued := false
	if incidentVersion(ctx) >= incidentVersionHandover {
		byVendor := map[string][]integrations.Host{}
		var vendors []string
		for _, label := range held {
			if only != "" && label != only {
				continue
			}
			host := inc.hostByLabel(label)
			vendor := inc.vendorOf(host)
			if _, ok := byVendor[vendor]; !ok {
				vendors = append(vendors, vendor)
			}
			byVendor[vendor] = append(byVendor[vendor], host)
		}
		for _, vendor := range vendors {
			inc.queueHosts("release", vendor, byVendor[vendor], by, why, asked)
			queued = true
		}
		held = nil
	}
	for _, label := range held {
		if only != "" && label != only {
			continue
		}
		host := inc.hostByLabel(label)
		inc.queue(api.VendorAction{Action: "release", Host: &host, By: by, Why: why}, asked)
		queued = true
	}
	if only == "" && (len(inc.status.Containment.Indicators) > 0 || inc.queuedAction("block")) {
		inc.queue(api.VendorAction{Action: "unblock", By: by, Why: why}, asked)
		queued = true
	}
	if only == "" {
		for _, carried := range inc.status.Containment.Carried {
			inc.queue(api.VendorAction{Action: "unblock", Vendor: carried.Vendor, By: by, Why: why}, asked)
			queued = true
		}
	}
	if !queued {
		asked.answerNow("nothing to release")
	}
}

func (inc *incident) queuedAction(action string) bool {
	return slices.ContainsFunc(inc.status.Pending, func(a api.VendorAction) bool { return a.Action == action })
}

// queue adds a vendor action to the incident's queue; the decision that asked for it
// waits for it.
func (inc *incident) queue(action api.VendorAction, asked *pendingDecision) {
	inc.status.Sequence++
	action.Number = inc.status.Sequence
	inc.status.Pending = append(inc.status.Pending, action)
	if asked != nil {
		asked.actions++
		inc.replies[action.Number] = asked
	}
}

// startNextAction sends the first queued vendor action when none is running. A
// release whose isolation failed, or an unblock with nothing blocked, has nothing to
// do and is done at once.
func (inc *incident) startNextAction(ctx workflow.Context) {
	for len(inc.status.Pending) > 0 && !inc.status.Pending[0].Running {
		next := &inc.status.Pending[0]
		if next.Action == "unblock" {
			next.Indicators = slices.Clone(blockedThrough(inc.status.Containment, next.Vendor))
		}
		if next.Action == "release" && len(next.Hosts) > 0 {
			// Of a batch, only the hosts held by now are released (an isolation that
			// failed has nothing to undo).
			inc.indexHeld()
			next.Hosts = slices.DeleteFunc(next.Hosts, func(h integrations.Host) bool { return !inc.heldIndex[h.Label()] })
		}
		nothingToDo := next.Action == "unblock" && len(next.Indicators) == 0 ||
			next.Action == "release" && next.Host != nil && !slices.Contains(inc.status.Containment.Hosts, next.Host.Label()) ||
			next.Action == "release" && next.Host == nil && len(next.Hosts) == 0
		if nothingToDo {
			inc.status.Pending = inc.status.Pending[1:]
			inc.answerAction(next.Number, nil)
			continue
		}
		inc.run(ctx, next)
	}
}

// run sends a vendor action; its outcome comes back as an event.
func (inc *incident) run(ctx workflow.Context, next *api.VendorAction) {
	next.Running = true
	if len(next.Hosts) > 0 {
		inc.runHosts(ctx, next)
		return
	}
	var a *activities.Activities
	var activity, request any
	switch next.Action {
	case "isolate", "release":
		activity = a.IsolateHost
		if next.Action == "release" {
			activity = a.ReleaseHost
		}
		request = activities.HostAction{Customer: inc.in.Customer, Vendor: inc.vendorOf(*next.Host), IncidentID: inc.status.WorkflowID, Host: *next.Host}
	default:
		activity = a.BlockIndicators
		if next.Action == "unblock" {
			activity = a.UnblockIndicators
		}
		vendor := inc.in.Vendor
		if next.Vendor != "" {
			vendor = next.Vendor
		}
		request = activities.IndicatorAction{Customer: inc.in.Customer, Vendor: vendor, IncidentID: inc.status.WorkflowID, Indicators: next.Indicators}
	}
	action := *next
	future := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, casework.VendorOptions), activity, request)
	inc.await(ctx, future, func(get func(any) error) event {
		var result integrations.ActionResult
		err := get(&result)
		return event{kind: evActionDone, action: action, result: result, err: err}
	})
}

// actionFinished applies a vendor action's outcome: what is contained, the state,
// the timeline, and the answer to the decision that asked for it.
func (inc *incident) actionFinished(ctx workflow.Context, action api.VendorAction, result integrations.ActionResult, err error) {

	inc.status.Pending = slices.DeleteFunc(inc.status.Pending, func(a api.VendorAction) bool { return a.Number == action.Number })
	what := action.Action + " " + target(action)
	if action.Action == "release" || action.Action == "unblock" {
		what += " (" + action.Why + ")"
	}
	args := casework.Facts("action", action.Action, "target", target(action))
	if err != nil {
		args["error"] = err.Error()
		inc.record(ctx, casework.NewEntry(workflow.Now(ctx), "action_failed", action.By, args, "%s failed: %v", what, err))
	} else {
		inc.status.Actions = append(inc.status.Actions, result)
		inc.hold(action)
		answer := ""
		if result.AlreadyInPlace {
			answer = " (already in place at the vendor)"
			args["already"] = "true"
		} else if result.VendorAnswer != "" {
			answer = " (vendor: " + result.VendorAnswer + ")"
		}
		inc.record(ctx, casework.NewEntry(workflow.Now(ctx), "action", action.By, args, "%s done%s", what, answer))
	}
	inc.settleContainmentState(ctx)
	if action.ThenInvestigate {
		inc.investigate(ctx)
	}
	inc.answerAction(action.Number, err)
}

// hold updates what the incident holds contained after a successful action.
func (inc *incident) hold(action api.VendorAction) {
	c := &inc.status.Containment
	inc.heldIndex = nil
	switch action.Action {
	case "isolate":
		if !slices.Contains(c.Hosts, action.Host.Label()) {
			c.Hosts = append(c.Hosts, action.Host.Label())
		}
	case "release":
		c.Hosts = slices.DeleteFunc(c.Hosts, func(h string) bool { return h == action.Host.Label() })
	case "block":
		for _, ind := range action.Indicators {
			if !slices.Contains(c.Indicators, ind) {
				c.Indicators = append(c.Indicators, ind)
			}
		}
	case "unblock":
		if action.Vendor != "" {
			for i := range c.Carried {
				if c.Carried[i].Vendor == action.Vendor {
					c.Carried[i].Indicators = slices.DeleteFunc(slices.Clone(c.Carried[i].Indicators),
						func(ind integrations.Indicator) bool { return slices.Contains(action.Indicators, ind) })
				}
			}
			c.Carried = slices.DeleteFunc(c.Carried, func(cb api.CarriedBlock) bool { return len(cb.Indicators) == 0 })
			return
		}
		c.Indicators = slices.DeleteFunc(c.Indicators, func(i integrations.Indicator) bool { return slices.Contains(action.Indicators, i) })
	}
}

// blockedThrough answers the indicators held blocked through a platform: the
// incident's own ("") or a carried one.
func blockedThrough(c api.Containment, vendor string) []integrations.Indicator {
	if vendor == "" {
		return c.Indicators
	}
	for _, cb := range c.Carried {
		if cb.Vendor == vendor {
			return cb.Indicators
		}
	}
	return nil
}

// settleContainmentState moves the state once no containment is queued: contained
// when something is held, back to investigating when nothing could be.
func (inc *incident) settleContainmentState(ctx workflow.Context) {
	inc.publish(ctx)
	if inc.status.concluded() || inc.containing() {
		return
	}
	switch {
	case inc.status.Containment.Active() && inc.status.State != api.StateContained:
		inc.status.meetClock(api.ClockContain, workflow.Now(ctx))
		inc.clocksChanged(ctx)
		inc.setState(ctx, api.StateContained, "contained: "+strings.Join(inc.containedList(), ", "))
	case !inc.status.Containment.Active() && inc.status.State == api.StateContaining:
		inc.setState(ctx, api.StateInvestigating, "containment failed; investigating")
	case !inc.status.Containment.Active() && inc.status.State == api.StateContained:
		inc.setState(ctx, api.StateInvestigating, "released")
	}
}

// answerAction answers the decision that asked for the action once all its actions
// are done: an error when any failed.
func (inc *incident) answerAction(number int, err error) {
	asked, ok := inc.replies[number]
	if !ok {
		return
	}
	delete(inc.replies, number)
	asked.actions--
	asked.failed = asked.failed || err != nil
	if asked.actions > 0 || asked.done {
		return
	}
	if asked.failed {
		asked.answer(api.DecisionResult{State: inc.status.State}, fmt.Errorf("%s failed: see the timeline for the vendor's answer", asked.name))
		return
	}
	message := "contained"
	switch {
	case asked.name == api.DecisionRelease:
		message = "released"
	case asked.name == api.DecisionVerdict && asked.decision.Verdict == api.VerdictTruePositive:
		message = "true positive: contained"
	case asked.name == api.DecisionVerdict:
		message = "resolved as " + asked.decision.Verdict
	}
	asked.answer(api.DecisionResult{Message: message, State: inc.status.State}, nil)
}

// answerNow answers a decision whose action turned out to have nothing to do.
func (p *pendingDecision) answerNow(message string) {
	if p != nil && !p.done && p.actions == 0 {
		p.answer(api.DecisionResult{Message: message}, nil)
	}
}

func (inc *incident) hostByLabel(label string) integrations.Host {
	inc.indexHosts()
	if h, ok := inc.hostIndex[label]; ok {
		return h
	}
	return integrations.Host{Name: label}
}

func (inc *incident) containedList() []string {
	list := slices.Clone(inc.status.Containment.Hosts)
	for _, ind := range inc.status.Containment.Indicators {
		list = append(list, ind.Value)
	}
	for _, carried := range inc.status.Containment.Carried {
		for _, ind := range carried.Indicators {
			list = append(list, ind.Value+" ("+carried.Vendor+")")
		}
	}
	return list
}
