package activities

import (
	"fmt"
	"os"

	"xsoc/config"
	"xsoc/integrations"
	"xsoc/integrations/cybereason"
	"xsoc/integrations/withsecure"
	"xsoc/integrations/zscaler"
)

// NewPlatform builds the real client of a customer's platform, with credentials from
// the worker's environment variables that the customers file names.
func NewPlatform(_ config.Customer, p config.Platform) (integrations.Platform, error) {
	switch p.Vendor {
	case cybereason.Vendor:
		return cybereason.New(p, os.Getenv)
	case withsecure.Vendor:
		return withsecure.New(p, os.Getenv)
	case zscaler.Vendor:
		return zscaler.New(p, os.Getenv)
	}
	return nil, fmt.Errorf("unknown vendor %q", p.Vendor)
}
