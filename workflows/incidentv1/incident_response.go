package incidentv1

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"xsoc/activities"
	"xsoc/integrations"
)

// vendorOptions: vendor calls retry with backoff (honoring Retry-After through the
// activity's error) for as long as a containment can still be useful; 4xx fail at once.
var vendorOptions = workflow.ActivityOptions{
	StartToCloseTimeout:    2 * time.Minute,
	ScheduleToCloseTimeout: 30 * time.Minute,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval:    2 * time.Second,
		BackoffCoefficient: 2,
		MaximumInterval:    2 * time.Minute,
	},
}

// respondByPolicy runs the customer's response policy on a new incident.
func (inc *incident) respondByPolicy(ctx workflow.Context) {
	policy := inc.policy
	switch {
	case !policy.Detect:
		inc.setState(ctx, StateAwaitingCustomer, "the customer triages (respond-only): waiting for their verdict")
	case policy.CanContain() && policy.IsolateFirst(inc.status.Alert.Hosts):
		inc.record(ctx, "plan", "", "policy %s: contain first, then investigate", policy.Response.Policy)
		inc.contain(ctx, "xsoc", "", "policy "+policy.Response.Policy)
		inc.investigate(ctx)
	default:
		inc.record(ctx, "plan", "", "policy %s: investigate first%s", policy.Response.Policy, inc.containNote())
		inc.investigate(ctx)
	}
}

func (inc *incident) containNote() string {
	switch {
	case !inc.policy.Respond:
		return "; detect-only: the customer contains on our recommendation"
	case inc.policy.Response.Policy == "hybrid":
		return " (critical host)"
	}
	return "; contain on a true-positive verdict"
}

// investigate asks the vendor what it knows about the alert and keeps it for the analyst.
func (inc *incident) investigate(ctx workflow.Context) {
	if inc.status.State == StateNew {
		inc.setState(ctx, StateInvestigating, "investigating")
	}
	if !inc.policy.Capabilities.Investigate {
		return
	}
	var a *activities.Activities
	var findings integrations.Findings
	request := activities.InvestigateRequest{Customer: inc.in.Customer, Vendor: inc.in.Vendor, Alert: inc.status.Alert}
	if err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, vendorOptions), a.Investigate, request).Get(ctx, &findings); err != nil {
		inc.record(ctx, "investigation_failed", "", "investigation failed: %v", err)
		return
	}
	inc.status.Findings = &findings
	inc.record(ctx, "investigated", "", "investigation: %s", findings.Summary)
}

// toContain lists the incident's hosts (or the one asked for) not yet isolated.
func (inc *incident) toContain(only string) []integrations.Host {
	if !inc.policy.Capabilities.IsolateHost {
		return nil
	}
	var hosts []integrations.Host
	for _, h := range inc.status.Alert.Hosts {
		if (only == "" || h.Label() == only) && !slices.Contains(inc.status.Containment.Hosts, h.Label()) {
			hosts = append(hosts, h)
		}
	}
	return hosts
}

// toBlock lists the incident's blockable indicators not yet blocked.
func (inc *incident) toBlock() []integrations.Indicator {
	if !inc.policy.Capabilities.BlockIndicators {
		return nil
	}
	var indicators []integrations.Indicator
	for _, ind := range inc.status.Alert.Indicators {
		blockable := ind.Type == "url" || ind.Type == "domain" || ind.Type == "ip"
		if blockable && !slices.Contains(inc.status.Containment.Indicators, ind) {
			indicators = append(indicators, ind)
		}
	}
	return indicators
}

