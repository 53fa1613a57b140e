package request

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	sdkpb "go.temporal.io/api/sdk/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"xsoc/config"
	"xsoc/integrations"
	"xsoc/workflows/api"
	"xsoc/workflows/internal/testworld"
	"xsoc/workflows/start"
)

// requestWorld is a world running a Request: it keeps what the request reported to
// the Account, and answers the Account's ticket activities.
type requestWorld struct {
	*testworld.World
	mu       sync.Mutex
	reported []api.RequestSummary
	updates  int
}

func newRequestWorld(t *testing.T) *requestWorld {
	t.Helper()
	w := &requestWorld{World: testworld.New(t, &start.Calls{}, map[string]any{api.RequestWorkflowType: Request})}
	var a *start.Calls
	w.Env.OnActivity(a.RecordRequest, mock.Anything, mock.Anything).Return(func(_ context.Context, s api.RequestSummary) error {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.reported = append(w.reported, s)
		return nil
	}).Maybe()
	return w
}

func (w *requestWorld) run(in api.RequestInput) api.RequestStatus {
	w.T.Helper()
	w.Env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: api.RequestWorkflowID(in.Customer, in.Request.ID)})
	w.Env.ExecuteWorkflow(api.RequestWorkflowType, in)
	require.True(w.T, w.Env.IsWorkflowCompleted(), "request did not end")
	require.NoError(w.T, w.Env.GetWorkflowError())
	var status api.RequestStatus
	require.NoError(w.T, w.Env.GetWorkflowResult(&status))
	return status
}

// answer sends a request decision as an Update, as an analyst in the Temporal UI.
func (w *requestWorld) answer(d time.Duration, name string, decision api.RequestDecision) *testworld.UpdateOutcome {
	outcome := &testworld.UpdateOutcome{}
	w.updates++
	id := fmt.Sprintf("%s-%d", name, w.updates)
	w.At(d, func() {
		w.Env.UpdateWorkflow(name, id, &testsuite.TestUpdateCallback{
			OnAccept:   func() {},
			OnReject:   func(err error) { outcome.Rejected = err },
			OnComplete: func(_ any, err error) { outcome.Err = err; outcome.Completed = true },
		}, decision)
	})
	return outcome
}

func (w *requestWorld) summary() api.RequestSummary {
	w.T.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	require.Len(w.T, w.reported, 1, "the request reports to the Account once")
	return w.reported[0]
}

// mailTo lists the subjects of the mail sent to an address.
func (w *requestWorld) mailTo(address string) []string {
	var subjects []string
	for _, m := range w.Outbox.All("email") {
		if m.To == address {
			subjects = append(subjects, m.Subject)
		}
	}
	return subjects
}

// requestSOCPolicy is the SOC policy with a medium chain, for requests that are not urgent.
func requestSOCPolicy() api.Policy {
	p := testworld.SOCPolicy()
	p.SOC.Escalation["medium"] = []config.Step{{After: 0, Contact: config.Contact{Email: "soc-queue@xsoc.example"}}}
	return p
}

const requester = "yamada@acme.example"

func requestInput(policy api.Policy, r api.CustomerRequest, vendors ...string) api.RequestInput {
	if r.ID == "" {
		r.ID = "CS-2026-0412"
	}
	if r.By == "" {
		r.By = requester
	}
	if vendors == nil {
		vendors = []string{"cybereason", "withsecure"}
	}
	in := api.RequestInput{Customer: "acme", Request: r, Vendors: vendors, Policy: policy, Ack: testworld.Minutes(240)}
	if r.Urgent {
		in.Ack = testworld.Minutes(15)
	}
	if strings.Contains(r.By, "@") {
		in.RequesterEmail = r.By
	}
	return in
}

func requestTimelineHas(s api.RequestStatus, kind, text string) bool {
	return slices.ContainsFunc(s.Timeline, func(e api.Entry) bool { return e.Kind == kind && strings.Contains(e.Text, text) })
}

