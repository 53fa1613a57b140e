// Prints the dev server's --search-attribute flags for every search attribute xsoc
// uses, from the one list in workflows/api.go.
package main

import (
	"fmt"
	"strings"

	"xsoc/workflows"
)

func main() {
	flags := make([]string, 0, len(workflows.SearchAttributeTypes))
	for _, attribute := range workflows.SearchAttributeTypes {
		flags = append(flags, "--search-attribute "+attribute)
	}
	fmt.Println(strings.Join(flags, " "))
}
