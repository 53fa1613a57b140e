package triage

import (
	"fmt"
	"slices"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/workflow"

	"xsoc/integrations"
	"xsoc/workflows/api"
	"xsoc/workflows/casework"
)

// campaignKeys are what alerts of one campaign share: the detection name, or an
// indicator.
func campaignKeys(detection string, indicators []integrations.Indicator) []string {
	keys := []string{"detection:" + strings.ToLower(strings.TrimSpace(detection))}
	for _, ind := range indicators {
		keys = append(keys, "indicator:"+ind.Type+":"+strings.ToLower(ind.Value))
	}
	return keys
}

// remember keeps an admitted alert for the campaign window.
func (t *triage) remember(a api.Admission, owner string, now time.Time) {
	t.state.Recent = append(t.state.Recent, RecentAlert{
		At: now, Incident: a.Incident, Owner: owner, AlertID: a.AlertID, Detection: a.Detection,
		Keys: campaignKeys(a.Detection, a.Indicators), Hosts: a.Hosts, Site: a.Site, Severity: a.Severity, Indicators: a.Indicators,
	})
}

// campaignOf answers the open campaign the alert belongs to.
func (t *triage) campaignOf(a api.Admission) (OpenCampaign, bool) {
	keys := campaignKeys(a.Detection, a.Indicators)
	for _, c := range t.state.Campaigns {
		if slices.Contains(keys, c.Key) {
			return c, true
		}
	}
	return OpenCampaign{}, false
}

// campaignFormedBy tells whether the alert just remembered brings one of its keys to
// campaign_hosts distinct hosts within the window, and answers the campaign and its
// members (the recent alerts sharing the key, oldest first).
func (t *triage) campaignFormedBy(a api.Admission, now time.Time) (OpenCampaign, []RecentAlert, bool) {
	need := t.in.Settings.CampaignHosts
	if need < 2 {
		return OpenCampaign{}, nil, false
	}
	for _, key := range campaignKeys(a.Detection, a.Indicators) {
		var members []RecentAlert
		for _, r := range t.state.Recent {
			if now.Sub(r.At) <= windowOf(t.in.Settings) && slices.Contains(r.Keys, key) {
				members = append(members, r)
			}
		}
		if len(t.hostsOf(members)) < need {
			continue
		}
		return OpenCampaign{Incident: api.CampaignWorkflowID(t.in.Customer, members[0].AlertID), Key: key, Detection: members[0].Detection}, members, true
	}
	return OpenCampaign{}, nil, false
}

// hostsOf answers the distinct hosts of alerts, as they were reported.
func (t *triage) hostsOf(alerts []RecentAlert) []integrations.Host {
	var hosts []integrations.Host
	for _, r := range alerts {
		for _, h := range r.Hosts {
			if !slices.ContainsFunc(hosts, func(known integrations.Host) bool { return strings.EqualFold(known.Label(), h.Label()) }) {
				hosts = append(hosts, h)
			}
		}
	}
	return hosts
}

