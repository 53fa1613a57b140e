package testworld

import (
	"context"
	"strings"
	"sync"

	"xsoc/integrations/email"
	"xsoc/integrations/slack"
	"xsoc/integrations/twilio"
)

// Outbox is every notifier at once: it keeps what would have been sent.
type Outbox struct {
	Mu   sync.Mutex
	Sent []SentMessage
}

// SentMessage is one message a notifier would have sent.
type SentMessage struct {
	Channel, To, Subject, Text, Key string
}

func (o *Outbox) Add(m SentMessage) {
	o.Mu.Lock()
	defer o.Mu.Unlock()
	o.Sent = append(o.Sent, m)
}

func (o *Outbox) Send(_ context.Context, m email.Message) error {
	o.Add(SentMessage{Channel: "email", To: m.To, Subject: m.Subject, Text: m.Text, Key: m.MessageID})
	return nil
}

func (o *Outbox) Post(_ context.Context, m slack.IncidentMessage) (string, string, error) {
	o.Add(SentMessage{Channel: "slack", To: m.Channel, Subject: m.Title, Text: m.Text, Key: m.Key})
	return "C1", "1.0", nil
}

func (o *Outbox) PostText(_ context.Context, channel, text, key string) (string, error) {
	o.Add(SentMessage{Channel: "slack", To: channel, Text: text, Key: key})
	return "1.1", nil
}

func (o *Outbox) PlaceCall(_ context.Context, c twilio.Call) (string, error) {
	o.Add(SentMessage{Channel: "call", To: c.To, Text: c.TwiML, Key: c.Key})
	return "CA1", nil
}

func (o *Outbox) SendSMS(_ context.Context, to, body, key string) (string, error) {
	o.Add(SentMessage{Channel: "sms", To: to, Text: body, Key: key})
	return "SM1", nil
}

// Pages lists, in order, the addresses a channel paged (escalation and breach pages,
// not status updates).
func (o *Outbox) Pages(channel string) []string {
	o.Mu.Lock()
	defer o.Mu.Unlock()
	var list []string
	for _, m := range o.Sent {
		if m.Channel != channel {
			continue
		}
		isPage := strings.Contains(m.Key, "/page/") || strings.Contains(m.Key, "/breach/")
		if channel == "email" {
			isPage = strings.Count(m.Subject, "][") == 1 || strings.Contains(m.Subject, "SLA BREACH")
		}
		if isPage {
			list = append(list, m.To)
		}
	}
	return list
}

// All lists every message of a channel.
func (o *Outbox) All(channel string) []SentMessage {
	o.Mu.Lock()
	defer o.Mu.Unlock()
	var list []SentMessage
	for _, m := range o.Sent {
		if m.Channel == channel {
			list = append(list, m)
		}
	}
	return list
}