func TestUrgentIsolateRequestPagesTheSOCAndIsolatesOnceOnAccept(t *testing.T) {
	t.Parallel()
	w := newRequestWorld(t)
	// Accepted three times at once: by Update, by another Update, by Signal.
	accepted := w.answer(3*time.Minute, api.DecisionAccept, api.RequestDecision{By: "hanako", Note: "isolating now"})
	again := w.answer(3*time.Minute, api.DecisionAccept, api.RequestDecision{By: "taro"})
	w.At(3*time.Minute, func() { w.Env.SignalWorkflow(api.DecisionAccept, api.RequestDecision{By: "jiro"}) })
	var during api.RequestStatus
	w.At(2*time.Minute, func() { w.Query(api.QueryStatus, &during) })

	status := w.run(requestInput(requestSOCPolicy(), api.CustomerRequest{Kind: api.RequestIsolate, Host: "osk-pc-17", Urgent: true, Note: "ransom note"}))

	require.NoError(t, accepted.Rejected)
	require.NoError(t, accepted.Err)
	require.Error(t, again.Refusal())
	require.Regexp(t, `already accepted by hanako|the request is done \(by hanako`, again.Refusal().Error(), "a second accept is refused")
	require.Equal(t, []string{"find osk-pc-17", "isolate osk-pc-17"}, w.Platform.Calls(), "one isolate, however often accepted")
	require.True(t, requestTimelineHas(status, "rejected", "accept refused"), "the accept signal is recorded as rejected")

	require.Equal(t, api.StateRequested, during.State)
	require.Equal(t, "cybereason", during.Vendor)
	require.Equal(t, "pylum-osk-pc-17", during.Host.Host.ID)
	require.Equal(t, integrations.SeverityCritical, during.Severity)
	require.Equal(t, []string{"#soc-urgent"}, w.Outbox.Pages("slack"), "urgent: the SOC's critical chain")

	require.Equal(t, api.StateDone, status.State)
	require.Equal(t, "hanako", status.Accepted.By)
	require.Equal(t, "hanako", status.Acknowledged.By, "accepting acknowledges")
	require.Equal(t, api.SLAMet, status.Clocks[0].State)
	require.Equal(t, testworld.Start.Add(15*time.Minute), status.Clocks[0].Due)
	require.Empty(t, w.Outbox.Pages("call"), "paging stopped before the SOC's call at 5m")
	require.Contains(t, status.Done.Note, "cybereason: isolate osk-pc-17 confirmed", "the vendor's answer")
	require.True(t, requestTimelineHas(status, "action", "isolate osk-pc-17 done"))

	require.Equal(t, []string{
		"[xsoc] Request CS-2026-0412 received: isolate osk-pc-17",
		"[xsoc] Request CS-2026-0412 done: isolate osk-pc-17",
	}, w.mailTo(requester), "the requester hears each step")
	require.Len(t, w.mailTo("csirt@acme.example"), 2, "and so do the customer's status_updates contacts")
	done := w.Outbox.All("email")[len(w.Outbox.All("email"))-1]
	require.Contains(t, done.Text, "cybereason: isolate osk-pc-17 confirmed", "with the vendor's answer")
	require.Contains(t, done.Text, "JST", "in the customer's time zone")

	summary := w.summary()
	require.Equal(t, api.RequestSummary{Customer: "acme", Request: "request/acme/CS-2026-0412", Kind: api.RequestIsolate, State: api.StateDone,
		Urgent: true, OpenedAt: testworld.Start, ClosedAt: testworld.Start.Add(3 * time.Minute), Ack: api.SLAMet,
		AcceptedAt: testworld.Start.Add(3 * time.Minute)}, summary, "time to accept counts from the request's receipt")
	require.Equal(t, api.StateDone, w.Last("XsocState"))
	require.Equal(t, "acme", w.Last("XsocCustomer"))
	require.Equal(t, "osk-pc-17", w.Last("XsocHost"))
	require.True(t, w.Seen("XsocState", api.StateRequested))
	require.True(t, w.Seen("XsocSLADueAt", testworld.Start.Add(15*time.Minute)), "the list query sorts open requests by due time")
}

