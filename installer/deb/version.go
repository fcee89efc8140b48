package deb

import (
	"regexp"
	"strings"
)

var (
	reDebVersion = regexp.MustCompile(`^[0-9]+(\.[0-9]+)+[A-Za-z0-9.+~]*$`) // a tag; a bare commit hash is not one
	reNumeric    = regexp.MustCompile(`^([0-9]+)\.([0-9]+)\.([0-9]+)`)
)

// Version spells a build's version (git describe: "v1.2.0", "v1.2.0-3-gabc123",
// "abc1234", "dev") as Debian wants it: starting with a digit, and sorting a
// build after a tag before the next tag ("1.2.0+3.gabc123"); a version without
// a tag becomes "0.0.0~git.<what>".
func Version(v string) string {
	v = strings.TrimPrefix(strings.TrimSpace(v), "v")
	v = strings.ReplaceAll(v, "-dirty", "+dirty")
	if m := regexp.MustCompile(`^([0-9][0-9.]*)-([0-9]+)-(g[0-9a-f]+)(.*)$`).FindStringSubmatch(v); m != nil {
		v = m[1] + "+" + m[2] + "." + m[3] + m[4]
	}
	v = strings.ReplaceAll(v, "-", "~")
	if reDebVersion.MatchString(v) {
		return v
	}
	clean := regexp.MustCompile(`[^A-Za-z0-9.+~]`).ReplaceAllString(v, ".")
	if clean == "" {
		clean = "unknown"
	}
	return "0.0.0~git." + clean
}

// WindowsVersion is the numeric x.y.z Windows' version resources accept
// (0.0.0 for untagged builds).
func WindowsVersion(v string) string {
	m := reNumeric.FindStringSubmatch(Version(v))
	if m == nil {
		return "0.0.0"
	}
	return m[1] + "." + m[2] + "." + m[3]
}
