package soc

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// A detect customer's burst of 50 false positives and one real incident: the SOC is
// paged for all 51, the customer for the real one only.
func TestTheCustomerHearsOfTheRealIncidentOnlyAndTheSOCOfEveryAlert(t *testing.T) {
	t.Parallel()
	var alerts []map[string]any
	for i := range 50 {
		alerts = append(alerts, alert(fmt.Sprintf("fp-%d", i), fmt.Sprintf("Noisy heuristic %d", i), "high", fmt.Sprintf("ws-%d", i)))
	}
	alerts = append(alerts, alert("real-1", "Credential dumping (mimikatz)", "high", "fin-pc-7"))
	ids := postAll(t, "initech", alerts, 10)

	eventually(t, 180*time.Second, "the SOC paged for all 51", func() error {
		if n := len(mailsAbout(t, "soc-triage@xsoc.example", "Initech")); n != 51 {
			return fmt.Errorf("%d SOC pages", n)
		}
		return nil
	})
	for _, id := range ids[:50] {
		if err := decide(t, id, "verdict", map[string]any{"by": "hanako", "verdict": "false_positive", "note": "known heuristic"}); err != nil {
			t.Fatalf("verdict on %s: %v", id, err)
		}
	}
	if err := decide(t, ids[50], "verdict", map[string]any{"by": "hanako", "verdict": "true_positive", "note": "mimikatz confirmed"}); err != nil {
		t.Fatal(err)
	}

	eventually(t, 30*time.Second, "the customer's chain paged for the real one", func() error {
		pages := mailsAbout(t, "it@initech.example", "Initech")
		if len(pages) != 1 || !strings.Contains(pages[0].Subject, "mimikatz") {
			return fmt.Errorf("customer pages: %v", subjects(pages))
		}
		var calls int
		for _, c := range xsoc.Twilio.Calls() {
			if c.To == "+15550001111" {
				calls++
			}
		}
		if calls != 1 {
			return fmt.Errorf("%d calls to the customer's on-call", calls)
		}
		return nil
	})
	for _, m := range mails(t, "to:csirt@initech.example") {
		if strings.Contains(m.Subject, "Noisy heuristic") {
			t.Errorf("the customer's CSIRT heard of a false positive: %s", m.Subject)
		}
	}
	time.Sleep(2 * time.Second)
	if pages := mailsAbout(t, "it@initech.example", "Initech"); len(pages) != 1 {
		t.Errorf("the customer got %d pages, want 1: %v", len(pages), subjects(pages))
	}
	if s := status(t, ids[50]); s.Acknowledged == nil || s.Acknowledged.By != "hanako" || s.CustomerAcknowledged != nil {
		t.Errorf("acknowledgements: SOC %+v, customer %+v", s.Acknowledged, s.CustomerAcknowledged)
	}
}

func subjects(messages []mailpitMessage) []string {
	var list []string
	for _, m := range messages {
		list = append(list, m.Subject)
	}
	return list
}
