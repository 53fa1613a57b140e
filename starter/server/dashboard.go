package server

import (
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"xsoc/config"
	"xsoc/workflows/api"
)

// The managers' view (SPEC "Managers' view"): GET /dashboard (every customer),
// GET /dashboard/{customer} and GET /v1/sla/{customer}?month= (the same figures as
// JSON), behind XSOC_DASHBOARD_TOKEN as a bearer token or through a login form that
// sets a session cookie.

//go:embed templates/*.html
var dashboardTemplates embed.FS

var dashboardPages = template.Must(template.New("").Funcs(template.FuncMap{
	"t":   text,
	"dur": humanDuration,
	"when": func(zone *time.Location, at time.Time) string {
		if at.IsZero() {
			return "—"
		}
		return at.In(zone).Format("2006-01-02 15:04 MST")
	},
	"whenp": func(zone *time.Location, at *time.Time) string {
		if at == nil || at.IsZero() {
			return "—"
		}
		return at.In(zone).Format("2006-01-02 15:04 MST")
	},
	"join": strings.Join,
	"badge": func(lang, state string) map[string]string {
		return map[string]string{"Lang": lang, "State": state}
	},
	"durations":         func() []string { return api.DurationNames },
	"severityDurations": func() []string { return api.SeverityDurationNames },
	"severities":        severitiesOf,
}).ParseFS(dashboardTemplates, "templates/*.html"))

// dashboardCookie holds a signed session: its expiry and an HMAC of it keyed by the
// session key (XSOC_DASHBOARD_SESSION_KEY, else the token), so that the cookie never
// holds the token and changing the key ends every session.
const (
	dashboardCookie  = "xsoc_dashboard"
	dashboardSession = 12 * time.Hour
)

// dashboardPage is what a template of the managers' view is given.
type dashboardPage struct {
	Lang  string
	Zone  *time.Location
	Month string
	// Langs link this page in each language; Self is this page with the viewer's
	// settings, for the month form.
	Langs    []pageLink
	Self     string
	Problems []string

	Customer *SLAView
	Charts   customerCharts
	Rows     []overviewRow
	AllOpen  svgChart

	LoginError string
	Next       string
	Off        bool
}

type pageLink struct {
	Label, URL string
	Current    bool
}

type customerCharts struct {
	Open   svgChart
	Funnel svgChart
	Trend  []svgChart
}

// overviewRow is one customer on the overview.
type overviewRow struct {
	View    SLAView
	URL     string
	NextDue *time.Time
	// Breaches counts the month's breached clocks.
	Breaches int
	Failed   bool
}

// viewerSettings are the page settings a viewer chose with ?lang=, ?tz= and ?month=.
type viewerSettings struct {
	lang  string
	zone  *time.Location
	month string
	query url.Values
}

// readViewer reads ?lang=, ?tz= and ?month=; defaultZone stands when ?tz= is absent and
// the month (absent ?month=) is the current one in monthZone. A bad value is an error
// naming it.
func (s *Server) readViewer(r *http.Request, defaultZone, monthZone *time.Location) (viewerSettings, error) {
	q := r.URL.Query()
	v := viewerSettings{lang: s.defaultLanguage(), zone: defaultZone, query: url.Values{}}
	if lang := q.Get("lang"); lang != "" {
		if !slices.Contains(dashboardLanguages, lang) {
			return v, fmt.Errorf("lang=%q: want one of %s", lang, strings.Join(dashboardLanguages, ", "))
		}
		v.lang = lang
		v.query.Set("lang", lang)
	}
	if tz := q.Get("tz"); tz != "" {
		zone, err := time.LoadLocation(tz)
		if err != nil {
			return v, fmt.Errorf("tz=%q: want an IANA time zone such as Asia/Tokyo or UTC", tz)
		}
		v.zone = zone
		v.query.Set("tz", tz)
	}
	v.month = time.Now().In(monthZone).Format("2006-01")
	if month := q.Get("month"); month != "" {
		if _, err := time.Parse("2006-01", month); err != nil {
			return v, fmt.Errorf("month=%q: want YYYY-MM", month)
		}
		v.month = month
		v.query.Set("month", month)
	}
	return v, nil
}

func (s *Server) defaultLanguage() string {
	if s.customers != nil && s.customers.SOC != nil && slices.Contains(dashboardLanguages, s.customers.SOC.Language) {
		return s.customers.SOC.Language
	}
	return "en"
}

