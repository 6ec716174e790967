package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"
)

// orgListCmd prints every organisation, for the operator.
func orgListCmd(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	var asJSON bool
	st, err := openForCLI(ctx, "org list", args, getenv, stdout, func(fs flagAdder) {
		withUsage(fs, stdout, "usage: keycard org list [--json] [--db FILE | --database-url URL]\n\nLists every organisation: id, name, billing owner, subscription, users, created.\n")
		fs.BoolVar(&asJSON, "json", false, "print JSON")
	})
	if err != nil {
		return err
	}
	defer st.Close()
	orgs, err := st.ListOrganizations(ctx)
	if err != nil {
		return err
	}
	if asJSON {
		type org struct {
			ID                 string `json:"id"`
			Name               string `json:"name"`
			OwnerUserID        string `json:"owner_user_id"`
			OwnerEmail         string `json:"owner_email"`
			SubscriptionStatus string `json:"subscription_status"`
			Users              int    `json:"users"`
			CreatedAt          string `json:"created_at"`
		}
		out := make([]org, 0, len(orgs))
		for _, o := range orgs {
			out = append(out, org{o.ID, o.Name, o.OwnerUserID, o.OwnerEmail, o.SubscriptionStatus, o.Users, o.CreatedAt.Format(time.RFC3339)})
		}
		return json.NewEncoder(stdout).Encode(out)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tOWNER\tSUBSCRIPTION\tUSERS\tCREATED")
	for _, o := range orgs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", o.ID, o.Name, o.OwnerEmail, o.SubscriptionStatus, o.Users, o.CreatedAt.Format(time.RFC3339))
	}
	return tw.Flush()
}

