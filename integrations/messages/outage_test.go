package messages

import (
	"strings"
	"testing"
	"time"
)

func TestOutageNoticeTellsTheSOCInItsZone(t *testing.T) {
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	since := time.Date(2026, 11, 27, 3, 10, 0, 0, time.UTC).In(tokyo)
	outage := PlatformOutage{Vendor: "cybereason", Since: since, Failures: 7,
		Error: "customer acme: polling cybereason: cybereason login: HTTP 401: Invalid credentials"}
	over := outage
	over.Over = since.Add(2 * time.Hour)
	cases := []struct {
		name, language, kind string
		outage               PlatformOutage
		subject              string
		says                 []string
	}{
		{"outage, en", "en", KindOutage, outage, "[xsoc][OUTAGE] ACME: cybereason cannot be polled",
			[]string{"since 2026-11-27 12:10 +09:00", "No alert is lost", "Last error: customer acme: polling cybereason", "HTTP 401: Invalid credentials",
				"Open the poller: http://ui.test/namespaces/default/workflows/poller%2Facme%2Fcybereason"}},
		{"outage, ja", "ja", KindOutage, outage, "[xsoc][障害] ACME: cybereason から取得できません",
			[]string{"2026-11-27 12:10 +09:00 から失敗", "アラートは失われません", "直近のエラー: customer acme"}},
		{"over, en", "en", KindOutageOver, over, "[xsoc][RECOVERED] ACME: cybereason is polled again",
			[]string{"works again since 2026-11-27 14:10 +09:00", "failing since 2026-11-27 12:10 +09:00 (7 failed polls)"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := Render(tc.language, tc.kind, Brief{CustomerName: "ACME", Outage: &tc.outage},
				"http://ui.test/namespaces/default/workflows/poller%2Facme%2Fcybereason")
			if m.Subject != tc.subject {
				t.Errorf("subject %q, want %q", m.Subject, tc.subject)
			}
			for _, want := range tc.says {
				if !strings.Contains(m.Text, want) {
					t.Errorf("text does not say %q:\n%s", want, m.Text)
				}
			}
			if !strings.Contains(m.Slack, tc.subject) || m.SMS == "" || !strings.Contains(m.HTML, "poller%2Facme%2Fcybereason") {
				t.Errorf("a channel lacks the notice:\nslack %s\nsms %s\nhtml %s", m.Slack, m.SMS, m.HTML)
			}
		})
	}
}
