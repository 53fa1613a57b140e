package activities

import (
	"fmt"
	"os"
	"sync"

	"go.temporal.io/sdk/temporal"

	"xsoc/config"
	"xsoc/integrations"
)

// PlatformFactory builds the client of one customer's vendor platform; credentials
// come from the worker's environment, never from workflow inputs.
type PlatformFactory func(platform config.Platform) (integrations.Platform, error)

// Platforms builds the client of each customer's vendor platform once and keeps it:
// a client holds the vendor session or token that every activity on this worker
// shares.
type Platforms struct {
	Customers *config.Customers
	// New builds one client: NewPlatform on a worker, a fake in tests.
	New PlatformFactory

	mu      sync.Mutex
	clients map[string]integrations.Platform
}

// NewPlatforms answers the platforms of the customers file, built by NewPlatform.
func NewPlatforms(customers *config.Customers) *Platforms {
	return &Platforms{Customers: customers, New: NewPlatform}
}

// Client answers the (cached) client of a customer's vendor platform. A customer or
// platform the customers file does not have is a final error: retrying cannot help.
func (p *Platforms) Client(customer, vendor string) (integrations.Platform, error) {
	key := customer + "/" + vendor
	p.mu.Lock()
	defer p.mu.Unlock()
	if client, ok := p.clients[key]; ok {
		return client, nil
	}
	c, ok := p.Customers.Customer(customer)
	if !ok {
		return nil, temporal.NewNonRetryableApplicationError("unknown customer "+customer, "ConfigError", nil)
	}
	pc, ok := c.Platform(vendor)
	if !ok {
		return nil, temporal.NewNonRetryableApplicationError(fmt.Sprintf("customer %s has no %s platform configured", customer, vendor), "ConfigError", nil)
	}
	client, err := p.New(pc)
	if err != nil {
		return nil, temporal.NewNonRetryableApplicationError(fmt.Sprintf("customer %s, %s: %v", customer, vendor, err), "ConfigError", err)
	}
	if p.clients == nil {
		p.clients = map[string]integrations.Platform{}
	}
	p.clients[key] = client
	return client, nil
}

// NewPlatform builds the real client of a customer's platform (the vendor registry's),
// with credentials from the worker's environment variables the customers file names.
func NewPlatform(p config.Platform) (integrations.Platform, error) { return p.Connect(os.Getenv) }
