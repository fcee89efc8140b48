//go:build !race

package purchase

const raceEnabled = false
