package main

import (
	"os"
	"path/filepath"
	"testing"

	"xsoc/config"
	"xsoc/internal/devstack"
)

// make run's customers file loads with the variables make run sets, and its platforms
// are the simulators make run starts.
func TestTheExampleCustomersFileLoadsWithTheDemoEnvironment(t *testing.T) {
	env := environment(nil)
	file, _ := lookup(env, "XSOC_CUSTOMERS_FILE")
	data, err := os.ReadFile(filepath.Join("..", "..", "..", file))
	if err != nil {
		t.Fatal(err)
	}
	customers, err := config.ParseCustomers(file, data, func(name string) (string, bool) { return lookup(env, name) })
	if err != nil {
		t.Fatal(err)
	}
	addresses, err := devstack.AddressesFromEnv(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	platforms := 0
	for _, customer := range customers.Customers {
		for _, platform := range customer.Platforms {
			platforms++
			if want := "http://" + addresses.Simulators[platform.Vendor]; platform.URL != want {
				t.Errorf("%s's %s platform is at %s, but make run's simulator is at %s", customer.ID, platform.Vendor, platform.URL, want)
			}
		}
	}
	if platforms == 0 {
		t.Error("the example has no platform on the simulators")
	}
}

func TestTheCallersSettingsWinOverTheDemos(t *testing.T) {
	env := environment([]string{"XSOC_CUSTOMERS_FILE=mine.yaml", "ACME_WEBHOOK_SECRET=s3cret", "HOME=/home/soc"})
	for name, want := range map[string]string{"XSOC_CUSTOMERS_FILE": "mine.yaml", "ACME_WEBHOOK_SECRET": "s3cret", "GLOBEX_WEBHOOK_SECRET": "demo-secret"} {
		if got, _ := lookup(env, name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if _, found := lookup(env, "HOME"); found {
		t.Error("a variable that is not xsoc's was passed on (the stack's processes inherit the environment anyway)")
	}
}
