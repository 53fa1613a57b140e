package config

import (
	"strings"
	"testing"
)

func TestStickyCacheSizeSetting(t *testing.T) {
	t.Setenv("XSOC_STICKY_CACHE_SIZE", "2000")
	s, err := LoadSettings()
	if err != nil || s.StickyCacheSize != 2000 {
		t.Fatalf("XSOC_STICKY_CACHE_SIZE=2000: %d, %v", s.StickyCacheSize, err)
	}
	t.Setenv("XSOC_STICKY_CACHE_SIZE", "-1")
	if _, err := LoadSettings(); err == nil || !strings.Contains(err.Error(), "XSOC_STICKY_CACHE_SIZE=-1") {
		t.Fatalf("a negative cache size: %v, want an error naming XSOC_STICKY_CACHE_SIZE", err)
	}
}
