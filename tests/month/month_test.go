// Package month plays a compressed month of one large customer against the real stack,
// as a SOC lives it: a learning phase the analysts work by hand (campaigns among it),
// four suppression rules written from it, then ~1,900 alerts in under a minute — the
// benign families the rules describe on old and new hosts, noise, a raised Severity,
// re-deliveries, and two real incidents hidden in it. It measures where every alert
// went, and what it cost the SOC against handling every alert by hand.
package month

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"text/template"
	"time"

	"go.temporal.io/api/workflowservice/v1"

	"xsoc/internal/devstack"
	"xsoc/internal/e2e"
	"xsoc/workflows/api"
	"xsoc/workflows/start"
)

var xsoc *devstack.Stack

const secret = "month-test-secret"

func TestMain(m *testing.M) {
	e2e.Main(m, &xsoc, devstack.Options{Customers: customers, Env: []string{"MONTH_SECRET=" + secret}})
}

var customersTemplate = template.Must(template.New("").Parse(`customers:
  - id: kestrel
    name: Kestrel Logistics
    services: [detect, respond]
    webhook_secret_env: MONTH_SECRET
    response: {policy: investigate_first}
    escalation:
      critical: [{after: 0s, email: it@kestrel.example}]
      high: [{after: 0s, email: it@kestrel.example}]
    status_updates: [{email: csirt@kestrel.example}]

soc:
  name: X-SOC
  language: en
  timezone: Asia/Tokyo
  escalation:
    emergency: [{after: 0s, email: soc-urgent@xsoc.example}]
    critical: [{after: 0s, email: soc-urgent@xsoc.example}]
    high: [{after: 0s, email: soc-triage@xsoc.example}]
  notices: [{email: soc-notices@xsoc.example}]
  storm: {alerts_per_minute: 30, digest_every: 30s}
  correlation: {campaign_hosts: 3, campaign_window: 30m}
  suppression: {notify_over: 100000, qa_every: 100}
`))

func customers(map[string]string) ([]byte, error) {
	var out bytes.Buffer
	err := customersTemplate.Execute(&out, nil)
	return out.Bytes(), err
}

// alert is one generic alert as a sender posts it.
type alert struct {
	ID        string              `json:"id"`
	Detection string              `json:"detection"`
	Severity  string              `json:"severity"`
	Hosts     []map[string]string `json:"hosts"`
	Users     []string            `json:"users,omitempty"`
}

func newAlert(id, detection, severity string, users []string, hosts ...string) alert {
	a := alert{ID: id, Detection: detection, Severity: severity, Users: users}
	for _, h := range hosts {
		a.Hosts = append(a.Hosts, map[string]string{"name": h})
	}
	return a
}

// The benign families, each with the rule the analysts write for it after the learning
// phase. The build farm's rule names hosts only: a campaign of its alerts is not one a
// rule "was written for", so a re-opened learning-phase campaign would swallow them.
type family struct {
	detection string
	hosts     func(i int) string
	users     func(i int) []string
	learning  int // alerts in the learning phase
	learnedOn int // distinct hosts in the learning phase
	burst     int // alerts in the burst
	burstOn   int // distinct hosts in the burst (the learning phase's among them)
	rule      map[string]any
}

