package twilio

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	twilioclient "github.com/twilio/twilio-go/client"
	"github.com/twilio/twilio-go/twiml"
)

// GatherTimeoutSeconds is how long a call waits for the key press after speaking.
const GatherTimeoutSeconds = "10"

// CallTwiML answers the TwiML of an escalation call: speak speech and wait for one
// key, POSTed to gatherURL; if none comes, say noInput and hang up. language is a
// Twilio <Say> language such as "en-US" or "ja-JP" ("" leaves Twilio's default).
func CallTwiML(speech, noInput, language, gatherURL string) (string, error) {
	if strings.TrimSpace(speech) == "" {
		return "", errors.New("twilio TwiML: speech is empty")
	}
	if err := checkCallbackURL(gatherURL); err != nil {
		return "", fmt.Errorf("twilio TwiML: gather URL %w", err)
	}
	verbs := []twiml.Element{&twiml.VoiceGather{
		NumDigits: "1",
		Action:    gatherURL,
		Method:    "POST",
		Timeout:   GatherTimeoutSeconds,
		InnerElements: []twiml.Element{
			&twiml.VoiceSay{Message: speech, Language: language},
		},
	}}
	if strings.TrimSpace(noInput) != "" {
		verbs = append(verbs, &twiml.VoiceSay{Message: noInput, Language: language})
	}
	return twiml.Voice(verbs)
}

// ValidateRequest says whether signature (the X-Twilio-Signature header) is Twilio's
// signature of a request to fullURL with params. fullURL is the public URL Twilio
// called: scheme, host, path and query exactly as configured (the signature covers
// the query, which carries our incident and key). params are the POST form fields
// only, not the query's: see FormParams.
func ValidateRequest(authToken, fullURL string, params map[string]string, signature string) bool {
	if authToken == "" || signature == "" || fullURL == "" {
		return false
	}
	validator := twilioclient.NewRequestValidator(authToken)
	return validator.Validate(fullURL, params, signature)
}

// FormParams flattens a POST form (r.PostForm, not r.Form, which mixes in the query)
// into what ValidateRequest takes. Twilio sends each field once.
func FormParams(form url.Values) map[string]string {
	params := make(map[string]string, len(form))
	for k, v := range form {
		if len(v) > 0 {
			params[k] = v[0]
		}
	}
	return params
}

// Callback is what a Twilio voice callback (status or Gather) tells us.
type Callback struct {
	CallSID    string
	CallStatus string // queued | initiated | ringing | in-progress | completed | busy | no-answer | failed | canceled
	AnsweredBy string // with machine detection: human | machine_start | fax | unknown …
	Digits     string // from a Gather: the keys pressed
	From, To   string
}

// ParseCallback reads a voice callback's form fields.
func ParseCallback(form url.Values) Callback {
	return Callback{
		CallSID:    form.Get("CallSid"),
		CallStatus: form.Get("CallStatus"),
		AnsweredBy: form.Get("AnsweredBy"),
		Digits:     form.Get("Digits"),
		From:       form.Get("From"),
		To:         form.Get("To"),
	}
}
