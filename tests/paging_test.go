package tests

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"xsoc/identity"
	twiliosim "xsoc/integrations/twilio/sim"
	"xsoc/workflows/api"
)

const cso = "+81300000001"

// callFor waits for the Twilio simulator's call of an incident.
func callFor(t *testing.T, workflowID string) twiliosim.Call {
	t.Helper()
	var found twiliosim.Call
	eventually(t, 20*time.Second, "a call for "+workflowID, func() error {
		for _, call := range xsoc.Twilio.Calls() {
			if strings.Contains(call.StatusCallback, strings.ReplaceAll(workflowID, "/", "%2F")) {
				found = call
				return nil
			}
		}
		return fmt.Errorf("%d calls, none for it", len(xsoc.Twilio.Calls()))
	})
	return found
}

// TestEmergencyIsEmailedCalledAndAcknowledgedByKeypress runs its two incidents one
// after the other: the simulated CSO behaves differently for each.
func TestEmergencyIsEmailedCalledAndAcknowledgedByKeypress(t *testing.T) {
	xsoc.Twilio.SetBehavior(cso, twiliosim.NoAnswer)
	forged := postGeneric(t, "acme", fmt.Sprintf("emg-forged-%d", time.Now().UnixNano()), "emergency", "fs-core01")
	call := callFor(t, forged)
	resp, err := xsoc.Twilio.ForgedPressDigit(context.Background(), call.SID, "1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("forged keypress answered %d, want 403", resp.StatusCode)
	}
	if status := incidentStatus(t, forged); status.Acknowledged != nil {
		t.Fatalf("a forged keypress acknowledged the incident: %+v", status.Acknowledged)
	}
	mustDecide(t, forged, api.DecisionClose, map[string]any{"by": "test", "note": "forged keypress test"})

	xsoc.Twilio.SetBehavior(cso, twiliosim.Answer("1"))
	defer xsoc.Twilio.SetBehavior(cso, twiliosim.NoAnswer)
	alert := fmt.Sprintf("emg-%d", time.Now().UnixNano())
	id := postGeneric(t, "acme", alert, "emergency", "fs-core02")
	waitMail(t, "it-ml@acme.example", "[xsoc][EMERGENCY] ACME Manufacturing: Credential dumping (mimikatz) "+alert)
	call = callFor(t, id)
	if !strings.Contains(call.TwiML, "Press 1 to acknowledge") || call.To != cso {
		t.Fatalf("call: %+v", call)
	}
	var status api.IncidentStatus
	eventually(t, 20*time.Second, "the keypress acknowledgement", func() error {
		status = incidentStatus(t, id)
		if status.Acknowledged == nil {
			return fmt.Errorf("not acknowledged")
		}
		return nil
	})
	// The keypress is proven by the call the chain placed to the CSO's number.
	if status.Acknowledged.By != "CSO" || !status.Acknowledged.Verified || status.Acknowledged.Via != identity.ViaCall {
		t.Fatalf("acknowledged by %+v", status.Acknowledged)
	}
	mustDecide(t, id, api.DecisionClose, map[string]any{"by": "cso", "note": "handled"})
}

func TestSlackButtonGivesTheVerdict(t *testing.T) {
	t.Parallel()
	id := postGeneric(t, "acme", fmt.Sprintf("slack-%d", time.Now().UnixNano()), "critical", "fs-slack01")
	channel, ts := slackPage(t, id)
	forged, err := xsoc.Slack.ForgedClick(context.Background(), xsoc.StarterURL+"/v1/callbacks/slack", channel, ts, "contain", "mallory")
	if err != nil {
		t.Fatal(err)
	}
	forged.Body.Close()
	if forged.StatusCode != http.StatusUnauthorized {
		t.Fatalf("forged click answered %d", forged.StatusCode)
	}
	if status := incidentStatus(t, id); status.Decisions != 0 {
		t.Fatalf("a forged click reached the incident: %d decisions", status.Decisions)
	}
	resp, err := xsoc.Slack.Click(context.Background(), xsoc.StarterURL+"/v1/callbacks/slack", channel, ts, "verdict_false_positive", "hanako")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("click answered %d", resp.StatusCode)
	}
	final := waitClosed(t, id)
	if final.Verdict != api.VerdictFalsePositive || final.Acknowledged == nil || final.Acknowledged.Via != "slack" {
		t.Fatalf("after the click: verdict %q, acknowledged %+v", final.Verdict, final.Acknowledged)
	}
	eventually(t, 10*time.Second, "the message showing who decided", func() error {
		for _, m := range xsoc.Slack.Messages() {
			if m.TS == ts && m.Updated && strings.Contains(string(m.Blocks), "hanako") {
				return nil
			}
		}
		return fmt.Errorf("message not updated")
	})
}
