package incidentv1

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"xsoc/activities"
	"xsoc/config"
	"xsoc/integrations/messages"
)

// notifyOptions bound a notification's retries: a broken channel must not hold the
// chain, which moves on to its next step (and records the failure) instead.
var notifyOptions = workflow.ActivityOptions{
	StartToCloseTimeout: 45 * time.Second,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval:    2 * time.Second,
		BackoffCoefficient: 2,
		MaximumInterval:    time.Minute,
		MaximumAttempts:    5,
	},
}

// notify sends one notification to every channel of a contact, beside the incident's
// story, so that a slow channel never delays the next step or a decision. Status
// updates are not phoned: a call is for what needs a person now. inflight lets the
// incident wait for every notification before it ends.
func (inc *incident) notify(ctx workflow.Context, kind, key string, contact config.Contact, reason string) {
	for _, channel := range contact.Channels() {
		if kind == activities.KindStatus && channel.Name == "call" {
			continue
		}
		inc.send(ctx, kind, key+"/"+channel.Name, channel, contact, reason)
	}
}

// senders maps a channel to its activity.
func senders() map[string]any {
	var a *activities.Activities
	return map[string]any{"email": a.SendEmail, "slack": a.PostSlack, "call": a.PlaceCall, "sms": a.SendSMS}
}

func (inc *incident) send(ctx workflow.Context, kind, key string, channel config.Channel, contact config.Contact, reason string) {
	request := activities.Notification{
		Key: key, Customer: inc.in.Customer, Language: inc.policy.Language, Kind: kind,
		Contact: contact.Only(channel), Incident: inc.brief(reason),
	}
	index := len(inc.status.Paged)
	page := Page{Key: key, Kind: kind, Channel: channel.Name, Address: channel.Address, Name: contact.Name, At: workflow.Now(ctx)}
	if channel.Name == "call" && contact.SMSFallback {
		page.FallbackSMS = channel.Address
	}
	inc.status.Paged = append(inc.status.Paged, page)
	inc.inflight++
	workflow.Go(ctx, func(ctx workflow.Context) {
		defer func() { inc.inflight-- }()
		var delivery activities.Delivery
		err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, notifyOptions), senders()[channel.Name], request).Get(ctx, &delivery)
		if err != nil {
			inc.status.Paged[index].Error = err.Error()
			inc.record(ctx, "notify_failed", "", "%s to %s %s failed: %v", kind, channel.Name, channel.Address, err)
			return
		}
		inc.status.Paged[index].Ref = delivery.Ref
		inc.record(ctx, "notified", "", "%s sent by %s to %s", kind, channel.Name, describeContact(contact, channel))
	})
}

func describeContact(c config.Contact, channel config.Channel) string {
	if c.Name != "" {
		return fmt.Sprintf("%s (%s)", c.Name, channel.Address)
	}
	return channel.Address
}

// sendStatusUpdate reports a state change to the customer's CSIRT contacts and to
// the contacts of the site the incident's hosts are on.
func (inc *incident) sendStatusUpdate(ctx workflow.Context, reason string) {
	contacts := append([]config.Contact(nil), inc.policy.StatusUpdates...)
	if site, ok := inc.site(); ok {
		contacts = append(contacts, site.Contacts...)
	}
	inc.statusSeq++
	for i, contact := range contacts {
		key := fmt.Sprintf("%s/status/%d/%d", inc.incarnation, inc.statusSeq, i)
		inc.notify(ctx, activities.KindStatus, key, contact, reason)
	}
}

// brief is the incident as messages tell it.
func (inc *incident) brief(reason string) activities.Brief {
	s := inc.status
	var done []messages.Line
	for _, e := range s.Timeline {
		if e.Kind == "action" || e.Kind == "verdict" || e.Kind == "investigated" {
			done = append(done, messages.Line{At: e.At, Kind: e.Kind, By: e.By, Text: e.Text})
		}
	}
	var recent []messages.Line
	for _, e := range s.Timeline[max(0, len(s.Timeline)-8):] {
		recent = append(recent, messages.Line{At: e.At, Kind: e.Kind, By: e.By, Text: e.At.UTC().Format("15:04:05Z") + " " + e.Text})
	}
	return activities.Brief{
		WorkflowID: s.WorkflowID, CustomerName: inc.policy.CustomerName, Vendor: s.Vendor,
		AlertID: s.Alert.ID, Detection: s.Alert.Detection, Severity: string(s.Severity),
		State: s.State, Verdict: s.Verdict, Hosts: s.hostNames(), Users: s.Alert.Users, Site: s.Site,
		Done: done, Need: inc.need(), Reason: reason, Recent: recent,
	}
}

// need says what we need from the people we notify.
func (inc *incident) need() string {
	switch {
	case inc.status.concluded():
		return ""
	case inc.status.Acknowledged == nil:
		return "acknowledge"
	case inc.status.Verdict == "":
		return "verdict"
	case inc.status.State == StateAwaitingCustomer:
		return "customer_decision"
	}
	return ""
}
