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

func TestSyslogListenerSettings(t *testing.T) {
	t.Setenv("XSOC_SYSLOG_TCP", "127.0.0.1:6601")
	t.Setenv("XSOC_SYSLOG_UDP", "127.0.0.1:6602")
	t.Setenv("XSOC_SYSLOG_QUEUE", "50")
	s, err := LoadSettings()
	if err != nil {
		t.Fatal(err)
	}
	if want := (SyslogSettings{TCP: "127.0.0.1:6601", UDP: "127.0.0.1:6602", Queue: 50}); s.Syslog != want || !s.Syslog.On() {
		t.Fatalf("read %+v, want %+v", s.Syslog, want)
	}
	cases := []struct{ name, value, problem string }{
		{"XSOC_SYSLOG_TCP", "6601", `XSOC_SYSLOG_TCP="6601": want host:port`},
		{"XSOC_SYSLOG_TLS", "127.0.0.1:6514", "XSOC_SYSLOG_TLS needs XSOC_SYSLOG_TLS_CERT and XSOC_SYSLOG_TLS_KEY"},
		{"XSOC_SYSLOG_CLIENT_CA", "ca.pem", "XSOC_SYSLOG_CLIENT_CA is set but XSOC_SYSLOG_TLS is not"},
		{"XSOC_SYSLOG_QUEUE", "0", "XSOC_SYSLOG_QUEUE=0"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv(c.name, c.value)
			if _, err := LoadSettings(); err == nil || !strings.Contains(err.Error(), c.problem) {
				t.Fatalf("error %v, want %q", err, c.problem)
			}
		})
	}
}
