package tests

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	cybereasonsim "xsoc/integrations/cybereason/sim"
	"xsoc/internal/e2e"
	"xsoc/workflows/api"
)

// monthlyReport reads a customer's report of a month from the starter, as a billing
// system would.
func monthlyReport(customer, month string) (api.Report, error) {
	var report api.Report
	req, _ := http.NewRequest(http.MethodGet, xsoc.StarterURL+"/v1/reports/"+customer+"?month="+month, nil)
	req.Header.Set("Authorization", "Bearer "+webhookSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return report, err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return report, fmt.Errorf("%d %s", resp.StatusCode, data)
	}
	return report, json.Unmarshal(data, &report)
}

// openRequests lists the customer's requests waiting for an answer and due before a
// moment, as the SOC's list query does (the dev server cannot ORDER BY).
func openRequests(customer string, dueBefore time.Time) ([]string, error) {
	query := fmt.Sprintf(`WorkflowType="Request" AND XsocState="requested" AND ExecutionStatus="Running" AND XsocCustomer=%q AND XsocSLADueAt < %q`,
		customer, dueBefore.UTC().Format(time.RFC3339))
	page, err := xsoc.Temporal.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{Query: query})
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, execution := range page.GetExecutions() {
		ids = append(ids, execution.GetExecution().GetWorkflowId())
	}
	return ids, nil
}

// TestUrgentIsolateRequestForACybereasonHost is the customer's "isolate this PC now":
// posted once (and again by a retrying sender), in the SOC's list of open requests,
// accepted by Update as an analyst does in the Temporal UI, isolated once at
// Cybereason, told to the requester by mail, and counted in the monthly report.
func TestUrgentIsolateRequestForACybereasonHost(t *testing.T) {
	t.Parallel()
	n := time.Now().UnixNano() % 1000000
	host, requester, id := fmt.Sprintf("osk-req-%d", n), fmt.Sprintf("yamada-%d@acme.example", n), fmt.Sprintf("CS-%d", n)
	pylumID, err := xsoc.Cybereason.AddSensor(cybereasonsim.Sensor{Name: host})
	if err != nil {
		t.Fatal(err)
	}
	month := time.Now().UTC().Format("2006-01")
	var before api.Report
	eventually(t, 20*time.Second, "the report before the request", func() error {
		before, err = monthlyReport("acme", month)
		return err
	})

	body := fmt.Sprintf(`{"id": %q, "kind": "isolate", "host": %q, "by": %q, "note": "user reports ransom note", "urgent": true}`, id, host, requester)
	code, answer, _ := post(t, "/v1/requests/acme", []byte(body))
	if code != http.StatusAccepted {
		t.Fatalf("request: %d %s", code, answer)
	}
	ref := decode[api.RequestRef](t, answer)
	if ref.WorkflowID != api.RequestWorkflowID("acme", id) || ref.Duplicate {
		t.Fatalf("answer %+v", ref)
	}
	code, answer, _ = post(t, "/v1/requests/acme", []byte(body))
	if again := decode[api.RequestRef](t, answer); code != http.StatusOK || !again.Duplicate || again.WorkflowID != ref.WorkflowID {
		t.Fatalf("posted again: %d %s", code, answer)
	}
	eventually(t, 20*time.Second, "the request in the SOC's list of open requests", func() error {
		ids, err := openRequests("acme", time.Now().Add(16*time.Minute))
		if err != nil {
			return err
		}
		if !slices.Contains(ids, ref.WorkflowID) {
			return fmt.Errorf("open requests: %v", ids)
		}
		return nil
	})
	waitMail(t, requester, "Request "+id+" received")

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	handle, err := xsoc.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: ref.WorkflowID, UpdateName: api.DecisionAccept, Args: []any{map[string]any{"by": "hanako", "note": "isolating"}},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err != nil {
		t.Fatalf("accept: %v", err)
	}
	var result api.DecisionResult
	if err := handle.Get(ctx, &result); err != nil {
		t.Fatalf("accept: %v", err)
	}
	if result.State != api.StateDone || !strings.Contains(result.Message, "isolate "+host+" done") {
		t.Fatalf("accept answered %+v", result)
	}
	if _, err := decide(t, ref.WorkflowID, api.DecisionAccept, map[string]any{"by": "taro"}); err == nil {
		t.Fatal("a second accept was not refused")
	}

	var status api.RequestStatus
	if err := xsoc.Temporal.GetWorkflow(ctx, ref.WorkflowID, "").Get(ctx, &status); err != nil {
		t.Fatalf("request did not end: %v", err)
	}
	if status.State != api.StateDone || status.Vendor != "cybereason" || status.Accepted.By != "hanako" || status.Host.Host.ID != pylumID {
		t.Fatalf("status %+v", status)
	}
	if !xsoc.Cybereason.IsIsolated(host) {
		t.Fatalf("%s is not isolated", host)
	}
	isolations := 0
	for _, call := range xsoc.Cybereason.Calls() {
		if strings.HasSuffix(call.Path, "/commands/isolate") && strings.Contains(call.Body, pylumID) {
			isolations++
		}
	}
	if isolations != 1 {
		t.Fatalf("Cybereason got %d isolate commands for %s, want 1", isolations, host)
	}
	waitMail(t, requester, "Request "+id+" done")

	eventually(t, 20*time.Second, "the request in the monthly report", func() error {
		after, err := monthlyReport("acme", month)
		if err != nil {
			return err
		}
		if got, want := after.Requests["isolate"]["done"], before.Requests["isolate"]["done"]+1; got != want {
			return fmt.Errorf("isolate requests done: %d, want %d", got, want)
		}
		return nil
	})
}

