package server

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"xsoc/identity"
	"xsoc/integrations/messages"
	"xsoc/integrations/slack"
	"xsoc/integrations/twilio"
	"xsoc/internal/codec"
	"xsoc/workflows/api"
)

// decisionTimeout bounds how long a callback waits for the incident to take a decision.
const decisionTimeout = 15 * time.Second

// errReopened answers a callback of an earlier run of an incident re-opened since (a
// recurrence is a new run under the same workflow id): it decides nothing.
var errReopened = errors.New("this incident was re-opened since: decide in the new one; nothing was done")

// decide sends an analyst decision to an incident as an Update and answers its result
// or the incident's refusal. run, when the page carried it, is the first run of the
// incarnation that paged (continue-as-new keeps it, a re-opening does not): the server
// then takes the Update only while the incident's current run belongs to it, and a
// page of an earlier incarnation is answered errReopened. Pages of older workers carry
// no run and decide for the current run, as they always did.
//
// The decision goes stamped with the person the callback proved (a mapped Slack user,
// the number the chain called), inside the encryption, as the codec server stamps
// what an analyst sends through it: the workflow reads one kind of principal.
func (s *Server) decide(ctx context.Context, incident, run, name string, d api.Decision, by identity.Principal) (api.DecisionResult, error) {
	ctx, cancel := context.WithTimeout(ctx, decisionTimeout)
	defer cancel()
	var result api.DecisionResult
	stamped, err := codec.Stamped(d, by)
	if err != nil {
		return result, fmt.Errorf("stamping the decision of %s: %w", by, err)
	}
	handle, err := s.temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: incident, FirstExecutionRunID: run, UpdateName: name, Args: []any{stamped}, WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err == nil {
		err = handle.Get(ctx, &result)
	}
	if err != nil && run != "" && incidentGone(err) && s.reopened(ctx, incident, run) {
		return result, errReopened
	}
	return result, err
}

// reopened tells whether the incident runs now in another incarnation than run: it
// was re-opened after the page went out. A re-opened incident that closed again is
// just closed.
func (s *Server) reopened(ctx context.Context, incident, run string) bool {
	description, err := s.temporal.DescribeWorkflow(ctx, incident, "")
	if err != nil {
		return false
	}
	info := description.RawResponse.GetWorkflowExecutionInfo()
	return info.GetFirstRunId() != run && info.GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING
}

func incidentGone(err error) bool {
	var notFound *serviceerror.NotFound
	return errors.As(err, &notFound) || strings.Contains(err.Error(), "workflow execution already completed")
}

