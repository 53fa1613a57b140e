package workflows

import (
	"context"
	"fmt"
	"net/http"
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
)

// The fake platform knows every host but those named unknown-*, and looks indicators up.
func (p *fakePlatform) FindHost(_ context.Context, h integrations.Host) (integrations.HostFacts, error) {
	if err := p.record("find " + h.Label()); err != nil {
		return integrations.HostFacts{}, err
	}
	if strings.HasPrefix(h.Name, "unknown-") {
		return integrations.HostFacts{}, &integrations.VendorError{Vendor: "cybereason", Operation: "query sensors",
			StatusCode: http.StatusNotFound, Message: fmt.Sprintf("no sensor for host %q", h.Name)}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return integrations.HostFacts{Host: integrations.Host{Name: h.Name, ID: "pylum-" + h.Name}, Isolated: p.isolated[h.Label()],
		Summary: "sensor pylum-" + h.Name + " of " + h.Name + ": online"}, nil
}

func (p *fakePlatform) LookUpIndicators(_ context.Context, inds []integrations.Indicator) (integrations.Findings, error) {
	if err := p.record("lookup " + inds[0].Value); err != nil {
		return integrations.Findings{}, err
	}
	return integrations.Findings{Summary: inds[0].Value + " is categorized as malware"}, nil
}

// requestWorld is a world running a Request: it keeps what the request reported to
// the Account, and answers the Account's ticket activities.
type requestWorld struct {
	*world
	mu       sync.Mutex
	reported []RequestSummary
	updates  int
}

func newRequestWorld(t *testing.T) *requestWorld {
	t.Helper()
	w := &requestWorld{world: newWorld(t)}
	var a *Activities
	w.env.OnActivity(a.RecordRequest, mock.Anything, mock.Anything).Return(func(_ context.Context, s RequestSummary) error {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.reported = append(w.reported, s)
		return nil
	}).Maybe()
	return w
}

func (w *requestWorld) run(in RequestInput) RequestStatus {
	w.t.Helper()
	w.env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: RequestWorkflowID(in.Customer, in.Request.ID)})
	w.env.ExecuteWorkflow(RequestWorkflowType, in)
	require.True(w.t, w.env.IsWorkflowCompleted(), "request did not end")
	require.NoError(w.t, w.env.GetWorkflowError())
	var status RequestStatus
	require.NoError(w.t, w.env.GetWorkflowResult(&status))
	return status
}

// answer sends a request decision as an Update, as an analyst in the Temporal UI.
func (w *requestWorld) answer(d time.Duration, name string, decision RequestDecision) *updateOutcome {
	outcome := &updateOutcome{}
	w.updates++
	id := fmt.Sprintf("%s-%d", name, w.updates)
	w.at(d, func() {
		w.env.UpdateWorkflow(name, id, &testsuite.TestUpdateCallback{
			OnAccept:   func() {},
			OnReject:   func(err error) { outcome.rejected = err },
			OnComplete: func(_ any, err error) { outcome.err = err; outcome.completed = true },
		}, decision)
	})
	return outcome
}

// refusal is why an Update was refused: by its validator, or when applied (a decision
// sent at the same moment as another is validated again when its turn comes).
func (o *updateOutcome) refusal() error {
	if o.rejected != nil {
		return o.rejected
	}
	return o.err
}

func (w *requestWorld) summary() RequestSummary {
	w.t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	require.Len(w.t, w.reported, 1, "the request reports to the Account once")
	return w.reported[0]
}

// mailTo lists the subjects of the mail sent to an address.
func (w *requestWorld) mailTo(address string) []string {
	var subjects []string
	for _, m := range w.outbox.all("email") {
		if m.To == address {
			subjects = append(subjects, m.Subject)
		}
	}
	return subjects
}

// requestSOCPolicy is the SOC policy with a medium chain, for requests that are not urgent.
func requestSOCPolicy() Policy {
	p := socPolicy()
	p.SOC.Escalation["medium"] = []config.Step{{After: 0, Contact: config.Contact{Email: "soc-queue@xsoc.example"}}}
	return p
}

