package start

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
)

// routedDeployment answers Describe with a routing, or an error.
type routedDeployment struct {
	client.WorkerDeploymentHandle
	routing client.WorkerDeploymentRoutingConfig
	err     error
	reads   atomic.Int32
}

func (d *routedDeployment) Describe(context.Context, client.WorkerDeploymentDescribeOptions) (client.WorkerDeploymentDescribeResponse, error) {
	d.reads.Add(1)
	return client.WorkerDeploymentDescribeResponse{Info: client.WorkerDeploymentInfo{RoutingConfig: d.routing}}, d.err
}

func version(build string) *worker.WorkerDeploymentVersion {
	return &worker.WorkerDeploymentVersion{DeploymentName: "xsoc", BuildID: build}
}

func TestIncidentsStartPinnedToTheCurrentVersion(t *testing.T) {
	d := &routedDeployment{routing: client.WorkerDeploymentRoutingConfig{CurrentVersion: version("a")}}
	v := &currentVersions{deployment: d}
	v.refresh(t.Context())
	for i := range 50 {
		o := v.override(fmt.Sprintf("incident/acme/generic/%d", i))
		if o.GetPinned().GetVersion().GetBuildId() != "a" || o.GetPinned().GetVersion().GetDeploymentName() != "xsoc" {
			t.Fatalf("override %v, want pinned to xsoc:a", o)
		}
	}
	if n := d.reads.Load(); n != 1 {
		t.Errorf("the routing was read %d times for 50 starts", n)
	}
	// A busy server at the next reading: the last reading stands.
	d.err = errors.New("context deadline exceeded")
	v.refresh(t.Context())
	if o := v.clientOverride("request/acme/1"); o == nil || o.(*client.PinnedVersioningOverride).Version.BuildID != "a" {
		t.Errorf("after a failed reading: override %v, want pinned to a", o)
	}
}

func TestARampingVersionTakesItsShareOfNewIncidentsAndAnIdStaysOnItsSide(t *testing.T) {
	d := &routedDeployment{routing: client.WorkerDeploymentRoutingConfig{CurrentVersion: version("a"), RampingVersion: version("b"), RampingVersionPercentage: 20}}
	v := &currentVersions{deployment: d}
	v.refresh(t.Context())
	onB := 0
	for i := range 2000 {
		id := fmt.Sprintf("incident/acme/generic/%d", i)
		build := v.override(id).GetPinned().GetVersion().GetBuildId()
		if again := v.override(id).GetPinned().GetVersion().GetBuildId(); again != build {
			t.Fatalf("%s started on %s, then %s", id, build, again)
		}
		if build == "b" {
			onB++
		}
	}
	if onB < 300 || onB > 500 {
		t.Errorf("%d of 2000 on the ramping version at 20%%", onB)
	}
}

func TestWithoutAVersionTheServerRoutesTheStart(t *testing.T) {
	for name, d := range map[string]*routedDeployment{
		"no deployment yet":       {err: serviceerror.NewNotFound("Worker Deployment not found")},
		"unversioned is current":  {},
		"server busy at the read": {err: errors.New("context deadline exceeded")},
	} {
		v := &currentVersions{deployment: d}
		v.refresh(t.Context())
		if o := v.override("incident/acme/generic/1"); o != nil {
			t.Errorf("%s: override %v, want none", name, o)
		}
	}
	if o := versionsOf(nil).override("incident/acme/generic/1"); o != nil {
		t.Errorf("a process that follows no deployment: override %v", o)
	}
}
