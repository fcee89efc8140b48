//go:build windows

package apikey

import "log/slog"

// operatorGroup: Windows has no such group; access comes from the ACL.
func operatorGroup() (int, bool) { return 0, false }

// shareWithOperators: under %ProgramData% new files inherit read access for
// the local Users group, which is who the operators are.
func shareWithOperators(string, func() (int, bool)) {}

// tighten: permissions on Windows are ACLs inherited from ProgramData.
func tighten(string, func() (int, bool), *slog.Logger) error { return nil }
