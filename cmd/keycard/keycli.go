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
	"strings"
	"text/tabwriter"
	"time"

	"github.com/keycard/keycard/client"
)

// credentials is what "keycard login" keeps for the key commands: the
// server and a session token, in the user's config directory, mode 0600.
type credentials struct {
	Server    string `json:"server"`
	Email     string `json:"email"`
	Token     string `json:"token"`
	ExpiresAt string `json:"expires_at"`
}

// configDir is where the CLI keeps its credentials: $KEYCARD_CONFIG_DIR,
// else $XDG_CONFIG_HOME/keycard, else ~/.config/keycard.
func configDir(getenv func(string) string) (string, error) {
	if d := getenv("KEYCARD_CONFIG_DIR"); d != "" {
		return d, nil
	}
	if d := getenv("XDG_CONFIG_HOME"); d != "" {
		return filepath.Join(d, "keycard"), nil
	}
	if h := getenv("HOME"); h != "" {
		return filepath.Join(h, ".config", "keycard"), nil
	}
	return "", errors.New("no config directory: set KEYCARD_CONFIG_DIR or HOME")
}

func credentialsPath(getenv func(string) string) (string, error) {
	dir, err := configDir(getenv)
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "credentials.json"), nil
}

// loginCmd signs in to a server and keeps the session for the key
// commands.
func loginCmd(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout io.Writer) error {
	fs := newFlagSet("login", stdout)
	server := fs.String("server", "http://127.0.0.1:8080", "the keycard server's `URL` (env KEYCARD_SERVER)")
	email := fs.String("email", "", "your email; asked for when not given")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if v := getenv("KEYCARD_SERVER"); v != "" && !flagSet(fs, "server") {
		*server = v
	}
	in := bufio.NewReader(stdin)
	if *email == "" {
		fmt.Fprint(stdout, "Email: ")
		line, err := in.ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("read email: %w", err)
		}
		*email = strings.TrimSpace(line)
	}
	password, err := readPassword(in, stdin, stdout, false)
	if err != nil {
		return err
	}
	sess, err := client.New(*server).SignIn(ctx, *email, password)
	if err != nil {
		return err
	}
	path, err := credentialsPath(getenv)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	b, err := json.MarshalIndent(credentials{Server: strings.TrimRight(*server, "/"), Email: *email, Token: sess.Token, ExpiresAt: sess.ExpiresAt.Format(time.RFC3339)}, "", "  ")
	if err != nil {
		return err
	}
	// Write the new file aside and move it into place, so a reader never
	// sees half of it, and it is never readable by others, even briefly.
	tmp, err := os.CreateTemp(filepath.Dir(path), ".credentials-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "signed in to %s as %s; the session is kept in %s until %s UTC\n", *server, *email, path, utc(sess.ExpiresAt))
	return nil
}

func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

const keyUsage = `usage: keycard key COMMAND [flags]

Manages your API keys on the server you signed in to with "keycard login".

Commands:
  create    --name NAME (--all | --property ID [--property ID ...])   make a key; it is printed this once
            [--expires RFC3339] [--read-only] [--ip ADDRESS|CIDR ...]
  list      list your keys (the billing owner: every key of the organisation)
  show      ID    show one key, never its secret
  roll      ID [--grace SECONDS]   give a key a new secret, printed this once; the old one works
            for SECONDS more (default 0: it stops at once, as for a leaked key; at most 604800)
  withdraw  ID    withdraw a key: it stops working at once, and stays listed

Each takes --json to print JSON instead of text.
`

