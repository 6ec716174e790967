package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/keycard/keycard/client"
)

const channelUsage = `usage: keycard channel COMMAND [flags]

Commands (on the server "keycard login" signed in to):
  list [--property ID] [--active] [--json]   list your channels: state, last push, last error
  test ID [--json]                           ask a channel whether it accepts the connection
  sync ID                                    queue a full sync of an active channel
`

var channelCommands = map[string]string{
	"list": "channel list [--property ID] [--active] [--json]",
	"test": "channel test ID [--json]",
	"sync": "channel sync ID",
}

// channelCmd runs "keycard channel ...": the channels of the properties
// the signed-in user reaches, through the API.
func channelCmd(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) == 0 || isHelp(args[0]) {
		fmt.Fprint(stdout, channelUsage)
		if len(args) == 0 {
			return errors.New("no channel command given; they are listed above")
		}
		return flag.ErrHelp
	}
	sub := args[0]
	synopsis, ok := channelCommands[sub]
	if !ok {
		fmt.Fprint(stdout, channelUsage)
		return fmt.Errorf("unknown channel command %q; the commands are listed above", sub)
	}
	fs := newFlagSet("channel "+sub, stdout)
	setUsage(fs, stdout, "usage: keycard "+synopsis+"\n")
	asJSON := fs.Bool("json", false, "print JSON")
	var property string
	var active bool
	if sub == "list" {
		fs.StringVar(&property, "property", "", "only the channels of the property `ID`")
		fs.BoolVar(&active, "active", false, "only the active channels")
	}
	pos, err := parseInterspersed(fs, args[1:])
	if err != nil {
		return err
	}
	var id string
	switch {
	case sub != "list" && (len(pos) != 1 || pos[0] == ""):
		fs.Usage()
		return fmt.Errorf("channel %s: give the channel's ID (keycard channel list shows them)", sub)
	case sub == "list" && len(pos) > 0:
		return fmt.Errorf("unexpected argument %q", pos[0])
	case sub != "list":
		id = pos[0]
	}
	c, _, err := loggedIn(getenv)
	if err != nil {
		return err
	}
	switch sub {
	case "list":
		opts := client.ListOptions{Limit: 100, Filters: map[string]string{}}
		if property != "" {
			opts.Filters["property_id"] = property
		}
		if active {
			opts.Filters["is_active"] = "true"
		}
		var list []*client.Channel
		for ch, err := range c.Channels(ctx, opts) {
			if err != nil {
				return err
			}
			list = append(list, ch)
		}
		if *asJSON {
			return printJSON(stdout, list)
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tTITLE\tSTATE\tMAPPINGS\tLAST PUSH\tLAST ERROR")
		for _, ch := range list {
			state, last, lastErr := "inactive", "never", "-"
			if ch.IsActive {
				state = "active"
			}
			if !ch.LastPushAt.IsZero() {
				last = when(ch.LastPushAt)
			}
			if ch.LastError != "" {
				lastErr = ch.LastError
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", ch.ID, ch.Title, state, len(ch.RatePlans), last, lastErr)
		}
		return tw.Flush()
	case "test":
		res, err := c.TestSavedChannel(ctx, id)
		if err != nil {
			return err
		}
		if *asJSON {
			return printJSON(stdout, res)
		}
		if !res.Success {
			return fmt.Errorf("the channel refused the connection: %s", res.Errors)
		}
		fmt.Fprintln(stdout, "The channel accepts the connection.")
		return nil
	default: // sync
		if err := c.FullSyncChannel(ctx, id); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "Full sync queued: every mapped rate plan over the push horizon.")
		return nil
	}
}

func printJSON(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	fmt.Fprintln(w, string(b))
	return nil
}
