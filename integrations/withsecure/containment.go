package withsecure

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"xsoc/integrations"
)

// The remote operations of POST /devices/v1/operations that contain a device.
const (
	opIsolate = "isolateFromNetwork"
	opRelease = "releaseFromNetworkIsolation"
)

// isolationMessage is shown on the isolated computer, so that its user knows why the
// network went away and whom to call.
const isolationMessage = "This computer has been isolated from the network by your security operations team (xsoc) while a security incident is investigated. Contact your IT support."

// Isolate cuts the host off the network. A device already isolated is left alone and
// reported as AlreadyInPlace, so that a retried activity sends nothing twice.
func (c *Client) Isolate(ctx context.Context, host integrations.Host) (integrations.ActionResult, error) {
	return c.contain(ctx, host, "isolate", opIsolate, true)
}

// Release lifts the network isolation of the host; a device not isolated is AlreadyInPlace.
func (c *Client) Release(ctx context.Context, host integrations.Host) (integrations.ActionResult, error) {
	return c.contain(ctx, host, "release", opRelease, false)
}

// Block is not something WithSecure does for us: it has no denylist xsoc manages.
func (c *Client) Block(context.Context, []integrations.Indicator) (integrations.ActionResult, error) {
	return integrations.ActionResult{}, fmt.Errorf("withsecure block indicators: %w", integrations.ErrUnsupported)
}

// Unblock is not supported, like Block.
func (c *Client) Unblock(context.Context, []integrations.Indicator) (integrations.ActionResult, error) {
	return integrations.ActionResult{}, fmt.Errorf("withsecure unblock indicators: %w", integrations.ErrUnsupported)
}

func (c *Client) contain(ctx context.Context, host integrations.Host, action, operation string, wantIsolated bool) (integrations.ActionResult, error) {
	dev, err := c.resolveDevice(ctx, host)
	if err != nil {
		return integrations.ActionResult{}, err
	}
	result := integrations.ActionResult{Action: action, Targets: []string{deviceLabel(dev)}}
	if dev.isolated() == wantIsolated {
		result.AlreadyInPlace = true
		result.VendorAnswer = fmt.Sprintf("device %s (%s) is already %s: protectionStatusOverview %q; nothing sent",
			deviceLabel(dev), dev.ID, map[bool]string{true: "isolated", false: "not isolated"}[wantIsolated], dev.ProtectionStatusOverview)
		return result, nil
	}
	request := map[string]any{"operation": operation, "targets": []string{dev.ID}}
	if operation == opIsolate {
		request["parameters"] = map[string]string{"message": isolationMessage}
	}
	var answer multistatus
	if err := c.call(ctx, operation, http.MethodPost, "/devices/v1/operations", nil, request, &answer); err != nil {
		return integrations.ActionResult{}, fmt.Errorf("withsecure %s device %s: %w", action, deviceLabel(dev), err)
	}
	item, err := answer.accepted(operation, dev.ID)
	if err != nil {
		return integrations.ActionResult{}, fmt.Errorf("withsecure %s device %s: %w", action, deviceLabel(dev), err)
	}
	result.VendorAnswer = fmt.Sprintf("%s accepted for device %s (%s): HTTP %d, operation %s, transaction %s",
		operation, deviceLabel(dev), dev.ID, item.Status, orNone(item.OperationID), orNone(answer.TransactionID))
	if !dev.Online {
		result.VendorAnswer += "; the device is offline and will apply it when it next connects"
	}
	return result, nil
}

// resolveDevice finds the WithSecure device of a host: by its device id when the alert
// carried one, else by its exact name. Not finding it, or finding several, is a
// refusal asking again cannot change, reported as a non-retryable VendorError.
func (c *Client) resolveDevice(ctx context.Context, host integrations.Host) (deviceInfo, error) {
	if id := strings.TrimSpace(host.ID); id != "" {
		dev, ok, err := c.deviceByID(ctx, id)
		if err != nil {
			return deviceInfo{}, err
		}
		if ok {
			return dev, nil
		}
		if strings.TrimSpace(host.Name) == "" {
			return deviceInfo{}, notFound(fmt.Sprintf("no device with id %s", id))
		}
	}
	name := strings.TrimSpace(host.Name)
	if name == "" {
		return deviceInfo{}, fmt.Errorf("withsecure: host %s has neither a device id nor a name to find its device by", host.Label())
	}
	found, err := c.devices(ctx, url.Values{"name": {name}})
	if err != nil {
		return deviceInfo{}, err
	}
	var matches []deviceInfo
	for _, d := range found {
		if strings.EqualFold(d.Name, name) {
			matches = append(matches, d)
		}
	}
	switch len(matches) {
	case 0:
		return deviceInfo{}, notFound(fmt.Sprintf("no device named %q", name))
	case 1:
		return matches[0], nil
	}
	ids := make([]string, len(matches))
	for i, d := range matches {
		ids[i] = d.ID
	}
	return deviceInfo{}, &integrations.VendorError{Vendor: Vendor, Operation: "find device", StatusCode: http.StatusConflict,
		Message: fmt.Sprintf("%d devices are named %q (%s): give the alert's host the device id", len(matches), name, strings.Join(ids, ", "))}
}

func notFound(message string) error {
	return &integrations.VendorError{Vendor: Vendor, Operation: "find device", StatusCode: http.StatusNotFound, Message: message}
}

func deviceLabel(d deviceInfo) string {
	if d.Name != "" {
		return d.Name
	}
	return d.ID
}

// multistatus is the 207 answer of WithSecure's bulk operations: one status per target.
type multistatus struct {
	Multistatus   []targetStatus `json:"multistatus"`
	TransactionID string         `json:"transactionId"`
}

// targetStatus is the vendor's answer for one target of a bulk operation.
type targetStatus struct {
	Target      string `json:"target"`
	Status      int    `json:"status"`
	OperationID string `json:"operationId"`
	Details     string `json:"details"`
	Message     string `json:"message"`
}

// accepted answers target's entry when the vendor took it (2xx), and otherwise the
// vendor's own per-target refusal as a VendorError.
func (m multistatus) accepted(operation, target string) (targetStatus, error) {
	for _, item := range m.Multistatus {
		if item.Target != target {
			continue
		}
		if item.Status >= 200 && item.Status <= 299 {
			return item, nil
		}
		message := firstNonEmpty(item.Details, item.Message, http.StatusText(item.Status), "refused")
		return item, &integrations.VendorError{Vendor: Vendor, Operation: operation, StatusCode: item.Status,
			Message: fmt.Sprintf("target %s: %s (transaction %s)", target, message, orNone(m.TransactionID))}
	}
	return targetStatus{}, &integrations.VendorError{Vendor: Vendor, Operation: operation, StatusCode: http.StatusMultiStatus,
		Message: fmt.Sprintf("the answer has no status for target %s (transaction %s)", target, orNone(m.TransactionID))}
}
