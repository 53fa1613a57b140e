package server

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"xsoc/config"
)

// /metrics names customers and their breaches: beside the rest it takes the dashboard
// token as a bearer; on XSOC_METRICS_LISTEN (MetricsHandler) it asks nothing.
func TestMetricsNeedTheDashboardToken(t *testing.T) {
	server, _ := dashboardServer(t, dashboardToken)
	for _, tc := range []struct {
		name    string
		headers map[string]string
		code    int
	}{
		{"no token", nil, http.StatusUnauthorized},
		{"a wrong token", map[string]string{"Authorization": "Bearer nope-nope-nope-nope"}, http.StatusUnauthorized},
		{"the dashboard token", map[string]string{"Authorization": "Bearer " + dashboardToken}, http.StatusOK},
	} {
		resp, body := get(t, server.URL+"/metrics", tc.headers)
		require.Equal(t, tc.code, resp.StatusCode, tc.name+": "+body)
		if tc.code != http.StatusOK {
			require.NotContains(t, body, "xsoc_incidents_open", tc.name)
		}
	}
	off, _ := dashboardServer(t, "")
	resp, body := get(t, off.URL+"/metrics", nil)
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	require.Contains(t, body, "XSOC_METRICS_LISTEN")

	process := config.Process{Customers: &config.Customers{}, Settings: config.Settings{UIURL: uiURL}}
	separate := httptest.NewServer(New(process, &fakeTemporal{}, discardLog()).MetricsHandler())
	t.Cleanup(separate.Close)
	resp, body = get(t, separate.URL+"/metrics", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "go_goroutines")
}

// Changing XSOC_DASHBOARD_SESSION_KEY ends every session; the token still opens the view.
func TestRotatingTheSessionKeyEndsSessions(t *testing.T) {
	const before, after = "session-key-2026-11-0123456", "session-key-2026-12-0123456"
	old, _ := dashboardServerWith(t, config.Settings{DashboardToken: dashboardToken, DashboardSessionKey: before})
	resp, err := noRedirects.PostForm(old.URL+"/dashboard/login", url.Values{"token": {dashboardToken}, "next": {"/dashboard"}})
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	cookie := resp.Cookies()[0].Name + "=" + resp.Cookies()[0].Value

	resp, _ = get(t, old.URL+"/v1/sla/acme", map[string]string{"Cookie": cookie})
	require.Equal(t, http.StatusOK, resp.StatusCode, "the session opens the view")

	rotated, _ := dashboardServerWith(t, config.Settings{DashboardToken: dashboardToken, DashboardSessionKey: after})
	resp, body := get(t, rotated.URL+"/v1/sla/acme", map[string]string{"Cookie": cookie})
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode, "a session signed with the old key")
	require.Contains(t, body, "sign in again")
	resp, _ = get(t, rotated.URL+"/v1/sla/acme", map[string]string{"Authorization": "Bearer " + dashboardToken})
	require.Equal(t, http.StatusOK, resp.StatusCode, "the token after the rotation")

	// Without a session key, sessions are signed with the token: changing it ends them too.
	tokenSigned, _ := dashboardServer(t, dashboardToken)
	resp, err = noRedirects.PostForm(tokenSigned.URL+"/dashboard/login", url.Values{"token": {dashboardToken}})
	require.NoError(t, err)
	resp.Body.Close()
	cookie = resp.Cookies()[0].Name + "=" + resp.Cookies()[0].Value
	newToken, _ := dashboardServer(t, "another-dashboard-token-0123")
	resp, _ = get(t, newToken.URL+"/v1/sla/acme", map[string]string{"Cookie": cookie})
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
}

// The login form and the dashboard's bearer are tried at most failureBurst times at
// once per address; then even the right token waits.
func TestLoginAttemptsAreLimitedPerAddress(t *testing.T) {
	server, _ := dashboardServer(t, dashboardToken)
	for i := range failureBurst {
		resp, err := noRedirects.PostForm(server.URL+"/dashboard/login", url.Values{"token": {fmt.Sprintf("guess-%d", i)}})
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode, "guess %d", i)
	}
	resp, err := noRedirects.PostForm(server.URL+"/dashboard/login", url.Values{"token": {dashboardToken}})
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	require.NotEmpty(t, resp.Header.Get("Retry-After"))
	resp, _ = get(t, server.URL+"/v1/sla/acme", map[string]string{"Authorization": "Bearer " + dashboardToken})
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode, "the bearer from the same address")
	resp, _ = get(t, server.URL+"/metrics", map[string]string{"Authorization": "Bearer " + dashboardToken})
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode, "/metrics from the same address")
}

func discardLog() *slog.Logger { return slog.New(slog.DiscardHandler) }
