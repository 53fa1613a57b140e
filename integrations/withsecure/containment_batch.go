package withsecure

import (
	"context"
	"fmt"
	"net/http"
	"sync"

	"xsoc/integrations"
)

const (
	// operationBatch bounds the devices of one POST /devices/v1/operations: a worm's
	// hosts go in a few calls, each small enough to answer within the call timeout.
	operationBatch = 50
	// resolveConcurrency bounds the device look-ups in flight at once (one GET each:
	// the devices API filters by one id or one name per request).
	resolveConcurrency = 8
)

// IsolateHosts isolates many devices with one operation per batch. Devices already
// isolated are left alone (AlreadyInPlace); a device not found, or refused in the
// vendor's multistatus answer, is refused on its own.
func (c *Client) IsolateHosts(ctx context.Context, hosts []integrations.Host) ([]integrations.HostResult, error) {
	return c.containAll(ctx, hosts, "isolate", opIsolate, true)
}

// ReleaseHosts lifts the isolation of many devices with one operation per batch.
func (c *Client) ReleaseHosts(ctx context.Context, hosts []integrations.Host) ([]integrations.HostResult, error) {
	return c.containAll(ctx, hosts, "release", opRelease, false)
}

func (c *Client) containAll(ctx context.Context, hosts []integrations.Host, action, operation string, wantIsolated bool) ([]integrations.HostResult, error) {
	devices, failures, err := c.resolveDevices(ctx, hosts)
	if err != nil {
		return nil, err
	}
	results := make([]integrations.HostResult, len(hosts))
	var pending []int
	for i, host := range hosts {
		if failures[i] != nil {
			results[i] = integrations.HostRefused(host, action, failures[i])
			continue
		}
		dev := devices[i]
		results[i] = integrations.HostResult{Host: host, Result: integrations.ActionResult{Action: action, Targets: []string{deviceLabel(dev)}}}
		if dev.isolated() == wantIsolated {
			results[i].Result.AlreadyInPlace = true
			results[i].Result.VendorAnswer = fmt.Sprintf("device %s (%s) is already %s: protectionStatusOverview %q; nothing sent",
				deviceLabel(dev), dev.ID, map[bool]string{true: "isolated", false: "not isolated"}[wantIsolated], dev.ProtectionStatusOverview)
			continue
		}
		pending = append(pending, i)
	}
	for start := 0; start < len(pending); start += operationBatch {
		batch := pending[start:min(start+operationBatch, len(pending))]
		targets := make([]string, 0, len(batch))
		for _, i := range batch {
			targets = append(targets, devices[i].ID)
		}
		request := map[string]any{"operation": operation, "targets": targets}
		if operation == opIsolate {
			request["parameters"] = map[string]string{"message": isolationMessage}
		}
		var answer multistatus
		if err := c.call(ctx, operation, http.MethodPost, "/devices/v1/operations", nil, request, &answer); err != nil {
			return nil, fmt.Errorf("withsecure %s %d devices: %w", action, len(targets), err)
		}
		for _, i := range batch {
			dev := devices[i]
			item, err := answer.accepted(operation, dev.ID)
			if err != nil {
				results[i] = integrations.HostRefused(hosts[i], action, fmt.Errorf("withsecure %s device %s: %w", action, deviceLabel(dev), err))
				continue
			}
			results[i].Result.VendorAnswer = fmt.Sprintf("%s accepted for device %s (%s): HTTP %d, operation %s, transaction %s (one operation for %d devices)",
				operation, deviceLabel(dev), dev.ID, item.Status, orNone(item.OperationID), orNone(answer.TransactionID), len(targets))
			if !dev.Online {
				results[i].Result.VendorAnswer += "; the device is offline and will apply it when it next connects"
			}
		}
	}
	return results, nil
}

// resolveDevices finds each host's device as resolveDevice does, a few at a time. A
// host the vendor cannot resolve (not found, ambiguous) is that host's failure; an
// error of the API itself (network, 5xx, 429) is the whole call's.
func (c *Client) resolveDevices(ctx context.Context, hosts []integrations.Host) ([]deviceInfo, []error, error) {
	devices := make([]deviceInfo, len(hosts))
	failures := make([]error, len(hosts))
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(resolveConcurrency, len(hosts)) {
		wg.Go(func() {
			for i := range work {
				devices[i], failures[i] = c.resolveDevice(ctx, hosts[i])
			}
		})
	}
	for i := range hosts {
		work <- i
	}
	close(work)
	wg.Wait()
	for _, err := range failures {
		if err != nil && integrations.HostRefused(integrations.Host{}, "", err).Retryable {
			return nil, nil, err
		}
	}
	return devices, failures, nil
}
