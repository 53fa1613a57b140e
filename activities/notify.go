package activities

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"xsoc/integrations/email"
	"xsoc/integrations/messages"
	"xsoc/integrations/slack"
	"xsoc/integrations/twilio"
)

// Mailer sends one email.
type Mailer interface {
	Send(ctx context.Context, m email.Message) error
}

// SlackPoster posts incident messages (with decision buttons) and plain texts.
type SlackPoster interface {
	Post(ctx context.Context, m slack.IncidentMessage) (channelID, ts string, err error)
	PostText(ctx context.Context, channel, text, key string) (string, error)
}

// Phone places calls and sends SMS.
type Phone interface {
	PlaceCall(ctx context.Context, call twilio.Call) (string, error)
	SendSMS(ctx context.Context, to, body, key string) (string, error)
}

// SendEmail sends a page or status update by email, in the customer's language.
func (a *Activities) SendEmail(ctx context.Context, n Notification) (Delivery, error) {
	delivery := Delivery{Channel: "email", Address: n.Contact.Email, Ref: messageID(n.Key)}
	if a.Mailer == nil {
		return delivery, notConfigured("email", "XSOC_SMTP_HOST")
	}
	if a.sentMail.Has(n.Key) {
		return delivery, nil
	}
	m := a.render(ctx, n)
	err := a.Mailer.Send(ctx, email.Message{To: n.Contact.Email, Subject: m.Subject, Text: m.Text, HTML: m.HTML, MessageID: delivery.Ref})
	if err != nil {
		return delivery, err
	}
	a.sentMail.Add(n.Key)
	return delivery, nil
}

// PostSlack posts to a channel: pages carry Acknowledge / verdict / Contain buttons.
func (a *Activities) PostSlack(ctx context.Context, n Notification) (Delivery, error) {
	delivery := Delivery{Channel: "slack", Address: n.Contact.Slack}
	if a.Slack == nil {
		return delivery, notConfigured("slack", "XSOC_SLACK_TOKEN")
	}
	m := a.render(ctx, n)
	var err error
	if n.Kind != KindPage && n.Kind != KindBreach {
		delivery.Ref, err = a.Slack.PostText(ctx, n.Contact.Slack, m.Slack, n.Key)
	} else {
		_, delivery.Ref, err = a.Slack.Post(ctx, slack.IncidentMessage{
			Channel: n.Contact.Slack, IncidentID: n.Incident.WorkflowID, Title: m.Subject, Text: m.Slack, Key: n.Key,
			Buttons: slackButtons(n.Language),
		})
	}
	return delivery, AsActivityError(err)
}

// PlaceCall phones a person, says the incident in the customer's language and asks
// them to press 1 to acknowledge. The answer comes back through the Twilio callback.
func (a *Activities) PlaceCall(ctx context.Context, n Notification) (Delivery, error) {
	delivery := Delivery{Channel: "call", Address: n.Contact.Call}
	if a.Phone == nil {
		return delivery, notConfigured("call", "XSOC_TWILIO_ACCOUNT_SID")
	}
	m := a.render(ctx, n)
	callback := a.twilioCallbackURL(n)
	twiml, err := twilio.CallTwiML(m.Speech, m.NoInput, m.SayLanguage, callback)
	if err != nil {
		return delivery, temporal.NewNonRetryableApplicationError("building TwiML: "+err.Error(), "TwiML", err)
	}
	delivery.Ref, err = a.Phone.PlaceCall(ctx, twilio.Call{To: n.Contact.Call, TwiML: twiml, StatusCallback: callback, MachineDetection: true, Key: n.Key})
	return delivery, AsActivityError(err)
}

// SendSMS texts the incident in one line with its link.
func (a *Activities) SendSMS(ctx context.Context, n Notification) (Delivery, error) {
	delivery := Delivery{Channel: "sms", Address: n.Contact.SMS}
	if a.Phone == nil {
		return delivery, notConfigured("sms", "XSOC_TWILIO_ACCOUNT_SID")
	}
	m := a.render(ctx, n)
	var err error
	delivery.Ref, err = a.Phone.SendSMS(ctx, n.Contact.SMS, m.SMS, n.Key)
	return delivery, AsActivityError(err)
}

func (a *Activities) render(ctx context.Context, n Notification) messages.Message {
	return messages.Render(n.Language, n.Kind, n.Incident, a.incidentLink(ctx, n.Incident.WorkflowID))
}

// incidentLink points at the incident in the Temporal UI, in the namespace of the
// workflow that sends the message.
func (a *Activities) incidentLink(ctx context.Context, workflowID string) string {
	namespace := activity.GetInfo(ctx).WorkflowNamespace
	return fmt.Sprintf("%s/namespaces/%s/workflows/%s", strings.TrimRight(a.Settings.UIURL, "/"),
		url.PathEscape(namespace), url.PathEscape(workflowID))
}

// twilioCallbackURL carries the incident and the step in the query string, which
// Twilio's signature covers, so a callback cannot be pointed at another incident.
func (a *Activities) twilioCallbackURL(n Notification) string {
	query := url.Values{"incident": {n.Incident.WorkflowID}, "key": {n.Key}, "to": {n.Contact.Call}, "lang": {n.Language}}
	if n.Contact.Name != "" {
		query.Set("name", n.Contact.Name)
	}
	return strings.TrimRight(a.Settings.PublicURL, "/") + "/v1/callbacks/twilio?" + query.Encode()
}

func slackButtons(language string) []slack.Button {
	labels := messages.ButtonLabels(language)
	var buttons []slack.Button
	for _, decision := range []string{"acknowledge", "verdict_true_positive", "verdict_false_positive", "contain"} {
		buttons = append(buttons, slack.Button{Decision: decision, Label: labels[decision]})
	}
	return buttons
}

func messageID(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:16]) + "@xsoc"
}

func notConfigured(channel, variable string) error {
	return temporal.NewNonRetryableApplicationError(
		fmt.Sprintf("%s is not configured on this worker: set %s", channel, variable), "NotConfigured", nil)
}
