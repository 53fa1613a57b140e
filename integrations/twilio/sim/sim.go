// Package sim is a Twilio REST API simulator for tests and the local demo stack. It
// speaks the 2010-04-01 Calls and Messages resources as twilio-go sends and decodes
// them (form bodies, HTTP Basic auth with the account SID and auth token, Twilio's
// JSON resources, pages and error bodies), records every request, injects faults, and
// plays the person called: once a call is created, a goroutine "dials", reads the
// TwiML and, according to the behaviour set for the number, posts signed status and
// Gather callbacks to the URLs the call was given, exactly as Twilio signs them
// (X-Twilio-Signature: HMAC-SHA1 of the URL and the sorted form fields, base64, keyed
// with the auth token).
//
// Twilio REST API (Basic auth):
//
//	POST /2010-04-01/Accounts/{AccountSid}/Calls.json          create a call (To, From, Twiml or Url,
//	                                                           StatusCallback, StatusCallbackEvent,
//	                                                           MachineDetection, …)
//	GET  /2010-04-01/Accounts/{AccountSid}/Calls.json          list, newest first (To, From, Status,
//	                                                           PageSize, Page)
//	GET  /2010-04-01/Accounts/{AccountSid}/Calls/{Sid}.json    fetch
//	POST /2010-04-01/Accounts/{AccountSid}/Messages.json       send an SMS (To, From, Body)
//	GET  /2010-04-01/Accounts/{AccountSid}/Messages.json       list, newest first (To, From)
//	GET  /2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json fetch
//
// Behaviour of the person at a number (default NoAnswer):
//
//	Answer(d)  initiated, ringing, answered (in-progress), the Gather callback with
//	           Digits=d (none when d is ""), completed
//	NoAnswer   initiated, ringing, completed with CallStatus=no-answer
//	Busy       initiated, completed with CallStatus=busy
//	Voicemail  initiated, ringing, answered, completed; with machine detection asked,
//	           AnsweredBy=machine_start
//
// Status callbacks go out only for the events the call subscribed to, except the
// final one, which Twilio always sends. As with Twilio's test credentials, To
// +15005550001 is refused as invalid (21211) and SMS to +15005550004 as unsubscribed
// (21610). Fault patterns name a path or its end, optionally after a method:
// "Calls.json", "POST Messages.json".
//
// Control API (JSON):
//
//	GET  /_sim/calls     calls: to, from, twiml, status, answered_by, callbacks made
//	GET  /_sim/messages  SMS sent
//	GET  /_sim/requests  recorded API requests (method, path, form)
//	POST /_sim/behavior  {"number","behavior":"answer|no-answer|busy|voicemail","digit"}
//	POST /_sim/press     {"call_sid","digit","forged":false} -> {"status","body"} of our callback
//	POST /_sim/fail      {"path","status","times","retry_after","after_commit"}
package sim

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1" //nolint:gosec // G505: Twilio signs its callbacks with HMAC-SHA1, and so must its simulator
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"xsoc/integrations/simkit"
)

// APIVersion is the only Twilio REST version simulated.
const APIVersion = "2010-04-01"

// BehaviorKind names what the person at a number does when called.
type BehaviorKind string

// Behaviour kinds.
const (
	KindAnswer    BehaviorKind = "answer"
	KindNoAnswer  BehaviorKind = "no-answer"
	KindBusy      BehaviorKind = "busy"
	KindVoicemail BehaviorKind = "voicemail"
)

// Behavior is what the person at a number does when called.
type Behavior struct {
	Kind  BehaviorKind `json:"behavior"`
	Digit string       `json:"digit,omitempty"` // for Answer: the key pressed, "" for none
}

// Answer picks up and presses digit ("" presses nothing).
func Answer(digit string) Behavior { return Behavior{Kind: KindAnswer, Digit: digit} }

// The other behaviours.
var (
	NoAnswer  = Behavior{Kind: KindNoAnswer}
	Busy      = Behavior{Kind: KindBusy}
	Voicemail = Behavior{Kind: KindVoicemail}
)

