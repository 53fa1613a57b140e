package triage

import (
	"cmp"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"xsoc/integrations/messages"
	"xsoc/workflows/casework"
)

// What Triage carries into its next run is bounded, so that a 20,000-alert storm does
// not carry megabytes into each continue-as-new (the server refuses inputs over 2 MB).
// Each bound below drops only what no later decision needs; the comments say why.
const (
	// recentLimit bounds the alerts kept for campaigns. Per campaign key only the newest
	// alert of each host can matter (campaigns count distinct hosts), and the alerts of
	// an open campaign are in it already.
	recentLimit = 2000
	// admittedCarried bounds the answers carried over: an incident asks again only when
	// its first ask was lost, within the minute it waits for triage.
	admittedCarried = 500
	// hitsCarried bounds the rule hits waiting for Tuning when Tuning cannot be
	// reached: they are statistics (each suppressed incident records its rule itself,
	// and the month's report counts them from the Account); the oldest go first.
	hitsCarried = 5000
	// talliesCarried bounds a storm digest's tallies by detection and by host: a digest
	// lists the first 20; the number of quiet alerts stays exact.
	talliesCarried = 500
)

// bound trims the state to what the next run needs.
func (s *State) bound() {
	s.Recent = boundRecent(s.Recent, s.Campaigns)
	if len(s.Admitted) > 0 {
		newest := s.Admitted[len(s.Admitted)-1].At
		s.Admitted = slices.DeleteFunc(s.Admitted, func(a AdmittedIncident) bool { return newest.Sub(a.At) > 2*casework.TriageTimeout })
		if over := len(s.Admitted) - admittedCarried; over > 0 {
			s.Admitted = s.Admitted[over:]
		}
	}
	if over := len(s.Hits) - hitsCarried; over > 0 {
		s.Hits = s.Hits[over:]
	}
	s.Storm.ByDetection = topTallies(s.Storm.ByDetection, talliesCarried)
	s.Storm.ByHost = topTallies(s.Storm.ByHost, talliesCarried)
}

// boundRecent keeps, of the recent alerts outside open campaigns, the newest alert of
// each host for each of its campaign keys, at most recentLimit of them.
func boundRecent(recent []RecentAlert, open []OpenCampaign) []RecentAlert {
	inCampaign := func(r RecentAlert) bool {
		return slices.ContainsFunc(open, func(c OpenCampaign) bool { return c.Incident == r.Owner })
	}
	ids := func(r RecentAlert) []string {
		var ids []string
		for _, key := range r.Keys {
			for _, h := range r.Hosts {
				ids = append(ids, key+"\x00"+strings.ToLower(h.Label()))
			}
		}
		return ids
	}
	newest := map[string]int{} // key and host → index of its newest alert
	for i, r := range recent {
		if inCampaign(r) {
			continue
		}
		for _, id := range ids(r) {
			if j, ok := newest[id]; !ok || !recent[j].At.After(r.At) {
				newest[id] = i
			}
		}
	}
	var kept []int
	for i, r := range recent {
		if !inCampaign(r) && slices.ContainsFunc(ids(r), func(id string) bool { return newest[id] == i }) {
			kept = append(kept, i)
		}
	}
	if over := len(kept) - recentLimit; over > 0 {
		kept = kept[over:]
	}
	bounded := make([]RecentAlert, 0, len(kept))
	for _, i := range kept {
		bounded = append(bounded, recent[i])
	}
	return bounded
}

func topTallies(tallies []messages.Tally, limit int) []messages.Tally {
	if len(tallies) <= limit {
		return tallies
	}
	sorted := slices.Clone(tallies)
	slices.SortStableFunc(sorted, func(a, b messages.Tally) int { return cmp.Compare(b.Count, a.Count) })
	return sorted[:limit]
}

// Arrival counts the admissions of one instant: in a storm, every admission of a
// workflow task arrives at the same workflow time, so a minute of arrivals is a few
// hundred of these, not tens of thousands of timestamps.
type Arrival struct {
	At    time.Time `json:"at"`
	Count int       `json:"count"`
}

// Arrivals are a minute of admissions, oldest first.
type Arrivals []Arrival

// add counts one admission at the moment.
func (a Arrivals) add(at time.Time) Arrivals {
	if n := len(a); n > 0 && a[n-1].At.Equal(at) {
		a[n-1].Count++
		return a
	}
	return append(a, Arrival{At: at, Count: 1})
}

// count is the number of admissions.
func (a Arrivals) count() int {
	total := 0
	for _, arrival := range a {
		total += arrival.Count
	}
	return total
}

// UnmarshalJSON reads the counts, or the list of timestamps a Triage carried over
// before round 3.
func (a *Arrivals) UnmarshalJSON(data []byte) error {
	var counts []Arrival
	if err := json.Unmarshal(data, &counts); err == nil {
		*a = counts
		return nil
	}
	var times []time.Time
	if err := json.Unmarshal(data, &times); err != nil {
		return err
	}
	*a = nil
	for _, at := range times {
		*a = a.add(at)
	}
	return nil
}
