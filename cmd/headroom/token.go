package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/incident"
	"github.com/headroomhq/headroom/statuspage/admin"
	"github.com/spf13/cobra"
)

func newTokenCmd() *cobra.Command {
	var path string
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Create, list and revoke the admin tokens of the status page's admin API",
		Long: `token manages the bearer tokens headroom incident, headroom component and any
other client of the admin API (/api/admin/) send. It opens the store of
headroom.yaml directly (the SQLite file of its data directory, or its
PostgreSQL database), so it works whether serve runs or not; a running serve
sees a new token at its first use and refuses a revoked one within seconds.

A token is shown once, when it is made: the store keeps only its SHA-256.`,
		Example: `  export HEADROOM_TOKEN=$(headroom token create ci-deploy)
  headroom token list
  headroom token revoke k3x9abcd1234`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return &usageError{msg: "token needs a subcommand: create, list or revoke", hint: "headroom token create NAME"}
		},
	}
	cmd.PersistentFlags().StringVar(&path, "config", "headroom.yaml", "the configuration serve runs (its store keeps the tokens)")
	dbFlag(cmd.PersistentFlags())

	create := &cobra.Command{
		Use:   "create NAME",
		Short: "Make a token; prints it once on stdout",
		Long: `create makes an admin token named NAME (who or what uses it: a person, a CI
job) and prints it, alone, on stdout, so that it can go straight into a
variable; its id goes to stderr. It is never shown again.`,
		Example: `  export HEADROOM_TOKEN=$(headroom token create $USER)`,
		Args:    exactArgs(1, "headroom token create NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withPageStore(cmd, path, true, func(st incident.Store) error {
				return createToken(cmd.Context(), st, args[0], time.Now(), cmd.OutOrStdout(), cmd.ErrOrStderr())
			})
		},
	}
	list := &cobra.Command{
		Use:   "list",
		Short: "List the tokens, revoked ones too (never their secrets)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withPageStore(cmd, path, false, func(st incident.Store) error {
				return listTokens(cmd.Context(), st, cmd.OutOrStdout())
			})
		},
	}
	revoke := &cobra.Command{
		Use:     "revoke ID",
		Short:   "Revoke a token: the admin API refuses it from now on",
		Example: `  headroom token revoke k3x9abcd1234`,
		Args:    exactArgs(1, "headroom token revoke ID   (ids: headroom token list)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withPageStore(cmd, path, false, func(st incident.Store) error {
				return revokeToken(cmd.Context(), st, args[0], time.Now(), cmd.OutOrStdout())
			})
		},
	}
	cmd.AddCommand(create, list, revoke, newViewerTokenCmd())
	return cmd
}

// exactArgs is cobra.ExactArgs with a usage hint.
func exactArgs(n int, hint string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return &usageError{msg: fmt.Sprintf("%s takes %d argument(s), got %d", cmd.CommandPath(), n, len(args)), hint: hint}
		}
		return nil
	}
}

// withPageStore opens the store of the config at path (creating the SQLite
// file when create is set) and calls f with it as the status page's store.
func withPageStore(cmd *cobra.Command, path string, create bool, f func(incident.Store) error) error {
	cfg, err := loadConfig(cmd, path)
	if err != nil {
		return err
	}
	if cfg.Page == nil && create {
		return &usageError{msg: fmt.Sprintf("%s has no status page: admin tokens are for its admin API", cfg.Path), hint: "add spec.page to " + cfg.Path + " (see headroom validate)"}
	}
	db, err := openStore(cmd.Context(), cfg, create)
	if err != nil {
		return err
	}
	defer db.Close()
	st, ok := db.(incident.Store)
	if !ok {
		return &headroom.Error{Code: headroom.EINTERNAL, Message: fmt.Sprintf("the store at %s does not keep the status page", where(cfg))}
	}
	return f(st)
}

// createToken makes a token named name in st and prints its secret, alone,
// on out, and what was made on info.
func createToken(ctx context.Context, st incident.Store, name string, now time.Time, out, info io.Writer) error {
	secret, tok, err := admin.NewToken(name, now.UTC())
	if err != nil {
		return err
	}
	if err := st.CreateToken(ctx, tok); err != nil {
		return fmt.Errorf("create token: %w", err)
	}
	fmt.Fprintln(out, secret)
	fmt.Fprintf(info, "created token %s (%q); it is shown only now. Revoke it with: headroom token revoke %s\n", tok.ID, tok.Name, tok.ID)
	return nil
}

// listTokens prints st's tokens, oldest first.
func listTokens(ctx context.Context, st incident.Store, out io.Writer) error {
	toks, err := st.Tokens(ctx)
	if err != nil {
		return fmt.Errorf("list tokens: %w", err)
	}
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tNAME\tCREATED (UTC)\tREVOKED (UTC)")
	for _, t := range toks {
		revoked := "-"
		if !t.RevokedAt.IsZero() {
			revoked = t.RevokedAt.UTC().Format("2006-01-02 15:04:05")
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", t.ID, t.Name, t.CreatedAt.UTC().Format("2006-01-02 15:04:05"), revoked)
	}
	return w.Flush()
}

// revokeToken revokes token id in st.
func revokeToken(ctx context.Context, st incident.Store, id string, now time.Time, out io.Writer) error {
	if err := st.RevokeToken(ctx, id, now.UTC()); err != nil {
		if headroom.ErrorCode(err) == headroom.ENOTFOUND {
			return &usageError{msg: fmt.Sprintf("no token %q", id), hint: "headroom token list"}
		}
		return fmt.Errorf("revoke token %s: %w", id, err)
	}
	fmt.Fprintf(out, "revoked token %s: the admin API refuses it within %s\n", id, admin.DefaultTokenMaxAge)
	return nil
}
