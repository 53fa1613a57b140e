package twilio_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"xsoc/integrations"
	"xsoc/integrations/twilio"
	"xsoc/integrations/twilio/sim"
)

const (
	testSID   = "AC0123456789abcdef0123456789abcdef"
	testToken = "0123456789abcdef0123456789abcdef"
	testFrom  = "+815000000000"
	cso       = "+81300000001"
)

func newPair(t *testing.T) (*sim.Server, *twilio.Client) {
	t.Helper()
	s := sim.New(testSID, testToken)
	s.StepDelay = time.Millisecond
	srv := httptest.NewServer(s)
	t.Cleanup(func() {
		s.Wait()
		srv.Close()
	})
	return s, twilio.New(testSID, testToken, testFrom, srv.URL)
}

// received is one callback as our starter would see it.
type received struct {
	path     string
	query    url.Values
	callback twilio.Callback
	valid    bool
}

// application is our side of Twilio's callbacks: verify the signature, parse, remember.
type application struct {
	*httptest.Server
	mu  sync.Mutex
	got []received
}

func newApplication(t *testing.T) *application {
	t.Helper()
	app := &application{}
	app.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		fullURL := "http://" + r.Host + r.URL.RequestURI()
		valid := twilio.ValidateRequest(testToken, fullURL, twilio.FormParams(r.PostForm), r.Header.Get("X-Twilio-Signature"))
		app.mu.Lock()
		app.got = append(app.got, received{path: r.URL.Path, query: r.URL.Query(), callback: twilio.ParseCallback(r.PostForm), valid: valid})
		app.mu.Unlock()
		if !valid {
			http.Error(w, "bad signature", http.StatusForbidden)
			return
		}
		w.Header().Set("Content-Type", "text/xml")
		_, _ = w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><Response/>`))
	}))
	t.Cleanup(app.Close)
	return app
}

func (app *application) received() []received {
	app.mu.Lock()
	defer app.mu.Unlock()
	return append([]received{}, app.got...)
}

func escalationCall(t *testing.T, app *application, to, key string) twilio.Call {
	t.Helper()
	gather := app.URL + "/v1/callbacks/twilio?incident=incident%2Facme%2Fcybereason%2F11.27&step=1&kind=gather"
	twiml, err := twilio.CallTwiML("Critical incident on osk-pc-17. Press 1 to acknowledge.", "No key pressed. Goodbye.", "en-US", gather)
	if err != nil {
		t.Fatalf("CallTwiML: %v", err)
	}
	return twilio.Call{
		To: to, TwiML: twiml, MachineDetection: true, Key: key,
		StatusCallback: app.URL + "/v1/callbacks/twilio?incident=incident%2Facme%2Fcybereason%2F11.27&step=1",
	}
}

func TestPlaceCallAnsweredAndAcknowledged(t *testing.T) {
	t.Parallel()
	s, c := newPair(t)
	app := newApplication(t)
	s.SetBehavior(cso, sim.Answer("1"))
	call := escalationCall(t, app, cso, "incident/acme/cybereason/11.27/1/1")

	sid, err := c.PlaceCall(context.Background(), call)
	if err != nil {
		t.Fatalf("PlaceCall: %v", err)
	}
	s.Wait()

	calls := s.Calls()
	if len(calls) != 1 || calls[0].SID != sid {
		t.Fatalf("calls = %+v, want one with sid %s", calls, sid)
	}
	got := calls[0]
	if got.To != cso || got.From != testFrom || got.TwiML != call.TwiML || got.MachineDetection != "Enable" || got.AsyncAMD != "false" {
		t.Errorf("call = %+v", got)
	}
	if strings.Join(got.StatusCallbackEvents, ",") != "initiated,ringing,answered,completed" || got.StatusCallbackMethod != "POST" {
		t.Errorf("status callback events %v method %s", got.StatusCallbackEvents, got.StatusCallbackMethod)
	}
	if got.Status != "completed" || got.AnsweredBy != "human" {
		t.Errorf("call ended %s answered by %q, want completed by human", got.Status, got.AnsweredBy)
	}

	var trail []string
	for _, r := range app.received() {
		if !r.valid {
			t.Errorf("callback to %s failed signature validation", r.path)
		}
		if r.query.Get("incident") != "incident/acme/cybereason/11.27" {
			t.Errorf("callback query %v lost the incident", r.query)
		}
		if r.callback.CallSID != sid || r.callback.To != cso || r.callback.From != testFrom {
			t.Errorf("callback %+v is not about call %s", r.callback, sid)
		}
		switch r.query.Get("kind") {
		case "gather":
			trail = append(trail, "digits:"+r.callback.Digits)
		default:
			if r.query.Get(twilio.KeyParam) != call.Key {
				t.Errorf("status callback key = %q, want %q", r.query.Get(twilio.KeyParam), call.Key)
			}
			trail = append(trail, r.callback.CallStatus)
		}
	}
	if want := "initiated,ringing,in-progress,digits:1,completed"; strings.Join(trail, ",") != want {
		t.Errorf("callbacks = %v, want %s", trail, want)
	}
}

func TestPlaceCallBehaviours(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		behavior   *sim.Behavior
		trail      string
		answeredBy string
	}{
		{"no answer by default", nil, "initiated,ringing,no-answer", ""},
		{"no answer", &sim.NoAnswer, "initiated,ringing,no-answer", ""},
		{"busy", &sim.Busy, "initiated,busy", ""},
		{"voicemail", &sim.Voicemail, "initiated,ringing,in-progress,completed", "machine_start"},
		{"answered, nothing pressed", ptr(sim.Answer("")), "initiated,ringing,in-progress,completed", "human"},
		{"answered, 9 pressed", ptr(sim.Answer("9")), "initiated,ringing,in-progress,digits:9,completed", "human"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, c := newPair(t)
			app := newApplication(t)
			if tt.behavior != nil {
				s.SetBehavior(cso, *tt.behavior)
			}
			if _, err := c.PlaceCall(context.Background(), escalationCall(t, app, cso, "k/"+tt.name)); err != nil {
				t.Fatalf("PlaceCall: %v", err)
			}
			s.Wait()
			var trail []string
			var last twilio.Callback
			for _, r := range app.received() {
				if r.query.Get("kind") == "gather" {
					trail = append(trail, "digits:"+r.callback.Digits)
					continue
				}
				trail = append(trail, r.callback.CallStatus)
				last = r.callback
			}
			if strings.Join(trail, ",") != tt.trail {
				t.Errorf("callbacks = %v, want %s", trail, tt.trail)
			}
			if last.AnsweredBy != tt.answeredBy {
				t.Errorf("final AnsweredBy = %q, want %q", last.AnsweredBy, tt.answeredBy)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestPlaceCallIsIdempotent(t *testing.T) {
	t.Parallel()
	s, c := newPair(t)
	app := newApplication(t)
	ctx := context.Background()
	call := escalationCall(t, app, cso, "k/once")
	first, err := c.PlaceCall(ctx, call)
	if err != nil {
		t.Fatalf("PlaceCall: %v", err)
	}
	second, err := c.PlaceCall(ctx, call)
	if err != nil || second != first {
		t.Fatalf("second PlaceCall = %s, %v; want %s", second, err, first)
	}
	if n := s.CountRequests(http.MethodPost, "Calls.json"); n != 1 {
		t.Errorf("%d calls created, want 1", n)
	}
	other := escalationCall(t, app, cso, "k/another")
	if sid, err := c.PlaceCall(ctx, other); err != nil || sid == first {
		t.Errorf("PlaceCall with another key = %s, %v; want a new call", sid, err)
	}
}

func TestPlaceCallAfterLostAnswerFindsTheCall(t *testing.T) {
	t.Parallel()
	s, c := newPair(t)
	app := newApplication(t)
	ctx := context.Background()
	call := escalationCall(t, app, cso, "k/lost")
	s.FailNextAfterCommit("POST Calls.json", http.StatusGatewayTimeout, 1)

	_, err := c.PlaceCall(ctx, call)
	var vendorErr *integrations.VendorError
	if !errors.As(err, &vendorErr) || !vendorErr.Retryable() {
		t.Fatalf("first PlaceCall error = %v, want a retryable VendorError", err)
	}
	sid, err := c.PlaceCall(ctx, call)
	if err != nil {
		t.Fatalf("retried PlaceCall: %v", err)
	}
	calls := s.Calls()
	if len(calls) != 1 || calls[0].SID != sid {
		t.Errorf("calls = %d (%v), want the first one only, sid %s", len(calls), calls, sid)
	}
}

func TestPlaceCallRetryAfterRefusalCallsAgain(t *testing.T) {
	t.Parallel()
	s, c := newPair(t)
	app := newApplication(t)
	ctx := context.Background()
	call := escalationCall(t, app, cso, "k/refused")
	s.FailNext("POST Calls.json", http.StatusTooManyRequests, 1, "3")
	if _, err := c.PlaceCall(ctx, call); err == nil {
		t.Fatal("first PlaceCall succeeded through a 429")
	}
	if _, err := c.PlaceCall(ctx, call); err != nil {
		t.Fatalf("retried PlaceCall: %v", err)
	}
	if n := len(s.Calls()); n != 1 {
		t.Errorf("%d calls, want 1", n)
	}
}

func TestVendorErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		fail       func(*sim.Server)
		client     func(url string) *twilio.Client
		to         string
		wantStatus int
		retryable  bool
		retryAfter time.Duration
		message    string
	}{
		{name: "rate limited", fail: func(s *sim.Server) { s.FailNext("Calls.json", 429, 1, "3") },
			wantStatus: 429, retryable: true, retryAfter: 3 * time.Second, message: "Too Many Requests (Twilio error 20429"},
		{name: "server error", fail: func(s *sim.Server) { s.FailNext("Calls.json", 503, 1, "") },
			wantStatus: 503, retryable: true, message: "Service Unavailable"},
		{name: "bad gateway", fail: func(s *sim.Server) { s.FailNext("Calls.json", 502, 1, "120") },
			wantStatus: 502, retryable: true, retryAfter: 2 * time.Minute, message: "Bad Gateway"},
		{name: "invalid number", to: sim.MagicInvalidNumber,
			wantStatus: 400, message: "The 'To' number +15005550001 is not a valid phone number. (Twilio error 21211"},
		{name: "wrong auth token", client: wrongToken, wantStatus: 401, message: "Authenticate (Twilio error 20003"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := sim.New(testSID, testToken)
			srv := httptest.NewServer(s)
			defer srv.Close()
			defer s.Wait()
			c := twilio.New(testSID, testToken, testFrom, srv.URL)
			if tt.client != nil {
				c = tt.client(srv.URL)
			}
			if tt.fail != nil {
				tt.fail(s)
			}
			to := cso
			if tt.to != "" {
				to = tt.to
			}
			_, err := c.PlaceCall(context.Background(), twilio.Call{To: to, TwiML: "<Response/>", StatusCallback: "https://xsoc.example/cb", Key: "k"})
			var vendorErr *integrations.VendorError
			if !errors.As(err, &vendorErr) {
				t.Fatalf("error = %v, want *integrations.VendorError", err)
			}
			if vendorErr.Vendor != "twilio" || vendorErr.StatusCode != tt.wantStatus || vendorErr.Retryable() != tt.retryable || vendorErr.RetryAfter != tt.retryAfter {
				t.Errorf("error = %+v (retryable %v), want status %d retryable %v retry after %s",
					vendorErr, vendorErr.Retryable(), tt.wantStatus, tt.retryable, tt.retryAfter)
			}
			if !strings.Contains(vendorErr.Message, tt.message) {
				t.Errorf("message = %q, want it to contain %q", vendorErr.Message, tt.message)
			}
		})
	}
}

func wrongToken(apiURL string) *twilio.Client {
	return twilio.New(testSID, "ffffffffffffffffffffffffffffffff", testFrom, apiURL)
}

// A proxy in front of Twilio can answer HTML; the person reading the error still
// needs the status and what the proxy said.
func TestVendorErrorFromAProxy(t *testing.T) {
	t.Parallel()
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("Retry-After", "30")
		w.WriteHeader(http.StatusBadGateway)
		_, _ = w.Write([]byte("<html><body>upstream connect error</body></html>"))
	}))
	defer proxy.Close()
	c := twilio.New(testSID, testToken, testFrom, proxy.URL)
	_, err := c.SendSMS(context.Background(), cso, "hello", "k")
	var vendorErr *integrations.VendorError
	if !errors.As(err, &vendorErr) || vendorErr.StatusCode != 502 || !vendorErr.Retryable() ||
		vendorErr.RetryAfter != 30*time.Second || !strings.Contains(vendorErr.Message, "upstream connect error") {
		t.Errorf("error = %#v", err)
	}
}

func TestPlaceCallRefusesBadInput(t *testing.T) {
	t.Parallel()
	good := twilio.Call{To: cso, TwiML: "<Response/>", StatusCallback: "https://xsoc.example/cb", Key: "k"}
	tests := []struct {
		name   string
		client *twilio.Client
		edit   func(*twilio.Call)
		want   string
	}{
		{"number not E.164", nil, func(c *twilio.Call) { c.To = "03-0000-0001" }, "To \"03-0000-0001\""},
		{"no TwiML", nil, func(c *twilio.Call) { c.TwiML = "" }, "TwiML is empty"},
		{"TwiML too long", nil, func(c *twilio.Call) { c.TwiML = strings.Repeat("x", 4001) }, "4001 characters"},
		{"relative callback", nil, func(c *twilio.Call) { c.StatusCallback = "/v1/callbacks/twilio" }, "StatusCallback"},
		{"no key", nil, func(c *twilio.Call) { c.Key = "" }, "Key is empty"},
		{"no From number", twilio.New(testSID, testToken, "", "http://127.0.0.1:1"), nil, "From number"},
		{"bad API URL", twilio.New(testSID, testToken, testFrom, "127.0.0.1:9998"), nil, "API URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := tt.client
			if c == nil {
				c = twilio.New(testSID, testToken, testFrom, "http://127.0.0.1:1")
			}
			call := good
			if tt.edit != nil {
				tt.edit(&call)
			}
			_, err := c.PlaceCall(context.Background(), call)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestSendSMSIsIdempotent(t *testing.T) {
	t.Parallel()
	s, c := newPair(t)
	ctx := context.Background()
	body := "【xsoc】重大インシデント: osk-pc-17 で認証情報の窃取を検知しました。"
	first, err := c.SendSMS(ctx, cso, body, "incident/acme/x/sms/1")
	if err != nil {
		t.Fatalf("SendSMS: %v", err)
	}
	second, err := c.SendSMS(ctx, cso, body, "incident/acme/x/sms/1")
	if err != nil || second != first {
		t.Fatalf("second SendSMS = %s, %v; want %s", second, err, first)
	}
	messages := s.Messages()
	if len(messages) != 1 {
		t.Fatalf("%d messages, want 1", len(messages))
	}
	if want := body + "\n" + twilio.Reference("incident/acme/x/sms/1"); messages[0].Body != want || messages[0].From != testFrom {
		t.Errorf("message = %+v, want body %q", messages[0], want)
	}
	if _, err := c.SendSMS(ctx, cso, body, "incident/acme/x/sms/2"); err != nil {
		t.Fatalf("SendSMS with another key: %v", err)
	}
	if n := len(s.Messages()); n != 2 {
		t.Errorf("%d messages after another key, want 2", n)
	}
}

func TestSendSMSAfterLostAnswer(t *testing.T) {
	t.Parallel()
	s, c := newPair(t)
	ctx := context.Background()
	s.FailNextAfterCommit("POST Messages.json", http.StatusBadGateway, 1)
	if _, err := c.SendSMS(ctx, cso, "Incident on osk-pc-17", "k/sms-lost"); err == nil {
		t.Fatal("first SendSMS succeeded through a lost answer")
	}
	sid, err := c.SendSMS(ctx, cso, "Incident on osk-pc-17", "k/sms-lost")
	if err != nil {
		t.Fatalf("retried SendSMS: %v", err)
	}
	if messages := s.Messages(); len(messages) != 1 || messages[0].SID != sid {
		t.Errorf("messages = %+v, want only %s", messages, sid)
	}
}

func TestSendSMSErrors(t *testing.T) {
	t.Parallel()
	s, c := newPair(t)
	ctx := context.Background()
	_, err := c.SendSMS(ctx, sim.MagicUnsubscribed, "hello", "k")
	var vendorErr *integrations.VendorError
	if !errors.As(err, &vendorErr) || vendorErr.StatusCode != 400 || vendorErr.Retryable() || !strings.Contains(vendorErr.Message, "unsubscribed recipient") {
		t.Errorf("SMS to an unsubscribed number: %v", err)
	}
	s.FailNext("GET Messages.json", 429, 1, "5")
	_, err = c.SendSMS(ctx, cso, "hello", "k")
	if !errors.As(err, &vendorErr) || vendorErr.StatusCode != 429 || vendorErr.RetryAfter != 5*time.Second {
		t.Errorf("SMS while rate limited: %v", err)
	}
	long := strings.Repeat("あ", 2000)
	if _, err := c.SendSMS(ctx, cso, long, "k/long"); err != nil {
		t.Fatalf("long SMS: %v", err)
	}
	last := s.Messages()[len(s.Messages())-1]
	if n := len([]rune(last.Body)); n != 1600 || !strings.HasSuffix(last.Body, twilio.Reference("k/long")) {
		t.Errorf("long SMS sent as %d characters ending %q", n, last.Body[len(last.Body)-20:])
	}
}
