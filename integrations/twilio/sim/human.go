package sim

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// errNoGather says a key press cannot be made: no such call, or its TwiML asks for none.
var errNoGather = errors.New("cannot press a key")

func isNoGather(err error) bool { return errors.Is(err, errNoGather) }

// PressDigit plays the person on call callSID pressing digit: it posts the signed
// Gather callback to the call's Gather action, as Twilio does. The caller closes the
// answer's body.
func (s *Server) PressDigit(ctx context.Context, callSID, digit string) (*http.Response, error) {
	return s.press(ctx, callSID, digit, false)
}

// ForgedPressDigit is PressDigit signed with the wrong auth token, as an attacker who
// knows the callback URL but not the token would send it.
func (s *Server) ForgedPressDigit(ctx context.Context, callSID, digit string) (*http.Response, error) {
	return s.press(ctx, callSID, digit, true)
}

func (s *Server) press(ctx context.Context, callSID, digit string, forged bool) (*http.Response, error) {
	s.mu.Lock()
	call := s.findCall(callSID)
	if call == nil {
		s.mu.Unlock()
		return nil, fmt.Errorf("%w: no call %s", errNoGather, callSID)
	}
	twiml, status, document := call.TwiML, call.Status, call.URL
	params := s.callParams(call)
	s.mu.Unlock()

	gather, err := findGather(twiml, document)
	if err != nil {
		return nil, fmt.Errorf("%w on call %s: %v", errNoGather, callSID, err)
	}
	if status == "queued" || status == "ringing" {
		status = "in-progress"
	}
	params.Set("CallStatus", status)
	params.Set("Digits", digit)
	params.Set("FinishedOnKey", "")
	params.Set("msg", "Gather End")
	return s.send(ctx, callSID, "gather", gather.method, gather.action, params, forged)
}

// live plays the person at the number called by call sid, by its behaviour.
func (s *Server) live(sid string) {
	defer s.wg.Done()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	s.mu.Lock()
	call := s.findCall(sid)
	behavior, machineDetection := call.Behavior, call.MachineDetection != ""
	s.mu.Unlock()

	s.event(ctx, sid, "initiated", "initiated", nil)
	if behavior.Kind == KindBusy {
		s.finish(ctx, sid, "busy")
		return
	}
	s.event(ctx, sid, "ringing", "ringing", func(c *Call) { c.Status = "ringing" })
	answeredBy := ""
	switch behavior.Kind {
	case KindAnswer:
		answeredBy = "human"
	case KindVoicemail:
		answeredBy = "machine_start"
	default:
		s.finish(ctx, sid, "no-answer")
		return
	}
	s.event(ctx, sid, "answered", "in-progress", func(c *Call) {
		now := s.Now().UTC()
		c.Status, c.Started = "in-progress", &now
		if machineDetection {
			c.AnsweredBy = answeredBy
		}
	})
	if err := s.loadTwiML(ctx, sid); err == nil && behavior.Kind == KindAnswer && behavior.Digit != "" {
		s.pause(ctx)
		if resp, err := s.press(ctx, sid, behavior.Digit, false); err == nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
		}
	}
	s.finish(ctx, sid, "completed")
}

// event applies a progress step to the call and reports it when the call asked for it.
func (s *Server) event(ctx context.Context, sid, name, callStatus string, apply func(*Call)) {
	s.pause(ctx)
	s.mu.Lock()
	call := s.findCall(sid)
	if apply != nil {
		apply(call)
	}
	subscribed := slices.Contains(call.StatusCallbackEvents, name)
	target, method := call.StatusCallback, call.statusCallbackMethod()
	params := s.callParams(call)
	sequence := len(call.Callbacks)
	s.mu.Unlock()
	if target == "" || !subscribed {
		return
	}
	params.Set("CallStatus", callStatus)
	params.Set("CallbackSource", "call-progress-events")
	params.Set("SequenceNumber", strconv.Itoa(sequence))
	if resp, err := s.send(ctx, sid, "status", method, target, params, false); err == nil {
		resp.Body.Close()
	}
}

// finish ends the call with status and sends the final status callback, which
// Twilio sends whether or not "completed" was asked for.
func (s *Server) finish(ctx context.Context, sid, status string) {
	s.pause(ctx)
	s.mu.Lock()
	call := s.findCall(sid)
	now := s.Now().UTC()
	call.Status, call.Ended = status, &now
	duration := 0
	if call.Started != nil {
		duration = int(now.Sub(*call.Started).Seconds())
	}
	target, method := call.StatusCallback, call.statusCallbackMethod()
	params := s.callParams(call)
	sequence := len(call.Callbacks)
	s.mu.Unlock()
	if target == "" {
		return
	}
	params.Set("CallStatus", status)
	params.Set("CallbackSource", "call-progress-events")
	params.Set("SequenceNumber", strconv.Itoa(sequence))
	params.Set("CallDuration", strconv.Itoa(duration))
	params.Set("Duration", strconv.Itoa((duration+59)/60))
	if resp, err := s.send(ctx, sid, "status", method, target, params, false); err == nil {
		resp.Body.Close()
	}
}

