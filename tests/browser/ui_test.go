package browser

import (
	"context"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"xsoc/identity"
	"xsoc/internal/e2e"
	"xsoc/workflows/api"
)

// TestAnalystDecidesInTheTemporalUI is the analyst's path in the bundled Temporal UI:
// open the incident (its payloads decrypted through the starter's codec server), Send
// an Update `verdict` without saying who she is, see its result, and read the decrypted
// `status` query: the decision is hanako's, verified by the SSO proxy in front of the
// codec server (issue 25).
func TestAnalystDecidesInTheTemporalUI(t *testing.T) {
	t.Parallel()
	alertID := fmt.Sprintf("ui-%d", time.Now().UnixNano())
	id := postAlert(t, "globex", alertID, "high", "gx-pc-"+alertID)
	var run string
	eventually(t, 20*time.Second, id+" investigating", func() error {
		if s := status(t, id); s.State != api.StateInvestigating {
			return fmt.Errorf("state %s", s.State)
		}
		described, err := e2e.Describe(t.Context(), xsoc.Temporal, id, "")
		if err != nil {
			return err
		}
		run = described.GetWorkflowExecutionInfo().GetExecution().GetRunId()
		return nil
	})
	ctx := page(t)
	incident := xsoc.Dev.UIURL() + "/namespaces/default/workflows/" + url.PathEscape(id) + "/" + run
	do(t, ctx, "opening the incident in the Temporal UI", chromedp.Navigate(incident+"/history"),
		// The UI decodes the input through the codec server: the alert is readable.
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="data-encoder-status-success"]`)),
		waitText(`[data-testid="input-and-result"]`, "Credential dumping "+alertID))

	do(t, ctx, "opening Send an Update", clickVisible(`button[aria-controls="workflow-actions"]`, ""),
		clickVisible(`[data-testid="update-button"]`, ""))
	nameUpdate(t, ctx, api.DecisionVerdict)
	do(t, ctx, "writing the decision", typeInto(`#update-confirmation-modal [contenteditable="true"]`,
		`{"verdict": "false_positive", "note": "admin tool"}`))
	do(t, ctx, "sending the update", clickVisible(`#update-confirmation-modal button[type="submit"]`, ""))
	// The update's result, decoded, in the event history.
	do(t, ctx, "seeing the update's result", waitText(`[data-testid="event-summary-table"]`, `"message":"resolved as false_positive"`))

	final := status(t, id)
	if final.State != api.StateResolved || final.Verdict != api.VerdictFalsePositive || final.Decider == nil || final.Decider.By != "hanako" ||
		!final.Decider.Verified || final.Decider.Via != identity.ViaSSO {
		t.Fatalf("after the UI's update: state %s, verdict %s, decider %+v", final.State, final.Verdict, final.Decider)
	}

	openQueries(t, ctx, incident+"/query")
	do(t, ctx, "running the status query",
		clickVisible(`[data-testid="query-select-button"]`, ""), clickVisible(`#query-select-select li[role="option"] span`, api.QueryStatus),
		clickVisible(`button`, "Run Query"))
	for _, want := range []string{`"workflow_id": "` + id + `"`, `"verdict": "false_positive"`, `"state": "resolved"`, `"by": "hanako"`, `"verified": true`, `"via": "sso"`, `"note": "admin tool"`} {
		do(t, ctx, "reading "+want+" in the decrypted status", waitText(`[data-testid="query-result"]`, want))
	}
}

// nameUpdate names the update in the Send an Update form the way the UI offers it. The
// UI lists the workflow's updates when its metadata query (answered by the worker) came
// back when the page loaded; when that query was slow or failed (a busy 2-core CI
// machine) it offers a free-text Name instead, and an analyst types the name there.
func nameUpdate(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	field := read(t, ctx, "finding the update's Name field", chromedp.PollFunction[string](`() => {
		const shown = css => [...document.querySelectorAll(css)].some(e => e.getClientRects().length > 0);
		if (shown('#update-confirmation-modal [data-testid="update-select-button"]')) return "list";
		if (shown('#update-confirmation-modal input#update-name')) return "text";
		return false;
	}`, chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(stepTimeout)))
	if field == "text" {
		t.Log("the UI offers a free-text update Name (its metadata query did not answer): typing " + name)
		do(t, ctx, "typing the update's name", typeInto(`#update-confirmation-modal input#update-name`, name))
		return
	}
	do(t, ctx, "choosing the "+name+" update", clickVisible(`#update-confirmation-modal [data-testid="update-select-button"]`, ""),
		clickVisible(`#update-select-select li[role="option"] span`, name))
}

// openQueries opens the incident's Queries tab. The tab lists the queries from the same
// metadata query as the update form and, when that query did not answer, shows "no
// workers running" with no list: the analyst reloads the page, and so does the test, a
// few times, before it calls the UI broken.
func openQueries(t *testing.T, ctx context.Context, queries string) {
	t.Helper()
	const tries = 3
	for try := 1; ; try++ {
		step, cancel := context.WithTimeout(ctx, stepTimeout/2)
		err := chromedp.Do(step, chromedp.Navigate(queries), chromedp.WaitVisible(chromedp.CSS(`[data-testid="query-select-button"]`)))
		cancel()
		if err == nil {
			return
		}
		if try == tries {
			t.Fatalf("opening the Queries tab: no query list after %d loads: %v", tries, err)
		}
		t.Logf("the Queries tab shows no query list (load %d: %v): reloading", try, err)
	}
}
