package api

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/jpeg"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/storetest"
)

const htmlPayload = `<html><script>alert(document.cookie)</script></html>`

// pngChunkOf returns a PNG chunk with its length and CRC.
func pngChunkOf(typ string, data []byte) []byte {
	c := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	c = append(c, typ...)
	c = append(c, data...)
	return binary.BigEndian.AppendUint32(c, crc32.ChecksumIEEE(c[4:]))
}

// uploadedFile uploads a PNG as c and returns its URL's path and id.
func (f *fixture) uploadedFile(t *testing.T, c cred) (path, id string) {
	t.Helper()
	status, body := f.upload(c, "photo", "room.png", "image/png", pngImage(t))
	if status != 201 {
		t.Fatalf("upload: status %d, want 201; body %s", status, body)
	}
	u, err := url.Parse(data(decode(t, body))["attributes"].(map[string]any)["url"].(string))
	if err != nil {
		t.Fatal(err)
	}
	return u.Path, strings.TrimSuffix(strings.TrimPrefix(u.Path, keycard.PhotoFilePath), ".png")
}

// fetch GETs path, as a channel fetching a photo would.
func (f *fixture) fetch(path string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	f.srv.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	return rec
}

// TestPhotoUploadIsRewritten uploads images that carry HTML where a
// browser sniffing them might find it, and a fake WebP and a
// decompression bomb: the images are kept, encoded anew without it; the
// others are refused.
func TestPhotoUploadIsRewritten(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		f := newFixture(t, cfg, keycard.ModeStaging)
		p := pngImage(t)
		var j bytes.Buffer
		if err := jpeg.Encode(&j, image.NewGray(image.Rect(0, 0, 8, 8)), nil); err != nil {
			t.Fatal(err)
		}
		const ihdrEnd = 8 + 4 + 4 + 13 + 4
		com := binary.BigEndian.AppendUint16([]byte{0xFF, 0xFE}, uint16(len(htmlPayload)+2))
		fakeWebP := binary.LittleEndian.AppendUint32([]byte("RIFF"), uint32(4+8+len(htmlPayload)))
		fakeWebP = append(append(fakeWebP, "WEBPVP8 \x10\x00\x00\x00"...), htmlPayload...)
		ihdr := binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, 30000), 30000)
		bomb := append([]byte("\x89PNG\r\n\x1a\n"), pngChunkOf("IHDR", append(ihdr, 8, 6, 0, 0, 0))...)
		bomb = append(bomb, pngChunkOf("IEND", nil)...)
		for _, c := range []struct {
			name, ctype string
			content     []byte
			status      int
			want        string // in the answer
		}{
			{"PNG with HTML after IEND", "image/png", append(append([]byte{}, p...), htmlPayload...), 201, `"content_type":"image/png"`},
			{"PNG with HTML in a tEXt chunk", "image/png", slicesConcat(p[:ihdrEnd], pngChunkOf("tEXt", []byte("Comment\x00"+htmlPayload)), p[ihdrEnd:]),
				201, `"content_type":"image/png"`},
			{"JPEG with HTML in a COM segment", "image/jpeg", slicesConcat(j.Bytes()[:2], com, []byte(htmlPayload), j.Bytes()[2:]),
				201, `"content_type":"image/jpeg"`},
			{"fake WebP", "image/webp", fakeWebP, 422, `"photo":["WebP images are not accepted: send a JPEG or PNG"]`},
			{"30000×30000 PNG", "image/png", bomb, 422, `"photo":["is 30000×30000 pixels: an image may have at most 40 megapixels"]`},
		} {
			t.Run(c.name, func(t *testing.T) {
				if c.status == 201 && !bytes.Contains(c.content, []byte("<script")) {
					t.Fatal("the test's upload holds no HTML")
				}
				status, body := f.upload(credKeyP1, "photo", "x", c.ctype, c.content)
				if status != c.status || !strings.Contains(body, c.want) {
					t.Fatalf("status %d, body %.300s; want %d with %s", status, body, c.status, c.want)
				}
				if status != 201 {
					return
				}
				u, _ := url.Parse(data(decode(t, body))["attributes"].(map[string]any)["url"].(string))
				rec := f.fetch(u.Path)
				if rec.Code != 200 || bytes.Contains(rec.Body.Bytes(), []byte("<script")) || bytes.Contains(rec.Body.Bytes(), []byte("tEXt")) {
					t.Errorf("GET %s: status %d, %d bytes; want 200 and the image without the HTML", u.Path, rec.Code, rec.Body.Len())
				}
				if _, _, err := image.Decode(bytes.NewReader(rec.Body.Bytes())); err != nil {
					t.Errorf("served file does not decode: %v", err)
				}
			})
		}
	})
}

