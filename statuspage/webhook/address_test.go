package webhook_test

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/headroomhq/headroom/statuspage/webhook"
)

func TestInternal(t *testing.T) {
	for _, tt := range []struct {
		addr string
		want bool
	}{
		{"127.0.0.1", true}, {"127.8.9.10", true}, {"::1", true}, {"::ffff:127.0.0.1", true},
		{"10.0.0.1", true}, {"172.16.0.1", true}, {"192.168.1.1", true}, {"fd00::1", true},
		{"169.254.169.254", true}, {"fe80::1", true}, {"0.0.0.0", true}, {"::", true},
		{"100.64.0.1", true}, {"224.0.0.1", true}, {"255.255.255.255", true}, {"64:ff9b::a00:1", true},
		{"93.184.216.34", false}, {"8.8.8.8", false}, {"2606:4700:4700::1111", false}, {"172.32.0.1", false},
	} {
		if got := webhook.Internal(netip.MustParseAddr(tt.addr)); got != tt.want {
			t.Errorf("Internal(%s) = %v, want %v", tt.addr, got, tt.want)
		}
	}
}

func TestCheckURL(t *testing.T) {
	for _, tt := range []struct {
		url      string
		internal bool
	}{
		{"http://127.0.0.1:8080/x", true}, {"http://LOCALHOST./x", true}, {"http://api.localhost/x", true},
		{"http://[::1]/x", true}, {"http://169.254.169.254/", true},
		{"https://hooks.example.com/x", false}, {"https://93.184.216.34/x", false},
		// A name is resolved at each delivery, not here.
		{"http://metadata.google.internal/", false},
	} {
		err := webhook.CheckURL(tt.url)
		if got := errors.Is(err, webhook.ErrInternalAddress); got != tt.internal {
			t.Errorf("CheckURL(%s) = %v, want internal %v", tt.url, err, tt.internal)
		}
	}
}
