package incident

import (
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"xsoc/integrations"
	"xsoc/workflows/api"
	"xsoc/workflows/casework"
	"xsoc/workflows/start"
)

// joinTimeout is how long an alert waits for the incident it joins to take it.
const joinTimeout = time.Minute

// askTriage asks the customer's triage what the new alert is. Without a SOC there is
// no triage (every alert is the customer's incident), and a campaign is triage's own.
//
// An incident asks by Update from a local activity and has the answer in its first
// workflow task: no signal each way, no second workflow task to take the answer (an
// incident started before incidentVersionTriageByUpdate asked by Signal and waits for
// a Signal). One that paged first asks by Signal: a local activity would hold back
// its page, which leaves the worker only when the workflow task completes.
//
// gone, when set, is the incident triage first told this one to join, which was over:
// triage forgets it and decides again.
func (inc *incident) askTriage(ctx workflow.Context, pagedFirst bool, gone string) api.TriageAnswer {
	own := api.TriageAnswer{Decision: api.TriageOwn}
	if inc.policy.SOC == nil || inc.in.Campaign != nil {
		return own
	}
	s := inc.status
	admission := api.Admission{Incident: s.WorkflowID, Customer: s.Customer, Vendor: s.Vendor, AlertID: s.Alert.ID, Detection: s.Alert.Detection,
		Severity: s.Severity, Hosts: inc.hostsWithVendor(s.Alert.Hosts), Users: s.Alert.Users, Indicators: s.Alert.Indicators,
		Site: s.Site, At: workflow.Now(ctx), Gone: gone}
	if incidentVersion(ctx) >= incidentVersionRound3 {
		// By Signal too: a recurrence (a new run after close) is a new question, not
		// the first run's answer again.
		admission.Run = workflow.GetInfo(ctx).WorkflowExecution.RunID
	}
	admission.HandOver = incidentVersion(ctx) >= incidentVersionHandover
	if !pagedFirst && incidentVersion(ctx) >= incidentVersionTriageByUpdate {
		admission.Run = workflow.GetInfo(ctx).WorkflowExecution.RunID
		return inc.askTriageByUpdate(ctx, admission)
	}
	if err := workflow.SignalExternalWorkflow(ctx, api.TriageWorkflowID(s.Customer), "", api.SignalAdmit, admission).Get(ctx, nil); err != nil {
		inc.note(ctx, "triage", "the customer's triage could not be asked (%v): paged as a new incident", err)
		return own
	}
	answers := workflow.GetSignalChannel(ctx, api.SignalTriaged)
	answered, err := workflow.AwaitWithTimeout(ctx, casework.TriageTimeout, func() bool { return answers.Len() > 0 })
	if err != nil || !answered {
		inc.note(ctx, "triage", "the customer's triage did not answer within %s: paged as a new incident", casework.TriageTimeout)
		return own
	}
	var answer api.TriageAnswer
	answers.ReceiveAsync(&answer)
	inc.note(ctx, "triage", "triage: %s", answer.Why)
	return answer
}

// askTriageByUpdate asks triage by Update. A triage that is not running or refuses
// costs no page: the incident pages as a new one. One that is busy answers later, by
// Signal, while the incident waits holding no task (admitPatiently); an incident
// before incidentVersionPatience waited up to TriageTimeout in its task and then
// paged as a new one.
func (inc *incident) askTriageByUpdate(ctx workflow.Context, admission api.Admission) api.TriageAnswer {
	if incidentVersion(ctx) >= incidentVersionPatience {
		admission.AnswerLate = true
		return inc.admitPatiently(ctx, admission)
	}
	answer, err := inc.admit(ctx, casework.AdmitOptions, admission)
	if err != nil {
		inc.note(ctx, "triage", "the customer's triage did not answer (%s): paged as a new incident", casework.FailureMessage(err))
		return api.TriageAnswer{Decision: api.TriageOwn}
	}
	inc.note(ctx, "triage", "triage: %s", answer.Why)
	return answer
}

