package api

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"mime/multipart"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/storetest"
)

func TestPhotos(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		inv := newInventory(t, cfg)
		id := func(m map[string]any) string { return data(m)["id"].(string) }
		cover := id(inv.get(t, "POST", "/api/v1/photos", credKeyP1, `{"photo":{"property_id":"{p1}","url":"https://img.example/cover.jpg",
			"description":"Front","author":"Ana","kind":"ad","position":0,"room_type_id":null}}`, 201))
		room := id(inv.get(t, "POST", "/api/v1/photos", credKeyP1, `{"photo":{"property_id":"{p1}","room_type_id":"{rt1}",
			"url":"https://img.example/double.jpg","position":1}}`, 201))
		other := id(inv.get(t, "POST", "/api/v1/photos", credKeyAll, `{"photo":{"property_id":"{p2}","url":"https://img.example/p2.jpg"}}`, 201))
		runReplaced(t, inv.run, strings.NewReplacer("{cover}", cover, "{room}", room, "{other}", other), []scenario{
			{name: "get: every field", method: "GET", path: "/api/v1/photos/{cover}", cred: credKeyP1, status: 200,
				want: []string{`"type":"photo"`, `"id":"{cover}"`, `"url":"https://img.example/cover.jpg"`, `"description":"Front"`,
					`"author":"Ana"`, `"kind":"ad"`, `"position":0`, `"property_id":"{p1}"`, `"room_type_id":null`,
					`"property":{"data":{"type":"property","id":"{p1}","attributes":{"id":"{p1}","title":"Alpha Hotel"}}}`}, never: []string{`"room_type":`}},
			{name: "room type photo", method: "GET", path: "/api/v1/photos/{room}", cred: credKeyP1, status: 200,
				want: []string{`"room_type_id":"{rt1}"`, `"kind":"photo"`, `"description":null`, `"room_type":{"data":{"type":"room_type","id":"{rt1}","attributes":{"id":"{rt1}","title":"Double"}}}`}},
			{name: "list: restricted key", method: "GET", path: "/api/v1/photos", cred: credKeyP1, status: 200,
				want: []string{`"total":2`, "{cover}", "{room}"}, never: []string{"{other}"}},
			{name: "list: by room type", method: "GET", path: "/api/v1/photos?filter[room_type_id]={rt1}", cred: credOwnerA, status: 200,
				want: []string{`"total":1`, "{room}"}, never: []string{"{cover}"}},
			{name: "list: other organisation", method: "GET", path: "/api/v1/photos", cred: credKeyOther, status: 200, want: []string{`"total":0`}},
			{name: "get out of reach", method: "GET", path: "/api/v1/photos/{other}", cred: credKeyP1, status: 404},
			{name: "update out of reach", method: "PUT", path: "/api/v1/photos/{other}", cred: credKeyP1, body: `{"photo":{"position":3}}`, status: 404},
			{name: "delete out of reach", method: "DELETE", path: "/api/v1/photos/{cover}", cred: credKeyOther, status: 404},
			{name: "create on a property out of reach", method: "POST", path: "/api/v1/photos", cred: credKeyP1,
				body: `{"photo":{"property_id":"{p2}","url":"https://img.example/x.jpg"}}`, status: 404},
			{name: "create: room type of another property", method: "POST", path: "/api/v1/photos", cred: credKeyAll,
				body: `{"photo":{"property_id":"{p1}","room_type_id":"{rt3}","url":"https://img.example/x.jpg"}}`, status: 422,
				want: []string{`"room_type_id":["is not a room type of the property"]`}},
			{name: "create: bad values", method: "POST", path: "/api/v1/photos", cred: credOwnerA,
				body:   `{"photo":{"property_id":"{p1}","url":"javascript:alert(1)","kind":"poster","position":-1,"room_type_id":"x","author":7}}`,
				status: 422, want: []string{`"url":["must be an http or https URL"]`, `"kind":["is not included in the list`,
					`"position":["must be greater than or equal to 0"]`, `"room_type_id":["is not a valid id"]`, `"author":["must be a string"]`}},
			{name: "create: required", method: "POST", path: "/api/v1/photos", cred: credOwnerA, body: `{"photo":{}}`, status: 422,
				want: []string{`"property_id":["can't be blank"]`, `"url":["can't be blank"]`}},
			{name: "update", method: "PUT", path: "/api/v1/photos/{room}", cred: credKeyP1,
				body: `{"photo":{"description":"Double room","position":5,"kind":"menu"}}`, status: 200,
				want: []string{`"description":"Double room"`, `"position":5`, `"kind":"menu"`, `"room_type_id":"{rt1}"`}},
			{name: "update: property cannot move", method: "PUT", path: "/api/v1/photos/{room}", cred: credKeyAll,
				body: `{"photo":{"property_id":"{p2}"}}`, status: 422, want: []string{`"property_id":["can't be changed"]`}},
			{name: "property content lists its own photos", method: "GET", path: "/api/v1/properties/{p1}", cred: credKeyP1, status: 200,
				want:  []string{`"photos":[{"id":"{cover}","url":"https://img.example/cover.jpg","position":0,"description":"Front","author":"Ana","kind":"ad","property_id":"{p1}","room_type_id":null}]`},
				never: []string{"{room}"}},
			{name: "room type content lists its photos", method: "GET", path: "/api/v1/room_types/{rt1}", cred: credKeyP1, status: 200,
				want: []string{`"id":"{room}"`, `"room_type_id":"{rt1}"`, `"description":"Double room"`}},
			{name: "property content replaced keeps ids it names", method: "PUT", path: "/api/v1/properties/{p1}", cred: credKeyP1,
				body: `{"property":{"content":{"photos":[{"id":"{cover}","url":"https://img.example/cover2.jpg","position":1},
					{"url":"https://img.example/pool.jpg","position":0,"kind":"photo"}]}}}`, status: 200,
				want: []string{`"id":"{cover}","url":"https://img.example/cover2.jpg","position":1`, `"url":"https://img.example/pool.jpg"`}},
			{name: "photos follow the content", method: "GET", path: "/api/v1/photos?filter[property_id]={p1}", cred: credKeyP1, status: 200,
				want: []string{`"total":3`, "cover2.jpg", "pool.jpg", "{room}"}},
			{name: "content cannot take another property's photo id", method: "PUT", path: "/api/v1/properties/{p1}", cred: credKeyAll,
				body: `{"property":{"content":{"photos":[{"id":"{other}","url":"https://img.example/stolen.jpg"}]}}}`, status: 200,
				never: []string{`"id":"{other}"`}},
			{name: "the other property's photo is untouched", method: "GET", path: "/api/v1/photos/{other}", cred: credKeyAll, status: 200,
				want: []string{"p2.jpg", `"property_id":"{p2}"`}},
			{name: "delete", method: "DELETE", path: "/api/v1/photos/{room}", cred: credKeyP1, status: 200, want: []string{"Success"}},
			{name: "deleted is gone", method: "GET", path: "/api/v1/photos/{room}", cred: credKeyP1, status: 404},
			{name: "room type content is empty", method: "GET", path: "/api/v1/room_types/{rt1}", cred: credKeyP1, status: 200,
				want: []string{`"photos":[]`}},
		})
	})
}

