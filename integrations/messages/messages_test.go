package messages

import (
	"html"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"
	"text/template"
	"time"
)

const uiLink = "http://ui.test/namespaces/default/workflows/incident%2Facme%2Fcybereason%2Fm1"

// opened is 2026-11-27 03:12Z: 12:12 in Tokyo, 22:12 the day before in New York.
var opened = time.Date(2026, 11, 27, 3, 12, 0, 0, time.UTC)

func line(after time.Duration, kind, by string, args ...string) Line {
	l := Line{At: opened.Add(after), Kind: kind, By: by, Text: "FALLBACK " + kind, Args: map[string]string{}}
	for i := 0; i+1 < len(args); i += 2 {
		l.Args[args[i]] = args[i+1]
	}
	return l
}

// incidentBrief is a confirmed, contained incident of ACME as the lead's workflow
// would tell it, for the reader of the given audience in Tokyo.
func incidentBrief(audience string) Brief {
	return Brief{
		WorkflowID: "incident/acme/cybereason/m1", CustomerName: "ACME", Vendor: "cybereason", AlertID: "m1",
		Detection: "Credential dumping (mimikatz)", Severity: "critical", State: "contained", Verdict: "true_positive",
		Hosts: []string{"osk-pc-17"}, Users: []string{`ACME\taro`}, Site: "osaka",
		Audience: audience, Zone: "Asia/Tokyo", OpenedAt: opened,
		Done:      []Line{line(5*time.Second, "action", "policy", "action", "isolate", "target", "osk-pc-17")},
		Need:      NeedAcknowledge,
		Recommend: &Line{Kind: "recommendation", Text: "FALLBACK recommendation", Args: map[string]string{"action": "isolate", "hosts": "osk-pc-18"}},
		Recent: []Line{
			line(0, "opened", "", "vendor", "cybereason", "alert", "m1", "detection", "Credential dumping (mimikatz)", "hosts", "osk-pc-17", "severity", "critical"),
			line(4*time.Minute, "verdict", "hanako", "verdict", "true_positive"),
		},
		Policy:  "isolate_first: osk-pc-17 isolated at once",
		SOCName: "X-SOC", SOCContact: "+81-3-0000-9999",
	}
}

func channels(m Message) map[string]string {
	return map[string]string{"subject": m.Subject, "text": m.Text, "html": m.HTML, "slack": m.Slack, "speech": m.Speech, "sms": m.SMS}
}

// unstarred drops Slack's bold marks, so that a fact reads as in the text.
func unstarred(slack string) string { return strings.ReplaceAll(slack, "*", "") }

// htmlText is what a fact looks like in the HTML table.
func htmlText(fact string) string {
	if label, value, ok := strings.Cut(fact, ": "); ok && !strings.ContainsAny(label, "0123456789") {
		return label + `</th><td style="border-bottom:1px solid #ddd">` + value
	}
	return fact
}

var incidentKinds = []string{KindPage, KindBreach, KindStatus}

func TestCustomerMessagesNeverSendTheCustomerToTheTemporalUI(t *testing.T) {
	for _, language := range []string{"en", "ja"} {
		for _, kind := range append(slices.Clone(incidentKinds), KindNotice, KindReport) {
			for _, need := range []string{NeedAcknowledge, NeedVerdict, NeedCustomerDecision, ""} {
				b := incidentBrief(AudienceCustomer)
				b.Need = need
				b.Notice = &TicketNotice{Count: 2, Purchased: "2026-01-10", Expires: "2027-01-10"}
				b.Report = &MonthReport{Month: "2026-11", Plan: PlanPerResponse}
				m := Render(language, kind, b, uiLink)
				for channel, said := range channels(m) {
					for _, forbidden := range []string{"ui.test", "Temporal", "temporal"} {
						if strings.Contains(said, forbidden) {
							t.Errorf("%s %s (need %q) %s says %q:\n%s", language, kind, need, channel, forbidden, said)
						}
					}
				}
			}
		}
	}
}

