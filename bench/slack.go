package main

import (
	"context"
	"strconv"
	"strings"
	"time"

	"xsoc/integrations/slack"
	slacksim "xsoc/integrations/slack/sim"
)

// socPages reads the SOC's pages and notices out of the Slack simulator, which runs
// in this process: the bench's SOC is paged on Slack. A message's ts is the moment
// the simulator took the post, on this process's clock, to the microsecond — the
// clock the HTTP send times are read on.
type socPages struct {
	sim *slacksim.Server
}

// slackPost is one message xsoc posted.
type slackPost struct {
	at       time.Time
	channel  string
	key      string // the notification's idempotency key
	incident string // the incident's workflow id (pages only)
}

// page tells whether the post is a page of the SOC tier (escalation step, any round).
func (p slackPost) page() bool { return p.incident != "" && strings.Contains(p.key, "/soc/page/") }

func (s socPages) posts() []slackPost {
	var posts []slackPost
	for _, m := range s.sim.Messages() {
		if m.Metadata == nil || m.Metadata.EventType != slack.MetadataEventType {
			continue
		}
		key, _ := m.Metadata.EventPayload["key"].(string)
		incident, _ := m.Metadata.EventPayload["incident_id"].(string)
		posts = append(posts, slackPost{at: slackTime(m.TS), channel: m.ChannelName, key: key, incident: incident})
	}
	return posts
}

// pages answers, per incident, the time of its first SOC page and how many it got.
func (s socPages) pages() map[string]pageCount {
	byIncident := map[string]pageCount{}
	for _, p := range s.posts() {
		if !p.page() {
			continue
		}
		c := byIncident[p.incident]
		if c.n == 0 || p.at.Before(c.first) {
			c.first = p.at
		}
		c.n++
		byIncident[p.incident] = c
	}
	return byIncident
}

type pageCount struct {
	first time.Time
	n     int
}

// await waits until every incident has had its first SOC page or the time runs out,
// and answers the pages and how many incidents are still missing one.
func (s socPages) await(ctx context.Context, incidents []string, within time.Duration) (map[string]pageCount, int) {
	deadline := time.Now().Add(within)
	for {
		pages := s.pages()
		missing := 0
		for _, id := range incidents {
			if pages[id].n == 0 {
				missing++
			}
		}
		if missing == 0 || time.Now().After(deadline) || ctx.Err() != nil {
			return pages, missing
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// notices answers the SOC notices whose key starts with prefix (a customer's triage
// notices: "triage/<customer>/storm/…").
func (s socPages) notices(prefix string) []slackPost {
	var out []slackPost
	for _, p := range s.posts() {
		if strings.HasPrefix(p.key, prefix) {
			out = append(out, p)
		}
	}
	return out
}

// slackTime reads a Slack ts ("seconds.micros").
func slackTime(ts string) time.Time {
	secs, micros, _ := strings.Cut(ts, ".")
	s, _ := strconv.ParseInt(secs, 10, 64)
	us, _ := strconv.ParseInt(micros, 10, 64)
	return time.Unix(s, us*1000)
}
