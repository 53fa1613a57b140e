package devstack

import (
	"errors"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"time"
)

// SSOHeader is the identity header the stack's SSO proxy sets and its starter believes
// (XSOC_CODEC_IDENTITY_HEADER) from the proxy's address only.
const SSOHeader = "X-Forwarded-User"

// startSSOProxy does for the Temporal UI what a production SSO proxy in front of the
// codec server does (docs/security.md): the UI sends no credentials of its own, so the
// proxy names the person it authenticated — here always user — in SSOHeader, removing
// whatever the client sent there, and forwards to the starter. It answers the proxy's
// base URL; Stop closes it.
func (s *Stack) startSSOProxy(user string) (string, error) {
	starter, err := url.Parse("http://" + s.addresses.Starter)
	if err != nil {
		return "", err
	}
	proxy := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(starter)
		r.Out.Header.Del(SSOHeader)
		r.Out.Header.Set(SSOHeader, user)
	}}
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	server := &http.Server{Handler: proxy, ReadHeaderTimeout: 10 * time.Second}
	s.servers = append(s.servers, server)
	go func() {
		if err := server.Serve(listener); !errors.Is(err, http.ErrServerClosed) {
			select {
			case s.ended <- &ComponentError{Component: "SSO proxy", Err: err}:
			default:
			}
		}
	}()
	return "http://" + listener.Addr().String(), nil
}