// Call is one call as the control API shows it.
type Call struct {
	SID                  string     `json:"sid"`
	To                   string     `json:"to"`
	From                 string     `json:"from"`
	TwiML                string     `json:"twiml,omitempty"`
	URL                  string     `json:"url,omitempty"`
	URLMethod            string     `json:"url_method,omitempty"`
	StatusCallback       string     `json:"status_callback,omitempty"`
	StatusCallbackMethod string     `json:"status_callback_method,omitempty"`
	StatusCallbackEvents []string   `json:"status_callback_events,omitempty"`
	MachineDetection     string     `json:"machine_detection,omitempty"`
	AsyncAMD             string     `json:"async_amd,omitempty"`
	Behavior             Behavior   `json:"behavior"`
	Status               string     `json:"status"`
	AnsweredBy           string     `json:"answered_by,omitempty"`
	Created              time.Time  `json:"created"`
	Started              *time.Time `json:"started,omitempty"`
	Ended                *time.Time `json:"ended,omitempty"`
	Callbacks            []Callback `json:"callbacks"`
}

// Callback is one request the simulator made to our application for a call.
type Callback struct {
	Time   time.Time         `json:"time"`
	Kind   string            `json:"kind"` // status | gather | twiml
	Method string            `json:"method"`
	URL    string            `json:"url"`
	Params map[string]string `json:"params"`
	Forged bool              `json:"forged,omitempty"`
	Status int               `json:"status"` // our answer's HTTP status, 0 when unreachable
	Error  string            `json:"error,omitempty"`
}

// SMS is one message as the control API shows it.
type SMS struct {
	SID     string    `json:"sid"`
	To      string    `json:"to"`
	From    string    `json:"from"`
	Body    string    `json:"body"`
	Status  string    `json:"status"`
	Created time.Time `json:"created"`
}

// Request is one recorded API request.
type Request struct {
	Time   time.Time           `json:"time"`
	Method string              `json:"method"`
	Path   string              `json:"path"`
	Form   map[string][]string `json:"form,omitempty"`
}

type fault struct {
	status      int
	retryAfter  string
	afterCommit bool
}

// Server is the simulated Twilio account; it is an http.Handler.
type Server struct {
	accountSID, authToken string

	// HTTPClient makes the callbacks; its timeout bounds a slow application.
	HTTPClient *http.Client
	// StepDelay is the pause between a call's progress events, so that its states can
	// be observed.
	StepDelay time.Duration
	// Now is the clock of the resources' dates and the callbacks' timestamps.
	Now func() time.Time

	mux *http.ServeMux
	wg  sync.WaitGroup

	mu        sync.Mutex
	calls     []*Call
	messages  []*SMS
	behaviors map[string]Behavior
	requests  []Request
	faults    simkit.Faults[fault]
}

// New returns a simulator for one account, checking API requests against the
// account SID and auth token and signing callbacks with the auth token.
func New(accountSID, authToken string) *Server {
	s := &Server{
		accountSID: accountSID,
		authToken:  authToken,
		HTTPClient: &http.Client{Timeout: 10 * time.Second},
		StepDelay:  10 * time.Millisecond,
		Now:        time.Now,
		mux:        http.NewServeMux(),
		behaviors:  map[string]Behavior{},
	}
	const account = "/" + APIVersion + "/Accounts/{account}/"
	s.mux.HandleFunc("POST "+account+"Calls.json", s.api(s.createCall))
	s.mux.HandleFunc("GET "+account+"Calls.json", s.api(s.listCalls))
	s.mux.HandleFunc("GET "+account+"Calls/{sid}", s.api(s.fetchCall))
	s.mux.HandleFunc("POST "+account+"Messages.json", s.api(s.createMessage))
	s.mux.HandleFunc("GET "+account+"Messages.json", s.api(s.listMessages))
	s.mux.HandleFunc("GET "+account+"Messages/{sid}", s.api(s.fetchMessage))
	s.mux.HandleFunc("/"+APIVersion+"/", s.api(func(r *http.Request, _ url.Values) (int, any) {
		return http.StatusNotFound, twilioError(http.StatusNotFound, 20404, "The requested resource "+r.URL.Path+" was not found")
	}))
	s.mux.HandleFunc("GET /_sim/calls", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, s.Calls()) })
	s.mux.HandleFunc("GET /_sim/messages", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, s.Messages()) })
	s.mux.HandleFunc("GET /_sim/requests", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, s.Requests()) })
	s.mux.HandleFunc("POST /_sim/behavior", s.controlBehavior)
	s.mux.HandleFunc("POST /_sim/press", s.controlPress)
	s.mux.HandleFunc("POST /_sim/fail", s.controlFail)
	return s
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// SetBehavior sets what the person at number does when called.
func (s *Server) SetBehavior(number string, b Behavior) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.behaviors[number] = b
}

// Wait blocks until every simulated person has finished with their call.
func (s *Server) Wait() { s.wg.Wait() }

