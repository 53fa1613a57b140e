package workflows

import (
	"testing"

	"github.com/stretchr/testify/require"

	"xsoc/config"
	"xsoc/integrations"
)

func TestPolicyDecidesByHostAndSeverity(t *testing.T) {
	t.Parallel()
	policy := testPolicy()
	cases := []struct {
		policy       string
		hosts        []string
		isolateFirst bool
	}{
		{"isolate_first", []string{"fs-01"}, true},
		{"investigate_first", []string{"pc-1"}, false},
		{"hybrid", []string{"pc-1"}, true},
		{"hybrid", []string{"FS-01"}, false},
		{"hybrid", []string{"erp-db01"}, false},
		{"hybrid", []string{"pc-1", "fs-02"}, false},
	}
	for _, tc := range cases {
		policy.Response.Policy = tc.policy
		var hosts []integrations.Host
		for _, h := range tc.hosts {
			hosts = append(hosts, integrations.Host{Name: h})
		}
		require.Equal(t, tc.isolateFirst, policy.IsolateFirst(hosts), "%s %v", tc.policy, tc.hosts)
	}
	site, ok := policy.SiteOf("osk-pc-17")
	require.True(t, ok)
	require.Equal(t, "osaka", site.ID)
	_, ok = policy.SiteOf("tyo-pc-1")
	require.False(t, ok)
}

func TestBreachPagesTheNextConfiguredLevel(t *testing.T) {
	t.Parallel()
	policy := testPolicy()
	delete(policy.Escalation, "critical")
	require.Equal(t, []config.Contact{{Email: "it-ml@acme.example"}, {Call: "+81300000001", Name: "CSO"}},
		policy.audience(TierCustomer).BreachContacts(integrations.SeverityHigh), "critical has no chain: the emergency chain's first steps")
	require.Equal(t, []config.Contact{{Email: "it-ml@acme.example"}, {Call: "+81300000001", Name: "CSO"}},
		policy.audience(TierCustomer).BreachContacts(integrations.SeverityEmergency), "at the top, the emergency chain's own first steps")
	require.Nil(t, policy.audience(TierCustomer).ChainFor(integrations.SeverityInfo), "info is never paged")
}
