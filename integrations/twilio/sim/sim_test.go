package sim_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	twilioapi "github.com/twilio/twilio-go"
	twilioclient "github.com/twilio/twilio-go/client"
	openapi "github.com/twilio/twilio-go/rest/api/v2010"

	"xsoc/integrations/twilio/sim"
)

const (
	sid   = "AC0123456789abcdef0123456789abcdef"
	token = "0123456789abcdef0123456789abcdef"
	from  = "+815000000000"
	to    = "+81300000001"
)

// sdk is twilio-go's own client pointed at the simulator, to check the shapes it
// sends and decodes without our client in between.
func sdk(t *testing.T, s *sim.Server, password string) *openapi.ApiService {
	t.Helper()
	srv := httptest.NewServer(s)
	t.Cleanup(func() {
		s.Wait()
		srv.Close()
	})
	base, _ := url.Parse(srv.URL)
	client := &twilioclient.Client{Credentials: twilioclient.NewCredentials(sid, password), HTTPClient: &http.Client{
		Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			r.URL.Scheme, r.URL.Host = base.Scheme, base.Host
			return http.DefaultTransport.RoundTrip(r)
		}),
	}}
	client.SetAccountSid(sid)
	return twilioapi.NewRestClientWithParams(twilioapi.ClientParams{Client: client}).Api
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestListPagesNewestFirst(t *testing.T) {
	t.Parallel()
	s := sim.New(sid, token)
	s.StepDelay = 0
	api := sdk(t, s, token)
	var created []string
	for range 3 {
		params := &openapi.CreateCallParams{}
		params.SetTo(to).SetFrom(from).SetTwiml("<Response><Say>hi</Say></Response>")
		call, err := api.CreateCall(params)
		if err != nil {
			t.Fatalf("CreateCall: %v", err)
		}
		if *call.Status != "queued" || *call.Direction != "outbound-api" || *call.AccountSid != sid {
			t.Errorf("created call = %+v", call)
		}
		created = append(created, *call.Sid)
	}
	list := &openapi.ListCallParams{}
	list.SetTo(to).SetPageSize(2)
	page, err := api.PageCall(list, "", "")
	if err != nil {
		t.Fatalf("PageCall: %v", err)
	}
	if len(page.Calls) != 2 || *page.Calls[0].Sid != created[2] || page.NextPageUri == nil {
		t.Fatalf("first page = %+v", page)
	}
	all, err := api.ListCall(&openapi.ListCallParams{To: ptr(to), PageSize: ptr(2)})
	if err != nil || len(all) != 3 || *all[2].Sid != created[0] {
		t.Fatalf("ListCall across pages = %d calls, %v", len(all), err)
	}
	none, err := api.ListCall(&openapi.ListCallParams{To: ptr("+81399999999")})
	if err != nil || len(none) != 0 {
		t.Errorf("calls to another number = %v, %v", none, err)
	}
}

func ptr[T any](v T) *T { return &v }

func TestAuthentication(t *testing.T) {
	t.Parallel()
	api := sdk(t, sim.New(sid, token), "ffffffffffffffffffffffffffffffff")
	params := &openapi.CreateMessageParams{}
	params.SetTo(to).SetFrom(from).SetBody("hi")
	_, err := api.CreateMessage(params)
	rest, ok := err.(*twilioclient.TwilioRestError)
	if !ok || rest.Status != 401 || rest.Code != 20003 {
		t.Fatalf("error = %#v, want Twilio's 20003", err)
	}
	other := &openapi.CreateMessageParams{}
	other.SetPathAccountSid("ACffffffffffffffffffffffffffffffff").SetTo(to).SetFrom(from).SetBody("hi")
	_, err = sdk(t, sim.New(sid, token), token).CreateMessage(other)
	if rest, ok := err.(*twilioclient.TwilioRestError); !ok || rest.Status != 404 {
		t.Errorf("another account's path: %#v, want 404", err)
	}
}

// A call given a TwiML Url instead of inline TwiML: the simulator fetches it, signed,
// and follows its Gather, here one asking for GET.
func TestCallWithTwiMLURL(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var seen []string
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.Path+" "+r.Form.Get("Digits"))
		mu.Unlock()
		signed := "http://" + r.Host + r.URL.RequestURI()
		if r.Header.Get("X-Twilio-Signature") != sim.Signature(token, signed, r.PostForm) {
			http.Error(w, "bad signature", http.StatusForbidden)
			return
		}
		if r.URL.Path == "/twiml" {
			_, _ = w.Write([]byte(`<Response><Gather numDigits="1" action="/gather" method="GET"><Say>Press 1</Say></Gather></Response>`))
		}
	}))
	defer app.Close()
	s := sim.New(sid, token)
	s.SetBehavior(to, sim.Answer("1"))
	api := sdk(t, s, token)
	params := &openapi.CreateCallParams{}
	params.SetTo(to).SetFrom(from).SetUrl(app.URL + "/twiml")
	if _, err := api.CreateCall(params); err != nil {
		t.Fatalf("CreateCall: %v", err)
	}
	s.Wait()
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(seen, ",") != "POST /twiml ,GET /gather 1" {
		t.Errorf("requests = %v, want the TwiML fetch then the key press by GET", seen)
	}
	calls := s.Calls()
	if len(calls) != 1 || calls[0].Callbacks[0].Status != 200 || calls[0].Callbacks[1].Status != 200 {
		t.Errorf("calls = %+v", calls)
	}
}

func TestCreateRefusals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		params func() *openapi.CreateCallParams
		code   int
	}{
		{"no To", func() *openapi.CreateCallParams {
			return (&openapi.CreateCallParams{}).SetFrom(from).SetTwiml("<Response/>")
		}, 21201},
		{"To not E.164", func() *openapi.CreateCallParams {
			return (&openapi.CreateCallParams{}).SetTo("0312345678").SetFrom(from).SetTwiml("<Response/>")
		}, 21211},
		{"no TwiML", func() *openapi.CreateCallParams { return (&openapi.CreateCallParams{}).SetTo(to).SetFrom(from) }, 21205},
		{"unknown event", func() *openapi.CreateCallParams {
			return (&openapi.CreateCallParams{}).SetTo(to).SetFrom(from).SetTwiml("<Response/>").SetStatusCallback("https://x.example/cb").
				SetStatusCallbackEvent([]string{"hung-up"})
		}, 21626},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := sim.New(sid, token)
			_, err := sdk(t, s, token).CreateCall(tt.params())
			rest, ok := err.(*twilioclient.TwilioRestError)
			if !ok || rest.Status != 400 || rest.Code != tt.code {
				t.Errorf("error = %#v, want 400 with code %d", err, tt.code)
			}
			if len(s.Calls()) != 0 {
				t.Error("a refused call was created")
			}
		})
	}
}
