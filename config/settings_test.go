package config

import (
	"strings"
	"testing"
)

func TestDashboardTokenMustNotBeGuessable(t *testing.T) {
	for token, problem := range map[string]string{
		"":                            "",
		"0123456789abcdef":            "",
		"demo":                        "XSOC_DASHBOARD_TOKEN is 4 characters: want at least 16",
		"fifteen-chars!!":             "XSOC_DASHBOARD_TOKEN is 15 characters",
		"a-long-enough-token-for-ops": "",
	} {
		t.Setenv("XSOC_DASHBOARD_TOKEN", token)
		settings, err := LoadSettings()
		switch {
		case problem == "" && err != nil:
			t.Errorf("token %q: %v", token, err)
		case problem == "" && settings.DashboardToken != token:
			t.Errorf("token %q read as %q", token, settings.DashboardToken)
		case problem != "" && (err == nil || !strings.Contains(err.Error(), problem)):
			t.Errorf("token %q: error %v, want %q", token, err, problem)
		}
	}
}

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
