package tests

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/proxy"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"xsoc/config"
	cybereasonsim "xsoc/integrations/cybereason/sim"
	zscalersim "xsoc/integrations/zscaler/sim"
	"xsoc/internal/codec"
	"xsoc/internal/devstack"
	"xsoc/internal/e2e"
	"xsoc/workflows/api"
)

// rawHistory reads a workflow's history through the bare workflow service, as anyone
// with access to the Temporal server or its database sees it: no codec.
func rawHistory(t *testing.T, c client.Client, workflowID string) *historypb.History {
	t.Helper()
	history := &historypb.History{}
	var token []byte
	for {
		resp, err := c.WorkflowService().GetWorkflowExecutionHistory(context.Background(), &workflowservice.GetWorkflowExecutionHistoryRequest{
			Namespace: "default", Execution: &commonpb.WorkflowExecution{WorkflowId: workflowID}, NextPageToken: token,
		})
		if err != nil {
			t.Fatalf("history of %s: %v", workflowID, err)
		}
		history.Events = append(history.Events, resp.GetHistory().GetEvents()...)
		if token = resp.GetNextPageToken(); len(token) == 0 {
			return history
		}
	}
}

// payloads answers every payload of msg (search attributes too, when withIndex).
func payloads(t *testing.T, msg proto.Message, withIndex bool) []*commonpb.Payload {
	t.Helper()
	var all []*commonpb.Payload
	err := proxy.VisitPayloads(context.Background(), msg, proxy.VisitPayloadsOptions{
		SkipSearchAttributes: !withIndex,
		Visitor: func(_ *proxy.VisitPayloadsContext, p []*commonpb.Payload) ([]*commonpb.Payload, error) {
			all = append(all, p...)
			return p, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return all
}

// withoutSearchAttributes answers a copy of msg without its search attributes: they
// are the index, readable by design.
func withoutSearchAttributes(msg proto.Message) proto.Message {
	clone := proto.Clone(msg)
	clearSearchAttributes(clone.ProtoReflect())
	return clone
}

func clearSearchAttributes(m protoreflect.Message) {
	var index []protoreflect.FieldDescriptor
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.Message() == nil:
		case fd.IsList():
			for i := 0; i < v.List().Len(); i++ {
				clearSearchAttributes(v.List().Get(i).Message())
			}
		case fd.IsMap():
			if fd.MapValue().Message() != nil {
				v.Map().Range(func(_ protoreflect.MapKey, value protoreflect.Value) bool {
					clearSearchAttributes(value.Message())
					return true
				})
			}
		case fd.Message().FullName() == "temporal.api.common.v1.SearchAttributes":
			index = append(index, fd)
		default:
			clearSearchAttributes(v.Message())
		}
		return true
	})
	for _, fd := range index {
		m.Clear(fd)
	}
}

// inClear answers which of values the history holds readable outside its search
// attributes, and the payloads that are not encrypted.
func inClear(t *testing.T, history *historypb.History, values []string) (found []string, plain []*commonpb.Payload) {
	t.Helper()
	stripped := withoutSearchAttributes(history)
	raw, err := proto.Marshal(stripped)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range values {
		if bytes.Contains(raw, []byte(v)) {
			found = append(found, v)
		}
	}
	for _, p := range payloads(t, stripped, false) {
		if string(p.GetMetadata()[converter.MetadataEncoding]) != codec.MetadataEncodingEncrypted {
			plain = append(plain, p)
		}
	}
	return found, plain
}