// FailNext makes the next times requests to path answer status with a Twilio error
// body and, when not empty, a Retry-After header; nothing is done for them. path is
// a full path, or its end such as "Calls.json" or "Messages.json", optionally after
// a method: "POST Messages.json" leaves the listing alone.
func (s *Server) FailNext(path string, status, times int, retryAfter string) {
	s.faults.Add(path, fault{status: status, retryAfter: retryAfter}, times)
}

// FailNextAfterCommit makes the next times requests to path take effect and then
// answer status, as when the answer is lost on the way back.
func (s *Server) FailNextAfterCommit(path string, status, times int) {
	s.faults.Add(path, fault{status: status, afterCommit: true}, times)
}

// takeFault answers the fault for this request, if any. A pattern is a path or the
// end of one ("Calls.json"), optionally after a method ("POST Calls.json").
func (s *Server) takeFault(method, path string) *fault {
	return s.faults.TakeMatching(func(pattern string) bool { return faultMatches(pattern, method, path) })
}

func faultMatches(pattern, method, path string) bool {
	if m, rest, ok := strings.Cut(pattern, " "); ok {
		if m != method {
			return false
		}
		pattern = rest
	}
	if strings.HasPrefix(pattern, "/") {
		return pattern == path
	}
	return strings.HasSuffix(path, "/"+pattern)
}

// Calls answers every call, oldest first.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Call, 0, len(s.calls))
	for _, c := range s.calls {
		copied := *c
		copied.Callbacks = slices.Clone(c.Callbacks)
		out = append(out, copied)
	}
	return out
}

// Messages answers every SMS, oldest first.
func (s *Server) Messages() []SMS {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]SMS, 0, len(s.messages))
	for _, m := range s.messages {
		out = append(out, *m)
	}
	return out
}

// Requests answers every recorded API request.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// CountRequests answers how many requests were made with method to a path ending in suffix.
func (s *Server) CountRequests(method, suffix string) int {
	n := 0
	for _, r := range s.Requests() {
		if r.Method == method && strings.HasSuffix(r.Path, suffix) {
			n++
		}
	}
	return n
}

type apiHandler func(r *http.Request, form url.Values) (int, any)

// api wraps a REST endpoint: record, faults, authentication, JSON answer.
func (s *Server) api(handle apiHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		err := r.ParseForm()
		s.record(r)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, twilioError(http.StatusBadRequest, 20001, "Unable to parse the request: "+err.Error()))
			return
		}
		f := s.takeFault(r.Method, r.URL.Path)
		if f != nil && !f.afterCommit {
			writeFault(w, f)
			return
		}
		user, password, ok := r.BasicAuth()
		if !ok || user != s.accountSID || !hmac.Equal([]byte(password), []byte(s.authToken)) {
			w.Header().Set("WWW-Authenticate", `Basic realm="Twilio API"`)
			writeJSON(w, http.StatusUnauthorized, twilioError(http.StatusUnauthorized, 20003, "Authenticate"))
			return
		}
		if account := r.PathValue("account"); account != "" && account != s.accountSID {
			writeJSON(w, http.StatusNotFound, twilioError(http.StatusNotFound, 20404, "The requested resource "+r.URL.Path+" was not found"))
			return
		}
		status, answer := handle(r, r.Form)
		if f != nil {
			writeFault(w, f)
			return
		}
		writeJSON(w, status, answer)
	}
}

func writeFault(w http.ResponseWriter, f *fault) {
	if f.retryAfter != "" {
		w.Header().Set("Retry-After", f.retryAfter)
	}
	message := http.StatusText(f.status)
	if f.status == http.StatusUnauthorized {
		message = "Authenticate"
	}
	writeJSON(w, f.status, twilioError(f.status, 20000+f.status, message))
}

func (s *Server) record(r *http.Request) {
	form := map[string][]string{}
	for k, v := range r.Form {
		form[k] = slices.Clone(v)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, Request{Time: s.Now().UTC(), Method: r.Method, Path: r.URL.Path, Form: form})
}

// twilioError is Twilio's error body.
func twilioError(status, code int, message string) map[string]any {
	return map[string]any{
		"code": code, "message": message, "status": status,
		"more_info": fmt.Sprintf("https://www.twilio.com/docs/errors/%d", code),
	}
}

