package activities

import (
	"xsoc/config"
	"xsoc/integrations"
	"xsoc/integrations/messages"
)

// HostAction asks to isolate or release one host of an incident.
type HostAction struct {
	Customer   string            `json:"customer"`
	Vendor     string            `json:"vendor"`
	IncidentID string            `json:"incident_id"`
	Host       integrations.Host `json:"host"`
}

// IndicatorAction asks to block or unblock an incident's indicators.
type IndicatorAction struct {
	Customer   string                   `json:"customer"`
	Vendor     string                   `json:"vendor"`
	IncidentID string                   `json:"incident_id"`
	Indicators []integrations.Indicator `json:"indicators"`
}

// InvestigateRequest asks the vendor what it knows about an alert.
type InvestigateRequest struct {
	Customer string             `json:"customer"`
	Vendor   string             `json:"vendor"`
	Alert    integrations.Alert `json:"alert"`
}

// WriteBackRequest sets the vendor's own status for the alert when we conclude.
type WriteBackRequest struct {
	Customer   string                  `json:"customer"`
	Vendor     string                  `json:"vendor"`
	Conclusion integrations.Conclusion `json:"conclusion"`
}

// Notification is one message to one contact: a page of the escalation chain, a
// breach page, a status update, a notice or a report. Key makes it idempotent: the
// same Key is delivered once, however often the activity is retried; Slack buttons
// and the Twilio callback carry it back as the page a decision answers.
type Notification struct {
	Key      string         `json:"key"`
	Customer string         `json:"customer"`
	Language string         `json:"language"`
	Kind     string         `json:"kind"`
	Contact  config.Contact `json:"contact"`
	Incident Brief          `json:"incident"`
	// Audience is who reads it (messages.AudienceSOC or AudienceCustomer) and Zone
	// the reader's IANA time zone; when set they override the brief's.
	Audience string `json:"audience,omitempty"`
	Zone     string `json:"zone,omitempty"`
	// Run is the first run of the incident (incarnation) that sent the page, which
	// continue-as-new keeps and a re-opening replaces. A Slack button and a call's
	// callback carry it back, so that a decision goes to that incarnation only: one of an
	// earlier incarnation is refused once the incident was re-opened. Empty on pages
	// of older workers, and on requests (a request id is never re-opened).
	Run string `json:"run,omitempty"`
	// Resent marks a notification sent again by a later run of the workflow that
	// sent it first, which may have delivered it: the first attempt looks for it too.
	Resent bool `json:"resent,omitempty"`
}

// Notification kinds.
const (
	KindPage      = messages.KindPage
	KindBreach    = messages.KindBreach
	KindStatus    = messages.KindStatus
	KindNotice    = messages.KindNotice
	KindReport    = messages.KindReport
	KindSOCNotice = messages.KindSOCNotice
)

// Brief is the incident as a message tells it.
type Brief = messages.Brief

// Delivery says where a notification went and the channel's reference for it
// (email Message-ID, Slack ts, Twilio SID).
type Delivery struct {
	Channel string `json:"channel"`
	Address string `json:"address"`
	Ref     string `json:"ref"`
}

// HostsAction asks to isolate or release many hosts of one platform at once (Action
// "isolate" or "release"): a worm's new hosts, contained in one vendor call where the
// vendor's API takes a list.
type HostsAction struct {
	Customer   string              `json:"customer"`
	Vendor     string              `json:"vendor"`
	IncidentID string              `json:"incident_id"`
	Action     string              `json:"action"`
	Hosts      []integrations.Host `json:"hosts"`
}
