package activities

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"xsoc/config"
	"xsoc/integrations"
	"xsoc/integrations/email"
	"xsoc/integrations/slack"
	"xsoc/integrations/twilio"
)

// flakyMailer hands the message over and then loses the answer once, as a
// connection dropped after SMTP's final OK would.
type flakyMailer struct {
	sent     []email.Message
	loseNext bool
}

func (m *flakyMailer) Send(_ context.Context, msg email.Message) error {
	m.sent = append(m.sent, msg)
	if m.loseNext {
		m.loseNext = false
		return errors.New("connection reset after DATA")
	}
	return nil
}

type recordingPhone struct{ calls []twilio.Call }

func (p *recordingPhone) PlaceCall(_ context.Context, c twilio.Call) (string, error) {
	p.calls = append(p.calls, c)
	return "CA1", nil
}
func (p *recordingPhone) SendSMS(context.Context, string, string, string) (string, error) {
	return "SM1", nil
}

var _ SlackPoster = (*slack.Client)(nil)

func notification(language string) Notification {
	return Notification{
		Key: "incident/acme/generic/a1#run/page/0/critical/r0/s0/email", Customer: "acme", Language: language, Kind: KindPage,
		Contact: config.Contact{Email: "it@acme.example", Call: "+81300000001", Name: "CSO"},
		Incident: Brief{WorkflowID: "incident/acme/generic/a1", CustomerName: "ACME", Vendor: "cybereason",
			Detection: "Credential dumping", Severity: "critical", State: "new", Hosts: []string{"osk-pc-17"}, Need: "acknowledge"},
	}
}

func TestSendEmailRetriedAfterALostAnswerIsSentOnce(t *testing.T) {
	mailer := &flakyMailer{}
	a := &Activities{Mailer: mailer, Settings: config.Settings{UIURL: "http://ui.test"}}
	n := notification("en")
	first, err := a.SendEmail(context.Background(), n)
	if err != nil {
		t.Fatal(err)
	}
	second, err := a.SendEmail(context.Background(), n)
	if err != nil || len(mailer.sent) != 1 || first.Ref != second.Ref {
		t.Fatalf("sent %d times (err %v)", len(mailer.sent), err)
	}
	want := "[xsoc][CRITICAL] ACME: Credential dumping on osk-pc-17"
	if mailer.sent[0].Subject != want || !strings.Contains(mailer.sent[0].Text, "http://ui.test/namespaces/default/workflows/incident%2Facme%2Fgeneric%2Fa1") {
		t.Fatalf("message: %q\n%s", mailer.sent[0].Subject, mailer.sent[0].Text)
	}

	lost := &flakyMailer{loseNext: true}
	a = &Activities{Mailer: lost}
	if _, err := a.SendEmail(context.Background(), n); err == nil {
		t.Fatal("a lost answer must fail the attempt so that Temporal retries")
	}
	if _, err := a.SendEmail(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	if lost.sent[0].MessageID != lost.sent[1].MessageID {
		t.Fatal("a resend after a lost answer must carry the same Message-ID, so mail clients show it once")
	}
}

func TestJapaneseCustomerIsCalledInJapanese(t *testing.T) {
	phone := &recordingPhone{}
	a := &Activities{Phone: phone, Settings: config.Settings{PublicURL: "https://xsoc.example/"}}
	n := notification("ja")
	n.Key = strings.TrimSuffix(n.Key, "email") + "call"
	if _, err := a.PlaceCall(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	call := phone.calls[0]
	for _, want := range []string{`language="ja-JP"`, "受領する場合は 1 を押してください", `numDigits="1"`} {
		if !strings.Contains(call.TwiML, want) {
			t.Errorf("TwiML lacks %q:\n%s", want, call.TwiML)
		}
	}
	if !strings.HasPrefix(call.StatusCallback, "https://xsoc.example/v1/callbacks/twilio?") ||
		!strings.Contains(call.StatusCallback, "incident=incident%2Facme%2Fgeneric%2Fa1") || !strings.Contains(call.StatusCallback, "name=CSO") {
		t.Fatalf("callback URL: %s", call.StatusCallback)
	}
	if !call.MachineDetection || call.Key != n.Key {
		t.Fatalf("call: %+v", call)
	}
}

func TestChannelsWithoutCredentialsFailWithoutRetrying(t *testing.T) {
	a := &Activities{}
	_, err := a.PlaceCall(context.Background(), notification("en"))
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || !appErr.NonRetryable() || !strings.Contains(err.Error(), "XSOC_TWILIO_ACCOUNT_SID") {
		t.Fatalf("got %v", err)
	}
}

func TestVendorErrorsTellTemporalWhatToRetry(t *testing.T) {
	cases := []struct {
		name      string
		err       error
		retryable bool
		delay     time.Duration
	}{
		{"4xx is final", &integrations.VendorError{Vendor: "cybereason", StatusCode: 403, Message: "no Responder role"}, false, 0},
		{"429 waits Retry-After", &integrations.VendorError{Vendor: "zscaler", StatusCode: 429, Message: "Rate Limit", RetryAfter: 7 * time.Second}, true, 7 * time.Second},
		{"5xx retries", &integrations.VendorError{Vendor: "withsecure", StatusCode: 503, Message: "down"}, true, 0},
		{"unsupported is final", integrations.ErrUnsupported, false, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var appErr *temporal.ApplicationError
			if !errors.As(asActivityError(tc.err), &appErr) {
				t.Fatalf("not an application error: %v", asActivityError(tc.err))
			}
			if appErr.NonRetryable() == tc.retryable || appErr.NextRetryDelay() != tc.delay {
				t.Fatalf("retryable=%v delay=%v", !appErr.NonRetryable(), appErr.NextRetryDelay())
			}
			if !strings.Contains(appErr.Error(), tc.err.Error()) {
				t.Fatalf("the vendor's message is lost: %v", appErr)
			}
		})
	}
}
