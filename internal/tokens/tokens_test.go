package tokens

import (
	"strings"
	"testing"
)

func TestNewIsValid(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		k := New(KeyPrefix)
		if len(k) != KeyLen {
			t.Fatalf("len = %d, want %d", len(k), KeyLen)
		}
		if !Valid(KeyPrefix, k) {
			t.Fatalf("a new key does not validate")
		}
		if Valid(SessionPrefix, k) {
			t.Fatalf("a key validates as a session token")
		}
		if seen[k] {
			t.Fatalf("duplicate key")
		}
		seen[k] = true
	}
}

func TestValidRejects(t *testing.T) {
	k := New(KeyPrefix)
	flip := func(i int) string {
		b := []byte(k)
		if b[i] == 'a' {
			b[i] = 'b'
		} else {
			b[i] = 'a'
		}
		return string(b)
	}
	tests := []struct {
		name, token string
	}{
		{"empty", ""},
		{"no prefix", k[3:]},
		{"wrong prefix", "gh_" + k[3:]},
		{"short", k[:len(k)-1]},
		{"long", k + "a"},
		{"random part changed", flip(10)},
		{"checksum changed", flip(len(k) - 1)},
		{"non-base62", k[:10] + "/" + k[11:]},
		{"channex-style", "uU08XiMgk8a7CrY4xUjAReUIuTrn83R123adaVb8Tf/qMcVTEgriuJhXWs/1Q1P"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if Valid(KeyPrefix, tt.token) {
				t.Errorf("Valid(%q) = true, want false", tt.name)
			}
		})
	}
}

func TestHashAndHint(t *testing.T) {
	k := New(KeyPrefix)
	if h := Hash(k); len(h) != 64 || strings.Contains(h, k[3:10]) {
		t.Errorf("Hash gives %d characters, want a 64-character digest", len(h))
	}
	if Hash(k) == Hash(New(KeyPrefix)) {
		t.Errorf("two keys hash alike")
	}
	if got, want := Hint(k), "kc_…"+k[len(k)-4:]; got != want {
		t.Errorf("Hint = %q, want %q", got, want)
	}
}

func FuzzValid(f *testing.F) {
	f.Add(New(KeyPrefix))
	f.Add("kc_")
	f.Fuzz(func(t *testing.T, s string) {
		if Valid(KeyPrefix, s) && len(s) != KeyLen {
			t.Fatalf("Valid accepted a token of length %d", len(s))
		}
	})
}

func BenchmarkValidHash(b *testing.B) {
	k := New(KeyPrefix)
	for b.Loop() {
		if !Valid(KeyPrefix, k) {
			b.Fatal("invalid")
		}
		_ = Hash(k)
	}
}

func TestRedact(t *testing.T) {
	key, session := New(KeyPrefix), New(SessionPrefix)
	got := Redact("/api/v1/properties/" + key + "/x/" + session + "/kc_notakey")
	if strings.Contains(got, key) || strings.Contains(got, session) {
		t.Errorf("Redact left a token in %q", got)
	}
	if want := "/api/v1/properties/" + Hint(key) + "/x/" + Hint(session) + "/kc_notakey"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestFind(t *testing.T) {
	k1, k2 := New(KeyPrefix), New(KeyPrefix)
	bad := k1[:len(k1)-1] + string(alphabet[(strings.IndexByte(alphabet, k1[len(k1)-1])+1)%62])
	text := "a: " + k1 + "\nb=\"" + k2 + "\"\n" +
		"x" + k1 + "\n" + // inside a word
		k1 + "Z\n" + // longer than a key
		bad + "\n" + // wrong checksum
		New(SessionPrefix) + "\n" + "kc_short\n" + k2
	var got []string
	Find([]byte(text), func(off int) { got = append(got, text[off:off+KeyLen]) })
	if len(got) != 3 || got[0] != k1 || got[1] != k2 || got[2] != k2 {
		t.Errorf("found %d keys, want k1, k2, k2 (at the end)", len(got))
	}
}

func BenchmarkFind(b *testing.B) {
	buf := make([]byte, 8<<20)
	for i := range buf {
		buf[i] = "abcdefghij klmnopqrstuvwxyz_kc\n"[i%31]
	}
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		Find(buf, func(int) {})
	}
}
