package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"xsoc/integrations"
	"xsoc/workflows/api"
)

// Section: syslog events turned into incidents, against the HTTP intake.
//
// A firewall's events arrive over syslog and become incidents through the same intake
// as an alert posted over HTTP, after the listener reads the frame, finds the source
// and parses the CEF. Each round has an http window and a syslog window, in a rotated
// order, of the same number of high alerts for the same customer, every one on a host
// and with a detection of its own:
//   - http: POST /v1/alerts/generic/netlog from `concurrency` senders, each waiting for
//     its 202, until every alert has its incident;
//   - syslog: `concurrency` TCP connections stream RFC 5424 frames with octet counting
//     (a FortiGate-like CEF event each) as fast as the listener reads them; the window
//     ends when the starter's xsoc_syslog_incidents_total has counted every one.
const syslogCustomer = "netlog"

var syslogKinds = []string{"http", "syslog"}

type syslogWindow struct {
	kind       string
	round      int
	started    int
	wall       time.Duration
	cpu        cpuUse
	firstError string
}

type syslogSection struct {
	load        string
	concurrency int
	events      int
	windows     []syslogWindow
	// lost are syslog events counted as bad, dropped or ignored by the listener.
	lost      float64
	incidents int
	drain     time.Duration // last window → every incident of the section paged
	drainMiss int
	err       string
}

func (s syslogSection) rate(kind string) float64 {
	var started int
	var wall time.Duration
	for _, w := range s.windows {
		if w.kind == kind {
			started += w.started
			wall += w.wall
		}
	}
	if wall <= 0 {
		return 0
	}
	return float64(started) / wall.Seconds()
}

func (s syslogSection) roundRatio(round int) float64 {
	rates := map[string]float64{}
	for _, w := range s.windows {
		if w.round == round && w.wall > 0 {
			rates[w.kind] = float64(w.started) / w.wall.Seconds()
		}
	}
	if rates["http"] == 0 {
		return 0
	}
	return rates["syslog"] / rates["http"]
}

func (s syslogSection) cpuOf(kind string) cpuUse {
	u := cpuUse{used: map[string]time.Duration{}}
	for _, w := range s.windows {
		if w.kind == kind {
			u = u.add(w.cpu)
		}
	}
	return u
}

func (b *bench) runSyslog(ctx context.Context) (syslogSection, error) {
	sec := syslogSection{load: loadAverage(), concurrency: b.s.concurrency, events: b.s.syslogEvents}
	if b.stack.SyslogTCP == "" {
		return sec, errors.New("the stack has no syslog listener")
	}
	var ids []string
	next := 1
	for round := range b.s.rounds {
		for i := range syslogKinds {
			kind := syslogKinds[(i+round)%len(syslogKinds)]
			b.log.Info("syslog: window", "kind", kind, "round", round+1, "events", sec.events)
			meter := startCPU(b.stack)
			var w syslogWindow
			var windowIDs []string
			if kind == "http" {
				w, windowIDs = b.httpWindow(ctx, next, sec.events)
			} else {
				var err error
				if w, windowIDs, err = b.syslogWindow(ctx, next, sec.events); err != nil {
					return sec, err
				}
			}
			w.kind, w.round, w.cpu = kind, round, meter.stop()
			sec.windows = append(sec.windows, w)
			ids = append(ids, windowIDs...)
			next += sec.events
		}
	}
	lastWindow := time.Now()
	sec.incidents = len(ids)
	lost, err := b.syslogCounters(ctx, lostCounters...)
	if err != nil {
		return sec, err
	}
	sec.lost = lost

	b.log.Info("syslog: waiting for the section's incidents to be paged", "incidents", len(ids))
	pages, missing := b.slack.await(ctx, ids, b.s.drainBudget)
	sec.drainMiss = missing
	var last time.Time
	for _, id := range ids {
		if p := pages[id]; p.n > 0 && p.first.After(last) {
			last = p.first
		}
	}
	sec.drain = last.Sub(lastWindow)
	return sec, nil
}

