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

// PostSlack posts to a channel. Pages and breach pages carry buttons whose values
// name the page (its Key): the SOC's Acknowledge / True positive / False positive /
// Contain, the customer's Acknowledge only. Status updates, notices and reports
// post as plain text.
func (a *Activities) PostSlack(ctx context.Context, n Notification) (Delivery, error) {
	delivery := Delivery{Channel: "slack", Address: n.Contact.Slack}
	if a.Slack == nil {
		return delivery, notConfigured("slack", "XSOC_SLACK_TOKEN")
	}
	m := a.render(ctx, n)
	if activity.GetInfo(ctx).Attempt == 1 && !n.Resent {
		// No attempt before this one can have posted: the client need not look.
		ctx = slack.FirstAttempt(ctx)
	}
	var err error
	if n.Kind != KindPage && n.Kind != KindBreach {
		delivery.Ref, err = a.Slack.PostText(ctx, n.Contact.Slack, m.Slack, n.Key)
	} else {
		_, delivery.Ref, err = a.Slack.Post(ctx, slack.IncidentMessage{
			Channel: n.Contact.Slack, IncidentID: n.Incident.WorkflowID, Run: n.Run, Title: m.Subject, Text: m.Slack, Key: n.Key,
			Buttons: slackButtons(n.Language, n.brief().Reader()),
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
	b := n.brief()
	return messages.Render(n.Language, n.Kind, b, a.uiLink(ctx, n.Kind, b))
}

// brief is the notification's brief for its reader.
func (n Notification) brief() Brief {
	b := n.Incident
	if n.Audience != "" {
		b.Audience = n.Audience
	}
	if n.Zone != "" {
		b.Zone = n.Zone
	}
	return b
}

// uiLink is the SOC's Temporal UI page a message links: a storm digest's list of
// alerts, else the incident. Customer messages link nothing: the UI is the SOC's.
func (a *Activities) uiLink(ctx context.Context, kind string, b Brief) string {
	switch {
	case b.Reader() == messages.AudienceCustomer:
		return ""
	case kind == KindSOCNotice && b.SOCNotice != nil && b.SOCNotice.ListQuery != "":
		return a.listLink(ctx, b.SOCNotice.ListQuery)
	case b.WorkflowID != "":
		return a.incidentLink(ctx, b.WorkflowID)
	}
	return ""
}

// listLink points at the Temporal UI's workflow list filtered by a list query: the
// page an incident link sits under, with the query.
func (a *Activities) listLink(ctx context.Context, query string) string {
	return strings.TrimSuffix(a.incidentLink(ctx, ""), "/") + "?query=" + url.QueryEscape(query)
}

// incidentLink points at the incident in the Temporal UI, in the namespace of the
// workflow that sends the message.
func (a *Activities) incidentLink(ctx context.Context, workflowID string) string {
	namespace := activity.GetInfo(ctx).Namespace
	return fmt.Sprintf("%s/namespaces/%s/workflows/%s", strings.TrimRight(a.Settings.UIURL, "/"),
		url.PathEscape(namespace), url.PathEscape(workflowID))
}

// twilioCallbackURL carries the incident, its run and the step in the query string,
// which Twilio's signature covers, so a callback cannot be pointed at another incident
// or at a later run of this one.
func (a *Activities) twilioCallbackURL(n Notification) string {
	query := url.Values{"incident": {n.Incident.WorkflowID}, "key": {n.Key}, "to": {n.Contact.Call}, "lang": {n.Language}}
	if n.Contact.Name != "" {
		query.Set("name", n.Contact.Name)
	}
	if n.Run != "" {
		query.Set("run", n.Run)
	}
	return strings.TrimRight(a.Settings.PublicURL, "/") + "/v1/callbacks/twilio?" + query.Encode()
}

// slackButtons are the decisions a reader can take from a page: the SOC decides;
// the customer only acknowledges (verdicts and containment are the SOC's, asked
// for through it).
func slackButtons(language, audience string) []slack.Button {
	decisions := []string{slack.DecisionAcknowledge, slack.DecisionTruePositive, slack.DecisionFalsePositive, slack.DecisionContain}
	if audience == messages.AudienceCustomer {
		decisions = decisions[:1]
	}
	labels := messages.ButtonLabels(language)
	buttons := make([]slack.Button, 0, len(decisions))
	for _, decision := range decisions {
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
