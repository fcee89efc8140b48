package zpl

import (
	"image"
	"time"
)

// NativeLinear exposes the linear symbol search to the external tests,
// which draw its commands back through zpl/render.
func NativeLinear(m *Mono) (rects []image.Rectangle, cmds []string) {
	for _, s := range findLinearSymbols(m) {
		rects = append(rects, s.printed())
		cmds = append(cmds, s.cmd)
	}
	return rects, cmds
}

// CPUTime is the CPU time this process has used, for the benchmarks of
// the external test package.
func CPUTime() time.Duration { return cpuTime() }