// httpWindow posts alerts first … first+count-1 and answers how fast they became incidents.
func (b *bench) httpWindow(ctx context.Context, first, count int) (syslogWindow, []string) {
	var w syslogWindow
	begin := time.Now()
	ds := closedLoop(ctx, b.s.concurrency, first, count, time.Now().Add(time.Hour), func(n int) delivery {
		return b.sender.post(ctx, syslogCustomer, numbered("netlog-http", integrations.SeverityHigh)(n))
	})
	w.wall = time.Since(begin)
	sum := summarize(ds)
	w.started, w.firstError = sum.started, sum.firstError
	return w, incidentIDs(ds)
}

// syslogWindow streams events first … first+count-1 over `concurrency` connections and
// answers how fast the listener turned them into incidents.
func (b *bench) syslogWindow(ctx context.Context, first, count int) (syslogWindow, []string, error) {
	var w syslogWindow
	before, err := b.syslogCounters(ctx, "xsoc_syslog_incidents_total")
	if err != nil {
		return w, nil, err
	}
	lostBefore, err := b.syslogCounters(ctx, lostCounters...)
	if err != nil {
		return w, nil, err
	}
	ids := make([]string, 0, count)
	for n := first; n < first+count; n++ {
		ids = append(ids, api.IncidentWorkflowID(syslogCustomer, "syslog", syslogSerial+"-"+fmt.Sprint(n)))
	}
	begin := time.Now()
	var senders sync.WaitGroup
	errs := make(chan error, b.s.concurrency)
	for c := range b.s.concurrency {
		senders.Go(func() {
			conn, err := net.Dial("tcp", b.stack.SyslogTCP)
			if err != nil {
				errs <- err
				return
			}
			defer func() { _ = conn.Close() }() // everything was flushed, or the error is already sent
			out := bufio.NewWriter(conn)
			for n := first + c; n < first+count; n += b.s.concurrency {
				frame := syslogEvent(n)
				_, _ = fmt.Fprintf(out, "%d %s", len(frame), frame) // a bufio.Writer keeps its first error for Flush
			}
			if err := out.Flush(); err != nil {
				errs <- err
			}
		})
	}
	senders.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return w, nil, fmt.Errorf("sending syslog: %w", err)
	}
	deadline := time.Now().Add(b.s.drainBudget)
	lost := 0
	for {
		now, err := b.syslogCounters(ctx, "xsoc_syslog_incidents_total")
		if err != nil {
			return w, nil, err
		}
		lostNow, err := b.syslogCounters(ctx, lostCounters...)
		if err != nil {
			return w, nil, err
		}
		w.started, lost = int(now-before), int(lostNow-lostBefore)
		if w.started+lost >= count || time.Now().After(deadline) || ctx.Err() != nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	w.wall = time.Since(begin)
	if w.started < count {
		w.firstError = fmt.Sprintf("%d of %d events had no incident (%d counted as lost by the listener)", count-w.started, count, lost)
	}
	return w, ids[:min(len(ids), w.started)], nil
}

// lostCounters count the events the listener did not turn into incidents.
var lostCounters = []string{"xsoc_syslog_bad_total", "xsoc_syslog_dropped_total", "xsoc_syslog_ignored_total", "xsoc_syslog_unknown_source_total"}

// syslogSerial is the bench firewall's serial, with the event's number its event id.
const syslogSerial = "FGTBENCH0001"

