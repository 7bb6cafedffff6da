package headroom

// Mode says what the live loop may do to a target. A config writes it as
// a string; this is its one definition.
type Mode string

// Modes of a target.
const (
	// ModeEnforce decides and acts.
	ModeEnforce Mode = "enforce"
	// ModeShadow decides and records, never acts: a config's default, so
	// that a new target is watched before it is trusted.
	ModeShadow Mode = "shadow"
	// ModeGuard leaves scaling to the platform's own autoscaler (an HPA)
	// and holds its minimum up while the guards find a reduction unsafe.
	ModeGuard Mode = "guard"
	// ModeOff keeps a target known without running it.
	ModeOff Mode = "off"
)

// Valid reports whether m is one of the modes.
func (m Mode) Valid() bool {
	switch m {
	case ModeEnforce, ModeShadow, ModeGuard, ModeOff:
		return true
	}
	return false
}
