// Package identity says who stands behind a decision sent to a workflow, and how far
// that is proven. The codec server and the starter stamp each payload a person sends
// with their Principal, inside the encryption (payload metadata MetadataKey); the
// worker's codec hands the stamp to the workflow as the JSON field PrincipalField of
// the decoded object, and a Signal whose payload the key ring did not encrypt as an
// object holding only RefusedField. A workflow embeds Stamp in each payload type a
// person can send and asks Stamp.Author who decided (docs/identity-contract.md).
//
// Everything here is deterministic (no clock, no randomness, no map iteration): the
// workflows call it.
package identity

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

const (
	// MetadataKey is the payload metadata that carries a JSON Principal inside the
	// encryption: only a holder of the key ring can write it.
	MetadataKey = "xsoc-principal"
	// PrincipalField is the field of a decoded JSON object in which the worker's codec
	// hands the stamp to the workflow, replacing whatever a sender typed there.
	PrincipalField = "xsoc_principal"
	// RefusedField is the only field of the object a refused Signal reaches the
	// workflow as: why its payload was not taken (not encrypted with a key of the ring,
	// altered, no payload at all).
	RefusedField = "xsoc_refused"
	// ReservedPrefix starts every field name the codec writes: the codec server
	// refuses a payload whose top-level object names one itself.
	ReservedPrefix = "xsoc_"

	// SharedName is the principal of XSOC_CODEC_TOKEN, the codec server's shared
	// token: it proves that the sender holds the token, not who they are.
	SharedName = "codec"
)

// How a principal was proven.
const (
	// ViaToken: a per-person bearer token of the codec server (XSOC_CODEC_TOKENS), or
	// the shared one (name SharedName).
	ViaToken = "token"
	// ViaSSO: the identity header of a trusted SSO proxy in front of the codec server.
	ViaSSO = "sso"
	// ViaSlack: a Slack button clicked by a user mapped in the customers file.
	ViaSlack = "slack"
	// ViaCall: a keypress on a call the escalation chain placed to that number.
	ViaCall = "call"
)

// Vias lists every way a principal is proven.
var Vias = []string{ViaToken, ViaSSO, ViaSlack, ViaCall}

// MaxStampAge is how old a stamp may be when a workflow takes it: a payload copied out
// of a history and sent again later (by someone who can write to the Temporal
// frontend) is refused as stale, and a workflow need remember the stamps it took
// for this long only (Replays).
const MaxStampAge = 15 * time.Minute

// maxClockSkew is how far in the future a stamp may be: the codec server's clock and
// the Temporal server's disagree by a little.
const maxClockSkew = time.Minute

// Principal is the proven sender of one payload.
type Principal struct {
	// Name is the person: a name of XSOC_CODEC_TOKENS or of soc.analysts, the SSO
	// proxy's user name, SharedName, or for a call the person the chain dialled.
	Name string `json:"name"`
	// Via is how the name was proven: ViaToken, ViaSSO, ViaSlack or ViaCall.
	Via string `json:"via"`
	// At is when the stamp was written (the stamping process's clock, UTC).
	At time.Time `json:"at"`
	// ID is random per stamp: a workflow takes each stamp once (Replays).
	ID string `json:"id"`
}

// String reads as "hanako (token)".
func (p Principal) String() string { return p.Name + " (" + p.Via + ")" }

// Shared tells whether the principal is the shared codec token's, which proves
// possession of the token rather than a person.
func (p Principal) Shared() bool { return p.Name == SharedName && p.Via == ViaToken }

// Validate tells whether the stamp is well formed: a name, a known via, a time and an
// id.
func (p Principal) Validate() error {
	switch {
	case strings.TrimSpace(p.Name) == "":
		return errors.New("the stamp names nobody")
	case !known(p.Via):
		return fmt.Errorf("the stamp's via %q is not one of %s", p.Via, strings.Join(Vias, ", "))
	case p.At.IsZero():
		return errors.New("the stamp has no time")
	case p.ID == "":
		return errors.New("the stamp has no id")
	}
	return nil
}