func TestCustomerPagesSayWhatHappenedWhatWeDidAndHowToReachTheSOC(t *testing.T) {
	cases := []struct {
		language string
		says     []string
	}{
		{"en", []string{"Our analysts confirmed a security incident at ACME", "Isolated osk-pc-17 from the network",
			"We recommend isolating osk-pc-18 from the network.", "press 1 when we call, or click Acknowledge in Slack",
			"Contact the SOC: X-SOC (+81-3-0000-9999)"}},
		{"ja", []string{"ACME 様の環境でセキュリティインシデントを確認しました", "osk-pc-17 をネットワークから隔離しました",
			"osk-pc-18 をネットワークから隔離することを推奨します。", "お電話で 1 を押すか、Slack の「受領」ボタン",
			"SOC の連絡先: X-SOC (+81-3-0000-9999)"}},
	}
	for _, tc := range cases {
		t.Run(tc.language, func(t *testing.T) {
			m := Render(tc.language, KindPage, incidentBrief(AudienceCustomer), uiLink)
			for _, want := range tc.says {
				if !strings.Contains(m.Text, want) || !strings.Contains(unstarred(m.Slack), want) {
					t.Errorf("text or Slack does not say %q:\n%s\n%s", want, m.Text, m.Slack)
				}
			}
			for _, want := range []string{"X-SOC", "+81-3-0000-9999", "osk-pc-17"} {
				if !strings.Contains(m.Speech, want) || !strings.Contains(m.SMS, want) {
					t.Errorf("speech or SMS does not say %q:\n%s\n%s", want, m.Speech, m.SMS)
				}
			}
			if !strings.Contains(m.Speech, "1") {
				t.Errorf("the call does not say which key acknowledges: %s", m.Speech)
			}
			for _, internal := range []string{"isolate_first", "Policy", "ポリシー"} {
				if strings.Contains(m.Text, internal) {
					t.Errorf("the customer's page shows the SOC's %q:\n%s", internal, m.Text)
				}
			}
		})
	}
}

func TestSOCMessagesLinkTheIncidentAndSpeakToAnalysts(t *testing.T) {
	for _, language := range []string{"en", "ja"} {
		for _, kind := range incidentKinds {
			for _, audience := range []string{AudienceSOC, ""} {
				m := Render(language, kind, incidentBrief(audience), uiLink)
				for channel, said := range map[string]string{"text": m.Text, "html": m.HTML, "slack": m.Slack, "sms": m.SMS} {
					if !strings.Contains(said, uiLink) {
						t.Errorf("%s %s (audience %q) %s has no link to the incident:\n%s", language, kind, audience, channel, said)
					}
				}
				for _, want := range []string{"ACME", "Credential dumping (mimikatz)", "CRITICAL", "osk-pc-17", `ACME\taro`, "osaka",
					"isolate_first: osk-pc-17 isolated at once", "Temporal UI"} {
					if !strings.Contains(m.Text, want) {
						t.Errorf("%s %s text does not say %q:\n%s", language, kind, want, m.Text)
					}
				}
			}
		}
	}
}

func TestTimesAreInTheReadersZoneWithTheOffset(t *testing.T) {
	cases := []struct {
		language, zone string
		says           []string
	}{
		{"en", "Asia/Tokyo", []string{"Opened: 2026-11-27 12:12 JST (+09:00)", "12:12:05 +09:00 Isolated osk-pc-17",
			"12:16:00 +09:00 Verdict true_positive by hanako", "Nov 28 01:00:00 +09:00 SLA breached: no verdict by 2026-11-27 12:42 JST (+09:00)"}},
		{"ja", "Asia/Tokyo", []string{"検知日時: 2026年11月27日 12:12 JST (+09:00)", "12:12:05 +09:00 osk-pc-17 をネットワークから隔離しました",
			"11/28 01:00:00 +09:00 SLA 違反: 2026年11月27日 12:42 JST (+09:00) までに判定が出ませんでした"}},
		{"en", "", []string{"Opened: 2026-11-27 03:12 UTC (+00:00)", "03:12:05 +00:00 Isolated osk-pc-17", "16:00:00 +00:00 SLA breached"}},
		{"en", "America/New_York", []string{"Opened: 2026-11-26 22:12 EST (-05:00)", "22:12:05 -05:00 Isolated osk-pc-17",
			"Nov 27 11:00:00 -05:00 SLA breached: no verdict by 2026-11-26 22:42 EST (-05:00)"}},
	}
	for _, tc := range cases {
		t.Run(tc.language+" "+tc.zone, func(t *testing.T) {
			b := incidentBrief(AudienceCustomer)
			b.Zone = tc.zone
			b.Recent = append(b.Recent, line(12*time.Hour+48*time.Minute, "sla_breach", "", "clock", "verdict", "due", "2026-11-27T03:42:00Z"))
			m := Render(tc.language, KindPage, b, uiLink)
			for _, want := range tc.says {
				if !strings.Contains(m.Text, want) || !strings.Contains(html.UnescapeString(m.HTML), htmlText(want)) || !strings.Contains(unstarred(m.Slack), want) {
					t.Errorf("text, HTML or Slack does not say %q:\n%s", want, m.Text)
				}
			}
			if strings.Contains(m.Text, "T03:") || (tc.zone != "" && strings.Contains(m.Text, "03:12")) {
				t.Errorf("a time is not in %q:\n%s", tc.zone, m.Text)
			}
		})
	}
}

