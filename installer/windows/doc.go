// Package windows holds the NSIS script of labelagent's Windows installer
// (labelagent.nsi, built by `make dist`) and the test that it compiles.
package windows
