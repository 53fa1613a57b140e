package zscaler

import (
	"context"

	"xsoc/integrations"
)

var _ integrations.IndicatorLookup = (*Client)(nil)

// LookUpIndicators asks ZIA what it knows of indicators outside any alert (a
// customer's "investigate this domain / hash"): the same URL lookup and sandbox
// reports as an incident's investigation.
func (c *Client) LookUpIndicators(ctx context.Context, indicators []integrations.Indicator) (integrations.Findings, error) {
	return c.Investigate(ctx, integrations.Alert{Indicators: indicators})
}
