// Command keycard is a self-hosted channel-manager API server that speaks
// the Channex API v1 dialect, built around API Key Access.
//
// Usage:
//
//	keycard serve   [--addr host:port] [--db file | --database-url postgres://...] [--mode staging|production]
//	keycard demo    [--addr host:port] [--db file]
//	keycard migrate [--db file | --database-url ...]
//	keycard bench   [--concurrency N] [--duration D] [--database-url ...]
//	keycard backup  --to FILE [--db file]
//	keycard restore --from FILE [--db file] [--force]
//	keycard user create   --email E [--name N] [--json]    (the password is prompted for, or read from stdin)
//	keycard user password --email E
//	keycard user list [--json]
//	keycard org list [--json]
//	keycard org subscription --org ID --status active|inactive
//	keycard login --server URL [--email E]                 (the password is prompted for, or read from stdin)
//	keycard logout
//	keycard key create --name N (--all | --property ID ...) [--expires WHEN] [--read-only] [--ip CIDR ...]
//	keycard key list | show ID | update ID [flags] | roll ID [--grace S] | withdraw ID [--yes]
//	keycard audit [--key ID] [--event NAME] [--limit N | --all] [--json]
//	keycard version
//	keycard help [COMMAND]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	_ "time/tzdata" // property time zones validate on machines without a zoneinfo database
)

func main() {
	// The context ends with the signal as its cause, which the server
	// logs as it shuts down.
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		if sig, ok := <-sigs; ok {
			cancel(signalCause{sig})
		}
	}()
	err := runIO(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout)
	signal.Stop(sigs)
	close(sigs)
	cancel(nil)
	if errors.Is(err, flag.ErrHelp) {
		return // the usage asked for is printed
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "keycard:", err)
		os.Exit(2)
	}
}

const usage = `keycard: a Channex-compatible channel-manager API with API Key Access

Commands:
  serve                  run the server (default: 127.0.0.1:8080, ./keycard.db, staging mode)
  demo                   run the server on a seeded demo database and print how to use it
  migrate                create or upgrade the database and exit
  bench                  measure a seeded server on a temporary database, route by route
  backup                 copy the SQLite database, consistently, while the server runs
  restore                put a backup in place of the SQLite database (the server stopped)
  user create            create a user and an organisation the user owns
  user password          set a user's password
  user list              list the users
  org list               list the organisations
  org subscription       set an organisation's subscription status
  login                  sign in to a keycard server, for the key commands
  logout                 forget the session login kept
  key create|list|show|update|roll|withdraw
                         manage your API keys on that server
  audit                  read the audit log of your keys and sign-ins on that server
  channel list|test|sync your channels on that server: list them, test one, sync one in full
  version                print the version and the revision it was built from

Run "keycard help COMMAND" or "keycard COMMAND --help" for a command's flags.
`

// run is the whole program, with its environment passed in, so that tests
// can run it end to end. Its standard input is empty.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	return runIO(ctx, args, getenv, strings.NewReader(""), stdout)
}

// runIO is run with a standard input, which commands read passwords from
// (at a prompt when it is a terminal).
func runIO(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stdout, usage)
		return errors.New("no command given")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return serveCmd(ctx, rest, getenv, stdout)
	case "demo":
		return demoCmd(ctx, rest, getenv, stdout)
	case "bench":
		return benchCmd(ctx, rest, getenv, stdout)
	case "migrate":
		return migrateCmd(ctx, rest, getenv, stdout)
	case "backup":
		return backupCmd(ctx, rest, getenv, stdout)
	case "restore":
		return restoreCmd(ctx, rest, getenv, stdout)
	case "user":
		return userCmd(ctx, rest, getenv, stdin, stdout)
	case "org":
		return orgCmd(ctx, rest, getenv, stdout)
	case "login":
		return loginCmd(ctx, rest, getenv, stdin, stdout)
	case "logout":
		return logoutCmd(rest, getenv, stdout)
	case "key":
		return keyCmd(ctx, rest, getenv, stdin, stdout)
	case "audit":
		return auditCmd(ctx, rest, getenv, stdout)
	case "channel":
		return channelCmd(ctx, rest, getenv, stdout)
	case "version", "--version":
		fs := newFlagSet("version", stdout)
		setUsage(fs, stdout, "usage: keycard version\n\nPrints keycard's version, the VCS revision and time it was built from, and the Go release.\n")
		if err := parseFlags(fs, rest); err != nil {
			return err
		}
		if fs.NArg() > 0 {
			return fmt.Errorf("unexpected argument %q", fs.Arg(0))
		}
		fmt.Fprintln(stdout, version())
		return nil
	case "help", "-h", "-help", "--help":
		if len(rest) > 0 && !isHelp(rest[0]) {
			// "keycard help user create" is "keycard user create --help".
			if err := runIO(ctx, append(rest, "--help"), getenv, stdin, stdout); !errors.Is(err, flag.ErrHelp) {
				return err
			}
			return nil
		}
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stdout, usage)
	return fmt.Errorf("unknown command %q; the commands are listed above", cmd)
}

// isHelp reports whether arg asks for help.
func isHelp(arg string) bool {
	switch arg {
	case "help", "-h", "-help", "--help":
		return true
	}
	return false
}

// version describes the build: the module version, and the VCS revision
// and time it was built from, when the build recorded them.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "keycard (no build information)"
	}
	v := bi.Main.Version
	if v == "" {
		v = "(devel)"
	}
	var rev, at, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = ", with uncommitted changes"
			}
		}
	}
	out := "keycard " + v
	if rev != "" {
		out += " (revision " + rev
		if at != "" {
			out += " of " + at
		}
		out += dirty + ")"
	}
	return out + ", " + bi.GoVersion
}

// newFlagSet returns the flag set of a command. Its usage (on --help, or
// after a bad flag) goes to stdout; the flag package's own copy of a
// parse error is dropped, since main prints the error, once.
func newFlagSet(name string, stdout io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("keycard "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	setUsage(fs, stdout, "usage: keycard "+name+" [flags]\n")
	return fs
}

// setUsage makes fs's usage text head followed by its flags.
func setUsage(fs *flag.FlagSet, stdout io.Writer, head string) {
	fs.Usage = func() {
		fmt.Fprint(stdout, head)
		n := 0
		fs.VisitAll(func(*flag.Flag) { n++ })
		if n == 0 {
			return
		}
		fmt.Fprint(stdout, "\nFlags:\n")
		fs.SetOutput(stdout)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
}

// parseFlags parses args into fs and names the command in an error.
func parseFlags(fs *flag.FlagSet, args []string) error {
	err := fs.Parse(args)
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		return fmt.Errorf("%s: %w", strings.TrimPrefix(fs.Name(), "keycard "), err)
	}
	return err
}
