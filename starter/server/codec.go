package server

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"unicode"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/encoding/protojson"

	"xsoc/config"
	"xsoc/identity"
	"xsoc/internal/codec"
)

// maxCodecBody bounds a codec request: the UI sends the payloads of a page of history
// events at once, each up to Temporal's 2 MiB payload limit in the worst case.
const maxCodecBody = 16 << 20

// codecServer answers Temporal's codec server protocol (POST {"payloads": [...]} in
// protobuf JSON to .../encode or .../decode) with the payload codec every xsoc process
// uses, so that the Temporal UI and `temporal --codec-endpoint` show analysts the
// decrypted incidents while the server and its database hold only ciphertext. It is
// also the identity gate: what a person encodes through it to send to a workflow is
// stamped with who they are, inside the encryption (docs/identity-contract.md).
type codecServer struct {
	// encode and decode are the ring's codec chains: encode is the workers'; decode
	// shows a payload in clear as it is (the viewing ring), so that a history holding
	// one refused payload still reads.
	encode, decode converter.PayloadCodec
	namespace      string
	// origin is the Temporal UI's origin (scheme://host[:port] of XSOC_UI_URL), the only
	// one a browser may call from.
	origin string
	// access is who may call, and as whom; with none configured, only clients on this
	// machine are answered, and nothing is stamped.
	access   config.CodecAccess
	failures *failureLimiter
	log      *slog.Logger
}

func newCodecServer(ring *codec.Ring, namespace, uiURL string, access config.CodecAccess, log *slog.Logger) *codecServer {
	if namespace == "" {
		namespace = "default"
	}
	origin := ""
	if u, err := url.Parse(uiURL); err == nil && u.Scheme != "" && u.Host != "" {
		origin = u.Scheme + "://" + u.Host
	}
	c := &codecServer{namespace: namespace, origin: origin, access: access, failures: newFailureLimiter(), log: log,
		encode: chain(ring.Codecs()), decode: chain(nil)}
	if ring != nil {
		c.decode = chain(ring.Viewing().Codecs())
	}
	return c
}

// chain is one codec applying codecs in the SDK's order: encoding from the last to
// the first, decoding from the first to the last.
func chain(codecs []converter.PayloadCodec) converter.PayloadCodec {
	return converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), codecs...).(converter.PayloadCodecProvider).Codec()
}

func (c *codecServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	pathNamespace, operation, ok := codecPath(r.URL.Path)
	if !ok {
		writeError(w, http.StatusNotFound, "no codec operation at %s: want /v1/codec/encode, /v1/codec/decode or /v1/codec/{namespace}/encode|decode", r.URL.Path)
		return
	}
	if !c.cors(w, r) {
		return
	}
	switch r.Method {
	case http.MethodOptions:
		w.WriteHeader(http.StatusNoContent)
		return
	case http.MethodPost:
	default:
		w.Header().Set("Allow", "POST, OPTIONS")
		writeError(w, http.StatusMethodNotAllowed, "the codec server takes POST")
		return
	}
	caller, ok := c.authorized(w, r)
	if !ok {
		return
	}
	for _, named := range []string{pathNamespace, r.Header.Get("X-Namespace")} {
		if named != "" && named != c.namespace {
			writeError(w, http.StatusBadRequest, "namespace %q: this codec server holds the keys of namespace %q", named, c.namespace)
			return
		}
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") && r.Header.Get("Content-Type") != "" {
		writeError(w, http.StatusUnsupportedMediaType, "Content-Type %q: want application/json", r.Header.Get("Content-Type"))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxCodecBody))
	if err != nil {
		writeError(w, http.StatusBadRequest, "reading the payloads: %v", err)
		return
	}
	var in commonpb.Payloads
	if err := protojson.Unmarshal(body, &in); err != nil {
		writeError(w, http.StatusBadRequest, "want {\"payloads\": [...]} in protobuf JSON: %v", err)
		return
	}
	var out []*commonpb.Payload
	if operation == "encode" {
		out, err = c.stampAndEncode(r, caller, in.Payloads)
	} else {
		out, err = c.decode.Decode(in.Payloads)
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, "%s: %v", operation, err)
		return
	}
	answer, err := protojson.Marshal(&commonpb.Payloads{Payloads: out})
	if err != nil {
		writeError(w, http.StatusInternalServerError, "%s: %v", operation, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(answer)
}

// stampAndEncode refuses a payload that would speak for the codec, stamps each one with
// the caller (when known) and a stamp of its own, and encrypts them.
func (c *codecServer) stampAndEncode(r *http.Request, caller *identity.Principal, payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	ids := make([]string, 0, len(payloads))
	for i, p := range payloads {
		if err := codec.CheckReserved(p); err != nil {
			c.log.Warn("codec server: refused a payload naming a reserved field", "caller", principalName(caller), "remote", r.RemoteAddr, "error", err)
			return nil, fmt.Errorf("payload %d: %w", i, err)
		}
		if caller == nil {
			continue
		}
		stamp := codec.NewPrincipal(caller.Name, caller.Via)
		if err := codec.StampPayload(p, stamp); err != nil {
			return nil, err
		}
		ids = append(ids, stamp.ID)
	}
	encoded, err := c.encode.Encode(payloads)
	if err == nil && len(ids) > 0 {
		// The audit trail of who encoded what: a stamp seen in a workflow is found here.
		c.log.Info("codec server: stamped payloads", "principal", caller.Name, "via", caller.Via, "stamps", strings.Join(ids, ","), "remote", r.RemoteAddr)
	}
	return encoded, err
}

func principalName(p *identity.Principal) string {
	if p == nil {
		return "(unstamped)"
	}
	return p.String()
}

// codecPath answers the namespace a codec path names ("" for /v1/codec/encode), its
// operation, and whether it is a codec operation at all.
func codecPath(path string) (namespace, operation string, ok bool) {
	parts := strings.Split(strings.TrimPrefix(path, "/v1/codec/"), "/")
	operation = parts[len(parts)-1]
	if operation != "encode" && operation != "decode" || len(parts) > 2 || len(parts) == 2 && parts[0] == "" {
		return "", "", false
	}
	if len(parts) == 2 {
		return parts[0], operation, true
	}
	return "", operation, true
}

// cors lets the Temporal UI's origin, and only it, call the codec server from a
// browser, with its credentials. It answers false when it has refused the request.
func (c *codecServer) cors(w http.ResponseWriter, r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true // not a browser: nothing to allow
	}
	w.Header().Add("Vary", "Origin")
	if origin != c.origin {
		// Another page in an analyst's browser has no business here, even where the
		// browser would keep the answer from it.
		writeError(w, http.StatusForbidden, "origin %q may not call the codec server: only the Temporal UI's %q (XSOC_UI_URL)", origin, c.origin)
		return false
	}
	w.Header().Set("Access-Control-Allow-Origin", origin)
	w.Header().Set("Access-Control-Allow-Credentials", "true")
	if r.Method == http.MethodOptions {
		w.Header().Set("Access-Control-Allow-Methods", "POST, OPTIONS")
		w.Header().Set("Access-Control-Allow-Headers", "Authorization, Content-Type, X-Namespace")
		w.Header().Set("Access-Control-Max-Age", "600")
	}
	return true
}

