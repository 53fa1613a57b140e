package account

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"xsoc/workflows/api"
	"xsoc/workflows/internal/testworld"
)

func TestAccountConvertsUnusedTicketsUntil90DaysAfterExpiry(t *testing.T) {
	start := testworld.Day(2026, 11, 1)
	l := newLedger(t, start)
	convert := func(when time.Time, id string, c api.ConvertTickets) *accountUpdate {
		return l.update(when, api.UpdateConvertTickets, id, c)
	}
	used := l.consume(testworld.Day(2026, 11, 2), "c1", forensics(1, "r1"))
	valid := convert(testworld.Day(2026, 11, 3), "v1", api.ConvertTickets{Lot: "2025-12-01", Count: 2, To: "training", By: "sato", Note: "phishing course"})
	again := convert(testworld.Day(2026, 11, 3).Add(time.Minute), "v1", api.ConvertTickets{Lot: "2025-12-01", Count: 2, To: "training", By: "sato"})
	tooMany := convert(testworld.Day(2026, 11, 4), "v2", api.ConvertTickets{Lot: "2025-12-01", Count: 3, To: "training", By: "sato"})
	noLot := convert(testworld.Day(2026, 11, 4), "v3", api.ConvertTickets{Lot: "2024-01-01", Count: 1, To: "training", By: "sato"})
	balance := l.balanceAt(testworld.Day(2026, 11, 5))
	november := l.reportAt(testworld.Day(2026, 11, 5), "2026-11")
	// The lot expires on 1 December with 2 unused; they may be converted until 1 March.
	afterExpiry := convert(testworld.Day(2027, 2, 27), "v4", api.ConvertTickets{Lot: "2025-12-01", Count: 2, To: "incident response drill", By: "sato"})
	tooLate := convert(testworld.Day(2027, 3, 2), "v5", api.ConvertTickets{Lot: "2025-12-01", Count: 1, To: "training", By: "sato"})
	late := l.balanceAt(testworld.Day(2027, 3, 3))
	l.runUntil(accountInput(lot(5, testworld.Day(2025, 12, 1)), lot(10, testworld.Day(2026, 3, 1))), testworld.Day(2027, 3, 4))

	used.accepted(t, "consume")
	valid.accepted(t, "convert")
	again.accepted(t, "the same Update again")
	require.ErrorContains(t, tooMany.rejected, "lot 2025-12-01 has 2 ticket(s) to convert, asked 3")
	require.ErrorContains(t, noLot.rejected, `customer acme has no lot "2024-01-01"`)
	require.Equal(t, 2, balance.Lots[0].Converted)
	require.Equal(t, 2, balance.Lots[0].Remaining, "5 bought, 1 used, 2 converted")
	require.Equal(t, 2, november.TicketsConverted, "converted once though asked twice")
	require.Len(t, november.Conversions, 1)
	require.Equal(t, "training", november.Conversions[0].To)
	require.Equal(t, "sato", november.Conversions[0].By)

	afterExpiry.accepted(t, "convert expired tickets within 90 days")
	require.Equal(t, 0, late.Lots[0].Expired, "the expired tickets converted are no longer counted as lost")
	require.Equal(t, 4, late.Lots[0].Converted)
	require.ErrorContains(t, tooLate.rejected, "lot 2025-12-01 expired on 2026-12-01")
	require.ErrorContains(t, tooLate.rejected, "could be converted until")
}
