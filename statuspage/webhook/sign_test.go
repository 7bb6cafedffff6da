package webhook_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/headroomhq/headroom/statuspage/webhook"
)

func TestVerify(t *testing.T) {
	body := []byte(`{"page":{"id":"p"},"incident":{"name":"Elevated errors"}}`)
	good := webhook.Sign("secret", body)
	tests := []struct {
		name      string
		secret    string
		body      []byte
		signature string
		ok        bool
	}{
		{"signed with the secret", "secret", body, good, true},
		{"upper-case hex", "secret", body, "sha256=" + strings.ToUpper(strings.TrimPrefix(good, "sha256=")), true},
		{"another secret", "other", body, good, false},
		{"body changed", "secret", append([]byte(" "), body...), good, false},
		{"no header", "secret", body, "", false},
		{"no algorithm", "secret", body, strings.TrimPrefix(good, "sha256="), false},
		{"another algorithm", "secret", body, "sha1=" + strings.TrimPrefix(good, "sha256="), false},
		{"not hex", "secret", body, "sha256=zz", false},
		{"truncated", "secret", body, good[:len(good)-2], false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := webhook.Verify(tt.secret, tt.body, tt.signature)
			if tt.ok && err != nil {
				t.Errorf("got %v, want nil", err)
			}
			if !tt.ok && !errors.Is(err, webhook.ErrSignature) {
				t.Errorf("got %v, want ErrSignature", err)
			}
		})
	}
}

func TestSignKnownValue(t *testing.T) {
	// RFC 4231, test case 2.
	got := webhook.Sign("Jefe", []byte("what do ya want for nothing?"))
	want := "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
	if got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func FuzzVerify(f *testing.F) {
	f.Add("secret", []byte(`{"a":1}`), "sha256=00")
	f.Add("", []byte{}, "")
	f.Add("k", []byte("body"), webhook.Sign("k", []byte("body")))
	f.Fuzz(func(t *testing.T, secret string, body []byte, signature string) {
		err := webhook.Verify(secret, body, signature)
		if err == nil && signature != webhook.Sign(secret, body) && !strings.EqualFold(signature, webhook.Sign(secret, body)) {
			t.Errorf("Verify accepted %q for a body whose signature is %q", signature, webhook.Sign(secret, body))
		}
		if err := webhook.Verify(secret, body, webhook.Sign(secret, body)); err != nil {
			t.Errorf("Verify refused Sign's own signature: %v", err)
		}
	})
}