func slicesConcat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// TestPhotoQuota fills an organisation's quota, by count then by size:
// the upload past it is refused with a message naming it, another
// organisation is not touched, and deleting a photo makes room.
func TestPhotoQuota(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		f := newFixture(t, cfg, keycard.ModeStaging)
		size := int64(len(pngImage(t))) // a Go-encoded PNG is kept as it is
		f.setAPI(func(c *Config) { c.PhotoQuota = &keycard.PhotoQuota{Files: 2} })
		first, _ := f.uploadedFile(t, credKeyP1)
		f.uploadedFile(t, credOwnerA)
		status, body := f.upload(credKeyAll, "photo", "room.png", "image/png", pngImage(t))
		if want := `"photo":["the photo quota is reached: an organisation keeps at most 2 uploaded files (it has 2); delete photos to make room"]`; status != 422 ||
			!strings.Contains(body, want) {
			t.Fatalf("third upload: status %d, body %s; want 422 with %s", status, body, want)
		}
		f.uploadedFile(t, credKeyOther) // organisation B has its own quota

		if status, body := f.do("POST", "/api/v1/photos", credKeyP1, `{"photo":{"property_id":"{p1}","url":"http://keycard.example`+first+`"}}`); status != 201 {
			t.Fatalf("create a photo of the upload: status %d; body %s", status, body)
		}
		list := decode(t, mustBody(t, f, "GET", "/api/v1/photos", credKeyP1))["data"].([]any)
		id := list[0].(map[string]any)["id"].(string)
		if status, body := f.do("DELETE", "/api/v1/photos/"+id, credKeyP1, ""); status != 200 {
			t.Fatalf("delete the photo: status %d; body %s", status, body)
		}
		f.uploadedFile(t, credKeyAll) // its file went with it: room for one more

		f.setAPI(func(c *Config) { c.PhotoQuota = &keycard.PhotoQuota{Bytes: 3*size + size/2} })
		f.uploadedFile(t, credKeyAll)
		status, body = f.upload(credKeyAll, "photo", "room.png", "image/png", pngImage(t))
		if want := `an organisation's uploaded files take at most`; status != 422 || !strings.Contains(body, want) {
			t.Fatalf("upload past the size quota: status %d, body %s; want 422 with %s", status, body, want)
		}
	})
}

func mustBody(t *testing.T, f *fixture, method, path string, c cred) string {
	t.Helper()
	status, body := f.do(method, path, c, "")
	if status != 200 {
		t.Fatalf("%s %s: status %d; body %s", method, path, status, body)
	}
	return body
}

// TestPhotoUploadRateLimit checks that uploads are limited per key, and
// per user for sessions, before the body is read.
func TestPhotoUploadRateLimit(t *testing.T) {
	t.Parallel()
	f, _ := limitedFixture(t, Limits{PerKey: 100, PerOrganization: 100, PhotoUploads: 2})
	for range 2 {
		f.uploadedFile(t, credKeyP1)
	}
	status, body := f.upload(credKeyP1, "photo", "room.png", "image/png", pngImage(t))
	if status != 429 || !strings.Contains(body, `"code":"http_too_many_requests"`) {
		t.Fatalf("third upload of the key: status %d, body %s; want 429 http_too_many_requests", status, body)
	}
	rec := f.response("POST", "/api/v1/photos/upload", credKeyP1, "not even multipart")
	if rec.Code != 429 || rec.Header().Get("Retry-After") != "30" {
		t.Errorf("fourth upload: status %d, Retry-After %q; want 429 before the body is read, Retry-After 30 (a minute over 2)",
			rec.Code, rec.Header().Get("Retry-After"))
	}
	f.uploadedFile(t, credKeyAll) // another key has its own budget
	for range 2 {
		f.uploadedFile(t, credOwnerA)
	}
	if status, _ := f.upload(credOwnerA, "photo", "room.png", "image/png", pngImage(t)); status != 429 {
		t.Errorf("third upload of the session: status %d, want 429", status)
	}
	if rec := f.response("GET", "/api/v1/photos", credKeyP1, ""); rec.Code != 200 {
		t.Errorf("other requests of the key: status %d, want 200", rec.Code)
	}
}

