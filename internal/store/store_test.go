package store_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/storetest"
)

// TestMigrationsMatch checks that both dialects have the same numbered
// migrations, so that neither database falls behind the other.
func TestMigrationsMatch(t *testing.T) {
	numbers := func(dialect string) []string {
		var out []string
		root := filepath.Join("migrations", dialect)
		err := fs.WalkDir(os.DirFS(root), ".", func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			num, _, ok := strings.Cut(d.Name(), "_")
			if !ok || !strings.HasSuffix(d.Name(), ".sql") {
				t.Errorf("%s/%s is not named NNNN_name.sql", root, path)
			}
			out = append(out, num)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	sqlite, postgres := numbers("sqlite"), numbers("postgres")
	if len(sqlite) == 0 || !slices.Equal(sqlite, postgres) {
		t.Errorf("sqlite migrations %v, postgres migrations %v: want the same numbers", sqlite, postgres)
	}
}

// TestReopen checks that opening a migrated database again applies nothing
// twice and keeps the data.
func TestReopen(t *testing.T) {
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		ctx := context.Background()
		st := storetest.Open(t, cfg)
		if _, _, err := st.CreateOwner(ctx, "a@hotel.example", "password1", ""); err != nil {
			t.Fatal(err)
		}
		st.Close()
		st2 := storetest.Open(t, cfg)
		if _, err := st2.UserByEmail(ctx, "A@HOTEL.EXAMPLE"); err != nil {
			t.Errorf("after reopening: %v", err)
		}
	})
}

// TestTextPostgresCannotStore checks that text with NUL or bad UTF-8 is
// refused alike by both dialects, as bad input and not as a database
// failure, wherever it comes from.
func TestTextPostgresCannotStore(t *testing.T) {
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		ctx := context.Background()
		st := storetest.Open(t, cfg)
		u, _, err := st.CreateOwner(ctx, "o@hotel.example", "password1", "")
		if err != nil {
			t.Fatal(err)
		}
		p, err := st.UserPrincipal(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.UserByEmail(ctx, "o\x00@hotel.example"); keycard.ErrorCode(err) != keycard.ENotFound {
			t.Errorf("look-up by an email with NUL: %v, want not found", err)
		}
		for _, bad := range []string{"a\x00b", "\xff"} {
			q := keycard.ListQuery{Page: 1, Limit: 10, Filters: []keycard.Filter{{Field: "title", Op: keycard.OpEq, Values: []string{bad}}}}
			if _, _, err := st.ListProperties(ctx, p, q); keycard.ErrorCode(err) != keycard.EBadRequest {
				t.Errorf("filter on %q: %v, want a bad request", bad, err)
			}
			if _, err := st.CreateGroup(ctx, p, bad); keycard.ErrorCode(err) != keycard.EInvalid {
				t.Errorf("group titled %q: %v, want a validation error", bad, err)
			}
		}
	})
}

// TestRefreshWinsOnce races one refresh token against itself: exactly one
// refresh may start a session.
func TestRefreshWinsOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		ctx := context.Background()
		st := storetest.Open(t, cfg)
		if _, _, err := st.CreateOwner(ctx, "o@hotel.example", "password1", ""); err != nil {
			t.Fatal(err)
		}
		sess, err := st.SignIn(ctx, "o@hotel.example", "password1")
		if err != nil {
			t.Fatal(err)
		}
		const racers = 8
		results := make(chan error, racers)
		start := make(chan struct{})
		for range racers {
			go func() {
				<-start
				_, err := st.Refresh(ctx, sess.RefreshToken)
				results <- err
			}()
		}
		close(start)
		wins := 0
		for range racers {
			err := <-results
			switch keycard.ErrorCode(err) {
			case keycard.EUnauthorized:
			default:
				if err != nil {
					t.Errorf("refresh: %v", err)
					continue
				}
				wins++
			}
		}
		if wins != 1 {
			t.Errorf("%d refreshes with one token succeeded, want exactly 1", wins)
		}
	})
}
