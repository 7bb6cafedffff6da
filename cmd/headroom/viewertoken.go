package main

import (
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/headroomhq/headroom/statuspage"
	"github.com/spf13/cobra"
)

// newViewerTokenCmd is `headroom token viewer`: a viewer token of a page
// with private parts (docs/STATUSPAGE.md, "Private pages").
func newViewerTokenCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "viewer NAME",
		Short: "Make a viewer token of a private page; prints it once, and the line headroom.yaml keeps",
		Long: `viewer makes a token that lets its holder read a page's private parts (the
whole page with spec.page.visibility: private, the private components
otherwise). It prints the token, alone, on stdout, and on stderr the entry
of spec.page.access.tokens to add to headroom.yaml: NAME (who holds it) and
the token's SHA-256, never the token. Serve reads it at start.

Readers open the page once as https://status.example.com/?token=TOKEN (a
cookie keeps it), or send Authorization: Bearer TOKEN.`,
		Example: `  headroom token viewer support-team > support-team.token`,
		Args:    exactArgs(1, "headroom token viewer NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := strings.TrimSpace(args[0])
			if name == "" || strings.ContainsAny(name, "{}[],:#\"'\n") {
				return &usageError{msg: fmt.Sprintf("viewer token name %q: a plain name such as support-team", args[0]), hint: "headroom token viewer support-team"}
			}
			token, sum, err := statuspage.NewViewerToken()
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), token)
			fmt.Fprintf(cmd.ErrOrStderr(), "add to spec.page.access.tokens in headroom.yaml, then restart serve:\n      - {name: %s, sha256: %s}\n", name, hex.EncodeToString(sum))
			return nil
		},
	}
}
