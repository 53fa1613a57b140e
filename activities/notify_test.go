package activities

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"xsoc/config"
	"xsoc/integrations/email"
	"xsoc/integrations/messages"
	"xsoc/integrations/slack"
	"xsoc/integrations/slack/sim"
)

const slackSecret = "notify-test-secret"

// slackDesk is a Slack simulator and our side of its interactivity: every click
// that reaches it is verified and parsed as the starter does.
type slackDesk struct {
	sim      *sim.Server
	client   *slack.Client
	callback string
	mu       sync.Mutex
	clicks   []slack.Interaction
}

func newSlackDesk(t *testing.T) *slackDesk {
	t.Helper()
	d := &slackDesk{sim: sim.New(slackSecret)}
	api := httptest.NewServer(d.sim)
	t.Cleanup(api.Close)
	d.sim.BaseURL = api.URL
	d.client = slack.New("xoxb-notify-test", api.URL+"/api/")
	callback := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := slack.VerifyRequest(r, slackSecret, time.Now())
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		click, err := slack.ParseInteraction(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		d.mu.Lock()
		d.clicks = append(d.clicks, click)
		d.mu.Unlock()
	}))
	t.Cleanup(callback.Close)
	d.callback = callback.URL
	return d
}

func (d *slackDesk) lastClick() slack.Interaction {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.clicks[len(d.clicks)-1]
}

func slackNotification(kind, audience, key string) Notification {
	n := notification("en")
	n.Kind, n.Audience, n.Key = kind, audience, key
	n.Contact = config.Contact{Slack: "#desk"}
	return n
}

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
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			desk := newSlackDesk(t)
			a := &Activities{Slack: desk.client, Settings: config.Settings{UIURL: "http://ui.test"}}
			n := slackNotification(tc.kind, tc.audience, "incident/acme/generic/a1#run/"+tc.kind+"/"+string(rune('a'+i))+"/slack")
			delivery, err := a.PostSlack(context.Background(), n)
			if err != nil {
				t.Fatal(err)
			}
			for _, decision := range all {
				resp, err := desk.sim.Click(context.Background(), desk.callback, "#desk", delivery.Ref, decision, "hanako")
				offered := slices.Contains(tc.offers, decision)
				if !offered {
					if err == nil {
						resp.Body.Close()
						t.Errorf("the message offers %q", decision)
					}
					continue
				}
				if err != nil {
					t.Fatalf("click %s: %v", decision, err)
				}
				resp.Body.Close()
				click := desk.lastClick()
				if resp.StatusCode != http.StatusOK || click.Decision != decision || click.Page != n.Key || click.IncidentID != n.Incident.WorkflowID {
					t.Errorf("click %s answered %d as %+v, want page %s", decision, resp.StatusCode, click, n.Key)
				}
			}
		})
	}
}

func TestSlackStatusNoticesAndReportsPostWithoutButtons(t *testing.T) {
	notice := slackNotification(KindSOCNotice, messages.AudienceSOC, "soc/storm/acme/1/slack")
	notice.Incident = Brief{CustomerName: "ACME", SOCNotice: &messages.SOCNotice{Topic: messages.TopicStormStarted, Customer: "acme", At: time.Now()}}
	report := slackNotification(KindReport, messages.AudienceCustomer, "account/acme/report/2026-11/slack")
	report.Incident = Brief{CustomerName: "ACME", Report: &messages.MonthReport{Month: "2026-11", Plan: messages.PlanPerResponse}}
	for _, n := range []Notification{
		slackNotification(KindStatus, messages.AudienceSOC, "incident/acme/generic/a1#run/status/1/0/slack"),
		slackNotification(KindStatus, messages.AudienceCustomer, "incident/acme/generic/a1#run/status/1/1/slack"),
		notice, report,
	} {
		desk := newSlackDesk(t)
		a := &Activities{Slack: desk.client, Settings: config.Settings{UIURL: "http://ui.test"}}
		if _, err := a.PostSlack(context.Background(), n); err != nil {
			t.Fatal(err)
		}
		posted := desk.sim.Messages()
		if len(posted) != 1 || len(posted[0].Blocks) != 0 || posted[0].Text == "" {
			t.Errorf("%s for %q posted %+v, want one plain text", n.Kind, n.Audience, posted)
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
	link := "http://ui.test/namespaces/default/workflows/incident%2Facme%2Fgeneric%2Fa1"
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
			if _, err := a.SendEmail(context.Background(), n); err != nil {
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
	n.Kind, n.Audience, n.Key = KindPage, messages.AudienceCustomer, "incident/acme/generic/a1#run/page/customer/0/call"
	n.Incident.SOCName, n.Incident.SOCContact = "X-SOC", "+81-3-0000-9999"
	if _, err := a.PlaceCall(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	call := phone.calls[0]
	if !strings.Contains(call.TwiML, "Press 1 to acknowledge") || !strings.Contains(call.TwiML, "+81-3-0000-9999") ||
		strings.Contains(call.TwiML, "Temporal") || strings.Contains(call.TwiML, "ui.test") {
		t.Errorf("TwiML:\n%s", call.TwiML)
	}
	if !strings.Contains(call.StatusCallback, "key=incident%2Facme%2Fgeneric%2Fa1%23run%2Fpage%2Fcustomer%2F0%2Fcall") {
		t.Errorf("the callback does not name the page: %s", call.StatusCallback)
	}
}

func TestStormDigestLinksTheListQuery(t *testing.T) {
	mailer := &recordingMailer{}
	a := &Activities{Mailer: mailer, Settings: config.Settings{UIURL: "http://ui.test/"}}
	n := Notification{Key: "soc/storm/acme/digest/3/email", Language: "en", Kind: KindSOCNotice, Audience: messages.AudienceSOC,
		Contact: config.Contact{Email: "soc@xsoc.example"},
		Incident: Brief{CustomerName: "ACME", SOCNotice: &messages.SOCNotice{Topic: messages.TopicStormDigest, Customer: "acme",
			At: time.Now(), Alerts: 340, ListQuery: `XsocCustomer="acme" AND WorkflowType="Incident"`}}}
	if _, err := a.SendEmail(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	want := "http://ui.test/namespaces/default/workflows?query=XsocCustomer%3D%22acme%22+AND+WorkflowType%3D%22Incident%22"
	if !strings.Contains(mailer.sent[0], want) {
		t.Errorf("the digest does not link %s:\n%s", want, mailer.sent[0])
	}
}
