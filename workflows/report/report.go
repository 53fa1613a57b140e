// Package report is the MonthlyReport workflow: a customer's report of the month,
// counted, read from the Account and mailed.
package report

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"xsoc/activities"
	"xsoc/config"
	"xsoc/integrations"
	"xsoc/integrations/messages"
	"xsoc/workflows/api"
	"xsoc/workflows/casework"
	"xsoc/workflows/start"
)

// SendMonthlyReport sends a customer the report of the month just ended, on the 1st
// of each month (the customer's report schedule starts it):
//
//  1. under the per_id plan, count the endpoints each vendor reports active and
//     record the count in the customer's Account, beside the contracted IDs;
//  2. read the month's report from the Account, where every figure lives;
//  3. mail it to the customer's status update contacts, in the customer's language,
//     once per contact and month however often this runs.
//
// It answers the report it sent.
func SendMonthlyReport(ctx workflow.Context, in api.MonthlyReportInput) (api.Report, error) {
	month := reportedMonth(ctx, config.LoadLocation(in.Timezone))
	log := workflow.GetLogger(ctx)
	if in.Plan == messages.PlanPerID {
		if err := recordActiveIDs(ctx, in.Customer, month); err != nil {
			return api.Report{}, err
		}
	}
	var report api.Report
	err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, casework.AccountReadOptions), own.ReadMonthlyReport, in.Customer, month).Get(ctx, &report)
	if err != nil {
		return report, err
	}
	if err := mailReport(ctx, in, report); err != nil {
		return report, err
	}
	log.Info("monthly report sent", "customer", in.Customer, "month", month)
	return report, nil
}

// acts and own name the activities this file runs (the vendors' count, and
// the Account's); a nil receiver is enough for that.
var (
	acts *activities.Activities
	own  *start.Calls
)

// scheduledStartTime is the time the schedule's action was due, which the schedule
// sets on every workflow it starts.
var scheduledStartTime = temporal.NewSearchAttributeKeyTime("TemporalScheduledStartTime")

// reportedMonth is the month before the schedule's action time, in the customer's
// zone ("2026-11" for an action due 2026-12-01T00:00+09:00 in Asia/Tokyo, that is
// 2026-11-30T15:00Z). The action time, not the start time, counts: a worker that was
// down until the 2nd must still report the month before the 1st. A run started by
// hand reports the month before now.
func reportedMonth(ctx workflow.Context, zone *time.Location) string {
	at := workflow.Now(ctx)
	if due, ok := workflow.GetTypedSearchAttributes(ctx).GetTime(scheduledStartTime); ok {
		at = due
	}
	at = at.In(zone)
	return time.Date(at.Year(), at.Month(), 1, 0, 0, 0, 0, zone).AddDate(0, -1, 0).Format("2006-01")
}

// recordActiveIDs counts the customer's active endpoints by vendor and records them
// in the Account for the month. Vendors that cannot be asked within countOptions
// leave the month without a count, which the report then says; the report still goes.
func recordActiveIDs(ctx workflow.Context, customer, month string) error {
	var counts map[string]int
	err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, casework.CountOptions), acts.CountActiveEndpoints, customer).Get(ctx, &counts)
	if err != nil {
		workflow.GetLogger(ctx).Warn("active endpoints not counted; the report goes without them",
			"customer", customer, "month", month, "error", err)
		return nil
	}
	return workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, casework.AccountReadOptions), own.RecordActiveIDs,
		api.ActiveIDs{Customer: customer, Month: month, Counts: counts}).Get(ctx, nil)
}

// mailReport mails the report to every status update contact with an email address,
// all at once. The key names the customer, month and contact, so that a retry or a
// second run for the same month mails nobody twice. Slack contacts are left out:
// PostSlack sends everything but a status update as an incident message with
// decision buttons, which a report must not carry.
func mailReport(ctx workflow.Context, in api.MonthlyReportInput, report api.Report) error {
	figures := reportBrief(report)
	brief := messages.Brief{WorkflowID: api.AccountWorkflowID(in.Customer), CustomerName: in.Notify.CustomerName, Report: &figures}
	type sending struct {
		to     string
		future workflow.Future
	}
	var sent []sending
	for i, contact := range in.Notify.Contacts {
		if contact.Email == "" {
			continue
		}
		n := activities.Notification{Customer: in.Customer, Language: in.Notify.Language, Kind: activities.KindReport, Incident: brief}
		email := contact.Only(config.Channel{Name: "email", Address: contact.Email})
		for _, m := range casework.Messages(email, fmt.Sprintf("%s/%s/%d", api.ReportScheduleID(in.Customer), report.Month, i), false, n) {
			sent = append(sent, sending{contact.Email, casework.Send(ctx, casework.ReportMailOptions, m)})
		}
	}
	if len(sent) == 0 {
		workflow.GetLogger(ctx).Warn("monthly report not mailed: no status update contact has an email address",
			"customer", in.Customer, "month", report.Month)
		return nil
	}
	var failed []string
	for _, s := range sent {
		if err := s.future.Get(ctx, nil); err != nil {
			failed = append(failed, fmt.Sprintf("%s: %v", s.to, err))
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("the %s report of customer %s was not mailed to %s", report.Month, in.Customer, strings.Join(failed, "; "))
	}
	return nil
}

// openAtEndNamed is how many of the incidents open at the month's end the mail names.
const openAtEndNamed = 10

// reportBrief is the report as the mail tells it: severities highest first, vendors
// by name, SLA breaches summed over the clocks.
func reportBrief(r api.Report) messages.MonthReport {
	b := messages.MonthReport{
		Month: r.Month, Start: r.Start, End: r.End, Plan: r.Plan, ContractedIDs: r.ContractedIDs, ActiveTotal: r.ActiveTotal,
		Incidents: r.Incidents, Billable: r.BillableResponses, NotBillable: r.NotBillable,
		TicketsBought: r.TicketsBought, TicketsUsed: r.TicketsUsed, TicketsExpired: r.TicketsExpired, TicketsRemaining: r.TicketsRemaining,
	}
	if r.ActiveIDs != nil {
		b.ActiveIDs = []messages.Tally{}
		for _, vendor := range casework.SortedKeys(r.ActiveIDs) {
			b.ActiveIDs = append(b.ActiveIDs, messages.Tally{Name: vendor, Count: r.ActiveIDs[vendor]})
		}
	}
	for _, severity := range integrations.Severities {
		if n := r.BySeverity[string(severity)]; n > 0 {
			b.BySeverity = append(b.BySeverity, messages.Tally{Name: string(severity), Count: n})
		}
	}
	for _, clock := range casework.SortedKeys(r.SLA) {
		b.SLABreached += r.SLA[clock][api.SLABreached]
	}
	for _, rule := range casework.SortedKeys(r.ByRule) {
		b.Suppressed = append(b.Suppressed, messages.Tally{Name: rule, Count: r.ByRule[rule]})
	}
	slices.SortStableFunc(b.Suppressed, func(x, y messages.Tally) int { return y.Count - x.Count })
	b.IdleRules = r.IdleRules
	b.OpenAtEnd, b.TicketsConverted = r.OpenAtEndCount, r.TicketsConverted
	for _, o := range r.OpenAtEnd[:min(len(r.OpenAtEnd), openAtEndNamed)] {
		b.OpenAtEndNames = append(b.OpenAtEndNames, o.Incident)
	}
	return b
}