const requester = "yamada@acme.example"

func requestInput(policy Policy, r CustomerRequest, vendors ...string) RequestInput {
	if r.ID == "" {
		r.ID = "CS-2026-0412"
	}
	if r.By == "" {
		r.By = requester
	}
	if vendors == nil {
		vendors = []string{"cybereason", "withsecure"}
	}
	in := RequestInput{Customer: "acme", Request: r, Vendors: vendors, Policy: policy, Ack: minutes(240)}
	if r.Urgent {
		in.Ack = minutes(15)
	}
	if strings.Contains(r.By, "@") {
		in.RequesterEmail = r.By
	}
	return in
}

func requestTimelineHas(s RequestStatus, kind, text string) bool {
	return slices.ContainsFunc(s.Timeline, func(e Entry) bool { return e.Kind == kind && strings.Contains(e.Text, text) })
}

func TestUrgentIsolateRequestPagesTheSOCAndIsolatesOnceOnAccept(t *testing.T) {
	t.Parallel()
	w := newRequestWorld(t)
	// Accepted three times at once: by Update, by another Update, by Signal.
	accepted := w.answer(3*time.Minute, DecisionAccept, RequestDecision{By: "hanako", Note: "isolating now"})
	again := w.answer(3*time.Minute, DecisionAccept, RequestDecision{By: "taro"})
	w.at(3*time.Minute, func() { w.env.SignalWorkflow(DecisionAccept, RequestDecision{By: "jiro"}) })
	var during RequestStatus
	w.at(2*time.Minute, func() { w.query(QueryStatus, &during) })

	status := w.run(requestInput(requestSOCPolicy(), CustomerRequest{Kind: RequestIsolate, Host: "osk-pc-17", Urgent: true, Note: "ransom note"}))

	require.NoError(t, accepted.rejected)
	require.NoError(t, accepted.err)
	require.Error(t, again.refusal())
	require.Regexp(t, `already accepted by hanako|the request is done \(by hanako`, again.refusal().Error(), "a second accept is refused")
	require.Equal(t, []string{"find osk-pc-17", "isolate osk-pc-17"}, w.platform.Calls(), "one isolate, however often accepted")
	require.True(t, requestTimelineHas(status, "rejected", "accept refused"), "the accept signal is recorded as rejected")

	require.Equal(t, StateRequested, during.State)
	require.Equal(t, "cybereason", during.Vendor)
	require.Equal(t, "pylum-osk-pc-17", during.Host.Host.ID)
	require.Equal(t, integrations.SeverityCritical, during.Severity)
	require.Equal(t, []string{"#soc-urgent"}, w.outbox.pages("slack"), "urgent: the SOC's critical chain")

	require.Equal(t, StateDone, status.State)
	require.Equal(t, "hanako", status.Accepted.By)
	require.Equal(t, "hanako", status.Acknowledged.By, "accepting acknowledges")
	require.Equal(t, SLAMet, status.Clocks[0].State)
	require.Equal(t, testStart.Add(15*time.Minute), status.Clocks[0].Due)
	require.Empty(t, w.outbox.pages("call"), "paging stopped before the SOC's call at 5m")
	require.Contains(t, status.Done.Note, "cybereason: isolate osk-pc-17 confirmed", "the vendor's answer")
	require.True(t, requestTimelineHas(status, "action", "isolate osk-pc-17 done"))

	require.Equal(t, []string{
		"[xsoc] Request CS-2026-0412 received: isolate osk-pc-17",
		"[xsoc] Request CS-2026-0412 done: isolate osk-pc-17",
	}, w.mailTo(requester), "the requester hears each step")
	require.Len(t, w.mailTo("csirt@acme.example"), 2, "and so do the customer's status_updates contacts")
	done := w.outbox.all("email")[len(w.outbox.all("email"))-1]
	require.Contains(t, done.Text, "cybereason: isolate osk-pc-17 confirmed", "with the vendor's answer")
	require.Contains(t, done.Text, "JST", "in the customer's time zone")

	summary := w.summary()
	require.Equal(t, RequestSummary{Customer: "acme", Request: "request/acme/CS-2026-0412", Kind: RequestIsolate, State: StateDone,
		Urgent: true, OpenedAt: testStart, ClosedAt: testStart.Add(3 * time.Minute), Ack: SLAMet}, summary)
	require.Equal(t, StateDone, w.last("XsocState"))
	require.Equal(t, "acme", w.last("XsocCustomer"))
	require.Equal(t, "osk-pc-17", w.last("XsocHost"))
	require.True(t, w.seen("XsocState", StateRequested))
	require.True(t, w.seen("XsocSLADueAt", testStart.Add(15*time.Minute)), "the list query sorts open requests by due time")
}