func TestIncidentHistoryHoldsNoAlertTextInClear(t *testing.T) {
	t.Parallel()
	n := time.Now().UnixNano()
	alertID := fmt.Sprintf("enc-%d", n)
	host, second, user := fmt.Sprintf("fs-enc-%d", n%100000), fmt.Sprintf("osk-enc-%d", n%100000), fmt.Sprintf("enc-user-%d", n%100000)
	detection, indicator, note := fmt.Sprintf("Kerberoasting %d", n), fmt.Sprintf("c2-%d.evil.example", n%100000), fmt.Sprintf("reimaged %d", n)
	body := fmt.Sprintf(`{"id": %q, "detection": %q, "severity": "critical", "observed_at": "2026-11-27T03:12:00Z",
		"hosts": [{"name": %q, "ip": "10.9.8.7"}, {"name": %q}], "users": [%q],
		"indicators": [{"type": "domain", "value": %q}], "description": "lateral movement from the file server"}`,
		alertID, detection, host, second, `ACME\`+user, indicator)
	code, answer, _ := post(t, "/v1/alerts/generic/acme", []byte(body))
	if code != http.StatusAccepted {
		t.Fatalf("posting: %d %s", code, answer)
	}
	id := decode[intakeAnswer](t, answer).Incidents[0].WorkflowID
	// The page went out (email and Slack): activities ran with the alert's text.
	waitMail(t, "it-ml@acme.example", detection)
	if status := incidentStatus(t, id); !slices.Contains(status.Alert.HostNames(), host) {
		t.Fatalf("the status query does not decode the incident: %+v", status)
	}
	mustDecide(t, id, api.DecisionAcknowledge, map[string]any{"by": "hanako"})
	mustDecide(t, id, api.DecisionVerdict, map[string]any{"by": "hanako", "verdict": "true_positive", "note": note})
	mustDecide(t, id, api.DecisionClose, map[string]any{"by": "hanako", "note": note})
	waitClosed(t, id)

	history := rawHistory(t, xsoc.Temporal, id)
	found, plain := inClear(t, history, []string{host, second, user, detection, indicator, note, "10.9.8.7", "lateral movement"})
	if len(found) > 0 {
		t.Errorf("the stored history holds %q in clear", found)
	}
	for _, p := range plain {
		t.Errorf("a payload is stored unencrypted: metadata %q, data %.80q", p.GetMetadata(), p.GetData())
	}
	if n := len(payloads(t, history, false)); n < 5 {
		t.Fatalf("only %d payloads in the history: the scan saw nothing", n)
	}
}

// TestHistoriesHoldNoSecrets runs incidents through every platform and notifier and
// reads every history of the namespace (incidents, accounts, pollers), decrypted, for
// the value of every secret the processes hold.
func TestHistoriesHoldNoSecrets(t *testing.T) {
	t.Parallel()
	n := time.Now().UnixNano() % 100000
	var ids []string

	// A critical host (fs-*): investigated, not isolated, so that the Cybereason platform
	// test counts only its own isolation.
	guid, err := xsoc.Cybereason.AddMalop(cybereasonsim.Malop{Name: "Ransomware behaviour", Severity: "High",
		Machines: []cybereasonsim.Machine{{Name: fmt.Sprintf("fs-sec-%d", n)}}})
	if err != nil {
		t.Fatal(err)
	}
	polled := api.IncidentWorkflowID("acme", "cybereason", guid)
	ids = append(ids, polled)
	wsID, _ := pushWithSecureIncident(t, fmt.Sprintf("ws-sec-%d", n), fmt.Sprintf("6f1e4a2c-0000-4000-9000-%012d", n))
	ids = append(ids, wsID)
	code, answer, _ := post(t, "/v1/alerts/zscaler/acme", xsoc.Zscaler.FeedBatch(zscalersim.Threat{
		RecordID: fmt.Sprintf("sec-%d", n), Host: "pc-zs-sec", User: "taro@acme.example",
		URL: fmt.Sprintf("http://sec-%d.evil.example/x.exe", n), ThreatName: "Win32.Trojan.Emotet", Severity: "High"}))
	if code != http.StatusAccepted {
		t.Fatalf("Zscaler batch: %d %s", code, answer)
	}
	ids = append(ids, decode[intakeAnswer](t, answer).Incidents[0].WorkflowID)
	for _, id := range ids {
		want := api.StateContained
		if id == polled {
			want = api.StateInvestigating
		}
		eventually(t, 30*time.Second, id+" "+want, func() error {
			// The polled MalOp's incident starts only once the poller finds it.
			if status, err := queryStatus(id); err != nil || status.State != want {
				return fmt.Errorf("state %q: %v", status.State, err)
			}
			return nil
		})
	}
	critical := postGeneric(t, "acme", fmt.Sprintf("sec-slack-%d", n), "critical", fmt.Sprintf("pc-slack-sec-%d", n))
	emergency := postGeneric(t, "acme", fmt.Sprintf("sec-call-%d", n), "emergency", fmt.Sprintf("pc-call-sec-%d", n))
	callFor(t, emergency)
	eventually(t, 20*time.Second, "the Slack page", func() error {
		for _, m := range xsoc.Slack.Messages() {
			if strings.Contains(string(m.Blocks), critical) {
				return nil
			}
		}
		return fmt.Errorf("no Slack message for %s", critical)
	})
	ids = append(ids, critical, emergency)
	for _, id := range ids {
		mustDecide(t, id, api.DecisionVerdict, map[string]any{"by": "hanako", "verdict": "false_positive"})
		waitClosed(t, id)
	}

	secrets := map[string]string{
		"webhook secret": webhookSecret, "Cybereason user": devstack.CybereasonUser, "Cybereason password": devstack.CybereasonPassword,
		"WithSecure client id": devstack.WithSecureClientID, "WithSecure secret": devstack.WithSecureSecret,
		"Zscaler API key": devstack.ZscalerAPIKey, "Zscaler user": devstack.ZscalerUser, "Zscaler password": devstack.ZscalerPassword,
		"Slack token": lookupEnv(t, "XSOC_SLACK_TOKEN"), "Slack signing secret": devstack.SlackSigningSecret,
		"Twilio token": devstack.TwilioToken, "SMTP password": smtpPassword,
	}
	keyFile, err := os.ReadFile(lookupEnv(t, config.EnvCodecKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := codec.ParseKeys(strings.TrimSpace(string(keyFile)))
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		secrets["codec key "+k.ID] = base64.StdEncoding.EncodeToString(k.Secret)
		secrets["codec key "+k.ID+" (raw)"] = string(k.Secret)
	}

	dc := xsoc.ClientOptions.DataConverter
	scanned := map[string]bool{}
	executions, err := xsoc.Temporal.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{Namespace: "default", PageSize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range executions.GetExecutions() {
		scanned[e.GetExecution().GetWorkflowId()] = true
	}
	for _, id := range append(ids, api.AccountWorkflowID("acme"), api.PollerWorkflowID("acme", "cybereason")) {
		if !scanned[id] {
			t.Errorf("%s is not among the %d workflows listed", id, len(scanned))
		}
	}
	for id := range scanned {
		history := rawHistory(t, xsoc.Temporal, id)
		raw, err := proto.Marshal(history)
		if err != nil {
			t.Fatal(err)
		}
		var decoded strings.Builder
		for _, p := range payloads(t, history, true) {
			decoded.WriteString(dc.ToString(p))
			decoded.WriteByte('\n')
		}
		for name, secret := range secrets {
			if bytes.Contains(raw, []byte(secret)) || strings.Contains(decoded.String(), secret) {
				t.Errorf("the history of %s holds the %s", id, name)
			}
		}
	}
	if len(scanned) < len(ids)+2 {
		t.Fatalf("only %d histories scanned", len(scanned))
	}
}

func lookupEnv(t *testing.T, name string) string {
	t.Helper()
	for i := len(xsoc.Env) - 1; i >= 0; i-- {
		if value, ok := strings.CutPrefix(xsoc.Env[i], name+"="); ok {
			return value
		}
	}
	t.Fatalf("%s is not in the stack's environment", name)
	return ""
}

var rotationCustomers = []byte(`customers:
  - id: rot
    name: Rotation Ltd
    language: en
    services: [detect]
    webhook_secret_env: ROT_WEBHOOK_SECRET
    response: {policy: investigate_first}
    escalation:
      high: [{after: 0s, email: soc@rot.example}]
`)

// TestRotatedKeysStillReadOldIncidents starts an incident under key k1, then restarts
// the worker and the starter with k2 encrypting and k1 kept to decrypt: the incident
// runs on (its history replays from k1 payloads), answers its status, takes decisions,
// and a re-delivery still finds its k1 memo.
func TestRotatedKeysStillReadOldIncidents(t *testing.T) {
	t.Parallel()
	k1, _ := codec.NewKey("k1")
	k2, _ := codec.NewKey("k2")
	stack, err := devstack.Start(context.Background(), devstack.Options{
		Customers: func(map[string]string) ([]byte, error) { return rotationCustomers, nil },
		Env: []string{"ROT_WEBHOOK_SECRET=" + webhookSecret,
			config.EnvCodecKeys + "=" + codec.FormatKeys([]codec.Key{k1}), config.EnvCodecKeyID + "=k1"},
	})
	if stack != nil {
		defer stack.Stop()
		defer func() {
			if t.Failed() {
				stack.DumpLogs(os.Stderr, 40)
			}
		}()
	}
	if err != nil {
		t.Fatal(err)
	}
	alert := genericAlert("rot-1", "high", "pc-rot-1")
	postTo := func(want int) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, stack.StarterURL+"/v1/alerts/generic/rot", bytes.NewReader(alert))
		req.Header.Set("Authorization", "Bearer "+webhookSecret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("posting the alert answered %d, want %d", resp.StatusCode, want)
		}
	}
	postTo(http.StatusAccepted)
	id := api.IncidentWorkflowID("rot", "generic", "rot-1")
	status := func(c client.Client) (api.IncidentStatus, error) {
		var s api.IncidentStatus
		value, err := c.QueryWorkflow(context.Background(), id, "", api.QueryStatus)
		if err == nil {
			err = value.Get(&s)
		}
		return s, err
	}
	// Rotate once the page is out: a worker stopped in the middle of an activity leaves
	// it to its timeout, which is another test's subject.
	eventually(t, 20*time.Second, "the incident paging under k1", func() error {
		s, err := status(stack.Temporal)
		if err != nil || len(s.Paged) == 0 {
			return fmt.Errorf("nobody paged yet: %v", err)
		}
		described, err := e2e.Describe(context.Background(), stack.Temporal, id, "")
		if err == nil && len(described.GetPendingActivities()) > 0 {
			err = fmt.Errorf("%d activities running", len(described.GetPendingActivities()))
		}
		return err
	})

	rotated := []string{config.EnvCodecKeys + "=" + codec.FormatKeys([]codec.Key{k2, k1}), config.EnvCodecKeyID + "=k2"}
	for _, name := range []string{"worker", "starter"} {
		if err := stack.Restart(name, rotated...); err != nil {
			t.Fatal(err)
		}
	}
	ring, err := codec.NewRing([]codec.Key{k2, k1}, "k2")
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.Dial(config.WithCodec(client.Options{HostPort: stack.Dev.FrontendHostPort(), Namespace: "default"}, ring))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	eventually(t, 20*time.Second, "the status after rotation", func() error {
		s, err := status(c)
		if err == nil && !slices.Contains(s.Alert.HostNames(), "pc-rot-1") {
			err = fmt.Errorf("status %+v", s)
		}
		return err
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, decision := range []string{api.DecisionAcknowledge, api.DecisionClose} {
		handle, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: id, UpdateName: decision,
			Args: []any{map[string]any{"by": "hanako", "note": "rotation"}}, WaitForStage: client.WorkflowUpdateStageCompleted})
		if err == nil {
			err = handle.Get(ctx, nil)
		}
		if err != nil {
			t.Fatalf("%s after rotation: %v", decision, err)
		}
	}
	if err := c.GetWorkflow(ctx, id, "").Get(ctx, nil); err != nil {
		t.Fatalf("the incident did not end after rotation: %v", err)
	}
	eventually(t, 20*time.Second, "the restarted starter", func() error {
		resp, err := http.Get(stack.StarterURL + "/readyz")
		if err == nil {
			resp.Body.Close()
		}
		return err
	})
	// A closed incident's re-delivery compares the alert with the k1-encrypted memo.
	postTo(http.StatusOK)

	keyIDs := map[string]int{}
	for _, p := range payloads(t, rawHistory(t, c, id), false) {
		keyIDs[string(p.GetMetadata()[codec.MetadataEncryptionKeyID])]++
	}
	if keyIDs["k1"] == 0 || keyIDs["k2"] == 0 || len(keyIDs) != 2 {
		t.Fatalf("payloads by key id: %v, want k1 before the rotation and k2 after", keyIDs)
	}
}
