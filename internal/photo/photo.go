// Package photo checks uploaded images and rewrites them. An upload is
// decoded whole and encoded anew, so that what keycard keeps and serves
// is only pixels: nothing after the image's end, no text or comment
// chunks, no metadata (EXIF, XMP, colour profiles), whatever the upload
// carried. The image's size is read from its header and checked before
// the pixels are decoded, so that a small file declaring a huge image
// cannot make the server allocate them.
//
// JPEG and PNG are accepted, each kept in its own format. WebP and GIF
// are refused. The standard library reads no WebP, and golang.org/x/image,
// which does, writes none: a WebP could only be kept as a PNG, several
// times larger than the photo sent (past the upload limit and through the
// quota for an ordinary camera picture), or as a JPEG compressed a second
// time, without its transparency. GIF is no format for photos. Channels
// take JPEG and PNG everywhere.
package photo

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"

	"github.com/keycard/keycard/internal/keycard"
)

// JPEGQuality is the quality JPEGs are encoded anew with: high enough
// that the second compression does not show.
const JPEGQuality = 90

// Image is an upload as keycard keeps it.
type Image struct {
	ContentType   string // image/jpeg or image/png
	Ext           string // .jpg or .png
	Width, Height int
	Data          []byte
}

// Clean decodes data, a JPEG or PNG of at most maxPixels pixels, and
// encodes it anew; a JPEG's EXIF orientation is applied to its pixels, as
// the EXIF block that carried it is dropped. Anything else is refused
// with a validation error on the field "photo".
func Clean(data []byte, maxPixels int) (*Image, error) {
	var (
		decodeConfig func([]byte) (image.Config, error)
		decode       func([]byte) (image.Image, error)
		out          = &Image{}
	)
	switch {
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		out.ContentType, out.Ext = "image/png", ".png"
		decodeConfig = func(b []byte) (image.Config, error) { return png.DecodeConfig(bytes.NewReader(b)) }
		decode = func(b []byte) (image.Image, error) { return png.Decode(bytes.NewReader(b)) }
	case bytes.HasPrefix(data, []byte("\xff\xd8\xff")):
		out.ContentType, out.Ext = "image/jpeg", ".jpg"
		decodeConfig = func(b []byte) (image.Config, error) { return jpeg.DecodeConfig(bytes.NewReader(b)) }
		decode = func(b []byte) (image.Image, error) { return jpeg.Decode(bytes.NewReader(b)) }
	case len(data) >= 12 && string(data[:4]) == "RIFF" && string(data[8:12]) == "WEBP":
		return nil, keycard.Invalid("photo", "WebP images are not accepted: send a JPEG or PNG")
	case bytes.HasPrefix(data, []byte("GIF8")):
		return nil, keycard.Invalid("photo", "GIF images are not accepted: send a JPEG or PNG")
	default:
		return nil, notAnImage()
	}
	cfg, err := decodeConfig(data)
	if err != nil || cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, notAnImage()
	}
	if int64(cfg.Width)*int64(cfg.Height) > int64(maxPixels) {
		return nil, keycard.Invalid("photo", fmt.Sprintf("is %d×%d pixels: an image may have at most %d megapixels",
			cfg.Width, cfg.Height, maxPixels/1_000_000))
	}
	img, err := decode(data)
	if err != nil {
		return nil, notAnImage()
	}
	var b bytes.Buffer
	if out.ContentType == "image/png" {
		err = png.Encode(&b, img)
	} else {
		img = orient(img, jpegOrientation(data))
		err = jpeg.Encode(&b, img, &jpeg.Options{Quality: JPEGQuality})
	}
	if err != nil {
		return nil, fmt.Errorf("photo: encode %s: %w", out.ContentType, err)
	}
	out.Width, out.Height, out.Data = img.Bounds().Dx(), img.Bounds().Dy(), b.Bytes()
	return out, nil
}

func notAnImage() error {
	return keycard.Invalid("photo", "must be a whole JPEG or PNG image")
}

// jpegOrientation returns the EXIF orientation (1 to 8) of a JPEG, 1 when
// it has none. It reads the segments before the image data, looking for
// an APP1 Exif block, and in it the first directory's tag 0x0112.
func jpegOrientation(data []byte) int {
	for i := 2; i+4 <= len(data); {
		if data[i] != 0xFF {
			return 1
		}
		marker := data[i+1]
		switch {
		case marker == 0xFF: // fill byte
			i++
			continue
		case marker == 0xDA || marker == 0xD9: // image data, or the end
			return 1
		case marker >= 0xD0 && marker <= 0xD7 || marker == 0x01: // no length
			i += 2
			continue
		}
		n := int(binary.BigEndian.Uint16(data[i+2:]))
		if n < 2 || i+2+n > len(data) {
			return 1
		}
		if seg := data[i+4 : i+2+n]; marker == 0xE1 && bytes.HasPrefix(seg, []byte("Exif\x00\x00")) {
			return exifOrientation(seg[6:])
		}
		i += 2 + n
	}
	return 1
}

// exifOrientation reads the orientation tag of an EXIF (TIFF) block.
func exifOrientation(tiff []byte) int {
	if len(tiff) < 8 {
		return 1
	}
	var bo binary.ByteOrder
	switch string(tiff[:4]) {
	case "II*\x00":
		bo = binary.LittleEndian
	case "MM\x00*":
		bo = binary.BigEndian
	default:
		return 1
	}
	off := uint64(bo.Uint32(tiff[4:]))
	if off+2 > uint64(len(tiff)) {
		return 1
	}
	entries := tiff[off+2:]
	for range bo.Uint16(tiff[off:]) {
		if len(entries) < 12 {
			return 1
		}
		if bo.Uint16(entries) == 0x0112 && bo.Uint16(entries[2:]) == 3 { // orientation, SHORT
			if o := int(bo.Uint16(entries[8:])); o >= 1 && o <= 8 {
				return o
			}
			return 1
		}
		entries = entries[12:]
	}
	return 1
}

// orient returns img as EXIF orientation o says to show it. It copies no
// pixels: the encoder reads them through the turn.
func orient(img image.Image, o int) image.Image {
	if o <= 1 || o > 8 {
		return img
	}
	return &oriented{src: img, o: o, w: img.Bounds().Dx(), h: img.Bounds().Dy()}
}

type oriented struct {
	src  image.Image
	o    int
	w, h int // of src
}

func (m *oriented) ColorModel() color.Model { return m.src.ColorModel() }

func (m *oriented) Bounds() image.Rectangle {
	if m.o >= 5 { // a quarter turn: width and height swap
		return image.Rect(0, 0, m.h, m.w)
	}
	return image.Rect(0, 0, m.w, m.h)
}

func (m *oriented) At(x, y int) color.Color {
	w, h := m.w, m.h
	var sx, sy int
	switch m.o {
	case 2: // mirrored
		sx, sy = w-1-x, y
	case 3: // upside down
		sx, sy = w-1-x, h-1-y
	case 4: // mirrored upside down
		sx, sy = x, h-1-y
	case 5: // mirrored, a quarter turn
		sx, sy = y, x
	case 6: // a quarter turn clockwise to show
		sx, sy = y, h-1-x
	case 7:
		sx, sy = w-1-y, h-1-x
	case 8: // a quarter turn counter-clockwise to show
		sx, sy = w-1-y, x
	}
	origin := m.src.Bounds().Min
	return m.src.At(origin.X+sx, origin.Y+sy)
}