var families = []family{
	{detection: "Compiler spawned shell", hosts: func(i int) string { return fmt.Sprintf("ls-build-%02d", i+1) },
		learning: 5, learnedOn: 5, burst: 300, burstOn: 40,
		rule: map[string]any{"hosts": []string{"ls-build-*"}}},
	{detection: "PowerShell encoded command (inventory)", hosts: func(i int) string { return fmt.Sprintf("ks-srv-%02d", i+1) },
		learning: 15, learnedOn: 2, burst: 400, burstOn: 60,
		rule: map[string]any{"detection": "PowerShell encoded command*", "hosts": []string{"ks-srv-*"}}},
	{detection: "Unsigned driver load (VPN client)", hosts: func(i int) string { return fmt.Sprintf("ks-lap-%03d", i+1) },
		learning: 20, learnedOn: 20, burst: 600, burstOn: 300,
		rule: map[string]any{"detection": "Unsigned driver load*"}},
	{detection: "Macro document opened", hosts: func(i int) string { return fmt.Sprintf("ks-hr-%02d", i+1) },
		users:    func(i int) []string { return []string{fmt.Sprintf(`KS\hr-%02d`, i+1)} },
		learning: 15, learnedOn: 2, burst: 400, burstOn: 50,
		rule: map[string]any{"detection": "Macro document opened*", "users": []string{`KS\hr-*`}}},
}

func (f family) alert(id string, i int) alert {
	var users []string
	if f.users != nil {
		users = f.users(i)
	}
	return newAlert(id, f.detection, "high", users, f.hosts(i))
}

// sender posts alerts as the customer's products do, counting what intake answered.
type sender struct {
	mu       sync.Mutex
	answers  map[int]int
	ids      map[string]string // alert id → incident workflow id
	failures []string
}

func newSender() *sender { return &sender{answers: map[int]int{}, ids: map[string]string{}} }

func (s *sender) post(t *testing.T, a alert) {
	body, _ := json.Marshal(a)
	code, data, _ := e2e.Post(t, xsoc.StarterURL+"/v1/alerts/generic/kestrel", body, map[string]string{"Authorization": "Bearer " + secret})
	s.mu.Lock()
	defer s.mu.Unlock()
	s.answers[code]++
	if code != http.StatusAccepted && code != http.StatusOK {
		s.failures = append(s.failures, fmt.Sprintf("%s: %d %s", a.ID, code, data))
		return
	}
	var answer struct {
		Incidents []start.IncidentRef `json:"incidents"`
	}
	if err := json.Unmarshal(data, &answer); err != nil || len(answer.Incidents) != 1 {
		s.failures = append(s.failures, fmt.Sprintf("%s: answer %s", a.ID, data))
		return
	}
	s.ids[a.ID] = answer.Incidents[0].WorkflowID
}

// postAll posts alerts with some concurrency, as several senders do.
func (s *sender) postAll(t *testing.T, alerts []alert, concurrency int) {
	work := make(chan alert)
	var wg sync.WaitGroup
	for range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for a := range work {
				s.post(t, a)
			}
		}()
	}
	for _, a := range alerts {
		work <- a
	}
	close(work)
	wg.Wait()
}

// incident is one incident as visibility lists it.
type incident struct {
	id, state, rule, parent string
	running                 bool
}

func incidents(t *testing.T) map[string]incident {
	t.Helper()
	all := map[string]incident{}
	var token []byte
	for {
		var resp *workflowservice.ListWorkflowExecutionsResponse
		var err error
		// A storm keeps the server busy: a list may time out and is asked again.
		for attempt := 0; attempt < 6; attempt++ {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			resp, err = xsoc.Temporal.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
				Query: `WorkflowType="Incident" AND XsocCustomer="kestrel"`, PageSize: 1000, NextPageToken: token})
			cancel()
			if err == nil {
				break
			}
			time.Sleep(time.Duration(attempt+1) * time.Second)
		}
		if err != nil {
			t.Fatalf("listing the customer's incidents: %v", err)
		}
		for _, e := range resp.GetExecutions() {
			values := map[string]string{}
			for name, payload := range e.GetSearchAttributes().GetIndexedFields() {
				values[name] = strings.Trim(string(payload.GetData()), `"`)
			}
			id := e.GetExecution().GetWorkflowId()
			if known, ok := all[id]; ok && known.running {
				continue // the running run of a recurrence wins over the closed one
			}
			all[id] = incident{id: id, state: values["XsocState"], rule: values["XsocRule"], parent: values["XsocParent"],
				running: e.GetCloseTime() == nil}
		}
		if token = resp.GetNextPageToken(); len(token) == 0 {
			return all
		}
	}
}

