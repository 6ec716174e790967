package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/storetest"
)

// TestOrgAndUserList prints the operator's tables and their JSON.
func TestOrgAndUserList(t *testing.T) {
	getenv := env(map[string]string{"KEYCARD_DB": filepath.Join(t.TempDir(), "keycard.db")})
	migrateDB(t, getenv)
	if out, err := cli(t, getenv, "org", "list"); err != nil || strings.Count(out, "\n") != 1 || !strings.HasPrefix(out, "ID") {
		t.Errorf("org list of an empty database: %v, %q; want the header only", err, out)
	}
	var orgIDs []string
	for _, email := range []string{"ana@hotel.example", "bo@hotel.example"} {
		out, err := cli(t, getenv, "user", "create", "--email", email, "--password", "password1", "--json")
		var ids map[string]string
		if err != nil || json.Unmarshal([]byte(out), &ids) != nil {
			t.Fatalf("user create: %v", err)
		}
		orgIDs = append(orgIDs, ids["organization_id"])
	}
	if _, err := cli(t, getenv, "org", "subscription", "--org", orgIDs[1], "--status", "active"); err != nil {
		t.Fatal(err)
	}

	out, err := cli(t, getenv, "org", "list")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || strings.Join(strings.Fields(lines[0]), " ") != "ID NAME OWNER SUBSCRIPTION USERS CREATED" {
		t.Fatalf("org list:\n%s\nwant a header and two rows", out)
	}
	for i, want := range [][]string{{orgIDs[0], "ana@hotel.example", "inactive"}, {orgIDs[1], "bo@hotel.example", "active"}} {
		for _, w := range want {
			if !strings.Contains(lines[i+1], w) {
				t.Errorf("org list row %d: %q lacks %q", i+1, lines[i+1], w)
			}
		}
	}
	out, err = cli(t, getenv, "org", "list", "--json")
	var orgs []map[string]any
	if err != nil || json.Unmarshal([]byte(out), &orgs) != nil || len(orgs) != 2 || orgs[1]["owner_email"] != "bo@hotel.example" ||
		orgs[1]["subscription_status"] != "active" || orgs[0]["users"] != float64(1) {
		t.Errorf("org list --json: %v %s", err, out)
	}

	out, err = cli(t, getenv, "user", "list")
	lines = strings.Split(strings.TrimSpace(out), "\n")
	if err != nil || len(lines) != 3 || strings.Join(strings.Fields(lines[0]), " ") != "ID EMAIL NAME ORGANISATION OWNER SUBSCRIPTION CREATED" ||
		!strings.Contains(lines[1], "ana@hotel.example") || !strings.Contains(lines[2], "bo@hotel.example") || !strings.Contains(lines[2], "yes") {
		t.Errorf("user list: %v\n%s", err, out)
	}
	out, err = cli(t, getenv, "user", "list", "--json")
	var users []map[string]any
	if err != nil || json.Unmarshal([]byte(out), &users) != nil || len(users) != 2 || users[0]["email"] != "ana@hotel.example" ||
		users[0]["owner"] != true || users[0]["organization_id"] != orgIDs[0] {
		t.Errorf("user list --json: %v %s", err, out)
	}
}

