package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"
)

// mailbox follows what Mailpit receives. It lists the newest messages a few times a
// second, reading back only as far as it needs (messages are listed newest first), and
// keeps, per bench alert id, the time Mailpit received each of its pages. Latencies
// use Mailpit's own receive time, so the polling interval does not add to them.
type mailbox struct {
	base string
	http *http.Client
	log  *slog.Logger

	mu     sync.Mutex
	seen   map[string]bool        // Mailpit message ids
	pages  map[string][]time.Time // bench alert id → receive time of each page
	other  int                    // messages that name no bench alert
	newest time.Time
}

const (
	mailPage  = 1000
	mailEvery = 250 * time.Millisecond
	// mailOverlap reads back a little before the newest message already seen: two SMTP
	// sessions may store their messages slightly out of receive-time order.
	mailOverlap = 3 * time.Second
)

func newMailbox(base string, log *slog.Logger) *mailbox {
	return &mailbox{base: base, http: &http.Client{Timeout: 30 * time.Second}, log: log,
		seen: map[string]bool{}, pages: map[string][]time.Time{}}
}

type mailpitPage struct {
	Total    int `json:"total"`
	Messages []struct {
		ID      string    `json:"ID"`
		Subject string    `json:"Subject"`
		Created time.Time `json:"Created"`
	} `json:"messages"`
}

// follow polls until ctx ends.
func (m *mailbox) follow(ctx context.Context) {
	ticker := time.NewTicker(mailEvery)
	defer ticker.Stop()
	for {
		if err := m.poll(ctx); err != nil && ctx.Err() == nil {
			m.log.Warn("listing Mailpit messages", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

func (m *mailbox) poll(ctx context.Context) error {
	m.mu.Lock()
	horizon := m.newest.Add(-mailOverlap)
	m.mu.Unlock()
	for start := 0; ; start += mailPage {
		page, err := m.list(ctx, start)
		if err != nil {
			return err
		}
		m.mu.Lock()
		older := false
		for _, msg := range page.Messages {
			if msg.Created.Before(horizon) {
				older = true
				break
			}
			if m.seen[msg.ID] {
				continue
			}
			m.seen[msg.ID] = true
			if msg.Created.After(m.newest) {
				m.newest = msg.Created
			}
			if id, ok := benchAlertID(msg.Subject); ok {
				m.pages[id] = append(m.pages[id], msg.Created)
			} else {
				m.other++
			}
		}
		m.mu.Unlock()
		if older || len(page.Messages) < mailPage {
			return nil
		}
	}
}

func (m *mailbox) list(ctx context.Context, start int) (mailpitPage, error) {
	var page mailpitPage
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/api/v1/messages?start=%d&limit=%d", m.base, start, mailPage), nil)
	if err != nil {
		return page, err
	}
	resp, err := m.http.Do(req)
	if err != nil {
		return page, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return page, fmt.Errorf("GET /api/v1/messages: %s", resp.Status)
	}
	return page, json.NewDecoder(resp.Body).Decode(&page)
}

// benchAlertID reads the alert id out of a page's subject: "... xsoc-bench <id> on <host>".
func benchAlertID(subject string) (string, bool) {
	_, rest, ok := strings.Cut(subject, detectionPrefix)
	if !ok {
		return "", false
	}
	id, _, _ := strings.Cut(rest, " ")
	return id, id != ""
}

// firstPage answers when Mailpit received the alert's first page, and how many pages it got.
func (m *mailbox) firstPage(alertID string) (time.Time, int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	times := m.pages[alertID]
	if len(times) == 0 {
		return time.Time{}, 0
	}
	first := times[0]
	for _, t := range times[1:] {
		if t.Before(first) {
			first = t
		}
	}
	return first, len(times)
}

// await waits until every alert has had its first page or the time runs out, and
// answers how many are still missing.
func (m *mailbox) await(ctx context.Context, ids []string, within time.Duration) int {
	deadline := time.Now().Add(within)
	for {
		missing := 0
		for _, id := range ids {
			if _, n := m.firstPage(id); n == 0 {
				missing++
			}
		}
		if missing == 0 || time.Now().After(deadline) || ctx.Err() != nil {
			return missing
		}
		time.Sleep(mailEvery)
	}
}
