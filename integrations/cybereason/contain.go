package cybereason

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"xsoc/integrations"
)

// sensor is one Cybereason sensor as POST /rest/sensors/query answers it. Several
// flags come as "true"/"false" strings on some console versions.
type sensor struct {
	SensorID    text     `json:"sensorId"`
	PylumID     text     `json:"pylumId"`
	GUID        text     `json:"guid"`
	MachineName text     `json:"machineName"`
	FQDN        text     `json:"fqdn"`
	InternalIP  text     `json:"internalIpAddress"`
	Status      text     `json:"status"`
	Isolated    flexBool `json:"isolated"`
	OSVersion   text     `json:"osVersionType"`
	LastSeen    number   `json:"lastPylumUpdateTimestampMs"`
}

type sensorsAnswer struct {
	Sensors []sensor `json:"sensors"`
}

type sensorFilter struct {
	FieldName string   `json:"fieldName"`
	Operator  string   `json:"operator"`
	Values    []string `json:"values"`
}

func (c *Client) querySensors(ctx context.Context, field, value string) ([]sensor, error) {
	query := map[string]any{
		"limit":   50,
		"offset":  0,
		"filters": []sensorFilter{{FieldName: field, Operator: "Equals", Values: []string{value}}},
	}
	var answer sensorsAnswer
	if err := c.postJSON(ctx, "query sensors", "/rest/sensors/query", query, &answer); err != nil {
		return nil, err
	}
	return answer.Sensors, nil
}

// findSensor resolves the sensor of a host: by its pylumId when the alert carried one,
// else (or when that finds nothing, the id being a machine guid) by machine name.
func (c *Client) findSensor(ctx context.Context, host integrations.Host) (sensor, error) {
	id, name := strings.TrimSpace(host.ID), strings.TrimSpace(host.Name)
	if id == "" && name == "" {
		return sensor{}, fmt.Errorf("cybereason: host has neither a name nor a Cybereason id (ip %q)", host.IP)
	}
	if id != "" {
		found, err := c.querySensors(ctx, "pylumId", id)
		if err != nil {
			return sensor{}, err
		}
		if s, ok := bestSensor(found, func(s sensor) bool { return s.PylumID.String() == id }); ok {
			return s, nil
		}
	}
	if name != "" {
		found, err := c.querySensors(ctx, "machineName", name)
		if err != nil {
			return sensor{}, err
		}
		matches := func(s sensor) bool {
			return strings.EqualFold(s.MachineName.String(), name) || strings.EqualFold(s.FQDN.String(), name)
		}
		if s, ok := bestSensor(found, matches); ok {
			return s, nil
		}
	}
	return sensor{}, &integrations.VendorError{Vendor: Vendor, Operation: "query sensors", StatusCode: http.StatusNotFound,
		Message: fmt.Sprintf("no sensor for host %q (id %q)", name, id)}
}

// bestSensor picks, among the sensors that match, the one that is not archived and
// reported last: a reinstalled machine leaves its old sensor behind.
func bestSensor(sensors []sensor, matches func(sensor) bool) (sensor, bool) {
	var best sensor
	found := false
	for _, s := range sensors {
		if !matches(s) || s.PylumID.String() == "" {
			continue
		}
		if !found || better(s, best) {
			best, found = s, true
		}
	}
	return best, found
}

func better(a, b sensor) bool {
	aArchived, bArchived := strings.EqualFold(a.Status.String(), "Archived"), strings.EqualFold(b.Status.String(), "Archived")
	if aArchived != bArchived {
		return !aArchived
	}
	return a.LastSeen > b.LastSeen
}

// Isolate cuts the machine off the network through its sensor. A machine already
// isolated is left alone and reported AlreadyInPlace.
func (c *Client) Isolate(ctx context.Context, host integrations.Host) (integrations.ActionResult, error) {
	return c.setIsolation(ctx, host, true)
}

// Release ends the machine's isolation. A machine not isolated is reported
// AlreadyInPlace without sending anything.
func (c *Client) Release(ctx context.Context, host integrations.Host) (integrations.ActionResult, error) {
	return c.setIsolation(ctx, host, false)
}

func (c *Client) setIsolation(ctx context.Context, host integrations.Host, isolate bool) (integrations.ActionResult, error) {
	action, op, path, state := "release", "un-isolate", "/rest/monitor/global/commands/un-isolate", "not isolated"
	if isolate {
		action, op, path, state = "isolate", "isolate", "/rest/monitor/global/commands/isolate", "isolated"
	}
	target := host.Label()
	if target == "" {
		target = host.ID
	}
	result := integrations.ActionResult{Action: action, Targets: []string{target}}
	s, err := c.findSensor(ctx, host)
	if err != nil {
		return result, err
	}
	pylumID := s.PylumID.String()
	if bool(s.Isolated) == isolate {
		result.AlreadyInPlace = true
		result.VendorAnswer = fmt.Sprintf("sensor %s of %s is already %s", pylumID, s.MachineName.String(), state)
		return result, nil
	}
	var answer map[string]text
	if err := c.postJSON(ctx, op, path, map[string][]string{"pylumIds": {pylumID}}, &answer); err != nil {
		return result, err
	}
	outcome := answer[pylumID].String()
	if !strings.EqualFold(outcome, "Succeeded") {
		if outcome == "" {
			outcome = "no outcome for this sensor"
		}
		// HTTP was fine but the sensor did not take the command (offline, busy): asking
		// again later can succeed, so this stays retryable.
		return result, &integrations.VendorError{Vendor: Vendor, Operation: op, StatusCode: http.StatusOK,
			Message: fmt.Sprintf("sensor %s of %s answered %q", pylumID, s.MachineName.String(), outcome)}
	}
	result.VendorAnswer = fmt.Sprintf("%s: sensor %s of %s %s", outcome, pylumID, s.MachineName.String(), op+"d")
	return result, nil
}

// Block is not something xsoc does through Cybereason: containment there is isolation.
func (c *Client) Block(context.Context, []integrations.Indicator) (integrations.ActionResult, error) {
	return integrations.ActionResult{}, integrations.ErrUnsupported
}

// Unblock: see Block.
func (c *Client) Unblock(context.Context, []integrations.Indicator) (integrations.ActionResult, error) {
	return integrations.ActionResult{}, integrations.ErrUnsupported
}
