package zpl

import (
	"context"
	"os"
	"path/filepath"
	"strings"
)

// removeOldPDFCaches deletes the compiled renderers that earlier versions
// left in cacheDir (folders "go-pdfium-…" other than this version's): each
// is tens of MB that nothing reads after an upgrade. Best effort: a folder
// that cannot be removed is left. After a downgrade the newer version's
// folder goes too; that version compiles again once if it comes back.
func removeOldPDFCaches(cacheDir string) {
	entries, err := os.ReadDir(cacheDir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if e.IsDir() && strings.HasPrefix(e.Name(), "go-pdfium-") && e.Name() != PDFiumVersion {
			_ = os.RemoveAll(filepath.Join(cacheDir, e.Name()))
		}
	}
}

// PDFCacheReady reports whether cacheDir holds the compiled PDF renderer of
// this version, so that the renderer starts in a fraction of a second
// instead of compiling for several.
func PDFCacheReady(cacheDir string) bool {
	if cacheDir == "" {
		return false
	}
	entries, err := os.ReadDir(filepath.Join(cacheDir, PDFiumVersion))
	if err != nil {
		return false
	}
	for _, e := range entries {
		if e.IsDir() {
			if sub, err := os.ReadDir(filepath.Join(cacheDir, PDFiumVersion, e.Name())); err == nil && len(sub) > 0 {
				return true
			}
		} else {
			return true
		}
	}
	return false
}

// PrepareCache compiles the PDF renderer into the converter's cache
// directory when it is not there yet (the first start after an install or
// an upgrade), then stops the renderer again, so an idle agent keeps its
// memory low and the first PDF label starts the renderer from the cache.
// It reports whether it compiled anything.
func (c *Converter) PrepareCache(ctx context.Context) (bool, error) {
	if c.opts.CacheDir == "" || PDFCacheReady(c.opts.CacheDir) {
		return false, nil
	}
	if err := c.Warm(ctx); err != nil {
		return false, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.engine != nil && !c.closed {
		err := c.engine.close()
		c.engine = nil
		return true, err
	}
	return true, nil
}