func TestEachActionKindRunsOnItsPlatformAndCompletesTheRequest(t *testing.T) {
	t.Parallel()
	evil := []integrations.Indicator{{Type: "domain", Value: "evil.example"}}
	tests := []struct {
		request CustomerRequest
		vendors []string
		calls   []string
		target  string
	}{
		{CustomerRequest{Kind: RequestIsolate, Host: "osk-pc-17"}, nil, []string{"find osk-pc-17", "isolate osk-pc-17"}, "osk-pc-17"},
		{CustomerRequest{Kind: RequestRelease, Host: "osk-pc-17"}, nil, []string{"find osk-pc-17", "release osk-pc-17"}, "osk-pc-17"},
		{CustomerRequest{Kind: RequestBlock, Indicators: evil}, []string{"zscaler"}, []string{"block evil.example"}, "domain evil.example"},
		{CustomerRequest{Kind: RequestUnblock, Indicators: evil}, []string{"zscaler"}, []string{"unblock evil.example"}, "domain evil.example"},
	}
	for _, tt := range tests {
		t.Run(tt.request.Kind, func(t *testing.T) {
			t.Parallel()
			w := newRequestWorld(t)
			accepted := w.answer(5*time.Minute, DecisionAccept, RequestDecision{By: "hanako"})

			status := w.run(requestInput(requestSOCPolicy(), tt.request, tt.vendors...))

			require.NoError(t, accepted.err)
			require.Equal(t, tt.calls, w.platform.Calls())
			require.Equal(t, StateDone, status.State)
			require.Equal(t, tt.vendors == nil, status.Vendor == "cybereason", "vendor %s", status.Vendor)
			require.Equal(t, []string{"soc-queue@xsoc.example"}, w.outbox.pages("email"), "not urgent: the SOC's medium chain")
			require.Contains(t, w.mailTo(requester), "[xsoc] Request CS-2026-0412 done: "+tt.request.Kind+" "+tt.target)
			require.Equal(t, StateDone, w.summary().State)
			require.Equal(t, tt.request.Kind, w.summary().Kind)
		})
	}
}

func TestIsolateOfAHostThePlatformDoesNotKnowIsDeclinedWithTheVendorsWords(t *testing.T) {
	t.Parallel()
	w := newRequestWorld(t)
	status := w.run(requestInput(requestSOCPolicy(), CustomerRequest{Kind: RequestIsolate, Host: "unknown-pc-9", Urgent: true}))

	require.Equal(t, StateDeclined, status.State)
	require.Equal(t, "xsoc", status.Declined.By)
	require.Contains(t, status.Declined.Note, `no sensor for host "unknown-pc-9"`)
	require.Contains(t, status.Declined.Note, "host unknown-pc-9 is not known to the platforms of customer acme")
	require.Equal(t, []string{"find unknown-pc-9", "find unknown-pc-9"}, w.platform.Calls(), "each platform was asked; nothing isolated")
	require.Empty(t, w.outbox.pages("slack"), "nobody is paged")
	require.Equal(t, []string{"[xsoc] Request CS-2026-0412 declined: isolate unknown-pc-9"}, w.mailTo(requester))
	require.Equal(t, clockNotNeeded, status.Clocks[0].State)
	require.Equal(t, StateDeclined, w.summary().State)
	require.Equal(t, clockNotNeeded, w.summary().Ack)
}

