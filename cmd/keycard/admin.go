package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
)

func migrateCmd(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	st, err := openForCLI(ctx, "migrate", args, getenv, stdout, nil)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "database is up to date (%s)\n", st.Dialect())
	return st.Close()
}

// openForCLI parses a command's flags (storage flags plus extra) and opens
// the store.
func openForCLI(ctx context.Context, name string, args []string, getenv func(string) string, stdout io.Writer, extra func(fs flagAdder)) (*store.Store, error) {
	cfg, err := parseConfig(name, args, getenv, stdout, "keycard.db", false, extra)
	if err != nil {
		return nil, err
	}
	return store.Open(ctx, cfg.Store())
}

type flagAdder interface {
	StringVar(p *string, name, value, usage string)
	BoolVar(p *bool, name string, value bool, usage string)
}

// cliError makes a domain error readable on a terminal.
func cliError(err error) error {
	if e, ok := errors.AsType[*keycard.Error](err); ok && e.Details != nil {
		if fe, ok := e.Details.(keycard.FieldErrors); ok {
			var parts []string
			for field, msgs := range fe {
				parts = append(parts, field+" "+strings.Join(msgs, ", "))
			}
			sort.Strings(parts)
			return errors.New(strings.Join(parts, "; "))
		}
		return fmt.Errorf("%v", e.Details)
	}
	return err
}

func userCmd(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: keycard user create|password [flags]")
	}
	var email, password, name string
	var asJSON bool
	switch args[0] {
	case "create":
		st, err := openForCLI(ctx, "user create", args[1:], getenv, stdout, func(fs flagAdder) {
			fs.StringVar(&email, "email", "", "the user's email (required)")
			fs.StringVar(&password, "password", "", "the user's password, at least 8 characters (required)")
			fs.StringVar(&name, "name", "", "the user's name")
			fs.BoolVar(&asJSON, "json", false, "print the ids as JSON")
		})
		if err != nil {
			return err
		}
		defer st.Close()
		u, org, err := st.CreateOwner(ctx, email, password, name)
		if err != nil {
			return cliError(err)
		}
		if asJSON {
			return json.NewEncoder(stdout).Encode(map[string]string{"user_id": u.ID, "organization_id": org.ID})
		}
		fmt.Fprintf(stdout, "created user %s (%s) and organisation %s\n", u.ID, u.Email, org.ID)
		return nil
	case "password":
		st, err := openForCLI(ctx, "user password", args[1:], getenv, stdout, func(fs flagAdder) {
			fs.StringVar(&email, "email", "", "the user's email (required)")
			fs.StringVar(&password, "password", "", "the new password, at least 8 characters (required)")
		})
		if err != nil {
			return err
		}
		defer st.Close()
		if err := st.SetPassword(ctx, email, password); err != nil {
			return cliError(err)
		}
		fmt.Fprintln(stdout, "password set")
		return nil
	}
	return fmt.Errorf("unknown user command %q", args[0])
}

func orgCmd(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "subscription" {
		return errors.New("usage: keycard org subscription --org ID --status active|inactive")
	}
	var orgID, status string
	st, err := openForCLI(ctx, "org subscription", args[1:], getenv, stdout, func(fs flagAdder) {
		fs.StringVar(&orgID, "org", "", "the organisation's id (required)")
		fs.StringVar(&status, "status", "", "active or inactive (required)")
	})
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.SetSubscription(ctx, orgID, status); err != nil {
		return cliError(err)
	}
	fmt.Fprintf(stdout, "organisation %s subscription is %s\n", orgID, status)
	return nil
}
