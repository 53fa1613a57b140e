package activities

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"xsoc/config"
	"xsoc/integrations/email"
	"xsoc/integrations/messages"
	"xsoc/integrations/slack"
)

// recordingSlack keeps what PostSlack hands to Slack.
type recordingSlack struct {
	pages []slack.IncidentMessage
	texts []string
}

func (r *recordingSlack) Post(_ context.Context, m slack.IncidentMessage) (string, string, error) {
	r.pages = append(r.pages, m)
	return "C1", "1.0", nil
}

func (r *recordingSlack) PostText(_ context.Context, _, text, _ string) (string, error) {
	r.texts = append(r.texts, text)
	return "1.1", nil
}

func slackNotification(kind, audience string) Notification {
	n := notification("en")
	n.Kind, n.Audience = kind, audience
	n.Key = "incident/acme/generic/a1#run-1/" + kind + "/" + audience + "/0/slack"
	n.Run = "run-1"
	n.Contact = config.Contact{Slack: "#desk"}
	return n
}

// TestSlackPagesOfferEachReaderItsDecisionsAndNameThePage: the buttons carry the
// message's Key back as the page a click answers (integrations/slack tests that
// every button's value holds it).
func TestSlackPagesOfferEachReaderItsDecisionsAndNameThePage(t *testing.T) {
	all := []string{slack.DecisionAcknowledge, slack.DecisionTruePositive, slack.DecisionFalsePositive, slack.DecisionContain}
	cases := []struct {
		name, kind, audience string
		offers               []string
	}{
		{"SOC page", KindPage, messages.AudienceSOC, all},
		{"SOC breach", KindBreach, messages.AudienceSOC, all},
		{"page before the two audiences", KindPage, "", all},
		{"customer page", KindPage, messages.AudienceCustomer, all[:1]},
		{"customer breach", KindBreach, messages.AudienceCustomer, all[:1]},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			poster := &recordingSlack{}
			a := &Activities{Slack: poster, Settings: config.Settings{UIURL: "http://ui.test"}}
			n := slackNotification(tc.kind, tc.audience)
			if _, err := run[Delivery](t, a, a.PostSlack, n); err != nil {
				t.Fatal(err)
			}
			if len(poster.pages) != 1 || len(poster.texts) != 0 {
				t.Fatalf("posted %d pages and %d texts, want one page", len(poster.pages), len(poster.texts))
			}
			page := poster.pages[0]
			var offered []string
			for _, b := range page.Buttons {
				offered = append(offered, b.Decision)
			}
			if !slices.Equal(offered, tc.offers) || page.Key != n.Key || page.IncidentID != n.Incident.WorkflowID || page.Run != n.Run {
				t.Errorf("page offers %v under key %q for %q run %q, want %v under %q for run %q", offered, page.Key, page.IncidentID, page.Run,
					tc.offers, n.Key, n.Run)
			}
		})
	}
}

func TestSlackStatusNoticesAndReportsPostWithoutButtons(t *testing.T) {
	notice := slackNotification(KindSOCNotice, messages.AudienceSOC)
	notice.Incident = Brief{CustomerName: "ACME", SOCNotice: &messages.SOCNotice{Topic: messages.TopicStormStarted, Customer: "acme", At: time.Now()}}
	report := slackNotification(KindReport, messages.AudienceCustomer)
	report.Incident = Brief{CustomerName: "ACME", Report: &messages.MonthReport{Month: "2026-11", Plan: messages.PlanPerResponse}}
	for _, n := range []Notification{
		slackNotification(KindStatus, messages.AudienceSOC), slackNotification(KindStatus, messages.AudienceCustomer), notice, report,
	} {
		poster := &recordingSlack{}
		a := &Activities{Slack: poster, Settings: config.Settings{UIURL: "http://ui.test"}}
		if _, err := run[Delivery](t, a, a.PostSlack, n); err != nil {
			t.Fatal(err)
		}
		if len(poster.pages) != 0 || len(poster.texts) != 1 || poster.texts[0] == "" {
			t.Errorf("%s for %q posted pages %+v and texts %q, want one plain text", n.Kind, n.Audience, poster.pages, poster.texts)
		}
	}
}

type recordingMailer struct{ sent []string }

func (m *recordingMailer) Send(_ context.Context, msg email.Message) error {
	m.sent = append(m.sent, msg.Subject+"\n"+msg.Text+"\n"+msg.HTML)
	return nil
}