// sampleLines has one line of every kind of LineKinds (and of every variant), with
// the words its English rendering must show.
var sampleLines = []struct {
	line Line
	en   string
}{
	{line(0, "opened", "", "vendor", "cybereason", "alert", "m1", "detection", "Mimikatz", "hosts", "osk-pc-17", "severity", "critical"), "cybereason reported Mimikatz on osk-pc-17 (critical, alert m1)"},
	{line(0, "state", "", "from", "new", "to", "investigating"), "State new → investigating"},
	{line(0, "action", "", "action", "isolate", "target", "osk-pc-17"), "Isolated osk-pc-17 from the network"},
	{line(0, "action", "", "action", "isolate", "target", "osk-pc-17", "already", "true"), "osk-pc-17 was already isolated"},
	{line(0, "action", "", "action", "release", "target", "osk-pc-17"), "Released osk-pc-17 from isolation"},
	{line(0, "action", "", "action", "block", "target", "evil.example"), "Blocked evil.example"},
	{line(0, "action", "", "action", "unblock", "target", "evil.example"), "Unblocked evil.example"},
	{line(0, "action_failed", "", "action", "isolate", "target", "osk-pc-17", "error", "sensor offline"), "Isolating osk-pc-17 failed: sensor offline"},
	{line(0, "action_failed", "", "action", "release", "target", "osk-pc-17", "error", "e"), "Releasing osk-pc-17 from isolation failed: e"},
	{line(0, "action_failed", "", "action", "block", "target", "evil.example", "error", "e"), "Blocking evil.example failed: e"},
	{line(0, "action_failed", "", "action", "unblock", "target", "evil.example", "error", "e"), "Unblocking evil.example failed: e"},
	{line(0, "investigated", "", "summary", "3 processes, 1 connection"), "Investigation: 3 processes, 1 connection"},
	{line(0, "verdict", "hanako", "verdict", "false_positive", "note", "IT script"), "Verdict false_positive by hanako: IT script"},
	{line(0, "escalated", "", "from", "high", "to", "critical"), "Severity raised from high to critical"},
	{line(0, "recommendation", "", "action", "isolate", "hosts", "osk-pc-18"), "We recommend isolating osk-pc-18 from the network"},
	{line(0, "acknowledged", "hanako", "tier", "soc", "via", "slack"), "Acknowledged by hanako (SOC, slack)"},
	{line(0, "acknowledged", "CSO", "tier", "customer", "via", "phone"), "Acknowledged by CSO (customer, phone)"},
	{line(0, "sla_breach", "", "clock", "ack", "due", "2026-11-27T03:27:00Z"), "SLA breached: not acknowledged by 2026-11-27 12:27 JST (+09:00)"},
	{line(0, "sla_breach", "", "clock", "verdict", "due", "2026-11-27T03:42:00Z"), "SLA breached: no verdict by 2026-11-27 12:42 JST (+09:00)"},
	{line(0, "sla_breach", "", "clock", "contain", "due", "2026-11-27T04:12:00Z"), "SLA breached: not contained by 2026-11-27 13:12 JST (+09:00)"},
	{line(0, "joined", "", "alert", "m2", "detection", "Mimikatz", "hosts", "osk-pc-17", "severity", "high"), "Alert m2 joined: Mimikatz on osk-pc-17 (high)"},
	{line(0, "hosts_added", "", "hosts", "osk-pc-18, osk-pc-19"), "Hosts added: osk-pc-18, osk-pc-19"},
	{line(0, "comment", "hanako", "note", "called the site"), "hanako: called the site"},
	{line(0, "suppressed", "", "rule", "R-1", "reason", "nightly inventory"), "Suppressed by rule R-1: nightly inventory"},
	{line(0, "merged", "", "parent", "incident/acme/campaign/m0"), "Joined incident/acme/campaign/m0"},
	{line(0, "closed", "", "state", "resolved", "note", "done"), "Closed (resolved): done"},
}

