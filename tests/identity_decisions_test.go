package tests

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"xsoc/identity"
	"xsoc/workflows/api"
)

// Decisions by proven people, on the workflows' side (issue 25): what the codec server
// stamps is who decided; a "by" naming someone else is refused; a Signal in clear is
// noted and decides nothing. (A rule suppressing only once a second proven person
// approved it is in tests/soc, whose stack has a SOC and so a triage.)

// throughCodec runs the temporal CLI through the starter's codec server with a token,
// as an analyst's CLI is set up.
func throughCodec(t *testing.T, token string, args ...string) (string, error) {
	t.Helper()
	return temporalCLI(t, append(args, "--codec-endpoint", xsoc.StarterURL+"/v1/codec", "--codec-auth", "Bearer "+token)...)
}

// Through the codec server with hanako's token, a decision whose "by" names sato is
// refused naming both, and the incident is unchanged; the same decision without "by"
// is recorded as hanako's, verified, in status and in the timeline.
func TestDecisionsThroughTheCodecServerAreTheirSendersVerified(t *testing.T) {
	t.Parallel()
	id, before := stableIncident(t, "proven")
	out, err := throughCodec(t, hanakoCodecToken, "workflow", "update", "execute", "--workflow-id", id, "--name", api.DecisionAcknowledge,
		"--input", `{"by":"sato"}`)
	if err == nil || !strings.Contains(out, `sato`) || !strings.Contains(out, "but the decision was sent by hanako (token)") {
		t.Fatalf("hanako acknowledging as sato answered (error %v):\n%s", err, out)
	}
	if after := incidentStatus(t, id); after.Acknowledged != nil || after.Decisions != before.Decisions {
		t.Fatalf("the refused acknowledgement changed the incident: acknowledged %+v, decisions %d → %d", after.Acknowledged, before.Decisions, after.Decisions)
	}
	if out, err := throughCodec(t, hanakoCodecToken, "workflow", "update", "execute", "--workflow-id", id, "--name", api.DecisionAcknowledge,
		"--input", `{"note":"on it"}`); err != nil {
		t.Fatalf("hanako acknowledging without by: %v\n%s", err, out)
	}
	status := incidentStatus(t, id)
	if a := status.Acknowledged; a == nil || a.By != "hanako" || !a.Verified || a.Via != identity.ViaToken {
		t.Fatalf("acknowledged %+v, want hanako, verified by token", status.Acknowledged)
	}
	var line *api.Entry
	for i, e := range status.Timeline {
		if e.Kind == "acknowledged" {
			line = &status.Timeline[i]
		}
	}
	if line == nil || line.By != "hanako" || line.Verified == nil || !*line.Verified || line.Via != identity.ViaToken {
		t.Fatalf("the timeline's acknowledgement: %+v", line)
	}
	mustDecide(t, id, api.DecisionClose, map[string]any{"by": "hanako", "note": "done"})
	for _, e := range waitClosed(t, id).Timeline {
		if e.Kind == "closed" && (e.By != "hanako" || e.Verified == nil || *e.Verified) {
			t.Fatalf("a close declared by a process holding the ring (no stamp) reads %+v", e)
		}
	}
}

// A release and a close sent as Signals with the plain CLI are refused: each is noted
// in the timeline with the reason, nothing else changes, and no workflow task fails.
func TestPlainDecisionSignalsAreNotedAndDecideNothing(t *testing.T) {
	t.Parallel()
	id, before := stableIncident(t, "plain-release")
	for _, name := range []string{api.DecisionRelease, api.DecisionClose} {
		if out, err := temporalCLI(t, "workflow", "signal", "--workflow-id", id, "--name", name, "--input", `{"by":"mallory","note":"x"}`); err != nil {
			t.Fatalf("signalling %s: %v\n%s", name, err, out)
		}
	}
	var refused []api.Entry
	eventually(t, 20*time.Second, "both signals noted as refused", func() error {
		refused = refused[:0]
		for _, e := range incidentStatus(t, id).Timeline {
			if e.Kind == "refused" {
				refused = append(refused, e)
			}
		}
		if len(refused) < 2 {
			return fmt.Errorf("%d refused lines", len(refused))
		}
		return nil
	})
	for i, name := range []string{api.DecisionRelease, api.DecisionClose} {
		if !strings.HasPrefix(refused[i].Text, "refused signal "+name+": ") || !strings.Contains(refused[i].Text, "not encrypted with a key of the ring") {
			t.Errorf("refused line %d: %q", i, refused[i].Text)
		}
	}
	after := incidentStatus(t, id)
	if after.State != before.State || after.Decisions != before.Decisions || after.Containment.Active() != before.Containment.Active() {
		t.Fatalf("the incident changed: state %s → %s, decisions %d → %d", before.State, after.State, before.Decisions, after.Decisions)
	}
	if raw, _ := json.Marshal(after); strings.Contains(string(raw), "mallory") {
		t.Fatalf("the status names mallory: %s", raw)
	}
	for _, e := range history(t, id) {
		if f := e.GetWorkflowTaskFailedEventAttributes(); f != nil {
			t.Fatalf("a workflow task failed: %v", f.GetFailure())
		}
	}
	mustDecide(t, id, api.DecisionClose, map[string]any{"by": "hanako", "note": "done"})
}
