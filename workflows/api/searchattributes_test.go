package api

import (
	"os"
	"strings"
	"testing"
)

// TestDeploymentsRegisterEverySearchAttribute: a cluster set up from docker-compose.yml or
// the commands of docs/configuration.md must have every search attribute the workflows
// upsert, or the upsert fails and the incident's workflow task with it.
func TestDeploymentsRegisterEverySearchAttribute(t *testing.T) {
	for _, file := range []string{"../../docker-compose.yml", "../../docs/configuration.md"} {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, attribute := range SearchAttributeTypes {
			if !strings.Contains(string(data), attribute) {
				t.Errorf("%s does not register %s", file, attribute)
			}
		}
	}
}

func TestClusterConfigHasEveryDynamicConfigValue(t *testing.T) {
	data, err := os.ReadFile("../../examples/temporal-dynamicconfig.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, setting := range ServerDynamicConfig {
		key, value, _ := strings.Cut(setting, "=")
		if !strings.Contains(string(data), key+":\n  - value: "+value+"\n") {
			t.Errorf("examples/temporal-dynamicconfig.yaml does not set %s to %s", key, value)
		}
	}
}
