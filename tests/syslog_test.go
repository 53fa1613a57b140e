package tests

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	gosyslog "github.com/leodido/go-syslog/v4"
	"github.com/leodido/go-syslog/v4/octetcounting"
	"github.com/leodido/go-syslog/v4/rfc5424"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"go.temporal.io/api/workflowservice/v1"

	"xsoc/integrations"
	"xsoc/internal/e2e"
	"xsoc/workflows/api"
)

// Network products send CEF and LEEF over syslog; util-linux logger is the sender, as
// any Debian machine has it. Initrode's FortiGate is known by its address and its
// syslog hostname (what logger writes on this machine); Hooli's NDR sensor by its
// address alone, and logger leaves the hostname out for it (--rfc5424=nohost).

// logger runs util-linux logger with args, sending to the starter's syslog TCP port.
func logger(t *testing.T, args ...string) {
	t.Helper()
	host, port, err := net.SplitHostPort(xsoc.SyslogTCP)
	if err != nil {
		t.Fatalf("the stack has no syslog TCP listener: %q", xsoc.SyslogTCP)
	}
	cmd := exec.Command("logger", append([]string{"--tcp", "-n", host, "-P", port}, args...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("logger %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// loggerHostname answers the hostname logger writes in RFC 5424 messages here: it
// sends one to a listener of its own and reads it back.
func loggerHostname() (string, error) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer func() { _ = listener.Close() }() // the probe is read or has failed
	_, port, _ := net.SplitHostPort(listener.Addr().String())
	sent := make(chan error, 1)
	go func() {
		out, err := exec.Command("logger", "--tcp", "--octet-count", "--rfc5424", "-n", "127.0.0.1", "-P", port, "probe").CombinedOutput()
		if err != nil {
			err = fmt.Errorf("%v: %s", err, out)
		}
		sent <- err
	}()
	_ = listener.(*net.TCPListener).SetDeadline(time.Now().Add(10 * time.Second))
	conn, err := listener.Accept()
	if err != nil {
		return "", errors.Join(err, <-sent)
	}
	defer func() { _ = conn.Close() }()
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	var hostname string
	octetcounting.NewParser(gosyslog.WithListener(func(r *gosyslog.Result) {
		if m, ok := r.Message.(*rfc5424.SyslogMessage); ok && m.Hostname != nil && hostname == "" {
			hostname = *m.Hostname
		}
	})).Parse(bufio.NewReader(conn))
	if err := <-sent; err != nil {
		return "", err
	}
	if hostname == "" {
		return "", errors.New("logger wrote no hostname")
	}
	return hostname, nil
}

// syslogIncident waits for the one syslog incident of a customer whose host is host,
// and answers its status.
func syslogIncident(t *testing.T, customer, host string) api.IncidentStatus {
	t.Helper()
	query := fmt.Sprintf(`WorkflowType="Incident" AND XsocCustomer=%q AND XsocVendor="syslog" AND XsocHost=%q`, customer, host)
	var id string
	eventually(t, 30*time.Second, "the incident of "+host, func() error {
		resp, err := xsoc.Temporal.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{Query: query})
		if err != nil {
			return err
		}
		if n := len(resp.GetExecutions()); n != 1 {
			return fmt.Errorf("%d incidents", n)
		}
		id = resp.GetExecutions()[0].GetExecution().GetWorkflowId()
		return nil
	})
	return incidentStatus(t, id)
}

// syslogCounter reads a counter of the starter's /metrics (0 when it has no such series).
func syslogCounter(t *testing.T, name string, labels map[string]string) float64 {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, xsoc.StarterURL+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+metricsToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("reading /metrics: %v", err)
	}
	family, ok := families[name]
	if !ok {
		t.Fatalf("/metrics has no %s", name)
	}
	for _, m := range family.GetMetric() {
		matches := true
		for _, pair := range m.GetLabel() {
			if want, ok := labels[pair.GetName()]; ok && want != pair.GetValue() {
				matches = false
			}
		}
		if matches {
			return m.GetCounter().GetValue()
		}
	}
	return 0
}

// unique makes an event this run's own.
func unique() string { return fmt.Sprint(time.Now().UnixNano()) }

// A FortiGate's CEF event sent by logger over TCP with octet counting becomes an
// incident of Initrode with the source's severity, the host, the user and the
// indicators; the same event sent again is a re-delivery of it.
func TestSyslogCEFEventBecomesAnIncidentOnce(t *testing.T) {
	run := unique()
	host := "osk-pc-" + run
	event := fmt.Sprintf(`CEF:0|Fortinet|Fortigate|v7.2.4|16384|utm:ips signature reset|8|deviceExternalId=FGT5HD3915800610 `+
		`FTNTFGTeventtime=%s cat=utm:ips src=198.51.100.23 dst=10.1.100.11 dhost=%s duser=ACME\\taro `+
		`request=http://evil.example/payload.exe act=reset msg=file_transfer: Eicar.Virus.Test.File`, run, host)
	labels := map[string]string{"customer": "initrode", "source": "hq-fortigate"}
	redeliveredBefore := syslogCounter(t, "xsoc_syslog_redelivered_total", labels)

	logger(t, "--octet-count", "--rfc5424", event)
	status := syslogIncident(t, "initrode", host)
	alert := status.Alert
	if status.Vendor != "syslog" || !strings.HasPrefix(status.WorkflowID, "incident/initrode/syslog/") {
		t.Errorf("incident %s of vendor %s", status.WorkflowID, status.Vendor)
	}
	if status.Severity != integrations.SeverityCritical || alert.VendorSeverity != "8" {
		t.Errorf("severity %s (vendor's %q), want critical from the source's 7-8 (high by default)", status.Severity, alert.VendorSeverity)
	}
	if alert.Detection != "utm:ips signature reset" || len(alert.Hosts) == 0 ||
		alert.Hosts[0] != (integrations.Host{Name: host, IP: "10.1.100.11"}) {
		t.Errorf("detection %q, hosts %+v", alert.Detection, alert.Hosts)
	}
	if !slices.Equal(alert.Users, []string{`ACME\taro`}) {
		t.Errorf("users %q", alert.Users)
	}
	for _, want := range []integrations.Indicator{{Type: "url", Value: "http://evil.example/payload.exe"},
		{Type: "domain", Value: "evil.example"}, {Type: "ip", Value: "198.51.100.23"}} {
		if !slices.Contains(alert.Indicators, want) {
			t.Errorf("indicators %+v lack %+v", alert.Indicators, want)
		}
	}

	logger(t, "--octet-count", "--rfc5424", event)
	eventually(t, 30*time.Second, "the same event again counted as a re-delivery", func() error {
		if n := syslogCounter(t, "xsoc_syslog_redelivered_total", labels) - redeliveredBefore; n != 1 {
			return fmt.Errorf("%v re-deliveries", n)
		}
		return nil
	})
	again := syslogIncident(t, "initrode", host)
	if again.WorkflowID != status.WorkflowID || again.Deliveries != status.Deliveries+1 {
		t.Errorf("the same event went to %s (deliveries %d), then %s (deliveries %d)", status.WorkflowID, status.Deliveries,
			again.WorkflowID, again.Deliveries)
	}
}

// A LEEF 2.0 event with its own delimiter, as a caret and as a hex value, parses.
func TestSyslogLEEF20WithACustomDelimiter(t *testing.T) {
	for _, delimiter := range []struct{ header, separator string }{{"^", "^"}, {"x7C", "|"}} {
		host := "ndr-target-" + unique()
		event := strings.Join([]string{"src=203.0.113.9", "dst=" + host, "sev=8", "usrName=hooli\\jane", "cat=C&C beacon"}, delimiter.separator)
		logger(t, "--octet-count", "--rfc5424=nohost",
			"LEEF:2.0|Lancope|StealthWatch|7.4|Suspicious Long Flow|"+delimiter.header+"|"+event)
		status := syslogIncident(t, "hooli", host)
		alert := status.Alert
		if alert.Detection != "Suspicious Long Flow" || status.Severity != integrations.SeverityHigh ||
			!slices.Equal(alert.Users, []string{`hooli\jane`}) {
			t.Errorf("delimiter %s: detection %q severity %s users %q", delimiter.header, alert.Detection, status.Severity, alert.Users)
		}
	}
}

// An event from a sender no customer's source takes makes no incident, and is counted.
func TestSyslogEventFromAnUnknownSenderIsCountedNotAnIncident(t *testing.T) {
	before := syslogCounter(t, "xsoc_syslog_unknown_source_total", map[string]string{"transport": "tcp"})
	host := "stranger-" + unique()
	// The sources take 127.0.0.1: this sender writes from 127.0.0.2.
	dialer := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}, Timeout: 5 * time.Second}
	conn, err := dialer.Dial("tcp", xsoc.SyslogTCP)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	message := "<134>1 2026-03-01T09:12:44Z fw99 - - - - CEF:0|Fortinet|Fortigate|v7|1|utm:ips signature reset|9|dhost=" + host
	if _, err := fmt.Fprintf(conn, "%d %s", len(message), message); err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, "the unknown sender counted", func() error {
		if n := syslogCounter(t, "xsoc_syslog_unknown_source_total", map[string]string{"transport": "tcp"}) - before; n != 1 {
			return fmt.Errorf("%v counted", n)
		}
		return nil
	})
	time.Sleep(2 * time.Second) // an incident, were one started, would be visible by now
	if n := countIncidentsOf(t, host); n != 0 {
		t.Errorf("an unknown sender's event made %d incidents", n)
	}
}

