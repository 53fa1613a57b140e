package faults

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	twiliosim "xsoc/integrations/twilio/sim"
	"xsoc/internal/e2e"
	"xsoc/workflows/api"
)

const (
	isolatePath = e2e.CybereasonIsolatePath
	sensorsPath = "/rest/sensors/query"
)

// raiseMalop has the Cybereason console detect a MalOp on a new machine and pushes it
// to intake, as a forwarder would: it answers the incident's workflow id and the
// machine's sensor id.
func raiseMalop(t *testing.T, severity, host string) (string, string) {
	t.Helper()
	body, guid, pylumID := e2e.NewMalop(t, xsoc.Cybereason, "Ransomware behaviour", severity, host)
	id := postNew(t, "cybereason", "acme", body)
	if id != api.IncidentWorkflowID("acme", "cybereason", guid) {
		t.Fatalf("workflow id %s", id)
	}
	return id, pylumID
}

// isolateCalls counts the isolate commands the console received for one sensor.
func isolateCalls(pylumID string) int { return e2e.IsolateCalls(xsoc.Cybereason, pylumID) }

// waitContained waits until the incident is contained by its status and its
// XsocContained search attribute.
func waitContained(t *testing.T, id string, within time.Duration) {
	t.Helper()
	e2e.Eventually(t, within, id+" contained", func() error {
		s := status(t, id)
		if s.State != api.StateContained || !s.Containment.Active() {
			return fmt.Errorf("state %s, containment %+v", s.State, s.Containment)
		}
		if contained := searchAttributes(t, id)["XsocContained"]; contained != "true" {
			return fmt.Errorf("XsocContained=%q", contained)
		}
		return nil
	})
}

// takeDown takes a part of the stack down (StopPart, or Kill for a crash) and answers
// the function that starts it again, which also runs if the test ends first: the
// next tests need the whole stack.
func takeDown(t *testing.T, part string, down func(string) error) (bringBack func()) {
	t.Helper()
	if err := down(part); err != nil {
		t.Fatal(err)
	}
	back := false
	bringBack = func() {
		t.Helper()
		if back {
			return
		}
		back = true
		if err := xsoc.StartPart(part); err != nil {
			t.Fatalf("starting %s again: %v", part, err)
		}
	}
	t.Cleanup(bringBack)
	return bringBack
}

// A worker killed while the vendor holds its isolate call: the call stays done at the
// vendor, the activity's heartbeat stops, Temporal retries it on the restarted worker
// within its 10 s heartbeat timeout (not its 1 min start-to-close timeout), and the
// retry finds the machine isolated instead of isolating again.
func TestWorkerKilledMidIsolationContainsOnceAfterRestart(t *testing.T) {
	xsoc.Cybereason.SlowNext(isolatePath, 5*time.Second, 1)
	host := unique("pc-kill")
	id, pylumID := raiseMalop(t, "High", host)
	e2e.Eventually(t, 20*time.Second, "the isolate call at the console", func() error {
		if isolateCalls(pylumID) == 0 {
			return fmt.Errorf("no isolate call for %s yet", host)
		}
		return nil
	})
	takeDown(t, "worker", xsoc.Kill)()
	restarted := time.Now()
	waitContained(t, id, 20*time.Second)
	t.Logf("contained %s after the worker's restart", time.Since(restarted).Round(100*time.Millisecond))
	if n := isolateCalls(pylumID); n != 1 || !xsoc.Cybereason.IsIsolated(host) {
		t.Fatalf("%d isolate calls for %s (isolated: %v), want 1", n, host, xsoc.Cybereason.IsIsolated(host))
	}
}