// admit asks triage by Update from a local activity.
func (inc *incident) admit(ctx workflow.Context, options workflow.LocalActivityOptions, admission api.Admission) (api.TriageAnswer, error) {
	var a *start.Calls
	var answer api.TriageAnswer
	err := workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(ctx, options), a.AdmitToTriage, admission).Get(ctx, &answer)
	return answer, err
}

// admitPatiently asks triage within the workflow task (AdmitWithinTask). A busy
// triage is waited for holding no task: the worker answered "pending" and signals
// triage's answer when it comes, naming the question (an answer to an earlier
// question is not taken). Without it the incident asks again, the same question,
// which triage answers the same: after TriageReask (the worker was lost, or its
// Update failed), or after TriageAskAgain when the local activity ran out of time
// before it could ask. After TriagePatience it pages as a new incident.
func (inc *incident) admitPatiently(ctx workflow.Context, admission api.Admission) api.TriageAnswer {
	own := api.TriageAnswer{Decision: api.TriageOwn}
	asked := start.AdmitUpdateID(admission)
	deadline := workflow.Now(ctx).Add(casework.TriagePatience)
	told := false
	for {
		answer, err := inc.admit(ctx, casework.AdmitWithinTaskOptions, admission)
		switch {
		case err == nil && answer.Decision != api.TriagePending:
			inc.note(ctx, "triage", "triage: %s", answer.Why)
			return answer
		case err != nil && start.TriageRefused(err):
			inc.note(ctx, "triage", "the customer's triage did not answer (%s): paged as a new incident", casework.FailureMessage(err))
			return own
		}
		if !told {
			inc.note(ctx, "triage", "the customer's triage is busy (no answer within %s): its answer is awaited up to %s",
				casework.AdmitWithinTask, casework.TriagePatience)
			told = true
		}
		wait := casework.TriageReask
		if err != nil {
			wait = casework.TriageAskAgain
		}
		if late, ok := inc.awaitLateAnswer(ctx, asked, min(wait, deadline.Sub(workflow.Now(ctx)))); ok {
			inc.note(ctx, "triage", "triage: %s", late.Why)
			return late
		}
		if ctx.Err() != nil {
			inc.note(ctx, "triage", "the customer's triage was not awaited any more (%v)", ctx.Err())
			return own
		}
		if !workflow.Now(ctx).Before(deadline) {
			inc.note(ctx, "triage", "the customer's triage did not answer within %s: paged as a new incident", casework.TriagePatience)
			return own
		}
	}
}

// awaitLateAnswer waits up to wait for triage's answer to the question asked, by
// Signal, and answers whether it came.
func (inc *incident) awaitLateAnswer(ctx workflow.Context, asked string, wait time.Duration) (api.TriageAnswer, bool) {
	answers := workflow.GetSignalChannel(ctx, api.SignalTriaged)
	timerCtx, cancelTimer := workflow.WithCancel(ctx)
	defer cancelTimer()
	timer := workflow.NewTimer(timerCtx, wait)
	for {
		var answer api.TriageAnswer
		received := false
		selector := workflow.NewSelector(ctx)
		selector.AddReceive(answers, func(c workflow.ReceiveChannel, _ bool) {
			c.Receive(ctx, &answer)
			received = true
		})
		selector.AddFuture(timer, func(workflow.Future) {})
		selector.Select(ctx)
		if !received {
			return api.TriageAnswer{}, false
		}
		if answer.Asked == asked {
			return answer, true
		}
		// The answer to an earlier question (before its parent was gone).
	}
}

// pagesBeforeTriage tells whether the incident pages the SOC before triage answers:
// critical and emergency ones do. In an alert storm triage's answer waits behind the
// storm's work on the server (signals are not served by priority), and the page of an
// urgent alert must leave within seconds. Triage still says what the incident is: a
// suppressed or merged one closes as such, its page already sent.
func (inc *incident) pagesBeforeTriage() bool {
	return inc.policy.SOC != nil && inc.in.Campaign == nil && inc.status.Severity.Rank() >= integrations.SeverityCritical.Rank()
}