var japaneseScript = regexp.MustCompile(`[\p{Hiragana}\p{Katakana}\p{Han}]`)

func TestTimelineLinesAreSaidInTheReadersLanguage(t *testing.T) {
	covered := map[string]bool{}
	for _, sample := range sampleLines {
		covered[sample.line.Kind] = true
		c := english.clock("Asia/Tokyo", opened)
		if got := c.say(sample.line); got != sample.en {
			t.Errorf("en %s %v = %q, want %q", sample.line.Kind, sample.line.Args, got, sample.en)
		}
		ja := japanese.clock("Asia/Tokyo", opened).say(sample.line)
		if !japaneseScript.MatchString(ja) || strings.Contains(ja, "FALLBACK") {
			t.Errorf("ja %s %v = %q: not said in Japanese", sample.line.Kind, sample.line.Args, ja)
		}
		for _, identifier := range []string{"critical", "high", "investigating", "false_positive", "resolved"} {
			if strings.Contains(sample.en, identifier) && !strings.Contains(ja, identifier) {
				t.Errorf("ja %s = %q translates the identifier %q", sample.line.Kind, ja, identifier)
			}
		}
	}
	for _, kind := range LineKinds {
		if !covered[kind] {
			t.Errorf("LineKinds has %q, which no sample line covers", kind)
		}
		if _, ok := lineShapes[kind]; !ok {
			t.Errorf("LineKinds has %q, which lineShapes does not know", kind)
		}
	}
}

func TestLinesFallBackToTheirTextWhenTheyCannotBeSaid(t *testing.T) {
	cases := []struct {
		name string
		line Line
	}{
		{"unknown kind", line(0, "notified", "", "to", "x")},
		{"recorded before Args", Line{At: opened, Kind: "action", Text: "FALLBACK action"}},
		{"missing a needed arg", line(0, "action", "", "action", "isolate")},
		{"unknown variant", line(0, "action", "", "action", "reboot", "target", "osk-pc-17")},
	}
	for _, tc := range cases {
		for _, w := range []words{english, japanese} {
			if got := w.clock("", time.Time{}).say(tc.line); got != tc.line.Text {
				t.Errorf("%s: %s said %q, want its text %q", tc.name, w.sayLanguage, got, tc.line.Text)
			}
		}
	}
}

func TestJapaneseMessagesSayTheTimelineInJapanese(t *testing.T) {
	for _, audience := range []string{AudienceSOC, AudienceCustomer} {
		for _, kind := range incidentKinds {
			b := incidentBrief(audience)
			b.Changes = []Line{line(time.Minute, "state", "", "from", "containing", "to", "contained")}
			m := Render("ja", kind, b, uiLink)
			for _, want := range []string{"osk-pc-17 をネットワークから隔離しました", "判定 true_positive（hanako）", "状態 containing → contained"} {
				if kind != KindStatus && strings.HasPrefix(want, "状態") {
					continue
				}
				if !strings.Contains(m.Text, want) {
					t.Errorf("%s %s does not say %q:\n%s", audience, kind, want, m.Text)
				}
			}
			for _, english := range []string{"What we did", "Recent events", "Isolated", "Verdict", "FALLBACK"} {
				if strings.Contains(m.Text, english) {
					t.Errorf("%s %s says %q in a Japanese message:\n%s", audience, kind, english, m.Text)
				}
			}
		}
	}
}

func TestStatusUpdateListsEveryChangeOldestFirst(t *testing.T) {
	b := incidentBrief(AudienceCustomer)
	b.Need = ""
	b.Changes = []Line{
		line(10*time.Second, "action", "policy", "action", "isolate", "target", "osk-pc-17"),
		line(11*time.Second, "state", "", "from", "containing", "to", "contained"),
		line(40*time.Second, "verdict", "hanako", "verdict", "true_positive"),
	}
	want := []string{"12:12:10 +09:00 Isolated osk-pc-17 from the network", "12:12:11 +09:00 State containing → contained",
		"12:12:40 +09:00 Verdict true_positive by hanako"}
	m := Render("en", KindStatus, b, uiLink)
	for channel, said := range map[string]string{"text": m.Text, "html": html.UnescapeString(m.HTML), "slack": m.Slack} {
		at := -1
		for _, change := range want {
			i := strings.Index(said, change)
			if i < 0 || i < at {
				t.Errorf("%s does not list %q after the change before it:\n%s", channel, change, said)
			}
			at = i
		}
		if !strings.Contains(said, "Changes since the last update") {
			t.Errorf("%s does not title the changes:\n%s", channel, said)
		}
	}
	for _, change := range []string{"Isolated osk-pc-17", "State containing → contained", "Verdict true_positive"} {
		if !strings.Contains(m.SMS, change) {
			t.Errorf("SMS does not list %q: %s", change, m.SMS)
		}
	}
	if !strings.Contains(m.Subject, "[contained]") {
		t.Errorf("subject %q does not name the state", m.Subject)
	}
}

