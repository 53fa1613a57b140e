package codec

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/proto"
)

type incidentInput struct {
	Host      string
	User      string
	Detection string
}

var secretInput = incidentInput{Host: "osk-pc-17", User: `ACME\taro`, Detection: "Credential dumping (mimikatz)"}

func mustKey(t *testing.T, id string) Key {
	t.Helper()
	k, err := NewKey(id)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustRing(t *testing.T, primary string, keys ...Key) *Ring {
	t.Helper()
	r, err := NewRing(keys, primary)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRoundTripHidesThePlaintext(t *testing.T) {
	dc := mustRing(t, "k1", mustKey(t, "k1")).DataConverter()
	payload, err := dc.ToPayload(secretInput)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(payload.GetMetadata()[converter.MetadataEncoding]); got != MetadataEncodingEncrypted {
		t.Fatalf("encoding = %q, want %q", got, MetadataEncodingEncrypted)
	}
	if got := string(payload.GetMetadata()[MetadataEncryptionKeyID]); got != "k1" {
		t.Fatalf("key id = %q, want k1", got)
	}
	for _, clear := range []string{secretInput.Host, "taro", "mimikatz", "json/plain"} {
		if bytes.Contains(payload.GetData(), []byte(clear)) {
			t.Errorf("the encrypted payload holds %q in clear", clear)
		}
	}
	var back incidentInput
	if err := dc.FromPayload(payload, &back); err != nil {
		t.Fatal(err)
	}
	if back != secretInput {
		t.Fatalf("round trip gave %+v", back)
	}
	again, _ := dc.ToPayload(secretInput)
	if bytes.Equal(again.GetData(), payload.GetData()) {
		t.Fatal("two encodings of one value are identical: the nonce is not random")
	}
}

func TestRotationKeepsOldPayloadsReadable(t *testing.T) {
	k1, k2 := mustKey(t, "k1"), mustKey(t, "k2")
	before := mustRing(t, "k1", k1).DataConverter()
	old, err := before.ToPayload(secretInput)
	if err != nil {
		t.Fatal(err)
	}
	after := mustRing(t, "k2", k2, k1).DataConverter()
	var back incidentInput
	if err := after.FromPayload(old, &back); err != nil || back != secretInput {
		t.Fatalf("after rotation the k1 payload decodes to %+v, %v", back, err)
	}
	fresh, _ := after.ToPayload(secretInput)
	if got := string(fresh.GetMetadata()[MetadataEncryptionKeyID]); got != "k2" {
		t.Fatalf("after rotation new payloads use %q, want k2", got)
	}
	// Dropping k1 too early is an error naming the missing key, not garbage.
	err = mustRing(t, "k2", k2).DataConverter().FromPayload(old, &back)
	if err == nil || !strings.Contains(err.Error(), `key id "k1"`) || !strings.Contains(err.Error(), "k2") {
		t.Fatalf("decoding with k1 gone: %v", err)
	}
}

// Encrypted means authentic: a payload in clear (what the plain CLI sends) is refused
// with a reason its sender can act on; only the viewing ring (the codec server's
// /decode, for the UI) shows it as it is.
func TestPlaintextPayloadsAreRefused(t *testing.T) {
	plain, err := converter.GetDefaultDataConverter().ToPayload(map[string]string{"by": "mallory"})
	if err != nil {
		t.Fatal(err)
	}
	ring := mustRing(t, "k1", mustKey(t, "k1"))
	var back map[string]string
	err = ring.DataConverter().FromPayload(plain, &back)
	var refusal *RefusalError
	if !errors.As(err, &refusal) || !strings.Contains(err.Error(), "not encrypted with a key of the ring") || !strings.Contains(err.Error(), "codec-endpoint") {
		t.Fatalf("a plain payload decodes to %v, %v; want a refusal naming why", back, err)
	}
	viewing := converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), ring.Viewing().Codecs()...)
	if err := viewing.FromPayload(plain, &back); err != nil || back["by"] != "mallory" {
		t.Fatalf("the viewing ring shows a plain payload as %v, %v", back, err)
	}
	if err := ring.DataConverter().FromPayload(plain, &back); err == nil {
		t.Fatal("Viewing changed the ring it was made from")
	}
}

