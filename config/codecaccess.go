package config

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"regexp"
	"slices"
	"strings"

	"xsoc/identity"
)

// MinCodecTokenLength is the shortest codec token accepted: the codec server decrypts
// every payload of the namespace for whoever holds one, and stamps decisions with its
// holder's name.
const MinCodecTokenLength = 24

// CodecAccess is who the codec server answers, and as whom: per-person tokens
// (XSOC_CODEC_TOKENS), the shared token (XSOC_CODEC_TOKEN, principal "codec"), and
// the identity header of a trusted SSO proxy (XSOC_CODEC_IDENTITY_HEADER, believed
// only from XSOC_CODEC_TRUSTED_PROXIES). Tokens are kept as SHA-256 digests only:
// they are long random strings, so a digest is as good as a slow hash against
// guessing, and the starter's memory holds no token to leak.
type CodecAccess struct {
	Tokens []CodecToken
	// IdentityHeader is the canonical header name; empty, no SSO proxy.
	IdentityHeader string
	// TrustedProxies are the addresses whose IdentityHeader is believed; they are also
	// the proxies whose X-Forwarded-For names the client, for rate limits.
	TrustedProxies []netip.Prefix
}

// CodecToken is one token's holder and the token's digest.
type CodecToken struct {
	Name   string
	Digest [sha256.Size]byte
}

// Open tells whether the codec server has no credentials at all configured: it then
// answers only clients on its own machine, and stamps nothing.
func (a CodecAccess) Open() bool { return len(a.Tokens) == 0 && a.IdentityHeader == "" }

// Trusted tells whether addr is one of the trusted proxies.
func (a CodecAccess) Trusted(addr netip.Addr) bool {
	addr = addr.Unmap()
	for _, p := range a.TrustedProxies {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

var (
	personName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$`)
	headerName = regexp.MustCompile(`^[A-Za-z0-9-]+$`)
)

// headers an SSO proxy's identity header must not be: the browser or the client sets them.
var unfitIdentityHeaders = []string{"Authorization", "Cookie", "Host", "Content-Type", "Origin", "X-Namespace", "X-Forwarded-For"}

// CodecAccess reads the codec server's credentials from the settings, with a problem
// named for each setting that is wrong.
func (s Settings) CodecAccess() (CodecAccess, error) {
	var access CodecAccess
	var problems []string
	seen := map[[sha256.Size]byte]string{}
	// add takes holder's token; who names the holder in a problem.
	add := func(holder, who, token, setting string) {
		switch {
		case len(token) < MinCodecTokenLength:
			problems = append(problems, fmt.Sprintf("%s: the token of %s is %d characters: want at least %d (e.g. openssl rand -hex 24)",
				setting, who, len(token), MinCodecTokenLength))
			return
		case strings.ContainsAny(token, " \t\r\n"):
			problems = append(problems, fmt.Sprintf("%s: the token of %s holds white space", setting, who))
			return
		}
		digest := sha256.Sum256([]byte(token))
		if other, twice := seen[digest]; twice {
			problems = append(problems, fmt.Sprintf("%s: %s has the same token as %s: each token names one holder", setting, who, other))
			return
		}
		seen[digest] = who
		access.Tokens = append(access.Tokens, CodecToken{Name: holder, Digest: digest})
	}
	if s.CodecToken != "" {
		add(identity.SharedName, "the shared token", s.CodecToken, "XSOC_CODEC_TOKEN")
	}
	if spec := strings.TrimSpace(s.CodecTokens); spec != "" {
		names := map[string]bool{}
		for i, entry := range strings.Split(spec, ",") {
			name, token, found := strings.Cut(strings.TrimSpace(entry), ":")
			name = strings.TrimSpace(name)
			switch {
			case !found:
				problems = append(problems, fmt.Sprintf("XSOC_CODEC_TOKENS: entry %d has no ':' (want name:token, comma-separated)", i+1))
			case !personName.MatchString(name):
				problems = append(problems, fmt.Sprintf("XSOC_CODEC_TOKENS: entry %d: name %q: want letters, digits and . _ @ + - (at most 64)", i+1, name))
			case strings.EqualFold(name, identity.SharedName):
				problems = append(problems, fmt.Sprintf("XSOC_CODEC_TOKENS: %q is the shared token's principal (XSOC_CODEC_TOKEN): name a person", name))
			case names[strings.ToLower(name)]:
				problems = append(problems, fmt.Sprintf("XSOC_CODEC_TOKENS: %s appears twice", name))
			default:
				names[strings.ToLower(name)] = true
				add(name, name, token, "XSOC_CODEC_TOKENS")
			}
		}
	}
	header, proxies := strings.TrimSpace(s.CodecIdentityHeader), strings.TrimSpace(s.CodecTrustedProxies)
	if header != "" {
		canonical := http.CanonicalHeaderKey(header)
		switch {
		case !headerName.MatchString(header):
			problems = append(problems, fmt.Sprintf("XSOC_CODEC_IDENTITY_HEADER=%q is not a header name (e.g. X-Forwarded-User)", header))
		case slices.Contains(unfitIdentityHeaders, canonical):
			problems = append(problems, fmt.Sprintf("XSOC_CODEC_IDENTITY_HEADER=%q: a client sets that header; name the one your SSO proxy sets (e.g. X-Forwarded-User)", header))
		default:
			access.IdentityHeader = canonical
		}
	}
	if proxies != "" {
		for _, entry := range strings.Split(proxies, ",") {
			entry = strings.TrimSpace(entry)
			prefix, err := netip.ParsePrefix(entry)
			if err != nil {
				addr, addrErr := netip.ParseAddr(entry)
				if addrErr != nil {
					problems = append(problems, fmt.Sprintf("XSOC_CODEC_TRUSTED_PROXIES: %q is not an address or a CIDR (e.g. 10.0.0.5/32)", entry))
					continue
				}
				prefix = netip.PrefixFrom(addr, addr.BitLen())
			}
			if prefix.Bits() == 0 {
				problems = append(problems, fmt.Sprintf("XSOC_CODEC_TRUSTED_PROXIES: %s trusts every address: anyone could name themselves; list your proxies' addresses", entry))
				continue
			}
			access.TrustedProxies = append(access.TrustedProxies, prefix.Masked())
		}
	}
	switch {
	case header != "" && proxies == "":
		problems = append(problems, "XSOC_CODEC_IDENTITY_HEADER is set without XSOC_CODEC_TRUSTED_PROXIES: the header is believed only from the SSO proxy's addresses; list them")
	case header == "" && proxies != "" && len(access.Tokens) == 0:
		problems = append(problems, "XSOC_CODEC_TRUSTED_PROXIES is set without XSOC_CODEC_IDENTITY_HEADER: name the header your SSO proxy sets (e.g. X-Forwarded-User)")
	}
	if len(problems) > 0 {
		return CodecAccess{}, errors.New(strings.Join(problems, "; "))
	}
	return access, nil
}