// TestDeletingPhotoDeletesFile checks that an uploaded file goes when the
// last photo of its organisation that names it does, whichever way, and
// is not served afterwards; with SQLite, it leaves the disk too.
func TestDeletingPhotoDeletesFile(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		inv := newInventory(t, cfg)
		f := inv.fixture
		onDisk := func(id string) bool {
			_, err := os.Stat(filepath.Join(filepath.Dir(cfg.SQLitePath), "photos", id))
			return err == nil
		}
		newPhoto := func(t *testing.T, c cred, body string) string {
			t.Helper()
			return data(inv.get(t, "POST", "/api/v1/photos", c, `{"photo":`+body+`}`, 201))["id"].(string)
		}
		for _, c := range []struct {
			name string
			// photos makes the photos naming u; drop deletes or changes
			// them.
			photos func(t *testing.T, u string) []string
			drop   func(t *testing.T, ids []string)
		}{
			{"DELETE the photo", func(t *testing.T, u string) []string {
				return []string{newPhoto(t, credKeyP1, `{"property_id":"{p1}","url":"`+u+`"}`)}
			}, func(t *testing.T, ids []string) {
				inv.get(t, "DELETE", "/api/v1/photos/"+ids[0], credKeyP1, "", 200)
			}},
			{"PUT the photo with another url", func(t *testing.T, u string) []string {
				return []string{newPhoto(t, credKeyP1, `{"property_id":"{p1}","url":"`+u+`"}`)}
			}, func(t *testing.T, ids []string) {
				inv.get(t, "PUT", "/api/v1/photos/"+ids[0], credKeyP1, `{"photo":{"url":"https://img.example/other.jpg"}}`, 200)
			}},
			{"property content written without it", func(t *testing.T, u string) []string {
				return []string{newPhoto(t, credKeyP1, `{"property_id":"{p1}","url":"`+u+`"}`)}
			}, func(t *testing.T, ids []string) {
				inv.get(t, "PUT", "/api/v1/properties/{p1}", credKeyP1, `{"property":{"content":{"photos":[]}}}`, 200)
			}},
			{"room type deleted", func(t *testing.T, u string) []string {
				return []string{newPhoto(t, credOwnerA, `{"property_id":"{p1}","room_type_id":"{rt2}","url":"`+u+`"}`)}
			}, func(t *testing.T, ids []string) {
				inv.get(t, "DELETE", "/api/v1/room_types/{rt2}", credOwnerA, "", 200)
			}},
		} {
			t.Run(c.name, func(t *testing.T) {
				path, id := f.uploadedFile(t, credKeyP1)
				ids := c.photos(t, "http://keycard.example"+path)
				c.drop(t, ids)
				if rec := f.fetch(path); rec.Code != 404 {
					t.Errorf("GET %s after: status %d, want 404", path, rec.Code)
				}
				if cfg.Dialect() == "sqlite" && onDisk(id) {
					t.Errorf("the file %s is still on disk", id)
				}
			})
		}

		t.Run("kept while another photo names it", func(t *testing.T) {
			path, id := f.uploadedFile(t, credKeyP1)
			u := "http://keycard.example" + path
			a := newPhoto(t, credKeyP1, `{"property_id":"{p1}","url":"`+u+`"}`)
			b := newPhoto(t, credKeyAll, `{"property_id":"{p2}","url":"https://CDN.example`+keycard.PhotoFilePath+strings.ToUpper(id)+`.png?w=800"}`)
			inv.get(t, "DELETE", "/api/v1/photos/"+a, credKeyP1, "", 200)
			if rec := f.fetch(path); rec.Code != 200 {
				t.Errorf("GET %s: status %d, want 200: a photo of P2 still names it", path, rec.Code)
			}
			if cfg.Dialect() == "sqlite" && !onDisk(id) {
				t.Errorf("the file %s left the disk while in use", id)
			}
			inv.get(t, "DELETE", "/api/v1/photos/"+b, credKeyAll, "", 200)
			if rec := f.fetch(path); rec.Code != 404 {
				t.Errorf("GET %s after its last photo went: status %d, want 404", path, rec.Code)
			}
		})
		t.Run("another organisation's photo naming it does not delete it", func(t *testing.T) {
			path, _ := f.uploadedFile(t, credKeyP1)
			u := "http://keycard.example" + path
			newPhoto(t, credKeyP1, `{"property_id":"{p1}","url":"`+u+`"}`)
			b := newPhoto(t, credKeyOther, `{"property_id":"{p3}","url":"`+u+`"}`)
			inv.get(t, "DELETE", "/api/v1/photos/"+b, credKeyOther, "", 200)
			if rec := f.fetch(path); rec.Code != 200 {
				t.Errorf("GET %s: status %d, want 200: organisation A's photo names it", path, rec.Code)
			}
		})
		t.Run("property deleted", func(t *testing.T) {
			path, id := f.uploadedFile(t, credOwnerA)
			newPhoto(t, credOwnerA, `{"property_id":"{p2}","room_type_id":"{rt3}","url":"http://keycard.example`+path+`"}`)
			inv.get(t, "DELETE", "/api/v1/properties/{p2}", credOwnerA, "", 200)
			if rec := f.fetch(path); rec.Code != 404 {
				t.Errorf("GET %s after: status %d, want 404", path, rec.Code)
			}
			if cfg.Dialect() == "sqlite" && onDisk(id) {
				t.Errorf("the file %s is still on disk", id)
			}
		})
	})
}