func known(via string) bool {
	for _, v := range Vias {
		if v == via {
			return true
		}
	}
	return false
}

// Stamp is what the worker's codec adds to a decoded decision. Embed it in every
// payload type a person can send to a workflow (decisions, rule changes, request
// decisions): its fields sit beside the payload's own.
type Stamp struct {
	// Principal is set when the payload was stamped (codec server, Slack, call).
	Principal *Principal `json:"xsoc_principal,omitempty"`
	// Refused is set, and every other field is empty, when the payload of a Signal was
	// not encrypted with a key of the ring: the reason.
	Refused string `json:"xsoc_refused,omitempty"`
}

// Author is who a decision is recorded against, and how far that is proven: the
// name, verified (a stamp) or declared (the sender's "by", from a process holding
// the key ring: the worker, xsoc's tests and benchmark, a codec server on loopback
// without tokens), and how it was proven.
type Author struct {
	Name     string `json:"by"`
	Verified bool   `json:"verified"`
	Via      string `json:"via,omitempty"`
}

// String reads "hanako (verified, token)" or "taro (declared)".
func (a Author) String() string {
	if a.Verified {
		return a.Name + " (verified, " + a.Via + ")"
	}
	return a.Name + " (declared)"
}

// RefusedError is a Signal whose payload the ring did not encrypt: drop it, and note
// it in the timeline.
type RefusedError struct{ Reason string }

func (e *RefusedError) Error() string {
	return "refused: the payload was not sent through the codec (" + e.Reason + ")"
}

// MismatchError is a decision whose "by" names another person than its stamp.
type MismatchError struct {
	Declared  string
	Principal Principal
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("\"by\" names %q but the decision was sent by %s: leave \"by\" out, or send as %s", e.Declared, e.Principal, e.Declared)
}

// StaleError is a stamp older than MaxStampAge (or from the future) when the workflow
// takes it: a copy of an older payload.
type StaleError struct {
	Principal Principal
	Now       time.Time
}

func (e *StaleError) Error() string {
	return fmt.Sprintf("the stamp of %s was written at %s, %s before the workflow took it (at most %s): send the decision again",
		e.Principal, e.Principal.At.UTC().Format(time.RFC3339), e.Now.Sub(e.Principal.At).Round(time.Second), MaxStampAge)
}

// ErrNoAuthor is a decision with neither a stamp nor a "by".
var ErrNoAuthor = errors.New(`"by" is required: say who decides, or send through the codec server, which says it for you`)

// Author answers who decided, given the decision's declared "by" and the workflow's
// time (workflow.Now):
//   - a refused payload: *RefusedError;
//   - a stamp: its principal, verified; a "by" naming someone else (letter case
//     aside) is a *MismatchError naming both; a stamp older than MaxStampAge or more
//     than a minute ahead is a *StaleError; a malformed one an error;
//   - no stamp: the declared "by", not verified (ErrNoAuthor when it is empty).
func (s Stamp) Author(declared string, now time.Time) (Author, error) {
	declared = strings.TrimSpace(declared)
	switch {
	case s.Refused != "":
		return Author{}, &RefusedError{Reason: s.Refused}
	case s.Principal == nil:
		if declared == "" {
			return Author{}, ErrNoAuthor
		}
		return Author{Name: declared}, nil
	}
	p := *s.Principal
	if err := p.Validate(); err != nil {
		return Author{}, fmt.Errorf("unreadable stamp: %w", err)
	}
	if age := now.Sub(p.At); age > MaxStampAge || age < -maxClockSkew {
		return Author{}, &StaleError{Principal: p, Now: now}
	}
	if declared != "" && !strings.EqualFold(declared, p.Name) {
		return Author{}, &MismatchError{Declared: declared, Principal: p}
	}
	return Author{Name: p.Name, Verified: true, Via: p.Via}, nil
}