// authorized answers who is calling: the SSO proxy's user, a token's holder, or on a
// codec server without credentials configured, nil for a client on this machine. It
// answers false when it has refused the request. Failed tokens count against the
// caller's address (failureLimiter).
func (c *codecServer) authorized(w http.ResponseWriter, r *http.Request) (*identity.Principal, bool) {
	if c.access.Open() {
		if peerAddress(r).IsLoopback() {
			return nil, true
		}
		writeError(w, http.StatusForbidden, "the codec server has no credentials configured (XSOC_CODEC_TOKENS, XSOC_CODEC_TOKEN or an SSO proxy): it answers only clients on this machine")
		return nil, false
	}
	if header := c.access.IdentityHeader; header != "" && r.Header.Get(header) != "" {
		if peer := peerAddress(r); peer.IsValid() && c.access.Trusted(peer) {
			name := strings.TrimSpace(r.Header.Get(header))
			if !validSSOName(name) {
				writeError(w, http.StatusBadRequest, "%s from the SSO proxy: %q is not a user name", header, name)
				return nil, false
			}
			return &identity.Principal{Name: name, Via: identity.ViaSSO}, true
		}
		// Anyone can write the header: it counts only from the proxy.
		c.log.Warn("codec server: ignored an identity header from an address that is not a trusted proxy (XSOC_CODEC_TRUSTED_PROXIES)",
			"header", header, "remote", r.RemoteAddr)
	}
	key := addressKey(clientAddress(r, c.access.Trusted))
	if !tooManyFailures(w, c.failures, key) {
		return nil, false
	}
	given, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if ok {
		if name, found := c.holder(strings.TrimSpace(given)); found {
			return &identity.Principal{Name: name, Via: identity.ViaToken}, true
		}
		c.failures.failed(key)
		c.log.Warn("codec server: bad bearer token", "remote", r.RemoteAddr)
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="xsoc codec"`)
	switch {
	case ok:
		writeError(w, http.StatusUnauthorized, "bad bearer token")
	case c.access.IdentityHeader != "" && len(c.access.Tokens) == 0:
		writeError(w, http.StatusUnauthorized, "missing credentials: reach the codec server through the SSO proxy")
	default:
		writeError(w, http.StatusUnauthorized, "missing credentials: send Authorization: Bearer <your XSOC_CODEC_TOKENS token>")
	}
	return nil, false
}

// holder answers whose token given is, comparing its digest with every token's in
// constant time: neither the answer's time nor its position tells which one matched.
func (c *codecServer) holder(given string) (string, bool) {
	digest := sha256.Sum256([]byte(given))
	found := -1
	for i, token := range c.access.Tokens {
		if subtle.ConstantTimeCompare(digest[:], token.Digest[:]) == 1 {
			found = i
		}
	}
	if found < 0 {
		return "", false
	}
	return c.access.Tokens[found].Name, true
}

// validSSOName takes a user name an SSO proxy may send: printable, no spaces, at most
// 128 bytes.
func validSSOName(name string) bool {
	if name == "" || len(name) > 128 {
		return false
	}
	for _, r := range name {
		if r <= ' ' || r == 0x7f || !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}