// TestRestoreCommand restores a backup: it refuses what is not a keycard
// database, a database a server holds, and (without --force) one that
// holds data; it brings the photo files back; and the restored database
// is the backup's, whatever was written after it.
func TestRestoreCommand(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := filepath.Join(dir, "live", "keycard.db")
	os.Mkdir(filepath.Dir(db), 0o700)
	getenv := env(map[string]string{"KEYCARD_DB": db, "KEYCARD_ADDR": "127.0.0.1:0"})
	migrateDB(t, getenv)
	if _, err := cli(t, getenv, "user", "create", "--email", "before@hotel.example", "--password", "password1"); err != nil {
		t.Fatal(err)
	}
	// An uploaded photo, which lives in a file beside the database.
	st, err := store.Open(ctx, store.Config{SQLitePath: db, MustExist: true})
	if err != nil {
		t.Fatal(err)
	}
	u, err := st.UserByEmail(ctx, "before@hotel.example")
	if err != nil {
		t.Fatal(err)
	}
	owner, err := st.UserPrincipal(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	photo, err := st.SavePhotoFile(ctx, owner, "image/png", demoPhoto(), keycard.DefaultPhotoQuota)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	backup := filepath.Join(dir, "backups", "copy.db")
	os.Mkdir(filepath.Dir(backup), 0o700)
	if _, err := cli(t, getenv, "backup", "--to", backup); err != nil {
		t.Fatal(err)
	}
	// Written after the backup: gone once it is restored.
	if _, err := cli(t, getenv, "user", "create", "--email", "after@hotel.example", "--password", "password1"); err != nil {
		t.Fatal(err)
	}
	emails := func(db string) []string {
		t.Helper()
		out, err := cli(t, env(map[string]string{"KEYCARD_DB": db}), "user", "list", "--json")
		var users []struct{ Email string }
		if err != nil || json.Unmarshal([]byte(out), &users) != nil {
			t.Fatalf("user list on %s: %v", db, err)
		}
		var got []string
		for _, u := range users {
			got = append(got, u.Email)
		}
		return got
	}

	notDB := filepath.Join(dir, "notes.db")
	os.WriteFile(notDB, []byte("not a database"), 0o600)
	plain := filepath.Join(dir, "plain.db")
	if pdb, err := sql.Open("sqlite", plain); err != nil {
		t.Fatal(err)
	} else if _, err := pdb.Exec(`CREATE TABLE notes (body TEXT)`); err != nil {
		t.Fatal(err)
	} else {
		pdb.Close()
	}
	fresh := filepath.Join(dir, "fresh", "keycard.db")
	os.Mkdir(filepath.Dir(fresh), 0o700)
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"no --from", []string{"restore", "--db", fresh}, "--from FILE is required"},
		{"not a database", []string{"restore", "--from", notDB, "--db", fresh}, "not a keycard database"},
		{"missing backup", []string{"restore", "--from", filepath.Join(dir, "nope.db"), "--db", fresh}, "no such file"},
		{"an SQLite database of something else", []string{"restore", "--from", plain, "--db", fresh}, "no keycard tables"},
		{"a database with data", []string{"restore", "--from", backup, "--db", db}, "holds a keycard database"},
		{"onto itself", []string{"restore", "--from", backup, "--db", backup, "--force"}, "the same file"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := cli(t, env(nil), tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
	if _, err := os.Stat(fresh); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused restore wrote %s (%v)", fresh, err)
	}
	if got := emails(db); !slices.Equal(got, []string{"before@hotel.example", "after@hotel.example"}) {
		t.Errorf("the refused restore changed the live database: %v", got)
	}

	// A server holds the database: even --force is refused.
	start(t, getenv, "serve")
	if _, err := cli(t, env(nil), "restore", "--from", backup, "--db", db, "--force"); err == nil || !strings.Contains(err.Error(), "stop every keycard server") {
		t.Errorf("restore under a running server: %v, want it refused", err)
	}

	// Into a new place: the database and its photos.
	out, err := cli(t, env(nil), "restore", "--from", backup, "--db", fresh)
	if err != nil || !strings.Contains(out, "restored "+backup+" to "+fresh) || !strings.Contains(out, "copied 1 photo files") {
		t.Fatalf("restore: %v\n%s", err, out)
	}
	if got := emails(fresh); !slices.Equal(got, []string{"before@hotel.example"}) {
		t.Errorf("restored database holds %v, want the backup's one user", got)
	}
	if want, err := os.ReadFile(filepath.Join(filepath.Dir(db), "photos", photo.ID)); err != nil {
		t.Fatal(err)
	} else if got, err := os.ReadFile(filepath.Join(filepath.Dir(fresh), "photos", photo.ID)); err != nil || !bytes.Equal(got, want) {
		t.Errorf("the photo file was not restored: %v", err)
	}
	base, _ := start(t, env(map[string]string{"KEYCARD_DB": fresh, "KEYCARD_ADDR": "127.0.0.1:0"}), "serve")
	if status, _ := call(t, "POST", base+"/api/v1/sign_in", nil, `{"user":{"email":"before@hotel.example","password":"password1"}}`); status != 200 {
		t.Errorf("sign in on the restored database: %d, want 200", status)
	}

	// Over a database with data, stopped, with --force: the backup's
	// state, and no WAL of the old one left to be read as the new one's.
	stopped := filepath.Join(dir, "stopped", "keycard.db")
	os.Mkdir(filepath.Dir(stopped), 0o700)
	sg := env(map[string]string{"KEYCARD_DB": stopped})
	migrateDB(t, sg)
	if _, err := cli(t, sg, "user", "create", "--email", "other@hotel.example", "--password", "password1"); err != nil {
		t.Fatal(err)
	}
	if _, err := cli(t, env(nil), "restore", "--from", backup, "--db", stopped, "--force"); err != nil {
		t.Fatalf("restore --force: %v", err)
	}
	if got := emails(stopped); !slices.Equal(got, []string{"before@hotel.example"}) {
		t.Errorf("after restore --force the database holds %v, want the backup's one user", got)
	}
	if _, err := os.Stat(backup + "-wal"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("restore left a file beside the backup: %v", err)
	}

	if slices.Contains(storetest.Dialects(t), "postgres") {
		pg := storetest.Config(t, "postgres")
		if _, err := cli(t, env(nil), "restore", "--from", backup, "--database-url", pg.PostgresURL); err == nil || !strings.Contains(err.Error(), "pg_restore") {
			t.Errorf("restore to PostgreSQL: %v, want it to point to pg_restore", err)
		}
	}
}
