package workflows

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/mocks"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
)

func TestReadMonthlyReportQueriesTheAccount(t *testing.T) {
	c := &mocks.Client{}
	value := &mocks.Value{}
	value.On("Get", mock.Anything).Run(func(args mock.Arguments) {
		*args.Get(0).(*Report) = Report{Customer: "acme", Month: "2026-11", Incidents: 3}
	}).Return(nil)
	c.On("QueryWorkflow", mock.Anything, "account/acme", "", "report", "2026-11").Return(value, nil)
	report, err := (&Activities{Temporal: c}).ReadMonthlyReport(context.Background(), "acme", "2026-11")
	if err != nil || report.Incidents != 3 || report.Month != "2026-11" {
		t.Fatalf("ReadMonthlyReport = %+v, %v", report, err)
	}
}

func TestReadMonthlyReportFailures(t *testing.T) {
	cases := []struct {
		name      string
		err       error
		retryable bool
		says      []string
	}{
		{"refused by the account", serviceerror.NewQueryFailed(`month "2026-13": want YYYY-MM`), false,
			[]string{"customer acme", "2026-13", "want YYYY-MM"}},
		{"account not running", serviceerror.NewNotFound("workflow not found"), false, []string{"customer acme is not running"}},
		{"Temporal unreachable", serviceerror.NewUnavailable("connection refused"), true, []string{"connection refused"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := &mocks.Client{}
			c.On("QueryWorkflow", mock.Anything, "account/acme", "", "report", "2026-13").Return(nil, tc.err)
			_, err := (&Activities{Temporal: c}).ReadMonthlyReport(context.Background(), "acme", "2026-13")
			var appErr *temporal.ApplicationError
			if final := errors.As(err, &appErr) && appErr.NonRetryable(); final == tc.retryable {
				t.Fatalf("error %v: final = %v, want %v", err, final, !tc.retryable)
			}
			for _, want := range tc.says {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
		})
	}
}

func TestRecordActiveIDsUpdatesTheAccount(t *testing.T) {
	c := &mocks.Client{}
	handle := &mocks.WorkflowUpdateHandle{}
	handle.On("Get", mock.Anything, nil).Return(nil)
	in := ActiveIDs{Customer: "acme", Month: "2026-11", Counts: map[string]int{"cybereason": 180}}
	c.On("UpdateWorkflow", mock.Anything, mock.MatchedBy(func(o client.UpdateWorkflowOptions) bool {
		return o.WorkflowID == "account/acme" && o.UpdateName == "record_active_ids" &&
			o.UpdateID == "active-ids/2026-11/default-test-run-id" && len(o.Args) == 1 && o.Args[0].(ActiveIDs).Counts["cybereason"] == 180
	})).Return(handle, nil)
	a := &Activities{Temporal: c}
	env := (&testsuite.WorkflowTestSuite{}).NewTestActivityEnvironment()
	env.RegisterActivity(a)
	if _, err := env.ExecuteActivity(a.RecordActiveIDs, in); err != nil {
		t.Fatal(err)
	}
	c.AssertExpectations(t)
}
