package server

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/encoding/protojson"

	"xsoc/config"
	"xsoc/internal/codec"
)

const (
	uiURL      = "https://temporal-ui.soc.example:8443/namespaces/default"
	uiOrigin   = "https://temporal-ui.soc.example:8443"
	codecToken = "codec-token-0123456789abcdef"
)

func testRing(t *testing.T) *codec.Ring {
	t.Helper()
	key, err := codec.NewKey("k1")
	if err != nil {
		t.Fatal(err)
	}
	ring, err := codec.NewRing([]codec.Key{key}, "k1")
	if err != nil {
		t.Fatal(err)
	}
	return ring
}

// testServer is the starter's handler for customers, with a client of temporal, the
// key ring and the codec server's token.
func testServer(t *testing.T, customers *config.Customers, temporal client.Client, ring *codec.Ring, token string) http.Handler {
	t.Helper()
	return testServerWith(t, customers, temporal, ring, config.Settings{CodecToken: token})
}

// testServerWith is testServer with settings of the test's own (the UI's URL set).
func testServerWith(t *testing.T, customers *config.Customers, temporal client.Client, ring *codec.Ring, settings config.Settings) http.Handler {
	t.Helper()
	settings.UIURL = uiURL
	if _, err := settings.CodecAccess(); err != nil {
		t.Fatal(err)
	}
	process := config.Process{
		Customers: customers,
		Settings:  settings,
		Temporal:  config.Temporal{Namespace: "default"},
		Codec:     ring,
	}
	process.ClientOptions = config.WithCodec(process.ClientOptions, ring)
	return New(process, temporal, slog.New(slog.NewTextHandler(io.Discard, nil))).Handler()
}

func payloadsJSON(t *testing.T, payloads ...*commonpb.Payload) string {
	t.Helper()
	data, err := protojson.Marshal(&commonpb.Payloads{Payloads: payloads})
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

type codecCall struct {
	method, path, body, remote string
	headers                    map[string]string
}

func (c codecCall) do(h http.Handler) *httptest.ResponseRecorder {
	method := c.method
	if method == "" {
		method = http.MethodPost
	}
	req := httptest.NewRequest(method, c.path, strings.NewReader(c.body))
	req.Header.Set("Content-Type", "application/json")
	if c.remote != "" {
		req.RemoteAddr = c.remote
	}
	for k, v := range c.headers {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func answered(t *testing.T, rec *httptest.ResponseRecorder) []*commonpb.Payload {
	t.Helper()
	if rec.Code != http.StatusOK {
		t.Fatalf("got %d %s", rec.Code, rec.Body)
	}
	var out commonpb.Payloads
	if err := protojson.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatalf("answer %s: %v", rec.Body, err)
	}
	return out.GetPayloads()
}

func TestCodecServerDecodesWhatTheWorkerWrites(t *testing.T) {
	ring := testRing(t)
	h := testServer(t, &config.Customers{}, nil, ring, codecToken)
	auth := map[string]string{"Authorization": "Bearer " + codecToken, "X-Namespace": "default"}
	stored, err := ring.DataConverter().ToPayload(map[string]string{"host": "osk-pc-17"})
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/v1/codec/decode", "/v1/codec/default/decode"} {
		decoded := answered(t, codecCall{path: path, body: payloadsJSON(t, stored), headers: auth}.do(h))
		if len(decoded) != 1 || string(decoded[0].GetData()) != `{"host":"osk-pc-17"}` {
			t.Fatalf("%s answered %v", path, decoded)
		}
	}

	plain, _ := converter.GetDefaultDataConverter().ToPayload("evil.example")
	encoded := answered(t, codecCall{path: "/v1/codec/encode", body: payloadsJSON(t, plain), headers: auth}.do(h))
	if string(encoded[0].GetMetadata()[converter.MetadataEncoding]) != codec.MetadataEncodingEncrypted || strings.Contains(string(encoded[0].GetData()), "evil") {
		t.Fatalf("encode answered %v", encoded[0])
	}
	var back string
	if err := ring.DataConverter().FromPayload(encoded[0], &back); err != nil || back != "evil.example" {
		t.Fatalf("the encoded payload decodes to %q, %v", back, err)
	}
}

func TestCodecServerRefusesWhatItShouldNot(t *testing.T) {
	ring := testRing(t)
	h := testServer(t, &config.Customers{}, nil, ring, codecToken)
	stored, _ := ring.DataConverter().ToPayload("osk-pc-17")
	foreign, _ := testRing(t).DataConverter().ToPayload("osk-pc-17")
	body := payloadsJSON(t, stored)
	bearer := map[string]string{"Authorization": "Bearer " + codecToken}
	cases := []struct {
		name string
		call codecCall
		code int
		want string
	}{
		{"no token", codecCall{path: "/v1/codec/decode", body: body}, 401, "missing credentials"},
		{"wrong token", codecCall{path: "/v1/codec/decode", body: body, headers: map[string]string{"Authorization": "Bearer nope"}}, 401, "bad bearer token"},
		{"not JSON", codecCall{path: "/v1/codec/decode", body: `{"payloads":`, headers: bearer}, 400, ""},
		{"not payloads", codecCall{path: "/v1/codec/decode", body: `{"events":[]}`, headers: bearer}, 400, ""},
		{"another key's payload", codecCall{path: "/v1/codec/decode", body: payloadsJSON(t, foreign), headers: bearer}, 400, "does not authenticate"},
		{"other namespace header", codecCall{path: "/v1/codec/decode", body: body, headers: map[string]string{"Authorization": "Bearer " + codecToken, "X-Namespace": "finance"}}, 400, "holds the keys of namespace"},
		{"other namespace path", codecCall{path: "/v1/codec/finance/decode", body: body, headers: bearer}, 400, "holds the keys of namespace"},
		{"unknown operation", codecCall{path: "/v1/codec/default/rotate", body: body, headers: bearer}, 404, "no codec operation"},
		{"GET", codecCall{method: http.MethodGet, path: "/v1/codec/decode", headers: bearer}, 405, "takes POST"},
		{"foreign origin", codecCall{path: "/v1/codec/decode", body: body, headers: map[string]string{"Authorization": "Bearer " + codecToken, "Origin": "https://evil.example"}}, 403, "only the Temporal UI's"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := tc.call.do(h)
			if rec.Code != tc.code || !strings.Contains(rec.Body.String(), tc.want) {
				t.Fatalf("got %d %s, want %d with %q", rec.Code, rec.Body, tc.code, tc.want)
			}
			if strings.Contains(rec.Body.String(), "osk-pc-17") {
				t.Fatalf("a refused request got the plaintext: %s", rec.Body)
			}
		})
	}
}

