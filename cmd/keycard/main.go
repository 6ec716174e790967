// Command keycard is a self-hosted channel-manager API server that speaks
// the Channex API v1 dialect, built around API Key Access.
//
// Usage:
//
//	keycard serve   [--addr host:port] [--db file | --database-url postgres://...] [--mode staging|production]
//	keycard demo    [--addr host:port] [--db file]
//	keycard migrate [--db file | --database-url ...]
//	keycard user create   --email E --password P [--name N] [--json]
//	keycard user password --email E --password P
//	keycard org subscription --org ID --status active|inactive
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // property time zones validate on machines without a zoneinfo database
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout)
	stop()
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "keycard:", err)
		}
		os.Exit(2)
	}
}

const usage = `keycard: a Channex-compatible channel-manager API with API Key Access

Commands:
  serve                  run the server (default: 127.0.0.1:8080, ./keycard.db, staging mode)
  demo                   run the server on a seeded demo database and print how to use it
  migrate                create or upgrade the database and exit
  user create            create a user and an organisation the user owns
  user password          set a user's password
  org subscription       set an organisation's subscription status

Run "keycard COMMAND -h" for a command's flags.
`

// run is the whole program, with its environment passed in, so that tests
// can run it end to end.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
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
	case "migrate":
		return migrateCmd(ctx, rest, getenv, stdout)
	case "user":
		return userCmd(ctx, rest, getenv, stdout)
	case "org":
		return orgCmd(ctx, rest, getenv, stdout)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stdout, usage)
	return fmt.Errorf("unknown command %q", cmd)
}

func newFlagSet(name string, stdout io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("keycard "+name, flag.ContinueOnError)
	fs.SetOutput(stdout)
	return fs
}
