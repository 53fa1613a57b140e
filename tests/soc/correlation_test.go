package soc

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"xsoc/internal/e2e"
	"xsoc/workflows/api"
)

// Two alerts for one host posted at the same instant end in one open incident, fifty
// times over: the other joins it, whichever arrives first. (Each pair has detections
// of its own: pairs sharing one would rightly form a campaign.)
func TestTwoAlertsForOneHostPostedTogetherEndInOneOpenIncident(t *testing.T) {
	t.Parallel()
	type pair struct{ a, b string }
	pairs := make([]pair, 50)
	var wg sync.WaitGroup
	for i := range pairs {
		host := fmt.Sprintf("pair-host-%d", i)
		wg.Add(2)
		go func() {
			defer wg.Done()
			pairs[i].a = postAlert(t, "hooli", alert(fmt.Sprintf("p%d-a", i), fmt.Sprintf("Mimikatz %d", i), "high", host))
		}()
		go func() {
			defer wg.Done()
			pairs[i].b = postAlert(t, "hooli", alert(fmt.Sprintf("p%d-b", i), fmt.Sprintf("Lateral movement %d", i), "high", host))
		}()
	}
	wg.Wait()
	for i, p := range pairs {
		eventually(t, 60*time.Second, fmt.Sprintf("pair %d settled", i), func() error {
			// A query waits for the incident's workflow task, which may be waiting for
			// triage's answer under load: ask again rather than fail.
			a, err := e2e.Query[api.IncidentStatus](xsoc.Temporal, p.a, api.QueryStatus)
			if err != nil {
				return err
			}
			b, err := e2e.Query[api.IncidentStatus](xsoc.Temporal, p.b, api.QueryStatus)
			if err != nil {
				return err
			}
			var open, merged []api.IncidentStatus
			for _, s := range []api.IncidentStatus{a, b} {
				switch s.State {
				case api.StateMerged:
					merged = append(merged, s)
				case api.StateNew:
					return fmt.Errorf("%s is still new", s.WorkflowID)
				default:
					open = append(open, s)
				}
			}
			if len(open) != 1 || len(merged) != 1 {
				var lines []string
				for _, e := range a.Timeline {
					lines = append(lines, e.Kind+": "+e.Text)
				}
				return fmt.Errorf("open %d, merged %d (states %s, %s); %s", len(open), len(merged), a.State, b.State, strings.Join(lines, " | "))
			}
			if merged[0].Parent != open[0].WorkflowID {
				return fmt.Errorf("%s joined %q, not %s", merged[0].WorkflowID, merged[0].Parent, open[0].WorkflowID)
			}
			if len(open[0].Joined) != 1 {
				return fmt.Errorf("the open incident holds %d joined alerts", len(open[0].Joined))
			}
			return nil
		})
	}
}

// A storm of high alerts pages the SOC once, then digests; a critical alert posted in
// the middle of it is still paged by itself.
func TestStormPagesTheSOCByDigestWhileACriticalAlertIsPagedAlone(t *testing.T) {
	t.Parallel()
	var alerts []map[string]any
	for i := range 500 {
		alerts = append(alerts, alert(fmt.Sprintf("storm-%d", i), fmt.Sprintf("Heuristic %d", i), "high", fmt.Sprintf("st-%d", i)))
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		postAll(t, "cyberdyne", alerts, 20)
	}()
	time.Sleep(2 * time.Second)
	critical := postAlert(t, "cyberdyne", alert("storm-critical", "Ransomware encryption", "critical", "cd-fs-01"))
	<-done

	eventually(t, 60*time.Second, "the critical alert paged by itself", func() error {
		for _, m := range mails(t, "to:soc-urgent@xsoc.example") {
			if strings.Contains(m.Subject, "Ransomware") {
				return nil
			}
		}
		return fmt.Errorf("no page to soc-urgent for %s", critical)
	})
	eventually(t, 180*time.Second, "the storm paged, digested and ended", func() error {
		var started, digests, ended int
		for _, m := range mails(t, "to:soc-notices@xsoc.example") {
			if !strings.Contains(m.Subject+m.Snippet, "Cyberdyne") && !strings.Contains(m.Subject+m.Snippet, "cyberdyne") {
				continue
			}
			switch subject := m.Subject; {
			case strings.Contains(subject, "storm mode started"):
				started++
			case strings.Contains(subject, "storm mode ended"):
				ended++
			case strings.Contains(subject, "alerts in storm mode"):
				digests++
			}
		}
		if started != 1 || digests < 1 || ended != 1 {
			return fmt.Errorf("storm notices: %d started, %d digests, %d ended", started, digests, ended)
		}
		return nil
	})
	pages := mailsAbout(t, "soc-triage@xsoc.example", "Cyberdyne")
	if len(pages) > 60 {
		t.Errorf("the SOC got %d pages for 500 storm alerts; want the ones before the storm began only", len(pages))
	}
	if n := count(t, `WorkflowType="Incident" AND XsocCustomer="cyberdyne"`); n < 501 {
		t.Errorf("visibility lists %d of the 501 incidents: every alert is still an incident", n)
	}
}
