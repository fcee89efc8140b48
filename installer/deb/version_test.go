package deb

import "testing"

func TestVersions(t *testing.T) {
	for _, tc := range []struct{ in, deb, win string }{
		{"v1.2.0", "1.2.0", "1.2.0"},
		{"v1.2.0-3-gabc123", "1.2.0+3.gabc123", "1.2.0"},
		{"v1.2.0-3-gabc123-dirty", "1.2.0+3.gabc123+dirty", "1.2.0"},
		{"v2.0.0-rc1", "2.0.0~rc1", "2.0.0"},
		{"abc1234", "0.0.0~git.abc1234", "0.0.0"},
		{"3aa0609", "0.0.0~git.3aa0609", "0.0.0"},
		{"3aa0609-dirty", "0.0.0~git.3aa0609+dirty", "0.0.0"},
		{"abc1234-dirty", "0.0.0~git.abc1234+dirty", "0.0.0"},
		{"dev", "0.0.0~git.dev", "0.0.0"},
		{"", "0.0.0~git.unknown", "0.0.0"},
	} {
		if got := Version(tc.in); got != tc.deb {
			t.Errorf("Version(%q) = %q, want %q", tc.in, got, tc.deb)
		}
		if got := WindowsVersion(tc.in); got != tc.win {
			t.Errorf("WindowsVersion(%q) = %q, want %q", tc.in, got, tc.win)
		}
	}
}
