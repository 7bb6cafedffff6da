package main

import (
	"strings"

	"github.com/headroomhq/headroom/config"
	"github.com/headroomhq/headroom/statuspage"
)

// pageAccess is who reads what of p (spec.page.visibility, access and the
// components' private), as the status page takes it.
func pageAccess(p *config.Page) statuspage.Access {
	a := statuspage.Access{Private: p.Access.Private, TokenHashes: p.Access.TokenHashes,
		ProxyHeader: p.Access.ProxyHeader, TrustedProxies: p.Access.TrustedProxies,
		HTTPS: strings.HasPrefix(strings.ToLower(p.URL), "https://")}
	for _, c := range p.Components {
		if c.Private {
			a.PrivateComponents = append(a.PrivateComponents, c.ID)
		}
	}
	return a
}
