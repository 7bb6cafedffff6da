// Package controller runs the decision engine live. For each target, every
// interval, it reads the target's metrics, asks engine.Decide — the same
// function the simulator drives, so what `headroom check` tested is what
// runs — applies headroom's guards, acts through the target's actuator and
// records the decision with its reason.
//
// The engine's memory (stabilization history, cooldowns, scheduled bounds)
// is kept in a Journal between iterations, so a restart does not reset it.
// A failed actuation does not advance it: Decide never changes the state it
// is given, so the next iteration decides again from the same memory.
//
// An actuation is written ahead (Journal.Intend) and closed by the record
// of its outcome; a leader's first loop after taking the lease (or
// starting) reconciles every open intent against the platform's count
// before it decides, so a process killed between acting and recording
// loses no record. With a Leader, every journal write carries the lease's
// fencing token (Journal.Fenced): an old leader's late write is refused.
package controller
