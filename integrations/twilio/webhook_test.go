package twilio_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"xsoc/integrations/twilio"
	"xsoc/integrations/twilio/sim"
)

type twimlResponse struct {
	XMLName xml.Name `xml:"Response"`
	Gather  []struct {
		NumDigits string `xml:"numDigits,attr"`
		Action    string `xml:"action,attr"`
		Method    string `xml:"method,attr"`
		Timeout   string `xml:"timeout,attr"`
		Say       []say  `xml:"Say"`
	} `xml:"Gather"`
	Say []say `xml:"Say"`
}

type say struct {
	Language string `xml:"language,attr"`
	Text     string `xml:",chardata"`
}

func TestCallTwiMLInJapanese(t *testing.T) {
	t.Parallel()
	const gather = "https://xsoc.example/v1/callbacks/twilio?incident=incident%2Facme%2Fcr%2F1&step=2&kind=gather"
	speech := "重大なインシデントです。osk-pc-17 で <mimikatz> & 認証情報の窃取。確認したら 1 を押してください。"
	noInput := "入力がありませんでした。"
	doc, err := twilio.CallTwiML(speech, noInput, "ja-JP", gather)
	if err != nil {
		t.Fatalf("CallTwiML: %v", err)
	}
	if !strings.HasPrefix(doc, `<?xml version="1.0" encoding="UTF-8"?>`) {
		t.Errorf("TwiML does not start with the XML declaration: %s", doc)
	}
	var got twimlResponse
	if err := xml.Unmarshal([]byte(doc), &got); err != nil {
		t.Fatalf("TwiML is not XML: %v\n%s", err, doc)
	}
	if len(got.Gather) != 1 || len(got.Say) != 1 {
		t.Fatalf("TwiML = %s, want one Gather and one Say after it", doc)
	}
	g := got.Gather[0]
	if g.NumDigits != "1" || g.Action != gather || g.Method != "POST" || g.Timeout != "10" {
		t.Errorf("Gather = %+v", g)
	}
	if len(g.Say) != 1 || g.Say[0].Language != "ja-JP" || g.Say[0].Text != speech {
		t.Errorf("Gather says %+v, want %q in ja-JP", g.Say, speech)
	}
	if got.Say[0].Language != "ja-JP" || got.Say[0].Text != noInput {
		t.Errorf("after the Gather: %+v, want %q in ja-JP", got.Say[0], noInput)
	}
}

func TestCallTwiMLRefuses(t *testing.T) {
	t.Parallel()
	if _, err := twilio.CallTwiML(" ", "", "en-US", "https://xsoc.example/cb"); err == nil || !strings.Contains(err.Error(), "speech") {
		t.Errorf("empty speech: %v", err)
	}
	if _, err := twilio.CallTwiML("Press 1", "", "en-US", "/v1/callbacks/twilio"); err == nil || !strings.Contains(err.Error(), "gather URL") {
		t.Errorf("relative gather URL: %v", err)
	}
	doc, err := twilio.CallTwiML("Press 1", "", "", "https://xsoc.example/cb")
	if err != nil || strings.Contains(doc, "language") || strings.Count(doc, "<Say") != 1 {
		t.Errorf("no language, no goodbye: %s, %v", doc, err)
	}
}

func TestValidateRequest(t *testing.T) {
	t.Parallel()
	const fullURL = "https://xsoc.example/v1/callbacks/twilio?incident=incident%2Facme%2Fcr%2F1&step=2&xsoc_key=k1"
	form := url.Values{"CallSid": {"CA1"}, "CallStatus": {"in-progress"}, "Digits": {"1"}, "From": {testFrom}, "To": {cso}}
	signature := sim.Signature(testToken, fullURL, form)
	tests := []struct {
		name      string
		token     string
		url       string
		params    url.Values
		signature string
		want      bool
	}{
		{"good", testToken, fullURL, form, signature, true},
		{"good with the default port", testToken, strings.Replace(fullURL, "xsoc.example", "xsoc.example:443", 1), form, signature, true},
		{"wrong token", "ffffffffffffffffffffffffffffffff", fullURL, form, signature, false},
		{"digit changed", testToken, fullURL, withField(form, "Digits", "2"), signature, false},
		{"incident changed in the query", testToken, strings.Replace(fullURL, "step=2", "step=3", 1), form, signature, false},
		{"forged", testToken, fullURL, form, sim.Signature("forged", fullURL, form), false},
		{"no signature", testToken, fullURL, form, "", false},
		{"no token configured", "", fullURL, form, signature, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := twilio.ValidateRequest(tt.token, tt.url, twilio.FormParams(tt.params), tt.signature); got != tt.want {
				t.Errorf("ValidateRequest = %v, want %v", got, tt.want)
			}
		})
	}
}

func withField(form url.Values, key, value string) url.Values {
	out := url.Values{}
	for k, v := range form {
		out[k] = v
	}
	out.Set(key, value)
	return out
}

