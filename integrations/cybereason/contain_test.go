package cybereason

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"

	"xsoc/integrations"
	"xsoc/integrations/cybereason/sim"
)

func TestSensorAnswersWithStringBooleans(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file     string
		pylumID  string
		machine  string
		isolated bool
	}{
		{"get_sensor_id_raw_response.json", "PYLUMCLIENT_INTEGRATION_DESKTOP-VG9KE2U_0800273ADC2F", "desktop-vg9ke2u", false},
		{"fetch_machine_details_raw_response.json", "PYLUMCLIENT_INTEGRATION_AMIPERLMUTTFC75_001C4208A1E2", "amiperlmuttfc75", false},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			var answer sensorsAnswer
			if err := json.Unmarshal(fixture(t, tt.file), &answer); err != nil {
				t.Fatalf("decoding sensors: %v", err)
			}
			s := answer.Sensors[0]
			if s.PylumID.String() != tt.pylumID || s.MachineName.String() != tt.machine || bool(s.Isolated) != tt.isolated {
				t.Errorf("sensor = %+v", s)
			}
		})
	}
}

func TestIsolateAndRelease(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		sensor      sim.Sensor
		host        func(pylumID string) integrations.Host
		alreadyThen bool // isolated before we start
	}{
		{"by pylumId, string booleans", sim.Sensor{Name: "osk-pc-17"},
			func(id string) integrations.Host { return integrations.Host{Name: "osk-pc-17", ID: id} }, false},
		{"by name only, native booleans", sim.Sensor{Name: "osk-pc-18", NativeBools: true},
			func(string) integrations.Host { return integrations.Host{Name: "osk-pc-18"} }, false},
		{"id is a machine guid, found by name", sim.Sensor{Name: "osk-pc-19"},
			func(string) integrations.Host { return integrations.Host{Name: "OSK-PC-19", ID: "kxwWqBCi55eyTiwX"} }, false},
		{"already isolated", sim.Sensor{Name: "osk-pc-20", Isolated: true},
			func(id string) integrations.Host { return integrations.Host{Name: "osk-pc-20", ID: id} }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, console := newTestClient(t, nil)
			ctx := context.Background()
			pylumID, err := console.AddSensor(tt.sensor)
			if err != nil {
				t.Fatal(err)
			}
			host := tt.host(pylumID)

			res, err := c.Isolate(ctx, host)
			if err != nil {
				t.Fatalf("Isolate: %v", err)
			}
			if res.Action != "isolate" || res.AlreadyInPlace != tt.alreadyThen || len(res.Targets) != 1 || res.VendorAnswer == "" {
				t.Errorf("Isolate = %+v", res)
			}
			if !console.IsIsolated(tt.sensor.Name) {
				t.Fatalf("%s is not isolated in the console", tt.sensor.Name)
			}
			again, err := c.Isolate(ctx, host)
			if err != nil || !again.AlreadyInPlace {
				t.Errorf("second Isolate = %+v, %v; want AlreadyInPlace", again, err)
			}
			wantCommands := 1
			if tt.alreadyThen {
				wantCommands = 0
			}
			if n := countCalls(console, http.MethodPost, "/rest/monitor/global/commands/isolate"); n != wantCommands {
				t.Errorf("isolate commands sent = %d, want %d", n, wantCommands)
			}

			released, err := c.Release(ctx, host)
			if err != nil || released.Action != "release" || released.AlreadyInPlace {
				t.Fatalf("Release = %+v, %v", released, err)
			}
			if console.IsIsolated(tt.sensor.Name) {
				t.Fatalf("%s still isolated", tt.sensor.Name)
			}
			if again, err := c.Release(ctx, host); err != nil || !again.AlreadyInPlace {
				t.Errorf("second Release = %+v, %v; want AlreadyInPlace", again, err)
			}
			if n := countCalls(console, http.MethodPost, "/rest/monitor/global/commands/un-isolate"); n != 1 {
				t.Errorf("un-isolate commands sent = %d, want 1", n)
			}
		})
	}
}

func TestIsolateMachineOfAPolledMalop(t *testing.T) {
	t.Parallel()
	c, console := newTestClient(t, nil)
	addMalop(t, console, sim.Malop{Machines: []sim.Machine{{Name: "fs-01"}, {Name: "osk-pc-17"}}})
	page, err := c.Poll(context.Background(), "", timeZero)
	if err != nil || len(page.Alerts) != 1 {
		t.Fatalf("Poll = %+v, %v", page, err)
	}
	host := page.Alerts[0].Hosts[1]
	if host.ID == "" {
		t.Fatalf("host %+v carries no pylumId", host)
	}
	if _, err := c.Isolate(context.Background(), host); err != nil {
		t.Fatal(err)
	}
	if got := console.Isolated(); len(got) != 1 || got[0] != "osk-pc-17" {
		t.Errorf("isolated = %v, want [osk-pc-17]", got)
	}
}

func TestIsolateRefusals(t *testing.T) {
	t.Parallel()
	c, console := newTestClient(t, nil)
	ctx := context.Background()
	if _, err := console.AddSensor(sim.Sensor{Name: "old-pc", Status: "Archived"}); err != nil {
		t.Fatal(err)
	}

	_, err := c.Isolate(ctx, integrations.Host{Name: "nowhere"})
	if ve := vendorError(t, err); ve.StatusCode != http.StatusNotFound || ve.Retryable() {
		t.Errorf("unknown host: %+v, want a non-retryable not-found", ve)
	}

	_, err = c.Isolate(ctx, integrations.Host{Name: "old-pc"})
	if ve := vendorError(t, err); ve.Retryable() != true || ve.Operation != "isolate" {
		t.Errorf("sensor answering Failed: %+v, want a retryable isolate error", ve)
	}

	if _, err := c.Isolate(ctx, integrations.Host{IP: "10.0.0.1"}); err == nil {
		t.Error("a host with neither name nor id was accepted")
	}

	console.FailNextWith("/rest/sensors/query", http.StatusForbidden, 1, "", "User lacks the Responder role")
	_, err = c.Isolate(ctx, integrations.Host{Name: "old-pc"})
	if ve := vendorError(t, err); ve.Retryable() || ve.Message != "User lacks the Responder role" {
		t.Errorf("403: %+v", ve)
	}
}

func TestBlockIsUnsupported(t *testing.T) {
	t.Parallel()
	c, console := newTestClient(t, nil)
	ind := []integrations.Indicator{{Type: "domain", Value: "evil.example"}}
	if _, err := c.Block(context.Background(), ind); !errors.Is(err, integrations.ErrUnsupported) {
		t.Errorf("Block: %v", err)
	}
	if _, err := c.Unblock(context.Background(), ind); !errors.Is(err, integrations.ErrUnsupported) {
		t.Errorf("Unblock: %v", err)
	}
	if calls := console.Calls(); len(calls) != 0 {
		t.Errorf("Block called the console: %+v", calls)
	}
}
