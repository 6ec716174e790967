package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
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

const loginUsage = `usage: keycard login [--server URL] [--email E]

Signs in to a keycard server and keeps the session (valid 24 hours) for the
key and audit commands. The email is asked for when --email is not given.
The password is typed at a prompt (not echoed), or read from the next line
of standard input, never from a flag (it would stay in the shell's history):

  printf '%s\n' "$PASSWORD" | keycard login --server URL --email E
`

// loginCmd signs in to a server and keeps the session for the key
// commands.
func loginCmd(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout io.Writer) error {
	fs := newFlagSet("login", stdout)
	setUsage(fs, stdout, loginUsage)
	server := fs.String("server", "http://127.0.0.1:8080", "the keycard server's `URL` (env KEYCARD_SERVER)")
	email := fs.String("email", "", "your email; asked for when not given")
	if err := parseFlags(fs, args); err != nil {
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
	password, err := readPassword(in, stdin, stdout, false, "")
	if err != nil {
		return err
	}
	sess, err := client.New(*server).SignIn(ctx, *email, password)
	if client.HasCode(err, client.CodeUnauthorized) {
		return errors.New("wrong email or password")
	}
	if err != nil {
		return cliAPIError(err)
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
	fmt.Fprintf(stdout, "signed in to %s as %s; the session is kept in %s until %s\n", *server, *email, path, when(sess.ExpiresAt))
	return nil
}

// logoutCmd deletes the credentials login kept.
func logoutCmd(args []string, getenv func(string) string, stdout io.Writer) error {
	fs := newFlagSet("logout", stdout)
	setUsage(fs, stdout, "usage: keycard logout\n\nDeletes the session \"keycard login\" kept on this machine.\n")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	path, err := credentialsPath(getenv)
	if err != nil {
		return err
	}
	var cr credentials
	if b, err := os.ReadFile(path); err == nil {
		json.Unmarshal(b, &cr) // a damaged file is deleted all the same
	}
	err = os.Remove(path)
	if errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(stdout, "not signed in (there is no %s)\n", path)
		return nil
	}
	if err != nil {
		return err
	}
	who := ""
	if cr.Server != "" {
		who = fmt.Sprintf(" of %s as %s", cr.Server, cr.Email)
	}
	fmt.Fprintf(stdout, "signed out%s: deleted %s\n", who, path)
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
  create    --name NAME (--all | --property ID ...)   make a key; its secret is printed this once
  list      list your keys (the billing owner: every key of the organisation)
  show      ID    show one key and all its options, never its secret
  update    ID    change a key's name, properties, expiry, permissions or IP allow-list
  roll      ID    give a key a new secret, printed this once
  withdraw  ID    withdraw a key: it stops working at once, and stays listed
  scan      PATH...  find keys in files (and with --git, in every commit); --report withdraws them

Each but scan takes --json to print JSON instead of text. Run "keycard key COMMAND --help"
for a command's flags.
`

// keyCommands are the synopses of the key commands, for their usage.
var keyCommands = map[string]string{
	"create": "create --name NAME (--all | --property ID ...) [--expires WHEN] [--permissions PERMS | --read-only]\n" +
		"                          [--ip CIDR ...] [--json]",
	"list": "list [--json]",
	"show": "show ID [--json]",
	"update": "update ID [--name NAME] [--all | --property ID ...] [--expires WHEN | --no-expiry]\n" +
		"                          [--permissions PERMS | --read-only | --read-write] [--ip CIDR ... | --no-ip-allowlist] [--json]",
	"roll":     "roll ID [--grace SECONDS] [--json]",
	"withdraw": "withdraw ID [--yes] [--json]",
}

const expiresHelp = "when the key stops working (`WHEN`): a date, 2027-06-30 (valid through that day, UTC), " +
	"a time, 2027-06-30T18:00:00Z, or a duration from now, 30d, 12h or 90m"

// keyCmd manages API keys through the API, with the session "keycard
// login" kept. withdraw asks for confirmation on stdin.
func keyCmd(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 || isHelp(args[0]) {
		fmt.Fprint(stdout, keyUsage)
		if len(args) == 0 {
			return errors.New("no key command given; they are listed above")
		}
		return flag.ErrHelp
	}
	sub := args[0]
	if sub == "scan" {
		return keyScanCmd(ctx, args[1:], getenv, stdout)
	}
	synopsis, ok := keyCommands[sub]
	if !ok {
		fmt.Fprint(stdout, keyUsage)
		return fmt.Errorf("unknown key command %q; the commands are listed above", sub)
	}
	fs := newFlagSet("key "+sub, stdout)
	setUsage(fs, stdout, "usage: keycard key "+synopsis+"\n")
	asJSON := fs.Bool("json", false, "print JSON")
	var name, expires, perms string
	var all, readOnly, readWrite, noExpiry, noIPs, yes bool
	var props, ips stringList
	var grace int
	switch sub {
	case "create", "update":
		fs.StringVar(&name, "name", "", "the key's `NAME`")
		fs.BoolVar(&all, "all", false, "give the key access to all your properties, including ones made later")
		fs.Var(&props, "property", "a property `ID` the key may reach (repeat for several)")
		fs.StringVar(&expires, "expires", "", expiresHelp)
		fs.BoolVar(&readOnly, "read-only", false, "let the key only read (the read_only preset)")
		fs.StringVar(&perms, "permissions", "", permissionsHelp)
		fs.Var(&ips, "ip", "an `ADDRESS` or CIDR the key may be used from (repeat for several; none: any)")
		if sub == "update" {
			fs.BoolVar(&noExpiry, "no-expiry", false, "remove the key's expiry: it works until withdrawn")
			fs.BoolVar(&readWrite, "read-write", false, "let the key write again")
			fs.BoolVar(&noIPs, "no-ip-allowlist", false, "let the key be used from any address")
		}
	case "roll":
		fs.IntVar(&grace, "grace", 0, "`SECONDS` the old secret keeps working (0 to 604800; 0 ends it at once, as for a leaked key)")
	case "withdraw":
		fs.BoolVar(&yes, "yes", false, "withdraw without asking for confirmation")
	}
	pos, err := parseInterspersed(fs, args[1:])
	if err != nil {
		return err
	}
	var id string
	needID := sub != "create" && sub != "list"
	switch {
	case needID && (len(pos) != 1 || pos[0] == ""):
		fs.Usage()
		return fmt.Errorf("key %s: give the key's ID (keycard key list shows them)", sub)
	case !needID && len(pos) > 0:
		return fmt.Errorf("unexpected argument %q", pos[0])
	case needID:
		id = pos[0]
	}
	var expiresAt time.Time
	if expires != "" {
		if expiresAt, err = parseExpiry(expires, time.Now()); err != nil {
			return err
		}
	}
	var permissions *client.Permissions
	if perms != "" {
		if readOnly || readWrite {
			return errors.New("give --permissions or --read-only/--read-write, not both")
		}
		if permissions, err = parsePermissionsFlag(perms); err != nil {
			return err
		}
	}
	var change client.APIKeyChange
	if sub == "update" {
		if change, err = keyChange(fs, name, all, props, expiresAt, noExpiry, readOnly, readWrite, ips, noIPs, permissions); err != nil {
			return err
		}
	}
	if sub == "create" && all && len(props) > 0 {
		return errors.New("give --all or --property, not both")
	}
	c, _, err := loggedIn(getenv)
	if err != nil {
		return err
	}
	var k *client.APIKey
	switch sub {
	case "create":
		k, err = c.CreateAPIKey(ctx, client.NewAPIKey{Name: name, AccessAllProperties: all, PropertyIDs: props,
			ExpiresAt: expiresAt, ReadOnly: readOnly, Permissions: permissions, IPAllowlist: ips})
		if err != nil {
			return cliAPIError(err)
		}
		if *asJSON {
			return json.NewEncoder(stdout).Encode(k)
		}
		fmt.Fprintf(stdout, "%s\n\nThis is your new API key %q. Copy it now and keep it safe: it is not shown again.\n"+
			"If you lose it, make a new one and withdraw this one.\n", k.Key, k.Name)
		return nil
	case "list":
		keys := []*client.APIKey{}
		for k, err := range c.APIKeys(ctx, client.ListOptions{Limit: 100}) {
			if err != nil {
				return cliAPIError(err)
			}
			keys = append(keys, k)
		}
		if *asJSON {
			return json.NewEncoder(stdout).Encode(keys)
		}
		printKeys(stdout, keys)
		return nil
	case "roll":
		k, err = c.RollAPIKey(ctx, id, grace)
		if err != nil {
			return cliAPIError(err)
		}
		if *asJSON {
			return json.NewEncoder(stdout).Encode(k)
		}
		old := "The old secret stopped working at once."
		if k.PreviousKeyExpiresAt != nil {
			old = "The old secret keeps working until " + when(*k.PreviousKeyExpiresAt) + ": replace it before then."
		}
		fmt.Fprintf(stdout, "%s\n\nThis is the new secret of API key %q. Copy it now and keep it safe: it is not shown again.\n%s\n", k.Key, k.Name, old)
		return nil
	case "show":
		k, err = c.APIKey(ctx, id)
	case "update":
		k, err = c.UpdateAPIKey(ctx, id, change)
	case "withdraw":
		if !yes {
			if k, err = c.APIKey(ctx, id); err != nil {
				return cliAPIError(err)
			}
			if err := confirm(stdin, stdout, fmt.Sprintf("Withdraw key '%s' (%s)? It stops working at once and cannot be restored. [y/N] ", k.Name, k.KeyHint)); err != nil {
				return fmt.Errorf("key %s is not withdrawn: %w", id, err)
			}
		}
		k, err = c.WithdrawAPIKey(ctx, id)
	}
	if err != nil {
		return cliAPIError(err)
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(k)
	}
	if sub == "withdraw" {
		fmt.Fprintf(stdout, "Key '%s' (%s) is withdrawn: it stopped working, and stays listed.\n\n", k.Name, k.KeyHint)
	}
	printKey(ctx, stdout, c, k)
	return nil
}

// keyChange builds the change "key update" asks for from its flags.
func keyChange(fs *flag.FlagSet, name string, all bool, props []string, expiresAt time.Time, noExpiry, readOnly, readWrite bool, ips []string, noIPs bool,
	perms *client.Permissions) (client.APIKeyChange, error) {
	ch := client.APIKeyChange{Permissions: perms}
	for _, pair := range [][2]string{{"all", "property"}, {"expires", "no-expiry"}, {"read-only", "read-write"}, {"ip", "no-ip-allowlist"}} {
		if flagSet(fs, pair[0]) && flagSet(fs, pair[1]) {
			return ch, fmt.Errorf("give --%s or --%s, not both", pair[0], pair[1])
		}
	}
	if flagSet(fs, "name") {
		ch.Name = &name
	}
	switch {
	case all:
		ch.AccessAllProperties = &all
	case len(props) > 0:
		restricted := false
		ids := []string(props)
		ch.AccessAllProperties, ch.PropertyIDs = &restricted, &ids
	}
	switch {
	case !expiresAt.IsZero():
		ch.ExpiresAt = &expiresAt
	case noExpiry:
		ch.NoExpiry = true
	}
	switch {
	case readOnly:
		ch.ReadOnly = &readOnly
	case readWrite:
		rw := false
		ch.ReadOnly = &rw
	}
	switch {
	case len(ips) > 0:
		list := []string(ips)
		ch.IPAllowlist = &list
	case noIPs:
		ch.IPAllowlist = &[]string{}
	}
	if ch == (client.APIKeyChange{}) {
		fs.Usage()
		return ch, errors.New("key update: nothing to change; give at least one of the flags above")
	}
	return ch, nil
}

// parseExpiry reads --expires: an RFC 3339 time; a date, meaning the key
// works through that day, UTC (it stops at 00:00 UTC of the next day); or
// a duration from now in days, hours or minutes (30d, 12h, 90m, 1d12h).
func parseExpiry(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if d, err := time.Parse(time.DateOnly, s); err == nil {
		return d.AddDate(0, 0, 1), nil
	}
	if d, ok := parseDays(s); ok && d > 0 {
		return now.Add(d).UTC().Truncate(time.Second), nil
	}
	return time.Time{}, fmt.Errorf("--expires %q: give a date (2027-06-30: valid through that day, UTC), a time (2027-06-30T18:00:00Z) or a duration from now (30d, 12h, 90m)", s)
}

// parseDays reads a duration that may start with days: 30d, 1d12h, 12h,
// 90m.
func parseDays(s string) (time.Duration, bool) {
	var days time.Duration
	if i := strings.IndexByte(s, 'd'); i > 0 {
		n, err := strconv.Atoi(s[:i])
		if err != nil || n < 0 || n > 100_000 {
			return 0, false
		}
		days, s = time.Duration(n)*24*time.Hour, s[i+1:]
		if s == "" {
			return days, true
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, false
	}
	return days + d, true
}

// confirm prints question and reads the answer from the next line of
// stdin; only "y" or "yes" agrees. No line at all is no, with a hint.
func confirm(stdin io.Reader, stdout io.Writer, question string) error {
	fmt.Fprint(stdout, question)
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read the answer: %w", err)
	}
	if line == "" {
		fmt.Fprintln(stdout)
		return errors.New("no answer on standard input (give --yes to go ahead without asking)")
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return nil
	}
	return errors.New("not confirmed")
}

// parseInterspersed parses flags that may come before or after the
// positional arguments, as in "key withdraw ID --json", and returns the
// positional ones. The flag package alone stops at the first of them.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := parseFlags(fs, args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// loggedIn returns a client with the session "keycard login" kept, and
// the credentials.
func loggedIn(getenv func(string) string) (*client.Client, credentials, error) {
	path, err := credentialsPath(getenv)
	if err != nil {
		return nil, credentials{}, err
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, credentials{}, errors.New(`not signed in: run "keycard login --server URL" first`)
	}
	if err != nil {
		return nil, credentials{}, err
	}
	var cr credentials
	if err := json.Unmarshal(b, &cr); err != nil || cr.Token == "" {
		return nil, credentials{}, fmt.Errorf(`%s is damaged: run "keycard login" again`, path)
	}
	return client.New(cr.Server, client.WithToken(cr.Token)), cr, nil
}

func printKeys(w io.Writer, keys []*client.APIKey) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tSTATUS\tACCESS\tKEY\tLAST USED\tCREATED")
	for _, k := range keys {
		access := "all properties"
		if !k.AccessAllProperties {
			access = properties(len(k.PropertyIDs))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Name, k.Status, access, k.KeyHint, orNever(k.LastUsedAt), when(k.CreatedAt))
	}
	tw.Flush()
}

// printKey prints one key with every option, its properties by name.
func printKey(ctx context.Context, w io.Writer, c *client.Client, k *client.APIKey) {
	access := "all properties, including ones made later"
	if !k.AccessAllProperties {
		titles := map[string]string{}
		if len(k.PropertyIDs) > 0 {
			for p, err := range c.Properties(ctx, client.ListOptions{Limit: 100}) {
				if err != nil {
					break // the ids alone are still true
				}
				titles[p.ID] = p.Title
			}
		}
		var names []string
		for _, id := range k.PropertyIDs {
			if t := titles[id]; t != "" {
				names = append(names, fmt.Sprintf("%s (%s)", t, id))
			} else {
				names = append(names, id)
			}
		}
		access = properties(len(k.PropertyIDs))
		if len(names) > 0 {
			access += ": " + strings.Join(names, ", ")
		}
	}
	perms := describePermissions(k)
	ips := "any address"
	if len(k.IPAllowlist) > 0 {
		ips = strings.Join(k.IPAllowlist, ", ")
	}
	rows := [][2]string{
		{"ID", k.ID}, {"Name", k.Name}, {"Status", k.Status}, {"Key", k.KeyHint}, {"Made by", k.UserEmail},
		{"Access", access}, {"Permissions", perms}, {"IP allow-list", ips},
		{"Expires", orNever(k.ExpiresAt)}, {"Last used", orNever(k.LastUsedAt)}, {"Created", when(k.CreatedAt)},
	}
	if k.PreviousKeyExpiresAt != nil {
		rows = append(rows, [2]string{"Old secret works until", when(*k.PreviousKeyExpiresAt)})
	}
	if k.WithdrawnAt != nil {
		rows = append(rows, [2]string{"Withdrawn", when(*k.WithdrawnAt)})
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, r := range rows {
		fmt.Fprintf(tw, "%s:\t%s\n", r[0], r[1])
	}
	tw.Flush()
}

// properties says "1 property", "2 properties".
func properties(n int) string {
	if n == 1 {
		return "1 property"
	}
	return fmt.Sprintf("%d properties", n)
}

// orNever returns the time t points to, or "never".
func orNever(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "never"
	}
	return when(*t)
}

// when writes a time for a person, in UTC.
func when(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }

// stringList is a flag that may be repeated.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

const auditUsage = `usage: keycard audit [--key ID] [--event NAME] [--limit N | --all] [--json]

Prints the audit log, newest first, from the server you signed in to with
"keycard login": key events (created, changed, rolled, withdrawn, expired,
first used, refused uses) and sign-ins, with keys and users by name. The
billing owner sees the whole organisation's; other users the events of
their own keys and sign-ins.
`

// maxAuditLimit bounds --limit; --all has no bound.
const maxAuditLimit = 1000

// auditCmd prints the audit log through the API.
func auditCmd(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := newFlagSet("audit", stdout)
	setUsage(fs, stdout, auditUsage)
	asJSON := fs.Bool("json", false, "print JSON (ids, not names)")
	key := fs.String("key", "", "only the events of the key with this `ID`")
	event := fs.String("event", "", "only events of this `NAME`, e.g. api_key.use_refused")
	limit := fs.Int("limit", 100, "print at most `N` events (1 to 1000), read 100 at a time")
	all := fs.Bool("all", false, "print every event")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *limit < 1 || *limit > maxAuditLimit {
		return fmt.Errorf("--limit must be between 1 and %d (or give --all), not %d", maxAuditLimit, *limit)
	}
	if *all && flagSet(fs, "limit") {
		return errors.New("give --limit or --all, not both")
	}
	c, cr, err := loggedIn(getenv)
	if err != nil {
		return err
	}
	opts := client.ListOptions{Limit: 100, Filters: map[string]string{}}
	if *key != "" {
		opts.Filters["api_key_id"] = *key
	}
	if *event != "" {
		opts.Filters["event"] = *event
	}
	events := []*client.AuditEvent{}
	for e, err := range c.AuditEvents(ctx, opts) {
		if err != nil {
			return cliAPIError(err)
		}
		events = append(events, e)
		if !*all && len(events) >= *limit {
			break
		}
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(events)
	}
	n := auditNames(ctx, c, cr)
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tEVENT\tKEY\tUSER\tACTOR\tIP\tDETAILS")
	for _, e := range events {
		keyName := "-"
		if e.APIKeyID != nil {
			keyName = n.key(*e.APIKeyID)
		}
		user := "-"
		if e.UserID != nil {
			user = n.user(*e.UserID)
		}
		actor := e.Actor.Type
		switch e.Actor.Type {
		case "user":
			actor = n.user(e.Actor.ID)
		case "api_key":
			actor = "key " + n.key(e.Actor.ID)
		}
		details := ""
		if len(e.Details) > 0 {
			b, _ := json.Marshal(e.Details)
			details = string(b)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", when(e.OccurredAt), e.Event, keyName, user, actor, e.IP, details)
	}
	return tw.Flush()
}

// names maps the ids of keys and users to their names, for the audit log.
type names struct{ keys, users map[string]string }

func (n names) key(id string) string {
	if name := n.keys[id]; name != "" {
		return fmt.Sprintf("%q", name)
	}
	return id
}

func (n names) user(id string) string {
	if email := n.users[id]; email != "" {
		return email
	}
	return id
}

// auditNames finds the names of the keys and users the signed-in user
// can see: keys (and their makers) from the key list, other users from
// the property and group memberships. It is best effort: an id it cannot
// name is printed as it is.
func auditNames(ctx context.Context, c *client.Client, cr credentials) names {
	n := names{keys: map[string]string{}, users: map[string]string{}}
	for k, err := range c.APIKeys(ctx, client.ListOptions{Limit: 100}) {
		if err != nil {
			break
		}
		n.keys[k.ID] = k.Name
	}
	// The Go client's types leave out a key's user_id and a membership's
	// user, so these two lists are read as plain JSON.
	rawList(ctx, cr, "/api/v1/api_keys", func(attrs, _ json.RawMessage) {
		var a struct {
			UserID    string `json:"user_id"`
			UserEmail string `json:"user_email"`
		}
		if json.Unmarshal(attrs, &a) == nil && a.UserID != "" {
			n.users[a.UserID] = a.UserEmail
		}
	})
	for _, path := range []string{"/api/v1/property_users", "/api/v1/group_users"} {
		rawList(ctx, cr, path, func(_, rels json.RawMessage) {
			var r struct {
				User struct {
					Data struct {
						ID    string `json:"id"`
						Email string `json:"email"`
					} `json:"data"`
				} `json:"user"`
			}
			if json.Unmarshal(rels, &r) == nil && r.User.Data.ID != "" {
				n.users[r.User.Data.ID] = r.User.Data.Email
			}
		})
	}
	return n
}

// rawList calls each with the attributes and relationships of every item
// of the list at path, page by page, with the session in cr. It stops
// quietly at the first error: its callers only add names.
func rawList(ctx context.Context, cr credentials, path string, each func(attrs, rels json.RawMessage)) {
	hc := &http.Client{Timeout: 30 * time.Second}
	for page, seen := 1, 0; page <= 100; page++ {
		q := url.Values{"pagination[page]": {strconv.Itoa(page)}, "pagination[limit]": {"100"}}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, cr.Server+path+"?"+q.Encode(), nil)
		if err != nil {
			return
		}
		req.Header.Set("Authorization", "Bearer "+cr.Token)
		resp, err := hc.Do(req)
		if err != nil {
			return
		}
		var body struct {
			Data []struct {
				Attributes    json.RawMessage `json:"attributes"`
				Relationships json.RawMessage `json:"relationships"`
			} `json:"data"`
			Meta struct {
				Total int `json:"total"`
			} `json:"meta"`
		}
		err = json.NewDecoder(io.LimitReader(resp.Body, 16<<20)).Decode(&body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			return
		}
		for _, it := range body.Data {
			each(it.Attributes, it.Relationships)
		}
		seen += len(body.Data)
		if len(body.Data) == 0 || seen >= body.Meta.Total {
			return
		}
	}
}
