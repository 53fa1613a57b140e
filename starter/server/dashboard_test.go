package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/types/known/timestamppb"

	"xsoc/config"
	"xsoc/workflows/api"
)

const dashboardToken = "dashboard-token-0123456789"

// fakeTemporal answers the reads of the managers' view from per-customer figures, and
// records the visibility queries it was asked.
type fakeTemporal struct {
	client.Client
	perf    map[string]api.Performance
	balance map[string]api.Balance
	rules   map[string][]api.Rule
	open    map[string][]*workflowpb.WorkflowExecutionInfo
	// sla answers the sla query of an incident, by workflow id.
	sla     map[string]api.SLAView
	queries []string
}

type jsonValue struct{ v any }

func (j jsonValue) HasValue() bool { return true }
func (j jsonValue) Get(into any) error {
	data, err := json.Marshal(j.v)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, into)
}

func (f *fakeTemporal) QueryWorkflow(_ context.Context, id, _ string, name string, _ ...any) (converter.EncodedValue, error) {
	kind, customer, _ := strings.Cut(id, "/")
	switch {
	case kind == "account" && name == api.QueryPerformance:
		return jsonValue{f.perf[customer]}, nil
	case kind == "account" && name == api.QueryBalance:
		return jsonValue{f.balance[customer]}, nil
	case kind == "tuning" && name == api.QueryRules:
		return jsonValue{f.rules[customer]}, nil
	case kind == "incident" && name == api.QuerySLA && f.sla[id].Clocks != nil:
		return jsonValue{f.sla[id]}, nil
	}
	return nil, fmt.Errorf("no query %s on %s", name, id)
}

// customerOf reads the customer out of a visibility query the dashboard built.
func customerOf(query string) string {
	_, rest, _ := strings.Cut(query, `XsocCustomer="`)
	customer, _, _ := strings.Cut(rest, `"`)
	return customer
}

func (f *fakeTemporal) CountWorkflow(_ context.Context, r *workflowservice.CountWorkflowExecutionsRequest) (*workflowservice.CountWorkflowExecutionsResponse, error) {
	f.queries = append(f.queries, r.Query)
	_, rest, _ := strings.Cut(r.Query, `XsocSLAState="`)
	state, _, _ := strings.Cut(rest, `"`)
	n := 0
	for _, e := range f.open[customerOf(r.Query)] {
		if keyword(e.GetSearchAttributes().GetIndexedFields(), "XsocSLAState") == state {
			n++
		}
	}
	return &workflowservice.CountWorkflowExecutionsResponse{Count: int64(n)}, nil
}

func (f *fakeTemporal) ListWorkflow(_ context.Context, r *workflowservice.ListWorkflowExecutionsRequest) (*workflowservice.ListWorkflowExecutionsResponse, error) {
	f.queries = append(f.queries, r.Query)
	return &workflowservice.ListWorkflowExecutionsResponse{Executions: f.open[customerOf(r.Query)]}, nil
}

func openExecution(t *testing.T, id, severity, sla string, due time.Time) *workflowpb.WorkflowExecutionInfo {
	t.Helper()
	attrs := map[string]*commonpb.Payload{}
	for name, value := range map[string]any{"XsocSeverity": severity, "XsocSLAState": sla, "XsocState": "investigating",
		"XsocSLADueAt": due, "XsocHost": []string{"osk-pc-17"}} {
		payload, err := converter.GetDefaultDataConverter().ToPayload(value)
		require.NoError(t, err)
		attrs[name] = payload
	}
	return &workflowpb.WorkflowExecutionInfo{Execution: &commonpb.WorkflowExecution{WorkflowId: id, RunId: "run-" + id[len(id)-1:]},
		StartTime: timestamppb.New(due.Add(-time.Hour)), SearchAttributes: &commonpb.SearchAttributes{IndexedFields: attrs}}
}

func dashboardServer(t *testing.T, token string) (*httptest.Server, *fakeTemporal) {
	t.Helper()
	return dashboardServerWith(t, config.Settings{DashboardToken: token})
}

