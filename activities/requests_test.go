package activities

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"go.temporal.io/sdk/temporal"

	"xsoc/integrations"
	cybereasonsim "xsoc/integrations/cybereason/sim"
	withsecuresim "xsoc/integrations/withsecure/sim"
)

func TestFindHostAsksThePlatformsInOrder(t *testing.T) {
	a, console, elements := vendorsOf(t)
	if _, err := console.AddSensor(cybereasonsim.Sensor{Name: "osk-pc-17"}); err != nil {
		t.Fatal(err)
	}
	if _, err := elements.AddDevice(withsecuresim.DeviceRef{Name: "tky-pc-3"}); err != nil {
		t.Fatal(err)
	}
	vendors := []string{"zscaler", "cybereason", "withsecure"}
	for host, vendor := range map[string]string{"osk-pc-17": "cybereason", "tky-pc-3": "withsecure"} {
		found, err := a.FindHost(context.Background(), FindHostRequest{Customer: "acme", Vendors: vendors, Host: integrations.Host{Name: host}})
		if err != nil {
			t.Fatalf("%s: %v", host, err)
		}
		if found.Vendor != vendor || found.Facts.Host.ID == "" {
			t.Errorf("%s found %+v, want on %s", host, found, vendor)
		}
	}

	_, err := a.FindHost(context.Background(), FindHostRequest{Customer: "acme", Vendors: vendors, Host: integrations.Host{Name: "osk-pc-99"}})
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.Type() != ErrorHostUnknown || !appErr.NonRetryable() {
		t.Fatalf("unknown host: %v", err)
	}
	for _, words := range []string{"host osk-pc-99 is not known to the platforms of customer acme (asked cybereason, withsecure)", `no sensor for host "osk-pc-99"`, `no device named "osk-pc-99"`} {
		if !strings.Contains(appErr.Message(), words) {
			t.Errorf("%q lacks %q", appErr.Message(), words)
		}
	}

	console.FailNext("/rest/sensors/query", http.StatusBadGateway, 1, "")
	_, err = a.FindHost(context.Background(), FindHostRequest{Customer: "acme", Vendors: vendors, Host: integrations.Host{Name: "osk-pc-17"}})
	if !errors.As(err, &appErr) || appErr.NonRetryable() || !strings.Contains(err.Error(), "502") {
		t.Errorf("a vendor down is retried: %v", err)
	}

	found, err := a.FindHost(context.Background(), FindHostRequest{Customer: "acme", Vendors: []string{"zscaler"}, Host: integrations.Host{Name: "pc"}})
	if err != nil || found.Vendor != "" {
		t.Errorf("no platform that finds hosts: %+v, %v", found, err)
	}
}
