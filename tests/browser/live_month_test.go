package browser

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"xsoc/starter/server"
	"xsoc/workflows/api"
)

// TestDashboardCountsTheMonthWhileItsIncidentsAreOpen (issue 26): three of umbrella's
// alerts come in, two are acknowledged, one breaches its ack clock, and none is
// closed. The figures the test computes from the incidents' own statuses are on the
// page at once: alerts in 3, the breach listed with its clock, MTTA over the two
// acknowledgements, each in its Severity's row — and no "no breach" beside it.
func TestDashboardCountsTheMonthWhileItsIncidentsAreOpen(t *testing.T) {
	t.Parallel()
	n := time.Now().UnixNano()
	first := postAlert(t, "umbrella", fmt.Sprintf("live-a-%d", n), "high", fmt.Sprintf("um-a-%d", n))
	second := postAlert(t, "umbrella", fmt.Sprintf("live-b-%d", n), "high", fmt.Sprintf("um-b-%d", n))
	late := postAlert(t, "umbrella", fmt.Sprintf("live-c-%d", n), "low", fmt.Sprintf("um-c-%d", n))
	decide(t, first, api.DecisionAcknowledge, map[string]any{"by": "hanako"})
	time.Sleep(700 * time.Millisecond)
	decide(t, second, api.DecisionAcknowledge, map[string]any{"by": "taro"})
	waitBreached(t, late)

	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	statuses := []api.IncidentStatus{status(t, first), status(t, second), status(t, late)}
	month := statuses[2].OpenedAt.In(tokyo).Format("2006-01")
	for _, s := range statuses {
		if !s.ClosedAt.IsZero() {
			t.Fatalf("%s is no longer open (%s): the test is about open incidents", s.WorkflowID, s.State)
		}
	}
	want := expect(month, tokyo, statuses)
	if len(want.breaches) != 1 || len(want.durations[api.DurationAck]) != 2 {
		t.Fatalf("the incidents did not go as planned: breaches %+v, acks %v", want.breaches, want.durations[api.DurationAck])
	}
	mttaMedian, mttaP90 := quantile(want.durations[api.DurationAck], 0.5), quantile(want.durations[api.DurationAck], 0.9)

	var view server.SLAView
	eventually(t, 20*time.Second, "the account counting the open incidents", func() error {
		if view, err = slaJSON(t, "umbrella", month); err != nil {
			return err
		}
		if view.Figures.Funnel.AlertsIn != 3 || view.Figures.Durations[api.DurationAck].Count != 2 || len(view.Figures.Breaches) != 1 {
			return fmt.Errorf("alerts in %d, acks %d, breaches %d", view.Figures.Funnel.AlertsIn,
				view.Figures.Durations[api.DurationAck].Count, len(view.Figures.Breaches))
		}
		return nil
	})
	if b := view.Figures.Breaches[0]; b.Incident != late || b.Clock != api.ClockAck || !b.At.Equal(want.breaches[0].At) {
		t.Errorf("breach %+v, want %+v", b, want.breaches[0])
	}
	if q := view.Figures.Durations[api.DurationAck]; math.Abs(q.MedianSeconds-mttaMedian) > 0.001 || math.Abs(q.P90Seconds-mttaP90) > 0.001 {
		t.Errorf("MTTA %+v, want median %.3fs p90 %.3fs", q, mttaMedian, mttaP90)
	}
	high, low := view.Figures.BySeverity["high"], view.Figures.BySeverity["low"]
	if high.AlertsIn != 2 || high.Durations[api.DurationAck].Count != 2 || len(high.BreachesByClock) != 0 {
		t.Errorf("high: %+v, want 2 alerts in, 2 acknowledgements, no breach", high)
	}
	if low.AlertsIn != 1 || low.BreachesByClock[api.ClockAck] != 1 || low.Durations[api.DurationAck].Count != 0 {
		t.Errorf("low: %+v, want 1 alert in, its ack clock breached, no acknowledgement", low)
	}

	ctx := page(t)
	path := "/dashboard/umbrella?month=" + month
	do(t, ctx, "signing in", chromedp.Navigate(xsoc.StarterURL+path), chromedp.WaitVisible(chromedp.ID("token")),
		chromedp.SendKeys(chromedp.ID("token"), dashboardToken), chromedp.Click(chromedp.ID("sign-in")),
		chromedp.WaitVisible(chromedp.ID("by-severity")))
	cell := func(what, js string) string { return read(t, ctx, what, chromedp.Evaluate[string](js)) }
	if got := cell("alerts in, high", `document.querySelector('#by-severity tr[data-severity="high"] [data-figure="alerts_in"]')?.textContent ?? ""`); got != "2" {
		t.Errorf("high alerts in on the page: %q, want 2", got)
	}
	if got := cell("alerts in, low", `document.querySelector('#by-severity tr[data-severity="low"] [data-figure="alerts_in"]')?.textContent ?? ""`); got != "1" {
		t.Errorf("low alerts in on the page: %q, want 1", got)
	}
	if got := cell("low breaches", `document.querySelector('#by-severity tr[data-severity="low"] [data-figure="breaches"] [data-clock="ack"]')?.textContent ?? ""`); !strings.HasSuffix(strings.TrimSpace(got), "1") {
		t.Errorf("low's ack breaches on the page: %q, want 1", got)
	}
	if got := cell("high MTTA count", `document.querySelector('#by-severity tr[data-severity="high"] td[data-duration="ack"]')?.dataset.count ?? ""`); got != "2" {
		t.Errorf("high's acknowledgements on the page: %q, want 2", got)
	}
	shown := read(t, ctx, "MTTA", chromedp.Evaluate[[]string](`[...document.querySelectorAll('#times tr[data-duration="ack"] td[data-seconds]')].map(td => td.dataset.seconds)`))
	for i, want := range []float64{mttaMedian, mttaP90} {
		if i >= len(shown) {
			t.Errorf("MTTA on the page: %v, want a median and a p90", shown)
			break
		}
		if v, err := strconv.ParseFloat(shown[i], 64); err != nil || math.Abs(v-want) > 0.001 {
			t.Errorf("MTTA on the page: %v, want %.3f and %.3f", shown, mttaMedian, mttaP90)
		}
	}
	listed := read(t, ctx, "the month's breaches", chromedp.Evaluate[int](
		fmt.Sprintf(`document.querySelectorAll('#breaches tr[data-breach=%q][data-clock="ack"]').length`, late)))
	if listed != 1 {
		t.Errorf("the month's breaches list %s's ack clock %d times, want once", late, listed)
	}
	clock := cell("the open breach's clock", fmt.Sprintf(`document.querySelector('tr[data-incident=%q] .breached-clock')?.dataset.clock ?? ""`, late))
	if clock != api.ClockAck {
		t.Errorf("the open breached incident shows clock %q, want ack", clock)
	}
	body := read(t, ctx, "the page's text", chromedp.Text(chromedp.CSS("body")))
	if strings.Contains(body, "No breach this month") {
		t.Error(`the page says "No breach this month" beside a breached incident`)
	}
}
