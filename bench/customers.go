package main

import (
	"bytes"
	"text/template"

	"xsoc/internal/devstack"
)

// The secrets the bench's customers file names: the webhook secret every customer
// posts with, and the worm customer's Cybereason credentials (the simulator's).
var secrets = map[string]string{
	"BENCH_WEBHOOK_SECRET": webhookSecret,
	"BENCH_CR_USER":        devstack.CybereasonUser,
	"BENCH_CR_PASSWORD":    devstack.CybereasonPassword,
}

// benchSecrets answers the secrets as the worker's and starter's environment.
func benchSecrets() []string {
	var env []string
	for name, value := range secrets {
		env = append(env, name+"="+value)
	}
	return env
}

// lookupSecret reads the secrets as config.ParseCustomers reads the environment.
func lookupSecret(name string) (string, bool) {
	value, ok := secrets[name]
	return value, ok
}

// renderCustomers fills the simulators' base URLs (by name: {{.cybereason}}) into the
// customers file.
func renderCustomers(simulators map[string]string) ([]byte, error) {
	t, err := template.New("customers.yaml").Option("missingkey=error").Parse(string(customersFile))
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	err = t.Execute(&out, simulators)
	return out.Bytes(), err
}