// upload posts a multipart body with one file in field.
func (f *fixture) upload(c cred, field, filename, contentType string, content []byte) (int, string) {
	f.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	h := make(map[string][]string)
	h["Content-Disposition"] = []string{`form-data; name="` + field + `"; filename="` + filename + `"`}
	h["Content-Type"] = []string{contentType}
	pw, err := mw.CreatePart(h)
	if err != nil {
		f.t.Fatal(err)
	}
	pw.Write(content)
	mw.Close()
	req := httptest.NewRequest("POST", "http://keycard.example/api/v1/photos/upload", &body)
	for k, v := range f.headers(c) {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	rec := httptest.NewRecorder()
	f.srv.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

func pngImage(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 4, 3))
	img.Set(1, 1, color.RGBA{200, 30, 30, 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestPhotoUpload uploads a real PNG, and files that only pretend to be
// images, and fetches the real one back from its URL.
func TestPhotoUpload(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		f := newFixture(t, cfg, keycard.ModeStaging)
		real := pngImage(t)
		status, body := f.upload(credKeyP1, "photo", "room.png", "image/png", real)
		if status != 201 {
			t.Fatalf("upload a real PNG: status %d, want 201; body %s", status, body)
		}
		attrs := data(decode(t, body))["attributes"].(map[string]any)
		u, _ := attrs["url"].(string)
		if !strings.HasPrefix(u, "http://keycard.example/api/v1/photo_files/") || !strings.HasSuffix(u, ".png") ||
			attrs["content_type"] != "image/png" || attrs["size"] != float64(len(real)) {
			t.Fatalf("upload answer: got %v", attrs)
		}

		// Served at its URL, to anyone, as it was kept.
		parsed, _ := url.Parse(u)
		rec := httptest.NewRecorder()
		f.srv.ServeHTTP(rec, httptest.NewRequest("GET", parsed.Path, nil))
		served := rec.Body.Bytes()
		if img, err := png.Decode(bytes.NewReader(served)); rec.Code != 200 || err != nil || rec.Header().Get("Content-Type") != "image/png" ||
			img.Bounds().Dx() != 4 || img.Bounds().Dy() != 3 {
			t.Fatalf("GET %s: status %d, type %q, %d bytes (%v); want 200, image/png, a 4×3 PNG", parsed.Path, rec.Code, rec.Header().Get("Content-Type"), len(served), err)
		}
		fileID := strings.TrimSuffix(strings.TrimPrefix(parsed.Path, "/api/v1/photo_files/"), ".png")
		if cfg.Dialect() == "sqlite" {
			onDisk, err := os.ReadFile(filepath.Join(filepath.Dir(cfg.SQLitePath), "photos", fileID))
			if err != nil || !bytes.Equal(onDisk, served) {
				t.Errorf("SQLite: the file is not next to the database: %v", err)
			}
		}
		// The URL can be used as a photo's url.
		if status, body := f.do("POST", "/api/v1/photos", credKeyP1, `{"photo":{"property_id":"{p1}","url":"`+u+`"}}`); status != 201 {
			t.Errorf("create a photo of the upload: status %d; body %s", status, body)
		}

		var jpg bytes.Buffer
		if err := jpeg.Encode(&jpg, image.NewGray(image.Rect(0, 0, 8, 8)), nil); err != nil {
			t.Fatal(err)
		}
		if status, body := f.upload(credKeyAll, "file", "anything.bin", "application/octet-stream", jpg.Bytes()); status != 201 ||
			!strings.Contains(body, `"content_type":"image/jpeg"`) || !strings.Contains(body, `.jpg"`) {
			t.Errorf("upload a real JPEG under another name: status %d; body %s", status, body)
		}
		truncated := append([]byte{}, real[:40]...)
		webpLie := append([]byte("RIFF\xff\x00\x00\x00WEBPVP8 "), make([]byte, 32)...)
		for _, c := range []struct {
			name, field, file, ctype string
			content                  []byte
			status                   int
			want                     string
		}{
			{"text pretending to be a PNG", "photo", "fake.png", "image/png", []byte("this is not an image, honest\n"), 422, `"photo":["must be a whole JPEG or PNG image"]`},
			{"PNG signature and nothing else", "photo", "fake.png", "image/png", truncated, 422, `"photo":["must be a whole JPEG or PNG image"]`},
			{"JPEG cut short", "photo", "cut.jpg", "image/jpeg", jpg.Bytes()[:jpg.Len()-20], 422, "must be a whole JPEG or PNG image"},
			{"HTML named .jpg", "file", "x.jpg", "image/jpeg", []byte("<html><script>alert(1)</script></html>"), 422, "must be a whole JPEG or PNG image"},
			{"WebP header with the wrong size", "photo", "x.webp", "image/webp", webpLie, 422, `"photo":["WebP images are not accepted: send a JPEG or PNG"]`},
			{"no photo field", "picture", "room.png", "image/png", real, 422, `"photo":["can't be blank`},
			{"over 10 MB", "photo", "big.png", "image/png", append(append([]byte{}, real...), make([]byte, keycard.MaxPhotoBytes)...), 413, "payload_too_large"},
		} {
			t.Run(c.name, func(t *testing.T) {
				status, body := f.upload(credKeyP1, c.field, c.file, c.ctype, c.content)
				if status != c.status || !strings.Contains(body, c.want) {
					t.Errorf("status %d, body %.300s; want %d with %s", status, body, c.status, c.want)
				}
			})
		}
		for _, c := range []struct {
			name   string
			cred   cred
			ctype  string
			body   string
			status int
		}{
			{"not multipart", credKeyP1, "application/json", `{"photo":"x"}`, 400},
			{"no credential", noCred, "multipart/form-data; boundary=x", "--x--\r\n", 401},
		} {
			t.Run(c.name, func(t *testing.T) {
				req := httptest.NewRequest("POST", "/api/v1/photos/upload", strings.NewReader(c.body))
				for k, v := range f.headers(c.cred) {
					req.Header[k] = v
				}
				req.Header.Set("Content-Type", c.ctype)
				rec := httptest.NewRecorder()
				f.srv.ServeHTTP(rec, req)
				if rec.Code != c.status {
					t.Errorf("status %d, want %d; body %s", rec.Code, c.status, rec.Body.String())
				}
			})
		}
		rec = httptest.NewRecorder()
		f.srv.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/photo_files/00000000-0000-4000-8000-000000000000.png", nil))
		if rec.Code != 404 {
			t.Errorf("unknown file: status %d, want 404", rec.Code)
		}
	})
}

// The document's answers for uploaded files are images, which the
// exchange checker reads as files.
func init() {
	for _, t := range []string{"image/jpeg", "image/png", "image/webp"} {
		openapi3filter.RegisterBodyDecoder(t, openapi3filter.FileBodyDecoder)
	}
}
