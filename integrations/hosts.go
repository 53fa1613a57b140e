package integrations

import "context"

// HostFacts is what a platform knows of one of the machines it protects: its own handle
// for it (Host.ID), whether it is isolated now, and a line for a person to read.
type HostFacts struct {
	Host     Host   `json:"host"`
	Isolated bool   `json:"isolated"`
	Summary  string `json:"summary"`
}

// HostFinder is a platform that knows its machines by name or id, outside any alert
// (an EDR's sensors or devices). A host it does not know is a *VendorError with
// status 404 and the vendor's words.
type HostFinder interface {
	FindHost(ctx context.Context, host Host) (HostFacts, error)
}

// IndicatorLookup is a platform that can say what it knows of indicators outside any
// alert (a web gateway's URL categories and sandbox verdicts).
type IndicatorLookup interface {
	LookUpIndicators(ctx context.Context, indicators []Indicator) (Findings, error)
}
