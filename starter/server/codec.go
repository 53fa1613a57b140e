package server

import (
	"crypto/subtle"
	"net"
	"net/http"
	"net/url"
	"strings"

	"go.temporal.io/sdk/converter"
)

// maxCodecBody bounds a codec request: the UI sends the payloads of a page of history
// events at once, each up to Temporal's 2 MiB payload limit in the worst case.
const maxCodecBody = 16 << 20

// codecServer answers Temporal's codec server protocol (POST {"payloads": [...]} in
// protobuf JSON to .../encode or .../decode) with the payload codec every xsoc process
// uses, so that the Temporal UI and `temporal --codec-endpoint` show analysts the
// decrypted incidents while the server and its database hold only ciphertext.
type codecServer struct {
	codec     http.Handler
	namespace string
	// origin is the Temporal UI's origin (scheme://host[:port] of XSOC_UI_URL), the only
	// one a browser may call from.
	origin string
	// token is XSOC_CODEC_TOKEN; when empty, only clients on this machine are answered.
	token string
}

func newCodecServer(codecs []converter.PayloadCodec, namespace, uiURL, token string) *codecServer {
	if namespace == "" {
		namespace = "default"
	}
	origin := ""
	if u, err := url.Parse(uiURL); err == nil && u.Scheme != "" && u.Host != "" {
		origin = u.Scheme + "://" + u.Host
	}
	return &codecServer{codec: converter.NewPayloadCodecHTTPHandler(codecs...), namespace: namespace, origin: origin, token: token}
}

func (c *codecServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	pathNamespace, ok := codecPath(r.URL.Path)
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
	if !c.authorized(w, r) {
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
	r.Body = http.MaxBytesReader(w, r.Body, maxCodecBody)
	c.codec.ServeHTTP(w, r)
}

// codecPath answers the namespace a codec path names ("" for /v1/codec/encode), and
// whether it is a codec operation at all.
func codecPath(path string) (namespace string, ok bool) {
	parts := strings.Split(strings.TrimPrefix(path, "/v1/codec/"), "/")
	operation := parts[len(parts)-1]
	if operation != "encode" && operation != "decode" || len(parts) > 2 || len(parts) == 2 && parts[0] == "" {
		return "", false
	}
	if len(parts) == 2 {
		return parts[0], true
	}
	return "", true
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

// authorized checks the bearer token, or without one that the client is on this
// machine (the `make run` UI in the developer's browser). It answers false when it has
// refused the request.
func (c *codecServer) authorized(w http.ResponseWriter, r *http.Request) bool {
	if c.token == "" {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if ip := net.ParseIP(host); err == nil && ip != nil && ip.IsLoopback() {
			return true
		}
		writeError(w, http.StatusForbidden, "XSOC_CODEC_TOKEN is not set: the codec server answers only clients on this machine")
		return false
	}
	given, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if ok && subtle.ConstantTimeCompare([]byte(strings.TrimSpace(given)), []byte(c.token)) == 1 {
		return true
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="xsoc codec"`)
	if !ok {
		writeError(w, http.StatusUnauthorized, "missing credentials: send Authorization: Bearer <XSOC_CODEC_TOKEN>")
	} else {
		writeError(w, http.StatusUnauthorized, "bad bearer token")
	}
	return false
}
