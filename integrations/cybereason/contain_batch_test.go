package cybereason

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"xsoc/integrations"
	"xsoc/integrations/cybereason/sim"
)

// A worm's hosts are isolated with one sensors query per way of naming them and one
// isolate command per batch, not calls per host; hosts already isolated, and hosts
// without a sensor, are answered on their own.
func TestIsolateHostsSendsOneCommandPerBatch(t *testing.T) {
	t.Parallel()
	c, console := newTestClient(t, nil)
	ctx := context.Background()
	var hosts []integrations.Host
	for i := range 150 {
		name := fmt.Sprintf("worm-pc-%03d", i)
		id, err := console.AddSensor(sim.Sensor{Name: name, Isolated: i == 7})
		if err != nil {
			t.Fatal(err)
		}
		host := integrations.Host{Name: name}
		if i%2 == 0 {
			host.ID = id
		}
		hosts = append(hosts, host)
	}
	hosts = append(hosts, integrations.Host{Name: "no-such-pc"})
	console.ResetCalls()

	results, err := c.IsolateHosts(ctx, hosts)
	if err != nil {
		t.Fatal(err)
	}

	if len(results) != len(hosts) {
		t.Fatalf("%d results for %d hosts", len(results), len(hosts))
	}
	for i, r := range results[:150] {
		if !r.Done() || r.Host.Name != hosts[i].Name {
			t.Errorf("host %d: %+v", i, r)
		}
		if r.Result.AlreadyInPlace != (i == 7) {
			t.Errorf("host %d already in place: %v", i, r.Result.AlreadyInPlace)
		}
		if !console.IsIsolated(hosts[i].Name) {
			t.Errorf("%s not isolated", hosts[i].Name)
		}
	}
	if missing := results[150]; missing.Done() || missing.Retryable || !strings.Contains(missing.Error, "no sensor") {
		t.Errorf("a host without a sensor: %+v", missing)
	}
	commands, queries := 0, 0
	for _, call := range console.Calls() {
		switch {
		case strings.HasSuffix(call.Path, "/commands/isolate"):
			commands++
		case strings.HasSuffix(call.Path, "/sensors/query"):
			queries++
		}
	}
	// Two batches (100 + 51 hosts): each one query by id, one by name, one command.
	if commands != 2 || queries != 4 {
		t.Errorf("%d isolate commands and %d sensor queries for 151 hosts, want 2 and 4", commands, queries)
	}

	released, err := c.ReleaseHosts(ctx, hosts[:150])
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range released {
		if !r.Done() || console.IsIsolated(hosts[i].Name) {
			t.Errorf("release of %s: %+v", hosts[i].Name, r)
		}
	}
}
