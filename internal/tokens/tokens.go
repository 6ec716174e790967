// Package tokens makes and checks keycard's secret tokens.
//
// A token is a prefix ("kc_" for API keys, "kcs_" for session tokens,
// "kcr_" for refresh tokens and "kcc_" for the inbound keys channels push
// bookings with), 40 base62 characters from crypto/rand and 6
// base62 characters of the CRC32 of those 40. The checksum lets a secret
// scanner recognise a token offline and lets the server reject a mistyped
// or made-up token without touching storage. Tokens are stored only as
// their SHA-256: with 238 bits of randomness no slow hash is needed.
package tokens

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"hash/crc32"
	"strings"
)

// Prefixes of the kinds of token.
const (
	KeyPrefix     = "kc_"
	SessionPrefix = "kcs_"
	RefreshPrefix = "kcr_"
	ChannelPrefix = "kcc_"
)

const (
	randomLen   = 40
	checksumLen = 6
	alphabet    = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
)

// KeyLen is the length of an API key.
const KeyLen = len(KeyPrefix) + randomLen + checksumLen

// New returns a fresh token with the given prefix.
func New(prefix string) string {
	var b strings.Builder
	b.Grow(len(prefix) + randomLen + checksumLen)
	b.WriteString(prefix)
	buf := make([]byte, 64)
	n := 0
	for n < randomLen {
		rand.Read(buf) // never fails; it crashes the program if the OS cannot supply randomness
		for _, c := range buf {
			// 248 = 4*62: rejecting bytes above it keeps every symbol equally likely.
			if c < 248 && n < randomLen {
				b.WriteByte(alphabet[c%62])
				n++
			}
		}
	}
	random := b.String()[len(prefix):]
	b.WriteString(checksum(random))
	return b.String()
}

func checksum(random string) string {
	sum := uint64(crc32.ChecksumIEEE([]byte(random)))
	var out [checksumLen]byte
	for i := checksumLen - 1; i >= 0; i-- {
		out[i] = alphabet[sum%62]
		sum /= 62
	}
	return string(out[:])
}

// Valid reports whether token has the given prefix, the right length, only
// base62 characters and a matching checksum.
func Valid(prefix, token string) bool {
	if len(token) != len(prefix)+randomLen+checksumLen || !strings.HasPrefix(token, prefix) {
		return false
	}
	body := token[len(prefix):]
	for i := 0; i < len(body); i++ {
		if !isBase62(body[i]) {
			return false
		}
	}
	return checksum(body[:randomLen]) == body[randomLen:]
}

func isBase62(c byte) bool {
	return '0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z'
}

// Hash returns the hex SHA-256 of token, the only form in which a token is
// stored or compared.
func Hash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Hint returns the displayable form of a key: its prefix, an ellipsis and
// its last four characters.
func Hint(token string) string {
	prefix := token
	if i := strings.IndexByte(token, '_'); i >= 0 {
		prefix = token[:i+1]
	}
	if len(token) < 4 {
		return prefix + "…"
	}
	return prefix + "…" + token[len(token)-4:]
}

// Redact returns s with every well-formed token in it (a key pasted into
// a URL path, say) replaced by its hint, for a log line.
func Redact(s string) string {
	if !strings.Contains(s, "k") {
		return s
	}
	for _, prefix := range []string{SessionPrefix, RefreshPrefix, ChannelPrefix, KeyPrefix} {
		n := len(prefix) + randomLen + checksumLen
		for i := strings.Index(s, prefix); i >= 0 && i+n <= len(s); {
			if tok := s[i : i+n]; Valid(prefix, tok) {
				s = s[:i] + Hint(tok) + s[i+n:]
			}
			j := strings.Index(s[i+1:], prefix)
			if j < 0 {
				break
			}
			i += 1 + j
		}
	}
	return s
}

// Find calls found with the offset of each API key in b: a "kc_" token of
// the right length and checksum, not inside a longer word. It is a
// secret scanner's inner loop: bytes.Index skips to each "kc_", and only
// those are checked.
func Find(b []byte, found func(off int)) {
	const n = len(KeyPrefix) + randomLen + checksumLen
	prefix := []byte(KeyPrefix)
	for i := 0; i+n <= len(b); {
		j := bytes.Index(b[i:], prefix)
		if j < 0 || i+j+n > len(b) {
			return
		}
		at := i + j
		if (at == 0 || !isWordByte(b[at-1])) && (at+n == len(b) || !isWordByte(b[at+n])) && validBody(b[at+len(KeyPrefix):at+n]) {
			found(at)
			i = at + n
			continue
		}
		i = at + 1
	}
}

// isWordByte reports whether c continues a token: a base62 character or
// an underscore.
func isWordByte(c byte) bool { return isBase62(c) || c == '_' }

// validBody checks the random part and checksum of a key without its
// prefix.
func validBody(body []byte) bool {
	for _, c := range body {
		if !isBase62(c) {
			return false
		}
	}
	sum := uint64(crc32.ChecksumIEEE(body[:randomLen]))
	for i := checksumLen - 1; i >= 0; i-- {
		if body[randomLen+i] != alphabet[sum%62] {
			return false
		}
		sum /= 62
	}
	return true
}
