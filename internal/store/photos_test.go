package store_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/storetest"
)

// TestMigrationMovesContentPhotos builds a database as it was before
// migration 0008, with photos inside the content of a property and of a
// room type, and checks that opening it moves them, ids and all, to the
// photos that the API lists.
func TestMigrationMovesContentPhotos(t *testing.T) {
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		ctx := context.Background()
		var db *sql.DB
		var err error
		if cfg.Dialect() == "sqlite" {
			db, err = sql.Open("sqlite", "file:"+cfg.SQLitePath+"?_pragma=foreign_keys(1)")
		} else {
			db, err = sql.Open("pgx", cfg.PostgresURL)
		}
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		dir := filepath.Join("migrations", cfg.Dialect())
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		sort.Strings(names)
		exec := func(q string) {
			t.Helper()
			if _, err := db.ExecContext(ctx, q); err != nil {
				t.Fatalf("%.80s: %v", q, err)
			}
		}
		exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY)`)
		for _, name := range names {
			v, _ := strconv.Atoi(name[:4])
			if v >= 8 {
				break
			}
			body, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			exec(string(body))
			exec(`INSERT INTO schema_migrations (version) VALUES (` + strconv.Itoa(v) + `)`)
		}
		const (
			org, user, prop, rt = "10000000-0000-4000-8000-000000000001", "10000000-0000-4000-8000-000000000002",
				"10000000-0000-4000-8000-000000000003", "10000000-0000-4000-8000-000000000004"
			propPhoto, rtPhoto = "20000000-0000-4000-8000-000000000001", "20000000-0000-4000-8000-000000000002"
		)
		exec(`INSERT INTO organizations (id, name, owner_user_id, created_at) VALUES ('` + org + `', 'O', '` + user + `', 1)`)
		exec(`INSERT INTO users (id, email, email_key, organization_id, created_at) VALUES ('` + user + `', 'o@x.example', 'o@x.example', '` + org + `', 1)`)
		exec(`INSERT INTO properties (id, organization_id, title, currency, content, created_at, updated_at) VALUES ('` + prop + `', '` + org +
			`', 'P', 'EUR', '{"description":"d","photos":[{"id":"` + propPhoto + `","url":"https://img.example/p.jpg","position":2,"author":"A","kind":"ad"}]}', 1, 1)`)
		exec(`INSERT INTO room_types (id, property_id, title, count_of_rooms, occ_adults, occ_children, occ_infants, default_occupancy, room_kind,
			content, created_at, updated_at) VALUES ('` + rt + `', '` + prop + `', 'R', 1, 2, 0, 0, 2, 'room',
			'{"photos":[{"id":"` + rtPhoto + `","url":"https://img.example/r.jpg","position":0,"kind":"photo"}]}', 1, 1)`)
		db.Close()

		st := storetest.Open(t, cfg)
		p, err := st.UserPrincipal(ctx, user)
		if err != nil {
			t.Fatal(err)
		}
		got, err := st.Property(ctx, p, prop)
		if err != nil {
			t.Fatal(err)
		}
		want := keycard.Photo{ID: propPhoto, URL: "https://img.example/p.jpg", Position: 2, Author: "A", Kind: "ad"}
		if len(got.Content.Photos) != 1 || got.Content.Photos[0] != want || got.Content.Description != "d" {
			t.Errorf("property content after migration: got %+v, want the photo %+v and description d", got.Content, want)
		}
		room, err := st.RoomType(ctx, p, rt)
		if err != nil {
			t.Fatal(err)
		}
		if len(room.Content.Photos) != 1 || room.Content.Photos[0].ID != rtPhoto {
			t.Errorf("room type photos after migration: got %+v, want %s", room.Content.Photos, rtPhoto)
		}
		list, total, err := st.ListPhotos(ctx, p, keycard.ListQuery{Page: 1, Limit: 10})
		if err != nil || total != 2 || len(list) != 2 {
			t.Fatalf("photos after migration: got %d (%v), want 2", total, err)
		}
		for _, ph := range list {
			if ph.ID == rtPhoto && ph.RoomTypeID != rt || ph.PropertyID != prop || !strings.HasPrefix(ph.URL, "https://img.example/") {
				t.Errorf("photo %s: got %+v", ph.ID, ph)
			}
		}
	})
}

// TestPhotoQuotaHoldsUnderParallelUploads starts more uploads at once
// than the quota has room for: exactly the room is taken, the others are
// refused with the quota's message, and the files on disk (SQLite) are
// those recorded.
func TestPhotoQuotaHoldsUnderParallelUploads(t *testing.T) {
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		ctx := context.Background()
		st := storetest.Open(t, cfg)
		owner := newOwner(t, st)
		for _, c := range []struct {
			name  string
			quota keycard.PhotoQuota
			room  int
		}{
			{"by count", keycard.PhotoQuota{Files: 4}, 4},
			{"by size", keycard.PhotoQuota{Bytes: 8*100 + 7}, 4}, // after the first round's 4 files of 100 bytes, 4 more fit
		} {
			t.Run(c.name, func(t *testing.T) {
				const uploads = 12
				errs := make(chan error, uploads)
				var start sync.WaitGroup
				start.Add(1)
				for range uploads {
					go func() {
						start.Wait()
						_, err := st.SavePhotoFile(ctx, owner, "image/png", make([]byte, 100), c.quota)
						errs <- err
					}()
				}
				start.Done()
				var ok, refused int
				for range uploads {
					err := <-errs
					switch {
					case err == nil:
						ok++
					case keycard.ErrorCode(err) == keycard.EInvalid && strings.Contains(err.Error(), "the photo quota is reached"):
						refused++
					default:
						t.Errorf("upload: %v", err)
					}
				}
				if ok != c.room || refused != uploads-c.room {
					t.Errorf("got %d kept and %d refused, want %d kept and %d refused", ok, refused, c.room, uploads-c.room)
				}
			})
		}
		if cfg.Dialect() == "sqlite" {
			entries, err := os.ReadDir(filepath.Join(filepath.Dir(cfg.SQLitePath), "photos"))
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) != 8 {
				t.Errorf("files on disk: got %d, want the 8 kept", len(entries))
			}
		}
	})
}
