// Package secretscan checks the signatures of secret-scanning reports in
// the format of GitHub's secret-scanning partner program: the raw body is
// signed with ECDSA P-256 over its SHA-256, the signature sent base64 (in
// ASN.1 DER) in GITHUB-PUBLIC-KEY-SIGNATURE, and the signing key named by
// GITHUB-PUBLIC-KEY-IDENTIFIER. The public keys come from a file in the
// JSON shape of GitHub's published list
// ({"public_keys":[{"key_identifier","key","is_current"}]}).
package secretscan

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"
)

// Headers of a signed report.
const (
	HeaderKeyID     = "GITHUB-PUBLIC-KEY-IDENTIFIER"
	HeaderSignature = "GITHUB-PUBLIC-KEY-SIGNATURE"
)

// Keys are the public keys reports may be signed with, by identifier.
type Keys struct {
	byID map[string]*ecdsa.PublicKey
}

// KeyFile is the JSON shape of the key list.
type KeyFile struct {
	PublicKeys []PublicKey `json:"public_keys"`
}

// PublicKey is one key of the list; key is a PEM "PUBLIC KEY" block.
type PublicKey struct {
	KeyIdentifier string `json:"key_identifier"`
	Key           string `json:"key"`
	IsCurrent     bool   `json:"is_current"`
}

// Load reads the key list at path.
func Load(path string) (*Keys, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	k, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// Parse reads a key list. Every key must be an ECDSA P-256 public key; a
// list with none is an error, as it would refuse every report.
func Parse(b []byte) (*Keys, error) {
	var f KeyFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("not a key list: %w", err)
	}
	k := &Keys{byID: map[string]*ecdsa.PublicKey{}}
	for i, pk := range f.PublicKeys {
		if pk.KeyIdentifier == "" {
			return nil, fmt.Errorf("public_keys[%d]: key_identifier is empty", i)
		}
		block, _ := pem.Decode([]byte(pk.Key))
		if block == nil || block.Type != "PUBLIC KEY" {
			return nil, fmt.Errorf("public_keys[%d]: key is not a PEM PUBLIC KEY block", i)
		}
		pub, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("public_keys[%d]: %w", i, err)
		}
		ec, ok := pub.(*ecdsa.PublicKey)
		if !ok || ec.Curve != elliptic.P256() {
			return nil, fmt.Errorf("public_keys[%d]: key is not an ECDSA P-256 key", i)
		}
		k.byID[pk.KeyIdentifier] = ec
	}
	if len(k.byID) == 0 {
		return nil, errors.New("the list has no public_keys")
	}
	return k, nil
}

// ErrBadSignature refuses a report whose signature does not check out
// (unknown key, malformed or wrong signature); it says no more, on purpose.
var ErrBadSignature = errors.New("secretscan: bad signature")

// Verify checks that sig (base64 ASN.1) is the signature of body by the
// key named keyID.
func (k *Keys) Verify(keyID, sig string, body []byte) error {
	pub := k.byID[strings.TrimSpace(keyID)]
	if pub == nil {
		return ErrBadSignature
	}
	der, err := base64.StdEncoding.DecodeString(strings.TrimSpace(sig))
	if err != nil {
		return ErrBadSignature
	}
	sum := sha256.Sum256(body)
	if !ecdsa.VerifyASN1(pub, sum[:], der) {
		return ErrBadSignature
	}
	return nil
}
