package file

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/labelagent/labelagent/printer"
)

func TestEachJobBecomesOneCompleteFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	p, err := New(printer.Config{Name: "f", Transport: "file", File: printer.FileConfig{Dir: dir}})
	if err != nil {
		t.Fatal(err)
	}
	if st, err := p.Status(context.Background()); err != nil || st.State != printer.StateReady {
		t.Fatalf("status before the first job: %+v %v (the folder is made on demand)", st, err)
	}
	// A crash mid-write leaves a partial temporary file; it is no label.
	os.WriteFile(filepath.Join(dir, ".writing-123"), []byte("^XA half"), 0o600)
	job := []byte("^XA^FDsame^FS^XZ")
	for range 2 {
		if err := p.Write(context.Background(), job); err != nil {
			t.Fatal(err)
		}
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	hidden, _ := filepath.Glob(filepath.Join(dir, ".*"))
	if len(files) != 2 || len(hidden) != 0 {
		t.Fatalf("files %v hidden %v: want two labels (printed twice is visible) and no partial file", files, hidden)
	}
	for _, f := range files {
		data, _ := os.ReadFile(f)
		fi, _ := os.Stat(f)
		if !bytes.Equal(data, job) || fi.Mode().Perm() != 0o644 {
			t.Errorf("%s: %q mode %v", f, data, fi.Mode())
		}
	}
}

func TestUnwritableFolderIsOffline(t *testing.T) {
	base := t.TempDir()
	blocker := filepath.Join(base, "file")
	os.WriteFile(blocker, nil, 0o600)
	p, _ := New(printer.Config{Name: "f", File: printer.FileConfig{Dir: filepath.Join(blocker, "out")}})
	st, err := p.Status(context.Background())
	if err != nil || st.State != printer.StateOffline || st.Detail == "" {
		t.Fatalf("status %+v %v, want offline with a reason", st, err)
	}
	if err := p.Write(context.Background(), []byte("x")); err == nil {
		t.Fatal("write into an impossible folder succeeded")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := p.Write(ctx, []byte("x")); err == nil {
		t.Fatal("write with a cancelled context succeeded")
	}
}

func TestNewNeedsAFolder(t *testing.T) {
	if _, err := New(printer.Config{Name: "f"}); err == nil {
		t.Fatal("a file printer without a folder was accepted")
	}
}