// syslogEvent is the n-th event of the bench firewall: a FortiGate-like IPS event of
// about 600 bytes, in an RFC 5424 message, on a host and with a detection and
// indicators of its own (shared ones would be correlated, or open a campaign).
func syslogEvent(n int) string {
	return fmt.Sprintf("<185>1 %s bench-fw01 - - - - CEF:0|Fortinet|Fortigate|v7.2.4|16384|%ssyslog-%d|7|"+
		"deviceExternalId=%s externalId=%d FTNTFGTlogid=0419016384 cat=utm:ips FTNTFGTsubtype=ips FTNTFGTeventtype=signature "+
		"FTNTFGTlevel=alert FTNTFGTvd=root FTNTFGTeventtime=%d src=198.18.%d.%d dst=10.%d.%d.%d dhost=netlog-syslog-%d-host "+
		"spt=443 dpt=51234 deviceInboundInterface=port1 deviceOutboundInterface=port2 act=dropped proto=6 app=HTTPS "+
		"FTNTFGTpolicyid=12 FTNTFGTattack=Bench.Signature.%d duser=bench\\\\user%d request=https://e%d.bench.example/x "+
		"msg=web_client: Bench.Signature.%d,",
		time.Now().UTC().Format("2006-01-02T15:04:05.000000Z07:00"), detectionPrefix, n, syslogSerial, n, time.Now().UnixNano(),
		n>>8&255, n&255, n>>16&255, n>>8&255, n&255, n, n, n, n, n)
}

// syslogCounters answers the sum of the netlog series of the starter's counters.
func (b *bench) syslogCounters(ctx context.Context, names ...string) (float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.stack.StarterURL+"/metrics", nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+benchDashboardToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		return 0, fmt.Errorf("reading the starter's /metrics: %w", err)
	}
	var sum float64
	for _, name := range names {
		for _, m := range families[name].GetMetric() {
			for _, label := range m.GetLabel() {
				if label.GetName() == "customer" && label.GetValue() == syslogCustomer || name == "xsoc_syslog_unknown_source_total" {
					sum += m.GetCounter().GetValue()
					break
				}
			}
		}
	}
	return sum, nil
}

func (r *report) syslogSection(w *writer) {
	sl := r.syslog
	w.line("## Syslog: events turned into incidents against HTTP intake (concurrency %d)", sl.concurrency)
	w.line("")
	w.line("Load average at the start: %s%s. %d rounds of an http and a syslog window of %d high alerts each, in a rotated order; every alert has a host and a detection of its own.",
		sl.load, r.settledNote("syslog"), r.settings.rounds, sl.events)
	w.line("")
	w.line("| kind | what one alert is | incidents/s | started | CPU during its windows |")
	w.line("|---|---|---|---|---|")
	what := map[string]string{
		"http":   "POST /v1/alerts/generic/netlog → 202, from " + fmt.Sprint(sl.concurrency) + " senders",
		"syslog": "an octet-counted RFC 5424 frame holding a FortiGate-like CEF event (~600 bytes) on one of " + fmt.Sprint(sl.concurrency) + " TCP connections, until xsoc_syslog_incidents_total counts it",
	}
	for _, kind := range syslogKinds {
		started, first := 0, ""
		for _, win := range sl.windows {
			if win.kind == kind {
				started += win.started
				if first == "" {
					first = win.firstError
				}
			}
		}
		note := ""
		if first != "" {
			note = "; " + first
		}
		w.line("| %s | %s | **%.1f** | %d%s | %s |", kind, what[kind], sl.rate(kind), started, note, sl.cpuOf(kind))
	}
	var rounds []string
	for round := range r.settings.rounds {
		rounds = append(rounds, fmt.Sprintf("%.2f", sl.roundRatio(round)))
	}
	w.line("")
	w.line("- **Syslog / HTTP intake: %.2f**; by round %s. Events the listener counted as bad, dropped, ignored or from no source: %.0f.",
		sl.rate("syslog")/sl.rate("http"), strings.Join(rounds, ", "), sl.lost)
	w.line("- The %d incidents of the section were all paged %s after the last window (%d missing)%s.", sl.incidents, ms(sl.drain), sl.drainMiss, errorNote(sl.err))
	w.line("")
}