// keyCmd manages API keys through the API, with the session "keycard
// login" kept.
func keyCmd(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) == 0 || isHelp(args[0]) {
		fmt.Fprint(stdout, keyUsage)
		if len(args) == 0 {
			return errors.New("usage: keycard key create|list|show|roll|withdraw [flags]")
		}
		return flag.ErrHelp
	}
	sub := args[0]
	fs := newFlagSet("key "+sub, stdout)
	asJSON := fs.Bool("json", false, "print JSON")
	var name, expires string
	var all, readOnly bool
	var props, ips stringList
	var grace int
	if sub == "create" {
		fs.StringVar(&name, "name", "", "the key's name (required)")
		fs.BoolVar(&all, "all", false, "give the key access to all your properties, including ones made later")
		fs.Var(&props, "property", "a property `ID` the key may reach (repeat for several)")
		fs.StringVar(&expires, "expires", "", "when the key stops working, RFC 3339 (`TIME`, e.g. 2027-01-31T00:00:00Z)")
		fs.BoolVar(&readOnly, "read-only", false, "let the key only read (GET)")
		fs.Var(&ips, "ip", "an `ADDRESS` or CIDR the key may be used from (repeat for several; none: any)")
	}
	if sub == "roll" {
		fs.IntVar(&grace, "grace", 0, "`SECONDS` the old secret keeps working (0 to 604800)")
	}
	pos, err := parseInterspersed(fs, args[1:])
	if err != nil {
		return err
	}
	var id string
	needID := sub == "show" || sub == "withdraw" || sub == "roll"
	switch {
	case needID && (len(pos) != 1 || pos[0] == ""):
		return fmt.Errorf("usage: keycard key %s ID", sub)
	case !needID && len(pos) > 0:
		return fmt.Errorf("unexpected argument %q", pos[0])
	case needID:
		id = pos[0]
	}
	c, err := loggedIn(getenv)
	if err != nil {
		return err
	}

	var keys []*client.APIKey
	switch sub {
	case "create":
		var expiresAt time.Time
		if expires != "" {
			if expiresAt, err = time.Parse(time.RFC3339, expires); err != nil {
				return fmt.Errorf("--expires %q: want an RFC 3339 time, e.g. 2027-01-31T00:00:00Z", expires)
			}
		}
		k, err := c.CreateAPIKey(ctx, client.NewAPIKey{Name: name, AccessAllProperties: all, PropertyIDs: props,
			ExpiresAt: expiresAt, ReadOnly: readOnly, IPAllowlist: ips})
		if err != nil {
			return err
		}
		if *asJSON {
			return json.NewEncoder(stdout).Encode(k)
		}
		fmt.Fprintf(stdout, "%s\n\nThis is your new API key %q. Copy it now and keep it safe: it is not shown again.\n"+
			"If you lose it, make a new one and withdraw this one.\n", k.Key, k.Name)
		return nil
	case "list":
		for k, err := range c.APIKeys(ctx, client.ListOptions{Limit: 100}) {
			if err != nil {
				return err
			}
			keys = append(keys, k)
		}
	case "roll":
		k, err := c.RollAPIKey(ctx, id, grace)
		if err != nil {
			return err
		}
		if *asJSON {
			return json.NewEncoder(stdout).Encode(k)
		}
		old := "The old secret stopped working at once."
		if k.PreviousKeyExpiresAt != nil {
			old = "The old secret keeps working until " + utc(*k.PreviousKeyExpiresAt) + " UTC: replace it before then."
		}
		fmt.Fprintf(stdout, "%s\n\nThis is the new secret of API key %q. Copy it now and keep it safe: it is not shown again.\n%s\n", k.Key, k.Name, old)
		return nil
	case "show":
		k, err := c.APIKey(ctx, id)
		if err != nil {
			return err
		}
		keys = append(keys, k)
	case "withdraw":
		k, err := c.WithdrawAPIKey(ctx, id)
		if err != nil {
			return err
		}
		keys = append(keys, k)
	default:
		fmt.Fprint(stdout, keyUsage)
		return fmt.Errorf("unknown key command %q", sub)
	}
	if *asJSON {
		if sub == "list" {
			if keys == nil {
				keys = []*client.APIKey{}
			}
			return json.NewEncoder(stdout).Encode(keys)
		}
		return json.NewEncoder(stdout).Encode(keys[0])
	}
	printKeys(stdout, keys)
	return nil
}

// parseInterspersed parses flags that may come before or after the
// positional arguments, as in "key withdraw ID --json", and returns the
// positional ones. The flag package alone stops at the first of them.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// loggedIn returns a client with the session "keycard login" kept.
func loggedIn(getenv func(string) string) (*client.Client, error) {
	path, err := credentialsPath(getenv)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, errors.New(`not signed in: run "keycard login --server URL" first`)
	}
	if err != nil {
		return nil, err
	}
	var cr credentials
	if err := json.Unmarshal(b, &cr); err != nil || cr.Token == "" {
		return nil, fmt.Errorf(`%s is damaged: run "keycard login" again`, path)
	}
	return client.New(cr.Server, client.WithToken(cr.Token)), nil
}

func printKeys(w io.Writer, keys []*client.APIKey) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tSTATUS\tACCESS\tKEY\tLAST USED\tCREATED")
	for _, k := range keys {
		access := "all properties"
		if !k.AccessAllProperties {
			access = fmt.Sprintf("%d properties", len(k.PropertyIDs))
		}
		last := "never"
		if k.LastUsedAt != nil {
			last = utc(*k.LastUsedAt)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Name, k.Status, access, k.KeyHint, last, utc(k.CreatedAt))
	}
	tw.Flush()
}

// utc writes a time of the API for a person: UTC, to the second.
func utc(t time.Time) string { return t.UTC().Format(time.DateTime) }

// stringList is a flag that may be repeated.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

const auditUsage = `usage: keycard audit [--key ID] [--event NAME] [--json]

Prints the audit log, newest first, from the server you signed in to with
"keycard login": key events (created, changed, rolled, withdrawn, expired,
first used, refused uses) and sign-ins. The billing owner sees the whole
organisation's; other users the events of their own keys and sign-ins.
`

// auditCmd prints the audit log through the API.
func auditCmd(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := newFlagSet("audit", stdout)
	fs.Usage = func() { fmt.Fprint(stdout, auditUsage) }
	asJSON := fs.Bool("json", false, "print JSON")
	key := fs.String("key", "", "only the events of the key with this `ID`")
	event := fs.String("event", "", "only events of this `NAME`, e.g. api_key.use_refused")
	limit := fs.Int("limit", 100, "print at most `N` events")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	c, err := loggedIn(getenv)
	if err != nil {
		return err
	}
	opts := client.ListOptions{Limit: min(max(*limit, 1), 100), Filters: map[string]string{}}
	if *key != "" {
		opts.Filters["api_key_id"] = *key
	}
	if *event != "" {
		opts.Filters["event"] = *event
	}
	events := []*client.AuditEvent{}
	for e, err := range c.AuditEvents(ctx, opts) {
		if err != nil {
			return err
		}
		events = append(events, e)
		if len(events) >= *limit {
			break
		}
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(events)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tEVENT\tKEY\tACTOR\tIP\tDETAILS")
	for _, e := range events {
		keyID := "-"
		if e.APIKeyID != nil {
			keyID = *e.APIKeyID
		}
		details := ""
		if len(e.Details) > 0 {
			b, _ := json.Marshal(e.Details)
			details = string(b)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s %s\t%s\t%s\n", utc(e.OccurredAt), e.Event, keyID, e.Actor.Type, e.Actor.ID, e.IP, details)
	}
	return tw.Flush()
}
