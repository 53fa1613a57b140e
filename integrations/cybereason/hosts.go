package cybereason

import (
	"context"
	"fmt"
	"strings"

	"xsoc/integrations"
)

var _ integrations.HostFinder = (*Client)(nil)

// FindHost answers the machine's sensor: its pylumId, address and isolation state. A
// machine without a sensor is the console's 404, in its words.
func (c *Client) FindHost(ctx context.Context, host integrations.Host) (integrations.HostFacts, error) {
	s, err := c.findSensor(ctx, host)
	if err != nil {
		return integrations.HostFacts{}, err
	}
	found := integrations.Host{Name: s.MachineName.String(), IP: s.InternalIP.present(), ID: s.PylumID.String()}
	if found.Name == "" {
		found.Name = host.Name
	}
	state := "not isolated"
	if s.Isolated {
		state = "isolated"
	}
	details := nonEmpty(s.Status.present(), s.OSVersion.present(), state, "ip "+orDash(found.IP))
	return integrations.HostFacts{Host: found, Isolated: bool(s.Isolated),
		Summary: fmt.Sprintf("cybereason: sensor %s of %s: %s", found.ID, found.Name, strings.Join(details, ", "))}, nil
}
