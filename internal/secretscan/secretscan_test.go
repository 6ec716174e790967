package secretscan

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"testing"
)

func keyList(t *testing.T, id string, pub any) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(KeyFile{PublicKeys: []PublicKey{{KeyIdentifier: id, IsCurrent: true,
		Key: string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))}}})
	return b
}

func TestVerify(t *testing.T) {
	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	keys, err := Parse(keyList(t, "k1", &priv.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`[{"token":"x","type":"keycard_api_key","url":"u","source":"content"}]`)
	sum := sha256.Sum256(body)
	der, _ := ecdsa.SignASN1(rand.Reader, priv, sum[:])
	sig := base64.StdEncoding.EncodeToString(der)
	if err := keys.Verify("k1", sig, body); err != nil {
		t.Errorf("good signature: %v", err)
	}
	for name, c := range map[string]struct{ id, sig, body string }{
		"other body":  {"k1", sig, string(body) + " "},
		"unknown key": {"k2", sig, string(body)},
		"not base64":  {"k1", "!!", string(body)},
		"empty":       {"k1", "", string(body)},
	} {
		if err := keys.Verify(c.id, c.sig, []byte(c.body)); err != ErrBadSignature {
			t.Errorf("%s: err = %v, want ErrBadSignature", name, err)
		}
	}
}

func TestParseRefuses(t *testing.T) {
	rsaLike, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	for name, b := range map[string][]byte{
		"not JSON": []byte("nope"),
		"no keys":  []byte(`{"public_keys":[]}`),
		"not PEM":  []byte(`{"public_keys":[{"key_identifier":"a","key":"abc"}]}`),
		"P-384":    keyList(t, "a", &rsaLike.PublicKey),
		"no id":    keyList(t, "", &rsaLike.PublicKey),
	} {
		if _, err := Parse(b); err == nil {
			t.Errorf("%s: parsed", name)
		}
	}
}
