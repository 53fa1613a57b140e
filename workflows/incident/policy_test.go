package incident

import (
	"testing"

	"github.com/stretchr/testify/require"

	"xsoc/integrations"
	"xsoc/workflows/internal/testworld"
)

func TestPolicyDecidesByHostAndSeverity(t *testing.T) {
	t.Parallel()
	p := policy{testworld.Policy()}
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
		p.Response.Policy = tc.policy
		var hosts []integrations.Host
		for _, h := range tc.hosts {
			hosts = append(hosts, integrations.Host{Name: h})
		}
		require.Equal(t, tc.isolateFirst, p.IsolateFirst(hosts), "%s %v", tc.policy, tc.hosts)
	}
	site, ok := p.SiteOf("osk-pc-17")
	require.True(t, ok)
	require.Equal(t, "osaka", site.ID)
	_, ok = p.SiteOf("tyo-pc-1")
	require.False(t, ok)
}