func TestMessagesAreWrittenForTheNotificationsReader(t *testing.T) {
	opened := time.Date(2026, 11, 27, 3, 12, 0, 0, time.UTC)
	link := "http://ui.test/namespaces/default-test-namespace/workflows/incident%2Facme%2Fgeneric%2Fa1"
	cases := []struct {
		name, audience, zone string
		says, never          []string
	}{
		{"SOC in Tokyo", messages.AudienceSOC, "Asia/Tokyo", []string{link, "Opened: 2026-11-27 12:12 JST (+09:00)"}, nil},
		{"customer in Tokyo", messages.AudienceCustomer, "Asia/Tokyo", []string{"Opened: 2026-11-27 12:12 JST (+09:00)", "press 1"}, []string{"ui.test", "Temporal"}},
		{"customer in UTC", messages.AudienceCustomer, "", []string{"Opened: 2026-11-27 03:12 UTC (+00:00)"}, []string{"ui.test", "Temporal"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mailer := &recordingMailer{}
			a := &Activities{Mailer: mailer, Settings: config.Settings{UIURL: "http://ui.test"}}
			n := notification("en")
			n.Audience, n.Zone, n.Incident.OpenedAt = tc.audience, tc.zone, opened
			if _, err := run[Delivery](t, a, a.SendEmail, n); err != nil {
				t.Fatal(err)
			}
			for _, want := range tc.says {
				if !strings.Contains(mailer.sent[0], want) {
					t.Errorf("mail does not say %q:\n%s", want, mailer.sent[0])
				}
			}
			for _, unwanted := range tc.never {
				if strings.Contains(mailer.sent[0], unwanted) {
					t.Errorf("mail says %q:\n%s", unwanted, mailer.sent[0])
				}
			}
		})
	}
}

func TestCustomerCallSaysHowToAcknowledgeWithoutTheTemporalUI(t *testing.T) {
	phone := &recordingPhone{}
	a := &Activities{Phone: phone, Settings: config.Settings{PublicURL: "https://xsoc.example/", UIURL: "http://ui.test"}}
	n := notification("en")
	n.Kind, n.Audience, n.Key, n.Run = KindPage, messages.AudienceCustomer, "incident/acme/generic/a1#run-1/page/customer/0/call", "run-1"
	n.Incident.SOCName, n.Incident.SOCContact = "X-SOC", "+81-3-0000-9999"
	if _, err := run[Delivery](t, a, a.PlaceCall, n); err != nil {
		t.Fatal(err)
	}
	call := phone.calls[0]
	if !strings.Contains(call.TwiML, "Press 1 to acknowledge") || !strings.Contains(call.TwiML, "+81-3-0000-9999") ||
		strings.Contains(call.TwiML, "Temporal") || strings.Contains(call.TwiML, "ui.test") {
		t.Errorf("TwiML:\n%s", call.TwiML)
	}
	if !strings.Contains(call.StatusCallback, "key=incident%2Facme%2Fgeneric%2Fa1%23run-1%2Fpage%2Fcustomer%2F0%2Fcall") ||
		!strings.Contains(call.StatusCallback, "run=run-1") {
		t.Errorf("the callback does not name the page and its run: %s", call.StatusCallback)
	}
}

func TestStormDigestLinksTheListQuery(t *testing.T) {
	mailer := &recordingMailer{}
	a := &Activities{Mailer: mailer, Settings: config.Settings{UIURL: "http://ui.test/"}}
	n := Notification{Key: "soc/storm/acme/digest/3/email", Language: "en", Kind: KindSOCNotice, Audience: messages.AudienceSOC,
		Contact: config.Contact{Email: "soc@xsoc.example"},
		Incident: Brief{CustomerName: "ACME", SOCNotice: &messages.SOCNotice{Topic: messages.TopicStormDigest, Customer: "acme",
			At: time.Now(), Alerts: 340, ListQuery: `XsocCustomer="acme" AND WorkflowType="Incident"`}}}
	if _, err := run[Delivery](t, a, a.SendEmail, n); err != nil {
		t.Fatal(err)
	}
	want := "http://ui.test/namespaces/default-test-namespace/workflows?query=XsocCustomer%3D%22acme%22+AND+WorkflowType%3D%22Incident%22"
	if !strings.Contains(mailer.sent[0], want) {
		t.Errorf("the digest does not link %s:\n%s", want, mailer.sent[0])
	}
}
