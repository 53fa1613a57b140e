// Package codec encrypts every payload xsoc writes to Temporal (inputs, results, signals,
// updates, queries, memos, failure messages) with AES-256-GCM, so that hosts, users,
// detections and indicators are not readable by whoever can read the server's database
// or open the Temporal UI without the key. It follows the conventions of Temporal's
// encryption sample: metadata `encoding: binary/encrypted` and `encryption-key-id`, a
// random nonce per payload, compression before encryption.
//
// Encrypted means authentic: the worker takes no payload its ring did not encrypt
// (Ring.Decode, SignalGuard), and a person's payload carries their stamp inside the
// ciphertext (stamp.go; docs/identity-contract.md).
package codec

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"

	commonpb "go.temporal.io/api/common/v1"
	failurepb "go.temporal.io/api/failure/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/proto"
)

const (
	// MetadataEncodingEncrypted marks an encrypted payload (the sample's value).
	MetadataEncodingEncrypted = "binary/encrypted"
	// MetadataEncryptionKeyID names the key that encrypted the payload, so that a
	// rotated ring still finds the key of an older payload.
	MetadataEncryptionKeyID = "encryption-key-id"
	// KeySize is the AES-256 key length in bytes.
	KeySize = 32
)

// Key is one named AES-256 key.
type Key struct {
	ID     string
	Secret []byte
}

// NewKey draws a fresh random key.
func NewKey(id string) (Key, error) {
	secret := make([]byte, KeySize)
	if _, err := rand.Read(secret); err != nil {
		return Key{}, fmt.Errorf("drawing a random key: %w", err)
	}
	return Key{ID: id, Secret: secret}, nil
}

// ParseKeys reads a ring written as "id1:base64key,id2:base64key" (standard base64 of
// 32 bytes each). Ids must be non-empty and unique.
func ParseKeys(spec string) ([]Key, error) {
	var keys []Key
	for i, entry := range strings.Split(spec, ",") {
		entry = strings.TrimSpace(entry)
		id, encoded, found := strings.Cut(entry, ":")
		id = strings.TrimSpace(id)
		switch {
		case entry == "":
			return nil, fmt.Errorf("entry %d is empty (want id:base64key, comma-separated)", i+1)
		case !found:
			return nil, fmt.Errorf("entry %d has no ':' (want id:base64key)", i+1)
		case id == "":
			return nil, fmt.Errorf("entry %d has an empty key id", i+1)
		case strings.ContainsAny(id, " \t\r\n"):
			return nil, fmt.Errorf("key id %q holds white space", id)
		case slices.ContainsFunc(keys, func(k Key) bool { return k.ID == id }):
			return nil, fmt.Errorf("key id %q appears twice", id)
		}
		secret, err := base64.StdEncoding.DecodeString(strings.TrimSpace(encoded))
		if err != nil {
			return nil, fmt.Errorf("key %q is not standard base64: %v", id, err)
		}
		if len(secret) != KeySize {
			return nil, fmt.Errorf("key %q is %d bytes, want %d (AES-256; e.g. `openssl rand -base64 32`)", id, len(secret), KeySize)
		}
		keys = append(keys, Key{ID: id, Secret: secret})
	}
	return keys, nil
}

// FormatKeys writes keys in the form ParseKeys reads.
func FormatKeys(keys []Key) string {
	entries := make([]string, len(keys))
	for i, k := range keys {
		entries[i] = k.ID + ":" + base64.StdEncoding.EncodeToString(k.Secret)
	}
	return strings.Join(entries, ",")
}

// Ring encrypts with its primary key and decrypts with any of its keys, so that keys
// rotate without downtime: a new primary is added while the old keys stay to read
// what they wrote. It is a converter.PayloadCodec.
type Ring struct {
	primary string
	ids     []string
	aeads   map[string]cipher.AEAD
	zlib    *zlibCodec
	// passPlain shows payloads in clear as they are (Viewing).
	passPlain bool
}

// NewRing builds a ring whose primary key (the one that encrypts) is primary.
func NewRing(keys []Key, primary string) (*Ring, error) {
	if len(keys) == 0 {
		return nil, errors.New("no keys")
	}
	r := &Ring{primary: primary, aeads: make(map[string]cipher.AEAD, len(keys)), zlib: newZlibCodec()}
	for _, k := range keys {
		if k.ID == "" {
			return nil, errors.New("a key has an empty id")
		}
		if _, twice := r.aeads[k.ID]; twice {
			return nil, fmt.Errorf("key id %q appears twice", k.ID)
		}
		if len(k.Secret) != KeySize {
			return nil, fmt.Errorf("key %q is %d bytes, want %d", k.ID, len(k.Secret), KeySize)
		}
		block, err := aes.NewCipher(k.Secret)
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", k.ID, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", k.ID, err)
		}
		r.aeads[k.ID] = aead
		r.ids = append(r.ids, k.ID)
	}
	if _, ok := r.aeads[primary]; !ok {
		return nil, fmt.Errorf("key id %q is not among the keys (%s)", primary, strings.Join(r.ids, ", "))
	}
	return r, nil
}

// PrimaryID names the key that encrypts.
func (r *Ring) PrimaryID() string { return r.primary }

// Encode encrypts every payload with the primary key. It fails rather than pass a
// payload through in clear.
func (r *Ring) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	aead := r.aeads[r.primary]
	result := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		plain, err := proto.Marshal(p)
		if err != nil {
			return nil, fmt.Errorf("codec: marshalling payload %d: %w", i, err)
		}
		nonce := make([]byte, aead.NonceSize())
		if _, err := rand.Read(nonce); err != nil {
			return nil, fmt.Errorf("codec: drawing a nonce: %w", err)
		}
		result[i] = &commonpb.Payload{
			Metadata: map[string][]byte{
				converter.MetadataEncoding: []byte(MetadataEncodingEncrypted),
				MetadataEncryptionKeyID:    []byte(r.primary),
			},
			Data: aead.Seal(nonce, nonce, plain, nil),
		}
	}
	return result, nil
}

