package zpl_test

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/labelagent/labelagent/printer"
	"github.com/labelagent/labelagent/zpl"
	"github.com/labelagent/labelagent/zpl/internal/testlabel"
)

func TestConverterConcurrentJobs(t *testing.T) {
	pdf, err := testlabel.DHL().PDF()
	if err != nil {
		t.Fatal(err)
	}
	p := mustProfile(t, printer.ProfileConfig{})
	want, err := conv.Prepare(testContext(t), zpl.KindPDF, pdf, p)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Go(func() {
			kind, data := zpl.KindPDF, pdf
			if i%2 == 1 {
				kind, data = zpl.KindZPL, []byte("^XA^FO10,10^FDx^FS^XZ")
			}
			out, err := conv.Prepare(testContext(t), kind, data, p)
			if err == nil && kind == zpl.KindPDF && !bytes.Equal(out, want) {
				err = errors.New("concurrent conversion gave a different label")
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

func TestConverterErrorsAndClose(t *testing.T) {
	c := zpl.NewConverter(zpl.ConverterOptions{})
	p := mustProfile(t, printer.ProfileConfig{})
	// Raw passes through, ZPL needs no renderer.
	if out, err := c.Prepare(testContext(t), zpl.KindRaw, []byte("\x1b@hello"), p); err != nil || string(out) != "\x1b@hello" {
		t.Fatalf("raw: %q %v", out, err)
	}
	if _, err := c.Prepare(testContext(t), "docx", []byte("x"), p); !errors.Is(err, zpl.ErrBadInput) {
		t.Errorf("unknown kind: %v, want ErrBadInput", err)
	}
	if _, err := c.PrepareConfig(testContext(t), zpl.KindZPL, []byte("^XA^XZ"), printer.ProfileConfig{DPI: 250}); !errors.Is(err, zpl.ErrBadInput) {
		t.Errorf("bad profile: %v, want ErrBadInput", err)
	}
	_, err := c.Prepare(testContext(t), zpl.KindZPL, []byte("^XA^BY3^BCN,100^FD123^FS^XZ"), mustProfile(t, printer.ProfileConfig{DPI: 300}))
	if !errors.Is(err, zpl.ErrBadInput) || !errors.Is(err, zpl.ErrInexactDPI) {
		t.Errorf("inexact DPI: %v", err)
	}
	ctx, cancel := context.WithCancel(testContext(t))
	cancel()
	if _, err := c.Prepare(ctx, zpl.KindZPL, []byte("^XA^XZ"), p); !errors.Is(err, context.Canceled) || errors.Is(err, zpl.ErrBadInput) {
		t.Errorf("cancelled: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	pdf, _ := testlabel.DHL().PDF()
	if _, err := c.Prepare(testContext(t), zpl.KindPDF, pdf, p); !errors.Is(err, zpl.ErrClosed) {
		t.Errorf("after Close: %v, want ErrClosed", err)
	}
}