// actOnTriage does what triage said: close a suppressed alert, hand a joining alert
// to its parent, put a QA sample in the SOC's queue, or page (unless pagedFirst) and
// respond to a new incident.
func (inc *incident) actOnTriage(ctx workflow.Context, answer api.TriageAnswer, pagedFirst bool) {
	if answer.Decision == api.TriageMerged && answer.HandedOver {
		// Triage handed the alert to its parent itself.
		if pagedFirst {
			inc.note(ctx, "paging", "paged before triage answered (%s): the page stands, the alert joins %s", inc.status.Severity, answer.Parent)
		}
		inc.note(ctx, "triage", "triage: %s", answer.Why)
		inc.closeMerged(ctx, answer.Parent, answer.Why)
		return
	}
	if answer.Decision == api.TriageMerged && !inc.join(ctx, answer.Parent, answer.Why) {
		answer = inc.askAgainWithout(ctx, answer.Parent, pagedFirst)
		if answer.Decision == api.TriageMerged && !inc.join(ctx, answer.Parent, answer.Why) {
			answer = api.TriageAnswer{Decision: api.TriageOwn}
		}
	}
	switch answer.Decision {
	case api.TriageSuppressed:
		if pagedFirst {
			inc.note(ctx, "paging", "paged before triage answered (%s): the page stands, the alert is suppressed", inc.status.Severity)
		}
		inc.suppressBy(ctx, *answer.Rule, answer.Why)
		return
	case api.TriageMerged:
		return
	case api.TriageQASample:
		inc.status.Rule = ruleRef(*answer.Rule)
		inc.note(ctx, "qa_sample", "%s", answer.Why)
		inc.setState(ctx, api.StateInvestigating, "QA sample of rule "+answer.Rule.ID+": an analyst checks the rule still holds")
		return
	}
	if !pagedFirst {
		inc.page(ctx, answer.Quiet)
	}
	inc.respondByPolicy(ctx)
}

// askAgainWithout asks triage again when the incident it was told to join is over
// (closed, or refusing alerts while it concludes): triage forgets that owner and
// decides afresh, so that a rule that matches still suppresses the alert and a live
// owner still takes it. Incidents before incidentVersionRound3 became incidents of
// their own at once.
func (inc *incident) askAgainWithout(ctx workflow.Context, gone string, pagedFirst bool) api.TriageAnswer {
	if incidentVersion(ctx) < incidentVersionRound3 {
		return api.TriageAnswer{Decision: api.TriageOwn}
	}
	answer := inc.askTriage(ctx, pagedFirst, gone)
	if answer.Decision == api.TriageMerged && answer.Parent == gone {
		return api.TriageAnswer{Decision: api.TriageOwn}
	}
	return answer
}

// page starts the chains of whoever must hear of a new alert: the SOC (unless a storm
// digest tells them), and the customer when their policy says so.
func (inc *incident) page(ctx workflow.Context, quiet bool) {
	if inc.status.Severity == integrations.SeverityInfo {
		inc.note(ctx, "paging", "severity info: recorded, never paged")
		return
	}
	if quiet {
		inc.note(ctx, "paging", "alert storm: the SOC hears of this incident in the storm digest, not by a page of its own")
	} else {
		inc.startChain(ctx, inc.policy.triageTier())
	}
	if inc.policy.SOC != nil && inc.policy.PageCustomerOnAlert {
		inc.startChain(ctx, api.TierCustomer)
	}
}

func ruleRef(r api.Rule) *api.RuleRef {
	return &api.RuleRef{ID: r.ID, Reason: r.Reason, By: r.By, ApprovedBy: r.ApprovedBy}
}

// suppressBy closes an alert a rule matched: the rule's verdict, its clocks met,
// nobody paged or told.
func (inc *incident) suppressBy(ctx workflow.Context, rule api.Rule, why string) {
	now := workflow.Now(ctx)
	s := &inc.status
	s.Rule = ruleRef(rule)
	s.Verdict = api.VerdictFalsePositive
	s.Decider = &api.DecisionRecord{By: "rule:" + rule.ID, Note: rule.Reason, At: now}
	for _, c := range []string{api.ClockAck, api.ClockVerdict, api.ClockContain} {
		s.meetClock(c, now)
	}
	s.ClosedAt = now
	inc.record(ctx, casework.NewEntry(now, "suppressed", "rule:"+rule.ID, casework.Facts("rule", rule.ID, "reason", rule.Reason), "%s", why))
	inc.setState(ctx, api.StateSuppressed, "suppressed by rule "+rule.ID)
}