func TestEachActionKindRunsOnItsPlatformAndCompletesTheRequest(t *testing.T) {
	t.Parallel()
	evil := []integrations.Indicator{{Type: "domain", Value: "evil.example"}}
	tests := []struct {
		request api.CustomerRequest
		vendors []string
		calls   []string
		target  string
	}{
		{api.CustomerRequest{Kind: api.RequestIsolate, Host: "osk-pc-17"}, nil, []string{"find osk-pc-17", "isolate osk-pc-17"}, "osk-pc-17"},
		{api.CustomerRequest{Kind: api.RequestRelease, Host: "osk-pc-17"}, nil, []string{"find osk-pc-17", "release osk-pc-17"}, "osk-pc-17"},
		{api.CustomerRequest{Kind: api.RequestBlock, Indicators: evil}, []string{"zscaler"}, []string{"block evil.example"}, "domain evil.example"},
		{api.CustomerRequest{Kind: api.RequestUnblock, Indicators: evil}, []string{"zscaler"}, []string{"unblock evil.example"}, "domain evil.example"},
	}
	for _, tt := range tests {
		t.Run(tt.request.Kind, func(t *testing.T) {
			t.Parallel()
			w := newRequestWorld(t)
			accepted := w.answer(5*time.Minute, api.DecisionAccept, api.RequestDecision{By: "hanako"})

			status := w.run(requestInput(requestSOCPolicy(), tt.request, tt.vendors...))

			require.NoError(t, accepted.Err)
			require.Equal(t, tt.calls, w.Platform.Calls())
			require.Equal(t, api.StateDone, status.State)
			require.Equal(t, tt.vendors == nil, status.Vendor == "cybereason", "vendor %s", status.Vendor)
			require.Equal(t, []string{"soc-queue@xsoc.example"}, w.Outbox.Pages("email"), "not urgent: the SOC's medium chain")
			require.Contains(t, w.mailTo(requester), "[xsoc] Request CS-2026-0412 done: "+tt.request.Kind+" "+tt.target)
			require.Equal(t, api.StateDone, w.summary().State)
			require.Equal(t, tt.request.Kind, w.summary().Kind)
		})
	}
}

func TestIsolateOfAHostThePlatformDoesNotKnowIsDeclinedWithTheVendorsWords(t *testing.T) {
	t.Parallel()
	w := newRequestWorld(t)
	status := w.run(requestInput(requestSOCPolicy(), api.CustomerRequest{Kind: api.RequestIsolate, Host: "unknown-pc-9", Urgent: true}))

	require.Equal(t, api.StateDeclined, status.State)
	require.Equal(t, "xsoc", status.Declined.By)
	require.Contains(t, status.Declined.Note, `no sensor for host "unknown-pc-9"`)
	require.Contains(t, status.Declined.Note, "host unknown-pc-9 is not known to the platforms of customer acme")
	require.Equal(t, []string{"find unknown-pc-9", "find unknown-pc-9"}, w.Platform.Calls(), "each platform was asked; nothing isolated")
	require.Empty(t, w.Outbox.Pages("slack"), "nobody is paged")
	require.Equal(t, []string{"[xsoc] Request CS-2026-0412 declined: isolate unknown-pc-9"}, w.mailTo(requester))
	require.Equal(t, api.ClockNotNeeded, status.Clocks[0].State)
	require.Equal(t, api.StateDeclined, w.summary().State)
	require.Equal(t, api.ClockNotNeeded, w.summary().Ack)
}

