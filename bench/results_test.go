package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A dev server run and a cluster run each rewrite their own part of the results file
// and keep the other's, in either order.
func TestEachRunKeepsTheOthersResults(t *testing.T) {
	file := filepath.Join(t.TempDir(), "results.md")
	steps := []struct {
		results string
		cluster bool
		want    []string
		gone    []string
	}{
		{"# dev 1\n", false, []string{"# dev 1"}, nil},
		{"# On the cluster 1\n", true, []string{"# dev 1", clusterBegin, "# On the cluster 1", clusterEnd}, nil},
		{"# dev 2\n", false, []string{"# dev 2", "# On the cluster 1"}, []string{"# dev 1"}},
		{"# On the cluster 2\n", true, []string{"# dev 2", "# On the cluster 2"}, []string{"# On the cluster 1"}},
	}
	for i, step := range steps {
		if err := writeResults(file, step.results, step.cluster); err != nil {
			t.Fatal(err)
		}
		data, _ := os.ReadFile(file)
		text := string(data)
		for _, want := range step.want {
			if !strings.Contains(text, want) {
				t.Errorf("step %d: %q missing from\n%s", i, want, text)
			}
		}
		for _, gone := range step.gone {
			if strings.Contains(text, gone) {
				t.Errorf("step %d: %q still in\n%s", i, gone, text)
			}
		}
		if strings.Index(text, "# dev") > strings.Index(text, clusterBegin) && strings.Contains(text, clusterBegin) {
			t.Errorf("step %d: the cluster's part is not after the dev server's:\n%s", i, text)
		}
		if strings.Count(text, clusterBegin) > 1 {
			t.Errorf("step %d: two cluster parts:\n%s", i, text)
		}
	}
}
