package cybereason

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"xsoc/integrations"
)

// batchSize bounds the sensors resolved by one query and isolated by one command: a
// worm's hosts go in a few calls, each small enough to answer within the call timeout.
const batchSize = 100

// IsolateHosts isolates many machines with one isolate command per batch. Machines
// already isolated are left alone (AlreadyInPlace); a machine without a sensor, or
// whose sensor did not take the command, is refused on its own.
func (c *Client) IsolateHosts(ctx context.Context, hosts []integrations.Host) ([]integrations.HostResult, error) {
	return c.setIsolations(ctx, hosts, true)
}

// ReleaseHosts ends the isolation of many machines, one un-isolate command per batch.
func (c *Client) ReleaseHosts(ctx context.Context, hosts []integrations.Host) ([]integrations.HostResult, error) {
	return c.setIsolations(ctx, hosts, false)
}

func (c *Client) setIsolations(ctx context.Context, hosts []integrations.Host, isolate bool) ([]integrations.HostResult, error) {
	var results []integrations.HostResult
	for start := 0; start < len(hosts); start += batchSize {
		batch, err := c.setIsolationBatch(ctx, hosts[start:min(start+batchSize, len(hosts))], isolate)
		if err != nil {
			return nil, err
		}
		results = append(results, batch...)
	}
	return results, nil
}

func (c *Client) setIsolationBatch(ctx context.Context, hosts []integrations.Host, isolate bool) ([]integrations.HostResult, error) {
	action, op, path, state := "release", "un-isolate", "/rest/monitor/global/commands/un-isolate", "not isolated"
	if isolate {
		action, op, path, state = "isolate", "isolate", "/rest/monitor/global/commands/isolate", "isolated"
	}
	sensors, err := c.findSensors(ctx, hosts)
	if err != nil {
		return nil, err
	}
	results := make([]integrations.HostResult, len(hosts))
	var pylumIDs []string
	for i, host := range hosts {
		target := host.Label()
		if target == "" {
			target = host.ID
		}
		results[i] = integrations.HostResult{Host: host, Result: integrations.ActionResult{Action: action, Targets: []string{target}}}
		s, ok := sensors[i]
		switch {
		case !ok:
			results[i] = integrations.HostRefused(host, action, &integrations.VendorError{Vendor: Vendor, Operation: "query sensors",
				StatusCode: http.StatusNotFound, Message: fmt.Sprintf("no sensor for host %q (id %q)", host.Name, host.ID)})
		case bool(s.Isolated) == isolate:
			results[i].Result.AlreadyInPlace = true
			results[i].Result.VendorAnswer = fmt.Sprintf("sensor %s of %s is already %s", s.PylumID, s.MachineName, state)
		default:
			pylumIDs = append(pylumIDs, s.PylumID.String())
		}
	}
	if len(pylumIDs) == 0 {
		return results, nil
	}
	var answer map[string]text
	if err := c.postJSON(ctx, op, path, map[string][]string{"pylumIds": pylumIDs}, &answer); err != nil {
		return nil, err
	}
	for i, host := range hosts {
		s, ok := sensors[i]
		if !ok || results[i].Result.AlreadyInPlace {
			continue
		}
		outcome := answer[s.PylumID.String()].String()
		if !strings.EqualFold(outcome, "Succeeded") {
			if outcome == "" {
				outcome = "no outcome for this sensor"
			}
			// HTTP was fine but the sensor did not take the command (offline, busy):
			// asking again later can succeed.
			results[i] = integrations.HostRefused(host, action, &integrations.VendorError{Vendor: Vendor, Operation: op, StatusCode: http.StatusOK,
				Message: fmt.Sprintf("sensor %s of %s answered %q", s.PylumID, s.MachineName, outcome)})
			continue
		}
		results[i].Result.VendorAnswer = fmt.Sprintf("%s: sensor %s of %s %s (one command for %d sensors)", outcome, s.PylumID, s.MachineName, op+"d", len(pylumIDs))
	}
	return results, nil
}

// findSensors resolves the sensors of hosts as findSensor does one host's — by pylumId
// when the alert carried one, else by machine name — in one query for the ids and one
// for the names. It answers each resolved host's sensor by its index.
func (c *Client) findSensors(ctx context.Context, hosts []integrations.Host) (map[int]sensor, error) {
	found := map[int]sensor{}
	var ids []string
	for _, h := range hosts {
		if id := strings.TrimSpace(h.ID); id != "" {
			ids = append(ids, id)
		}
	}
	if len(ids) > 0 {
		byID, err := c.querySensorsIn(ctx, "pylumId", ids)
		if err != nil {
			return nil, err
		}
		for i, h := range hosts {
			id := strings.TrimSpace(h.ID)
			if s, ok := bestSensor(byID, func(s sensor) bool { return id != "" && s.PylumID.String() == id }); ok {
				found[i] = s
			}
		}
	}
	var names []string
	for i, h := range hosts {
		if _, ok := found[i]; !ok && strings.TrimSpace(h.Name) != "" {
			names = append(names, strings.TrimSpace(h.Name))
		}
	}
	if len(names) == 0 {
		return found, nil
	}
	byName, err := c.querySensorsIn(ctx, "machineName", names)
	if err != nil {
		return nil, err
	}
	for i, h := range hosts {
		name := strings.TrimSpace(h.Name)
		if _, ok := found[i]; ok || name == "" {
			continue
		}
		matches := func(s sensor) bool {
			return strings.EqualFold(s.MachineName.String(), name) || strings.EqualFold(s.FQDN.String(), name)
		}
		if s, ok := bestSensor(byName, matches); ok {
			found[i] = s
		}
	}
	return found, nil
}

// querySensorsIn answers the sensors whose field equals any of the values.
func (c *Client) querySensorsIn(ctx context.Context, field string, values []string) ([]sensor, error) {
	query := map[string]any{
		// A machine may have an archived sensor beside its live one.
		"limit":   2 * len(values),
		"offset":  0,
		"filters": []sensorFilter{{FieldName: field, Operator: "Equals", Values: values}},
	}
	var answer sensorsAnswer
	if err := c.postJSON(ctx, "query sensors", "/rest/sensors/query", query, &answer); err != nil {
		return nil, err
	}
	return answer.Sensors, nil
}
