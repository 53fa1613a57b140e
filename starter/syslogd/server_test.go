package syslogd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.temporal.io/api/serviceerror"

	"xsoc/config"
	"xsoc/integrations"
	"xsoc/workflows/api"
	"xsoc/workflows/start"
)

// fakeIntake is intake as far as the listener sees it: an alert id seen before is a
// re-delivery. Deliver waits while gate is closed.
type fakeIntake struct {
	mu        sync.Mutex
	seen      map[string]bool
	delivered []delivery
	gate      chan struct{}
	fail      func(attempt int) error // the error of each attempt (nil: none)
	attempts  int
}

type delivery struct {
	customer  string
	alert     integrations.Alert
	duplicate bool
}

func newFakeIntake() *fakeIntake { return &fakeIntake{seen: map[string]bool{}} }

// hold makes Deliver wait until release.
func (f *fakeIntake) hold() {
	f.mu.Lock()
	f.gate = make(chan struct{})
	f.mu.Unlock()
}

func (f *fakeIntake) release() {
	f.mu.Lock()
	close(f.gate)
	f.mu.Unlock()
}

func (f *fakeIntake) Deliver(ctx context.Context, customer config.Customer, vendor string, alert integrations.Alert) (start.IncidentRef, error) {
	f.mu.Lock()
	gate := f.gate
	f.attempts++
	attempt := f.attempts
	f.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return start.IncidentRef{}, ctx.Err()
		}
	}
	if f.fail != nil {
		if err := f.fail(attempt); err != nil {
			return start.IncidentRef{}, err
		}
	}
	if err := alert.Validate(); err != nil {
		return start.IncidentRef{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	id := api.IncidentWorkflowID(customer.ID, vendor, alert.ID)
	duplicate := f.seen[id]
	f.seen[id] = true
	f.delivered = append(f.delivered, delivery{customer.ID, alert, duplicate})
	return start.IncidentRef{WorkflowID: id, Duplicate: duplicate}, nil
}

func (f *fakeIntake) deliveries() []delivery {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]delivery(nil), f.delivered...)
}

const customersFile = `customers:
  - id: acme
    services: [detect]
    webhook_secret_env: S
    response: {policy: hybrid}
    syslog_sources:
      - {name: hq-fortigate, from: ["127.0.0.0/8"], format: cef, min_severity: medium,
         severity: {"9-10": emergency}, hosts_from: [dst, src]}
  - id: globex
    services: [detect]
    webhook_secret_env: S
    response: {policy: hybrid}
    syslog_sources:
      - {name: ndr, from: ["127.0.0.1"], hostname: ndr01, format: leef}
`