func TestParseCallback(t *testing.T) {
	t.Parallel()
	form := url.Values{"CallSid": {"CA1"}, "CallStatus": {"completed"}, "AnsweredBy": {"machine_start"},
		"Digits": {"1"}, "From": {testFrom}, "To": {cso}, "AccountSid": {testSID}}
	want := twilio.Callback{CallSID: "CA1", CallStatus: "completed", AnsweredBy: "machine_start", Digits: "1", From: testFrom, To: cso}
	if got := twilio.ParseCallback(form); got != want {
		t.Errorf("ParseCallback = %+v, want %+v", got, want)
	}
	if got := twilio.ParseCallback(url.Values{}); got != (twilio.Callback{}) {
		t.Errorf("ParseCallback of nothing = %+v", got)
	}
}

func TestPressDigitAndForgery(t *testing.T) {
	t.Parallel()
	s, c := newPair(t)
	app := newApplication(t)
	ctx := context.Background()
	sid, err := c.PlaceCall(ctx, escalationCall(t, app, cso, "k/press"))
	if err != nil {
		t.Fatalf("PlaceCall: %v", err)
	}
	s.Wait()

	resp, err := s.PressDigit(ctx, sid, "1")
	if err != nil {
		t.Fatalf("PressDigit: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("our application answered the key press with %d", resp.StatusCode)
	}
	forged, err := s.ForgedPressDigit(ctx, sid, "1")
	if err != nil {
		t.Fatalf("ForgedPressDigit: %v", err)
	}
	forged.Body.Close()
	if forged.StatusCode != http.StatusForbidden {
		t.Errorf("our application answered a forged key press with %d", forged.StatusCode)
	}
	got := app.received()
	gathers := 0
	for _, r := range got {
		if r.query.Get("kind") == "gather" {
			gathers++
		}
	}
	if gathers != 2 || got[len(got)-2].callback.Digits != "1" || !got[len(got)-2].valid || got[len(got)-1].valid {
		t.Errorf("received %+v, want a valid and a forged key press", got)
	}
	if _, err := s.PressDigit(ctx, "CAnope", "1"); err == nil {
		t.Error("PressDigit on an unknown call succeeded")
	}
}

func TestControlAPI(t *testing.T) {
	t.Parallel()
	s := sim.New(testSID, testToken)
	srv := newServer(t, s)
	app := newApplication(t)
	c := twilio.New(testSID, testToken, testFrom, srv)
	ctx := context.Background()

	post := func(path string, body any) (int, map[string]any) {
		t.Helper()
		raw, _ := json.Marshal(body)
		resp, err := http.Post(srv+path, "application/json", bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("POST %s: %v", path, err)
		}
		defer resp.Body.Close()
		var answer map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&answer)
		return resp.StatusCode, answer
	}
	if status, _ := post("/_sim/behavior", map[string]string{"number": cso, "behavior": "answer", "digit": ""}); status != 200 {
		t.Fatalf("/_sim/behavior answered %d", status)
	}
	if status, answer := post("/_sim/behavior", map[string]string{"number": cso, "behavior": "hang-up"}); status != 400 {
		t.Errorf("/_sim/behavior with an unknown behaviour answered %d %v", status, answer)
	}
	sid, err := c.PlaceCall(ctx, escalationCall(t, app, cso, "k/control"))
	if err != nil {
		t.Fatalf("PlaceCall: %v", err)
	}
	s.Wait()
	if status, answer := post("/_sim/press", map[string]string{"call_sid": sid, "digit": "1"}); status != 200 || answer["status"] != float64(200) {
		t.Errorf("/_sim/press answered %d %v", status, answer)
	}
	if _, err := c.SendSMS(ctx, cso, "hello", "k/control-sms"); err != nil {
		t.Fatalf("SendSMS: %v", err)
	}

	var calls []sim.Call
	getJSON(t, srv+"/_sim/calls", &calls)
	if len(calls) != 1 || calls[0].SID != sid || calls[0].TwiML == "" || calls[0].Status != "completed" || len(calls[0].Callbacks) < 5 {
		t.Errorf("/_sim/calls = %+v", calls)
	}
	var messages []sim.SMS
	getJSON(t, srv+"/_sim/messages", &messages)
	if len(messages) != 1 || !strings.HasPrefix(messages[0].Body, "hello") {
		t.Errorf("/_sim/messages = %+v", messages)
	}
	var requests []sim.Request
	getJSON(t, srv+"/_sim/requests", &requests)
	if len(requests) == 0 {
		t.Error("/_sim/requests is empty")
	}
	if status, _ := post("/_sim/fail", map[string]any{"path": "POST Messages.json", "status": 500}); status != 200 {
		t.Errorf("/_sim/fail answered %d", status)
	}
	if _, err := c.SendSMS(ctx, cso, "again", "k/control-sms-2"); err == nil {
		t.Error("SendSMS succeeded through an injected failure")
	}
}

func newServer(t *testing.T, s *sim.Server) string {
	t.Helper()
	srv := httptest.NewServer(s)
	t.Cleanup(func() {
		s.Wait()
		srv.Close()
	})
	return srv.URL
}

func getJSON(t *testing.T, u string, out any) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
}
