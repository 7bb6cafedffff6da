package suggest

import "testing"

func TestDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"minReplicas", "minReplicas", 0}, {"minReplica", "minReplicas", 1},
		{"MinCapcity", "MinCapacity", 1}, {"kitten", "sitting", 3}, {"zeitüberschreitung", "zeitueberschreitung", 2},
	} {
		if got := Distance(tc.a, tc.b); got != tc.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}