func TestInvestigateLooksTheIndicatorsUpAndEndsWithTheAnalystsNote(t *testing.T) {
	t.Parallel()
	w := newRequestWorld(t)
	early := w.answer(time.Minute, api.DecisionDone, api.RequestDecision{By: "hanako", Note: "nothing"})
	accepted := w.answer(2*time.Minute, api.DecisionAccept, api.RequestDecision{By: "hanako"})
	done := w.answer(3*time.Hour, api.DecisionDone, api.RequestDecision{By: "hanako", Note: "evil.example served Emotet; blocked on the proxy"})

	status := w.run(requestInput(requestSOCPolicy(), api.CustomerRequest{Kind: api.RequestInvestigate,
		Indicators: []integrations.Indicator{{Type: "domain", Value: "evil.example"}}}, "cybereason", "zscaler"))

	require.ErrorContains(t, early.Rejected, "not accepted yet")
	require.NoError(t, accepted.Err)
	require.NoError(t, done.Err)
	require.Equal(t, []string{"lookup evil.example", "lookup evil.example"}, w.Platform.Calls(), "every platform that looks indicators up")
	require.Equal(t, api.StateDone, status.State)
	require.Contains(t, status.Findings.Summary, "evil.example is categorized as malware")
	require.Equal(t, []string{
		"[xsoc] Request CS-2026-0412 received: investigate domain evil.example",
		"[xsoc] Request CS-2026-0412 accepted: investigate domain evil.example",
		"[xsoc] Request CS-2026-0412 done: investigate domain evil.example",
	}, w.mailTo(requester))
	last := w.Outbox.All("email")[len(w.Outbox.All("email"))-1]
	require.Contains(t, last.Text, "evil.example served Emotet", "the requester reads the analyst's note")
	require.Equal(t, api.RequestInvestigate, w.summary().Kind)
}

func TestOptionConsumesTheTicketsOnceThroughTheAccount(t *testing.T) {
	t.Parallel()
	w := newRequestWorld(t)
	var a *start.Calls
	var consumed []api.ConsumeRequest
	w.Env.OnActivity(a.ConsumeTickets, mock.Anything, mock.Anything).Return(func(_ context.Context, r api.ConsumeRequest) (int, error) {
		consumed = append(consumed, r)
		return 18, nil
	})
	accepted := w.answer(time.Minute, api.DecisionAccept, api.RequestDecision{By: "hanako"})
	decline := w.answer(2*time.Minute, api.DecisionDecline, api.RequestDecision{By: "hanako", Reason: "changed my mind"})
	w.answer(48*time.Hour, api.DecisionDone, api.RequestDecision{By: "hanako", Note: "forensics report delivered"})

	status := w.run(requestInput(requestSOCPolicy(), api.CustomerRequest{Kind: api.RequestOption, Service: "forensics", Tickets: 2}, []string{}...))

	require.NoError(t, accepted.Err)
	require.ErrorContains(t, decline.Rejected, "2 option ticket(s) are already consumed")
	require.Equal(t, []api.ConsumeRequest{{Customer: "acme", Incident: "request/acme/CS-2026-0412", Service: "forensics", Tickets: 2,
		By: "hanako", RequestID: "request/acme/CS-2026-0412/tickets"}}, consumed)
	require.Equal(t, api.StateDone, status.State)
	require.Equal(t, 2, status.Tickets.Tickets)
	require.True(t, requestTimelineHas(status, "tickets", "2 option ticket(s) used for forensics; 18 left"))
	require.Contains(t, w.mailTo(requester), "[xsoc] Request CS-2026-0412 accepted: option service forensics ×2")
	require.Empty(t, w.Platform.Calls(), "an option touches no platform")
}

