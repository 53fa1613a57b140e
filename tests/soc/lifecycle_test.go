package soc

import (
	"context"
	"fmt"
	"testing"
	"time"

	"xsoc/internal/e2e"
	"xsoc/workflows/api"
)

// An incident that owned a host ends — terminated by an operator (it runs no code),
// cancelled, or closed by an analyst — and the next alert for that host matches a
// suppression rule: it is suppressed, not handed to the incident that is over (which
// fails the join and pages the alert on its own).
func TestAlertForTheHostOfAnIncidentThatIsOverIsSuppressedByItsRule(t *testing.T) {
	t.Parallel()
	addRule(t, "stark", map[string]any{"by": "hanako", "approved_by": "sato", "reason": "IT's remote admin tool",
		"expires": time.Now().Add(30 * 24 * time.Hour).UTC().Format(time.RFC3339),
		"match":   map[string]any{"detection": "Remote admin tool*"}})
	run := time.Now().UnixNano()
	ends := map[string]func(ctx context.Context, id string) error{
		"terminated": func(ctx context.Context, id string) error {
			return xsoc.Temporal.TerminateWorkflow(ctx, id, "", "operator cleanup")
		},
		"cancelled": func(ctx context.Context, id string) error { return xsoc.Temporal.CancelWorkflow(ctx, id, "") },
		"closed": func(_ context.Context, id string) error {
			return decide(t, id, api.DecisionClose, map[string]any{"by": "hanako", "note": "benign"})
		},
	}
	for how, end := range ends {
		t.Run(how, func(t *testing.T) {
			t.Parallel()
			host := fmt.Sprintf("st-%s-%d", how, run%100000)
			owner := postAlert(t, "stark", alert(fmt.Sprintf("owner-%s-%d", how, run), "Odd login ("+how+")", "high", host))
			eventually(t, 30*time.Second, owner+" in the SOC queue", func() error {
				if s := status(t, owner); s.State != api.StateInvestigating {
					return fmt.Errorf("state %s", s.State)
				}
				return nil
			})
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := end(ctx, owner); err != nil {
				t.Fatalf("ending %s (%s): %v", owner, how, err)
			}
			waitClosed(t, owner)

			next := postAlert(t, "stark", alert(fmt.Sprintf("next-%s-%d", how, run), "Remote admin tool started", "high", host))
			eventually(t, 60*time.Second, next+" suppressed by the rule", func() error {
				attributes := e2e.SearchAttributes(t, xsoc.Temporal, next)
				if attributes["XsocState"] != api.StateSuppressed || attributes["XsocRule"] == "" {
					return fmt.Errorf("state %s, rule %q, parent %q", attributes["XsocState"], attributes["XsocRule"], attributes["XsocParent"])
				}
				return nil
			})
			if s := status(t, next); len(s.Paged) > 0 {
				t.Fatalf("the suppressed alert paged: %+v", s.Paged)
			}
		})
	}
}
