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

func TestVersioningSettings(t *testing.T) {
	for _, tc := range []struct{ name, value, problem string }{
		{"XSOC_PROMOTE_VERSION", "if-none", ""},
		{"XSOC_PROMOTE_VERSION", "always", ""},
		{"XSOC_PROMOTE_VERSION", "never", ""},
		{"XSOC_PROMOTE_VERSION", "yes", `XSOC_PROMOTE_VERSION="yes": want if-none (default), always or never`},
		{"XSOC_BUILD_ID", "2026.12.1+7f3c2a1", ""},
		{"XSOC_BUILD_ID", "__unversioned__", `XSOC_BUILD_ID="__unversioned__"`},
		{"XSOC_BUILD_ID", "release 4", `XSOC_BUILD_ID="release 4"`},
		{"XSOC_BUILD_ID", strings.Repeat("a", 101), "XSOC_BUILD_ID="},
		{"XSOC_WORKER_METRICS_LISTEN", "0.0.0.0:9090", ""},
		{"XSOC_WORKER_METRICS_LISTEN", "9090", `XSOC_WORKER_METRICS_LISTEN="9090": want host:port`},
	} {
		t.Run(tc.name+"="+tc.value, func(t *testing.T) {
			t.Setenv(tc.name, tc.value)
			_, err := LoadSettings()
			if tc.problem == "" && err != nil || tc.problem != "" && (err == nil || !strings.Contains(err.Error(), tc.problem)) {
				t.Fatalf("error %v, want %q", err, tc.problem)
			}
		})
	}
}

// The worker's build id: the operator's setting, else the stamp of the build, else
// the executable's own digest — the same for the same binary, another for another.
func TestWorkerBuildID(t *testing.T) {
	t.Setenv("XSOC_BUILD_ID", "")
	s, err := LoadSettings()
	if err != nil {
		t.Fatal(err)
	}
	derived, err := s.WorkerBuildID()
	if err != nil || len(derived) != 12 || strings.Trim(derived, "0123456789abcdef") != "" {
		t.Fatalf("derived build id %q, %v: want 12 hex digits of the executable's digest", derived, err)
	}
	if again, _ := s.WorkerBuildID(); again != derived {
		t.Errorf("the same executable gave %q and %q", derived, again)
	}
	stampedBuildID = "v2026.12.1"
	t.Cleanup(func() { stampedBuildID = "" })
	if id, err := s.WorkerBuildID(); id != "v2026.12.1" || err != nil {
		t.Errorf("stamped: %q, %v", id, err)
	}
	s.BuildID = "hotfix-3"
	if id, err := s.WorkerBuildID(); id != "hotfix-3" || err != nil {
		t.Errorf("XSOC_BUILD_ID wins over the stamp: %q, %v", id, err)
	}
	s.BuildID, stampedBuildID = "", "bad id"
	if _, err := s.WorkerBuildID(); err == nil || !strings.Contains(err.Error(), `stamped into this binary ("bad id")`) {
		t.Errorf("a bad stamp: %v", err)
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
