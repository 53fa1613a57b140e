package server

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"

	"xsoc/config"
	"xsoc/identity"
)

const (
	hanakoToken = "hanako-token-0123456789abcdef"
	satoToken   = "sato-token-0123456789abcdefgh"
)

// stampedDecision is what a workflow decodes a decision into: the stamp beside "by".
type stampedDecision struct {
	identity.Stamp
	By string `json:"by"`
}

func identityServer(t *testing.T) (http.Handler, func(*commonpb.Payload) stampedDecision) {
	t.Helper()
	ring := testRing(t)
	h := testServerWith(t, &config.Customers{}, nil, ring, config.Settings{
		CodecToken: codecToken, CodecTokens: "hanako:" + hanakoToken + ",sato:" + satoToken,
		CodecIdentityHeader: "X-Forwarded-User", CodecTrustedProxies: "10.0.0.5/32",
	})
	decode := func(p *commonpb.Payload) stampedDecision {
		t.Helper()
		var d stampedDecision
		if err := ring.DataConverter().FromPayload(p, &d); err != nil {
			t.Fatalf("the worker's ring cannot read what the codec server encoded: %v", err)
		}
		return d
	}
	return h, decode
}

func decisionPayloads(t *testing.T, decisions ...string) string {
	t.Helper()
	var payloads []*commonpb.Payload
	for _, d := range decisions {
		payloads = append(payloads, &commonpb.Payload{Metadata: map[string][]byte{converter.MetadataEncoding: []byte("json/plain")}, Data: []byte(d)})
	}
	return payloadsJSON(t, payloads...)
}

// The codec server stamps what each caller encodes with who they are, and how it knows.
func TestCodecServerStampsTheCaller(t *testing.T) {
	h, decode := identityServer(t)
	body := decisionPayloads(t, `{"by":"","note":"on it"}`, `{"by":"hanako"}`)
	for _, tc := range []struct {
		name    string
		call    codecCall
		want    string
		wantVia string
	}{
		{"hanako's token", codecCall{headers: map[string]string{"Authorization": "Bearer " + hanakoToken}}, "hanako", identity.ViaToken},
		{"sato's token", codecCall{headers: map[string]string{"Authorization": "Bearer " + satoToken}}, "sato", identity.ViaToken},
		{"the shared token", codecCall{headers: map[string]string{"Authorization": "Bearer " + codecToken}}, identity.SharedName, identity.ViaToken},
		{"the SSO proxy", codecCall{remote: "10.0.0.5:41000", headers: map[string]string{"X-Forwarded-User": "yamada@soc.example"}}, "yamada@soc.example", identity.ViaSSO},
		{"the SSO proxy over a token", codecCall{remote: "10.0.0.5:41000", headers: map[string]string{"X-Forwarded-User": "yamada", "Authorization": "Bearer " + hanakoToken}}, "yamada", identity.ViaSSO},
		{"an identity header from elsewhere counts for nothing", codecCall{remote: "10.0.0.6:41000", headers: map[string]string{"X-Forwarded-User": "sato", "Authorization": "Bearer " + hanakoToken}}, "hanako", identity.ViaToken},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.call.path, tc.call.body = "/v1/codec/encode", body
			encoded := answered(t, tc.call.do(h))
			if len(encoded) != 2 {
				t.Fatalf("%d payloads", len(encoded))
			}
			ids := map[string]bool{}
			for _, p := range encoded {
				if strings.Contains(string(p.GetData()), tc.want) || p.GetMetadata()[identity.MetadataKey] != nil {
					t.Fatal("the stamp is readable outside the encryption")
				}
				d := decode(p)
				if d.Principal == nil || d.Principal.Name != tc.want || d.Principal.Via != tc.wantVia || d.Principal.Validate() != nil {
					t.Fatalf("stamped %+v, want %s (%s)", d.Principal, tc.want, tc.wantVia)
				}
				ids[d.Principal.ID] = true
			}
			if len(ids) != 2 {
				t.Fatal("two payloads share one stamp")
			}
		})
	}
}