// queue lists the SOC's queue: running incidents a person must look at.
func queue(t *testing.T) []string {
	t.Helper()
	var ids []string
	for id, inc := range incidents(t) {
		if inc.running && (inc.state == api.StateNew || inc.state == api.StateInvestigating) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// settled waits until no incident of the customer is still new (triage answered them
// all, and each acted on its answer).
func settled(t *testing.T, expected int, within time.Duration) {
	t.Helper()
	e2e.Eventually(t, within, "every alert sorted", func() error {
		all := incidents(t)
		if len(all) < expected {
			return fmt.Errorf("%d of %d incidents listed", len(all), expected)
		}
		for _, inc := range all {
			if inc.running && inc.state == api.StateNew {
				return fmt.Errorf("%s still new", inc.id)
			}
		}
		return nil
	})
}

// analyst works the SOC's queue as people do: each incident is acknowledged and given
// a verdict (two touches); the real ones are confirmed, which pages the customer.
type analyst struct {
	mu        sync.Mutex
	touches   int
	confirmed map[string]time.Time // incident → when it was confirmed
}

func (a *analyst) work(t *testing.T, ids []string, real func(string) bool) {
	t.Helper()
	work := make(chan string)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range work {
				verdict := api.VerdictFalsePositive
				if real(id) {
					verdict = api.VerdictTruePositive
				}
				_, ackErr := e2e.Decide(xsoc.Temporal, id, api.DecisionAcknowledge, map[string]any{"by": "hanako"})
				at := time.Now()
				_, verdictErr := e2e.Decide(xsoc.Temporal, id, api.DecisionVerdict, map[string]any{"by": "hanako", "verdict": verdict, "note": "month test"})
				a.mu.Lock()
				a.touches += 2
				if verdict == api.VerdictTruePositive && verdictErr == nil {
					a.confirmed[id] = at
				}
				a.mu.Unlock()
				if verdictErr != nil && !strings.Contains(verdictErr.Error(), "closed") && !strings.Contains(verdictErr.Error(), "completed") {
					t.Errorf("verdict on %s: ack %v, verdict %v", id, ackErr, verdictErr)
				}
			}
		}()
	}
	for _, id := range ids {
		work <- id
	}
	close(work)
	wg.Wait()
}

func addRule(t *testing.T, match map[string]any, reason string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rule := map[string]any{"by": "hanako", "approved_by": "sato", "reason": reason,
		"expires": time.Now().Add(30 * 24 * time.Hour).UTC().Format(time.RFC3339), "match": match}
	if _, err := devstack.AddApprovedRule(ctx, xsoc.Temporal, "kestrel", rule, "sato"); err != nil {
		t.Fatal(err)
	}
}