func TestInvestigateLooksTheIndicatorsUpAndEndsWithTheAnalystsNote(t *testing.T) {
	t.Parallel()
	w := newRequestWorld(t)
	early := w.answer(time.Minute, DecisionDone, RequestDecision{By: "hanako", Note: "nothing"})
	accepted := w.answer(2*time.Minute, DecisionAccept, RequestDecision{By: "hanako"})
	done := w.answer(3*time.Hour, DecisionDone, RequestDecision{By: "hanako", Note: "evil.example served Emotet; blocked on the proxy"})

	status := w.run(requestInput(requestSOCPolicy(), CustomerRequest{Kind: RequestInvestigate,
		Indicators: []integrations.Indicator{{Type: "domain", Value: "evil.example"}}}, "cybereason", "zscaler"))

	require.ErrorContains(t, early.rejected, "not accepted yet")
	require.NoError(t, accepted.err)
	require.NoError(t, done.err)
	require.Equal(t, []string{"lookup evil.example", "lookup evil.example"}, w.platform.Calls(), "every platform that looks indicators up")
	require.Equal(t, StateDone, status.State)
	require.Contains(t, status.Findings.Summary, "evil.example is categorized as malware")
	require.Equal(t, []string{
		"[xsoc] Request CS-2026-0412 received: investigate domain evil.example",
		"[xsoc] Request CS-2026-0412 accepted: investigate domain evil.example",
		"[xsoc] Request CS-2026-0412 done: investigate domain evil.example",
	}, w.mailTo(requester))
	last := w.outbox.all("email")[len(w.outbox.all("email"))-1]
	require.Contains(t, last.Text, "evil.example served Emotet", "the requester reads the analyst's note")
	require.Equal(t, RequestInvestigate, w.summary().Kind)
}

func TestOptionConsumesTheTicketsOnceThroughTheAccount(t *testing.T) {
	t.Parallel()
	w := newRequestWorld(t)
	var a *Activities
	var consumed []ConsumeRequest
	w.env.OnActivity(a.ConsumeTickets, mock.Anything, mock.Anything).Return(func(_ context.Context, r ConsumeRequest) (int, error) {
		consumed = append(consumed, r)
		return 18, nil
	})
	accepted := w.answer(time.Minute, DecisionAccept, RequestDecision{By: "hanako"})
	decline := w.answer(2*time.Minute, DecisionDecline, RequestDecision{By: "hanako", Reason: "changed my mind"})
	w.answer(48*time.Hour, DecisionDone, RequestDecision{By: "hanako", Note: "forensics report delivered"})

	status := w.run(requestInput(requestSOCPolicy(), CustomerRequest{Kind: RequestOption, Service: "forensics", Tickets: 2}, []string{}...))

	require.NoError(t, accepted.err)
	require.ErrorContains(t, decline.rejected, "2 option ticket(s) are already consumed")
	require.Equal(t, []ConsumeRequest{{Customer: "acme", Incident: "request/acme/CS-2026-0412", Service: "forensics", Tickets: 2,
		By: "hanako", RequestID: "request/acme/CS-2026-0412/tickets"}}, consumed)
	require.Equal(t, StateDone, status.State)
	require.Equal(t, 2, status.Tickets.Tickets)
	require.True(t, requestTimelineHas(status, "tickets", "2 option ticket(s) used for forensics; 18 left"))
	require.Contains(t, w.mailTo(requester), "[xsoc] Request CS-2026-0412 accepted: option service forensics ×2")
	require.Empty(t, w.platform.Calls(), "an option touches no platform")
}