// userListCmd prints every user, for the operator.
func userListCmd(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	var asJSON bool
	st, err := openForCLI(ctx, "user list", args, getenv, stdout, func(fs flagAdder) {
		withUsage(fs, stdout, "usage: keycard user list [--json] [--db FILE | --database-url URL]\n\nLists every user: id, email, name, organisation, whether its billing owner, subscription, created.\n")
		fs.BoolVar(&asJSON, "json", false, "print JSON")
	})
	if err != nil {
		return err
	}
	defer st.Close()
	users, err := st.ListUsers(ctx)
	if err != nil {
		return err
	}
	if asJSON {
		type user struct {
			ID                 string `json:"id"`
			Email              string `json:"email"`
			Name               string `json:"name"`
			OrganizationID     string `json:"organization_id"`
			OrganizationName   string `json:"organization_name"`
			Owner              bool   `json:"owner"`
			SubscriptionStatus string `json:"subscription_status"`
			CreatedAt          string `json:"created_at"`
		}
		out := make([]user, 0, len(users))
		for _, u := range users {
			out = append(out, user{u.ID, u.Email, u.Name, u.OrganizationID, u.OrganizationName, u.Owner, u.SubscriptionStatus, u.CreatedAt.Format(time.RFC3339)})
		}
		return json.NewEncoder(stdout).Encode(out)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tEMAIL\tNAME\tORGANISATION\tOWNER\tSUBSCRIPTION\tCREATED")
	for _, u := range users {
		owner := "no"
		if u.Owner {
			owner = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", u.ID, u.Email, u.Name, u.OrganizationID, owner, u.SubscriptionStatus, u.CreatedAt.Format(time.RFC3339))
	}
	return tw.Flush()
}

// withUsage gives the flag set behind fs (from parseConfig) the usage
// text head.
func withUsage(fs flagAdder, stdout io.Writer, head string) {
	if f, ok := fs.(*flag.FlagSet); ok {
		setUsage(f, stdout, head)
	}
}

// errRestorePostgres points PostgreSQL users to PostgreSQL's own tools.
var errRestorePostgres = errors.New("keycard restores SQLite only; restore PostgreSQL with pg_restore (a pg_dump archive) or psql (a plain SQL dump), or your provider's point-in-time recovery")

const restoreUsage = `usage: keycard restore --from FILE [--db FILE] [--force]

Puts a copy made by "keycard backup" in place of the SQLite database at --db,
and copies the photos directory beside FILE to the one beside --db. Stop the
servers first: a database a server has open is never replaced, and one that
holds data is replaced only with --force. FILE must be a keycard database;
it is only read. PostgreSQL: use pg_restore or psql.
`

// restoreCmd puts a backup made by "keycard backup" in place of the
// SQLite database, with its photo files. It never replaces a database a
// server holds open, and replaces an existing database only with --force.
func restoreCmd(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	var from string
	var force bool
	cfg, err := parseConfig("restore", args, getenv, stdout, "keycard.db", false, func(fs flagAdder) {
		withUsage(fs, stdout, restoreUsage)
		fs.StringVar(&from, "from", "", "the backup `file` to restore, as keycard backup wrote it (required)")
		fs.BoolVar(&force, "force", false, "replace the database at --db, which holds data (back it up first)")
	})
	if err != nil {
		return err
	}
	if cfg.DatabaseURL != "" {
		return errRestorePostgres
	}
	if from == "" {
		return errors.New("restore: --from FILE is required")
	}
	to := cfg.DBPath
	if err := checkKeycardDB(ctx, from); err != nil {
		return fmt.Errorf("restore: %s: %w; nothing was changed", from, err)
	}
	if same, _ := sameFile(from, to); same {
		return fmt.Errorf("restore: --from and --db are the same file, %s", to)
	}
	if fi, err := os.Stat(to); err == nil && fi.Size() > 0 {
		what := "is not a keycard database"
		if checkKeycardDB(ctx, to) == nil {
			what = "holds a keycard database"
			// Even --force never pulls a database from under a server.
			if err := checkNotHeld(ctx, to); err != nil {
				return fmt.Errorf("restore: %s: %w; stop every keycard server using it first", to, err)
			}
		}
		if !force {
			return fmt.Errorf("restore: %s %s, which a restore would replace; give --force to replace it (back it up first with keycard backup)", to, what)
		}
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("restore: %w", err)
	}
	if err := copyDatabase(ctx, from, to); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	fmt.Fprintf(stdout, "restored %s to %s\n", from, to)
	photosFrom, photosTo := filepath.Join(filepath.Dir(from), "photos"), filepath.Join(filepath.Dir(to), "photos")
	n, err := copyPhotos(photosFrom, photosTo)
	if err != nil {
		return fmt.Errorf("restore: the database is restored, but not every photo file of %s: %w", photosFrom, err)
	}
	if n > 0 {
		fmt.Fprintf(stdout, "copied %d photo files from %s to %s\n", n, photosFrom, photosTo)
	}
	fmt.Fprintln(stdout, "start keycard serve on it; keep the same --webhook-key-file, or the webhooks' secrets do not open")
	return nil
}

// checkKeycardDB reports why file is not a keycard SQLite database, or
// returns nil. It opens the file read-only and leaves it untouched.
func checkKeycardDB(ctx context.Context, file string) error {
	fi, err := os.Stat(file)
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() || fi.Size() == 0 {
		return errors.New("not a keycard database (not an SQLite file)")
	}
	db, err := sql.Open("sqlite", "file:"+file+"?mode=ro")
	if err != nil {
		return err
	}
	defer db.Close()
	var n int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil || n == 0 {
		return errors.New("not a keycard database (it has no keycard tables)")
	}
	return nil
}

// checkNotHeld returns an error when a process has the SQLite database
// open: a server keeps its connections open, each holding a shared lock,
// so an exclusive lock, asked for without waiting, is refused.
func checkNotHeld(ctx context.Context, file string) error {
	db, err := sql.Open("sqlite", "file:"+file+"?mode=rw&_pragma=busy_timeout(0)&_pragma=locking_mode(EXCLUSIVE)")
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, `BEGIN EXCLUSIVE; COMMIT`); err != nil {
		return errors.New("a server (or another program) has it open")
	}
	return nil
}

// copyDatabase writes a copy of the database from (opened read-only) next
// to to, then moves it into place, so that to is never half-written. The
// WAL and shared-memory files of the database it replaces are deleted: a
// WAL left beside the new file would be read as its own.
func copyDatabase(ctx context.Context, from, to string) error {
	tmp := filepath.Join(filepath.Dir(to), "."+filepath.Base(to)+".restoring")
	os.Remove(tmp) // left by an interrupted restore
	db, err := sql.Open("sqlite", "file:"+from+"?mode=ro")
	if err != nil {
		return err
	}
	_, err = db.ExecContext(ctx, `VACUUM INTO ?`, tmp)
	db.Close()
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("copy %s: %w", from, err)
	}
	for _, f := range []string{to + "-wal", to + "-shm"} {
		if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
			os.Remove(tmp)
			return err
		}
	}
	if err := os.Rename(tmp, to); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// copyPhotos copies the files of the photos directory dir to the
// directory to, but those it already holds (a photo file never changes
// under its name). It returns how many it copied.
func copyPhotos(dir, to string) (int, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil // the backup had no uploads
	}
	if err != nil {
		return 0, err
	}
	if same, _ := sameFile(dir, to); same {
		return 0, nil
	}
	if err := os.MkdirAll(to, 0o755); err != nil {
		return 0, err
	}
	n := 0
	for _, e := range entries {
		if !e.Type().IsRegular() || e.Name()[0] == '.' {
			continue
		}
		dst := filepath.Join(to, e.Name())
		if _, err := os.Stat(dst); err == nil {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return n, err
		}
		tmp := filepath.Join(to, ".restoring-"+e.Name())
		if err := os.WriteFile(tmp, data, 0o644); err != nil {
			return n, err
		}
		if err := os.Rename(tmp, dst); err != nil {
			os.Remove(tmp)
			return n, err
		}
		n++
	}
	return n, nil
}

// sameFile reports whether a and b name one existing file.
func sameFile(a, b string) (bool, error) {
	fa, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	fb, err := os.Stat(b)
	if err != nil {
		return false, err
	}
	return os.SameFile(fa, fb), nil
}
