package casework

import (
	"fmt"

	"xsoc/activities"
	"xsoc/config"
	"xsoc/integrations/messages"
	"xsoc/workflows/api"
)

// Senders maps a channel to its activity.
func Senders() map[string]any {
	var a *activities.Activities
	return map[string]any{"email": a.SendEmail, "slack": a.PostSlack, "call": a.PlaceCall, "sms": a.SendSMS}
}

// NoticeContacts are who hears the SOC's notices: its notices list, or the first
// steps of its high chain.
func NoticeContacts(s api.SOCPolicy) []config.Contact {
	if len(s.Notices) > 0 {
		return s.Notices
	}
	return FirstContacts(Audience{Escalation: s.Escalation}.ChainFor("high"))
}

// SOCMessage is one message of a notice to the SOC: one channel of one contact.
type SOCMessage struct {
	Request activities.Notification
	Channel config.Channel
	Contact config.Contact
}

// SOCNoticeMessages writes a notice to the SOC (a storm, an outage, an over-broad
// rule, a cancelled incident) for each channel of its notice contacts but calls: a
// notice is read, it never rings anyone. key names the notice, so that a retry tells
// nobody twice.
func SOCNoticeMessages(contacts []config.Contact, key, customer, language, zone string, brief messages.Brief) []SOCMessage {
	var out []SOCMessage
	for i, contact := range contacts {
		for _, channel := range contact.Channels() {
			if channel.Name == "call" {
				continue
			}
			out = append(out, SOCMessage{Channel: channel, Contact: contact, Request: activities.Notification{
				Key: fmt.Sprintf("%s/%d/%s", key, i, channel.Name), Customer: customer, Language: language, Zone: zone,
				Audience: messages.AudienceSOC, Kind: messages.KindSOCNotice, Contact: contact.Only(channel), Incident: brief,
			}})
		}
	}
	return out
}
