package main

import (
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// TestRepeatedSlashes checks, through the real server, that an API path
// written with repeated slashes (as a client that joins a base URL ending
// in "/" to a path starting with one builds it) is answered as if
// single-slashed, never with a redirect: the server's top-level router
// must not clean the path with a redirect before the API sees it.
func TestRepeatedSlashes(t *testing.T) {
	getenv := env(map[string]string{"KEYCARD_DB": filepath.Join(t.TempDir(), "keycard.db"), "KEYCARD_ADDR": "127.0.0.1:0"})
	migrateDB(t, getenv)
	if _, err := cli(t, getenv, "user", "create", "--email", "o@hotel.example", "--password", "password1"); err != nil {
		t.Fatal(err)
	}
	base, _ := start(t, getenv, "serve")

	// send makes one request without following redirects, and fails
	// unless it gets status want.
	var bearer string
	send := func(method, path, body string, want int) map[string]any {
		t.Helper()
		req, err := http.NewRequest(method, base+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != want {
			t.Fatalf("%s %s: status %d (Location %q), want %d", method, path, resp.StatusCode, resp.Header.Get("Location"), want)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s %s: answer is not JSON: %v", method, path, err)
		}
		return m
	}
	id := func(m map[string]any) string { return m["data"].(map[string]any)["id"].(string) }

	m := send("POST", "//api/v1/sign_in", `{"user":{"email":"o@hotel.example","password":"password1"}}`, 200)
	bearer = attr(m, "token").(string)
	prop := id(send("POST", "//api/v1//properties", `{"property":{"title":"Slash Hotel","currency":"EUR"}}`, 201))
	rt := id(send("POST", "/api//v1/room_types/", `{"room_type":{"property_id":"`+prop+`","title":"Double","count_of_rooms":2,
		"occ_adults":2,"occ_children":0,"occ_infants":0,"default_occupancy":2}}`, 201))
	rp := id(send("POST", "//api/v1/rate_plans", `{"rate_plan":{"property_id":"`+prop+`","room_type_id":"`+rt+`","title":"Standard",
		"options":[{"occupancy":2,"is_primary":true,"rate":10000}]}}`, 201))

	push := send("POST", "//api/v1/bookings/push", `{"booking":{"status":"new","reservation_id":"R1","arrival_date":"2030-12-01",
		"departure_date":"2030-12-02","currency":"EUR","customer":{"name":"A","surname":"B"},
		"rooms":[{"occupancy":{"adults":2},"rate_plan_id":"`+rp+`","days":{"2030-12-01":100}}]}}`, 201)
	if attr(push, "ota_reservation_code") != "R1" {
		t.Errorf("push answered %v, want the booking R1", push["data"])
	}
	list := send("GET", "//api/v1//properties", "", 200)
	if data := list["data"].([]any); len(data) != 1 || id(map[string]any{"data": data[0]}) != prop {
		t.Errorf("GET //api/v1//properties: %v, want Slash Hotel", list["data"])
	}
	send("GET", "//api/v1//bookings/"+id(push)+"/", "", 200)
	send("GET", "//healthz", "", 200)
}
