package server

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/converter"

	"xsoc/config"
	"xsoc/workflows/api"
)

// SLAView is one customer as managers see it: GET /v1/sla/{customer} and the page
// /dashboard/{customer}. Every figure comes from durable state: open incidents from
// visibility, the month and its trend from the customer's Account, rule hits from its
// Tuning, tickets from its Account.
type SLAView struct {
	Customer    string    `json:"customer"`
	Name        string    `json:"name"`
	Timezone    string    `json:"timezone"`
	Month       string    `json:"month"`
	GeneratedAt time.Time `json:"generated_at"`
	Open        OpenView  `json:"open"`
	// Figures are the month's, each counted when it happened (an alert when it came
	// in, a breach when its clock ran out); Trend the 6 months ending with it, oldest
	// first.
	Figures      api.MonthPerformance   `json:"figures"`
	Trend        []api.MonthPerformance `json:"trend"`
	BreachTotals map[string]int         `json:"breach_totals"`
	Rules        []RuleView             `json:"rules"`
	Tickets      api.Balance            `json:"tickets"`

	// timeToAck feeds the Prometheus histogram; it is not part of the JSON.
	timeToAck api.Histogram
}

// OpenView is a customer's running incidents now: counted by SLA state, and the first
// openListLimit listed, most urgent first.
type OpenView struct {
	Counts    map[string]int `json:"counts"`
	Incidents []OpenIncident `json:"incidents"`
	Truncated bool           `json:"truncated"`
}

// OpenIncident is one running incident as visibility knows it.
type OpenIncident struct {
	WorkflowID string     `json:"workflow_id"`
	RunID      string     `json:"run_id"`
	Severity   string     `json:"severity"`
	State      string     `json:"state"`
	SLAState   string     `json:"sla_state"`
	SLADueAt   *time.Time `json:"sla_due_at,omitempty"`
	Hosts      []string   `json:"hosts,omitempty"`
	StartedAt  time.Time  `json:"started_at"`
	// Breached are the clocks that ran out, and since when; NextDue the clock still
	// running that falls due next (asked of breached incidents: dashboard_month.go).
	Breached []ClockBreach `json:"breached,omitempty"`
	NextDue  *ClockDue     `json:"next_due,omitempty"`
	// URL opens the incident in the Temporal UI.
	URL string `json:"url"`
}

// RuleView is a suppression rule and what it closed: in the month (from the Account)
// and over its life (from Tuning).
type RuleView struct {
	ID          string    `json:"id"`
	Reason      string    `json:"reason"`
	State       string    `json:"state"`
	Expires     time.Time `json:"expires,omitzero"`
	HitsInMonth int       `json:"hits_in_month"`
	HitsTotal   int       `json:"hits_total"`
	LastHit     time.Time `json:"last_hit,omitzero"`
	ApprovedBy  string    `json:"approved_by,omitempty"`
	WrittenBy   string    `json:"by,omitempty"`
}

// slaStates are the XsocSLAState values, most urgent first.
var slaStates = []string{api.SLABreached, api.SLAAtRisk, api.SLAOnTrack, api.SLAMet}

// openListLimit bounds the incidents a page lists; the counts stay exact.
const openListLimit = 200

// dashboardTimeout bounds the reads of one page or scrape.
const dashboardTimeout = 10 * time.Second

// gatherSLA reads everything the managers' view shows of a customer for a month. It
// answers what it could read and one problem per part it could not.
func (s *Server) gatherSLA(ctx context.Context, customer *config.Customer, month string) (SLAView, []error) {
	view := SLAView{Customer: customer.ID, Name: customer.Name, Timezone: config.LoadLocation(customer.Timezone).String(),
		Month: month, GeneratedAt: time.Now().UTC(), BreachTotals: map[string]int{}, Rules: []RuleView{},
		Tickets: api.Balance{Lots: []api.LotView{}}}
	var (
		mu       sync.Mutex
		problems []error
		wg       sync.WaitGroup
		perf     api.Performance
		rules    []api.Rule
	)
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		problems = append(problems, err)
	}
	wg.Go(func() {
		open, err := s.openIncidents(ctx, customer.ID)
		if err != nil {
			fail(fmt.Errorf("open incidents of %s from visibility: %w", customer.ID, err))
		} else {
			s.addClockDetails(ctx, &open)
		}
		view.Open = open
	})
	wg.Go(func() {
		if err := s.query(ctx, api.AccountWorkflowID(customer.ID), api.QueryPerformance, &perf, month); err != nil {
			fail(fmt.Errorf("figures of %s from its account: %w", customer.ID, err))
		}
	})
	wg.Go(func() {
		if err := s.query(ctx, api.AccountWorkflowID(customer.ID), api.QueryBalance, &view.Tickets); err != nil {
			fail(fmt.Errorf("ticket balance of %s from its account: %w", customer.ID, err))
		}
	})
	wg.Go(func() {
		if err := s.query(ctx, api.TuningWorkflowID(customer.ID), api.QueryRules, &rules); err != nil {
			fail(fmt.Errorf("suppression rules of %s from its tuning: %w", customer.ID, err))
		}
	})
	wg.Wait()
	view.Figures, view.Trend, view.timeToAck = perf.Month, perf.Trend, perf.TimeToAck
	if perf.BreachTotals != nil {
		view.BreachTotals = perf.BreachTotals
	}
	if view.Figures.Month == "" {
		view.Figures.Month = month
	}
	view.Rules = mergeRules(rules, view.Figures.RuleHits)
	return view, problems
}