// openCampaign starts the campaign incident and moves its members into it: the open
// incidents of earlier members are asked to join, and own their hosts no more. It
// answers whether the campaign started; when it did not, nothing moved and the trigger
// stays an incident of its own.
func (t *triage) openCampaign(ctx workflow.Context, campaign OpenCampaign, members []RecentAlert, trigger api.Admission) bool {
	in := t.campaignInput(campaign, members)
	options := workflow.ChildWorkflowOptions{
		WorkflowID: campaign.Incident, TaskQueue: api.TaskQueue,
		ParentClosePolicy: enumspb.PARENT_CLOSE_POLICY_ABANDON,
		Priority:          casework.PriorityOf(in.Alert.Severity),
	}
	if t.round3 {
		// A campaign that ended is never started again under its id: its analyst
		// decided it.
		options.WorkflowIDReusePolicy = enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE
	}
	child := workflow.ExecuteChildWorkflow(workflow.WithChildOptions(ctx, options), api.IncidentWorkflowType, in)
	var started workflow.Execution
	if err := child.GetChildWorkflowExecution().Get(ctx, &started); err != nil {
		workflow.GetLogger(ctx).Error("opening a campaign failed; its members stay incidents of their own", "campaign", campaign.Incident, "error", err)
		return !t.round3
	}
	t.state.Campaigns = append(t.state.Campaigns, campaign)
	var moved []string
	for _, m := range members {
		if m.Owner == trigger.Incident || m.Owner == campaign.Incident || slices.Contains(moved, m.Owner) {
			continue
		}
		moved = append(moved, m.Owner)
		t.signal(ctx, m.Owner, api.SignalJoin, api.JoinRequest{Parent: campaign.Incident,
			Why: fmt.Sprintf("%d hosts share %s within %s", len(t.hostsOf(members)), campaign.Key, windowOf(t.in.Settings))})
	}
	var labels []string
	for _, h := range t.hostsOf(members) {
		labels = append(labels, h.Label())
	}
	t.state.Owners = slices.DeleteFunc(t.state.Owners, func(o HostOwner) bool {
		return o.Incident == trigger.Incident || slices.Contains(moved, o.Incident)
	})
	t.ownersChanged()
	t.own(campaign.Incident, started.RunID, labels, true, workflow.Now(ctx))
	if t.round3 {
		// The members are the campaign's now: they leave with it, and no other
		// campaign forms of them.
		for i := range t.state.Recent {
			r := &t.state.Recent[i]
			if r.Owner == trigger.Incident || slices.Contains(moved, r.Owner) || slices.ContainsFunc(members, func(m RecentAlert) bool { return m.Incident == r.Incident }) {
				r.Owner = campaign.Incident
			}
		}
	}
	return true
}

// campaignInput is the campaign incident's start: its own alert gathers the members'
// hosts (each with its vendor) and indicators, one Severity above its highest member,
// emergency when its hosts span two sites or more.
func (t *triage) campaignInput(campaign OpenCampaign, members []RecentAlert) api.IncidentInput {
	severity := integrations.SeverityInfo
	var sites []string
	var indicators []integrations.Indicator
	var ids []string
	for _, m := range members {
		if m.Severity.Rank() > severity.Rank() {
			severity = m.Severity
		}
		if m.Site != "" && !slices.Contains(sites, m.Site) {
			sites = append(sites, m.Site)
		}
		for _, ind := range m.Indicators {
			if !slices.Contains(indicators, ind) {
				indicators = append(indicators, ind)
			}
		}
		ids = append(ids, m.Incident)
	}
	severity = casework.SeverityOfRank(min(severity.Rank()+1, integrations.SeverityEmergency.Rank()))
	if len(sites) >= 2 {
		severity = integrations.SeverityEmergency
	}
	hosts := t.hostsOf(members)
	what := campaign.Detection
	if strings.HasPrefix(campaign.Key, "indicator:") {
		what = "indicator " + strings.TrimPrefix(campaign.Key, "indicator:")
	}
	policy := t.in.Settings.Policy
	policy.Capabilities = integrations.Capabilities{WriteBackVerdict: true}
	for _, h := range hosts {
		if integrations.CapabilitiesOf(h.Vendor).IsolateHost {
			policy.Capabilities.IsolateHost = true
		}
	}
	return api.IncidentInput{
		Customer: t.in.Customer, Vendor: api.CampaignVendor, Policy: policy,
		Alert: integrations.Alert{
			ID: members[0].AlertID, Detection: fmt.Sprintf("Campaign: %s on %d hosts", what, len(hosts)),
			Severity: severity, ObservedAt: members[0].At, Hosts: hosts, Indicators: indicators,
			Description: fmt.Sprintf("%d alerts share %s within %s", len(members), campaign.Key, windowOf(t.in.Settings)),
		},
		Campaign: &api.CampaignInfo{Key: campaign.Key, Members: ids},
	}
}
