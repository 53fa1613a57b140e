package main

import (
	"testing"

	"github.com/leodido/go-syslog/v4/rfc5424"

	"xsoc/config"
	"xsoc/integrations/syslog"
	"xsoc/workflows/api"
)

// The bench firewall's event is a valid RFC 5424 message whose CEF event becomes the
// incident the syslog window waits for.
func TestTheBenchFirewallsEventIsAnIncidentOfItsOwn(t *testing.T) {
	customers, err := config.ParseCustomers("bench/customers.yaml", testCustomersFile(t), lookupSecret)
	if err != nil {
		t.Fatal(err)
	}
	netlog, _ := customers.Customer(syslogCustomer)
	source := netlog.SyslogSources[0].Mapping()
	message, err := rfc5424.NewParser().Parse([]byte(syslogEvent(42)))
	if err != nil {
		t.Fatal(err)
	}
	event, err := syslog.ParseCEF(*message.(*rfc5424.SyslogMessage).Message)
	if err != nil {
		t.Fatal(err)
	}
	alert, err := source.Alert(event, syslog.Origin{})
	if err != nil {
		t.Fatal(err)
	}
	if id := api.IncidentWorkflowID(syslogCustomer, syslog.Vendor, alert.ID); id != "incident/netlog/syslog/FGTBENCH0001-42" {
		t.Errorf("incident %s", id)
	}
	if alert.Severity != "high" || alert.HostNames()[0] != "netlog-syslog-42-host" || alert.Detection != detectionPrefix+"syslog-42" {
		t.Errorf("alert %+v", alert)
	}
	if len(alert.Hosts) != 1 || len(alert.Indicators) != 4 {
		t.Errorf("hosts %+v, indicators %+v: want the one host, the URL, its domain and two addresses", alert.Hosts, alert.Indicators)
	}
	if why := source.Ignored(alert, event); why != "" {
		t.Errorf("ignored: %s", why)
	}
}
