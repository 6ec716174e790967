package photo

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"runtime"
	"strings"
	"testing"

	"github.com/keycard/keycard/internal/keycard"
)

// picture is a w×h image, red on its left half and blue on its right.
func picture(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.NRGBA{220, 20, 20, 255}
			if x >= w/2 {
				c = color.NRGBA{20, 20, 220, 255}
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

func pngOf(t *testing.T, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func jpegOf(t *testing.T, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// pngChunk returns a PNG chunk with its length and CRC.
func pngChunk(typ string, data []byte) []byte {
	c := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	c = append(c, typ...)
	c = append(c, data...)
	return binary.BigEndian.AppendUint32(c, crc32.ChecksumIEEE(c[4:]))
}

// afterIHDR inserts chunk into a PNG right after its header chunk.
func afterIHDR(p, chunk []byte) []byte {
	const end = 8 + 4 + 4 + 13 + 4 // signature, then IHDR's length, type, data, CRC
	return append(append(append([]byte{}, p[:end]...), chunk...), p[end:]...)
}

// afterSOI inserts a segment into a JPEG right after its start marker.
func afterSOI(j []byte, marker byte, payload []byte) []byte {
	seg := binary.BigEndian.AppendUint16([]byte{0xFF, marker}, uint16(len(payload)+2))
	seg = append(seg, payload...)
	return append(append(append([]byte{}, j[:2]...), seg...), j[2:]...)
}

// exif returns an APP1 Exif payload with an orientation tag and, in a
// second entry (an ImageDescription), text.
func exif(orientation uint16, text string) []byte {
	b := []byte("Exif\x00\x00MM\x00*")
	b = binary.BigEndian.AppendUint32(b, 8) // first directory
	b = binary.BigEndian.AppendUint16(b, 2) // entries
	b = binary.BigEndian.AppendUint16(b, 0x0112)
	b = binary.BigEndian.AppendUint16(b, 3)
	b = binary.BigEndian.AppendUint32(b, 1)
	b = binary.BigEndian.AppendUint16(b, orientation)
	b = append(b, 0, 0)
	b = binary.BigEndian.AppendUint16(b, 0x010E)
	b = binary.BigEndian.AppendUint16(b, 2)
	b = binary.BigEndian.AppendUint32(b, uint32(len(text)+1))
	b = binary.BigEndian.AppendUint32(b, 8+2+2*12+4) // after the directory
	b = binary.BigEndian.AppendUint32(b, 0)          // no next directory
	return append(append(b, text...), 0)
}

// bombPNG is a small PNG that declares a w×h image and holds the pixels
// of its first row only: a decoder allocates the whole image before it
// finds the rest missing.
func bombPNG(w, h uint32) []byte {
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 6, 0, 0, 0) // 8 bits, RGBA
	var idat bytes.Buffer
	zw := zlib.NewWriter(&idat)
	zw.Write(make([]byte, 1+4*int(w)))
	zw.Close()
	p := append([]byte("\x89PNG\r\n\x1a\n"), pngChunk("IHDR", ihdr)...)
	p = append(p, pngChunk("IDAT", idat.Bytes())...)
	return append(p, pngChunk("IEND", nil)...)
}

const html = `<html><script>alert(document.cookie)</script></html>`

func TestCleanRewrites(t *testing.T) {
	img := picture(16, 8)
	p, j := pngOf(t, img), jpegOf(t, img)
	for _, c := range []struct {
		name, contentType string
		in                []byte
		gone              []string // found in the upload, never in what is kept
	}{
		{"PNG with HTML after IEND", "image/png", append(append([]byte{}, p...), html...), []string{"<html", "<script"}},
		{"PNG with a tEXt chunk", "image/png", afterIHDR(p, pngChunk("tEXt", []byte("Comment\x00"+html))), []string{"tEXt", "<script"}},
		{"PNG with an iTXt chunk", "image/png", afterIHDR(p, pngChunk("iTXt", []byte("XML:com.adobe.xmp\x00\x00\x00\x00\x00"+html))), []string{"iTXt", "<script"}},
		{"JPEG with a COM segment", "image/jpeg", afterSOI(j, 0xFE, []byte(html)), []string{"<html", "<script"}},
		{"JPEG with HTML after EOI", "image/jpeg", append(append([]byte{}, j...), html...), []string{"<html"}},
		{"JPEG with EXIF", "image/jpeg", afterSOI(j, 0xE1, exif(1, html)), []string{"Exif", "<script"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, s := range c.gone {
				if !bytes.Contains(c.in, []byte(s)) {
					t.Fatalf("the test's upload lacks %q", s)
				}
			}
			out, err := Clean(c.in, keycard.MaxPhotoPixels)
			if err != nil {
				t.Fatalf("Clean: got %v, want the image kept", err)
			}
			if out.ContentType != c.contentType || out.Width != 16 || out.Height != 8 {
				t.Errorf("got %s %d×%d, want %s 16×8", out.ContentType, out.Width, out.Height, c.contentType)
			}
			for _, s := range c.gone {
				if bytes.Contains(out.Data, []byte(s)) {
					t.Errorf("kept image holds %q, want it dropped", s)
				}
			}
			back, _, err := image.Decode(bytes.NewReader(out.Data))
			if err != nil {
				t.Fatalf("kept image does not decode: %v", err)
			}
			if got := dominant(back.At(2, 4)); got != "red" {
				t.Errorf("left of the kept image: got %s, want red", got)
			}
			if got := dominant(back.At(13, 4)); got != "blue" {
				t.Errorf("right of the kept image: got %s, want blue", got)
			}
		})
	}
}

// dominant names the strongest channel of c.
func dominant(c color.Color) string {
	r, g, b, _ := c.RGBA()
	switch {
	case r > 2*g && r > 2*b:
		return "red"
	case b > 2*r && b > 2*g:
		return "blue"
	}
	return "neither"
}

func TestCleanRefuses(t *testing.T) {
	p, j := pngOf(t, picture(16, 8)), jpegOf(t, picture(16, 8))
	badCRC := append([]byte{}, p...)
	badCRC[len(badCRC)-12-1] ^= 0xFF // the last byte of the CRC before IEND: IDAT's
	webp := func(body string) []byte {
		b := []byte("RIFF")
		b = binary.LittleEndian.AppendUint32(b, uint32(4+len(body)))
		return append(append(b, "WEBP"...), body...)
	}
	for _, c := range []struct {
		name string
		in   []byte
		want string
	}{
		{"fake WebP: a VP8 header, then HTML", webp("VP8 \x10\x00\x00\x00" + html), "WebP images are not accepted"},
		{"WebP lossless header", webp("VP8L\x05\x00\x00\x00\x2f\x00\x00\x00\x00"), "WebP images are not accepted"},
		{"GIF", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), "GIF images are not accepted"},
		{"HTML", []byte(html), "must be a whole JPEG or PNG image"},
		{"PNG signature and nothing else", p[:8], "must be a whole JPEG or PNG image"},
		{"PNG cut short", p[:len(p)-20], "must be a whole JPEG or PNG image"},
		{"PNG with a wrong checksum", badCRC, "must be a whole JPEG or PNG image"},
		{"JPEG cut short", j[:len(j)/2], "must be a whole JPEG or PNG image"},
		{"PNG of 30000×30000", bombPNG(30000, 30000), "is 30000×30000 pixels: an image may have at most 40 megapixels"},
		{"PNG of 8000×5001, just over", bombPNG(8000, 5001), "is 8000×5001 pixels"},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, err := Clean(c.in, keycard.MaxPhotoPixels)
			e, ok := errors.AsType[*keycard.Error](err)
			var msgs []string
			if ok {
				fe, _ := e.Details.(keycard.FieldErrors)
				msgs = fe["photo"]
			}
			if !ok || e.Code != keycard.EInvalid || !strings.Contains(strings.Join(msgs, " "), c.want) {
				t.Fatalf("got %v, %v; want a validation error on photo: %s", out, err, c.want)
			}
		})
	}
}