// handleTwilio takes Twilio's Gather and status callbacks. The incident and step are
// in the query string, which the signature covers; a forged or replayed-elsewhere
// callback is refused with 403 and has no effect.
func (s *Server) handleTwilio(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form: "+err.Error(), http.StatusBadRequest)
		return
	}
	publicURL := strings.TrimRight(s.settings.PublicURL, "/") + r.URL.RequestURI()
	if !twilio.ValidateRequest(s.settings.TwilioAuthToken, publicURL, twilio.FormParams(r.PostForm), r.Header.Get("X-Twilio-Signature")) {
		s.log.Warn("refused Twilio callback with a bad signature", "url", publicURL)
		http.Error(w, "bad X-Twilio-Signature", http.StatusForbidden)
		return
	}
	query := r.URL.Query()
	incident, run, to := query.Get("incident"), query.Get("run"), query.Get("to")
	callback := twilio.ParseCallback(r.PostForm)
	phone := messages.PhoneAnswers(query.Get("lang"))
	if callback.Digits == "" {
		s.callEnded(r.Context(), incident, run, query.Get("key"), to, callback)
		w.WriteHeader(http.StatusNoContent)
		return
	}
	say := phone.Declined
	switch {
	case callback.To != to:
		// The chain placed the call to `to` (the signed URL says so); a keypress
		// answered elsewhere decides nothing.
		s.log.Warn("refused a keypress on a call answered at a number the chain did not dial",
			"incident", incident, "dialled", to, "answered", callback.To, "call", callback.CallSID)
		say = phone.Refused
		s.signalCallOutcome(r.Context(), incident, run, query.Get("key"), to, "answered at a number the chain did not dial")
	case callback.Digits == "1":
		who := s.caller(incident, to, query.Get("name"))
		_, err := s.decide(r.Context(), incident, run, api.DecisionAcknowledge,
			api.Decision{By: who, Via: "phone", Note: "pressed 1 on call " + callback.CallSID, Page: query.Get("key")},
			codec.NewPrincipal(who, identity.ViaCall))
		switch {
		case err == nil:
			say = phone.Acknowledged
		case errors.Is(err, errReopened):
			s.log.Info("refused a keypress of an earlier run of a re-opened incident", "incident", incident, "run", run)
			say = phone.Reopened
		case incidentGone(err):
			say = phone.Closed
		case strings.Contains(err.Error(), "already acknowledged"):
			say = phone.Acknowledged
		default:
			s.log.Error("phone acknowledgement failed", "incident", incident, "error", err)
		}
	default:
		s.signalCallOutcome(r.Context(), incident, run, query.Get("key"), to, "pressed "+callback.Digits)
	}
	w.Header().Set("Content-Type", "application/xml")
	_, _ = fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Response><Say language=%q>%s</Say><Hangup/></Response>`, phone.SayLanguage, xmlEscape(say))
}

// caller is who answered a call the chain placed to number: the analyst the customers
// file maps it to, else the step's name, else the number itself.
func (s *Server) caller(workflowID, number, stepName string) string {
	if analyst, ok := s.customers.PhoneAnalyst(customerOfWorkflow(workflowID), number); ok {
		return analyst.Name
	}
	return cmp.Or(stepName, number)
}

// customerOfWorkflow answers the customer of an incident or request workflow id
// (incident/{customer}/…, request/{customer}/…).
func customerOfWorkflow(workflowID string) string {
	parts := strings.SplitN(workflowID, "/", 3)
	if len(parts) < 3 || parts[0] != "incident" && parts[0] != "request" {
		return ""
	}
	return parts[1]
}

// callEnded moves the chain on when a call ended without a person pressing 1:
// no answer, busy, failed, or a voicemail (machine detection).
func (s *Server) callEnded(ctx context.Context, incident, run, key, to string, cb twilio.Callback) {
	status := cb.CallStatus
	switch {
	case status == "no-answer" || status == "busy" || status == "failed" || status == "canceled":
	case status == "completed" && strings.HasPrefix(cb.AnsweredBy, "machine"):
		status = "voicemail"
	case status == "completed":
		status = "completed without acknowledgement"
	default:
		return
	}
	s.signalCallOutcome(ctx, incident, run, key, to, status)
}

// signalCallOutcome tells the incident how its call ended, unless the call belongs to
// an earlier run of an incident re-opened since: the new run's chain is its own.
func (s *Server) signalCallOutcome(ctx context.Context, incident, run, key, to, status string) {
	if run != "" && s.reopened(ctx, incident, run) {
		s.log.Info("ignored the call outcome of an earlier run of a re-opened incident", "incident", incident, "run", run, "status", status)
		return
	}
	err := s.temporal.SignalWorkflow(ctx, incident, "", api.SignalCallOutcome, api.CallOutcome{Key: key, To: to, Status: status})
	if err != nil && !incidentGone(err) {
		s.log.Error("signalling call outcome", "incident", incident, "error", err)
	}
}

// slackDecisions maps a button to its decision.
var slackDecisions = map[string]struct {
	name    string
	verdict string
}{
	"acknowledge":            {api.DecisionAcknowledge, ""},
	"verdict_true_positive":  {api.DecisionVerdict, api.VerdictTruePositive},
	"verdict_false_positive": {api.DecisionVerdict, api.VerdictFalsePositive},
	"contain":                {api.DecisionContain, ""},
}

// handleSlack turns a button click into the decision Update on the incident and
// updates the message to show who did what. A refused or stale click gets a reply
// saying why.
func (s *Server) handleSlack(w http.ResponseWriter, r *http.Request) {
	body, err := slack.VerifyRequest(r, s.settings.SlackSigningSecret, time.Now())
	if err != nil {
		s.log.Warn("refused Slack callback", "error", err)
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	click, err := slack.ParseInteraction(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	decision, ok := slackDecisions[click.Decision]
	if !ok {
		s.replySlack(r.Context(), w, click, fmt.Sprintf("unknown action %q", click.Decision))
		return
	}
	// The Slack user must be a person of the customers file: the SOC's, or the
	// incident's customer's own. Display names prove nothing (anyone sets theirs).
	analyst, known := s.customers.SlackAnalyst(customerOfWorkflow(click.IncidentID), click.UserID)
	if !known {
		s.log.Warn("refused a Slack button of a user no analyst is mapped to", "incident", click.IncidentID,
			"slack_user", click.UserID, "slack_name", click.UserName, "decision", click.Decision)
		s.replySlack(r.Context(), w, click, fmt.Sprintf("%s refused: your Slack user (%s) is not one of the analysts of the customers file "+
			"(soc.analysts, or the customer's analysts, slack_user): nothing was done", decision.name, click.UserID))
		return
	}
	who := analyst.Name
	_, err = s.decide(r.Context(), click.IncidentID, click.Run, decision.name,
		api.Decision{By: who, Via: "slack", Verdict: decision.verdict, Page: click.Page}, codec.NewPrincipal(who, identity.ViaSlack))
	switch {
	case err == nil:
		outcome := fmt.Sprintf("%s: %s by %s", click.IncidentID, strings.TrimSpace(decision.name+" "+decision.verdict), who)
		if s.slack != nil && click.ChannelID != "" && click.MessageTS != "" {
			if err := s.slack.Update(r.Context(), click.ChannelID, click.MessageTS, outcome); err != nil {
				s.log.Error("updating Slack message", "incident", click.IncidentID, "error", err)
			}
		}
		s.replySlack(r.Context(), w, click, outcome)
	case errors.Is(err, errReopened):
		s.log.Info("refused a Slack click of an earlier run of a re-opened incident", "incident", click.IncidentID, "run", click.Run)
		s.replySlack(r.Context(), w, click, fmt.Sprintf("incident %s was re-opened after this message was posted: decide in the new one's message (nothing was done)", click.IncidentID))
	case incidentGone(err):
		s.replySlack(r.Context(), w, click, fmt.Sprintf("incident %s is closed or unknown: nothing was done", click.IncidentID))
	default:
		s.replySlack(r.Context(), w, click, fmt.Sprintf("%s refused: %v", decision.name, err))
	}
}

// replySlack answers the clicking user through the interaction's response_url (how
// Slack takes replies to button clicks), and in the HTTP answer too.
func (s *Server) replySlack(ctx context.Context, w http.ResponseWriter, click slack.Interaction, text string) {
	reply, _ := json.Marshal(map[string]any{"response_type": "ephemeral", "replace_original": false, "text": text})
	if click.ResponseURL != "" {
		if req, err := http.NewRequestWithContext(ctx, http.MethodPost, click.ResponseURL, bytes.NewReader(reply)); err == nil {
			req.Header.Set("Content-Type", "application/json")
			if resp, err := s.httpClient.Do(req); err == nil {
				resp.Body.Close()
			}
		}
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(reply)
}

func xmlEscape(s string) string {
	var b bytes.Buffer
	for _, r := range s {
		switch r {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