// writeJSON answers JSON as Twilio does.
var writeJSON = simkit.JSONWriter("application/json; charset=utf-8")

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// Twilio's magic test numbers, which its test credentials answer with these errors.
const (
	MagicInvalidNumber = "+15005550001" // 21211: not a valid phone number
	MagicUnsubscribed  = "+15005550004" // 21610 for SMS: the recipient replied STOP
)

var knownEvents = map[string]bool{"initiated": true, "ringing": true, "answered": true, "completed": true}

func (s *Server) createCall(_ *http.Request, form url.Values) (int, any) {
	to, from := form.Get("To"), form.Get("From")
	switch {
	case to == "":
		return badRequest(21201, "No 'To' number is specified")
	case !e164.MatchString(to) || to == MagicInvalidNumber:
		return badRequest(21211, fmt.Sprintf("The 'To' number %s is not a valid phone number.", to))
	case from == "":
		return badRequest(21213, "No 'From' number is specified")
	case !e164.MatchString(from):
		return badRequest(21212, fmt.Sprintf("The 'From' number %s is not a valid phone number, shortcode, or alphanumeric sender ID.", from))
	case form.Get("Url") == "" && form.Get("Twiml") == "" && form.Get("ApplicationSid") == "":
		return badRequest(21205, "Url parameter is required.")
	}
	if callback := form.Get("StatusCallback"); callback != "" && !absoluteURL(callback) {
		return badRequest(21609, "Invalid StatusCallback url: "+callback)
	}
	for _, event := range form["StatusCallbackEvent"] {
		for _, e := range strings.Fields(event) {
			if !knownEvents[e] {
				return badRequest(21626, "Invalid 'StatusCallbackEvent'")
			}
		}
	}
	s.mu.Lock()
	behavior, ok := s.behaviors[to]
	if !ok {
		behavior = NoAnswer
	}
	var events []string
	for _, event := range form["StatusCallbackEvent"] {
		events = append(events, strings.Fields(event)...)
	}
	call := &Call{
		SID: newSID("CA"), To: to, From: from, TwiML: form.Get("Twiml"), URL: form.Get("Url"),
		URLMethod: strings.ToUpper(form.Get("Method")), StatusCallback: form.Get("StatusCallback"),
		StatusCallbackMethod: strings.ToUpper(form.Get("StatusCallbackMethod")), StatusCallbackEvents: events,
		MachineDetection: form.Get("MachineDetection"), AsyncAMD: form.Get("AsyncAmd"),
		Behavior: behavior, Status: "queued", Created: s.Now().UTC(), Callbacks: []Callback{},
	}
	s.calls = append(s.calls, call)
	answer := s.wireCall(call)
	s.mu.Unlock()

	s.wg.Add(1)
	go s.live(call.SID)
	return http.StatusCreated, answer
}