// dashboardServerWith is dashboardServer with settings of the test's own.
func dashboardServerWith(t *testing.T, settings config.Settings) (*httptest.Server, *fakeTemporal) {
	t.Helper()
	due := time.Date(2026, 5, 10, 3, 0, 0, 0, time.UTC)
	fake := &fakeTemporal{
		perf: map[string]api.Performance{
			"acme": {Customer: "acme", Month: api.MonthPerformance{Month: "2026-05",
				Funnel:          api.Funnel{AlertsIn: 40, Suppressed: 25, Merged: 5, Handled: 10, Confirmed: 3, CustomerPaged: 2, CustomerCalled: 1},
				Durations:       map[string]api.Quantiles{api.DurationAck: {Count: 10, Sampled: 10, MedianSeconds: 240, P90Seconds: 930}},
				BreachesByClock: map[string]int{api.ClockAck: 1},
				Breaches:        []api.Breach{{Incident: "incident/acme/cybereason/late", Clock: api.ClockAck, Severity: "high", At: due}},
				RuleHits:        map[string]int{"rule-7": 25}},
				Trend: []api.MonthPerformance{{Month: "2026-04"}, {Month: "2026-05",
					Durations: map[string]api.Quantiles{api.DurationAck: {Count: 10, MedianSeconds: 240, P90Seconds: 930}}}},
				TimeToAck:    api.Histogram{Buckets: []uint64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 10, 10}, Count: 10, SumSeconds: 4000},
				BreachTotals: map[string]int{api.ClockAck: 4}},
			"globex": {Customer: "globex", Month: api.MonthPerformance{Month: "2026-05"}},
		},
		balance: map[string]api.Balance{"acme": {Remaining: 17, Lots: []api.LotView{{Purchased: "2026-04-01", Expires: "2027-04-01", Count: 20, Used: 3, Remaining: 17}}}},
		rules:   map[string][]api.Rule{"acme": {{ID: "rule-7", Reason: "inventory script", State: "active", Hits: 120}}},
		open: map[string][]*workflowpb.WorkflowExecutionInfo{
			"acme":   {openExecution(t, "incident/acme/cybereason/1", "high", api.SLAOnTrack, due), openExecution(t, "incident/acme/cybereason/2", "critical", api.SLABreached, due.Add(-time.Hour))},
			"globex": {openExecution(t, "incident/globex/withsecure/9", "high", api.SLAAtRisk, due)},
		},
	}
	customers := &config.Customers{Customers: []config.Customer{
		{ID: "acme", Name: "ACME Manufacturing", Timezone: "Asia/Tokyo"},
		{ID: "globex", Name: "Globex Secret Name"},
	}, SOC: &config.SOC{Name: "X-SOC", Language: "en"}}
	process := config.Process{Customers: customers, Temporal: config.Temporal{Namespace: "default"},
		Settings: settings}
	process.Settings.UIURL, process.Settings.PublicURL = "http://ui.soc.example:8233", "http://127.0.0.1:8080"
	server := httptest.NewServer(New(process, fake, slog.New(slog.NewTextHandler(io.Discard, nil))).Handler())
	t.Cleanup(server.Close)
	return server, fake
}

// noRedirects is a client that shows redirects instead of following them.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func get(t *testing.T, target string, headers map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, target, nil)
	require.NoError(t, err)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := noRedirects.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func bearer(token string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + token}
}

func TestDashboardIsOffWithoutAToken(t *testing.T) {
	server, _ := dashboardServer(t, "")
	for _, path := range []string{"/dashboard", "/dashboard/acme", "/v1/sla/acme"} {
		resp, body := get(t, server.URL+path, bearer(""))
		require.Equal(t, http.StatusForbidden, resp.StatusCode, path)
		require.Contains(t, body, "XSOC_DASHBOARD_TOKEN", path)
	}
}

