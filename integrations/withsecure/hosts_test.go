package withsecure

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"xsoc/integrations"
	"xsoc/integrations/withsecure/sim"
)

func TestFindHostAnswersTheDeviceOrWithSecuresRefusal(t *testing.T) {
	t.Parallel()
	s, c := newSimClient(t)
	dev, err := s.AddDevice(sim.DeviceRef{Name: "osk-pc-17", IP: "10.1.2.3"})
	if err != nil {
		t.Fatal(err)
	}
	facts, err := c.FindHost(context.Background(), integrations.Host{Name: "osk-pc-17"})
	if err != nil {
		t.Fatalf("FindHost: %v", err)
	}
	if facts.Host.ID != dev.ID || facts.Isolated || !strings.Contains(facts.Summary, dev.ID) {
		t.Errorf("facts = %+v", facts)
	}

	_, err = c.FindHost(context.Background(), integrations.Host{Name: "osk-pc-99"})
	var vendorErr *integrations.VendorError
	if !errors.As(err, &vendorErr) || vendorErr.StatusCode != http.StatusNotFound || !strings.Contains(err.Error(), `no device named "osk-pc-99"`) {
		t.Errorf("unknown host: %v", err)
	}
}