func TestOptionBeyondTheBalanceIsDeclinedWithTheBalanceAndTheLots(t *testing.T) {
	t.Parallel()
	w := newRequestWorld(t)
	var a *Activities
	w.env.OnActivity(a.ConsumeTickets, mock.Anything, mock.Anything).
		Return(0, temporal.NewNonRetryableApplicationError("not enough option tickets for customer acme: asked 30, balance 25", "AccountRefused", nil))
	w.env.OnActivity(a.ReadTicketBalance, mock.Anything, "acme").Return(TicketBalance{Remaining: 25, Lots: []LotView{
		{Purchased: "2025-04-01", Expires: "2026-04-01", Count: 10, Expired: 10},
		{Purchased: "2026-04-01", Expires: "2027-04-01", Count: 20, Remaining: 20},
		{Purchased: "2026-10-01", Expires: "2027-10-01", Count: 5, Remaining: 5},
	}}, nil)
	accepted := w.answer(time.Minute, DecisionAccept, RequestDecision{By: "hanako"})

	status := w.run(requestInput(requestSOCPolicy(), CustomerRequest{Kind: RequestOption, Service: "forensics", Tickets: 30}, []string{}...))

	require.ErrorContains(t, accepted.err, "asked 30, balance 25")
	require.ErrorContains(t, accepted.err, "the request is declined and the requester told")
	require.Equal(t, StateDeclined, status.State)
	require.Equal(t, "xsoc", status.Declined.By)
	require.Contains(t, status.Declined.Note, "20 bought 2026-04-01 (20 left, expires 2027-04-01)")
	require.Contains(t, status.Declined.Note, "10 bought 2025-04-01 (expired 2026-04-01)", "expired lots count nothing")
	require.Nil(t, status.Accepted)
	mail := w.outbox.all("email")
	require.Contains(t, mail[len(mail)-1].Subject, "declined")
	require.Contains(t, mail[len(mail)-1].Text, "balance 25", "the requester is told the balance")
	require.Equal(t, SLAMet, status.Clocks[0].State, "the SOC answered in time")
}

func TestRequestDecisionsAreRefusedWithAReason(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		decision string
		d        RequestDecision
		before   string // a decision applied first, by hanako
		want     string
	}{
		{"without by", DecisionAccept, RequestDecision{}, "", `"by" is required`},
		{"accept twice", DecisionAccept, RequestDecision{By: "taro"}, DecisionAccept, "already accepted by hanako"},
		{"done before accept", DecisionDone, RequestDecision{By: "taro", Note: "x"}, "", "not accepted yet"},
		{"done without note", DecisionDone, RequestDecision{By: "taro"}, DecisionAccept, `"note" is required`},
		{"decline without reason", DecisionDecline, RequestDecision{By: "taro"}, "", `"reason" is required`},
		{"acknowledge twice", DecisionAcknowledge, RequestDecision{By: "taro"}, DecisionAcknowledge, "already acknowledged by hanako"},
		// The request ends with the decline: the accept sent with it is refused when its turn comes.
		{"after decline", DecisionAccept, RequestDecision{By: "taro"}, DecisionDecline, "the request was declined (by hanako"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newRequestWorld(t)
			if tt.before != "" {
				w.answer(time.Minute, tt.before, RequestDecision{By: "hanako", Reason: "duplicate of CS-2026-0411"})
			}
			refused := w.answer(time.Minute, tt.decision, tt.d)
			w.answer(20*time.Minute, DecisionDecline, RequestDecision{By: "hanako", Reason: "test over"})
			w.answer(21*time.Minute, DecisionDone, RequestDecision{By: "hanako", Note: "test over"})

			w.run(requestInput(requestSOCPolicy(), CustomerRequest{Kind: RequestInvestigate, Host: "osk-pc-17"}))

			require.ErrorContains(t, refused.refusal(), tt.want)
		})
	}
}