func TestTamperedPayloadsAreRefused(t *testing.T) {
	k1 := mustKey(t, "k1")
	ring := mustRing(t, "k1", k1)
	encoded, err := ring.Encode([]*commonpb.Payload{{Data: []byte(`"osk-pc-17"`), Metadata: map[string][]byte{"encoding": []byte("json/plain")}}})
	if err != nil {
		t.Fatal(err)
	}
	impostor := Key{ID: "k1", Secret: bytes.Repeat([]byte{7}, KeySize)}
	cases := map[string]struct {
		ring   *Ring
		mutate func(*commonpb.Payload)
		want   string
	}{
		"flipped bit":        {ring, func(p *commonpb.Payload) { p.Data[len(p.Data)-1] ^= 1 }, "does not authenticate"},
		"truncated":          {ring, func(p *commonpb.Payload) { p.Data = p.Data[:5] }, "too short"},
		"other key, same id": {mustRing(t, "k1", impostor), func(*commonpb.Payload) {}, "does not authenticate"},
		"unknown key id":     {ring, func(p *commonpb.Payload) { p.Metadata[MetadataEncryptionKeyID] = []byte("k9") }, `key id "k9", which is not in the key ring (k1)`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			p := &commonpb.Payload{Metadata: map[string][]byte{}, Data: bytes.Clone(encoded[0].Data)}
			for k, v := range encoded[0].Metadata {
				p.Metadata[k] = v
			}
			tc.mutate(p)
			if _, err := tc.ring.Decode([]*commonpb.Payload{p}); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error with %q", err, tc.want)
			}
		})
	}
}

func TestFailureMessagesAreEncrypted(t *testing.T) {
	dc := mustRing(t, "k1", mustKey(t, "k1")).DataConverter()
	fc := FailureConverter(dc)
	failure := fc.ErrorToFailure(temporal.NewApplicationError("isolating osk-pc-17: vendor said no", "VendorError"))
	if strings.Contains(failure.GetMessage(), "osk-pc-17") || strings.Contains(failure.GetStackTrace(), "osk-pc-17") {
		t.Fatalf("the failure is stored in clear: %q", failure.GetMessage())
	}
	if failure.GetEncodedAttributes() == nil {
		t.Fatal("the failure has no encoded attributes")
	}
	if err := fc.FailureToError(failure); !strings.Contains(err.Error(), "isolating osk-pc-17: vendor said no") {
		t.Fatalf("decoded failure: %v", err)
	}
}

func TestParseKeys(t *testing.T) {
	good := FormatKeys([]Key{mustKey(t, "k1"), mustKey(t, "k2")})
	keys, err := ParseKeys(good)
	if err != nil || len(keys) != 2 || keys[0].ID != "k1" || keys[1].ID != "k2" || len(keys[1].Secret) != KeySize {
		t.Fatalf("ParseKeys(%q) = %v, %v", good, keys, err)
	}
	short := "k1:" + strings.Repeat("A", 24) // 18 bytes
	cases := map[string]string{
		"":                     "entry 1 is empty",
		"k1":                   "has no ':'",
		":" + good[3:47]:       "empty key id",
		"k1:not base64!":       "not standard base64",
		short:                  "is 18 bytes, want 32",
		good + "," + good[:47]: `key id "k1" appears twice`,
		good + ",":             "entry 3 is empty",
	}
	for spec, want := range cases {
		if _, err := ParseKeys(spec); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseKeys(%q) = %v, want an error with %q", spec, err, want)
		}
	}
	if _, err := NewRing(keys, "k3"); err == nil || !strings.Contains(err.Error(), `key id "k3" is not among the keys (k1, k2)`) {
		t.Errorf("NewRing with an absent primary: %v", err)
	}
}

// The reused compressors write what the SDK's zlib codec writes, and each reads the
// other's payloads: payloads written before the change stay readable, and a process
// still on the SDK's codec reads the new ones.
func TestCompressionIsTheSDKZlibCodecs(t *testing.T) {
	sdk := converter.NewZlibCodec(converter.ZlibCodecOptions{AlwaysEncode: true})
	ours := newZlibCodec()
	plain, err := converter.GetDefaultDataConverter().ToPayloads("host kob-pc-01", map[string]int{"alerts": 3}, []byte("binary"))
	if err != nil {
		t.Fatal(err)
	}
	for round := range 3 { // the pooled compressors are reused from the second round
		fromSDK, err := sdk.Encode(plain.Payloads)
		if err != nil {
			t.Fatal(err)
		}
		fromOurs, err := ours.Encode(plain.Payloads)
		if err != nil {
			t.Fatal(err)
		}
		for i := range plain.Payloads {
			if !proto.Equal(fromSDK[i], fromOurs[i]) {
				t.Fatalf("round %d, payload %d: ours %v, the SDK's %v", round, i, fromOurs[i], fromSDK[i])
			}
		}
		for name, decode := range map[string]func([]*commonpb.Payload) ([]*commonpb.Payload, error){"ours": ours.Decode, "the SDK's": sdk.Decode} {
			decoded, err := decode(fromOurs)
			if err != nil {
				t.Fatalf("%s codec decoding: %v", name, err)
			}
			for i := range plain.Payloads {
				if !proto.Equal(decoded[i], plain.Payloads[i]) {
					t.Fatalf("round %d: %s codec decoded payload %d as %v, want %v", round, name, i, decoded[i], plain.Payloads[i])
				}
			}
		}
	}
	if _, err := ours.Decode([]*commonpb.Payload{{Metadata: map[string][]byte{converter.MetadataEncoding: []byte(MetadataEncodingZlib)}, Data: []byte("not zlib")}}); err == nil {
		t.Fatal("a corrupt zlib payload decoded without an error")
	}
}
