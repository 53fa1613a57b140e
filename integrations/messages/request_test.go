package messages

import (
	"strings"
	"testing"
	"time"
)

func TestRequestMessagesInTheReadersLanguageAndZone(t *testing.T) {
	received := time.Date(2026, 11, 27, 3, 12, 0, 0, time.UTC)
	notice := func(event, actor, answer string) *RequestNotice {
		return &RequestNotice{Event: event, ID: "CS-2026-0412", Kind: "isolate", Target: "osk-pc-17", By: "yamada@acme.example",
			Note: "ransom note on screen", Urgent: true, ReceivedAt: received, DueAt: received.Add(15 * time.Minute), Actor: actor, Answer: answer}
	}
	const link = "http://ui.test/namespaces/default/workflows/request%2Facme%2FCS-2026-0412"
	cases := []struct {
		name, language, audience, zone string
		notice                         *RequestNotice
		subject                        string
		says                           []string
		never                          []string
	}{
		{"page to the SOC, en, Tokyo", "en", AudienceSOC, "Asia/Tokyo", notice(RequestPage, "", ""),
			"[xsoc][REQUEST][URGENT] ACME: isolate osk-pc-17 (CS-2026-0412)",
			[]string{"ACME asks the SOC urgently: isolate osk-pc-17 (yamada@acme.example)", "Answer by 2026-11-27 12:27 JST (+09:00)",
				"Note: ransom note on screen", link},
			nil},
		{"done to the customer, ja", "ja", AudienceCustomer, "Asia/Tokyo",
			notice(RequestDone, "hanako", "cybereason: Succeeded: sensor P1 of osk-pc-17 isolated"),
			"[xsoc] ご依頼 CS-2026-0412 が完了しました: osk-pc-17 の隔離",
			[]string{"ご依頼 CS-2026-0412（osk-pc-17 の隔離）が完了しました。", "結果: cybereason: Succeeded", "受付日時: 2026年11月27日 12:12 JST (+09:00)",
				"担当: hanako"},
			[]string{"ui.test", "Open the request", "Your request"}},
		{"declined to the customer, en, UTC", "en", AudienceCustomer, "", notice(RequestDeclined, "xsoc", "host osk-pc-17 is not known"),
			"[xsoc] Request CS-2026-0412 declined: isolate osk-pc-17",
			[]string{"was declined", "Answer: host osk-pc-17 is not known", "Received: 2026-11-27 03:12 UTC (+00:00)"},
			[]string{"ui.test"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := Render(tc.language, KindRequest, Brief{CustomerName: "ACME", Audience: tc.audience, Zone: tc.zone, Request: tc.notice}, link)
			if m.Subject != tc.subject {
				t.Errorf("subject %q, want %q", m.Subject, tc.subject)
			}
			for _, want := range tc.says {
				if !strings.Contains(m.Text, want) {
					t.Errorf("missing %q in:\n%s", want, m.Text)
				}
			}
			for _, channel := range []string{m.Text, m.Slack, m.HTML} {
				if !strings.Contains(channel, tc.says[0]) {
					t.Errorf("missing the lead %q in:\n%s", tc.says[0], channel)
				}
				for _, never := range tc.never {
					if strings.Contains(channel, never) {
						t.Errorf("%q should not be in:\n%s", never, channel)
					}
				}
			}
		})
	}
}

func TestRequestPageSpokenAndTexted(t *testing.T) {
	n := &RequestNotice{Event: RequestPage, ID: "CS-1", Kind: "block", Target: "domain evil.example", By: "yamada",
		ReceivedAt: time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC), DueAt: time.Date(2026, 11, 27, 7, 0, 0, 0, time.UTC)}
	en := Render("en", KindRequest, Brief{CustomerName: "ACME", Audience: AudienceSOC, Request: n}, "http://ui.test/x")
	if want := "This is x soc. Customer request from ACME: block domain evil.example. Press 1 to acknowledge."; en.Speech != want {
		t.Errorf("speech %q, want %q", en.Speech, want)
	}
	if !strings.Contains(en.SMS, "Answer by 2026-11-27 07:00 UTC (+00:00). http://ui.test/x") || en.SayLanguage != "en-US" {
		t.Errorf("sms %q, say %q", en.SMS, en.SayLanguage)
	}
	ja := Render("ja", KindRequest, Brief{CustomerName: "ACME", Audience: AudienceSOC, Zone: "Asia/Tokyo", Request: n}, "")
	if !strings.Contains(ja.Speech, "domain evil.example のブロックです。受領する場合は 1 を押してください。") || ja.SayLanguage != "ja-JP" {
		t.Errorf("ja speech %q, say %q", ja.Speech, ja.SayLanguage)
	}
}
