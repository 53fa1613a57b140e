package workflows

import (
	"fmt"

	"xsoc/activities"
	"xsoc/config"
	"xsoc/integrations/messages"
)

// socMessage is one message of a notice to the SOC: one channel of one contact.
type socMessage struct {
	request activities.Notification
	channel config.Channel
	contact config.Contact
}

// socNoticeMessages writes a notice to the SOC (a storm, an outage, an over-broad
// rule, a cancelled incident) for each channel of its notice contacts but calls: a
// notice is read, it never rings anyone. key names the notice, so that a retry tells
// nobody twice.
func socNoticeMessages(contacts []config.Contact, key, customer, language, zone string, brief messages.Brief) []socMessage {
	var out []socMessage
	for i, contact := range contacts {
		for _, channel := range contact.Channels() {
			if channel.Name == "call" {
				continue
			}
			out = append(out, socMessage{channel: channel, contact: contact, request: activities.Notification{
				Key: fmt.Sprintf("%s/%d/%s", key, i, channel.Name), Customer: customer, Language: language, Zone: zone,
				Audience: messages.AudienceSOC, Kind: messages.KindSOCNotice, Contact: contact.Only(channel), Incident: brief,
			}})
		}
	}
	return out
}
