// Package firstfetch drives a stack whose vendors detected before xsoc was deployed:
// the simulators are seeded with MalOps and WithSecure incidents raised minutes,
// hours and days before the stack starts, before its pollers first run. A new poller
// looks back its platform's first_fetch (24 h unless the file says otherwise), hands
// what it finds to triage like any alert, tells the SOC how much it fetched, and
// doubles nothing when it fetches again. It runs its own stack: the seeded backlog and
// the worker restarts must not reach the other end-to-end packages.
package firstfetch

import (
	"bytes"
	"errors"
	"fmt"
	"hash/crc32"
	"testing"
	"text/template"
	"time"

	cybereasonsim "xsoc/integrations/cybereason/sim"
	withsecuresim "xsoc/integrations/withsecure/sim"
	"xsoc/internal/devstack"
	"xsoc/internal/e2e"
	"xsoc/workflows/api"
)

var xsoc *devstack.Stack

const webhookSecret = "first-fetch-secret"

func TestMain(m *testing.M) {
	e2e.Main(m, &xsoc, devstack.Options{Customers: customers, Seed: seed, Env: []string{
		"FF_WEBHOOK_SECRET=" + webhookSecret,
		"FF_CR_USER=" + devstack.CybereasonUser, "FF_CR_PASSWORD=" + devstack.CybereasonPassword,
		"FF_WS_ID=" + devstack.WithSecureClientID, "FF_WS_SECRET=" + devstack.WithSecureSecret,
	}})
}

var customersTemplate = template.Must(template.New("").Parse(`customers:
  - id: acme
    name: ACME First Fetch
    services: [detect]
    webhook_secret_env: FF_WEBHOOK_SECRET
    platforms:
      - {vendor: cybereason, url: "{{.cybereason}}", username_env: FF_CR_USER, password_env: FF_CR_PASSWORD, poll: 1s}
      - {vendor: withsecure, url: "{{.withsecure}}", client_id_env: FF_WS_ID, secret_env: FF_WS_SECRET, poll: 1s, first_fetch: 48h}
    response: {policy: investigate_first}
    escalation:
      high: [{after: 0s, email: it@acme.example}]
    storm: {alerts_per_minute: 20, digest_every: 10s}
soc:
  name: X-SOC
  escalation:
    high: [{after: 0s, email: soc@xsoc.example}]
  notices: [{email: soc-notices@xsoc.example}]
`))

func customers(urls map[string]string) ([]byte, error) {
	var out bytes.Buffer
	err := customersTemplate.Execute(&out, urls)
	return out.Bytes(), err
}

// seeded is what the vendors detected before the stack started, and when it was
// seeded (just before the worker started).
var seeded struct {
	at time.Time
	// Cybereason: a MalOp 20 minutes old (fetched), 30 hours (past the default day of
	// first fetch) and 3 days old (not fetched).
	malopRecent, malopDayAndAHalf, malopOld string
	// backlog: MalOps of a busy morning, two hours old: with the rest, more than
	// acme's storm threshold reach triage at once.
	backlog []string
	// campaign: one detection on three hosts, an hour old: a campaign in triage.
	campaign []string
	// WithSecure, whose first_fetch is 48h: an incident 20 minutes old and one 30
	// hours old (both fetched), one 3 days old (not fetched).
	wsRecent, wsDayAndAHalf, wsOld withsecuresim.Incident
}

// seed raises, at the vendors, what they detected before the stack started: it runs
// before the worker, so before the pollers' first run.
func seed(s *devstack.Stack) error {
	now := time.Now()
	seeded.at = now
	malop := func(name, host string, age time.Duration) (string, error) {
		at := now.Add(-age).UnixMilli()
		return s.Cybereason.AddMalop(cybereasonsim.Malop{Name: name, Severity: "High", CreationTime: at, LastUpdateTime: at,
			Machines: []cybereasonsim.Machine{{Name: host}}})
	}
	incident := func(name, host string, age time.Duration) (withsecuresim.Incident, error) {
		return s.WithSecure.AddIncident(withsecuresim.NewIncident{Name: name, Severity: "high", Created: now.Add(-age),
			Devices: []withsecuresim.DeviceRef{{Name: host, ID: wsDeviceID(host)}}})
	}
	var errs [6]error
	seeded.malopRecent, errs[0] = malop("beacon.exe", "ff-cr-recent", 20*time.Minute)
	seeded.malopDayAndAHalf, errs[1] = malop("dropper.exe", "ff-cr-30h", 30*time.Hour)
	seeded.malopOld, errs[2] = malop("oldworm.exe", "ff-cr-old", 72*time.Hour)
	seeded.wsRecent, errs[3] = incident("Suspicious PowerShell", "ff-ws-recent", 20*time.Minute)
	seeded.wsDayAndAHalf, errs[4] = incident("Credential dumping", "ff-ws-30h", 30*time.Hour)
	seeded.wsOld, errs[5] = incident("Old lateral movement", "ff-ws-old", 72*time.Hour)
	for i := range backlogMalops {
		guid, err := malop(fmt.Sprintf("Heuristic %d", i), fmt.Sprintf("ff-storm-%02d", i), 2*time.Hour)
		seeded.backlog = append(seeded.backlog, guid)
		errs[0] = errors.Join(errs[0], err)
	}
	for i := range 3 {
		guid, err := malop("cobalt.exe", fmt.Sprintf("ff-camp-%d", i), time.Hour)
		seeded.campaign = append(seeded.campaign, guid)
		errs[0] = errors.Join(errs[0], err)
	}
	return errors.Join(errs[:]...)
}

// backlogMalops is the size of the seeded backlog.
const backlogMalops = 40

// wsDeviceID is the WithSecure device id of a seeded host.
func wsDeviceID(host string) string {
	return fmt.Sprintf("6f1e4a2c-0000-4000-a000-%012x", crc32.ChecksumIEEE([]byte(host)))
}

func eventually(t *testing.T, within time.Duration, what string, check func() error) {
	t.Helper()
	e2e.Eventually(t, within, what, check)
}

// pollerStatus answers a poller's `status` query.
func pollerStatus(id string) (api.PollerStatus, error) {
	return e2e.Query[api.PollerStatus](xsoc.Temporal, id, api.QueryStatus)
}

// waitPoller waits until a poller's status is what ready wants, and answers it.
func waitPoller(t *testing.T, id, what string, ready func(api.PollerStatus) error) api.PollerStatus {
	t.Helper()
	var status api.PollerStatus
	eventually(t, time.Minute, id+": "+what, func() error {
		var err error
		if status, err = pollerStatus(id); err != nil {
			return err
		}
		return ready(status)
	})
	return status
}

// waitPolled waits until a poller has polled since a moment.
func waitPolled(t *testing.T, id string, since time.Time) api.PollerStatus {
	t.Helper()
	return waitPoller(t, id, "polling", func(status api.PollerStatus) error {
		if status.State != api.PollerPolling || !status.LastPoll.After(since) {
			return fmt.Errorf("state %s, last poll %s", status.State, status.LastPoll)
		}
		return nil
	})
}

// waitFirstFetch waits until a poller has caught up with its platform after a first
// fetch that began after a moment, and answers its status.
func waitFirstFetch(t *testing.T, id string, after time.Time) api.PollerStatus {
	t.Helper()
	return waitPoller(t, id, "first fetch", func(status api.PollerStatus) error {
		if first := status.FirstFetch; first == nil || first.Began.Before(after) || first.Done.IsZero() {
			return fmt.Errorf("first fetch under way: %+v", first)
		}
		return nil
	})
}
