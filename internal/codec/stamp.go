package codec

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"

	"xsoc/identity"
)

// How a person's stamp travels (docs/identity-contract.md): the codec server (or the
// starter, for a Slack button or a keypress) writes the Principal as JSON into the
// metadata identity.MetadataKey of the payload in clear, before the ring's codecs
// compress and encrypt it, so that the stamp is inside the ciphertext: nobody without
// the key can write one, and none can be moved to another payload. The worker's
// chain, once it has decrypted and decompressed a payload, hands the stamp to the
// workflow as the field identity.PrincipalField of the JSON object (principalCodec).

const metadataEncodingJSON = "json/plain"

// NewPrincipal stamps name, proven via, now, with a fresh random id.
func NewPrincipal(name, via string) identity.Principal {
	id := make([]byte, 12)
	_, _ = rand.Read(id) // never fails (crypto/rand)
	return identity.Principal{Name: name, Via: via, At: time.Now().UTC().Truncate(time.Millisecond), ID: base64.RawURLEncoding.EncodeToString(id)}
}

// CheckReserved refuses a payload a person sends that would speak for the codec: a
// JSON object naming a top-level field of the codec's own (identity.ReservedPrefix,
// letter case aside, as Go's JSON decoding matches names) or metadata holding a stamp.
// A JSON payload that is not valid JSON is refused too: the workflow could not read
// it, and a lenient reader might see fields a strict one does not.
func CheckReserved(p *commonpb.Payload) error {
	if _, stamped := p.GetMetadata()[identity.MetadataKey]; stamped {
		return fmt.Errorf("metadata %q is written by the codec server, which says who you are: leave it out", identity.MetadataKey)
	}
	if string(p.GetMetadata()[converter.MetadataEncoding]) != metadataEncodingJSON {
		return nil
	}
	if !json.Valid(p.GetData()) {
		return fmt.Errorf("the payload is %s but not valid JSON", metadataEncodingJSON)
	}
	fields, ok := object(p.GetData())
	if !ok {
		return nil
	}
	for name := range fields {
		if reserved(name) {
			return fmt.Errorf("field %q is reserved: the codec server writes who sent the payload (%s) itself", name, identity.PrincipalField)
		}
	}
	return nil
}

// reserved tells whether Go's JSON decoding could take name for a field of the codec's
// own: its first runes fold to identity.ReservedPrefix ("XSOC_", "xſoc_" alike).
func reserved(name string) bool {
	for _, want := range identity.ReservedPrefix {
		got, size := utf8.DecodeRuneInString(name)
		if size == 0 || !strings.EqualFold(string(got), string(want)) {
			return false
		}
		name = name[size:]
	}
	return true
}

// object answers the top-level fields of a JSON object, or false when data is not one.
func object(data []byte) (map[string]json.RawMessage, bool) {
	if trimmed := bytes.TrimSpace(data); len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, false
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil || fields == nil {
		return nil, false
	}
	return fields, true
}

// StampPayload writes principal into p's metadata; p then goes through the ring's
// codecs, which encrypt the stamp with it.
func StampPayload(p *commonpb.Payload, principal identity.Principal) error {
	if err := principal.Validate(); err != nil {
		return err
	}
	stamp, err := json.Marshal(principal)
	if err != nil {
		return err
	}
	if p.Metadata == nil {
		p.Metadata = map[string][]byte{}
	}
	p.Metadata[identity.MetadataKey] = stamp
	return nil
}

// Stamped is value as the argument of a Signal or Update that a process holding the
// ring sends on a person's behalf (the starter, for a Slack button or a keypress):
// the client's codecs encrypt it with principal's stamp inside, as the codec server
// stamps what a person sends through it.
func Stamped(value any, principal identity.Principal) (converter.RawValue, error) {
	payload, err := converter.GetDefaultDataConverter().ToPayload(value)
	if err != nil {
		return converter.RawValue{}, err
	}
	if err := CheckReserved(payload); err != nil {
		return converter.RawValue{}, err
	}
	if err := StampPayload(payload, principal); err != nil {
		return converter.RawValue{}, err
	}
	return converter.NewRawValue(payload), nil
}

// principalCodec hands a decrypted payload's stamp to the workflow: a JSON object
// stamped in its metadata gets the field identity.PrincipalField set to the stamp,
// replacing any field a sender typed under that name (in any letter case). Payloads
// without a stamp pass as they are: what is not stamped was written by a process
// holding the ring (the worker, the starter, xsoc's tests and benchmark), which may
// also forward a principal it was handed. Encoding does nothing: a stamp is written
// by the codec server and the starter (StampPayload), never by the chain.
type principalCodec struct{}

func (principalCodec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	return payloads, nil
}

func (principalCodec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	result := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		stamp, stamped := p.GetMetadata()[identity.MetadataKey]
		if !stamped {
			result[i] = p
			continue
		}
		var principal identity.Principal
		if err := json.Unmarshal(stamp, &principal); err != nil {
			return nil, fmt.Errorf("codec: payload %d carries an unreadable stamp: %w", i, err)
		}
		fields, isObject := object(p.GetData())
		if string(p.GetMetadata()[converter.MetadataEncoding]) != metadataEncodingJSON || !isObject {
			result[i] = p // nothing to hand the stamp in: no decision is anything but an object
			continue
		}
		for name := range fields {
			if strings.EqualFold(name, identity.PrincipalField) {
				delete(fields, name)
			}
		}
		fields[identity.PrincipalField], _ = json.Marshal(principal) // a struct of strings and a time: never fails
		data, err := json.Marshal(fields)
		if err != nil {
			return nil, fmt.Errorf("codec: payload %d: %w", i, err)
		}
		result[i] = &commonpb.Payload{Metadata: p.GetMetadata(), Data: data}
	}
	return result, nil
}

// refusedSignal is the payload a refused Signal reaches the workflow as: an object
// holding only identity.RefusedField, encrypted with the ring like any other payload,
// so that no sender can forge one.
func (r *Ring) refusedSignal(reason string) (*commonpb.Payload, error) {
	data, err := json.Marshal(map[string]string{identity.RefusedField: reason})
	if err != nil {
		return nil, err
	}
	sealed, err := r.Encode([]*commonpb.Payload{{Metadata: map[string][]byte{converter.MetadataEncoding: []byte(metadataEncodingJSON)}, Data: data}})
	if err != nil {
		return nil, err
	}
	return sealed[0], nil
}