func TestDashboardAuth(t *testing.T) {
	server, _ := dashboardServer(t, dashboardToken)

	resp, _ := get(t, server.URL+"/dashboard/acme?lang=ja", nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, "a browser without a session goes to the login form")
	require.Equal(t, "/dashboard/login?next="+url.QueryEscape("/dashboard/acme?lang=ja"), resp.Header.Get("Location"))

	resp, body := get(t, server.URL+"/v1/sla/acme", nil)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	require.Contains(t, resp.Header.Get("WWW-Authenticate"), "Bearer")
	require.Contains(t, body, "XSOC_DASHBOARD_TOKEN")

	resp, _ = get(t, server.URL+"/v1/sla/acme", bearer(dashboardToken+"x"))
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	resp, _ = get(t, server.URL+"/dashboard", bearer("wrong"))
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode, "a wrong bearer token is refused, not sent to the form")
	resp, _ = get(t, server.URL+"/v1/sla/acme", bearer(dashboardToken))
	require.Equal(t, http.StatusOK, resp.StatusCode)

	login := func(token, next string) *http.Response {
		resp, err := noRedirects.PostForm(server.URL+"/dashboard/login", url.Values{"token": {token}, "next": {next}})
		require.NoError(t, err)
		resp.Body.Close()
		return resp
	}
	resp = login("wrong-token", "/dashboard/acme")
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	require.Empty(t, resp.Cookies())

	resp = login(dashboardToken, "/dashboard/acme?lang=ja")
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "/dashboard/acme?lang=ja", resp.Header.Get("Location"))
	require.Len(t, resp.Cookies(), 1)
	session := resp.Cookies()[0]
	require.True(t, session.HttpOnly)
	require.Equal(t, http.SameSiteStrictMode, session.SameSite)
	require.NotContains(t, session.Value, dashboardToken, "the cookie never holds the token")
	cookie := map[string]string{"Cookie": session.Name + "=" + session.Value}
	resp, _ = get(t, server.URL+"/dashboard/acme", cookie)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	resp, _ = get(t, server.URL+"/v1/sla/acme", cookie)
	require.Equal(t, http.StatusOK, resp.StatusCode)

	// A session whose expiry was moved later no longer matches its MAC.
	expiry, mac, _ := strings.Cut(session.Value, ".")
	later, _ := strconv.ParseInt(expiry, 10, 64)
	resp, _ = get(t, server.URL+"/v1/sla/acme", map[string]string{"Cookie": session.Name + "=" + strconv.FormatInt(later+86400, 10) + "." + mac})
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)

	resp = login(dashboardToken, "https://evil.example/")
	require.Equal(t, "/dashboard", resp.Header.Get("Location"), "no redirect off the site after signing in")
}

func TestDashboardSessionEnds(t *testing.T) {
	s := &Server{settings: config.Settings{DashboardToken: dashboardToken}}
	now := time.Date(2026, 5, 10, 0, 0, 0, 0, time.UTC)
	expiry := strconv.FormatInt(now.Add(time.Hour).Unix(), 10)
	r := httptest.NewRequest(http.MethodGet, "/dashboard", nil)
	r.AddCookie(&http.Cookie{Name: dashboardCookie, Value: expiry + "." + sessionMAC(dashboardToken, expiry)})
	require.NoError(t, s.dashboardAccess(r, now))
	require.ErrorContains(t, s.dashboardAccess(r, now.Add(time.Hour)), "has ended")
	s.settings.DashboardToken = dashboardToken + "-rotated"
	require.ErrorContains(t, s.dashboardAccess(r, now), "not valid", "a new token ends every session")
}

func TestSafeNext(t *testing.T) {
	for next, want := range map[string]string{
		"/dashboard/acme?lang=ja": "/dashboard/acme?lang=ja",
		"/dashboard":              "/dashboard",
		"":                        "/dashboard",
		"//evil.example/":         "/dashboard",
		"/\\evil.example":         "/dashboard",
		"https://evil.example/":   "/dashboard",
		"/v1/alerts/x/y":          "/dashboard",
		"/dashboard/login":        "/dashboard",
		"/dashboardx":             "/dashboard",
	} {
		require.Equal(t, want, safeNext(next), next)
	}
}