func TestCodecServerWithoutTokenAnswersOnlyThisMachine(t *testing.T) {
	ring := testRing(t)
	h := testServer(t, &config.Customers{}, nil, ring, "")
	stored, _ := ring.DataConverter().ToPayload("osk-pc-17")
	body := payloadsJSON(t, stored)
	for remote, code := range map[string]int{"127.0.0.1:50000": 200, "[::1]:50000": 200, "10.0.0.8:50000": 403, "192.0.2.1:1234": 403} {
		if rec := (codecCall{path: "/v1/codec/decode", body: body, remote: remote}).do(h); rec.Code != code {
			t.Errorf("from %s: got %d %s, want %d", remote, rec.Code, rec.Body, code)
		}
	}
}

func TestCodecServerPreflightAllowsOnlyTheUI(t *testing.T) {
	h := testServer(t, &config.Customers{}, nil, testRing(t), codecToken)
	preflight := func(origin string) *httptest.ResponseRecorder {
		return codecCall{method: http.MethodOptions, path: "/v1/codec/decode", headers: map[string]string{
			"Origin": origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization,content-type,x-namespace",
		}}.do(h)
	}
	rec := preflight(uiOrigin)
	want := map[string]string{
		"Access-Control-Allow-Origin":      uiOrigin,
		"Access-Control-Allow-Credentials": "true",
		"Access-Control-Allow-Methods":     "POST, OPTIONS",
		"Access-Control-Allow-Headers":     "Authorization, Content-Type, X-Namespace",
	}
	if rec.Code != http.StatusNoContent {
		t.Fatalf("preflight from the UI: %d %s", rec.Code, rec.Body)
	}
	for name, value := range want {
		if got := rec.Header().Get(name); got != value {
			t.Errorf("%s = %q, want %q", name, got, value)
		}
	}
	rec = preflight("https://evil.example")
	if rec.Code != http.StatusForbidden || rec.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("preflight from another origin: %d, allow-origin %q", rec.Code, rec.Header().Get("Access-Control-Allow-Origin"))
	}
	post := codecCall{path: "/v1/codec/encode", body: `{"payloads":[]}`, headers: map[string]string{"Origin": uiOrigin, "Authorization": "Bearer " + codecToken}}.do(h)
	if post.Code != http.StatusOK || post.Header().Get("Access-Control-Allow-Origin") != uiOrigin || post.Header().Get("Access-Control-Allow-Credentials") != "true" {
		t.Fatalf("a POST from the UI: %d, headers %v", post.Code, post.Header())
	}
}