func TestOptionBeyondTheBalanceIsDeclinedWithTheBalanceAndTheLots(t *testing.T) {
	t.Parallel()
	w := newRequestWorld(t)
	var a *start.Calls
	w.Env.OnActivity(a.ConsumeTickets, mock.Anything, mock.Anything).
		Return(0, temporal.NewNonRetryableApplicationError("not enough option tickets for customer acme: asked 30, balance 25", "AccountRefused", nil))
	w.Env.OnActivity(a.ReadTicketBalance, mock.Anything, "acme").Return(api.Balance{Remaining: 25, Lots: []api.LotView{
		{Purchased: "2025-04-01", Expires: "2026-04-01", Count: 10, Expired: 10},
		{Purchased: "2026-04-01", Expires: "2027-04-01", Count: 20, Remaining: 20},
		{Purchased: "2026-10-01", Expires: "2027-10-01", Count: 5, Remaining: 5},
	}}, nil)
	accepted := w.answer(time.Minute, api.DecisionAccept, api.RequestDecision{By: "hanako"})

	status := w.run(requestInput(requestSOCPolicy(), api.CustomerRequest{Kind: api.RequestOption, Service: "forensics", Tickets: 30}, []string{}...))

	require.ErrorContains(t, accepted.Err, "asked 30, balance 25")
	require.ErrorContains(t, accepted.Err, "the request is declined and the requester told")
	require.Equal(t, api.StateDeclined, status.State)
	require.Equal(t, "xsoc", status.Declined.By)
	require.Contains(t, status.Declined.Note, "20 bought 2026-04-01 (20 left, expires 2027-04-01)")
	require.Contains(t, status.Declined.Note, "10 bought 2025-04-01 (expired 2026-04-01)", "expired lots count nothing")
	require.Nil(t, status.Accepted)
	mail := w.Outbox.All("email")
	require.Contains(t, mail[len(mail)-1].Subject, "declined")
	require.Contains(t, mail[len(mail)-1].Text, "balance 25", "the requester is told the balance")
	require.Equal(t, api.SLAMet, status.Clocks[0].State, "the SOC answered in time")
}

func TestRequestDecisionsAreRefusedWithAReason(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		decision string
		d        api.RequestDecision
		before   string // a decision applied first, by hanako
		want     string
	}{
		{"without by", api.DecisionAccept, api.RequestDecision{}, "", `"by" is required`},
		{"accept twice", api.DecisionAccept, api.RequestDecision{By: "taro"}, api.DecisionAccept, "already accepted by hanako"},
		{"done before accept", api.DecisionDone, api.RequestDecision{By: "taro", Note: "x"}, "", "not accepted yet"},
		{"done without note", api.DecisionDone, api.RequestDecision{By: "taro"}, api.DecisionAccept, `"note" is required`},
		{"decline without reason", api.DecisionDecline, api.RequestDecision{By: "taro"}, "", `"reason" is required`},
		{"acknowledge twice", api.DecisionAcknowledge, api.RequestDecision{By: "taro"}, api.DecisionAcknowledge, "already acknowledged by hanako"},
		// The request ends with the decline: the accept sent with it is refused when its turn comes.
		{"after decline", api.DecisionAccept, api.RequestDecision{By: "taro"}, api.DecisionDecline, "the request was declined (by hanako"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newRequestWorld(t)
			if tt.before != "" {
				w.answer(time.Minute, tt.before, api.RequestDecision{By: "hanako", Reason: "duplicate of CS-2026-0411"})
			}
			refused := w.answer(time.Minute, tt.decision, tt.d)
			w.answer(20*time.Minute, api.DecisionDecline, api.RequestDecision{By: "hanako", Reason: "test over"})
			w.answer(21*time.Minute, api.DecisionDone, api.RequestDecision{By: "hanako", Note: "test over"})

			w.run(requestInput(requestSOCPolicy(), api.CustomerRequest{Kind: api.RequestInvestigate, Host: "osk-pc-17"}))

			require.ErrorContains(t, refused.Refusal(), tt.want)
		})
	}
}

func TestRequestDecisionsAsSignalsAndTheirRefusalsAreRecorded(t *testing.T) {
	t.Parallel()
	w := newRequestWorld(t)
	w.At(time.Minute, func() { w.Env.SignalWorkflow(api.DecisionDone, api.RequestDecision{By: "taro", Note: "early"}) })
	w.At(2*time.Minute, func() {
		w.Env.SignalWorkflow(api.DecisionDecline, api.RequestDecision{By: "hanako", Reason: "the PC was already reimaged"})
	})

	status := w.run(requestInput(requestSOCPolicy(), api.CustomerRequest{Kind: api.RequestIsolate, Host: "osk-pc-17"}))

	require.Equal(t, api.StateDeclined, status.State)
	require.Equal(t, "hanako", status.Declined.By)
	require.True(t, requestTimelineHas(status, "rejected", "done refused: the request is not accepted yet"))
	require.Equal(t, []string{"find osk-pc-17"}, w.Platform.Calls())
	require.Contains(t, w.mailTo(requester), "[xsoc] Request CS-2026-0412 declined: isolate osk-pc-17")
	require.Equal(t, api.SLAMet, status.Clocks[0].State, "a decline answers the request")
}