type harness struct {
	t        *testing.T
	server   *Server
	intake   *fakeIntake
	registry *prometheus.Registry
	logs     *syncBuffer
	stop     func()
	done     chan error
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startListener runs a listener on free ports for the customers file.
func startListener(t *testing.T, file string, edit func(*Config)) *harness {
	t.Helper()
	customers, err := config.ParseCustomers("customers.yaml", []byte(file), func(string) (string, bool) { return "set", true })
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, intake: newFakeIntake(), registry: prometheus.NewRegistry(), logs: &syncBuffer{}, done: make(chan error, 1)}
	cfg := Config{
		Settings:  config.SyslogSettings{TCP: "127.0.0.1:0", UDP: "127.0.0.1:0", Queue: 100},
		Customers: customers, Intake: h.intake, Metrics: h.registry,
		Log: slog.New(slog.NewTextHandler(h.logs, nil)), Drain: time.Second,
	}
	if edit != nil {
		edit(&cfg)
	}
	if h.server, err = New(cfg); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { h.done <- h.server.Run(ctx) }()
	stopped := false
	h.stop = func() {
		if !stopped {
			stopped = true
			cancel()
			select {
			case err := <-h.done:
				if err != nil {
					t.Errorf("the listener stopped with %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Error("the listener did not stop")
			}
		}
	}
	t.Cleanup(h.stop)
	return h
}

// send writes data on a new TCP connection and closes it.
func (h *harness) send(transport, data string) {
	h.t.Helper()
	conn, err := net.Dial(transport, h.server.Addresses()[transport])
	if err != nil {
		h.t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	if _, err := io.WriteString(conn, data); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) count(vec *prometheus.CounterVec, labels ...string) int {
	return int(testutil.ToFloat64(vec.WithLabelValues(labels...)))
}

func (h *harness) eventually(what string, check func() error) {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	var err error
	for time.Now().Before(deadline) {
		if err = check(); err == nil {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	h.t.Fatalf("%s: %v\nlog:\n%s", what, err, h.logs.String())
}

func (h *harness) waitDeliveries(n int) []delivery {
	h.t.Helper()
	var got []delivery
	h.eventually(fmt.Sprintf("%d deliveries", n), func() error {
		if got = h.intake.deliveries(); len(got) != n {
			return fmt.Errorf("%d deliveries", len(got))
		}
		return nil
	})
	return got
}

func octetCounted(messages ...string) string {
	var b strings.Builder
	for _, m := range messages {
		fmt.Fprintf(&b, "%d %s", len(m), m)
	}
	return b.String()
}

const ipsEvent = `CEF:0|Fortinet|Fortigate|v6.0.3|16384|utm:ips signature reset|7|src=172.16.200.55 dst=10.1.100.11 duser=bob request=http://evil.example/x externalId=901`

// Both TCP framings on one port, and UDP, bring an event to intake as its customer's
// alert: RFC 5424 octet-counted, RFC 3164 a line (FortiGate's "CEF: 0" with a space).
func TestFramingsAndTransportsReachIntake(t *testing.T) {
	h := startListener(t, customersFile, nil)
	h.send("tcp", octetCounted("<134>1 2026-03-01T09:12:44Z fw01 - - - - "+ipsEvent))
	h.send("tcp", "<189>Dec 27 11:28:07 FGT-A-LOG CEF: 0|Fortinet|Fortigate|v6.0.3|16384|utm:ips signature reset|9|src=10.0.0.7 dst=10.0.0.8\n")
	h.send("udp", "<14>Mar  1 09:12:44 ndr01 LEEF:2.0|Lancope|StealthWatch|1.0|41|x5E|src=10.0.1.8^dst=10.0.0.5^sev=7^usrName=joe\n")
	got := h.waitDeliveries(3)
	byCustomer := map[string][]integrations.Alert{}
	for _, d := range got {
		byCustomer[d.customer] = append(byCustomer[d.customer], d.alert)
	}
	if len(byCustomer["acme"]) != 2 || len(byCustomer["globex"]) != 1 {
		t.Fatalf("deliveries by customer: %v", byCustomer)
	}
	var ips, emergency integrations.Alert
	for _, a := range byCustomer["acme"] {
		if a.Severity == integrations.SeverityEmergency {
			emergency = a
		} else {
			ips = a
		}
	}
	if ips.Severity != integrations.SeverityHigh || ips.Hosts[0].IP != "10.1.100.11" || ips.Users[0] != "bob" ||
		ips.Indicators[0] != (integrations.Indicator{Type: "url", Value: "http://evil.example/x"}) {
		t.Errorf("the octet-counted event: %+v", ips)
	}
	if emergency.Detection != "utm:ips signature reset" || emergency.Hosts[0].IP != "10.0.0.8" {
		t.Errorf("FortiGate's line (severity 9 mapped to emergency by the source): %+v", emergency)
	}
	if leef := byCustomer["globex"][0]; leef.Detection != "41" || leef.Users[0] != "joe" || leef.Severity != integrations.SeverityHigh {
		t.Errorf("the LEEF 2.0 event with a hex delimiter: %+v", leef)
	}
	m := h.server.metrics
	if h.count(m.received, "acme", "hq-fortigate") != 2 || h.count(m.parsed, "acme", "hq-fortigate") != 2 ||
		h.count(m.incidents, "acme", "hq-fortigate") != 2 || h.count(m.incidents, "globex", "ndr") != 1 {
		t.Errorf("counters: received %d parsed %d incidents %d/%d", h.count(m.received, "acme", "hq-fortigate"),
			h.count(m.parsed, "acme", "hq-fortigate"), h.count(m.incidents, "acme", "hq-fortigate"), h.count(m.incidents, "globex", "ndr"))
	}
}

// The same event sent again, in another syslog header, is a re-delivery.
func TestTheSameEventAgainIsARedelivery(t *testing.T) {
	h := startListener(t, customersFile, nil)
	h.send("tcp", octetCounted("<134>1 2026-03-01T09:12:44Z fw01 - - - - "+ipsEvent))
	h.waitDeliveries(1)
	h.send("tcp", "<134>Mar  1 10:00:00 fw01-other CEF:0|"+strings.TrimPrefix(ipsEvent, "CEF:0|")+"\n")
	got := h.waitDeliveries(2)
	if got[0].alert.ID != got[1].alert.ID || !got[1].duplicate {
		t.Errorf("ids %q and %q, duplicate %v", got[0].alert.ID, got[1].alert.ID, got[1].duplicate)
	}
	m := h.server.metrics
	if h.count(m.incidents, "acme", "hq-fortigate") != 1 || h.count(m.redelivered, "acme", "hq-fortigate") != 1 {
		t.Errorf("incidents %d, redelivered %d", h.count(m.incidents, "acme", "hq-fortigate"), h.count(m.redelivered, "acme", "hq-fortigate"))
	}
}

// 10,000 malformed lines on one connection are counted, logged once, and the event
// after them, and a new connection, are still served.
func TestMalformedLinesDoNotStopTheListener(t *testing.T) {
	h := startListener(t, customersFile, nil)
	var garbage strings.Builder
	for i := range 10_000 {
		switch i % 4 {
		case 0:
			garbage.WriteString("garbage without a priority\n")
		case 1:
			garbage.WriteString("<13>1 2026-03-01T09:12:44Z fw01 - - - - not an event at all\n")
		case 2:
			garbage.WriteString("<13>Mar  1 09:12:44 fw01 CEF:0|broken header\n")
		default:
			garbage.WriteString("<999>\x00\xff\xfe\n")
		}
	}
	garbage.WriteString("<134>Mar  1 09:12:44 fw01 " + ipsEvent + "\n")
	h.send("tcp", garbage.String())
	h.waitDeliveries(1)
	h.send("tcp", "<134>Mar  1 09:12:45 fw01 "+strings.Replace(ipsEvent, "externalId=901", "externalId=902", 1)+"\n")
	h.waitDeliveries(2)
	m := h.server.metrics
	bad := h.count(m.bad, "acme", "hq-fortigate", badSyslog) + h.count(m.bad, "acme", "hq-fortigate", badFormat)
	if bad != 10_000 || h.count(m.received, "acme", "hq-fortigate") != 10_002 {
		t.Errorf("bad %d (syslog %d, format %d), received %d: want 10000 and 10002", bad, h.count(m.bad, "acme", "hq-fortigate", badSyslog),
			h.count(m.bad, "acme", "hq-fortigate", badFormat), h.count(m.received, "acme", "hq-fortigate"))
	}
	if logged := strings.Count(h.logs.String(), "malformed syslog message dropped"); logged != 1 {
		t.Errorf("the malformed lines were logged %d times, want once a minute:\n%s", logged, h.logs.String())
	}
	if !strings.Contains(h.logs.String(), "reason=") || !strings.Contains(h.logs.String(), "source=hq-fortigate") {
		t.Errorf("the log does not say which source and why:\n%s", h.logs.String())
	}
}

func TestALineTooLongIsCountedAndSkipped(t *testing.T) {
	h := startListener(t, customersFile, nil)
	h.send("tcp", "<134>Mar  1 09:12:44 fw01 CEF:0|v|p|1|1|n|5|msg="+strings.Repeat("x", maxMessage+10)+"\n<134>Mar  1 09:12:44 fw01 "+ipsEvent+"\n")
	h.waitDeliveries(1)
	if n := h.count(h.server.metrics.bad, "acme", "hq-fortigate", badSyslog); n != 1 {
		t.Errorf("bad %d, want 1", n)
	}
}

// A frame whose count is wrong ends the connection (the stream cannot be trusted
// after it); the frames before it are served.
func TestABrokenFrameEndsItsConnection(t *testing.T) {
	h := startListener(t, customersFile, nil)
	conn, err := net.Dial("tcp", h.server.Addresses()["tcp"])
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	if _, err := io.WriteString(conn, octetCounted("<134>1 2026-03-01T09:12:44Z fw01 - - - - "+ipsEvent)+"99999999 <13>"); err != nil {
		t.Fatal(err)
	}
	h.waitDeliveries(1)
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := conn.Read(make([]byte, 1)); !errors.Is(err, io.EOF) && !strings.Contains(fmt.Sprint(err), "reset") {
		t.Errorf("the connection is still open after a broken frame: %v", err)
	}
	if n := h.count(h.server.metrics.bad, "acme", "hq-fortigate", badSyslog); n != 1 {
		t.Errorf("bad %d, want 1", n)
	}
}

// A sender no source takes is counted and logged with its address; it never reaches
// intake, and its connection is let go after its first message.
func TestUnknownSenderIsCountedAndDropped(t *testing.T) {
	file := strings.ReplaceAll(strings.ReplaceAll(customersFile, `"127.0.0.0/8"`, `"10.0.0.0/8"`), `"127.0.0.1"`, `"10.0.0.1"`)
	h := startListener(t, file, nil)
	conn, err := net.Dial("tcp", h.server.Addresses()["tcp"])
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	if _, err := io.WriteString(conn, strings.Repeat("<134>Mar  1 09:12:44 fw01 "+ipsEvent+"\n", 3)); err != nil {
		t.Fatal(err)
	}
	h.send("udp", "<134>Mar  1 09:12:44 fw01 "+ipsEvent+"\n")
	m := h.server.metrics
	h.eventually("unknown senders counted", func() error {
		if tcp, udp := h.count(m.unknown, "tcp"), h.count(m.unknown, "udp"); tcp != 1 || udp != 1 {
			return fmt.Errorf("tcp %d, udp %d", tcp, udp)
		}
		return nil
	})
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := conn.Read(make([]byte, 1)); !errors.Is(err, io.EOF) && !strings.Contains(fmt.Sprint(err), "reset") {
		t.Errorf("an unknown sender's connection stays open: %v", err)
	}
	if n := h.count(m.unknown, "tcp"); n != 1 {
		t.Errorf("%d messages of the let-go connection counted, want its first", n)
	}
	if got := h.intake.deliveries(); len(got) != 0 {
		t.Errorf("an unknown sender's event was delivered: %+v", got)
	}
	if !strings.Contains(h.logs.String(), "address=127.0.0.1") {
		t.Errorf("the log does not name the sender's address:\n%s", h.logs.String())
	}
}

// The hostname routes between sources that share an address; a hostname no source
// names falls to the one that names none, or is nobody's.
func TestHostnameRoutesBetweenSourcesOfOneAddress(t *testing.T) {
	h := startListener(t, customersFile, nil)
	leef := "LEEF:1.0|Lancope|StealthWatch|1.0|41|src=10.0.1.8\tdst=10.0.0.5\tsev=7"
	h.send("tcp", "<14>Mar  1 09:12:44 NDR01 "+leef+"\n")
	h.send("tcp", "<14>Mar  1 09:12:44 fw01 "+ipsEvent+"\n")
	got := h.waitDeliveries(2)
	for _, d := range got {
		if want := map[string]string{"41": "globex", "utm:ips signature reset": "acme"}[d.alert.Detection]; d.customer != want {
			t.Errorf("%s went to %s, want %s", d.alert.Detection, d.customer, want)
		}
	}
	// acme's source takes fw01's LEEF event by address, and reads it as CEF: bad.
	h.send("tcp", "<14>Mar  1 09:12:44 fw01 "+leef+"\n")
	h.eventually("a LEEF event to a CEF source is bad", func() error {
		if n := h.count(h.server.metrics.bad, "acme", "hq-fortigate", badFormat); n != 1 {
			return fmt.Errorf("bad %d", n)
		}
		return nil
	})
}

func TestMinSeverityAndEventsFilterCountNotDeliver(t *testing.T) {
	file := strings.Replace(customersFile, "min_severity: medium,", `min_severity: medium, events: ["*ips*"],`, 1)
	h := startListener(t, file, nil)
	h.send("tcp", strings.Join([]string{
		"<134>Mar  1 09:12:44 fw01 CEF:0|Fortinet|Fortigate|v6|1|utm:ips low|2|src=10.0.0.1",
		"<134>Mar  1 09:12:44 fw01 CEF:0|Fortinet|Fortigate|v6|2|traffic:forward close|7|src=10.0.0.1",
		"<134>Mar  1 09:12:44 fw01 " + ipsEvent,
	}, "\n")+"\n")
	h.waitDeliveries(1)
	m := h.server.metrics
	if below, outside := h.count(m.ignored, "acme", "hq-fortigate", "below_min_severity"), h.count(m.ignored, "acme", "hq-fortigate", "not_in_events"); below != 1 || outside != 1 {
		t.Errorf("ignored below min_severity %d, outside events %d: want 1 and 1", below, outside)
	}
}

// Past the queue, UDP events are dropped and counted; nothing is lost unaccounted.
func TestUDPDropsPastTheQueue(t *testing.T) {
	h := startListener(t, customersFile, func(c *Config) { c.Settings.Queue = 2; c.Workers = 1 })
	h.intake.hold()
	for i := range 20 {
		h.send("udp", fmt.Sprintf("<134>Mar  1 09:12:44 fw01 CEF:0|v|p|1|1|n|7|src=10.0.0.1 externalId=%d\n", i))
	}
	m := h.server.metrics
	h.eventually("every datagram queued, taken or dropped", func() error {
		if n := h.count(m.parsed, "acme", "hq-fortigate"); n != 20 {
			return fmt.Errorf("%d parsed", n)
		}
		return nil
	})
	dropped := h.count(m.dropped, "acme", "hq-fortigate", droppedQueueFull)
	if dropped < 20-3 || dropped > 20-2 {
		t.Errorf("%d dropped past a queue of 2 and one busy worker", dropped)
	}
	h.intake.release()
	h.waitDeliveries(20 - dropped)
	if !strings.Contains(h.logs.String(), "syslog queue full") {
		t.Errorf("the full queue was not logged:\n%s", h.logs.String())
	}
}

// Past the queue, a TCP sender waits: nothing is dropped.
func TestTCPWaitsWhenTheQueueIsFull(t *testing.T) {
	h := startListener(t, customersFile, func(c *Config) { c.Settings.Queue = 1; c.Workers = 1 })
	h.intake.hold()
	var lines strings.Builder
	for i := range 50 {
		fmt.Fprintf(&lines, "<134>Mar  1 09:12:44 fw01 CEF:0|v|p|1|1|n|7|src=10.0.0.1 externalId=%d\n", i)
	}
	h.send("tcp", lines.String())
	m := h.server.metrics
	time.Sleep(200 * time.Millisecond)
	if parsed := h.count(m.parsed, "acme", "hq-fortigate"); parsed > 3 {
		t.Errorf("%d events read while intake holds one and the queue one: the reader did not wait", parsed)
	}
	h.intake.release()
	h.waitDeliveries(50)
	if n := h.count(m.dropped, "acme", "hq-fortigate", droppedQueueFull); n != 0 {
		t.Errorf("%d TCP events dropped", n)
	}
}

// While Temporal cannot be reached the event waits and is delivered once it can; an
// event intake refuses is given up after a few tries and counted.
func TestDeliveryRetriesWhileTemporalIsUnreachable(t *testing.T) {
	h := startListener(t, customersFile, nil)
	h.intake.fail = func(attempt int) error {
		if attempt <= 2 {
			return serviceerror.NewUnavailable("connection refused")
		}
		return nil
	}
	h.send("tcp", "<134>Mar  1 09:12:44 fw01 "+ipsEvent+"\n")
	h.waitDeliveries(1)
	if !strings.Contains(h.logs.String(), "Temporal cannot be reached") {
		t.Errorf("the wait was not logged:\n%s", h.logs.String())
	}
	h.intake.fail = func(int) error { return serviceerror.NewInvalidArgument("bad search attribute") }
	h.send("tcp", "<134>Mar  1 09:12:44 fw01 "+strings.Replace(ipsEvent, "901", "902", 1)+"\n")
	h.eventually("a refused event counted", func() error {
		if n := h.count(h.server.metrics.dropped, "acme", "hq-fortigate", droppedDeliveryFailed); n != 1 {
			return fmt.Errorf("dropped %d", n)
		}
		return nil
	})
}

// Stopping gives queued events the drain time, then counts the rest as dropped.
func TestStopCountsWhatIsLeftInTheQueue(t *testing.T) {
	h := startListener(t, customersFile, func(c *Config) { c.Workers = 1; c.Drain = 200 * time.Millisecond })
	h.intake.hold()
	for i := range 5 {
		h.send("tcp", fmt.Sprintf("<134>Mar  1 09:12:44 fw01 CEF:0|v|p|1|1|n|7|src=10.0.0.1 externalId=%d\n", i))
	}
	m := h.server.metrics
	h.eventually("5 events parsed", func() error {
		if n := h.count(m.parsed, "acme", "hq-fortigate"); n != 5 {
			return fmt.Errorf("%d", n)
		}
		return nil
	})
	h.stop()
	if n := h.count(m.dropped, "acme", "hq-fortigate", droppedShutdown); n != 5 {
		t.Errorf("%d counted as dropped at shutdown, want 5", n)
	}
}

func TestMalformedLogIsRateLimitedPerSource(t *testing.T) {
	var out syncBuffer
	r := newRateLog(slog.New(slog.NewTextHandler(&out, nil)), time.Minute)
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	r.now = func() time.Time { return now }
	for range 3 {
		r.warn("bad acme/fw", "malformed", "source", "fw")
	}
	r.warn("bad acme/proxy", "malformed", "source", "proxy")
	now = now.Add(time.Minute)
	r.warn("bad acme/fw", "malformed", "source", "fw")
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 || !strings.Contains(lines[2], "not_logged_since=2") {
		t.Errorf("log:\n%s", out.String())
	}
}

func TestNewRefusesSourcesItCannotHear(t *testing.T) {
	file := customersFile + `      - {name: tls-only, tls_subject: "CN=fw01.globex.example", format: cef}` + "\n"
	customers, err := config.ParseCustomers("c.yaml", []byte(file), func(string) (string, bool) { return "x", true })
	if err != nil {
		t.Fatal(err)
	}
	_, err = New(Config{Settings: config.SyslogSettings{TCP: "127.0.0.1:0", Queue: 1}, Customers: customers,
		Intake: newFakeIntake(), Metrics: prometheus.NewRegistry()})
	if err == nil || !strings.Contains(err.Error(), "customer globex, syslog source tls-only authenticates by tls_subject, which needs XSOC_SYSLOG_TLS and XSOC_SYSLOG_CLIENT_CA") {
		t.Errorf("error %v", err)
	}
	if s, err := New(Config{Customers: customers, Intake: newFakeIntake(), Metrics: prometheus.NewRegistry()}); s != nil || err != nil {
		t.Errorf("no listener set: %v, %v; want syslog off", s, err)
	}
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = taken.Close() }()
	_, err = New(Config{Settings: config.SyslogSettings{TCP: taken.Addr().String(), Queue: 1}, Customers: &config.Customers{},
		Intake: newFakeIntake(), Metrics: prometheus.NewRegistry()})
	if err == nil || !strings.Contains(err.Error(), "XSOC_SYSLOG_TCP sets its address") {
		t.Errorf("a taken address: %v", err)
	}
	_, err = New(Config{Settings: config.SyslogSettings{TLS: "127.0.0.1:0", TLSCert: filepath.Join(t.TempDir(), "none.pem"), TLSKey: "none", Queue: 1},
		Customers: &config.Customers{}, Intake: newFakeIntake(), Metrics: prometheus.NewRegistry()})
	if err == nil || !strings.Contains(err.Error(), "XSOC_SYSLOG_TLS_CERT") || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a missing certificate: %v", err)
	}
}