// Temporal stopped: intake answers 503 with Retry-After and starts nothing; once the
// server is back, the sender's retry makes the incident, once.
func TestTemporalDownIntakeAnswers503ThenTheRetryMakesOneIncident(t *testing.T) {
	alertID := unique("tmp-down")
	body := genericAlert(alertID, "high", unique("pc-tmp"))
	bringBack := takeDown(t, "temporal", xsoc.StopPart)
	posted := time.Now()
	code, data, header := post(t, "generic", "initech", body)
	t.Logf("intake answered %d after %s: %s", code, time.Since(posted).Round(100*time.Millisecond), data)
	if code != http.StatusServiceUnavailable || header.Get("Retry-After") == "" || !strings.Contains(string(data), "Temporal") {
		t.Fatalf("with Temporal down: %d Retry-After=%q %s", code, header.Get("Retry-After"), data)
	}
	bringBack()
	// The sender retries until intake takes the alert (202, or 200 had a try that
	// timed out on the way back started it after all).
	var first, again intakeAnswer
	e2e.Eventually(t, 30*time.Second, "intake taking the alert again", func() error {
		code, data, _ := post(t, "generic", "initech", body)
		if code != http.StatusAccepted && code != http.StatusOK {
			return fmt.Errorf("%d %s", code, data)
		}
		if err := json.Unmarshal(data, &first); err != nil || len(first.Incidents) != 1 {
			t.Fatalf("intake's answer %s: %v", data, err)
		}
		return nil
	})
	code, data, _ = post(t, "generic", "initech", body)
	if err := json.Unmarshal(data, &again); err != nil || code != http.StatusOK || len(again.Incidents) != 1 ||
		!again.Incidents[0].Duplicate || again.Incidents[0].WorkflowID != first.Incidents[0].WorkflowID {
		t.Fatalf("a third delivery: %d %s", code, data)
	}
	id := first.Incidents[0].WorkflowID
	// Visibility lists a new run a moment after it started (the dev server just came
	// back): wait for one, and fail at once on two.
	e2e.Eventually(t, 10*time.Second, "one run of "+id, func() error {
		n := e2e.Count(t, xsoc.Temporal, fmt.Sprintf(`WorkflowId = %q`, id))
		if n > 1 {
			t.Fatalf("%d runs of %s, want 1", n, id)
		}
		if n == 0 {
			return fmt.Errorf("no run of %s listed yet", id)
		}
		return nil
	})
	// The worker rode the outage out: it runs the new incident.
	e2e.Eventually(t, 20*time.Second, "the incident paging", func() error {
		if s := status(t, id); len(s.Paged) == 0 {
			return fmt.Errorf("state %s, nobody paged", s.State)
		}
		return nil
	})
}

// The SMTP server down for over 30 s from the page's first attempt: the page goes out
// once it is back, once.
func TestSMTPDownThePageIsDeliveredOnceItReturns(t *testing.T) {
	host := unique("pc-smtp")
	bringBack := takeDown(t, "mailpit", xsoc.StopPart)
	id := postNew(t, "generic", "initech", genericAlert(unique("smtp-down"), "high", host))
	time.Sleep(32 * time.Second)
	s := status(t, id)
	if i := slices.IndexFunc(s.Paged, func(p api.Page) bool { return p.Channel == "email" }); i < 0 || s.Paged[i].Ref != "" || s.Paged[i].Error != "" {
		t.Fatalf("while SMTP is down, the email page should be pending: %+v", s.Paged)
	}
	bringBack()
	back := time.Now()
	e2e.Eventually(t, 60*time.Second, "the page in Mailpit", func() error {
		if n := len(mails(t, "it@initech.example", host)); n == 0 {
			return fmt.Errorf("no mail about %s", host)
		}
		return nil
	})
	t.Logf("delivered %s after SMTP came back", time.Since(back).Round(100*time.Millisecond))
	e2e.Eventually(t, 10*time.Second, "the delivery recorded", func() error {
		if !timelineHas(status(t, id), "notified", "it@initech.example") {
			return fmt.Errorf("not recorded")
		}
		return nil
	})
	if got := mails(t, "it@initech.example", host); len(got) != 1 {
		t.Fatalf("%d mails about %s, want 1: %+v", len(got), host, got)
	}
}

