package activities

import (
	"fmt"
	"strings"
	"testing"

	"xsoc/integrations"
	cybereasonsim "xsoc/integrations/cybereason/sim"
	withsecuresim "xsoc/integrations/withsecure/sim"
)

// ContainHosts contains a batch of hosts through each vendor's list API, answering
// each host's outcome: a host the vendor does not know does not fail the others.
func TestContainHostsAnswersEachHost(t *testing.T) {
	a, console, elements := vendorsOf(t)
	var crHosts, wsHosts []integrations.Host
	for i := range 30 {
		name := fmt.Sprintf("cr-worm-%02d", i)
		if _, err := console.AddSensor(cybereasonsim.Sensor{Name: name}); err != nil {
			t.Fatal(err)
		}
		crHosts = append(crHosts, integrations.Host{Name: name})
		name = fmt.Sprintf("ws-worm-%02d", i)
		if _, err := elements.AddDevice(withsecuresim.DeviceRef{Name: name}); err != nil {
			t.Fatal(err)
		}
		wsHosts = append(wsHosts, integrations.Host{Name: name})
	}
	for vendor, hosts := range map[string][]integrations.Host{"cybereason": crHosts, "withsecure": wsHosts} {
		hosts = append(hosts, integrations.Host{Name: "unknown-" + vendor})
		results, err := run[[]integrations.HostResult](t, a, a.ContainHosts, HostsAction{Customer: "acme", Vendor: vendor,
			IncidentID: "incident/acme/campaign/w1", Action: "isolate", Hosts: hosts})
		if err != nil {
			t.Fatalf("%s: %v", vendor, err)
		}
		if len(results) != 31 {
			t.Fatalf("%s: %d results", vendor, len(results))
		}
		for _, r := range results[:30] {
			if !r.Done() {
				t.Errorf("%s: %+v", vendor, r)
			}
		}
		if last := results[30]; last.Done() || last.Retryable {
			t.Errorf("%s: the unknown host: %+v", vendor, last)
		}
	}
	if got := len(console.Isolated()); got != 30 {
		t.Errorf("%d Cybereason machines isolated", got)
	}
	if got := len(elements.Isolated()); got != 30 {
		t.Errorf("%d WithSecure devices isolated", got)
	}
	_, err := run[[]integrations.HostResult](t, a, a.ContainHosts, HostsAction{Customer: "acme", Vendor: "cybereason", Action: "wipe"})
	if err == nil || !strings.Contains(err.Error(), `action "wipe"`) {
		t.Errorf("an unknown action: %v", err)
	}
}