// join hands the alert to the open incident or campaign triage named, and closes
// this incident as merged once the parent took it. A parent that is gone or refuses
// leaves the alert an incident of its own: an alert is never lost between two.
func (inc *incident) join(ctx workflow.Context, parent, why string) bool {
	s := &inc.status
	alert := s.Alert
	alert.Hosts = inc.hostsWithVendor(alert.Hosts)
	joined := api.JoinedAlert{Incident: s.WorkflowID, Vendor: s.Vendor, Alert: alert, Contained: s.Containment.Hosts,
		Blocked: s.Containment.Indicators, Carried: s.Containment.Carried, Why: why}
	if err := workflow.SignalExternalWorkflow(ctx, parent, "", api.SignalJoinedAlert, joined).Get(ctx, nil); err != nil {
		inc.note(ctx, "join_failed", "could not join %s (%v): handled as an incident of its own", parent, err)
		return false
	}
	answers := workflow.GetSignalChannel(ctx, api.SignalJoinAnswer)
	answered, err := workflow.AwaitWithTimeout(ctx, joinTimeout, func() bool { return answers.Len() > 0 })
	var answer api.JoinAnswer
	if err == nil && answered {
		answers.ReceiveAsync(&answer)
	}
	if !answer.Accepted {
		inc.note(ctx, "join_failed", "%s did not take the alert (%s): handled as an incident of its own", parent, answer.Why)
		return false
	}
	inc.closeMerged(ctx, parent, why)
	return true
}

// hostsWithVendor marks each host with the platform it is on, so that an incident
// gathering hosts of several platforms contains each through its own vendor.
func (inc *incident) hostsWithVendor(hosts []integrations.Host) []integrations.Host {
	marked := make([]integrations.Host, 0, len(hosts))
	for _, h := range hosts {
		if h.Vendor == "" {
			h.Vendor = inc.in.Vendor
		}
		marked = append(marked, h)
	}
	return marked
}

// alertJoined takes an alert that joined this incident: its hosts and indicators,
// what its own incident held contained, and a higher Severity, which re-pages even
// an acknowledged incident. A concluded incident refuses it.
func (inc *incident) alertJoined(ctx workflow.Context, j api.JoinedAlert) {
	if inc.status.concluded() {
		inc.answerJoin(ctx, j.Incident, api.JoinAnswer{Why: inc.status.WorkflowID + " is " + inc.status.State})
		return
	}
	s := &inc.status
	now := workflow.Now(ctx)
	if len(s.Alert.Hosts) > 0 && s.Alert.Hosts[0].Vendor == "" {
		s.Alert.Hosts = inc.hostsWithVendor(s.Alert.Hosts)
	}
	added := inc.merge(j.Alert)
	if incidentVersion(ctx) >= incidentVersionHandover {
		// Counted with the handed-over ones: a campaign's count includes the members
		// that formed it and joined one by one.
		s.JoinedCount++
	}
	s.Joined = append(s.Joined, api.JoinedRef{Incident: j.Incident, Vendor: j.Vendor, AlertID: j.Alert.ID, Detection: j.Alert.Detection,
		Severity: j.Alert.Severity, At: now})
	inc.record(ctx, casework.NewEntry(now, "joined", "", casework.Facts("alert", j.Alert.ID, "detection", j.Alert.Detection, "hosts", casework.JoinHosts(j.Alert.HostNames()),
		"severity", string(j.Alert.Severity)), "%s alert %s joined: %s on %v (severity %s)", j.Vendor, j.Alert.ID, j.Alert.Detection, j.Alert.HostNames(), j.Alert.Severity))
	for _, host := range j.Contained {
		if !containsFold(s.Containment.Hosts, host) {
			s.Containment.Hosts = append(s.Containment.Hosts, host)
		}
	}
	if incidentVersion(ctx) >= incidentVersionRound3 {
		inc.carryBlocks(j)
	}
	inc.answerJoin(ctx, j.Incident, api.JoinAnswer{Accepted: true})
	inc.publish(ctx)
	if len(added) > 0 && (s.Containment.Active() || inc.containing()) && len(inc.toContain("")) > 0 {
		inc.contain(ctx, "xsoc", "", "new hosts joined a contained incident", nil)
	}
	if j.Alert.Severity.Rank() > s.Severity.Rank() {
		inc.raiseSeverity(ctx, j.Alert.Severity, "xsoc", ": a joining alert is more severe")
	}
}

