package casework

import (
	"fmt"

	"go.temporal.io/sdk/workflow"

	"xsoc/activities"
	"xsoc/config"
	"xsoc/integrations/messages"
	"xsoc/workflows/api"
)

// Message is one notification to one channel of one contact.
type Message struct {
	Notification activities.Notification
	Channel      config.Channel
	Contact      config.Contact
}

// Messages writes a notification to every channel of a contact (but calls, unless
// calls is set: a call is for what needs a person now), each keyed key/<channel> so
// that a retry or a replayed send reaches nobody twice.
func Messages(contact config.Contact, key string, calls bool, n activities.Notification) []Message {
	var out []Message
	for _, channel := range contact.Channels() {
		if channel.Name == "call" && !calls {
			continue
		}
		m := n
		m.Key, m.Contact = key+"/"+channel.Name, contact.Only(channel)
		out = append(out, Message{Notification: m, Channel: channel, Contact: contact})
	}
	return out
}

// Send runs the message's channel activity (SendEmail, PostSlack, PlaceCall, SendSMS)
// with the options given; the future answers an activities.Delivery.
func Send(ctx workflow.Context, options workflow.ActivityOptions, m Message) workflow.Future {
	var a *activities.Activities
	senders := map[string]any{"email": a.SendEmail, "slack": a.PostSlack, "call": a.PlaceCall, "sms": a.SendSMS}
	return workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, options), senders[m.Channel.Name], m.Notification)
}

// NoticeContacts are who hears the SOC's notices: its notices list, or the first
// steps of its high chain.
func NoticeContacts(s api.SOCPolicy) []config.Contact {
	if len(s.Notices) > 0 {
		return s.Notices
	}
	return FirstContacts(Audience{Escalation: s.Escalation}.ChainFor("high"))
}

// SOCNoticeMessages writes a notice to the SOC (a storm, an outage, an over-broad
// rule, a cancelled incident) for each channel of its notice contacts but calls: a
// notice is read, it never rings anyone. key names the notice, so that a retry tells
// nobody twice.
func SOCNoticeMessages(contacts []config.Contact, key, customer, language, zone string, brief messages.Brief) []Message {
	var out []Message
	for i, contact := range contacts {
		out = append(out, Messages(contact, fmt.Sprintf("%s/%d", key, i), false, activities.Notification{
			Customer: customer, Language: language, Zone: zone, Audience: messages.AudienceSOC, Kind: messages.KindSOCNotice, Incident: brief,
		})...)
	}
	return out
}

// ReaderOf is how a tier's messages are written: for the analysts who triage (the
// SOC, or without one the customer's people doing its job), or for the customer.
func ReaderOf(p api.Policy, tier string) string {
	if tier == TriageTier(p) {
		return messages.AudienceSOC
	}
	return messages.AudienceCustomer
}
