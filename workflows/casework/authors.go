package casework

import (
	"strings"
	"time"

	"xsoc/identity"
	"xsoc/workflows/api"
)

// Who decided, as docs/identity-contract.md asks every workflow that takes people's
// decisions: an Update's validator refuses what the stamp does not prove (ValidAuthor),
// its handler records the author it accepted (AcceptedAuthor), and a Signal, which
// nobody validated, is taken or refused when it is applied (TakeAuthor).

// ValidAuthor answers who sent a decision, for an Update's validator: the stamp's
// person (verified) or the declared "by"; a "by" naming someone else, a stale or
// malformed stamp, no author at all, or a stamp the workflow took before is refused.
// It changes nothing.
func ValidAuthor(s identity.Stamp, by string, now time.Time, taken *identity.Replays) (identity.Author, error) {
	author, err := s.Author(by, now)
	if err != nil {
		return identity.Author{}, err
	}
	if err := taken.Check(s.Principal); err != nil {
		return identity.Author{}, err
	}
	return author, nil
}

// AcceptedAuthor answers who sent an Update its validator accepted, and takes its
// stamp. Validators do not run on replay: an Update a worker accepted before stamps
// were checked is replayed as it was applied, in its declared "by".
func AcceptedAuthor(s identity.Stamp, by string, now time.Time, taken *identity.Replays) identity.Author {
	author, err := s.Author(by, now)
	if err != nil {
		author = identity.Author{Name: strings.TrimSpace(by)}
	}
	_ = taken.Take(s.Principal, now) // a copy was refused by the validator
	return author
}

// TakeAuthor answers who sent a Signal, and takes its stamp: the same refusals as
// ValidAuthor, and an *identity.RefusedError for a Signal the key ring did not
// encrypt.
func TakeAuthor(s identity.Stamp, by string, now time.Time, taken *identity.Replays) (identity.Author, error) {
	author, err := ValidAuthor(s, by, now, taken)
	if err != nil {
		return identity.Author{}, err
	}
	_ = taken.Take(s.Principal, now) // Check passed just above
	return author, nil
}

// Signed marks a timeline line as its author's: their name, and how far it is proven.
func Signed(e api.Entry, author identity.Author) api.Entry {
	verified := author.Verified
	e.By, e.Verified, e.Via = author.Name, &verified, author.Via
	return e
}

// ProvenVia is what a record of the author says in its "via": how a verified author
// was proven, else what the sender said (a channel: slack, phone) or nothing.
func ProvenVia(author identity.Author, declared string) string {
	if author.Verified {
		return author.Via
	}
	return declared
}
