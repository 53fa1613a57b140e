package api

import (
	"go/build"
	"slices"
	"strings"
	"testing"
)

// TestWorkflowsReachEachOtherOnlyByName keeps the layout of ARCHITECTURE.md: a workflow
// package reaches another workflow only by the names and payloads of this package (a
// child workflow's type, a signal's or an update's name), never by importing it, so
// that a change to one workflow cannot change another's commands. The shared packages
// import only what is below them.
func TestWorkflowsReachEachOtherOnlyByName(t *testing.T) {
	const root = "xsoc/workflows/"
	allowed := map[string][]string{
		"api":      {},
		"casework": {"api"},
		"start":    {"api", "casework"},
	}
	for _, workflow := range []string{"incident", "triage", "tuning", "account", "request", "poller", "report"} {
		allowed[workflow] = []string{"api", "casework", "start", "internal/testworld"}
	}
	for pkg, may := range allowed {
		p, err := build.ImportDir("../"+pkg, 0)
		if err != nil {
			t.Fatalf("reading package %s: %v", pkg, err)
		}
		imports := slices.Concat(p.Imports, p.TestImports)
		if pkg == "casework" || pkg == "start" {
			may = append(may, "internal/testworld") // in their tests only
		}
		for _, imported := range imports {
			name, ok := strings.CutPrefix(imported, root)
			if ok && !slices.Contains(may, name) {
				t.Errorf("package %s imports %s: it may import only %v of xsoc/workflows", pkg, imported, may)
			}
		}
		for _, imported := range p.Imports {
			if imported == root+"internal/testworld" {
				t.Errorf("package %s imports the test harness outside its tests", pkg)
			}
		}
	}
}