func TestBreachPageSaysWhichPromiseWasBroken(t *testing.T) {
	b := incidentBrief(AudienceSOC)
	b.Reason = "SLA verdict breached"
	b.Changes = []Line{line(30*time.Minute, "sla_breach", "", "clock", "verdict", "due", "2026-11-27T03:42:00Z")}
	cases := map[string]string{
		"en": "An SLA promise for this incident was broken (SLA breached: no verdict by 2026-11-27 12:42 JST (+09:00))",
		"ja": "このインシデントの SLA が守られていません（SLA 違反: 2026年11月27日 12:42 JST (+09:00) までに判定が出ませんでした）",
	}
	for language, want := range cases {
		m := Render(language, KindBreach, b, uiLink)
		if !strings.HasPrefix(m.Text, want) {
			t.Errorf("%s breach page opens:\n%s\nwant %q", language, m.Text, want)
		}
		if !strings.Contains(m.Subject, "SLA") {
			t.Errorf("%s breach subject %q", language, m.Subject)
		}
	}
	b.Changes = nil
	if m := Render("en", KindBreach, b, uiLink); !strings.Contains(m.Text, "(SLA verdict breached)") {
		t.Errorf("without a breach line the page does not give the reason:\n%s", m.Text)
	}
}

func TestSOCNoticesByTopic(t *testing.T) {
	at := opened
	cases := []struct {
		notice SOCNotice
		brief  Brief
		en, ja []string
	}{
		{SOCNotice{Topic: TopicStormStarted, Customer: "acme", At: at, Alerts: 45}, Brief{},
			[]string{"[xsoc][STORM] acme: storm mode started", "acme is in storm mode since 2026-11-27 12:12 JST (+09:00): 45 new alerts in a minute"},
			[]string{"ストームモード開始", "acme は 2026年11月27日 12:12 JST (+09:00) からストームモードです（1 分間に新規アラート 45 件）"}},
		{SOCNotice{Topic: TopicStormDigest, Customer: "acme", At: at, Since: at.Add(-5 * time.Minute), Alerts: 340,
			ByDetection: []Tally{{"Worm.Conficker", 300}, {"Suspicious PowerShell", 40}}, ByHost: []Tally{{"osk-pc-1", 20}, {"osk-pc-2", 19}},
			ListQuery: `XsocCustomer="acme" AND WorkflowType="Incident"`}, Brief{CustomerName: "ACME"},
			[]string{"340 new alerts since 2026-11-27 12:07 JST (+09:00)", "By detection:\n  - Worm.Conficker: 300\n  - Suspicious PowerShell: 40",
				"By host:\n  - osk-pc-1: 20\n  - osk-pc-2: 19", `List query: XsocCustomer="acme" AND WorkflowType="Incident"`, "Open the list: " + uiLink},
			[]string{"2026年11月27日 12:07 JST (+09:00) 以降、新規アラート 340 件", "検知内容別:\n  - Worm.Conficker: 300", "ホスト別:\n  - osk-pc-1: 20",
				`一覧の検索条件: XsocCustomer="acme" AND WorkflowType="Incident"`, "一覧を開く: " + uiLink}},
		{SOCNotice{Topic: TopicStormEnded, Customer: "acme", At: at, Alerts: 2000}, Brief{},
			[]string{"acme left storm mode at 2026-11-27 12:12 JST (+09:00) after 2000 alerts"},
			[]string{"acme は 2026年11月27日 12:12 JST (+09:00) にストームモードを抜けました（アラート計 2000 件）"}},
		{SOCNotice{Topic: TopicOutage, Customer: "acme", At: at, Since: at, Vendor: "cybereason", Error: "503 Service Unavailable"}, Brief{},
			[]string{"Polling cybereason for acme has failed since 2026-11-27 12:12 JST (+09:00): 503 Service Unavailable. No alert is lost", "Error: 503 Service Unavailable"},
			[]string{"acme の cybereason からのアラート取得が 2026年11月27日 12:12 JST (+09:00) から失敗しています（503 Service Unavailable）。アラートは失われません"}},
		{SOCNotice{Topic: TopicRecovered, Customer: "acme", At: at.Add(time.Hour), Since: at, Count: 7, Vendor: "cybereason"}, Brief{},
			[]string{"Polling cybereason for acme works again since 2026-11-27 13:12 JST (+09:00), after failing since 2026-11-27 12:12 JST (+09:00) (7 failed polls)"},
			[]string{"acme の cybereason からのアラート取得が 2026年11月27日 13:12 JST (+09:00) に復旧しました（2026年11月27日 12:12 JST (+09:00) から失敗、7 回）"}},
		{SOCNotice{Topic: TopicFirstFetch, Customer: "acme", Vendor: "cybereason", At: at, Since: at.Add(-24 * time.Hour), Alerts: 37, Known: 2,
			ListQuery: `WorkflowType="Incident" AND XsocCustomer="acme" AND XsocVendor="cybereason"`}, Brief{CustomerName: "ACME"},
			[]string{"[xsoc][FIRST FETCH] ACME: 37 cybereason alerts since 2026-11-26 12:12 JST (+09:00)",
				"First fetch for acme/cybereason: 37 alerts raised or updated since 2026-11-26 12:12 JST (+09:00), 2 of them already known (pushed, or fetched before).",
				"Already known: 2", "Open the list: " + uiLink},
			[]string{"acme/cybereason の初回取得: 2026年11月26日 12:12 JST (+09:00) 以降に発生または更新されたアラート 37 件（うち 2 件は", "取り込み済み: 2"}},
		{SOCNotice{Topic: TopicFirstFetch, Customer: "acme", Vendor: "withsecure", At: at, Since: at.Add(-72 * time.Hour), Alerts: 1}, Brief{},
			[]string{"acme: 1 withsecure alert since", "First fetch for acme/withsecure: 1 alert raised or updated since 2026-11-24 12:12 JST (+09:00). Each new one"},
			[]string{"以降に発生または更新されたアラート 1 件。新しいものは"}},
		{SOCNotice{Topic: TopicFirstFetch, Customer: "acme", Vendor: "cybereason", At: at, Since: at.Add(-24 * time.Hour), Alerts: 0}, Brief{},
			[]string{"First fetch for acme/cybereason: no alert raised or updated since"}, []string{"アラート 0 件。"}},
		{SOCNotice{Topic: TopicFirstFetch, Customer: "acme", Vendor: "cybereason", At: at, Since: at.Add(-24 * time.Hour), Alerts: 612, Storm: true}, Brief{},
			[]string{"[xsoc][FIRST FETCH][STORM] acme: 612 cybereason alerts", "So many at once are an alert storm: they reached triage together, and beyond the customer's storm threshold a minute high and lower alerts come in storm digests; critical and emergency alerts still page one by one."},
			[]string{"[xsoc][FIRST FETCH][STORM]", "アラートストームとして扱います"}},
		{SOCNotice{Topic: TopicRuleOverBroad, Customer: "acme", At: at, Rule: "R-7", Count: 812, Detail: "nightly inventory"}, Brief{},
			[]string{"rule R-7 matched 812 alerts in an hour", "Suppression rule R-7 of acme matched 812 alerts in the hour up to 2026-11-27 12:12 JST (+09:00) (nightly inventory)"},
			[]string{"ルール R-7 が 1 時間に 812 件一致", "抑止ルール R-7 が 2026年11月27日 12:12 JST (+09:00) までの 1 時間に 812 件のアラートに一致しました（nightly inventory）"}},
		{SOCNotice{Topic: TopicCancelled, Customer: "acme", At: at, Detail: "terminated by an operator"},
			Brief{WorkflowID: "incident/acme/generic/a9", Detection: "Mimikatz", Hosts: []string{"osk-pc-17"}},
			[]string{"Incident incident/acme/generic/a9 of acme (Mimikatz on osk-pc-17) was cancelled at 2026-11-27 12:12 JST (+09:00): terminated by an operator"},
			[]string{"acme のインシデント incident/acme/generic/a9（osk-pc-17 で Mimikatz） は 2026年11月27日 12:12 JST (+09:00) に取り消されました"}},
		{SOCNotice{Topic: "qa_sample", Customer: "acme", At: at, Detail: "every 100th"}, Brief{},
			[]string{"qa_sample for acme at 2026-11-27 12:12 JST (+09:00): every 100th"}, []string{"acme: qa_sample"}},
	}
	for _, tc := range cases {
		for language, says := range map[string][]string{"en": tc.en, "ja": tc.ja} {
			t.Run(tc.notice.Topic+" "+language, func(t *testing.T) {
				b := tc.brief
				b.Zone, b.SOCNotice = "Asia/Tokyo", &tc.notice
				m := Render(language, KindSOCNotice, b, uiLink)
				for _, want := range says {
					if !strings.Contains(m.Subject+"\n"+m.Text, want) {
						t.Errorf("does not say %q:\n%s\n%s", want, m.Subject, m.Text)
					}
				}
				if !strings.Contains(m.Slack, uiLink) || !strings.Contains(m.HTML, uiLink) {
					t.Errorf("Slack or HTML does not link the notice:\n%s", m.Slack)
				}
				customer := firstNonEmpty(tc.brief.CustomerName, tc.notice.Customer)
				for channel, said := range map[string]string{"subject": m.Subject, "speech": m.Speech, "sms": m.SMS} {
					if !strings.Contains(said, customer) {
						t.Errorf("%s does not name the customer: %q", channel, said)
					}
				}
				if language == "ja" && !japaneseScript.MatchString(m.Speech) {
					t.Errorf("speech is not Japanese: %q", m.Speech)
				}
			})
		}
	}
}

