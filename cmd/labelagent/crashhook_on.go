//go:build crashhook

package main

import "os"

// crashHook is for the crash tests of the real binary: with
// LABELAGENT_CRASH_AT=<step> (intent, answered, stored, printing,
// dayend-intent, dayend-closed) the agent kills itself (SIGKILL on Unix)
// when a shipment reaches that step, as a power cut would. Unset: nil.
// Only test builds have it (-tags crashhook, see e2e_test.go); the
// shipped binary has no way to kill itself (crashhook_off.go).
func crashHook(getenv func(string) string) func(string) error {
	at := getenv("LABELAGENT_CRASH_AT")
	if at == "" {
		return nil
	}
	return func(step string) error {
		if step == at {
			if p, err := os.FindProcess(os.Getpid()); err == nil {
				_ = p.Kill()
			}
			select {} // until the signal lands
		}
		return nil
	}
}
