package config

import (
	"encoding/hex"
	"net/http"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
)

// PageAccess is who reads a page with private parts (spec.page.visibility,
// spec.page.access, the components' private): docs/STATUSPAGE.md,
// "Private pages". The zero value lets everyone read everything.
type PageAccess struct {
	// Private (visibility: private) makes the whole page private.
	Private bool
	// TokenHashes are the SHA-256 sums of the viewer tokens.
	TokenHashes [][]byte
	// ProxyHeader names the header a trusted reverse proxy sets to the
	// user it authenticated; TrustedProxies are the addresses it is
	// honoured from. ProxyHeader is "" when the file sets no proxy.
	ProxyHeader    string
	TrustedProxies []netip.Prefix
}

// pageAccessYAML is spec.page.access.
type pageAccessYAML struct {
	Tokens []viewerTokenYAML `yaml:"tokens"`
	Proxy  *proxyYAML        `yaml:"proxy"`
}

// viewerTokenYAML is a viewer token, kept as its SHA-256: the file never
// holds the token itself.
type viewerTokenYAML struct {
	Name   string `yaml:"name"`
	SHA256 string `yaml:"sha256"`
}

// proxyYAML is spec.page.access.proxy.
type proxyYAML struct {
	Header  string   `yaml:"header"`
	Trusted []string `yaml:"trusted"`
}

// defaultProxyHeader is statuspage.DefaultProxyHeader (config does not
// import the status page).
const defaultProxyHeader = "X-Forwarded-User"

// headerName is an HTTP field name (RFC 9110 section 5.1, a token).
var headerName = regexp.MustCompile(`^[A-Za-z0-9!#$%&'*+.^_|~-]+$`)

// pageAccess checks spec.page's visibility and access; privateAt is the
// field of the first component or group marked private, "" for none.
func (p *parser) pageAccess(at string, s *pageYAML, privateAt string) PageAccess {
	var a PageAccess
	switch s.Visibility {
	case "", "public":
	case "private":
		a.Private = true
	default:
		p.fail(at+".visibility", s.Visibility, "public (the default: everyone reads the page) or private (only readers let in by spec.page.access)")
	}
	if s.Access != nil {
		names := map[string]bool{}
		for i, t := range s.Access.Tokens {
			field := at + ".access.tokens." + strconv.Itoa(i)
			if strings.TrimSpace(t.Name) == "" || names[t.Name] {
				p.fail(field+".name", t.Name, "a name no other viewer token has, saying who it was given to (e.g. support-team)")
			}
			names[t.Name] = true
			sum, err := hex.DecodeString(t.SHA256)
			if err != nil || len(sum) != 32 {
				p.fail(field+".sha256", t.SHA256, "the token's SHA-256 in 64 hex digits, as `printf %s \"$TOKEN\" | sha256sum` prints it (never the token itself)")
				continue
			}
			a.TokenHashes = append(a.TokenHashes, sum)
		}
		if x := s.Access.Proxy; x != nil {
			a.ProxyHeader = defaultProxyHeader
			if x.Header != "" {
				a.ProxyHeader = http.CanonicalHeaderKey(x.Header)
			}
			if !headerName.MatchString(a.ProxyHeader) || a.ProxyHeader == "Authorization" || a.ProxyHeader == "Cookie" {
				p.fail(at+".access.proxy.header", x.Header, "the header your proxy names the signed-in user in, such as X-Forwarded-User or X-Auth-Request-User")
			}
			if len(x.Trusted) == 0 {
				p.fail(at+".access.proxy.trusted", "", "the proxy's addresses, such as [10.0.0.0/8]: the header is honoured from them only, as anyone else can send it")
			}
			a.TrustedProxies = p.prefixes(at+".access.proxy.trusted", x.Trusted)
		}
	}
	if s.SMTP != nil && (a.Private || privateAt != "") {
		p.fail(at+".smtp", "", "no smtp on a page with private parts: the email sign-up and its mails are not split by audience yet")
	}
	noWayIn := s.Access == nil || len(s.Access.Tokens) == 0 && s.Access.Proxy == nil
	switch {
	case !noWayIn:
	case a.Private:
		p.fail(at+".visibility", s.Visibility, "public, or spec.page.access with viewer tokens (tokens) or a trusted proxy's header (proxy): no one could read this private page")
	case privateAt != "":
		p.fail(privateAt, "true", "false, or spec.page.access with viewer tokens (tokens) or a trusted proxy's header (proxy): no one could read this private component")
	}
	return a
}

// prefixes reads a list of addresses and CIDR ranges (an address is its
// own /32 or /128), failing at field.i for each that is neither.
func (p *parser) prefixes(field string, list []string) []netip.Prefix {
	var out []netip.Prefix
	for i, v := range list {
		prefix, err := netip.ParsePrefix(v)
		if err != nil {
			addr, aerr := netip.ParseAddr(v)
			if aerr != nil {
				p.fail(field+"."+strconv.Itoa(i), v, "an address or a CIDR range, such as 10.0.0.7 or 10.0.0.0/8")
				continue
			}
			prefix = netip.PrefixFrom(addr, addr.BitLen())
		}
		out = append(out, prefix.Masked())
	}
	return out
}
