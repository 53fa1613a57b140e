package withsecure

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"xsoc/integrations"
	"xsoc/integrations/withsecure/sim"
)

// A worm's devices are isolated by one operation per batch of 50, not one per device;
// devices already isolated, and hosts without a device, are answered on their own.
func TestIsolateHostsSendsOneOperationPerBatch(t *testing.T) {
	t.Parallel()
	s, c := newSimClient(t)
	ctx := context.Background()
	var hosts []integrations.Host
	for i := range 120 {
		name := fmt.Sprintf("worm-lt-%03d", i)
		dev, err := s.AddDevice(sim.DeviceRef{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		host := integrations.Host{Name: name}
		if i%2 == 0 {
			host.ID = dev.ID
		}
		hosts = append(hosts, host)
	}
	if _, err := c.Isolate(ctx, hosts[5]); err != nil {
		t.Fatal(err)
	}
	hosts = append(hosts, integrations.Host{Name: "no-such-laptop"})
	before := len(callsTo(s, http.MethodPost, "/devices/v1/operations"))

	results, err := c.IsolateHosts(ctx, hosts)
	if err != nil {
		t.Fatal(err)
	}

	for i, r := range results[:120] {
		if !r.Done() || !s.IsIsolated(hosts[i].Name) {
			t.Errorf("%s: %+v", hosts[i].Name, r)
		}
		if r.Result.AlreadyInPlace != (i == 5) {
			t.Errorf("%s already in place: %v", hosts[i].Name, r.Result.AlreadyInPlace)
		}
	}
	if missing := results[120]; missing.Done() || missing.Retryable || !strings.Contains(missing.Error, "no device named") {
		t.Errorf("a host without a device: %+v", missing)
	}
	if n := len(callsTo(s, http.MethodPost, "/devices/v1/operations")) - before; n != 3 {
		t.Errorf("%d operations for 119 devices to isolate, want 3 (50 + 50 + 19)", n)
	}

	released, err := c.ReleaseHosts(ctx, hosts[:120])
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range released {
		if !r.Done() || s.IsIsolated(hosts[i].Name) {
			t.Errorf("release of %s: %+v", hosts[i].Name, r)
		}
	}
}
