package incident

import (
	"errors"

	"go.temporal.io/sdk/workflow"

	"xsoc/identity"
	"xsoc/workflows/api"
	"xsoc/workflows/casework"
)

// Who decided (docs/identity-contract.md): each decision's author is the person its
// stamp proves (the codec server, a Slack button, a call), or, without a stamp, the
// "by" a process holding the key ring declared. An Update's validator refuses what the
// stamp does not prove; a Signal is taken or refused when it is applied, and a Signal
// the key ring did not encrypt is dropped with a line in the timeline.

// provenAuthorsChange guards what a decision Signal does with its stamp: incidents
// that took decision Signals before it apply them in their declared "by", as then.
const (
	provenAuthorsChange                  = "incident-proven-authors"
	provenAuthors       workflow.Version = 1
)

// authors is what the incident knows of its decisions' senders.
type authors struct {
	// taken are the stamps the incident took within identity.MaxStampAge, carried
	// across continue-as-new: a copy of a stamped decision is refused.
	taken identity.Replays
	// deciding is the author of the decision being applied: the lines it writes are
	// theirs.
	deciding *identity.Author
}

// validAuthor is an Update's author, or why it is refused; the decision then carries
// the author's name in By.
func (inc *incident) validAuthor(ctx workflow.Context, d api.Decision) (api.Decision, error) {
	author, err := casework.ValidAuthor(d.Stamp, d.By, workflow.Now(ctx), &inc.authors.taken)
	if err != nil {
		return d, err
	}
	d.By = author.Name
	return d, nil
}

// acceptedUpdate is the decision of an Update the validator accepted, by its author.
func (inc *incident) acceptedUpdate(ctx workflow.Context, name string, d api.Decision) *pendingDecision {
	author := casework.AcceptedAuthor(d.Stamp, d.By, workflow.Now(ctx), &inc.authors.taken)
	d.By = author.Name
	return &pendingDecision{name: name, decision: d, author: author, authored: true}
}

// authorSignal finds the author of a decision that came as a Signal, and tells whether
// it may be applied. A refused Signal (not encrypted with a key of the ring) is
// dropped with a line saying so; one whose stamp does not prove its "by" is recorded
// as rejected, with the reason.
func (inc *incident) authorSignal(ctx workflow.Context, p *pendingDecision) bool {
	d := &p.decision
	if workflow.GetVersion(ctx, provenAuthorsChange, workflow.DefaultVersion, provenAuthors) == workflow.DefaultVersion {
		p.author = identity.Author{Name: d.By}
		return true
	}
	now := workflow.Now(ctx)
	author, err := casework.TakeAuthor(d.Stamp, d.By, now, &inc.authors.taken)
	var refused *identity.RefusedError
	switch {
	case errors.As(err, &refused):
		inc.record(ctx, casework.NewEntry(now, "refused", "", casework.Facts("decision", p.name, "reason", refused.Reason),
			"refused signal %s: %s", p.name, refused.Reason))
		p.answer(api.DecisionResult{}, err)
		return false
	case err != nil:
		inc.record(ctx, casework.NewEntry(now, "rejected", d.By, casework.Facts("decision", p.name, "error", err.Error()),
			"%s refused: %v", p.name, err))
		p.answer(api.DecisionResult{}, err)
		return false
	}
	d.By, p.author = author.Name, author
	return true
}

// signed marks the lines the decision being applied writes in its author's name as
// theirs: verified (and how) or declared.
func (inc *incident) signed(e api.Entry) api.Entry {
	if a := inc.authors.deciding; a != nil && e.By == a.Name && e.Verified == nil {
		return casework.Signed(e, *a)
	}
	return e
}

// author is the author of the decision being applied, or a declared by when none is
// (a line xsoc writes on its own).
func (inc *incident) author(by string) identity.Author {
	if a := inc.authors.deciding; a != nil && a.Name == by {
		return *a
	}
	return identity.Author{Name: by}
}
