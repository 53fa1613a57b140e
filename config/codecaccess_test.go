package config

import (
	"crypto/sha256"
	"net/netip"
	"strings"
	"testing"
)

const (
	hanakoToken = "hanako-token-0123456789abcdef"
	satoToken   = "sato-token-0123456789abcdefgh"
	sharedToken = "shared-token-0123456789abcdef"
)

func TestCodecAccess(t *testing.T) {
	access, err := Settings{CodecToken: sharedToken, CodecTokens: "hanako:" + hanakoToken + ", sato:" + satoToken,
		CodecIdentityHeader: "x-forwarded-user", CodecTrustedProxies: "10.0.0.5, 192.168.10.0/24, ::1"}.CodecAccess()
	if err != nil {
		t.Fatal(err)
	}
	names := []string{}
	for _, token := range access.Tokens {
		names = append(names, token.Name)
		if strings.Contains(string(token.Digest[:]), "token") {
			t.Error("a token is kept in clear")
		}
	}
	if strings.Join(names, ",") != "codec,hanako,sato" || access.Tokens[1].Digest != sha256.Sum256([]byte(hanakoToken)) {
		t.Fatalf("tokens of %v", names)
	}
	if access.IdentityHeader != "X-Forwarded-User" || access.Open() {
		t.Fatalf("access %+v", access)
	}
	for addr, trusted := range map[string]bool{"10.0.0.5": true, "10.0.0.6": false, "192.168.10.77": true, "::ffff:10.0.0.5": true, "::1": true, "203.0.113.9": false} {
		if got := access.Trusted(netip.MustParseAddr(addr)); got != trusted {
			t.Errorf("Trusted(%s) = %v", addr, got)
		}
	}
	if open, err := (Settings{}).CodecAccess(); err != nil || !open.Open() {
		t.Fatalf("no settings: %+v, %v", open, err)
	}
}

func TestCodecAccessProblems(t *testing.T) {
	for _, tc := range []struct {
		settings Settings
		problem  string
	}{
		{Settings{CodecToken: "codec-token-1"}, "XSOC_CODEC_TOKEN: the token of the shared token is 13 characters: want at least 24"},
		{Settings{CodecTokens: "hanako:short"}, "the token of hanako is 5 characters"},
		{Settings{CodecTokens: "hanako" + hanakoToken}, "entry 1 has no ':'"},
		{Settings{CodecTokens: "han ako:" + hanakoToken}, `name "han ako"`},
		{Settings{CodecTokens: "codec:" + hanakoToken}, "shared token's principal"},
		{Settings{CodecTokens: "hanako:" + hanakoToken + ",Hanako:" + satoToken}, "Hanako appears twice"},
		{Settings{CodecTokens: "hanako:" + hanakoToken + ",sato:" + hanakoToken}, "sato has the same token as hanako"},
		{Settings{CodecToken: hanakoToken, CodecTokens: "hanako:" + hanakoToken}, "hanako has the same token as the shared token"},
		{Settings{CodecIdentityHeader: "X-Forwarded-User"}, "without XSOC_CODEC_TRUSTED_PROXIES"},
		{Settings{CodecTrustedProxies: "10.0.0.5"}, "without XSOC_CODEC_IDENTITY_HEADER"},
		{Settings{CodecIdentityHeader: "Authorization", CodecTrustedProxies: "10.0.0.5"}, "a client sets that header"},
		{Settings{CodecIdentityHeader: "X User", CodecTrustedProxies: "10.0.0.5"}, "is not a header name"},
		{Settings{CodecIdentityHeader: "X-User", CodecTrustedProxies: "0.0.0.0/0"}, "trusts every address"},
		{Settings{CodecIdentityHeader: "X-User", CodecTrustedProxies: "proxy.local"}, `"proxy.local" is not an address or a CIDR`},
	} {
		_, err := tc.settings.CodecAccess()
		if err == nil || !strings.Contains(err.Error(), tc.problem) {
			t.Errorf("%+v: error %v, want %q", tc.settings, err, tc.problem)
		}
	}
}

func TestCodecSettingsAreCheckedAtStart(t *testing.T) {
	t.Setenv("XSOC_CODEC_TOKEN", "too-short")
	if _, err := LoadSettings(); err == nil || !strings.Contains(err.Error(), "XSOC_CODEC_TOKEN") {
		t.Fatalf("a short codec token: %v", err)
	}
	t.Setenv("XSOC_CODEC_TOKEN", sharedToken)
	t.Setenv("XSOC_METRICS_LISTEN", "9464")
	if _, err := LoadSettings(); err == nil || !strings.Contains(err.Error(), "XSOC_METRICS_LISTEN") {
		t.Fatalf("a bad metrics address: %v", err)
	}
	t.Setenv("XSOC_METRICS_LISTEN", "127.0.0.1:9464")
	t.Setenv("XSOC_DASHBOARD_SESSION_KEY", "short")
	if _, err := LoadSettings(); err == nil || !strings.Contains(err.Error(), "XSOC_DASHBOARD_SESSION_KEY") {
		t.Fatalf("a short session key: %v", err)
	}
}
