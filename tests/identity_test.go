package tests

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/encoding/protojson"

	"xsoc/identity"
	"xsoc/internal/devstack"
	"xsoc/workflows/api"
)

// Decisions by proven people (issue 25): the worker takes no payload it did not
// encrypt, and the codec server stamps who sends what through it.

// temporalCLI runs the temporal CLI against the stack's dev server and answers its
// output and whether it succeeded.
func temporalCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	temporal, err := devstack.Tool("XSOC_TEMPORAL_BIN", "temporal")
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(temporal, append(args, "--address", xsoc.Dev.FrontendHostPort())...).CombinedOutput()
	return string(out), err
}

// stableIncident posts a high alert of acme (paged by email only) and answers its id
// and status once its first page is out, when nothing but a decision changes it.
func stableIncident(t *testing.T, prefix string) (string, api.IncidentStatus) {
	t.Helper()
	id := postGeneric(t, "acme", fmt.Sprintf("%s-%d", prefix, time.Now().UnixNano()), "high", "pc-"+prefix)
	var status api.IncidentStatus
	eventually(t, 20*time.Second, "the incident paging", func() error {
		if status = incidentStatus(t, id); len(status.Paged) == 0 {
			return fmt.Errorf("nobody paged yet")
		}
		return nil
	})
	return id, status
}

