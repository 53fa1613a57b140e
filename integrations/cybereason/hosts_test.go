package cybereason

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"xsoc/integrations"
	"xsoc/integrations/cybereason/sim"
)

func TestFindHostAnswersTheSensorOrTheConsolesRefusal(t *testing.T) {
	t.Parallel()
	c, console := newTestClient(t, nil)
	pylumID, err := console.AddSensor(sim.Sensor{Name: "osk-pc-17", IP: "10.1.2.3", Isolated: true})
	if err != nil {
		t.Fatal(err)
	}
	facts, err := c.FindHost(context.Background(), integrations.Host{Name: "OSK-PC-17"})
	if err != nil {
		t.Fatalf("FindHost: %v", err)
	}
	if facts.Host.ID != pylumID || facts.Host.IP != "10.1.2.3" || !facts.Isolated || !strings.Contains(facts.Summary, "isolated") {
		t.Errorf("facts = %+v", facts)
	}

	_, err = c.FindHost(context.Background(), integrations.Host{Name: "osk-pc-99"})
	var vendorErr *integrations.VendorError
	if !errors.As(err, &vendorErr) || vendorErr.StatusCode != http.StatusNotFound || !strings.Contains(err.Error(), `no sensor for host "osk-pc-99"`) {
		t.Errorf("unknown host: %v", err)
	}
	if vendorErr != nil && vendorErr.Retryable() {
		t.Error("an unknown host is not worth asking again")
	}
}
