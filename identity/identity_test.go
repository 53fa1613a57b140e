package identity

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

var now = time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)

func hanako(at time.Time) *Principal {
	return &Principal{Name: "hanako", Via: ViaToken, At: at, ID: "s-1"}
}

func TestAuthor(t *testing.T) {
	tests := []struct {
		name     string
		stamp    Stamp
		declared string
		want     Author
		wantErr  any // pointer to the error type expected, or error value
		mentions []string
	}{
		{name: "stamp fills an empty by", stamp: Stamp{Principal: hanako(now)},
			want: Author{Name: "hanako", Verified: true, Via: ViaToken}},
		{name: "stamp and the same by, letter case aside", stamp: Stamp{Principal: hanako(now.Add(-time.Minute))}, declared: " Hanako ",
			want: Author{Name: "hanako", Verified: true, Via: ViaToken}},
		{name: "by naming someone else is refused naming both", stamp: Stamp{Principal: hanako(now)}, declared: "sato",
			wantErr: new(*MismatchError), mentions: []string{`"sato"`, "hanako (token)"}},
		{name: "the shared token's principal cannot speak for a person", stamp: Stamp{Principal: &Principal{Name: SharedName, Via: ViaToken, At: now, ID: "x"}}, declared: "hanako",
			wantErr: new(*MismatchError), mentions: []string{"codec (token)"}},
		{name: "no stamp: the declared by, not verified", declared: "taro",
			want: Author{Name: "taro"}},
		{name: "no stamp and no by", declared: "  ", wantErr: ErrNoAuthor},
		{name: "refused", stamp: Stamp{Refused: "not encrypted"}, declared: "mallory",
			wantErr: new(*RefusedError), mentions: []string{"not encrypted"}},
		{name: "stale stamp", stamp: Stamp{Principal: hanako(now.Add(-MaxStampAge - time.Second))},
			wantErr: new(*StaleError), mentions: []string{"hanako (token)", "15m"}},
		{name: "stamp from the future", stamp: Stamp{Principal: hanako(now.Add(2 * time.Minute))},
			wantErr: new(*StaleError)},
		{name: "a little clock skew passes", stamp: Stamp{Principal: hanako(now.Add(30 * time.Second))},
			want: Author{Name: "hanako", Verified: true, Via: ViaToken}},
		{name: "malformed stamp", stamp: Stamp{Principal: &Principal{Name: "hanako", Via: "carrier-pigeon", At: now, ID: "x"}},
			mentions: []string{"unreadable stamp", "carrier-pigeon"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.stamp.Author(tt.declared, now)
			if tt.wantErr == nil && tt.mentions == nil {
				if err != nil || got != tt.want {
					t.Fatalf("Author = %+v, %v; want %+v", got, err, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("Author = %+v, want an error", got)
			}
			switch want := tt.wantErr.(type) {
			case error:
				if !errors.Is(err, want) {
					t.Fatalf("error %v, want %v", err, want)
				}
			case nil:
			default:
				if !errors.As(err, want) {
					t.Fatalf("error %T %v, want %T", err, err, want)
				}
			}
			for _, m := range tt.mentions {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not mention %q", err, m)
				}
			}
		})
	}
}

// The JSON the worker's codec writes decodes into a type that embeds Stamp, beside
// the payload's own fields.
func TestStampDecodesFromTheCodecsFields(t *testing.T) {
	type decision struct {
		Stamp
		By   string `json:"by"`
		Note string `json:"note"`
	}
	var d decision
	data := `{"by":"hanako","note":"on it","xsoc_principal":{"name":"hanako","via":"sso","at":"2026-12-01T02:59:00Z","id":"abc"}}`
	if err := json.Unmarshal([]byte(data), &d); err != nil {
		t.Fatal(err)
	}
	if d.Principal == nil || d.Principal.Name != "hanako" || d.Principal.Via != ViaSSO || d.Note != "on it" {
		t.Fatalf("decoded %+v", d)
	}
	author, err := d.Author(d.By, now)
	if err != nil || author.String() != "hanako (verified, sso)" {
		t.Fatalf("author %v, %v", author, err)
	}
	var refused decision
	if err := json.Unmarshal([]byte(`{"xsoc_refused":"not encrypted with a key of the ring"}`), &refused); err != nil {
		t.Fatal(err)
	}
	if _, err := refused.Author(refused.By, now); !errors.As(err, new(*RefusedError)) {
		t.Fatalf("refused decision: %v", err)
	}
	out, _ := json.Marshal(decision{By: "taro"})
	if strings.Contains(string(out), "xsoc_") {
		t.Fatalf("an unstamped decision encodes the stamp's fields: %s", out)
	}
}

func TestReplays(t *testing.T) {
	var r Replays
	first := hanako(now)
	if err := r.Take(first, now); err != nil {
		t.Fatal(err)
	}
	if err := r.Check(first); !errors.As(err, new(*ReplayError)) {
		t.Fatalf("the same stamp again: %v", err)
	}
	if err := r.Take(first, now.Add(time.Minute)); err == nil {
		t.Fatal("took the same stamp twice")
	}
	if err := r.Take(nil, now); err != nil || r.Check(nil) != nil {
		t.Fatal("no principal must pass")
	}
	second := &Principal{Name: "sato", Via: ViaSlack, At: now.Add(10 * time.Minute), ID: "s-2"}
	if err := r.Take(second, now.Add(10*time.Minute)); err != nil {
		t.Fatal(err)
	}
	// Once the first is too old to be taken anyway, it is forgotten.
	if err := r.Take(nil, now.Add(MaxStampAge+2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if len(r.Taken) != 1 || r.Taken[0].ID != "s-2" {
		t.Fatalf("remembered %+v, want only s-2", r.Taken)
	}
}
