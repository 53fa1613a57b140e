package withsecure

import (
	"context"
	"net/url"

	"xsoc/integrations"
)

var _ integrations.EndpointCounter = (*Client)(nil)

// activeState is the device state of a device in use; "inactive" and "blocked"
// devices are kept in the organization but are not protected endpoints.
const activeState = "active"

// CountEndpoints answers how many of the organization's devices are active. The
// devices API answers no total, so the active devices are counted page by page.
func (c *Client) CountEndpoints(ctx context.Context) (int, error) {
	count := 0
	err := c.devicePages(ctx, url.Values{"state": {activeState}}, func(items []deviceInfo) { count += len(items) })
	if err != nil {
		return 0, err
	}
	return count, nil
}
