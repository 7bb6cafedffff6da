package webhook_test

import (
	"testing"

	"github.com/headroomhq/headroom/statuspage/webhook"
)

func TestRedactURL(t *testing.T) {
	tests := []struct{ name, url, want string }{
		{"nothing to hide", "https://hooks.example.com/status", "https://hooks.example.com/status"},
		{"password", "https://ops:hunter2@hooks.example.com/status", "https://ops:xxxxx@hooks.example.com/status"},
		{"user name alone, a token", "https://ghp_token@hooks.example.com/", "https://xxxxx@hooks.example.com/"},
		{"query values", "https://hooks.example.com/s?token=abc&team=sre&flag", "https://hooks.example.com/s?token=xxxxx&team=xxxxx&flag"},
		{"fragment dropped", "https://hooks.example.com/s#secret", "https://hooks.example.com/s"},
		{"does not parse", "http://ops:hunter2@[::1", "(a subscriber URL that does not parse)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := webhook.RedactURL(tt.url); got != tt.want {
				t.Errorf("RedactURL(%q) = %q, want %q", tt.url, got, tt.want)
			}
		})
	}
}
