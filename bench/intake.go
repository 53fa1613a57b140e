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

	"xsoc/workflows"
)

// alertSender posts normalized alerts to the starter the way a customer's tool does:
// one alert per request, bearer secret, connections kept alive and reused.
type alertSender struct {
	url    string // POST /v1/alerts/generic/{customer}
	secret string
	http   *http.Client
}

func newAlertSender(starterURL, customer, secret string, concurrency int) *alertSender {
	// The default transport keeps only 2 idle connections per host: at concurrency 50
	// most requests would open a new TCP connection.
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConns = 2 * concurrency
	transport.MaxIdleConnsPerHost = 2 * concurrency
	return &alertSender{
		url:    starterURL + "/v1/alerts/generic/" + customer,
		secret: secret,
		http:   &http.Client{Transport: transport, Timeout: 60 * time.Second},
	}
}

// delivery is one alert posted: when it was sent, when the 202 came back, and what
// the starter answered.
type delivery struct {
	alertID    string
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

func (d delivery) intakeLatency() time.Duration { return d.answered.Sub(d.sent) }

// alertBody is a high (paging) or medium (not paging) alert whose detection carries the
// alert id, so that the page's email subject names it.
func alertBody(id, severity, host string) []byte {
	body, _ := json.Marshal(map[string]any{
		"id": id, "detection": detectionPrefix + id, "severity": severity,
		"hosts": []map[string]string{{"name": host}},
	})
	return body
}

// detectionPrefix marks the bench's alerts in email subjects: "... xsoc-bench <alert id> on <host>".
const detectionPrefix = "xsoc-bench "

func (s *alertSender) post(ctx context.Context, id, severity, host string) delivery {
	d := delivery{alertID: id}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(alertBody(id, severity, host)))
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
		Incidents []workflows.IncidentRef `json:"incidents"`
		Error     string                  `json:"error"`
	}
	if err := json.Unmarshal(data, &answer); err != nil || len(answer.Incidents) != 1 {
		d.err = fmt.Errorf("answer %d %s", resp.StatusCode, data)
		return d
	}
	d.workflowID, d.duplicate = answer.Incidents[0].WorkflowID, answer.Incidents[0].Duplicate
	return d
}

// closedLoop posts alerts from `concurrency` senders, each sending its next alert as
// soon as the previous one is answered, until `count` alerts are sent (count > 0) or
// the time is up. Alert ids are prefix-1, prefix-2, ...
func (s *alertSender) closedLoop(ctx context.Context, concurrency, count int, until time.Time, prefix, severity, host string) []delivery {
	var next atomic.Int64
	var mu sync.Mutex
	var out []delivery
	var wg sync.WaitGroup
	for range concurrency {
		wg.Go(func() {
			for ctx.Err() == nil && time.Now().Before(until) {
				n := int(next.Add(1))
				if count > 0 && n > count {
					return
				}
				d := s.post(ctx, fmt.Sprintf("%s-%d", prefix, n), severity, host)
				mu.Lock()
				out = append(out, d)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return out
}

// openLoop posts alerts at a fixed offered rate for a while, each on its own schedule
// whether or not the earlier ones were answered (what an alert storm does).
func (s *alertSender) openLoop(ctx context.Context, rate float64, duration time.Duration, prefix, severity, host string) []delivery {
	n := int(rate * duration.Seconds())
	interval := time.Duration(float64(time.Second) / rate)
	out := make([]delivery, n)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range n {
		time.Sleep(time.Until(start.Add(time.Duration(i) * interval)))
		if ctx.Err() != nil {
			break
		}
		wg.Go(func() { out[i] = s.post(ctx, fmt.Sprintf("%s-%d", prefix, i+1), severity, host) })
	}
	wg.Wait()
	return out
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
		switch {
		case d.started():
			s.started++
		default: // an error, or an answer other than 202 for a new alert
			s.failed++
			if s.firstError == "" {
				s.firstError = fmt.Sprintf("%s: status %d, duplicate %v: %v", d.alertID, d.status, d.duplicate, d.err)
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

func alertIDs(ds []delivery) []string {
	ids := make([]string, 0, len(ds))
	for _, d := range ds {
		if d.started() {
			ids = append(ids, d.alertID)
		}
	}
	return ids
}
