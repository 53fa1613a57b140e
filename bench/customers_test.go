package main

import (
	"fmt"
	"testing"

	"xsoc/config"
	"xsoc/internal/devstack"
)

// testCustomersFile is the bench's customers file with every simulator at a local URL.
func testCustomersFile(t *testing.T) []byte {
	t.Helper()
	urls := map[string]string{}
	for i, name := range devstack.SimulatorNames {
		urls[name] = fmt.Sprintf("http://127.0.0.1:%d", i+1)
	}
	data, err := renderCustomers(urls)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// The customers file renders with the simulators' URLs and loads with the secrets the
// bench hands the worker and starter: the worm customer's hosts are on Cybereason,
// isolated first.
func TestTheWormCustomerContainsThroughTheCybereasonSimulator(t *testing.T) {
	customers, err := config.ParseCustomers("bench/customers.yaml", testCustomersFile(t), lookupSecret)
	if err != nil {
		t.Fatal(err)
	}
	worm, ok := customers.Customer(wormCustomer)
	if !ok {
		t.Fatalf("no customer %q", wormCustomer)
	}
	platform, ok := worm.Platform("cybereason")
	if !ok || platform.URL != "http://127.0.0.1:1" || platform.Poll != 0 {
		t.Errorf("worm's cybereason platform: %+v, %v; want the simulator's URL, not polled", platform, ok)
	}
	if worm.Response.Policy != "isolate_first" {
		t.Errorf("worm's policy %q, want isolate_first", worm.Response.Policy)
	}
	if _, err := renderCustomers(map[string]string{}); err == nil {
		t.Error("rendering without the simulators' URLs succeeded")
	}
}