func TestAlertContentIsEscapedInHTML(t *testing.T) {
	b := incidentBrief(AudienceSOC)
	b.Detection = `<script>alert("x")</script>`
	m := Render("en", KindPage, b, uiLink)
	if strings.Contains(m.HTML, "<script>") || !strings.Contains(m.HTML, "&lt;script&gt;") {
		t.Errorf("HTML does not escape the detection:\n%s", m.HTML)
	}
}

func TestTicketNoticeUnchanged(t *testing.T) {
	b := Brief{CustomerName: "ACME", Notice: &TicketNotice{Expired: true, Count: 3, Purchased: "2025-11-01", Expires: "2026-11-01"}}
	m := Render("en", KindNotice, b, uiLink)
	if m.Subject != "[xsoc] ACME: option tickets" ||
		!strings.HasPrefix(m.Text, "3 option ticket(s) bought 2025-11-01 expired unused on 2026-11-01.") {
		t.Errorf("ticket notice:\n%s\n%s", m.Subject, m.Text)
	}
}

// TestLanguagesSayTheSameThings keeps ja.go and en.go in step: a sentence one has
// and the other lacks would fall back to a page's words or a line's English text.
func TestLanguagesSayTheSameThings(t *testing.T) {
	for name, pair := range map[string][2]map[string]string{
		"subject": {english.subject, japanese.subject}, "lead": {english.lead, japanese.lead},
		"need": {english.need, japanese.need}, "speech": {english.speech, japanese.speech},
		"sms": {english.sms, japanese.sms}, "lines": {english.lines, japanese.lines}, "buttons": {english.buttons, japanese.buttons},
	} {
		en, ja := slices.Sorted(maps.Keys(pair[0])), slices.Sorted(maps.Keys(pair[1]))
		if !slices.Equal(en, ja) {
			t.Errorf("%s: en has %v, ja has %v", name, en, ja)
		}
	}
	if en, ja := slices.Sorted(maps.Keys(english.notices)), slices.Sorted(maps.Keys(japanese.notices)); !slices.Equal(en, ja) {
		t.Errorf("notices: en has %v, ja has %v", en, ja)
	}
}

func TestEveryTemplateParses(t *testing.T) {
	for language, w := range languages {
		var sources []string
		for _, m := range []map[string]string{w.subject, w.lead, w.need, w.speech, w.sms, w.lines} {
			sources = append(sources, slices.Collect(maps.Values(m))...)
		}
		for _, n := range w.notices {
			sources = append(sources, n.subject, n.lead, n.short)
		}
		sources = append(sources, w.report.tickets, w.report.overUse, w.report.noActiveCount)
		for _, source := range sources {
			if _, err := template.New("").Parse(source); err != nil {
				t.Errorf("%s: %v", language, err)
			}
		}
	}
}
