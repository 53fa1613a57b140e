package start

import (
	"context"
	"testing"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/mocks"

	"xsoc/config"
	"xsoc/workflows/api"
)

func TestReportScheduleFiresInTheCustomersZone(t *testing.T) {
	c := &mocks.Client{}
	schedules := &mocks.ScheduleClient{}
	c.On("ScheduleClient").Return(schedules)
	var created client.ScheduleOptions
	schedules.On("Create", mock.Anything, mock.Anything).Run(func(args mock.Arguments) {
		created = args.Get(1).(client.ScheduleOptions)
	}).Return(nil, nil)
	in := api.MonthlyReportInput{Customer: "acme", Plan: "per_id", Timezone: "Asia/Tokyo",
		Notify: api.AccountNotify{CustomerName: "ACME", Language: "ja", Contacts: []config.Contact{{Email: "csirt@acme.example"}}}}
	require.NoError(t, ensureReportSchedule(context.Background(), c, in))
	require.Equal(t, "report/acme", created.ID)
	require.Equal(t, []string{"0 0 1 * *"}, created.Spec.CronExpressions)
	require.Equal(t, "Asia/Tokyo", created.Spec.TimeZoneName, "00:00 on the 1st in Tokyo")
	action := created.Action.(*client.ScheduleWorkflowAction)
	require.Equal(t, in, action.Args[0], "the report knows the zone of its month")
}
