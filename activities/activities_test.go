package activities

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

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

// run runs one activity as a worker would, so that it sees its activity context.
func run[T any](t *testing.T, a *Activities, activity any, args ...any) (T, error) {
	t.Helper()
	env := (&testsuite.WorkflowTestSuite{}).NewTestActivityEnvironment()
	env.RegisterActivity(a)
	var result T
	value, err := env.ExecuteActivity(activity, args...)
	if err == nil {
		err = value.Get(&result)
	}
	return result, err
}

func TestSendEmailRetriedAfterALostAnswerIsSentOnce(t *testing.T) {
	mailer := &flakyMailer{}
	a := &Activities{Mailer: mailer, Settings: config.Settings{UIURL: "http://ui.test"}}
	n := notification("en")
	first, err := run[Delivery](t, a, a.SendEmail, n)
	if err != nil {
		t.Fatal(err)
	}
	second, err := run[Delivery](t, a, a.SendEmail, n)
	if err != nil || len(mailer.sent) != 1 || first.Ref != second.Ref {
		t.Fatalf("sent %d times (err %v)", len(mailer.sent), err)
	}
	want := "[xsoc][CRITICAL] ACME: Credential dumping on osk-pc-17"
	// The link names the namespace of the workflow that sent the message.
	if mailer.sent[0].Subject != want || !strings.Contains(mailer.sent[0].Text, "http://ui.test/namespaces/default-test-namespace/workflows/incident%2Facme%2Fgeneric%2Fa1") {
		t.Fatalf("message: %q\n%s", mailer.sent[0].Subject, mailer.sent[0].Text)
	}
	lost := &flakyMailer{loseNext: true}
	a = &Activities{Mailer: lost}
	if _, err := run[Delivery](t, a, a.SendEmail, n); err == nil {
		t.Fatal("a lost answer must fail the attempt so that Temporal retries")
	}
	if _, err := run[Delivery](t, a, a.SendEmail, n); err != nil {
		t.Fatal(err)
	}
	if lost.sent[0].MessageID != lost.sent[1].MessageID {
		t.Fatal("a resend after a lost answer must carry the same Message-ID, so mail clients show it once")
	}
}

func TestSentMailIsForgottenAfterADay(t *testing.T) {
	now := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	mailer := &flakyMailer{}
	a := &Activities{Mailer: mailer}
	a.sentMail.now = func() time.Time { return now }
	n := notification("en")
	for i := range 1000 {
		n.Key = fmt.Sprintf("incident/acme/generic/a%d#run/status/1/0/email", i)
		if _, err := run[Delivery](t, a, a.SendEmail, n); err != nil {
			t.Fatal(err)
		}
		now = now.Add(time.Minute)
	}
	// 1,000 minutes is under a day: every key is still known, and a retry sends nothing.
	if _, err := run[Delivery](t, a, a.SendEmail, n); err != nil || len(mailer.sent) != 1000 {
		t.Fatalf("a retry within the day was sent again (%d sent, %v)", len(mailer.sent), err)
	}
	if a.sentMail.Len() != 1000 {
		t.Fatalf("%d keys remembered, want 1000", a.sentMail.Len())
	}
	// Past a day from the first keys, the worker holds only the last day's.
	now = now.Add(keyMemory - 500*time.Minute)
	n.Key = "incident/acme/generic/late#run/status/1/0/email"
	if _, err := run[Delivery](t, a, a.SendEmail, n); err != nil {
		t.Fatal(err)
	}
	if got := a.sentMail.Len(); got != 500 {
		t.Fatalf("%d keys remembered a day on, want the 499 of the last day and the new one", got)
	}
	if !a.sentMail.Has(n.Key) || a.sentMail.Has("incident/acme/generic/a0#run/status/1/0/email") {
		t.Fatal("the newest key must be known and the oldest forgotten")
	}
}

func TestRecentKeysStayBoundedAndKeepAKeyAddedAgain(t *testing.T) {
	now := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	var keys recentKeys
	keys.now = func() time.Time { return now }
	keys.Add("again")
	now = now.Add(keyMemory - time.Hour)
	keys.Add("again") // remembered for another day from here
	now = now.Add(2 * time.Hour)
	keys.Add("other")
	if !keys.Has("again") || keys.Len() != 2 {
		t.Fatalf("a key added again must live a day from its last addition (len %d)", keys.Len())
	}
	for i := range maxRememberedKeys + 10 {
		keys.Add(fmt.Sprint("storm-", i))
	}
	if keys.Len() != maxRememberedKeys || keys.Has("storm-0") || !keys.Has(fmt.Sprint("storm-", maxRememberedKeys+9)) {
		t.Fatalf("%d keys remembered, want at most %d, oldest first out", keys.Len(), maxRememberedKeys)
	}
}

func TestJapaneseCustomerIsCalledInJapanese(t *testing.T) {
	phone := &recordingPhone{}
	a := &Activities{Phone: phone, Settings: config.Settings{PublicURL: "https://xsoc.example/"}}
	n := notification("ja")
	n.Key = strings.TrimSuffix(n.Key, "email") + "call"
	if _, err := run[Delivery](t, a, a.PlaceCall, n); err != nil {
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
	_, err := run[Delivery](t, a, a.PlaceCall, notification("en"))
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
			if !errors.As(AsActivityError(tc.err), &appErr) {
				t.Fatalf("not an application error: %v", AsActivityError(tc.err))
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