func (c *Call) statusCallbackMethod() string {
	if c.StatusCallbackMethod == "" {
		return http.MethodPost
	}
	return c.StatusCallbackMethod
}

// loadTwiML fetches the call's TwiML from its Url when it was not given inline.
func (s *Server) loadTwiML(ctx context.Context, sid string) error {
	s.mu.Lock()
	call := s.findCall(sid)
	if call.TwiML != "" || call.URL == "" {
		s.mu.Unlock()
		return nil
	}
	target, method := call.URL, call.URLMethod
	params := s.callParams(call)
	s.mu.Unlock()
	if method == "" {
		method = http.MethodPost
	}
	params.Set("CallStatus", "in-progress")
	resp, err := s.send(ctx, sid, "twiml", method, target, params, false)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil || resp.StatusCode != http.StatusOK {
		return fmt.Errorf("fetching TwiML from %s: HTTP %d %v", target, resp.StatusCode, err)
	}
	s.mu.Lock()
	s.findCall(sid).TwiML = string(body)
	s.mu.Unlock()
	return nil
}

// callParams are the fields Twilio puts in every voice request. Callers hold s.mu.
func (s *Server) callParams(c *Call) url.Values {
	params := url.Values{
		"AccountSid": {s.accountSID}, "ApiVersion": {APIVersion}, "CallSid": {c.SID},
		"Direction": {"outbound-api"}, "From": {c.From}, "To": {c.To}, "Caller": {c.From}, "Called": {c.To},
		"Timestamp": {s.Now().UTC().Format(dateFormat)},
	}
	if c.AnsweredBy != "" {
		params.Set("AnsweredBy", c.AnsweredBy)
	}
	return params
}

func (s *Server) pause(ctx context.Context) {
	if s.StepDelay <= 0 {
		return
	}
	select {
	case <-ctx.Done():
	case <-time.After(s.StepDelay):
	}
}

// send makes one signed request to our application and records it on the call.
func (s *Server) send(ctx context.Context, sid, kind, method, target string, params url.Values, forged bool) (*http.Response, error) {
	token := s.authToken
	if forged {
		token = "forged-" + token
	}
	var body io.Reader
	signed := target
	if method == http.MethodGet {
		u, err := url.Parse(target)
		if err != nil {
			return nil, fmt.Errorf("callback URL %q: %w", target, err)
		}
		query := u.Query()
		for k, v := range params {
			query[k] = v
		}
		u.RawQuery = query.Encode()
		signed = u.String()
		target = signed
	} else {
		method = http.MethodPost
		body = strings.NewReader(params.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return nil, fmt.Errorf("callback URL %q: %w", target, err)
	}
	signature := Signature(token, signed, nil)
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		signature = Signature(token, signed, params)
	}
	req.Header.Set("X-Twilio-Signature", signature)
	req.Header.Set("User-Agent", "TwilioProxy/1.1")
	req.Header.Set("I-Twilio-Idempotency-Token", newSID(""))
	resp, err := s.HTTPClient.Do(req)

	record := Callback{Time: s.Now().UTC(), Kind: kind, Method: method, URL: target, Params: map[string]string{}, Forged: forged}
	for k := range params {
		record.Params[k] = params.Get(k)
	}
	if err != nil {
		record.Error = err.Error()
	} else {
		record.Status = resp.StatusCode
	}
	s.mu.Lock()
	if call := s.findCall(sid); call != nil {
		call.Callbacks = append(call.Callbacks, record)
	}
	s.mu.Unlock()
	return resp, err
}

type gatherSpec struct{ action, method string }

// findGather reads the first <Gather> of a TwiML document: where its keys go.
func findGather(twiml, documentURL string) (gatherSpec, error) {
	if twiml == "" {
		return gatherSpec{}, errors.New("the call has no TwiML")
	}
	decoder := xml.NewDecoder(strings.NewReader(twiml))
	for {
		token, err := decoder.Token()
		if err == io.EOF {
			return gatherSpec{}, errors.New("its TwiML has no <Gather>")
		}
		if err != nil {
			return gatherSpec{}, fmt.Errorf("its TwiML is not XML: %v", err)
		}
		start, ok := token.(xml.StartElement)
		if !ok || start.Name.Local != "Gather" {
			continue
		}
		spec := gatherSpec{method: http.MethodPost}
		for _, attr := range start.Attr {
			switch attr.Name.Local {
			case "action":
				spec.action = attr.Value
			case "method":
				spec.method = strings.ToUpper(attr.Value)
			}
		}
		// Twilio posts to the document's own URL when the Gather names no action.
		if spec.action == "" {
			spec.action = documentURL
		}
		if base, err := url.Parse(documentURL); err == nil && documentURL != "" {
			if ref, err := url.Parse(spec.action); err == nil {
				spec.action = base.ResolveReference(ref).String()
			}
		}
		if !absoluteURL(spec.action) {
			return gatherSpec{}, fmt.Errorf("its <Gather> action %q is not an absolute URL", spec.action)
		}
		return spec, nil
	}
}
