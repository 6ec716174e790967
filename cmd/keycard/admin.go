package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
)

func migrateCmd(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	cfg, err := parseConfig("migrate", args, getenv, stdout, "keycard.db", false, nil)
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, cfg.Store()) // migrate may create the database
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "database is up to date (%s)\n", st.Dialect())
	return st.Close()
}

// openForCLI parses a command's flags (storage flags plus extra) and opens
// the store, which must exist: a command that reads or changes data never
// creates a database, so a mistyped --db is an error, not an empty
// database that looks like a success.
func openForCLI(ctx context.Context, name string, args []string, getenv func(string) string, stdout io.Writer, extra func(fs flagAdder)) (*store.Store, error) {
	cfg, err := parseConfig(name, args, getenv, stdout, "keycard.db", false, extra)
	if err != nil {
		return nil, err
	}
	return openExisting(ctx, cfg)
}

// openExisting opens the store of cfg, which must exist.
func openExisting(ctx context.Context, cfg Config) (*store.Store, error) {
	sc := cfg.Store()
	sc.MustExist = true
	st, err := store.Open(ctx, sc)
	if errors.Is(err, store.ErrNoDatabase) {
		return nil, fmt.Errorf("%w (check --db or --database-url; keycard serve or keycard migrate creates one)", err)
	}
	return st, err
}

type flagAdder interface {
	StringVar(p *string, name, value, usage string)
	BoolVar(p *bool, name string, value bool, usage string)
	IntVar(p *int, name string, value int, usage string)
	DurationVar(p *time.Duration, name string, value time.Duration, usage string)
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

const userUsage = `usage: keycard user COMMAND [flags]

Commands:
  create     create a user and an organisation the user owns (its billing account owner)
  password   set a user's password
  list       list the users, with their organisation and subscription

The password is typed at a prompt (not echoed) or read from the first line
of standard input; --password also works, but leaves it in the shell's
history and in the process list.

Run "keycard user COMMAND --help" for a command's flags.
`

func userCmd(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 || isHelp(args[0]) {
		fmt.Fprint(stdout, userUsage)
		if len(args) == 0 {
			return errors.New("no user command given; they are listed above")
		}
		return flag.ErrHelp
	}
	var email, password, name string
	var asJSON bool
	passwordFlag := func(fs flagAdder) {
		fs.StringVar(&email, "email", "", "the user's email (required)")
		fs.StringVar(&password, "password", "", "the password, at least 8 characters; better typed at the prompt or piped on stdin, where no one else sees it")
	}
	switch args[0] {
	case "list":
		return userListCmd(ctx, args[1:], getenv, stdout)
	case "create":
		st, err := openForCLI(ctx, "user create", args[1:], getenv, stdout, func(fs flagAdder) {
			passwordFlag(fs)
			fs.StringVar(&name, "name", "", "the user's name")
			fs.BoolVar(&asJSON, "json", false, "print the ids as JSON")
		})
		if err != nil {
			return err
		}
		defer st.Close()
		if password == "" {
			if password, err = readPassword(bufio.NewReader(stdin), stdin, stdout, true, ", or give --password"); err != nil {
				return err
			}
		}
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
		st, err := openForCLI(ctx, "user password", args[1:], getenv, stdout, passwordFlag)
		if err != nil {
			return err
		}
		defer st.Close()
		if password == "" {
			if password, err = readPassword(bufio.NewReader(stdin), stdin, stdout, true, ", or give --password"); err != nil {
				return err
			}
		}
		if err := st.SetPassword(ctx, email, password); err != nil {
			return cliError(err)
		}
		fmt.Fprintln(stdout, "password set")
		return nil
	}
	fmt.Fprint(stdout, userUsage)
	return fmt.Errorf("unknown user command %q; the commands are listed above", args[0])
}

// readPassword reads a password: at a prompt without echo when stdin is a
// terminal (twice, with confirm, for a new password); else the next line
// of in, a buffered reader of stdin. otherWays ends the error for no
// password, naming any other way the command takes one.
func readPassword(in *bufio.Reader, stdin io.Reader, stdout io.Writer, confirm bool, otherWays string) (string, error) {
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		ask := func(prompt string) (string, error) {
			fmt.Fprint(stdout, prompt)
			b, err := term.ReadPassword(int(f.Fd()))
			fmt.Fprintln(stdout)
			if err != nil {
				return "", fmt.Errorf("read password: %w", err)
			}
			return string(b), nil
		}
		first, err := ask("Password: ")
		if err != nil || !confirm {
			return first, err
		}
		again, err := ask("Repeat it: ")
		if err != nil {
			return "", err
		}
		if first != again {
			return "", errors.New("the passwords differ")
		}
		return first, nil
	}
	line, err := in.ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password from stdin: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("no password: type it at the prompt, or pipe it on standard input" + otherWays)
	}
	return line, nil
}

const orgUsage = `usage: keycard org COMMAND [flags]

Commands:
  list           list the organisations, with their owner and subscription
  subscription   --org ID --status active|inactive   set an organisation's subscription status

Run "keycard org COMMAND --help" for a command's flags.
`

func orgCmd(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) == 0 || isHelp(args[0]) {
		fmt.Fprint(stdout, orgUsage)
		if len(args) == 0 {
			return errors.New("no org command given; they are listed above")
		}
		return flag.ErrHelp
	}
	switch args[0] {
	case "list":
		return orgListCmd(ctx, args[1:], getenv, stdout)
	case "subscription":
	default:
		fmt.Fprint(stdout, orgUsage)
		return fmt.Errorf("unknown org command %q; the commands are listed above", args[0])
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

// backupCmd copies the SQLite database to a new file while servers may be
// using it.
func backupCmd(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	var to string
	cfg, err := parseConfig("backup", args, getenv, stdout, "keycard.db", false, func(fs flagAdder) {
		fs.StringVar(&to, "to", "", "the new `file` to write the copy to (required; never overwritten)")
	})
	if err != nil {
		return err
	}
	if cfg.DatabaseURL != "" {
		return store.ErrBackupPostgres
	}
	if to == "" {
		return errors.New("backup: --to FILE is required")
	}
	st, err := openExisting(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	photos, err := st.Backup(ctx, to)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backed up to %s\n", to)
	if photos > 0 {
		fmt.Fprintf(stdout, "copied %d uploaded photo files to %s\n", photos, filepath.Join(filepath.Dir(to), "photos"))
	}
	return nil
}