func TestUnansweredRequestBreachesItsClockAndPagesTheNextLevel(t *testing.T) {
	t.Parallel()
	w := newRequestWorld(t)
	var atRisk string
	w.At(13*time.Minute, func() { atRisk, _ = w.Last("XsocSLAState").(string) })
	w.answer(40*time.Minute, api.DecisionDecline, api.RequestDecision{By: "hanako", Reason: "out of scope"})
	policy := requestSOCPolicy()
	policy.SOC.Escalation["emergency"] = []config.Step{{After: 0, Contact: config.Contact{Call: "+81300009000", Name: "SOC manager"}}}

	status := w.run(requestInput(policy, api.CustomerRequest{Kind: api.RequestIsolate, Host: "osk-pc-17", Urgent: true}))

	require.Equal(t, api.SLAAtRisk, atRisk)
	require.Equal(t, api.SLABreached, status.Clocks[0].State)
	require.True(t, requestTimelineHas(status, "sla_breach", "not answered by"))
	require.Contains(t, w.Outbox.Pages("call"), "+81300009000", "the breach pages the next level up")
	require.Contains(t, w.Outbox.Pages("call"), "+81300009999", "the chain called the SOC on-call at 5m")
	require.True(t, w.Seen("XsocSLAState", api.SLABreached))
	require.Equal(t, api.SLABreached, w.summary().Ack)
}

func TestRequestWithoutASOCPagesTheCustomersChainAndAPhoneKeypressStopsIt(t *testing.T) {
	t.Parallel()
	w := newRequestWorld(t)
	acked := w.answer(2*time.Minute, api.DecisionAcknowledge, api.RequestDecision{By: "IT on-call", Via: "phone", Note: "pressed 1"})
	w.answer(time.Hour, api.DecisionDecline, api.RequestDecision{By: "IT on-call", Reason: "we isolate it ourselves"})

	status := w.run(requestInput(testworld.Policy(), api.CustomerRequest{Kind: api.RequestIsolate, Host: "osk-pc-17", Urgent: true}))

	require.NoError(t, acked.Err)
	require.Equal(t, []string{"+81300000003"}, w.Outbox.Pages("call"), "the customer's critical chain, once: acknowledged before it repeats")
	require.Equal(t, api.TierCustomer, status.Chain.Tier)
	require.Equal(t, "phone", status.Acknowledged.Via)
	require.Equal(t, api.SLAMet, status.Clocks[0].State)
	call := w.Outbox.All("call")[0]
	require.Contains(t, call.Text, "Urgent customer request from ACME: isolate osk-pc-17. Press 1 to acknowledge.")
}

func TestAPlatformRefusalIsToldAndTheRequestEndsWithTheAnalystsNote(t *testing.T) {
	t.Parallel()
	w := newRequestWorld(t)
	w.Platform.Failures["isolate"] = &integrations.VendorError{Vendor: "cybereason", Operation: "isolate", StatusCode: 403, Message: "user lacks Responder role"}
	accepted := w.answer(time.Minute, api.DecisionAccept, api.RequestDecision{By: "hanako"})
	again := w.answer(2*time.Minute, api.DecisionAccept, api.RequestDecision{By: "hanako"})
	w.answer(3*time.Minute, api.DecisionDone, api.RequestDecision{By: "hanako", Note: "isolated by hand in the console"})

	status := w.run(requestInput(requestSOCPolicy(), api.CustomerRequest{Kind: api.RequestIsolate, Host: "osk-pc-17"}))

	require.ErrorContains(t, accepted.Err, "user lacks Responder role")
	require.ErrorContains(t, again.Rejected, "the isolate failed")
	require.Equal(t, []string{"find osk-pc-17", "isolate osk-pc-17"}, w.Platform.Calls(), "a 4xx is not retried")
	require.Equal(t, api.StateDone, status.State)
	require.Contains(t, status.ActionError, "user lacks Responder role")
	require.Contains(t, w.mailTo(requester), "[xsoc] Request CS-2026-0412: isolate osk-pc-17 failed")
}