func TestAMonthOfOneCustomer(t *testing.T) {
	started := time.Now()
	posted := newSender()
	worker := &analyst{confirmed: map[string]time.Time{}}

	// The learning phase: every alert reaches the SOC, which works the queue by hand.
	var learning []alert
	for f, fam := range families {
		for i := range fam.learning {
			learning = append(learning, fam.alert(fmt.Sprintf("learn-%d-%d", f, i), i%fam.learnedOn))
		}
	}
	for i := range 5 {
		learning = append(learning, newAlert(fmt.Sprintf("learn-odd-%d", i), fmt.Sprintf("Odd scheduled task %d", i), "high", nil, fmt.Sprintf("ks-pc-%02d", i)))
	}
	posted.postAll(t, learning, 4)
	settled(t, len(learning), 2*time.Minute)
	learned := queue(t)
	worker.work(t, learned, func(string) bool { return false })
	e2e.Eventually(t, time.Minute, "the learning phase's queue empty", func() error {
		if left := queue(t); len(left) > 0 {
			return fmt.Errorf("%d left: %v", len(left), left[:min(len(left), 5)])
		}
		return nil
	})
	learningTouches := worker.touches
	t.Logf("learning phase: %d alerts, %d incidents worked by hand (%d touches)", len(learning), len(learned), learningTouches)

	// The analysts write a rule for each benign family.
	for _, fam := range families {
		addRule(t, fam.rule, "known benign: "+fam.detection)
	}

	// The burst: the rules' families on old and new hosts, noise, a raised Severity,
	// two real incidents and re-deliveries, shuffled, from 16 senders.
	rng := rand.New(rand.NewPCG(7, 11))
	var burst, matching []alert
	for f, fam := range families {
		for i := range fam.burst {
			a := fam.alert(fmt.Sprintf("burst-%d-%d", f, i), rng.IntN(fam.burstOn))
			burst, matching = append(burst, a), append(matching, a)
		}
	}
	var noise []alert
	for i := range 150 {
		noise = append(noise, newAlert(fmt.Sprintf("noise-%d", i), fmt.Sprintf("Rare behaviour %d", i), "high", nil, fmt.Sprintf("ks-misc-%03d", i)))
	}
	burst = append(burst, noise...)
	mimikatz := newAlert("real-mimikatz", "Credential dumping (mimikatz)", "critical", []string{`KS\fin-admin`}, "ks-fin-07")
	var ransomware []alert
	for i := range 3 {
		ransomware = append(ransomware, newAlert(fmt.Sprintf("real-ransom-%d", i), "Ransomware: mass file encryption", "high", nil, fmt.Sprintf("ks-fs-%02d", i+1)))
	}
	burst = append(burst, mimikatz)
	burst = append(burst, ransomware...)
	rng.Shuffle(len(burst), func(i, j int) { burst[i], burst[j] = burst[j], burst[i] })
	// The build farm raises one alert to critical late in the burst: no rule may hide it.
	raised := newAlert("burst-raised", families[0].detection, "critical", nil, families[0].hosts(2))
	burst = append(burst, raised)
	// Re-deliveries: senders retry 40 alerts they already sent.
	var again []alert
	for i := range 40 {
		again = append(again, burst[rng.IntN(len(burst)-1)])
		_ = i
	}
	burstStarted := time.Now()
	posted.postAll(t, burst, 16)
	redelivered := newSender()
	redelivered.postAll(t, again, 16)
	postedIn := time.Since(burstStarted)
	t.Logf("burst: %d alerts and %d re-deliveries posted in %s", len(burst), len(again), postedIn.Round(time.Millisecond))

	if len(posted.failures) > 0 || len(redelivered.failures) > 0 {
		t.Errorf("intake refused alerts it took: %d first deliveries, %d re-deliveries: %v", len(posted.failures), len(redelivered.failures),
			append(posted.failures, redelivered.failures...)[:min(5, len(posted.failures)+len(redelivered.failures))])
	}
	if redelivered.answers[http.StatusOK] != len(again) {
		t.Errorf("re-deliveries answered %v, want %d × 200 duplicate", redelivered.answers, len(again))
	}
	settled(t, len(learning)+len(burst), 5*time.Minute)
	t.Logf("burst sorted %s after its first post", time.Since(burstStarted).Round(time.Second))

	// The SOC works the queue the burst left.
	all := incidents(t)
	realIDs := []string{posted.ids[mimikatz.ID]}
	for _, a := range ransomware {
		if parent := all[posted.ids[a.ID]].parent; parent != "" && !slices.Contains(realIDs, parent) {
			realIDs = append(realIDs, parent)
		} else if parent == "" {
			realIDs = append(realIDs, posted.ids[a.ID])
		}
	}
	burstQueue := queue(t)
	worker.work(t, burstQueue, func(id string) bool { return slices.Contains(realIDs, id) })
	e2e.Eventually(t, 2*time.Minute, "the burst's queue empty", func() error {
		if left := queue(t); len(left) > 0 {
			return fmt.Errorf("%d left: %v", len(left), left[:min(len(left), 5)])
		}
		return nil
	})

	// Where the alerts went.
	all = incidents(t)
	for id, workflowID := range posted.ids {
		if _, ok := all[workflowID]; !ok {
			t.Errorf("alert %s lost: no incident %s", id, workflowID)
		}
	}
	genuine := map[string]bool{posted.ids[raised.ID]: true}
	for _, id := range realIDs {
		genuine[id] = true
	}
	suppressed, qa, joined, elsewhere := 0, 0, 0, map[string]int{}
	var astray []string
	for _, a := range matching {
		inc := all[posted.ids[a.ID]]
		switch {
		case inc.state == api.StateSuppressed && inc.rule != "":
			suppressed++
		case inc.rule != "":
			qa++
		case inc.state == api.StateMerged && genuine[inc.parent]:
			joined++
		default:
			elsewhere[inc.state]++
			astray = append(astray, fmt.Sprintf("%s: %s parent %q", a.ID, inc.state, inc.parent))
		}
	}
	share := float64(suppressed) / float64(len(matching)-qa-joined)
	t.Logf("rule-matching alerts: %d; suppressed %d (%.1f%% apart from %d QA samples and %d joins to genuine incidents); elsewhere %v",
		len(matching), suppressed, 100*share, qa, joined, elsewhere)
	if share < 0.97 {
		t.Errorf("%.1f%% of rule-matching alerts suppressed, want ≥ 97%%; e.g. %v", 100*share, astray[:min(len(astray), 10)])
	}
	for _, id := range append([]string{posted.ids[mimikatz.ID], posted.ids[raised.ID]}, realIDs...) {
		if inc := all[id]; inc.state == api.StateSuppressed {
			t.Errorf("a real or raised alert was suppressed: %s (rule %s)", id, inc.rule)
		}
	}
	for _, id := range realIDs {
		if _, ok := worker.confirmed[id]; !ok {
			t.Errorf("real incident %s never reached the SOC's queue to be confirmed (confirmed: %v)", id, worker.confirmed)
		}
	}

	// Who heard of it.
	customerMail, err := e2e.Mails(xsoc.MailpitURL, "to:it@kestrel.example")
	if err != nil {
		t.Fatal(err)
	}
	firstConfirmed := time.Now()
	for _, at := range worker.confirmed {
		if at.Before(firstConfirmed) {
			firstConfirmed = at
		}
	}
	for _, m := range customerMail {
		if m.Created.Before(firstConfirmed.Add(-time.Second)) {
			t.Errorf("the customer was paged before any verdict: %q at %s", m.Subject, m.Created)
		}
	}
	if len(customerMail) != len(realIDs) {
		t.Errorf("the customer got %d pages, want one per real incident (%d): %v", len(customerMail), len(realIDs), subjects(customerMail))
	}
	socPages := 0
	for _, to := range []string{"soc-urgent@xsoc.example", "soc-triage@xsoc.example", "soc-notices@xsoc.example"} {
		mail, err := e2e.Mails(xsoc.MailpitURL, "to:"+to)
		if err != nil {
			t.Fatal(err)
		}
		socPages += len(mail)
	}
	alerts := len(learning) + len(burst)
	t.Logf("the month: %d alerts; %d SOC pages and notices; %d analyst touches (by hand: %d, 2 per alert); the customer paged %d times, after the verdicts; %s in all",
		alerts, socPages, worker.touches, 2*alerts, len(customerMail), time.Since(started).Round(time.Second))
	if worker.touches > alerts/3 {
		t.Errorf("%d analyst touches for %d alerts: more than a third of the manual baseline", worker.touches, alerts)
	}
}

func subjects(mail []e2e.Mail) []string {
	var list []string
	for _, m := range mail {
		list = append(list, m.Subject)
	}
	return list
}