// 10,000 malformed lines are counted and do not stop the listener: an event after them
// on the same connection, and one by logger after that, become incidents.
func TestSyslogListenerSurvivesMalformedLines(t *testing.T) {
	labels := map[string]string{"customer": "hooli", "source": "lab-ndr", "reason": "syslog"}
	before := syslogCounter(t, "xsoc_syslog_bad_total", labels)
	conn, err := net.Dial("tcp", xsoc.SyslogTCP)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	writer := bufio.NewWriter(conn)
	for i := range 10_000 {
		_, _ = fmt.Fprintf(writer, "malformed line %d: no priority, no header\n", i) // a bufio.Writer keeps its first error for Flush
	}
	host := "after-garbage-" + unique()
	_, _ = fmt.Fprintf(writer, "<14>Mar  1 09:12:44 LEEF:1.0|Lancope|StealthWatch|7.4|Worm activity|dst=%s\tsev=9\n", host)
	if err := writer.Flush(); err != nil {
		t.Fatal(err)
	}
	syslogIncident(t, "hooli", host)
	if n := syslogCounter(t, "xsoc_syslog_bad_total", labels) - before; n != 10_000 {
		t.Errorf("%v malformed lines counted, want 10000", n)
	}
	next := "after-garbage-" + unique()
	logger(t, "--octet-count", "--rfc5424=nohost", "LEEF:1.0|Lancope|StealthWatch|7.4|Worm activity|dst="+next+"\tsev=9")
	syslogIncident(t, "hooli", next)
}

func countIncidentsOf(t *testing.T, host string) int64 {
	t.Helper()
	return e2e.Count(t, xsoc.Temporal, fmt.Sprintf(`WorkflowType="Incident" AND XsocHost=%q`, host))
}