// answerJoin answers a joining alert's incident, beside the story.
func (inc *incident) answerJoin(ctx workflow.Context, child string, answer api.JoinAnswer) {
	future := workflow.SignalExternalWorkflow(ctx, child, "", api.SignalJoinAnswer, answer)
	inc.await(ctx, future, func(get func(any) error) event {
		if err := get(nil); err != nil {
			return event{kind: evNoted, text: "answering " + child + " failed: " + err.Error()}
		}
		return event{kind: evNoted}
	})
}

// joinCampaign moves this open incident into the campaign triage opened: once its
// vendor work is done, its alert and what it holds contained go to the campaign.
func (inc *incident) joinCampaign(ctx workflow.Context, request api.JoinRequest) {
	if inc.status.concluded() || inc.status.Parent != "" {
		return
	}
	inc.status.JoinPending = &request
}

// joinWhenIdle joins the campaign asked for once no vendor action is queued.
func (inc *incident) joinWhenIdle(ctx workflow.Context) {
	request := inc.status.JoinPending
	if request == nil || len(inc.status.Pending) > 0 || inc.status.concluded() {
		return
	}
	inc.status.JoinPending = nil
	inc.join(ctx, request.Parent, request.Why)
}

// leaveTriage tells triage an incident that owned its hosts is over, so that the next
// alert for them opens a new incident.
func (inc *incident) leaveTriage(ctx workflow.Context) {
	if inc.policy.SOC == nil || inc.status.State == api.StateMerged || inc.status.Rule != nil && inc.status.State == api.StateSuppressed {
		return
	}
	closure := api.Closure{Incident: inc.status.WorkflowID, Run: workflow.GetInfo(ctx).FirstRunID}
	future := workflow.SignalExternalWorkflow(ctx, api.TriageWorkflowID(inc.in.Customer), "", api.SignalIncidentClosed, closure)
	inc.await(ctx, future, func(get func(any) error) event { return event{kind: evNoted} })
}

// carryBlocks takes over what a joining alert's incident held blocked: its own vendor's
// blocks, and those it carried itself. The same platform's blocks are this incident's
// own; another's are carried, and released through it.
func (inc *incident) carryBlocks(j api.JoinedAlert) {
	c := &inc.status.Containment
	blocks := append([]api.CarriedBlock{{Vendor: j.Vendor, Indicators: j.Blocked}}, j.Carried...)
	for _, b := range blocks {
		for _, ind := range b.Indicators {
			if b.Vendor == inc.in.Vendor {
				if !slices.Contains(c.Indicators, ind) {
					c.Indicators = append(c.Indicators, ind)
				}
				continue
			}
			i := slices.IndexFunc(c.Carried, func(cb api.CarriedBlock) bool { return cb.Vendor == b.Vendor })
			if i < 0 {
				c.Carried = append(c.Carried, api.CarriedBlock{Vendor: b.Vendor})
				i = len(c.Carried) - 1
			}
			if !slices.Contains(c.Carried[i].Indicators, ind) {
				c.Carried[i].Indicators = append(c.Carried[i].Indicators, ind)
			}
		}
	}
}

func containsFold(list []string, value string) bool {
	for _, v := range list {
		if strings.EqualFold(v, value) {
			return true
		}
	}
	return false
}
