package testworld

import (
	"fmt"
	"time"

	"xsoc/identity"
)

// Stamp is what the codec server (or a Slack button, a call) writes into a decision
// sent d after Start by name, proven via: its id names the person and the moment, so
// two stamps of one person at one moment are one stamp.
func Stamp(name, via string, d time.Duration) identity.Stamp {
	return identity.Stamp{Principal: &identity.Principal{Name: name, Via: via, At: Start.Add(d), ID: fmt.Sprintf("%s-%s", name, d)}}
}
