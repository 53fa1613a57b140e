package activities

import (
	"context"
	"fmt"

	"go.temporal.io/sdk/temporal"

	"xsoc/integrations"
)

// CountActiveEndpoints answers, by vendor, how many endpoints the customer's
// platforms report active (Cybereason sensors, WithSecure devices): under the per_id
// plan this is set beside the contracted ID count so that over-use shows. Platforms
// that cannot count (Zscaler) are left out.
func (a *Activities) CountActiveEndpoints(ctx context.Context, customer string) (map[string]int, error) {
	c, ok := a.Platforms.Customers.Customer(customer)
	if !ok {
		return nil, temporal.NewNonRetryableApplicationError("unknown customer "+customer, "ConfigError", nil)
	}
	counts := map[string]int{}
	for _, pc := range c.Platforms {
		p, err := a.Platforms.Client(customer, pc.Vendor)
		if err != nil {
			return nil, err
		}
		counter, ok := p.(integrations.EndpointCounter)
		if !ok {
			continue
		}
		n, err := counter.CountEndpoints(ctx)
		if err != nil {
			return nil, AsActivityError(fmt.Errorf("customer %s: counting active endpoints on %s: %w", customer, pc.Vendor, err))
		}
		counts[pc.Vendor] += n
	}
	return counts, nil
}