func TestTheRequesterHearsEachStepInTheCustomersLanguageAndZone(t *testing.T) {
	t.Parallel()
	w := newRequestWorld(t)
	policy := requestSOCPolicy()
	policy.Language, policy.Timezone = "ja", "Asia/Tokyo"
	// The customer's CSIRT follows its requests in Slack; its phone is never called for them.
	policy.StatusUpdates = []config.Contact{{Slack: "#acme-csirt", Call: "+81300000077"}}
	w.answer(3*time.Minute, api.DecisionAccept, api.RequestDecision{By: "hanako"})

	status := w.run(requestInput(policy, api.CustomerRequest{Kind: api.RequestIsolate, Host: "osk-pc-17", Urgent: true}))

	require.Equal(t, api.StateDone, status.State)
	require.Equal(t, []string{
		"[xsoc] ご依頼 CS-2026-0412 を受け付けました: osk-pc-17 の隔離",
		"[xsoc] ご依頼 CS-2026-0412 が完了しました: osk-pc-17 の隔離",
	}, w.mailTo(requester), "the requester hears each step in the customer's language")
	mail := w.Outbox.All("email")
	done := mail[len(mail)-1]
	require.Contains(t, done.Text, "結果: cybereason: isolate osk-pc-17 confirmed", "with the vendor's answer")
	require.Contains(t, done.Text, "JST (+09:00)", "in the customer's time zone")

	var csirt []testworld.SentMessage
	for _, m := range w.Outbox.All("slack") {
		if m.To == "#acme-csirt" {
			csirt = append(csirt, m)
		}
	}
	require.Len(t, csirt, 2, "the customer's Slack channel hears received and done")
	require.Contains(t, csirt[0].Text, "ご依頼 CS-2026-0412（osk-pc-17 の隔離）を受け付けました")
	require.Contains(t, csirt[1].Text, "cybereason: isolate osk-pc-17 confirmed")
	require.Empty(t, w.Outbox.All("call"), "status updates are never phoned")
	require.Equal(t, []string{"#soc-urgent"}, w.Outbox.Pages("slack"), "the SOC is paged in its own channel")
}

// The Temporal UI shows each handler's description beside it: an analyst deciding a
// request there reads the JSON each decision takes.
func TestRequestHandlersNameTheJSONTheyTake(t *testing.T) {
	t.Parallel()
	w := newRequestWorld(t)
	var metadata sdkpb.WorkflowMetadata
	w.At(time.Minute, func() { w.Query("__temporal_workflow_metadata", &metadata) })
	w.answer(2*time.Minute, api.DecisionDecline, api.RequestDecision{By: "hanako", Reason: "test over"})

	w.run(requestInput(requestSOCPolicy(), api.CustomerRequest{Kind: api.RequestIsolate, Host: "osk-pc-17"}))

	definition := metadata.GetDefinition()
	described := func(name string, handlers []*sdkpb.WorkflowInteractionDefinition) string {
		for _, h := range handlers {
			if h.GetName() == name {
				return h.GetDescription()
			}
		}
		return ""
	}
	want := map[string]string{api.DecisionAcknowledge: `{"by": `, api.DecisionAccept: `{"by": "analyst", "note": `,
		api.DecisionDecline: `{"by": "analyst", "reason": `, api.DecisionDone: `{"by": "analyst", "note": `}
	for _, name := range api.RequestDecisions {
		require.Contains(t, described(name, definition.GetUpdateDefinitions()), want[name], "update %s", name)
		require.Contains(t, described(name, definition.GetSignalDefinitions()), want[name], "signal %s", name)
	}
	require.NotEmpty(t, described(api.QueryStatus, definition.GetQueryDefinitions()))
}
