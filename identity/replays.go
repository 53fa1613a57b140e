package identity

import (
	"fmt"
	"time"
)

// Replays are the stamps a workflow took within the last MaxStampAge, oldest first: a
// stamped payload sent a second time (copied out of the history by someone who can
// write to the Temporal frontend) is refused. Older stamps need not be remembered:
// Stamp.Author refuses them as stale. Keep it in the workflow's state and carry it
// across continue-as-new; it holds a few entries per decision of the last 15 minutes.
type Replays struct {
	Taken []TakenStamp `json:"taken,omitempty"`
}

// TakenStamp is one stamp a workflow took.
type TakenStamp struct {
	ID string    `json:"id"`
	At time.Time `json:"at"`
}

// ReplayError is a stamp the workflow took before.
type ReplayError struct{ Principal Principal }

func (e *ReplayError) Error() string {
	return fmt.Sprintf("the stamp of %s (id %s) was taken before: a copy of an earlier decision; send the decision again", e.Principal, e.Principal.ID)
}

// Check refuses a principal whose stamp was taken before (*ReplayError); nil, or no
// principal, passes. It changes nothing: an Update's validator calls it.
func (r *Replays) Check(p *Principal) error {
	if p == nil {
		return nil
	}
	for _, taken := range r.Taken {
		if taken.ID == p.ID {
			return &ReplayError{Principal: *p}
		}
	}
	return nil
}

// Take records the principal's stamp (refusing it as Check does) and forgets stamps
// older than MaxStampAge before now (workflow.Now).
func (r *Replays) Take(p *Principal, now time.Time) error {
	if err := r.Check(p); err != nil {
		return err
	}
	kept := r.Taken[:0]
	for _, taken := range r.Taken {
		if now.Sub(taken.At) <= MaxStampAge+maxClockSkew {
			kept = append(kept, taken)
		}
	}
	r.Taken = kept
	if p != nil {
		r.Taken = append(r.Taken, TakenStamp{ID: p.ID, At: p.At})
	}
	return nil
}