func TestDashboardCustomerPageShowsItsCustomerOnly(t *testing.T) {
	server, fake := dashboardServer(t, dashboardToken)
	resp, body := get(t, server.URL+"/dashboard/acme?tz=UTC", bearer(dashboardToken))
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	require.Contains(t, resp.Header.Get("Content-Security-Policy"), "default-src 'none'")
	for _, want := range []string{
		"ACME Manufacturing", "incident/acme/cybereason/2", `data-sla="breached"`, "2026-05-10 02:00 UTC",
		"http://ui.soc.example:8233/namespaces/default/workflows/incident%2Facme%2Fcybereason%2F2/run-2/history",
		"incident/acme/cybereason/late", "4m 00s", "15m 30s", "rule-7", "inventory script", `id="tickets-remaining">17<`,
		"2027-04-01", "<svg", "Alerts in",
	} {
		require.Contains(t, body, want)
	}
	require.Less(t, strings.Index(body, "incident/acme/cybereason/2"), strings.Index(body, "incident/acme/cybereason/1"), "breached first")
	require.NotContains(t, body, "globex")
	require.NotContains(t, body, "Globex")
	require.NotContains(t, body, "<script")
	for _, q := range fake.queries {
		require.Contains(t, q, `XsocCustomer="acme"`)
	}

	_, ja := get(t, server.URL+"/dashboard/acme?lang=ja", bearer(dashboardToken))
	require.Contains(t, ja, `<html lang="ja">`)
	require.Contains(t, ja, "対応中のインシデント")
	require.Contains(t, ja, "4分00秒")
	require.Contains(t, ja, "2026-05-10 11:00 JST", "the customer's zone when no tz is asked")

	for query, want := range map[string]string{"lang=fr": "lang=", "tz=Mars/Olympus": "tz=", "month=May": "month="} {
		resp, body := get(t, server.URL+"/dashboard/acme?"+query, bearer(dashboardToken))
		require.Equal(t, http.StatusBadRequest, resp.StatusCode, query)
		require.Contains(t, body, want, query)
	}
	resp, _ = get(t, server.URL+"/dashboard/initech", bearer(dashboardToken))
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
}

func TestDashboardOverviewAndSLAJSON(t *testing.T) {
	server, _ := dashboardServer(t, dashboardToken)
	resp, body := get(t, server.URL+"/dashboard?lang=ja", bearer(dashboardToken))
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	require.Contains(t, body, "ACME Manufacturing")
	require.Contains(t, body, "Globex Secret Name")
	require.Contains(t, body, "全顧客")

	resp, body = get(t, server.URL+"/v1/sla/acme?month=2026-05", bearer(dashboardToken))
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	var view SLAView
	require.NoError(t, json.Unmarshal([]byte(body), &view))
	require.Equal(t, "acme", view.Customer)
	require.Equal(t, "Asia/Tokyo", view.Timezone)
	require.Equal(t, map[string]int{"breached": 1, "at_risk": 0, "on_track": 1, "met": 0}, view.Open.Counts)
	require.Len(t, view.Open.Incidents, 2)
	require.Equal(t, 40, view.Figures.Funnel.AlertsIn)
	require.Equal(t, 240.0, view.Figures.Durations[api.DurationAck].MedianSeconds)
	require.Equal(t, []RuleView{{ID: "rule-7", Reason: "inventory script", State: "active", HitsInMonth: 25, HitsTotal: 120}}, view.Rules)
	require.Equal(t, 17, view.Tickets.Remaining)
	require.NotContains(t, body, "globex")
}

func TestMetricsExposeTheManagersFigures(t *testing.T) {
	server, _ := dashboardServer(t, dashboardToken)
	resp, body := get(t, server.URL+"/metrics", map[string]string{"Authorization": "Bearer " + dashboardToken})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	for _, want := range []string{
		`xsoc_incidents_open{customer="acme",sla_state="breached"} 1`,
		`xsoc_incidents_open{customer="globex",sla_state="at_risk"} 1`,
		`xsoc_sla_breaches_total{clock="ack",customer="acme"} 4`,
		`xsoc_time_to_acknowledge_seconds_bucket{customer="acme",le="300"} 4`,
		`xsoc_time_to_acknowledge_seconds_bucket{customer="acme",le="+Inf"} 10`,
		`xsoc_time_to_acknowledge_seconds_sum{customer="acme"} 4000`,
	} {
		require.Contains(t, body, want)
	}
}