// TestRequestRefusedAtTheDoorStartsNothing: a request the customers file already
// says cannot be done, or an isolate of a host none of the customer's platforms knows,
// answers why, and no workflow exists for it.
func TestRequestRefusedAtTheDoorStartsNothing(t *testing.T) {
	t.Parallel()
	id := fmt.Sprintf("CS-refused-%d", time.Now().UnixNano()%1000000)
	cases := []struct {
		customer, body string
		code           int
		says           []string
	}{
		{"acme", fmt.Sprintf(`{"id": %q, "kind": "isolate", "host": "osk-pc-1", "by": "y", "vendor": "zscaler"}`, id), http.StatusBadRequest,
			[]string{"zscaler cannot isolate a host"}},
		{"globex", fmt.Sprintf(`{"id": %q, "kind": "isolate", "host": "gx-pc-1", "by": "y"}`, id), http.StatusConflict, []string{"not subscribed to respond"}},
		// Both ACME's EDRs are asked, and each refusal is in the vendor's words.
		{"acme", fmt.Sprintf(`{"id": %q, "kind": "isolate", "host": "osk-nowhere-%s", "by": "y", "urgent": true}`, id, id), http.StatusBadRequest, []string{
			fmt.Sprintf(`host osk-nowhere-%s is not known to the platforms of customer acme (asked cybereason, withsecure)`, id),
			"cybereason", "no sensor for host", "withsecure", "no device named"}},
	}
	for _, tc := range cases {
		code, answer, _ := post(t, "/v1/requests/"+tc.customer, []byte(tc.body))
		if code != tc.code {
			t.Errorf("%s: %d %s, want %d", tc.customer, code, answer, tc.code)
		}
		for _, words := range tc.says {
			if !strings.Contains(string(answer), words) {
				t.Errorf("%s: %s does not say %q", tc.customer, answer, words)
			}
		}
		_, err := e2e.Describe(context.Background(), xsoc.Temporal, api.RequestWorkflowID(tc.customer, id), "")
		var notFound *serviceerror.NotFound
		if !errors.As(err, &notFound) {
			t.Errorf("%s: a refused request started a workflow, or Temporal could not tell: %v", tc.customer, err)
		}
	}
}
