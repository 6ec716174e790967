package secretbox

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestSealOpen(t *testing.T) {
	b, err := New(bytes.Repeat([]byte{1}, KeySize))
	if err != nil {
		t.Fatal(err)
	}
	other, _ := New(bytes.Repeat([]byte{2}, KeySize))
	sealed := b.Seal([]byte("whsec_secret"), "row-1")
	if bytes.Contains(sealed, []byte("whsec_secret")) {
		t.Fatal("sealed value holds the plaintext")
	}
	if got, err := b.Open(sealed, "row-1"); err != nil || string(got) != "whsec_secret" {
		t.Fatalf("Open = %q, %v; want the plaintext", got, err)
	}
	if _, err := b.Open(sealed, "row-2"); !errors.Is(err, ErrOpen) {
		t.Errorf("Open with another context = %v, want ErrOpen", err)
	}
	if _, err := other.Open(sealed, "row-1"); !errors.Is(err, ErrOpen) {
		t.Errorf("Open with another key = %v, want ErrOpen", err)
	}
	sealed[len(sealed)-1] ^= 1
	if _, err := b.Open(sealed, "row-1"); !errors.Is(err, ErrOpen) {
		t.Errorf("Open of altered bytes = %v, want ErrOpen", err)
	}
}

func TestLoadKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "webhook.key")
	if _, err := LoadKeyFile(path, false); err == nil {
		t.Fatal("LoadKeyFile of a missing file without create succeeded")
	}
	b1, err := LoadKeyFile(path, true)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode = %v, want 0600", fi.Mode().Perm())
	}
	b2, err := LoadKeyFile(path, true)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := b2.Open(b1.Seal([]byte("x"), "c"), "c"); err != nil || string(got) != "x" {
		t.Errorf("a reloaded key does not open what the first sealed: %v", err)
	}
	os.WriteFile(path, []byte("short"), 0o600)
	if _, err := LoadKeyFile(path, true); err == nil {
		t.Error("LoadKeyFile accepted a bad key file")
	}
}