// Slack and Twilio answering 5xx: each page is retried until it goes through, once,
// and the chain's next step pages meanwhile.
func TestSlackAndTwilioFailingAreRetriedAndTheChainStillPages(t *testing.T) {
	t.Parallel()
	const phone = "+15550002222"
	xsoc.Twilio.SetBehavior(phone, twiliosim.NoAnswer)
	// Slack is down for about 16 s: longer than the chain takes to reach its email step.
	xsoc.Slack.FailNext("/api/chat.postMessage", http.StatusServiceUnavailable, 8, "2")
	xsoc.Twilio.FailNext("POST Calls.json", http.StatusInternalServerError, 2, "1")
	host := unique("pc-chat")
	id := postNew(t, "generic", "globex", genericAlert(unique("chat-down"), "high", host))
	e2e.Eventually(t, 20*time.Second, "the email step", func() error {
		if n := len(mails(t, "it@globex.example", host)); n == 0 {
			return fmt.Errorf("no mail about %s", host)
		}
		return nil
	})
	if slackPosts(host) != 0 {
		t.Fatal("Slack took the page before the email step: the test did not keep Slack down long enough")
	}
	e2e.Eventually(t, 60*time.Second, "the Slack page and the call", func() error {
		if n := slackPosts(host); n != 1 {
			return fmt.Errorf("%d Slack messages about %s", n, host)
		}
		if n := calls(phone, id); n != 1 {
			return fmt.Errorf("%d calls to %s", n, phone)
		}
		return nil
	})
	s := status(t, id)
	for _, p := range s.Paged {
		if p.Error != "" {
			t.Errorf("page %s to %s failed: %s", p.Channel, p.Address, p.Error)
		}
	}
	if n := xsoc.Slack.CountRequests("/api/chat.postMessage"); n < 9 {
		t.Errorf("chat.postMessage asked %d times, want the 8 failures retried", n)
	}
}

func slackPosts(host string) int {
	n := 0
	for _, m := range xsoc.Slack.Messages() {
		if m.ChannelName == "globex-soc" && strings.Contains(m.Text, host) {
			n++
		}
	}
	return n
}

// calls counts the calls placed to a number about an incident (its id is in the
// callback URL).
func calls(number, workflowID string) int {
	n := 0
	for _, c := range xsoc.Twilio.Calls() {
		if c.To == number && strings.Contains(c.StatusCallback, url.QueryEscape(workflowID)) {
			n++
		}
	}
	return n
}

// The vendor down past the contain SLA: the breach is recorded and paged, and the
// isolation still happens, once, when the vendor is back.
func TestVendorDownPastTheContainSLAIsRecordedAndPaged(t *testing.T) {
	t.Parallel()
	// Each isolation attempt asks the console for the machine's sensor first: the
	// console answers 503 (retry after 1 s) for about 10 s, past the 6 s promised.
	xsoc.Cybereason.FailNextWith(sensorsPath, http.StatusServiceUnavailable, 10, "1", "Service temporarily unavailable")
	host := unique("pc-sla")
	id, pylumID := raiseMalop(t, "Critical", host)
	e2e.Eventually(t, 20*time.Second, "the contain breach", func() error {
		s := status(t, id)
		if !timelineHas(s, "sla_breach", api.ClockContain) {
			return fmt.Errorf("no breach in the timeline; state %s", s.State)
		}
		if sla := searchAttributes(t, id)["XsocSLAState"]; sla != api.SLABreached {
			return fmt.Errorf("XsocSLAState=%q", sla)
		}
		return nil
	})
	if s := status(t, id); s.Containment.Active() {
		t.Fatalf("contained before the breach: the vendor was not down long enough (%+v)", s.Containment)
	}
	e2e.Eventually(t, 20*time.Second, "the breach page", func() error {
		if n := len(mails(t, "ciso@acme.example", host)); n != 1 {
			return fmt.Errorf("%d breach mails about %s", n, host)
		}
		return nil
	})
	waitContained(t, id, 30*time.Second)
	if n := isolateCalls(pylumID); n != 1 {
		t.Fatalf("%d isolate calls for %s, want 1", n, host)
	}
	if sla := searchAttributes(t, id)["XsocSLAState"]; sla != api.SLABreached {
		t.Fatalf("XsocSLAState=%q after containment, want it to stay breached", sla)
	}
}