func (s *Server) socZone() *time.Location {
	if s.customers != nil && s.customers.SOC != nil {
		return config.LoadLocation(s.customers.SOC.Timezone)
	}
	return time.UTC
}

// link is a path with the viewer's settings, one of them changed when asked.
func (v viewerSettings) link(path string, set ...string) string {
	q := url.Values{}
	for k, values := range v.query {
		q[k] = values
	}
	for i := 0; i+1 < len(set); i += 2 {
		q.Set(set[i], set[i+1])
	}
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

func (v viewerSettings) page(path string) dashboardPage {
	p := dashboardPage{Lang: v.lang, Zone: v.zone, Month: v.month, Self: path}
	for _, lang := range dashboardLanguages {
		label := map[string]string{"en": "English", "ja": "日本語"}[lang]
		p.Langs = append(p.Langs, pageLink{Label: label, URL: v.link(path, "lang", lang), Current: lang == v.lang})
	}
	return p
}

// handleDashboard shows every customer: open incidents by SLA state and the month's
// figures side by side, each linking to the customer's page.
func (s *Server) handleDashboard(w http.ResponseWriter, r *http.Request) {
	if !s.dashboardGate(w, r, true) {
		return
	}
	viewer, err := s.readViewer(r, s.socZone(), s.socZone())
	if err != nil {
		s.renderPageError(w, http.StatusBadRequest, err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), dashboardTimeout)
	defer cancel()
	page := viewer.page("/dashboard")
	rows := make([]overviewRow, len(s.customers.Customers))
	problems := make([][]error, len(s.customers.Customers))
	var wg sync.WaitGroup
	for i := range s.customers.Customers {
		customer := &s.customers.Customers[i]
		wg.Go(func() {
			month := viewer.month
			if r.URL.Query().Get("month") == "" {
				month = time.Now().In(config.LoadLocation(customer.Timezone)).Format("2006-01")
			}
			view, errs := s.gatherSLA(ctx, customer, month)
			rows[i] = overviewRow{View: view, URL: viewer.link("/dashboard/" + url.PathEscape(customer.ID)), Failed: len(errs) > 0}
			for _, n := range view.Figures.BreachesByClock {
				rows[i].Breaches += n
			}
			for _, incident := range view.Open.Incidents {
				if incident.SLADueAt != nil && (rows[i].NextDue == nil || incident.SLADueAt.Before(*rows[i].NextDue)) {
					rows[i].NextDue = incident.SLADueAt
				}
			}
			problems[i] = errs
		})
	}
	wg.Wait()
	all := map[string]int{}
	for i, row := range rows {
		for state, n := range row.View.Open.Counts {
			all[state] += n
		}
		for _, err := range problems[i] {
			page.Problems = append(page.Problems, err.Error())
			s.log.Warn("dashboard: a figure could not be read", "customer", row.View.Customer, "error", err)
		}
	}
	page.Rows, page.AllOpen = rows, openChart(viewer.lang, all)
	s.renderPage(w, http.StatusOK, "overview", page)
}

// handleDashboardCustomer shows one customer, and nothing of any other.
func (s *Server) handleDashboardCustomer(w http.ResponseWriter, r *http.Request) {
	if !s.dashboardGate(w, r, true) {
		return
	}
	customer, viewer, status, err := s.customerViewer(r)
	if err != nil {
		s.renderPageError(w, status, err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), dashboardTimeout)
	defer cancel()
	view, problems := s.gatherSLA(ctx, customer, viewer.month)
	page := viewer.page("/dashboard/" + url.PathEscape(customer.ID))
	for _, err := range problems {
		page.Problems = append(page.Problems, err.Error())
		s.log.Warn("dashboard: a figure could not be read", "customer", customer.ID, "error", err)
	}
	page.Customer = &view
	page.Charts = customerCharts{Open: openChart(viewer.lang, view.Open.Counts), Funnel: funnelChart(viewer.lang, view.Figures.Funnel)}
	for _, duration := range []string{api.DurationAck, api.DurationVerdict, api.DurationContain} {
		page.Charts.Trend = append(page.Charts.Trend, trendChart(viewer.lang, duration, view.Trend))
	}
	s.renderPage(w, http.StatusOK, "customer", page)
}

// customerViewer reads the customer a request names and the viewer's settings, whose
// zone and month default to the customer's; an error comes with its HTTP status.
func (s *Server) customerViewer(r *http.Request) (*config.Customer, viewerSettings, int, error) {
	customer, ok := s.customers.Customer(r.PathValue("customer"))
	if !ok {
		return nil, viewerSettings{}, http.StatusNotFound, fmt.Errorf("unknown customer %q", r.PathValue("customer"))
	}
	zone := config.LoadLocation(customer.Timezone)
	viewer, err := s.readViewer(r, zone, zone)
	if err != nil {
		return nil, viewerSettings{}, http.StatusBadRequest, err
	}
	return customer, viewer, http.StatusOK, nil
}

// handleSLA answers GET /v1/sla/{customer}?month=: the customer's page as JSON.
func (s *Server) handleSLA(w http.ResponseWriter, r *http.Request) {
	if !s.dashboardGate(w, r, false) {
		return
	}
	customer, viewer, status, err := s.customerViewer(r)
	if err != nil {
		writeError(w, status, "%v", err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), dashboardTimeout)
	defer cancel()
	view, problems := s.gatherSLA(ctx, customer, viewer.month)
	if len(problems) > 0 {
		err := errors.Join(problems...)
		s.log.Error("answering /v1/sla", "customer", customer.ID, "error", err)
		if slices.ContainsFunc(problems, isUnavailable) {
			w.Header().Set("Retry-After", "5")
			writeError(w, http.StatusServiceUnavailable, "Temporal cannot be reached; retry later: %v", err)
			return
		}
		writeError(w, http.StatusBadGateway, "%v", err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, view)
}

// dashboardGate lets a request through with the dashboard token (bearer or session
// cookie). Otherwise it answers: a page request goes to the login form, an API
// request gets 401.
func (s *Server) dashboardGate(w http.ResponseWriter, r *http.Request, page bool) bool {
	if s.settings.DashboardToken == "" {
		if page {
			s.renderPage(w, http.StatusForbidden, "login", dashboardPage{Lang: s.defaultLanguage(), Off: true})
		} else {
			writeError(w, http.StatusForbidden, "the managers' view is off: set XSOC_DASHBOARD_TOKEN on the starter")
		}
		return false
	}
	key := addressKey(clientAddress(r, s.trustedProxy))
	if !tooManyFailures(w, s.loginFailures, key) {
		return false
	}
	err := s.dashboardAccess(r, time.Now())
	if err == nil {
		return true
	}
	if r.Header.Get("Authorization") != "" || errors.Is(err, errBadSession) {
		s.loginFailures.failed(key)
	}
	if page && r.Header.Get("Authorization") == "" {
		http.Redirect(w, r, "/dashboard/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return false
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="xsoc dashboard"`)
	writeError(w, http.StatusUnauthorized, "%v", err)
	return false
}

// dashboardAccess tells whether the request carries the dashboard token as a bearer
// token or a valid session cookie, comparing in constant time.
func (s *Server) dashboardAccess(r *http.Request, now time.Time) error {
	token := s.settings.DashboardToken
	if header := r.Header.Get("Authorization"); header != "" {
		bearer, ok := strings.CutPrefix(header, "Bearer ")
		if ok && sameSecret(strings.TrimSpace(bearer), token) {
			return nil
		}
		return errors.New("bad dashboard token (Authorization: Bearer $XSOC_DASHBOARD_TOKEN)")
	}
	cookie, err := r.Cookie(dashboardCookie)
	if err != nil {
		return errors.New("no dashboard token: send Authorization: Bearer $XSOC_DASHBOARD_TOKEN or sign in at /dashboard/login")
	}
	expiry, mac, ok := strings.Cut(cookie.Value, ".")
	unix, err := strconv.ParseInt(expiry, 10, 64)
	if !ok || err != nil || !hmac.Equal([]byte(mac), []byte(sessionMAC(s.sessionKey(), expiry))) {
		return errBadSession
	}
	if now.Unix() >= unix {
		return errors.New("the dashboard session has ended: sign in again at /dashboard/login")
	}
	return nil
}

// errBadSession is a session cookie the starter did not sign with its current key: forged,
// or signed before the key (XSOC_DASHBOARD_SESSION_KEY, else the token) changed.
var errBadSession = errors.New("the dashboard session is not valid: sign in again at /dashboard/login")

// sessionKey signs the session cookies: XSOC_DASHBOARD_SESSION_KEY, else the dashboard
// token. Changing it ends every session at once (docs/security.md).
func (s *Server) sessionKey() string {
	return cmp.Or(s.settings.DashboardSessionKey, s.settings.DashboardToken)
}

// sameSecret compares two secrets in constant time, their lengths included: both are
// hashed first.
func sameSecret(given, want string) bool {
	a, b := sha256.Sum256([]byte(given)), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

func sessionMAC(key, expiry string) string {
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write([]byte("xsoc-dashboard-session/" + expiry))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// handleLoginForm shows the login form.
func (s *Server) handleLoginForm(w http.ResponseWriter, r *http.Request) {
	page := dashboardPage{Lang: s.requestLanguage(r), Next: safeNext(r.URL.Query().Get("next")), Off: s.settings.DashboardToken == ""}
	status := http.StatusOK
	if page.Off {
		status = http.StatusForbidden
	}
	s.renderPage(w, status, "login", page)
}

// handleLogin checks the token of the login form and sets the session cookie:
// HttpOnly (no script reads it), SameSite=Strict (no other site's page sends it),
// Secure when the starter is reached over https.
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4096)
	if err := r.ParseForm(); err != nil {
		writeError(w, http.StatusBadRequest, "login form: %v", err)
		return
	}
	page := dashboardPage{Lang: s.requestLanguage(r), Next: safeNext(r.PostForm.Get("next")), Off: s.settings.DashboardToken == ""}
	if page.Off {
		s.renderPage(w, http.StatusForbidden, "login", page)
		return
	}
	key := addressKey(clientAddress(r, s.trustedProxy))
	if !tooManyFailures(w, s.loginFailures, key) {
		return
	}
	if !sameSecret(r.PostForm.Get("token"), s.settings.DashboardToken) {
		s.loginFailures.failed(key)
		s.log.Warn("dashboard: wrong token at the login form", "remote", r.RemoteAddr)
		page.LoginError = text(page.Lang, "login.wrong")
		s.renderPage(w, http.StatusUnauthorized, "login", page)
		return
	}
	expires := time.Now().Add(dashboardSession)
	expiry := strconv.FormatInt(expires.Unix(), 10)
	// Secure whenever the page is reached over TLS or the public URL is https (see
	// secureCookies): on plain http (make run) a Secure cookie would never come back.
	http.SetCookie(w, &http.Cookie{Name: dashboardCookie, Value: expiry + "." + sessionMAC(s.sessionKey(), expiry), //nolint:gosec // G124: see above
		Path: "/", Expires: expires, HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: s.secureCookies(r)})
	http.Redirect(w, r, page.Next, http.StatusSeeOther)
}

// handleLogout ends the session.
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: dashboardCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, //nolint:gosec // G124: Secure as at sign-in
		SameSite: http.SameSiteStrictMode, Secure: s.secureCookies(r)})
	http.Redirect(w, r, "/dashboard/login?lang="+s.requestLanguage(r), http.StatusSeeOther) //nolint:gosec // G710: a path of ours; lang is one of dashboardLanguages
}

func (s *Server) secureCookies(r *http.Request) bool {
	return r.TLS != nil || strings.HasPrefix(s.settings.PublicURL, "https://")
}

// requestLanguage is ?lang= (or the form's lang) when it is one of ours, else the SOC's.
func (s *Server) requestLanguage(r *http.Request) string {
	if lang := r.FormValue("lang"); slices.Contains(dashboardLanguages, lang) {
		return lang
	}
	return s.defaultLanguage()
}

// safeNext keeps the page to go to after signing in on this site, in the managers'
// view: anything else (another host, //evil.example) goes to /dashboard.
func safeNext(next string) string {
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || strings.HasPrefix(next, "//") || strings.Contains(next, `\`) ||
		(u.Path != "/dashboard" && !strings.HasPrefix(u.Path, "/dashboard/")) || strings.HasPrefix(u.Path, "/dashboard/login") {
		return "/dashboard"
	}
	return next
}

// renderPage writes a page of the managers' view with headers that keep it to itself:
// no script at all, nothing loaded from elsewhere, never framed, never cached.
func (s *Server) renderPage(w http.ResponseWriter, status int, name string, page dashboardPage) {
	if page.Zone == nil {
		page.Zone = s.socZone()
	}
	var out strings.Builder
	if err := dashboardPages.ExecuteTemplate(&out, name, page); err != nil {
		s.log.Error("dashboard: rendering", "page", name, "error", err)
		writeError(w, http.StatusInternalServerError, "rendering the %s page: %v", name, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(out.String()))
}

func (s *Server) renderPageError(w http.ResponseWriter, status int, err error) {
	s.renderPage(w, status, "error", dashboardPage{Lang: s.defaultLanguage(), Problems: []string{err.Error()}})
}