func TestCodecServerRefusesToBeSpokenFor(t *testing.T) {
	h, _ := identityServer(t)
	hanako := map[string]string{"Authorization": "Bearer " + hanakoToken}
	for _, tc := range []struct {
		name, body string
		headers    map[string]string
		code       int
		want       string
	}{
		{"a typed principal", decisionPayloads(t, `{"by":"sato","xsoc_principal":{"name":"sato","via":"sso"}}`), hanako, 400, "is reserved: the codec server writes who sent the payload"},
		{"a typed principal in capitals", decisionPayloads(t, `{"XSOC_PRINCIPAL":{"name":"sato"}}`), hanako, 400, "reserved"},
		{"a stamp in the metadata", payloadsJSON(t, &commonpb.Payload{Metadata: map[string][]byte{"encoding": []byte("json/plain"), identity.MetadataKey: []byte(`{"name":"sato"}`)}, Data: []byte(`{}`)}), hanako, 400, identity.MetadataKey},
		{"broken JSON", decisionPayloads(t, `{"by":`), hanako, 400, "not valid JSON"},
		{"an identity header from elsewhere alone", decisionPayloads(t, `{}`), map[string]string{"X-Forwarded-User": "sato"}, 401, "missing credentials"},
		{"a header from the proxy that names nobody", decisionPayloads(t, `{}`), map[string]string{"X-Forwarded-User": "sato\x01"}, 400, "not a user name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			remote := "192.0.2.7:5000"
			if tc.name == "a header from the proxy that names nobody" {
				remote = "10.0.0.5:41000"
			}
			rec := codecCall{path: "/v1/codec/encode", body: tc.body, headers: tc.headers, remote: remote}.do(h)
			if rec.Code != tc.code || !strings.Contains(rec.Body.String(), tc.want) {
				t.Fatalf("got %d %s, want %d with %q", rec.Code, rec.Body, tc.code, tc.want)
			}
		})
	}
}

// The UI reads a history holding a payload sent without the codec: shown as it is.
func TestCodecServerShowsPlainPayloadsOfAHistory(t *testing.T) {
	h, _ := identityServer(t)
	decoded := answered(t, codecCall{path: "/v1/codec/decode", body: decisionPayloads(t, `{"by":"mallory"}`),
		headers: map[string]string{"Authorization": "Bearer " + hanakoToken}}.do(h))
	if string(decoded[0].GetData()) != `{"by":"mallory"}` {
		t.Fatalf("decoded %s", decoded[0].GetData())
	}
}

// Failed tokens are limited per address; the right token from a blocked address waits
// too; other addresses are not held up. Behind a trusted proxy the client is the last
// untrusted address of X-Forwarded-For.
func TestCodecServerLimitsFailedTokensPerAddress(t *testing.T) {
	h, _ := identityServer(t)
	try := func(remote, token, forwarded string) int {
		headers := map[string]string{"Authorization": "Bearer " + token}
		if forwarded != "" {
			headers["X-Forwarded-For"] = forwarded
		}
		return codecCall{path: "/v1/codec/decode", body: `{"payloads":[]}`, remote: remote, headers: headers}.do(h).Code
	}
	for i := range failureBurst {
		if code := try("198.51.100.1:1000", fmt.Sprintf("guess-%02d-0123456789abcdefgh", i), ""); code != http.StatusUnauthorized {
			t.Fatalf("guess %d answered %d", i, code)
		}
	}
	rec := codecCall{path: "/v1/codec/decode", body: `{"payloads":[]}`, remote: "198.51.100.1:1001", headers: map[string]string{"Authorization": "Bearer " + hanakoToken}}.do(h)
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("the right token after %d failures answered %d (Retry-After %q)", failureBurst, rec.Code, rec.Header().Get("Retry-After"))
	}
	if code := try("198.51.100.2:1000", hanakoToken, ""); code != http.StatusOK {
		t.Fatalf("another address answered %d", code)
	}
	// Through the proxy: each client counts for itself, and a client cannot pose as
	// another by writing X-Forwarded-For itself (the proxy appends the real one).
	for i := range failureBurst {
		try("10.0.0.5:2000", fmt.Sprintf("guess-%02d-0123456789abcdefgh", i), "203.0.113.50, 203.0.113.9")
	}
	if code := try("10.0.0.5:2000", hanakoToken, "203.0.113.9"); code != http.StatusTooManyRequests {
		t.Fatalf("the guessing client through the proxy answered %d", code)
	}
	if code := try("10.0.0.5:2000", hanakoToken, "203.0.113.10"); code != http.StatusOK {
		t.Fatalf("another client through the proxy answered %d", code)
	}
}
