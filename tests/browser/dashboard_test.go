package browser

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"xsoc/internal/e2e"
	"xsoc/starter/server"
	"xsoc/workflows/api"
)

// decide sends an analyst decision as an Update, as the Temporal UI does.
func decide(t *testing.T, workflowID, name string, decision map[string]any) {
	t.Helper()
	if _, err := e2e.Decide(xsoc.Temporal, workflowID, name, decision); err != nil {
		t.Fatalf("%s on %s: %v", name, workflowID, err)
	}
}

// final waits for an incident to end and answers its last status.
func final(t *testing.T, workflowID string) api.IncidentStatus {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var s api.IncidentStatus
	if err := xsoc.Temporal.GetWorkflow(ctx, workflowID, "").Get(ctx, &s); err != nil {
		t.Fatalf("%s did not end: %v", workflowID, err)
	}
	return s
}

// waitBreached waits until the incident's ack clock has run out.
func waitBreached(t *testing.T, workflowID string) {
	t.Helper()
	eventually(t, 20*time.Second, workflowID+" breaching its ack clock", func() error {
		for _, c := range status(t, workflowID).Clocks {
			if c.Name == api.ClockAck && c.State == api.SLABreached {
				return nil
			}
		}
		return fmt.Errorf("ack clock not breached")
	})
}

// slaJSON answers GET /v1/sla/{customer}?month= with the dashboard token.
func slaJSON(t *testing.T, customer, month string) (server.SLAView, error) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, xsoc.StarterURL+"/v1/sla/"+customer+"?month="+month, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+dashboardToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return server.SLAView{}, err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return server.SLAView{}, fmt.Errorf("%d %s", resp.StatusCode, data)
	}
	var view server.SLAView
	return view, json.Unmarshal(data, &view)
}

// quantile is the nearest-rank p-quantile of durations, in seconds.
func quantile(durations []time.Duration, p float64) float64 {
	sorted := slices.Clone(durations)
	slices.Sort(sorted)
	rank := int(math.Ceil(p*float64(len(sorted)) - 1e-9))
	return sorted[max(rank, 1)-1].Seconds()
}

// expected are the month's figures as the test computes them from its incidents.
type expected struct {
	funnel    api.Funnel
	durations map[string][]time.Duration
	breaches  []api.Breach
}

// expect computes a month's figures from the incidents' statuses, open or closed: each
// counts in the month (in zone) its moment happened in — the alert when its incident
// opened, an acknowledgement when it was given, a breach when its clock ran out.
func expect(month string, zone *time.Location, incidents []api.IncidentStatus) expected {
	e := expected{durations: map[string][]time.Duration{}}
	in := func(at time.Time) bool { return !at.IsZero() && at.In(zone).Format("2006-01") == month }
	for _, s := range incidents {
		if in(s.OpenedAt) {
			e.funnel.AlertsIn++
			e.funnel.Handled++
			e.durations[api.DurationIngest] = append(e.durations[api.DurationIngest], s.OpenedAt.Sub(s.Alert.ObservedAt))
		}
		if page := slices.IndexFunc(s.Paged, func(p api.Page) bool { return p.Tier == "customer" && p.Kind == "page" && p.Error == "" }); page >= 0 && in(s.Paged[page].At) {
			e.funnel.CustomerPaged++
		}
		if s.Acknowledged != nil && in(s.Acknowledged.At) {
			e.durations[api.DurationAck] = append(e.durations[api.DurationAck], s.Acknowledged.At.Sub(s.OpenedAt))
		}
		if s.Decider != nil && in(s.Decider.At) {
			if s.Verdict == api.VerdictTruePositive {
				e.funnel.Confirmed++
			}
			e.durations[api.DurationVerdict] = append(e.durations[api.DurationVerdict], s.Decider.At.Sub(s.OpenedAt))
		}
		if in(s.ClosedAt) {
			e.durations[api.DurationResolve] = append(e.durations[api.DurationResolve], s.ClosedAt.Sub(s.OpenedAt))
		}
		for _, c := range s.Clocks {
			if c.State == api.SLABreached && in(c.BreachedAt) {
				e.breaches = append(e.breaches, api.Breach{Incident: s.WorkflowID, Clock: c.Name, Severity: string(s.Severity), At: c.BreachedAt})
			}
		}
	}
	slices.SortFunc(e.breaches, func(a, b api.Breach) int { return a.At.Compare(b.At) })
	return e
}