func TestRequestDecisionsAsSignalsAndTheirRefusalsAreRecorded(t *testing.T) {
	t.Parallel()
	w := newRequestWorld(t)
	w.at(time.Minute, func() { w.env.SignalWorkflow(DecisionDone, RequestDecision{By: "taro", Note: "early"}) })
	w.at(2*time.Minute, func() {
		w.env.SignalWorkflow(DecisionDecline, RequestDecision{By: "hanako", Reason: "the PC was already reimaged"})
	})

	status := w.run(requestInput(requestSOCPolicy(), CustomerRequest{Kind: RequestIsolate, Host: "osk-pc-17"}))

	require.Equal(t, StateDeclined, status.State)
	require.Equal(t, "hanako", status.Declined.By)
	require.True(t, requestTimelineHas(status, "rejected", "done refused: the request is not accepted yet"))
	require.Equal(t, []string{"find osk-pc-17"}, w.platform.Calls())
	require.Contains(t, w.mailTo(requester), "[xsoc] Request CS-2026-0412 declined: isolate osk-pc-17")
	require.Equal(t, SLAMet, status.Clocks[0].State, "a decline answers the request")
}

func TestUnansweredRequestBreachesItsClockAndPagesTheNextLevel(t *testing.T) {
	t.Parallel()
	w := newRequestWorld(t)
	var atRisk string
	w.at(13*time.Minute, func() { atRisk, _ = w.last("XsocSLAState").(string) })
	w.answer(40*time.Minute, DecisionDecline, RequestDecision{By: "hanako", Reason: "out of scope"})
	policy := requestSOCPolicy()
	policy.SOC.Escalation["emergency"] = []config.Step{{After: 0, Contact: config.Contact{Call: "+81300009000", Name: "SOC manager"}}}

	status := w.run(requestInput(policy, CustomerRequest{Kind: RequestIsolate, Host: "osk-pc-17", Urgent: true}))

	require.Equal(t, SLAAtRisk, atRisk)
	require.Equal(t, SLABreached, status.Clocks[0].State)
	require.True(t, requestTimelineHas(status, "sla_breach", "not answered by"))
	require.Contains(t, w.outbox.pages("call"), "+81300009000", "the breach pages the next level up")
	require.Contains(t, w.outbox.pages("call"), "+81300009999", "the chain called the SOC on-call at 5m")
	require.True(t, w.seen("XsocSLAState", SLABreached))
	require.Equal(t, SLABreached, w.summary().Ack)
}

func TestRequestWithoutASOCPagesTheCustomersChainAndAPhoneKeypressStopsIt(t *testing.T) {
	t.Parallel()
	w := newRequestWorld(t)
	acked := w.answer(2*time.Minute, DecisionAcknowledge, RequestDecision{By: "IT on-call", Via: "phone", Note: "pressed 1"})
	w.answer(time.Hour, DecisionDecline, RequestDecision{By: "IT on-call", Reason: "we isolate it ourselves"})

	status := w.run(requestInput(testPolicy(), CustomerRequest{Kind: RequestIsolate, Host: "osk-pc-17", Urgent: true}))

	require.NoError(t, acked.err)
	require.Equal(t, []string{"+81300000003"}, w.outbox.pages("call"), "the customer's critical chain, once: acknowledged before it repeats")
	require.Equal(t, TierCustomer, status.Chain.Tier)
	require.Equal(t, "phone", status.Acknowledged.Via)
	require.Equal(t, SLAMet, status.Clocks[0].State)
	call := w.outbox.all("call")[0]
	require.Contains(t, call.Text, "Urgent customer request from ACME: isolate osk-pc-17. Press 1 to acknowledge.")
}

