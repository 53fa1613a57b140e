package withsecure

import (
	"context"
	"fmt"

	"xsoc/integrations"
)

var _ integrations.HostFinder = (*Client)(nil)

// FindHost answers the host's device: its id, address and isolation state. A host
// without a device (or a name several devices share) is WithSecure's refusal, in its
// words.
func (c *Client) FindHost(ctx context.Context, host integrations.Host) (integrations.HostFacts, error) {
	dev, err := c.resolveDevice(ctx, host)
	if err != nil {
		return integrations.HostFacts{}, err
	}
	found, _ := dev.host()
	if found.Name == "" {
		found.Name = host.Name
	}
	online := "offline"
	if dev.Online {
		online = "online"
	}
	return integrations.HostFacts{Host: found, Isolated: dev.isolated(),
		Summary: fmt.Sprintf("withsecure: device %s (%s): state %s, %s, protection %s, ip %s",
			deviceLabel(dev), dev.ID, orNone(dev.State), online, orNone(dev.ProtectionStatusOverview), orNone(found.IP))}, nil
}