// TestDashboardShowsTheIncidentsTheTestCreated creates acme's incidents of the month
// (two handled in time, one acknowledged after its ack clock ran out, one left open
// and breached), computes the month's figures from their statuses, and finds them in
// /v1/sla and on the page a manager signs in to, in English and in Japanese.
func TestDashboardShowsTheIncidentsTheTestCreated(t *testing.T) {
	t.Parallel()
	n := time.Now().UnixNano()
	quick := postAlert(t, "acme", fmt.Sprintf("quick-%d", n), "high", fmt.Sprintf("pc-quick-%d", n))
	slow := postAlert(t, "acme", fmt.Sprintf("slow-%d", n), "high", fmt.Sprintf("pc-slow-%d", n))
	lateClosed := postAlert(t, "acme", fmt.Sprintf("late-%d", n), "low", fmt.Sprintf("pc-late-%d", n))
	lateOpen := postAlert(t, "acme", fmt.Sprintf("open-%d", n), "low", fmt.Sprintf("pc-open-%d", n))
	// Another customer's open incident, which acme's views must never show.
	other := postAlert(t, "globex", fmt.Sprintf("other-%d", n), "high", fmt.Sprintf("gx-other-%d", n))

	fp := func(by string) map[string]any {
		return map[string]any{"by": by, "verdict": api.VerdictFalsePositive}
	}
	decide(t, quick, api.DecisionAcknowledge, map[string]any{"by": "hanako"})
	decide(t, quick, api.DecisionVerdict, fp("hanako"))
	time.Sleep(time.Second)
	decide(t, slow, api.DecisionAcknowledge, map[string]any{"by": "taro"})
	time.Sleep(500 * time.Millisecond)
	decide(t, slow, api.DecisionVerdict, fp("taro"))
	waitBreached(t, lateClosed)
	waitBreached(t, lateOpen)
	decide(t, lateClosed, api.DecisionVerdict, fp("jiro"))
	closed := []api.IncidentStatus{final(t, quick), final(t, slow), final(t, lateClosed)}

	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	month := closed[2].ClosedAt.In(tokyo).Format("2006-01")
	stillOpen := status(t, lateOpen)
	want := expect(month, tokyo, append(closed, stillOpen))

	// The Account hears of each incident's moments as they happen, the open one's too.
	var view server.SLAView
	eventually(t, 20*time.Second, "the account recording the closed incidents", func() error {
		if view, err = slaJSON(t, "acme", month); err != nil {
			return err
		}
		if view.Figures.Funnel.AlertsIn != want.funnel.AlertsIn {
			return fmt.Errorf("alerts in %d, want %d", view.Figures.Funnel.AlertsIn, want.funnel.AlertsIn)
		}
		return nil
	})
	if view.Figures.Funnel != want.funnel {
		t.Errorf("funnel %+v, want %+v", view.Figures.Funnel, want.funnel)
	}
	for name, durations := range want.durations {
		got := view.Figures.Durations[name]
		if got.Count != len(durations) || math.Abs(got.MedianSeconds-quantile(durations, 0.5)) > 0.001 || math.Abs(got.P90Seconds-quantile(durations, 0.9)) > 0.001 {
			t.Errorf("%s: %+v, want %d incidents, median %.3fs, p90 %.3fs", name, got, len(durations), quantile(durations, 0.5), quantile(durations, 0.9))
		}
	}
	if _, ok := view.Figures.Durations[api.DurationContain]; ok {
		t.Errorf("time to contain of incidents that were never contained: %+v", view.Figures.Durations[api.DurationContain])
	}
	got := slices.Clone(view.Figures.Breaches)
	slices.SortFunc(got, func(a, b api.Breach) int { return a.At.Compare(b.At) })
	if view.Figures.BreachesByClock[api.ClockAck] != len(want.breaches) || len(got) != len(want.breaches) ||
		!slices.EqualFunc(got, want.breaches, func(a, b api.Breach) bool { return a.Incident == b.Incident && a.Clock == b.Clock && a.At.Equal(b.At) }) {
		t.Errorf("breaches %v %+v, want %+v", view.Figures.BreachesByClock, got, want.breaches)
	}
	if view.Open.Counts[api.SLABreached] != 1 || len(view.Open.Incidents) != 1 || view.Open.Incidents[0].WorkflowID != lateOpen ||
		view.Open.Incidents[0].SLAState != api.SLABreached {
		t.Errorf("open incidents %v %+v, want %s alone, breached", view.Open.Counts, view.Open.Incidents, lateOpen)
	}
	if view.Tickets.Remaining != 20 {
		t.Errorf("tickets remaining %d, want the 20 bought", view.Tickets.Remaining)
	}

	// The page, as a manager signs in to it.
	ctx := page(t)
	path := "/dashboard/acme?month=" + month
	do(t, ctx, "opening the dashboard", chromedp.Navigate(xsoc.StarterURL+path), chromedp.WaitVisible(chromedp.ID("token")))
	if location := read(t, ctx, "location", chromedp.Location()); !strings.Contains(location, "/dashboard/login?next=") {
		t.Fatalf("without a session the dashboard is at %s, not the login form", location)
	}
	do(t, ctx, "signing in", chromedp.SendKeys(chromedp.ID("token"), dashboardToken), chromedp.Click(chromedp.ID("sign-in")),
		chromedp.WaitVisible(chromedp.ID("open")))
	if location := read(t, ctx, "location", chromedp.Location()); location != xsoc.StarterURL+path {
		t.Errorf("after signing in: %s, want %s", location, xsoc.StarterURL+path)
	}
	if cookies := read(t, ctx, "document.cookie", chromedp.Evaluate[string](`document.cookie`)); strings.Contains(cookies, "xsoc_dashboard") {
		t.Errorf("the session cookie is readable by scripts: %q", cookies)
	}
	sla := read(t, ctx, "the open incident's SLA", chromedp.Evaluate[string](
		fmt.Sprintf(`document.querySelector('tr[data-incident=%q] [data-sla]')?.dataset.sla ?? "missing"`, lateOpen)))
	if sla != api.SLABreached {
		t.Errorf("%s shows as %s, want breached", lateOpen, sla)
	}
	for _, name := range []string{api.DurationAck, api.DurationVerdict, api.DurationResolve} {
		shown := read(t, ctx, name+" on the page", chromedp.Evaluate[[]string](
			fmt.Sprintf(`[...document.querySelectorAll('tr[data-duration=%q] td[data-seconds]')].map(td => td.dataset.seconds)`, name)))
		wantShown := []float64{quantile(want.durations[name], 0.5), quantile(want.durations[name], 0.9)}
		if len(shown) != 2 {
			t.Errorf("%s: the page shows %v, want a median and a p90", name, shown)
			continue
		}
		for i, s := range shown {
			if v, err := strconv.ParseFloat(s, 64); err != nil || math.Abs(v-wantShown[i]) > 0.001 {
				t.Errorf("%s: the page shows %v, want %v", name, shown, wantShown)
			}
		}
	}
	breach := read(t, ctx, "the month's breach", chromedp.Evaluate[int](
		fmt.Sprintf(`document.querySelectorAll('tr[data-breach=%q][data-clock="ack"]').length`, lateClosed)))
	if breach != 1 {
		t.Errorf("the month's breaches list %s's ack clock %d times, want once", lateClosed, breach)
	}
	html := read(t, ctx, "the page", chromedp.OuterHTML(chromedp.CSS("html")))
	for _, foreign := range []string{"globex", "Globex", other} {
		if strings.Contains(html, foreign) {
			t.Errorf("acme's page shows %q", foreign)
		}
	}

	do(t, ctx, "reading the page in Japanese", chromedp.Navigate(xsoc.StarterURL+path+"&lang=ja"), chromedp.WaitVisible(chromedp.ID("open")))
	lang := read(t, ctx, "the page's language", chromedp.Evaluate[string](`document.documentElement.lang`))
	heading := read(t, ctx, "the open incidents' heading", chromedp.Text(chromedp.CSS("#open h2")))
	body := read(t, ctx, "the page's text", chromedp.Text(chromedp.CSS("body")))
	if lang != "ja" || heading != "対応中のインシデント（SLA 状態別）" || !strings.Contains(body, "今月のファネル") || strings.Contains(body, "Open incidents") {
		t.Errorf("the ja page: lang %q, heading %q", lang, heading)
	}
}