func TestAPlatformRefusalIsToldAndTheRequestEndsWithTheAnalystsNote(t *testing.T) {
	t.Parallel()
	w := newRequestWorld(t)
	w.platform.failures["isolate"] = &integrations.VendorError{Vendor: "cybereason", Operation: "isolate", StatusCode: 403, Message: "user lacks Responder role"}
	accepted := w.answer(time.Minute, DecisionAccept, RequestDecision{By: "hanako"})
	again := w.answer(2*time.Minute, DecisionAccept, RequestDecision{By: "hanako"})
	w.answer(3*time.Minute, DecisionDone, RequestDecision{By: "hanako", Note: "isolated by hand in the console"})

	status := w.run(requestInput(requestSOCPolicy(), CustomerRequest{Kind: RequestIsolate, Host: "osk-pc-17"}))

	require.ErrorContains(t, accepted.err, "user lacks Responder role")
	require.ErrorContains(t, again.rejected, "the isolate failed")
	require.Equal(t, []string{"find osk-pc-17", "isolate osk-pc-17"}, w.platform.Calls(), "a 4xx is not retried")
	require.Equal(t, StateDone, status.State)
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
	w.answer(3*time.Minute, DecisionAccept, RequestDecision{By: "hanako"})

	status := w.run(requestInput(policy, CustomerRequest{Kind: RequestIsolate, Host: "osk-pc-17", Urgent: true}))

	require.Equal(t, StateDone, status.State)
	require.Equal(t, []string{
		"[xsoc] ご依頼 CS-2026-0412 を受け付けました: osk-pc-17 の隔離",
		"[xsoc] ご依頼 CS-2026-0412 が完了しました: osk-pc-17 の隔離",
	}, w.mailTo(requester), "the requester hears each step in the customer's language")
	mail := w.outbox.all("email")
	done := mail[len(mail)-1]
	require.Contains(t, done.Text, "結果: cybereason: isolate osk-pc-17 confirmed", "with the vendor's answer")
	require.Contains(t, done.Text, "JST (+09:00)", "in the customer's time zone")

	var csirt []sentMessage
	for _, m := range w.outbox.all("slack") {
		if m.To == "#acme-csirt" {
			csirt = append(csirt, m)
		}
	}
	require.Len(t, csirt, 2, "the customer's Slack channel hears received and done")
	require.Contains(t, csirt[0].Text, "ご依頼 CS-2026-0412（osk-pc-17 の隔離）を受け付けました")
	require.Contains(t, csirt[1].Text, "cybereason: isolate osk-pc-17 confirmed")
	require.Empty(t, w.outbox.all("call"), "status updates are never phoned")
	require.Equal(t, []string{"#soc-urgent"}, w.outbox.pages("slack"), "the SOC is paged in its own channel")
}

// The Temporal UI shows each handler's description beside it: an analyst deciding a
// request there reads the JSON each decision takes.
func TestRequestHandlersNameTheJSONTheyTake(t *testing.T) {
	t.Parallel()
	w := newRequestWorld(t)
	var metadata sdkpb.WorkflowMetadata
	w.at(time.Minute, func() { w.query("__temporal_workflow_metadata", &metadata) })
	w.answer(2*time.Minute, DecisionDecline, RequestDecision{By: "hanako", Reason: "test over"})

	w.run(requestInput(requestSOCPolicy(), CustomerRequest{Kind: RequestIsolate, Host: "osk-pc-17"}))

	definition := metadata.GetDefinition()
	described := func(name string, handlers []*sdkpb.WorkflowInteractionDefinition) string {
		for _, h := range handlers {
			if h.GetName() == name {
				return h.GetDescription()
			}
		}
		return ""
	}
	want := map[string]string{DecisionAcknowledge: `{"by": `, DecisionAccept: `{"by": "analyst", "note": `,
		DecisionDecline: `{"by": "analyst", "reason": `, DecisionDone: `{"by": "analyst", "note": `}
	for _, name := range RequestDecisions {
		require.Contains(t, described(name, definition.GetUpdateDefinitions()), want[name], "update %s", name)
		require.Contains(t, described(name, definition.GetSignalDefinitions()), want[name], "signal %s", name)
	}
	require.NotEmpty(t, described(QueryStatus, definition.GetQueryDefinitions()))
}
