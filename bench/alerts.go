package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"xsoc/integrations"
	"xsoc/workflows/start"
)

// benchAlert is one normalized alert the bench sends. Every alert has its own host
// and detection unless a section says otherwise: two alerts on one host would be
// correlated into one incident, and one detection on three hosts would open a
// campaign.
type benchAlert struct {
	id, detection string
	severity      integrations.Severity
	host          string
	// hostVendor is the platform the host is on ("": the alert's own, none for a
	// generic alert).
	hostVendor string
}

// numbered is the n-th alert of a run of alerts: prefix-n on host prefix-host-n.
func numbered(prefix string, severity integrations.Severity) func(n int) benchAlert {
	return func(n int) benchAlert {
		id := fmt.Sprintf("%s-%d", prefix, n)
		return benchAlert{id: id, detection: detectionPrefix + id, severity: severity, host: id + "-host"}
	}
}

// detectionPrefix marks the bench's alerts.
const detectionPrefix = "xsoc-bench "

func (a benchAlert) normalized() integrations.Alert {
	return integrations.Alert{ID: a.id, Detection: a.detection, Severity: a.severity, Hosts: []integrations.Host{{Name: a.host, Vendor: a.hostVendor}}}
}

// alertSender posts normalized alerts to the starter the way a customer's tool does:
// one alert per request, bearer secret, connections kept alive and reused.
type alertSender struct {
	base   string // the starter
	secret string
	http   *http.Client
}

func newAlertSender(starterURL, secret string, concurrency int) *alertSender {
	// The default transport keeps only 2 idle connections per host: most requests
	// would open a new TCP connection.
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConns = 4 * concurrency
	transport.MaxIdleConnsPerHost = 4 * concurrency
	return &alertSender{base: starterURL, secret: secret, http: &http.Client{Transport: transport, Timeout: 60 * time.Second}}
}

// delivery is one alert posted: when it was sent, when the answer came back, and
// what the starter answered.
type delivery struct {
	alert      benchAlert
	customer   string
	sent       time.Time
	answered   time.Time
	status     int
	workflowID string
	duplicate  bool
	err        error
}

func (d delivery) started() bool {
	return d.err == nil && d.status == http.StatusAccepted && !d.duplicate
}

func (d delivery) latency() time.Duration { return d.answered.Sub(d.sent) }

func (s *alertSender) post(ctx context.Context, customer string, a benchAlert) delivery {
	d := delivery{alert: a, customer: customer}
	host := map[string]string{"name": a.host}
	if a.hostVendor != "" {
		host["vendor"] = a.hostVendor
	}
	body, _ := json.Marshal(map[string]any{
		"id": a.id, "detection": a.detection, "severity": a.severity, "hosts": []map[string]string{host},
	})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.base+"/v1/alerts/generic/"+customer, bytes.NewReader(body))
	if err != nil {
		d.err = err
		return d
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+s.secret)
	d.sent = time.Now()
	resp, err := s.http.Do(req)
	if err != nil {
		d.err = err
		return d
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	d.answered, d.status = time.Now(), resp.StatusCode
	if err != nil {
		d.err = err
		return d
	}
	var answer struct {
		Incidents []start.IncidentRef `json:"incidents"`
	}
	if err := json.Unmarshal(data, &answer); err != nil || len(answer.Incidents) != 1 {
		d.err = fmt.Errorf("answer %d %s", resp.StatusCode, data)
		return d
	}
	d.workflowID, d.duplicate = answer.Incidents[0].WorkflowID, answer.Incidents[0].Duplicate
	return d
}

// closedLoop runs `concurrency` senders, each sending its next item as soon as the
// previous one is answered, until `count` items are done (count > 0) or the time is
// up. Items are numbered from first; send answers what each did.
func closedLoop[T any](ctx context.Context, concurrency, first, count int, until time.Time, send func(n int) T) []T {
	var next atomic.Int64
	next.Store(int64(first - 1))
	var mu sync.Mutex
	var out []T
	var wg sync.WaitGroup
	for range concurrency {
		wg.Go(func() {
			for ctx.Err() == nil && time.Now().Before(until) {
				n := int(next.Add(1))
				if count > 0 && n >= first+count {
					return
				}
				result := send(n)
				mu.Lock()
				out = append(out, result)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return out
}

// postAll posts alerts from `concurrency` senders until `count` are sent or the time
// is up.
func (s *alertSender) postAll(ctx context.Context, concurrency, count int, until time.Time, customer string, alert func(n int) benchAlert) []delivery {
	return closedLoop(ctx, concurrency, 1, count, until, func(n int) delivery { return s.post(ctx, customer, alert(n)) })
}

// summary counts what the starter answered.
type summary struct {
	sent, started, failed int
	firstSent, lastAnswer time.Time
	firstError            string
}

func summarize(ds []delivery) summary {
	var s summary
	for _, d := range ds {
		if d.sent.IsZero() && d.err == nil {
			continue // never sent: the run was cut short
		}
		s.sent++
		if d.started() {
			s.started++
		} else {
			s.failed++
			if s.firstError == "" {
				s.firstError = fmt.Sprintf("%s: status %d, duplicate %v: %v", d.alert.id, d.status, d.duplicate, d.err)
			}
		}
		if s.firstSent.IsZero() || d.sent.Before(s.firstSent) {
			s.firstSent = d.sent
		}
		if d.answered.After(s.lastAnswer) {
			s.lastAnswer = d.answered
		}
	}
	return s
}

// incidentIDs answers the workflow ids of the incidents the deliveries started.
func incidentIDs(ds []delivery) []string {
	ids := make([]string, 0, len(ds))
	for _, d := range ds {
		if d.started() {
			ids = append(ids, d.workflowID)
		}
	}
	return ids
}