// TestDashboardLoginRefusesAWrongToken: a wrong token at the login form is refused,
// says so, and sets no session.
func TestDashboardLoginRefusesAWrongToken(t *testing.T) {
	t.Parallel()
	ctx := page(t)
	do(t, ctx, "opening the dashboard", chromedp.Navigate(xsoc.StarterURL+"/dashboard"), chromedp.WaitVisible(chromedp.ID("token")))
	do(t, ctx, "signing in with a wrong token", chromedp.SendKeys(chromedp.ID("token"), "not-the-dashboard-token"),
		chromedp.Click(chromedp.ID("sign-in")), chromedp.WaitVisible(chromedp.ID("login-error")))
	if message := read(t, ctx, "the error", chromedp.Text(chromedp.ID("login-error"))); message != "That token is not the dashboard's." {
		t.Errorf("the login form says %q", message)
	}
	do(t, ctx, "opening the dashboard again", chromedp.Navigate(xsoc.StarterURL+"/dashboard"), chromedp.WaitVisible(chromedp.ID("token")))
	location := read(t, ctx, "location", chromedp.Location())
	u, err := url.Parse(location)
	if err != nil || u.Path != "/dashboard/login" {
		t.Errorf("after a wrong token the dashboard is at %s, want the login form", location)
	}
}
