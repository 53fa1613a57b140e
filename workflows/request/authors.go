package request

import (
	"errors"

	"go.temporal.io/sdk/workflow"

	"xsoc/identity"
	"xsoc/workflows/api"
	"xsoc/workflows/casework"
)

// Who decided (docs/identity-contract.md), as for incidents: the person a decision's
// stamp proves, or the "by" a process holding the key ring declared. An Update's
// validator refuses what the stamp does not prove; a Signal is taken or refused when it
// is applied, and one the key ring did not encrypt is dropped with a timeline line.

// provenAuthorsChange guards what a decision Signal does with its stamp.
const (
	provenAuthorsChange                  = "request-proven-authors"
	provenAuthors       workflow.Version = 1
)

// validAuthor is an Update's decision by its author, or why it is refused.
func (r *request) validAuthor(ctx workflow.Context, d api.RequestDecision) (api.RequestDecision, error) {
	author, err := casework.ValidAuthor(d.Stamp, d.By, workflow.Now(ctx), &r.taken)
	if err != nil {
		return d, err
	}
	d.By = author.Name
	return d, nil
}

// acceptedAuthor is the author of an Update its validator accepted.
func (r *request) acceptedAuthor(ctx workflow.Context, d api.RequestDecision) identity.Author {
	return casework.AcceptedAuthor(d.Stamp, d.By, workflow.Now(ctx), &r.taken)
}

// signalAuthor is the author of a decision that came as a Signal, or false when it is
// not applied: refused (dropped, with a line saying so) or not proven (rejected).
func (r *request) signalAuthor(ctx workflow.Context, name string, d api.RequestDecision) (identity.Author, bool) {
	if workflow.GetVersion(ctx, provenAuthorsChange, workflow.DefaultVersion, provenAuthors) == workflow.DefaultVersion {
		return identity.Author{Name: d.By}, true
	}
	now := workflow.Now(ctx)
	author, err := casework.TakeAuthor(d.Stamp, d.By, now, &r.taken)
	var refused *identity.RefusedError
	switch {
	case errors.As(err, &refused):
		r.record(ctx, casework.NewEntry(now, "refused", "", casework.Facts("decision", name, "reason", refused.Reason),
			"refused signal %s: %s", name, refused.Reason))
		return author, false
	case err != nil:
		r.record(ctx, casework.NewEntry(now, "rejected", d.By, casework.Facts("decision", name, "error", err.Error()), "%s refused: %v", name, err))
		return author, false
	}
	return author, true
}

// signed marks the lines the decision being applied writes in its author's name as
// theirs: verified (and how) or declared.
func (r *request) signed(e api.Entry) api.Entry {
	if a := r.deciding; a != nil && e.By == a.Name && e.Verified == nil {
		return casework.Signed(e, *a)
	}
	return e
}

// author is the author of the decision being applied, or a declared by when none is.
func (r *request) author(by string) identity.Author {
	if a := r.deciding; a != nil && a.Name == by {
		return *a
	}
	return identity.Author{Name: by}
}
