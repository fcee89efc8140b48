//go:build !windows

package i18n

// systemLanguages: on POSIX systems the environment is the system language,
// which Detect has read already.
func systemLanguages() []string { return nil }