func history(t *testing.T, workflowID string) []*historypb.HistoryEvent {
	t.Helper()
	var events []*historypb.HistoryEvent
	iter := xsoc.Temporal.GetWorkflowHistory(context.Background(), workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for iter.HasNext() {
		event, err := iter.Next()
		if err != nil {
			t.Fatal(err)
		}
		events = append(events, event)
	}
	return events
}

// An Update in clear — the plain CLI, without the codec endpoint — is refused with the
// reason, and the incident is unchanged: neither a release nor an acknowledgement.
func TestPlainUpdatesFromTheCLIAreRefused(t *testing.T) {
	t.Parallel()
	id, before := stableIncident(t, "plain-update")
	for _, decision := range []string{api.DecisionRelease, api.DecisionAcknowledge, api.DecisionClose} {
		out, err := temporalCLI(t, "workflow", "update", "execute", "--workflow-id", id, "--name", decision,
			"--input", `{"by":"mallory","note":"x"}`)
		if err == nil || !strings.Contains(out, "not encrypted with a key of the ring") {
			t.Fatalf("the plain %s answered (error %v):\n%s\nwant a refusal naming why", decision, err, out)
		}
	}
	after := incidentStatus(t, id)
	if after.State != before.State || after.Acknowledged != nil || after.Decisions != before.Decisions || after.Containment.Active() {
		t.Fatalf("the incident changed: state %s → %s, acknowledged %+v, decisions %d → %d",
			before.State, after.State, after.Acknowledged, before.Decisions, after.Decisions)
	}
	if raw, _ := json.Marshal(after); strings.Contains(string(raw), "mallory") {
		t.Fatalf("the status names mallory: %s", raw)
	}
}

// A Signal in clear answers nobody: it never fails a workflow task, and decides
// nothing (here a close, which would end the incident).
func TestPlainSignalsNeverFailAWorkflowTask(t *testing.T) {
	t.Parallel()
	id, _ := stableIncident(t, "plain-signal")
	for _, name := range []string{api.DecisionClose, api.SignalDeliverAlert} {
		if out, err := temporalCLI(t, "workflow", "signal", "--workflow-id", id, "--name", name, "--input", `{"by":"mallory","note":"x"}`); err != nil {
			t.Fatalf("signalling %s: %v\n%s", name, err, out)
		}
	}
	if out, err := temporalCLI(t, "workflow", "signal", "--workflow-id", id, "--name", api.DecisionClose); err != nil {
		t.Fatalf("signalling close without a payload: %v\n%s", err, out)
	}
	eventually(t, 20*time.Second, "the worker taking the three signals", func() error {
		events := history(t, id)
		signalled, completedAfter := 0, false
		for _, e := range events {
			switch e.GetEventType() {
			case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
				signalled++
				completedAfter = false
			case enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
				completedAfter = true
			case enumspb.EVENT_TYPE_WORKFLOW_TASK_FAILED:
				t.Fatalf("a workflow task failed: %v", e.GetWorkflowTaskFailedEventAttributes().GetFailure())
			}
		}
		if signalled < 3 || !completedAfter {
			return fmt.Errorf("%d signals, a task completed after the last: %v", signalled, completedAfter)
		}
		return nil
	})
	status := incidentStatus(t, id)
	if status.State == api.StateSuppressed || status.State == api.StateResolved {
		t.Fatalf("a plain close ended the incident: %s", status.State)
	}
	if raw, _ := json.Marshal(status); strings.Contains(string(raw), "mallory") {
		t.Fatalf("the status names mallory: %s", raw)
	}
	mustDecide(t, id, api.DecisionClose, map[string]any{"by": "hanako", "note": "done"})
}

// What hanako encodes through the codec server with her token carries her stamp
// inside the ciphertext, and the worker's codec hands it to the workflow as
// xsoc_principal: hanako (token). The CLI sends through the same door.
func TestTheCodecServerStampsWhoSends(t *testing.T) {
	t.Parallel()
	plain := &commonpb.Payload{Metadata: map[string][]byte{converter.MetadataEncoding: []byte("json/plain")}, Data: []byte(`{"note":"on it"}`)}
	body, _ := protojson.Marshal(&commonpb.Payloads{Payloads: []*commonpb.Payload{plain}})
	req, _ := http.NewRequest(http.MethodPost, xsoc.StarterURL+"/v1/codec/encode", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+hanakoCodecToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("encode answered %d %s", resp.StatusCode, answer)
	}
	var encoded commonpb.Payloads
	if err := protojson.Unmarshal(answer, &encoded); err != nil || len(encoded.Payloads) != 1 {
		t.Fatalf("encode answered %s: %v", answer, err)
	}
	if strings.Contains(string(encoded.Payloads[0].GetData()), "hanako") {
		t.Fatal("the stamp is readable without the key")
	}
	type stamped struct {
		identity.Stamp
		Note string `json:"note"`
	}
	var got stamped
	if err := xsoc.ClientOptions.DataConverter.FromPayload(encoded.Payloads[0], &got); err != nil {
		t.Fatal(err)
	}
	if got.Principal == nil || got.Principal.Name != "hanako" || got.Principal.Via != identity.ViaToken || got.Note != "on it" {
		t.Fatalf("decoded %+v (principal %+v), want hanako (token)", got, got.Principal)
	}

	// The CLI through the codec server: the comment the incident took is stamped.
	id, _ := stableIncident(t, "stamped")
	out, err := temporalCLI(t, "workflow", "update", "execute", "--workflow-id", id, "--name", api.DecisionComment,
		"--input", `{"by":"hanako","note":"looking"}`, "--codec-endpoint", xsoc.StarterURL+"/v1/codec", "--codec-auth", "Bearer "+hanakoCodecToken)
	if err != nil {
		t.Fatalf("a comment through the codec server: %v\n%s", err, out)
	}
	var taken *stamped
	for _, e := range history(t, id) {
		if a := e.GetWorkflowExecutionUpdateAcceptedEventAttributes(); a != nil && a.GetAcceptedRequest().GetInput().GetName() == api.DecisionComment {
			taken = &stamped{}
			if err := xsoc.ClientOptions.DataConverter.FromPayloads(a.GetAcceptedRequest().GetInput().GetArgs(), taken); err != nil {
				t.Fatal(err)
			}
		}
	}
	if taken == nil || taken.Principal == nil || taken.Principal.Name != "hanako" || taken.Principal.Via != identity.ViaToken {
		t.Fatalf("the comment the incident took: %+v", taken)
	}
	// A token the codec server does not know decodes nothing.
	out, err = temporalCLI(t, "workflow", "describe", "--workflow-id", id, "--codec-endpoint", xsoc.StarterURL+"/v1/codec",
		"--codec-auth", "Bearer not-a-token-of-anyone-0123456")
	if err == nil && strings.Contains(out, "pc-stamped") {
		t.Fatalf("an unknown token read the incident:\n%s", out)
	}
	mustDecide(t, id, api.DecisionClose, map[string]any{"by": "hanako", "note": "done"})
}

// A Slack user no analyst of the customers file is mapped to is refused and told why;
// nothing reaches the incident. hanako, mapped, acknowledges as herself.
func TestUnmappedSlackUsersAreRefused(t *testing.T) {
	t.Parallel()
	id := postGeneric(t, "acme", fmt.Sprintf("unmapped-%d", time.Now().UnixNano()), "critical", "fs-unmapped01")
	channel, ts := slackPage(t, id)
	click := func(user string) string {
		t.Helper()
		resp, err := xsoc.Slack.Click(context.Background(), xsoc.StarterURL+"/v1/callbacks/slack", channel, ts, "acknowledge", user)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var reply struct {
			Text string `json:"text"`
		}
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &reply) != nil {
			t.Fatalf("%s's click answered %d %s", user, resp.StatusCode, body)
		}
		return reply.Text
	}
	if reply := click("mallory"); !strings.Contains(reply, "not one of the analysts") || !strings.Contains(reply, "nothing was done") {
		t.Fatalf("mallory was answered %q", reply)
	}
	if status := incidentStatus(t, id); status.Acknowledged != nil || status.Decisions != 0 {
		t.Fatalf("mallory's click reached the incident: acknowledged %+v, %d decisions", status.Acknowledged, status.Decisions)
	}
	if reply := click("hanako"); !strings.Contains(reply, "acknowledge by hanako") {
		t.Fatalf("hanako was answered %q", reply)
	}
	if status := incidentStatus(t, id); status.Acknowledged == nil || status.Acknowledged.By != "hanako" || status.Acknowledged.Via != "slack" {
		t.Fatalf("after hanako's click: acknowledged %+v", status.Acknowledged)
	}
	mustDecide(t, id, api.DecisionClose, map[string]any{"by": "hanako", "note": "done"})
}