func absoluteURL(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

func badRequest(code int, message string) (int, any) {
	return http.StatusBadRequest, twilioError(http.StatusBadRequest, code, message)
}

func (s *Server) listCalls(r *http.Request, form url.Values) (int, any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var selected []any
	for i := len(s.calls) - 1; i >= 0; i-- {
		c := s.calls[i]
		if matches(form, "To", c.To) && matches(form, "From", c.From) && matches(form, "Status", c.Status) {
			selected = append(selected, s.wireCall(c))
		}
	}
	return http.StatusOK, s.page(r, form, "calls", selected)
}

func (s *Server) fetchCall(r *http.Request, _ url.Values) (int, any) {
	sid := strings.TrimSuffix(r.PathValue("sid"), ".json")
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.findCall(sid); c != nil {
		return http.StatusOK, s.wireCall(c)
	}
	return http.StatusNotFound, twilioError(http.StatusNotFound, 20404, "The requested resource "+r.URL.Path+" was not found")
}

func (s *Server) createMessage(_ *http.Request, form url.Values) (int, any) {
	to, from, body := form.Get("To"), form.Get("From"), form.Get("Body")
	switch {
	case to == "":
		return badRequest(21604, "A 'To' phone number is required.")
	case !e164.MatchString(to) || to == MagicInvalidNumber:
		return badRequest(21211, fmt.Sprintf("The 'To' number %s is not a valid phone number.", to))
	case to == MagicUnsubscribed:
		return badRequest(21610, "Attempt to send to unsubscribed recipient")
	case from == "" && form.Get("MessagingServiceSid") == "":
		return badRequest(21603, "A 'From' phone number is required.")
	case body == "" && form.Get("MediaUrl") == "" && form.Get("ContentSid") == "":
		return badRequest(21602, "Message body is required.")
	case len([]rune(body)) > 1600:
		return badRequest(21617, "The concatenated message body exceeds the 1600 character limit.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m := &SMS{SID: newSID("SM"), To: to, From: from, Body: body, Status: "queued", Created: s.Now().UTC()}
	s.messages = append(s.messages, m)
	answer := s.wireMessage(m)
	// The phone has it as soon as we answer: later reads show it delivered.
	m.Status = "delivered"
	return http.StatusCreated, answer
}

func (s *Server) listMessages(r *http.Request, form url.Values) (int, any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var selected []any
	for i := len(s.messages) - 1; i >= 0; i-- {
		m := s.messages[i]
		if matches(form, "To", m.To) && matches(form, "From", m.From) {
			selected = append(selected, s.wireMessage(m))
		}
	}
	return http.StatusOK, s.page(r, form, "messages", selected)
}

func (s *Server) fetchMessage(r *http.Request, _ url.Values) (int, any) {
	sid := strings.TrimSuffix(r.PathValue("sid"), ".json")
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range s.messages {
		if m.SID == sid {
			return http.StatusOK, s.wireMessage(m)
		}
	}
	return http.StatusNotFound, twilioError(http.StatusNotFound, 20404, "The requested resource "+r.URL.Path+" was not found")
}

func matches(form url.Values, field, value string) bool {
	want := form.Get(field)
	return want == "" || want == value
}

// page cuts one page out of items, with Twilio's paging fields.
func (s *Server) page(r *http.Request, form url.Values, key string, items []any) map[string]any {
	size := 50
	if n, err := strconv.Atoi(form.Get("PageSize")); err == nil && n > 0 {
		size = min(n, 1000)
	}
	number := 0
	if n, err := strconv.Atoi(form.Get("Page")); err == nil && n > 0 {
		number = n
	}
	from := min(number*size, len(items))
	to := min(from+size, len(items))
	pageURI := func(n int) string {
		q := url.Values{}
		for k, v := range form {
			if k != "Page" && k != "PageToken" {
				q[k] = v
			}
		}
		q.Set("PageSize", strconv.Itoa(size))
		q.Set("Page", strconv.Itoa(n))
		q.Set("PageToken", "PA"+strconv.Itoa(n))
		return r.URL.Path + "?" + q.Encode()
	}
	var next, previous any
	if to < len(items) {
		next = pageURI(number + 1)
	}
	if number > 0 {
		previous = pageURI(number - 1)
	}
	end := max(to-1, from)
	return map[string]any{
		key: append([]any{}, items[from:to]...), "page": number, "page_size": size, "start": from, "end": end,
		"uri": r.URL.RequestURI(), "first_page_uri": pageURI(0), "next_page_uri": next, "previous_page_uri": previous,
	}
}

const dateFormat = time.RFC1123Z

// wireCall is a call as Twilio's API shows it. Callers hold s.mu.
func (s *Server) wireCall(c *Call) map[string]any {
	uri := fmt.Sprintf("/%s/Accounts/%s/Calls/%s", APIVersion, s.accountSID, c.SID)
	out := map[string]any{
		"sid": c.SID, "account_sid": s.accountSID, "api_version": APIVersion, "to": c.To, "to_formatted": c.To,
		"from": c.From, "from_formatted": c.From, "status": c.Status, "direction": "outbound-api",
		"date_created": c.Created.Format(dateFormat), "date_updated": s.Now().UTC().Format(dateFormat),
		"start_time": nil, "end_time": nil, "duration": nil, "answered_by": nil, "annotation": nil,
		"caller_name": nil, "forwarded_from": nil, "group_sid": nil, "parent_call_sid": nil, "trunk_sid": nil,
		"phone_number_sid": "PN" + strings.Repeat("0", 32), "price": nil, "price_unit": "USD", "queue_time": "0",
		"uri": uri + ".json",
		"subresource_uris": map[string]string{
			"notifications": uri + "/Notifications.json", "recordings": uri + "/Recordings.json",
			"events": uri + "/Events.json", "payments": uri + "/Payments.json",
		},
	}
	if c.Started != nil {
		out["start_time"] = c.Started.Format(dateFormat)
	}
	if c.Ended != nil {
		out["end_time"] = c.Ended.Format(dateFormat)
		if c.Started != nil {
			out["duration"] = strconv.Itoa(int(c.Ended.Sub(*c.Started).Seconds()))
		} else {
			out["duration"] = "0"
		}
	}
	if c.AnsweredBy != "" {
		out["answered_by"] = c.AnsweredBy
	}
	return out
}

// wireMessage is a message as Twilio's API shows it. Callers hold s.mu.
func (s *Server) wireMessage(m *SMS) map[string]any {
	uri := fmt.Sprintf("/%s/Accounts/%s/Messages/%s", APIVersion, s.accountSID, m.SID)
	out := map[string]any{
		"sid": m.SID, "account_sid": s.accountSID, "api_version": APIVersion, "to": m.To, "from": m.From,
		"body": m.Body, "status": m.Status, "direction": "outbound-api", "num_media": "0",
		"num_segments": strconv.Itoa(segments(m.Body)), "date_created": m.Created.Format(dateFormat),
		"date_updated": s.Now().UTC().Format(dateFormat), "date_sent": nil, "error_code": nil, "error_message": nil,
		"messaging_service_sid": nil, "price": nil, "price_unit": "USD", "uri": uri + ".json",
		"subresource_uris": map[string]string{"media": uri + "/Media.json", "feedback": uri + "/Feedback.json"},
	}
	if m.Status == "delivered" {
		out["date_sent"] = m.Created.Format(dateFormat)
	}
	return out
}

// segments counts SMS parts: 160 characters alone or 153 per part, and 70 or 67
// once any character is outside ASCII (Japanese texts are).
func segments(body string) int {
	single, multi := 160, 153
	for _, r := range body {
		if r > 127 {
			single, multi = 70, 67
			break
		}
	}
	n := utf8.RuneCountInString(body)
	if n <= single {
		return 1
	}
	return (n + multi - 1) / multi
}

func (s *Server) findCall(sid string) *Call {
	for _, c := range s.calls {
		if c.SID == sid {
			return c
		}
	}
	return nil
}

func newSID(prefix string) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// Signature answers Twilio's X-Twilio-Signature of a request to fullURL with the POST
// form params, keyed with authToken.
func Signature(authToken, fullURL string, params url.Values) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(fullURL)
	for _, k := range keys {
		for _, v := range params[k] {
			b.WriteString(k)
			b.WriteString(v)
		}
	}
	mac := hmac.New(sha1.New, []byte(authToken))
	mac.Write([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

func (s *Server) controlBehavior(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Number   string `json:"number"`
		Behavior string `json:"behavior"`
		Digit    string `json:"digit"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&in); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "body is not the expected JSON: " + err.Error()})
		return
	}
	if !e164.MatchString(in.Number) {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": fmt.Sprintf("number %q is not E.164", in.Number)})
		return
	}
	var b Behavior
	switch BehaviorKind(in.Behavior) {
	case KindAnswer:
		b = Answer(in.Digit)
	case KindNoAnswer:
		b = NoAnswer
	case KindBusy:
		b = Busy
	case KindVoicemail:
		b = Voicemail
	default:
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": fmt.Sprintf("behavior %q is not answer, no-answer, busy or voicemail", in.Behavior)})
		return
	}
	s.SetBehavior(in.Number, b)
	writeJSON(w, http.StatusOK, b)
}

func (s *Server) controlPress(w http.ResponseWriter, r *http.Request) {
	var in struct {
		CallSID string `json:"call_sid"`
		Digit   string `json:"digit"`
		Forged  bool   `json:"forged"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&in); err != nil || in.CallSID == "" || in.Digit == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": `want {"call_sid", "digit"}`})
		return
	}
	resp, err := s.press(r.Context(), in.CallSID, in.Digit, in.Forged)
	if err != nil {
		status := http.StatusBadGateway
		if isNoGather(err) {
			status = http.StatusNotFound
		}
		writeJSON(w, status, map[string]string{"error": err.Error()})
		return
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	writeJSON(w, http.StatusOK, map[string]any{"status": resp.StatusCode, "body": string(answer)})
}

func (s *Server) controlFail(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Path        string `json:"path"`
		Status      int    `json:"status"`
		Times       int    `json:"times"`
		RetryAfter  string `json:"retry_after"`
		AfterCommit bool   `json:"after_commit"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&in); err != nil || in.Path == "" || in.Status < 100 || in.Status > 599 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": `want {"path", "status" (an HTTP status), "times", "retry_after", "after_commit"}`})
		return
	}
	if in.AfterCommit {
		s.FailNextAfterCommit(in.Path, in.Status, in.Times)
	} else {
		s.FailNext(in.Path, in.Status, in.Times, in.RetryAfter)
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true})
}