// contain isolates the hosts (or blocks the indicators where the platform cannot
// isolate). It answers whether everything asked for is now contained.
func (inc *incident) contain(ctx workflow.Context, by, only, why string) bool {
	hosts, indicators := inc.toContain(only), inc.toBlock()
	if len(hosts) == 0 && len(indicators) == 0 {
		return inc.status.Containment.Active()
	}
	inc.setState(ctx, StateContaining, "containing: "+why)
	var a *activities.Activities
	ok := true
	for _, host := range hosts {
		request := activities.HostAction{Customer: inc.in.Customer, Vendor: inc.in.Vendor, IncidentID: inc.status.WorkflowID, Host: host}
		if inc.runAction(ctx, by, a.IsolateHost, request, "isolate "+host.Label()) {
			inc.status.Containment.Hosts = append(inc.status.Containment.Hosts, host.Label())
		} else {
			ok = false
		}
	}
	if len(indicators) > 0 {
		request := activities.IndicatorAction{Customer: inc.in.Customer, Vendor: inc.in.Vendor, IncidentID: inc.status.WorkflowID, Indicators: indicators}
		if inc.runAction(ctx, by, a.BlockIndicators, request, "block "+indicatorList(indicators)) {
			inc.status.Containment.Indicators = append(inc.status.Containment.Indicators, indicators...)
		} else {
			ok = false
		}
	}
	if inc.status.Containment.Active() {
		inc.status.meetClock(ClockContain, workflow.Now(ctx))
		inc.clocksChanged(ctx)
		inc.setState(ctx, StateContained, "contained: "+strings.Join(inc.containedList(), ", "))
	} else {
		inc.setState(ctx, StateInvestigating, "containment failed; investigating")
	}
	return ok
}

// release undoes our containment (all of it, or one host).
func (inc *incident) release(ctx workflow.Context, by, only, why string) bool {
	var a *activities.Activities
	ok := true
	for _, label := range slices.Clone(inc.status.Containment.Hosts) {
		if only != "" && label != only {
			continue
		}
		host := inc.hostByLabel(label)
		request := activities.HostAction{Customer: inc.in.Customer, Vendor: inc.in.Vendor, IncidentID: inc.status.WorkflowID, Host: host}
		if inc.runAction(ctx, by, a.ReleaseHost, request, "release "+label+" ("+why+")") {
			inc.status.Containment.Hosts = slices.DeleteFunc(inc.status.Containment.Hosts, func(h string) bool { return h == label })
		} else {
			ok = false
		}
	}
	if only == "" && len(inc.status.Containment.Indicators) > 0 {
		indicators := inc.status.Containment.Indicators
		request := activities.IndicatorAction{Customer: inc.in.Customer, Vendor: inc.in.Vendor, IncidentID: inc.status.WorkflowID, Indicators: indicators}
		if inc.runAction(ctx, by, a.UnblockIndicators, request, "unblock "+indicatorList(indicators)+" ("+why+")") {
			inc.status.Containment.Indicators = nil
		} else {
			ok = false
		}
	}
	if !inc.status.Containment.Active() && inc.status.State == StateContained {
		inc.setState(ctx, StateInvestigating, "released: "+why)
	}
	inc.publish(ctx)
	return ok
}

// runAction runs one containment activity and records the vendor's answer.
func (inc *incident) runAction(ctx workflow.Context, by string, activity, request any, what string) bool {
	var result integrations.ActionResult
	err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, vendorOptions), activity, request).Get(ctx, &result)
	if err != nil {
		inc.record(ctx, "action_failed", by, "%s failed: %v", what, err)
		return false
	}
	inc.status.Actions = append(inc.status.Actions, result)
	answer := ""
	if result.AlreadyInPlace {
		answer = " (already in place at the vendor)"
	} else if result.VendorAnswer != "" {
		answer = " (vendor: " + result.VendorAnswer + ")"
	}
	inc.record(ctx, "action", by, "%s done%s", what, answer)
	return true
}

func (inc *incident) hostByLabel(label string) integrations.Host {
	for _, h := range inc.status.Alert.Hosts {
		if h.Label() == label {
			return h
		}
	}
	return integrations.Host{Name: label}
}

func (inc *incident) containedList() []string {
	list := slices.Clone(inc.status.Containment.Hosts)
	for _, ind := range inc.status.Containment.Indicators {
		list = append(list, ind.Value)
	}
	return list
}

func indicatorList(indicators []integrations.Indicator) string {
	values := make([]string, 0, len(indicators))
	for _, ind := range indicators {
		values = append(values, fmt.Sprintf("%s %s", ind.Type, ind.Value))
	}
	return strings.Join(values, ", ")
}
