package casework

import (
	"testing"

	"github.com/stretchr/testify/require"

	"xsoc/config"
	"xsoc/integrations"
	"xsoc/workflows/api"
	"xsoc/workflows/internal/testworld"
)

func TestBreachPagesTheNextConfiguredLevel(t *testing.T) {
	t.Parallel()
	policy := testworld.Policy()
	delete(policy.Escalation, "critical")
	require.Equal(t, []config.Contact{{Email: "it-ml@acme.example"}, {Call: "+81300000001", Name: "CSO"}},
		AudienceOf(policy, api.TierCustomer).BreachContacts(integrations.SeverityHigh), "critical has no chain: the emergency chain's first steps")
	require.Equal(t, []config.Contact{{Email: "it-ml@acme.example"}, {Call: "+81300000001", Name: "CSO"}},
		AudienceOf(policy, api.TierCustomer).BreachContacts(integrations.SeverityEmergency), "at the top, the emergency chain's own first steps")
	require.Nil(t, AudienceOf(policy, api.TierCustomer).ChainFor(integrations.SeverityInfo), "info is never paged")
}
