package codec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"xsoc/identity"
)

type decision struct {
	identity.Stamp
	By   string `json:"by"`
	Note string `json:"note,omitempty"`
}

func jsonPayload(t *testing.T, data string) *commonpb.Payload {
	t.Helper()
	return &commonpb.Payload{Metadata: map[string][]byte{converter.MetadataEncoding: []byte("json/plain")}, Data: []byte(data)}
}

// What the codec server does with a person's payload, then what the worker decodes.
func stampAndEncode(t *testing.T, ring *Ring, p *commonpb.Payload, principal identity.Principal) *commonpb.Payload {
	t.Helper()
	if err := CheckReserved(p); err != nil {
		t.Fatal(err)
	}
	if err := StampPayload(p, principal); err != nil {
		t.Fatal(err)
	}
	encoded, err := converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), ring.Codecs()...).ToPayload(converter.NewRawValue(p))
	if err != nil {
		t.Fatal(err)
	}
	return encoded
}

func TestTheStampReachesTheWorkflowInsideTheCiphertext(t *testing.T) {
	ring := mustRing(t, "k1", mustKey(t, "k1"))
	hanako := NewPrincipal("hanako", identity.ViaToken)
	encoded := stampAndEncode(t, ring, jsonPayload(t, `{"by":"","note":"on it"}`), hanako)
	if bytes.Contains(encoded.GetData(), []byte("hanako")) {
		t.Fatal("the stamp is readable without the key")
	}
	if _, inClear := encoded.GetMetadata()[identity.MetadataKey]; inClear {
		t.Fatal("the stamp is in the encrypted payload's own metadata")
	}
	var d decision
	if err := ring.DataConverter().FromPayload(encoded, &d); err != nil {
		t.Fatal(err)
	}
	if d.Principal == nil || *d.Principal != hanako || d.Note != "on it" {
		t.Fatalf("decoded %+v, want hanako's stamp beside the note", d)
	}
}

// A field a sender typed under the stamp's name never survives: the codec server
// refuses it, and should one reach the worker beside a stamp (a process holding the
// ring wrote it), the stamp replaces it.
func TestATypedPrincipalIsNeverTaken(t *testing.T) {
	forged := `{"name":"sato","via":"sso","at":"2026-12-01T00:00:00Z","id":"x"}`
	for _, name := range []string{"xsoc_principal", "XSOC_PRINCIPAL", "Xsoc_Principal", "xſoc_principal", "xsoc_refused", "xsoc_anything"} {
		p := jsonPayload(t, fmt.Sprintf(`{"by":"hanako",%q:%s}`, name, forged))
		if err := CheckReserved(p); err == nil || !strings.Contains(err.Error(), "reserved") {
			t.Errorf("CheckReserved let %q through: %v", name, err)
		}
	}
	for _, fine := range []string{`{"by":"hanako","xsoc":"x","note":"xsoc_principal"}`, `"just a string"`, `[{"xsoc_principal":1}]`} {
		if err := CheckReserved(jsonPayload(t, fine)); err != nil {
			t.Errorf("CheckReserved refused %s: %v", fine, err)
		}
	}
	if err := CheckReserved(jsonPayload(t, `{"by":"hanako",`)); err == nil || !strings.Contains(err.Error(), "not valid JSON") {
		t.Errorf("CheckReserved took broken JSON: %v", err)
	}
	typedMetadata := jsonPayload(t, `{"by":"sato"}`)
	typedMetadata.Metadata[identity.MetadataKey] = []byte(forged)
	if err := CheckReserved(typedMetadata); err == nil || !strings.Contains(err.Error(), identity.MetadataKey) {
		t.Errorf("CheckReserved took a stamp in the metadata: %v", err)
	}

	ring := mustRing(t, "k1", mustKey(t, "k1"))
	hanako := NewPrincipal("hanako", identity.ViaSSO)
	p := jsonPayload(t, `{"by":"hanako","XSOC_PRINCIPAL":`+forged+`,"xsoc_principal":`+forged+`}`)
	if err := StampPayload(p, hanako); err != nil {
		t.Fatal(err)
	}
	encoded, err := ring.DataConverter().ToPayload(converter.NewRawValue(p))
	if err != nil {
		t.Fatal(err)
	}
	var d decision
	if err := ring.DataConverter().FromPayload(encoded, &d); err != nil {
		t.Fatal(err)
	}
	if d.Principal == nil || d.Principal.Name != "hanako" || d.Principal.Via != identity.ViaSSO {
		t.Fatalf("decoded principal %+v, want hanako (sso)", d.Principal)
	}
}

