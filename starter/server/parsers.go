package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"xsoc/integrations"
	"xsoc/integrations/cybereason"
	"xsoc/integrations/withsecure"
	"xsoc/integrations/zscaler"
)

// Parser turns a native body into normalized alerts; clean counts events that carried
// no threat and were dropped.
type Parser func(body []byte, severityMap map[string]string) (alerts []integrations.Alert, clean int, err error)

// Parsers answers the parser of each vendor intake takes.
func Parsers() map[string]Parser {
	return map[string]Parser{
		"generic":         parseGeneric,
		cybereason.Vendor: withoutClean(cybereason.ParseAlerts),
		withsecure.Vendor: withoutClean(withsecure.ParseAlerts),
		zscaler.Vendor:    zscaler.ParseFeed,
	}
}

func withoutClean(parse func([]byte, map[string]string) ([]integrations.Alert, error)) Parser {
	return func(body []byte, severityMap map[string]string) ([]integrations.Alert, int, error) {
		alerts, err := parse(body, severityMap)
		return alerts, 0, err
	}
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
