package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"xsoc/integrations"
)

// Parsers answers the parser of each vendor intake takes: every registered vendor's
// native payload, and the normalized alert as "generic".
func Parsers() map[string]integrations.Parser {
	parsers := map[string]integrations.Parser{"generic": parseGeneric}
	for _, vendor := range integrations.Vendors() {
		parsers[vendor.Name] = vendor.Parse
	}
	return parsers
}

// parseGeneric takes one normalized alert or a JSON array of them.
func parseGeneric(body []byte, _ map[string]string) ([]integrations.Alert, int, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return nil, 0, errors.New("empty body: want a normalized alert JSON object")
	}
	decode := func(data []byte, into any) error { return json.Unmarshal(data, into) }
	var alerts []integrations.Alert
	if trimmed[0] == '[' {
		if err := decode(trimmed, &alerts); err != nil {
			return nil, 0, fmt.Errorf("not a JSON array of normalized alerts: %v", err)
		}
	} else {
		var alert integrations.Alert
		if err := decode(trimmed, &alert); err != nil {
			return nil, 0, fmt.Errorf("not a normalized alert: %v", err)
		}
		alerts = append(alerts, alert)
	}
	for i := range alerts {
		if alerts[i].Severity != "" {
			if severity, err := integrations.ParseSeverity(string(alerts[i].Severity)); err == nil {
				alerts[i].Severity = severity
			}
		}
	}
	return alerts, 0, nil
}