// What a process holding the ring writes without a stamp passes as it is: the
// starter's and the worker's own payloads, and a principal a workflow forwards.
func TestUnstampedPayloadsPassAsTheyAre(t *testing.T) {
	dc := mustRing(t, "k1", mustKey(t, "k1")).DataConverter()
	forwarded := decision{By: "hanako", Stamp: identity.Stamp{Principal: &identity.Principal{Name: "hanako", Via: identity.ViaSlack, ID: "s"}}}
	encoded, err := dc.ToPayload(forwarded)
	if err != nil {
		t.Fatal(err)
	}
	var back decision
	if err := dc.FromPayload(encoded, &back); err != nil || back.Principal == nil || *back.Principal != *forwarded.Principal {
		t.Fatalf("forwarded principal decoded as %+v, %v", back, err)
	}
	var plain decision
	encoded, _ = dc.ToPayload(decision{By: "taro"})
	if err := dc.FromPayload(encoded, &plain); err != nil || plain.Principal != nil || plain.By != "taro" {
		t.Fatalf("unstamped decision decoded as %+v, %v", plain, err)
	}
}

// The starter sends a Slack button's decision stamped as the codec server would.
func TestStamped(t *testing.T) {
	ring := mustRing(t, "k1", mustKey(t, "k1"))
	sato := NewPrincipal("sato", identity.ViaSlack)
	raw, err := Stamped(decision{By: "sato", Note: "clicked"}, sato)
	if err != nil {
		t.Fatal(err)
	}
	dc := ring.DataConverter()
	encoded, err := dc.ToPayloads(raw)
	if err != nil {
		t.Fatal(err)
	}
	var d decision
	if err := dc.FromPayloads(encoded, &d); err != nil || d.Principal == nil || *d.Principal != sato || d.Note != "clicked" {
		t.Fatalf("decoded %+v, %v", d, err)
	}
	if _, err := Stamped(map[string]string{"xsoc_principal": "me"}, sato); err == nil {
		t.Fatal("Stamped took a value naming a reserved field")
	}
	if _, err := Stamped(decision{}, identity.Principal{Name: "sato"}); err == nil {
		t.Fatal("Stamped took a malformed principal")
	}
}

func TestNewPrincipalsAreUnique(t *testing.T) {
	a, b := NewPrincipal("hanako", identity.ViaToken), NewPrincipal("hanako", identity.ViaToken)
	if a.ID == b.ID || a.At.IsZero() || a.Validate() != nil {
		t.Fatalf("principals %+v and %+v", a, b)
	}
	data, _ := json.Marshal(a)
	if !strings.Contains(string(data), `"via":"token"`) {
		t.Fatalf("principal JSON %s", data)
	}
}

// A refusal is answered in clear, so that a sender without the key reads why; every
// other failure stays encrypted.
func TestRefusalsAreAnsweredInClear(t *testing.T) {
	ring := mustRing(t, "k1", mustKey(t, "k1"))
	fc := FailureConverter(ring.DataConverter())
	_, decodeErr := ring.Decode([]*commonpb.Payload{jsonPayload(t, `{"by":"mallory"}`)})
	err := fmt.Errorf("unable to decode the input for update %q: %w", "acknowledge", decodeErr)
	failure := fc.ErrorToFailure(err)
	if !strings.Contains(failure.GetMessage(), "not encrypted with a key of the ring") || failure.GetEncodedAttributes() != nil {
		t.Fatalf("the refusal is stored as %q (encoded: %v)", failure.GetMessage(), failure.GetEncodedAttributes() != nil)
	}
	back := fc.FailureToError(failure)
	if !strings.Contains(back.Error(), "not encrypted with a key of the ring") {
		t.Fatalf("read back as %v", back)
	}
	secret := fc.ErrorToFailure(temporal.NewApplicationError("isolating osk-pc-17", "VendorError"))
	if strings.Contains(secret.GetMessage(), "osk-pc-17") {
		t.Fatal("another failure is in clear")
	}
	var refusal *RefusalError
	if !errors.As(decodeErr, &refusal) {
		t.Fatalf("decode error %T", decodeErr)
	}
}