// Decode decrypts every payload with the key it names. It refuses (*RefusalError) a
// payload the ring did not encrypt — in clear, under a key id not in the ring, or
// altered — so that encrypted means authentic: whoever reaches the Temporal frontend
// without the key cannot put a decision, a start or an answer into a workflow. A
// viewing ring (Viewing) shows a payload in clear as it is instead.
func (r *Ring) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	result := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if r.passPlain && !encrypted(p) {
			result[i] = p
			continue
		}
		decoded, err := r.open(p)
		if err != nil {
			return nil, &RefusalError{Index: i, Reason: err.Error()}
		}
		result[i] = decoded
	}
	return result, nil
}

// Viewing is the ring for reading histories (the codec server's /decode, for the UI
// and the CLI): a payload in clear is shown as it is — it is in clear in the history
// already — where the worker's ring refuses it.
func (r *Ring) Viewing() *Ring {
	viewing := *r
	viewing.passPlain = true
	return &viewing
}

func encrypted(p *commonpb.Payload) bool {
	return string(p.GetMetadata()[converter.MetadataEncoding]) == MetadataEncodingEncrypted
}

// open decrypts one payload the ring encrypted, and says why it is not one.
func (r *Ring) open(p *commonpb.Payload) (*commonpb.Payload, error) {
	if !encrypted(p) {
		encoding := string(p.GetMetadata()[converter.MetadataEncoding])
		return nil, fmt.Errorf("it is not encrypted with a key of the ring (encoding %q, want %s): xsoc takes only payloads its codec encrypted; "+
			"send through the codec server (temporal --codec-endpoint <starter>/v1/codec, or the Temporal UI with its codec endpoint)", encoding, MetadataEncodingEncrypted)
	}
	id := string(p.GetMetadata()[MetadataEncryptionKeyID])
	aead, ok := r.aeads[id]
	if !ok {
		return nil, fmt.Errorf("it is encrypted with key id %q, which is not in the key ring (%s)", id, strings.Join(r.ids, ", "))
	}
	data := p.GetData()
	if len(data) < aead.NonceSize() {
		return nil, fmt.Errorf("it is encrypted with key %q but too short (%d bytes) to hold its nonce", id, len(data))
	}
	plain, err := aead.Open(nil, data[:aead.NonceSize()], data[aead.NonceSize():], nil)
	if err != nil {
		return nil, fmt.Errorf("it is encrypted with key %q but does not authenticate: altered, or another key under the same id", id)
	}
	decoded := &commonpb.Payload{}
	if err := proto.Unmarshal(plain, decoded); err != nil {
		return nil, fmt.Errorf("it decrypted with key %q into something that is not a payload: %v", id, err)
	}
	return decoded, nil
}

// RefusalError is a payload the ring refuses to decode: not encrypted with a key of
// the ring, or altered. Its message holds nothing secret, so the worker answers it
// in clear (FailureConverter): the sender of a plain Update reads why it was refused.
type RefusalError struct {
	Index  int
	Reason string
}

func (e *RefusalError) Error() string {
	return fmt.Sprintf("codec: refused payload %d: %s", e.Index, e.Reason)
}

// Codecs is the chain every payload goes through, in converter order: the SDK encodes
// from the last codec to the first, so payloads are stamped (a no-op but for the codec
// server's), compressed, then encrypted (ciphertext does not compress), and decoded
// the other way round: decrypted, decompressed, and the stamp handed to the workflow
// (stamp.go). The compression is the SDK's zlib codec's, with reused compressors
// (zlib.go). No ring, no codecs.
func (r *Ring) Codecs() []converter.PayloadCodec {
	if r == nil {
		return nil
	}
	return []converter.PayloadCodec{r, r.zlib, principalCodec{}}
}

// DataConverter is the default data converter with the ring's codecs.
func (r *Ring) DataConverter() converter.DataConverter {
	return converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), r.Codecs()...)
}

// ViewingDataConverter reads histories as a person reads them (Viewing): what is in
// clear there — search attributes, what was sent without the codec — as it is.
func (r *Ring) ViewingDataConverter() converter.DataConverter {
	return converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), r.Viewing().Codecs()...)
}

// FailureConverter encodes failures' messages and stack traces with dc too: an error
// that quotes a host or a vendor's answer would otherwise be stored in clear. A
// failure caused by a refused payload (*RefusalError: a plain Update, a start with a
// plain input) stays in clear: it quotes nothing of an incident, and its sender, who
// has no key, must be able to read why.
func FailureConverter(dc converter.DataConverter) converter.FailureConverter {
	return refusalsInClear{
		encoded: temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{DataConverter: dc, EncodeCommonAttributes: true}),
		clear:   temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{DataConverter: dc}),
	}
}

type refusalsInClear struct {
	encoded, clear converter.FailureConverter
}

func (c refusalsInClear) ErrorToFailure(err error) *failurepb.Failure {
	var refusal *RefusalError
	if errors.As(err, &refusal) {
		return c.clear.ErrorToFailure(err)
	}
	return c.encoded.ErrorToFailure(err)
}

// FailureToError reads both: the encoded converter decodes encoded attributes where
// there are some and takes the message as it is where there are none.
func (c refusalsInClear) FailureToError(failure *failurepb.Failure) error {
	return c.encoded.FailureToError(failure)
}
