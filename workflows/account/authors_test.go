package account

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"xsoc/identity"
	"xsoc/workflows/api"
	"xsoc/workflows/internal/testworld"
)

// A consumption is recorded against the person its stamp proves: the stamp an
// incident's use_tickets forwards, or a consume sent through the codec server. A "by"
// naming someone else is refused; so is a copy of a stamped consume sent as another
// Update. A retry of an applied request is answered as the first time, however old
// its stamp has grown.
func TestAccountRecordsWhoConsumedVerifiedOrDeclared(t *testing.T) {
	start := testworld.Day(2026, 6, 1)
	l := newLedger(t, start)
	at := func(d time.Duration) time.Time { return start.Add(d) }
	stamp := func(name string, d time.Duration) identity.Stamp {
		return identity.Stamp{Principal: &identity.Principal{Name: name, Via: identity.ViaToken, At: at(d), ID: name + d.String()}}
	}
	forwarded := forensics(2, "inc-1#run/tickets/1")
	forwarded.Stamp = stamp("hanako", time.Minute)
	first := l.consume(at(time.Minute), "update-1", forwarded)
	retried := l.consume(at(time.Hour), "update-2", forwarded)
	direct := api.ConsumeRequest{Stamp: stamp("sato", 2*time.Hour), Customer: "acme", Incident: "incident/acme/generic/a", Service: "forensics", Tickets: 1}
	fromUI := l.consume(at(2*time.Hour), "ui-1", direct)
	copied := l.consume(at(2*time.Hour+time.Minute), "ui-2", direct)
	mismatch := direct
	mismatch.Stamp, mismatch.By = stamp("sato", 3*time.Hour), "tanaka"
	mismatched := l.consume(at(3*time.Hour), "ui-3", mismatch)
	declared := l.consume(at(4*time.Hour), "update-4", forensics(1, "inc-2#run/tickets/1"))
	report := l.reportAt(at(5*time.Hour), "2026-06")

	l.runUntil(accountInput(lot(10, testworld.Day(2026, 5, 1))), at(6*time.Hour))

	for what, u := range map[string]*accountUpdate{"forwarded": first, "retried": retried, "from the UI": fromUI, "declared": declared} {
		u.accepted(t, what)
	}
	require.ErrorAs(t, copied.rejected, new(*identity.ReplayError))
	require.ErrorAs(t, mismatched.rejected, new(*identity.MismatchError))
	var who []string
	for _, c := range report.Consumptions {
		verified := "declared"
		if c.Verified {
			verified = "verified " + c.Via
		}
		who = append(who, c.By+" "+verified)
	}
	require.Equal(t, []string{"hanako verified token", "sato verified token", forensics(1, "").By + " declared"}, who)
	require.Equal(t, 4, report.TicketsUsed)
}