// TestCleanRefusesBombWithoutDecoding checks that a huge declared image is
// refused from its header: decoding it would allocate 3.6 GB of pixels.
func TestCleanRefusesBombWithoutDecoding(t *testing.T) {
	bomb := bombPNG(30000, 30000)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := Clean(bomb, keycard.MaxPhotoPixels)
	runtime.ReadMemStats(&after)
	if err == nil {
		t.Fatal("got the bomb kept, want it refused")
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
		t.Errorf("refusing the bomb allocated %d bytes, want under 1 MB: its pixels were decoded", n)
	}
}

// TestCleanOrients checks that a JPEG's EXIF orientation, which goes with
// its EXIF block, is applied to the pixels kept.
func TestCleanOrients(t *testing.T) {
	j := jpegOf(t, picture(16, 8)) // red left, blue right
	for _, c := range []struct {
		orientation uint16
		w, h        int
		// where the stored red and blue halves show
		redAt, blueAt image.Point
	}{
		{1, 16, 8, image.Pt(2, 4), image.Pt(13, 4)},
		{3, 16, 8, image.Pt(13, 4), image.Pt(2, 4)}, // upside down
		{6, 8, 16, image.Pt(4, 2), image.Pt(4, 13)}, // stored lying on its left: the left half goes to the top
		{8, 8, 16, image.Pt(4, 13), image.Pt(4, 2)},
	} {
		t.Run(string(rune('0'+c.orientation)), func(t *testing.T) {
			out, err := Clean(afterSOI(j, 0xE1, exif(c.orientation, "")), keycard.MaxPhotoPixels)
			if err != nil {
				t.Fatal(err)
			}
			img, err := jpeg.Decode(bytes.NewReader(out.Data))
			if err != nil {
				t.Fatal(err)
			}
			if b := img.Bounds(); b.Dx() != c.w || b.Dy() != c.h {
				t.Errorf("got %d×%d, want %d×%d", b.Dx(), b.Dy(), c.w, c.h)
			}
			if got := dominant(img.At(c.redAt.X, c.redAt.Y)); got != "red" {
				t.Errorf("at %v: got %s, want red", c.redAt, got)
			}
			if got := dominant(img.At(c.blueAt.X, c.blueAt.Y)); got != "blue" {
				t.Errorf("at %v: got %s, want blue", c.blueAt, got)
			}
		})
	}
}

// FuzzJPEGOrientation checks that no JPEG header makes the EXIF reader
// panic.
func FuzzJPEGOrientation(f *testing.F) {
	f.Add([]byte("\xff\xd8"))
	f.Add(afterSOI([]byte("\xff\xd8\xff\xd9"), 0xE1, exif(6, "x")))
	f.Fuzz(func(t *testing.T, data []byte) {
		if o := jpegOrientation(data); o < 1 || o > 8 {
			t.Errorf("got orientation %d, want 1 to 8", o)
		}
	})
}
