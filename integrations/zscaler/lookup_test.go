package zscaler

import (
	"context"
	"strings"
	"testing"

	"xsoc/integrations"
	"xsoc/integrations/zscaler/sim"
)

func TestLookUpIndicatorsOutsideAnAlert(t *testing.T) {
	t.Parallel()
	s, c := newSim(t)
	s.SetClassification("evil.example", sim.Classification{Classifications: []string{"MALWARE_SITE"}, SecurityAlerts: []string{"MALWARE_SITE"}})
	findings, err := c.LookUpIndicators(context.Background(), []integrations.Indicator{{Type: "domain", Value: "evil.example"}})
	if err != nil {
		t.Fatalf("LookUpIndicators: %v", err)
	}
	if !strings.Contains(findings.Summary, "1 of 1 looked-up indicators carry a security alert") || !strings.Contains(findings.Summary, "evil.example") {
		t.Errorf("summary %q", findings.Summary)
	}
}
