package zpl_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/labelagent/labelagent/zpl"
)

// conv is the one Converter of this test binary: starting pdfium costs a
// compile, cached across runs under the temp dir keyed by its version.
var conv *zpl.Converter

func TestMain(m *testing.M) {
	conv = zpl.NewConverter(zpl.ConverterOptions{CacheDir: filepath.Join(os.TempDir(), "labelagent-zpl-test-cache")})
	code := m.Run()
	conv.Close()
	os.Exit(code)
}

func testContext(t testing.TB) context.Context {
	return t.Context()
}