// mergeRules lists every rule Tuning knows, with its hits of the month, and the rules
// that closed alerts in the month but that Tuning no longer lists.
func mergeRules(rules []api.Rule, monthHits map[string]int) []RuleView {
	views := []RuleView{}
	for _, r := range rules {
		views = append(views, RuleView{ID: r.ID, Reason: r.Reason, State: r.State, Expires: r.Expires, HitsInMonth: monthHits[r.ID],
			HitsTotal: r.Hits, LastHit: r.LastHit, ApprovedBy: r.ApprovedBy, WrittenBy: r.By})
	}
	for _, id := range sortedKeys(monthHits) {
		if !slices.ContainsFunc(views, func(v RuleView) bool { return v.ID == id }) {
			views = append(views, RuleView{ID: id, HitsInMonth: monthHits[id]})
		}
	}
	slices.SortStableFunc(views, func(a, b RuleView) int { return b.HitsInMonth - a.HitsInMonth })
	return views
}

// query runs a workflow query and decodes its answer.
func (s *Server) query(ctx context.Context, workflowID, name string, into any, args ...any) error {
	value, err := s.temporal.QueryWorkflow(ctx, workflowID, "", name, args...)
	if err != nil {
		return err
	}
	return value.Get(into)
}

// openQuery is the visibility query of a customer's open incidents, with more
// conditions when given. A concluded incident runs on for its bookkeeping (the
// vendor's write-back, the Account) in a final state: it is not open.
func openQuery(customer string, and ...string) string {
	q := fmt.Sprintf(`WorkflowType=%s AND %s=%s AND ExecutionStatus="Running" AND %s NOT IN (%s, %s, %s)`,
		quoteVisibility(api.IncidentWorkflowType), api.SACustomer.GetName(), quoteVisibility(customer),
		api.SAState.GetName(), quoteVisibility(api.StateResolved), quoteVisibility(api.StateSuppressed),
		quoteVisibility(api.StateMerged))
	for _, condition := range and {
		q += " AND " + condition
	}
	return q
}

// quoteVisibility quotes a value for a visibility query. Customer ids come from the
// customers file, but a quote in one must not end the string early.
func quoteVisibility(value string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(value) + `"`
}

// openIncidents counts a customer's running incidents by SLA state (exactly, with a
// count query per state) and lists the most urgent ones.
func (s *Server) openIncidents(ctx context.Context, customer string) (OpenView, error) {
	counts, err := s.openCounts(ctx, customer)
	if err != nil {
		return OpenView{Counts: map[string]int{}, Incidents: []OpenIncident{}}, err
	}
	view := OpenView{Counts: counts, Incidents: []OpenIncident{}}
	resp, err := s.temporal.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
		Query: openQuery(customer), PageSize: openListLimit,
	})
	if err != nil {
		return view, err
	}
	for _, execution := range resp.GetExecutions() {
		attrs := execution.GetSearchAttributes().GetIndexedFields()
		id, run := execution.GetExecution().GetWorkflowId(), execution.GetExecution().GetRunId()
		incident := OpenIncident{WorkflowID: id, RunID: run, StartedAt: execution.GetStartTime().AsTime(),
			Severity: keyword(attrs, api.SASeverity.GetName()), State: keyword(attrs, api.SAState.GetName()),
			SLAState: keyword(attrs, api.SASLAState.GetName()), Hosts: keywords(attrs, api.SAHost.GetName()),
			URL: s.uiWorkflowURL(id, run)}
		var due time.Time
		if payload := attrs[api.SASLADueAt.GetName()]; payload != nil && converter.GetDefaultDataConverter().FromPayload(payload, &due) == nil && !due.IsZero() {
			incident.SLADueAt = &due
		}
		view.Incidents = append(view.Incidents, incident)
	}
	view.Truncated = len(resp.GetNextPageToken()) > 0
	slices.SortStableFunc(view.Incidents, func(a, b OpenIncident) int {
		if c := slices.Index(slaStates, a.SLAState) - slices.Index(slaStates, b.SLAState); c != 0 {
			return c
		}
		return dueOrLast(a).Compare(dueOrLast(b))
	})
	return view, nil
}

// openCounts counts a customer's running incidents in each SLA state.
func (s *Server) openCounts(ctx context.Context, customer string) (map[string]int, error) {
	counts := map[string]int{}
	for _, state := range slaStates {
		resp, err := s.temporal.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{
			Query: openQuery(customer, api.SASLAState.GetName()+"="+quoteVisibility(state)),
		})
		if err != nil {
			return counts, err
		}
		counts[state] = int(resp.GetCount())
	}
	return counts, nil
}

func dueOrLast(i OpenIncident) time.Time {
	if i.SLADueAt == nil {
		return time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	return *i.SLADueAt
}

func keyword(attrs map[string]*commonpb.Payload, name string) string {
	var value string
	if payload := attrs[name]; payload != nil {
		_ = converter.GetDefaultDataConverter().FromPayload(payload, &value)
	}
	return value
}

// keywords reads a keyword list, or a single keyword as a list of one.
func keywords(attrs map[string]*commonpb.Payload, name string) []string {
	payload := attrs[name]
	if payload == nil {
		return nil
	}
	var values []string
	if converter.GetDefaultDataConverter().FromPayload(payload, &values) == nil {
		return values
	}
	if one := keyword(attrs, name); one != "" {
		return []string{one}
	}
	return nil
}

// uiWorkflowURL is where the Temporal UI shows a workflow run.
func (s *Server) uiWorkflowURL(id, run string) string {
	base := strings.TrimSuffix(s.settings.UIURL, "/")
	if i := strings.Index(base, "/namespaces/"); i >= 0 {
		base = base[:i]
	}
	return base + "/namespaces/" + url.PathEscape(s.namespace) + "/workflows/" + url.PathEscape(id) + "/" + url.PathEscape(run) + "/history"
}
