//go:build race

package purchase

// raceEnabled: the race detector slows the WebAssembly PDF renderer ~20×.
const raceEnabled = true
