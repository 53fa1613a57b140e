package withsecure

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"xsoc/integrations/withsecure/sim"
)

func TestCountEndpointsCountsActiveDevicesAcrossPages(t *testing.T) {
	t.Parallel()
	s, c := newSimClient(t)
	const active = 2*devicesPageSize + 7
	for i := range active {
		if _, err := s.AddDevice(sim.DeviceRef{Name: fmt.Sprintf("osk-pc-%03d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	for _, ref := range []sim.DeviceRef{{Name: "retired-1", State: "inactive"}, {Name: "lost-1", State: "blocked"}} {
		if _, err := s.AddDevice(ref); err != nil {
			t.Fatal(err)
		}
	}
	got, err := c.CountEndpoints(context.Background())
	if err != nil {
		t.Fatalf("CountEndpoints: %v", err)
	}
	if got != active {
		t.Errorf("CountEndpoints = %d, want %d (inactive and blocked devices left out)", got, active)
	}
	calls := callsTo(s, http.MethodGet, "/devices/v1/devices")
	if len(calls) != 3 {
		t.Fatalf("%d device pages read, want 3", len(calls))
	}
	for _, call := range calls {
		if !strings.Contains(call.Query, "state=active") {
			t.Errorf("device query %q does not ask for active devices", call.Query)
		}
	}
}

func TestCountEndpointsOfAnEmptyOrganization(t *testing.T) {
	t.Parallel()
	_, c := newSimClient(t)
	got, err := c.CountEndpoints(context.Background())
	if err != nil || got != 0 {
		t.Fatalf("CountEndpoints = %d, %v; want 0", got, err)
	}
}

func TestCountEndpointsFailureCarriesTheVendorsWords(t *testing.T) {
	t.Parallel()
	s, c := newSimClient(t)
	s.FailNext("/devices/v1/devices", http.StatusServiceUnavailable, 1, "7")
	_, err := c.CountEndpoints(context.Background())
	ve := vendorError(t, err)
	if ve.StatusCode != http.StatusServiceUnavailable || !ve.Retryable() || ve.Operation != "list devices" {
		t.Errorf("error = %+v, want a retryable 503 of list devices", ve)
	}
}
