package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/webhooksig"
)

// TestWebhookEndToEnd runs the real server: a PMS creates a webhook for
// ari events, writes availability, and its receiver gets a signed
// delivery that verifies with the secret it was given.
func TestWebhookEndToEnd(t *testing.T) {
	type got struct {
		body []byte
		sig  string
	}
	deliveries := make(chan got, 10)
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		deliveries <- got{b, r.Header.Get(webhooksig.Header)}
	}))
	defer rcv.Close()

	dir := t.TempDir()
	db := filepath.Join(dir, "keycard.db")
	getenv := env(map[string]string{"KEYCARD_DB": db, "KEYCARD_ADDR": "127.0.0.1:0"})
	migrateDB(t, getenv)
	if _, err := cli(t, getenv, "user", "create", "--email", "pms@hotel.example", "--password", "correct horse", "--name", "PMS"); err != nil {
		t.Fatalf("user create: %v", err)
	}
	base, _ := start(t, getenv, "serve", "--allow-private-webhooks")
	if fi, err := os.Stat(filepath.Join(dir, "keycard-webhooks.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the webhook key file was not made next to the database, readable by its owner only: %v", err)
	}
	api := base + "/api/v1"
	_, m := call(t, "POST", api+"/sign_in", nil, `{"user":{"email":"pms@hotel.example","password":"correct horse"}}`)
	bearer := map[string]string{"Authorization": "Bearer " + attr(m, "token").(string)}
	_, m = call(t, "POST", api+"/properties", bearer, `{"property":{"title":"Hotel","currency":"EUR"}}`)
	prop := attr(m, "id").(string)
	_, m = call(t, "POST", api+"/room_types", bearer, `{"room_type":{"property_id":"`+prop+`","title":"Double","count_of_rooms":3,"occ_adults":2,"occ_children":0,"occ_infants":0,"default_occupancy":2}}`)
	rt := attr(m, "id").(string)
	status, m := call(t, "POST", api+"/webhooks", bearer, `{"webhook":{"property_id":"`+prop+`","callback_url":"`+rcv.URL+`","event_mask":"ari:availability:*:*","is_active":true,"send_data":true}}`)
	if status != 201 {
		t.Fatalf("create webhook: %d", status)
	}
	secret := attr(m, "signing_secret").(string)
	hookID := attr(m, "id").(string)
	day := (keycard.Today(time.Now(), "") + 3).String()
	if status, _ := call(t, "POST", api+"/availability", bearer, `{"values":[{"property_id":"`+prop+`","room_type_id":"`+rt+`","date":"`+day+`","availability":2}]}`); status != 200 {
		t.Fatalf("availability: %d", status)
	}
	select {
	case d := <-deliveries:
		if err := webhooksig.Verify(secret, d.sig, d.body, time.Now(), 0); err != nil {
			t.Errorf("delivery does not verify: %v", err)
		}
		if !strings.Contains(string(d.body), `"event":"ari"`) || !strings.Contains(string(d.body), `"availability":2`) || !strings.Contains(string(d.body), day) {
			t.Errorf("delivery body = %s", d.body)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no delivery within 30 s")
	}
	_, m = call(t, "GET", api+"/webhooks/"+hookID+"/deliveries", bearer, "")
	if items, _ := m["data"].([]any); len(items) != 1 {
		t.Errorf("delivery log = %v, want the one delivery", m)
	}
}

func TestWebhookKeyFileRequiredWithPostgres(t *testing.T) {
	_, err := cli(t, env(map[string]string{"KEYCARD_ADDR": "127.0.0.1:0"}), "serve", "--database-url", "postgres://keycard@127.0.0.1:1/none")
	if err == nil || !strings.Contains(err.Error(), "--webhook-key-file") {
		t.Errorf("serve on PostgreSQL without a key file: %v, want an error naming --webhook-key-file", err)
	}
}
