package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/labelagent/labelagent/agent/i18n"
	"github.com/labelagent/labelagent/printer"
	"github.com/labelagent/labelagent/zpl"
	"github.com/labelagent/labelagent/zpl/verify"
)

// profileFlags select the printer profile for offline conversion: a
// configured printer's profile, adjusted by explicit flags.
type profileFlags struct {
	printer  string
	dpi      int
	label    string
	media    string
	darkness int
	noZ64    bool
	pageArea string
	graphics string
}

func (f *profileFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.printer, "printer-profile", "", "")
	fl.IntVar(&f.dpi, "dpi", 0, "")
	fl.StringVar(&f.label, "label", "", "")
	fl.StringVar(&f.media, "media", "", "")
	fl.IntVar(&f.darkness, "darkness", 0, "")
	fl.BoolVar(&f.noZ64, "no-z64", false, "")
	fl.StringVar(&f.pageArea, "page-area", "", "")
	fl.StringVar(&f.graphics, "graphics", "", "")
}

func (f *profileFlags) profile(app *cliApp, cmd *cobra.Command) (zpl.Profile, error) {
	var pc printer.ProfileConfig
	if f.printer != "" {
		cfg, err := app.Config()
		if err != nil {
			return zpl.Profile{}, i18n.Wrap(err, "cli.profile_needs_config")
		}
		found := false
		for _, p := range cfg.Printers {
			if p.Name == f.printer {
				pc, found = p.ConverterProfile(), true // graphics as the printer gets them
				break
			}
		}
		if !found {
			var names []string
			for _, p := range cfg.Printers {
				names = append(names, p.Name)
			}
			return zpl.Profile{}, usage(i18n.E("job.unknown_printer", "printer", f.printer, "allowed", strings.Join(names, ", ")))
		}
	}
	fl := cmd.Flags()
	if fl.Changed("dpi") {
		if f.dpi != 152 && f.dpi != 203 && f.dpi != 300 && f.dpi != 600 {
			return zpl.Profile{}, app.refuse("--dpi", strconv.Itoa(f.dpi), []string{"152", "203", "300", "600"})
		}
		pc.DPI = f.dpi
	}
	if fl.Changed("label") {
		pc.Label, pc.WidthMM, pc.HeightMM = f.label, 0, 0
	}
	if fl.Changed("media") {
		if m := zpl.Media(f.media); m != zpl.MediaGap && m != zpl.MediaMark && m != zpl.MediaContinuous {
			return zpl.Profile{}, app.refuse("--media", f.media, []string{string(zpl.MediaGap), string(zpl.MediaMark), string(zpl.MediaContinuous)})
		}
		pc.Media = f.media
	}
	if fl.Changed("darkness") {
		if f.darkness < 0 || f.darkness > 30 {
			return zpl.Profile{}, usage(i18n.E("cli.bad_range", "flag", "--darkness", "value", f.darkness, "min", 0, "max", 30))
		}
		pc.Darkness = f.darkness
	}
	if fl.Changed("no-z64") {
		pc.NoZ64 = f.noZ64
	}
	if fl.Changed("page-area") {
		pc.PageArea = f.pageArea
	}
	if fl.Changed("graphics") {
		pc.Graphics = f.graphics
	}
	pc.Language = "" // offline conversion always produces ZPL
	p, err := zpl.ProfileFrom(pc)
	// What is left (a label size that does not fit, an unknown label
	// name) is the zpl package's own description, framed in the reader's words.
	return p, i18n.Wrap(err, "cli.profile_invalid")
}

// pdfCacheDir is where offline commands keep the compiled PDF renderer:
// the user's cache directory.
func pdfCacheDir(app *cliApp) string {
	// Offline commands never write under the service's data directory
	// (it belongs to the service account, and a user's run must not
	// leave files there): the compiled renderer goes to the user's cache.
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "labelagent")
	}
	return ""
}

// newCLIConverter returns a converter whose PDF renderer (started only
// for PDF input) keeps its compiled code in the cache directory.
func newCLIConverter(app *cliApp) *zpl.Converter {
	return zpl.NewConverter(zpl.ConverterOptions{CacheDir: pdfCacheDir(app), Logger: app.offlineLogger()})
}

// convertInput turns a file's content into ZPL for p; for PDF input it
// says on stderr how pages were put on the label (cut from a sheet,
// turned, shrunk).
func convertInput(ctx context.Context, app *cliApp, conv *zpl.Converter, kind string, data []byte, p zpl.Profile, pages string, enc zpl.Encoding) ([]byte, error) {
	if kind == "" {
		kind = zpl.DetectKind(data)
	}
	switch kind {
	case zpl.KindPDF:
		out, notes, err := conv.PDFLabelsNotes(ctx, data, p, zpl.PDFOptions{Pages: pages, Encoding: enc})
		for _, n := range notes {
			for _, line := range pageNoteLines(app.L(), n) {
				fmt.Fprintln(app.stderr, line)
			}
		}
		return out, err
	case zpl.KindPNG:
		img, err := zpl.DecodePNG(data)
		if err != nil {
			return nil, err
		}
		return zpl.ImageLabel(img.Image, p, zpl.ImageOptions{SourceDPI: img.DPI, AutoRotate: true, Center: true, Encoding: enc})
	case zpl.KindZPL:
		return zpl.PrepareZPL(data, p, 0)
	}
	return nil, i18n.E("cli.input_kind_unknown")
}

// pageNoteLines words what happened to a PDF page on its way to the label.
func pageNoteLines(l *i18n.Localizer, n zpl.PageNote) []string {
	mm := func(f float64) string { return l.Number(f, 0) }
	var lines []string
	if n.Sheet && n.Scale == 1 {
		lines = append(lines, l.T("pdf.sheet_cut", "page", n.Page, "label", n.Label, "labels", n.OfLabels,
			"page_w", mm(n.PageMM.W), "page_h", mm(n.PageMM.H), "x", mm(n.AreaMM.X), "y", mm(n.AreaMM.Y), "w", mm(n.AreaMM.W), "h", mm(n.AreaMM.H)))
	}
	if n.Rotate != 0 {
		lines = append(lines, l.T("pdf.turned", "page", n.Page, "degrees", n.Rotate))
	}
	if n.Scale > 0 && n.Scale < 1 {
		lines = append(lines, l.T("pdf.shrunk", "page", n.Page, "percent", l.Number(n.Scale*100, 0)))
	}
	if n.Dropped > 0 {
		lines = append(lines, l.N("pdf.left_out", n.Dropped, "page", n.Page))
	}
	return lines
}

func parseEncoding(s string) (zpl.Encoding, error) {
	switch strings.ToLower(s) {
	case "", "auto":
		return zpl.EncodingAuto, nil
	case "hex":
		return zpl.EncodingHex, nil
	case "acs":
		return zpl.EncodingACS, nil
	case "z64":
		return zpl.EncodingZ64, nil
	}
	return 0, usage(i18n.E("cli.bad_value", "flag", "--encoding", "value", s, "allowed", []string{"auto", "hex", "acs", "z64"}))
}

// verifyOutput renders the converted ZPL and fails when a barcode on it
// does not scan: barcodes drawn as ZPL commands, values given with
// --expect, and, for PDF and PNG input, every barcode that reads on the
// source page or image.
func verifyOutput(ctx context.Context, app *cliApp, conv *zpl.Converter, kind string, in, out []byte, p zpl.Profile, pages string, want []string) error {
	var exp []verify.Expectation
	for _, w := range want {
		exp = append(exp, verify.Expectation{Text: w})
	}
	if kind == "" {
		kind = zpl.DetectKind(in)
	}
	if kind == zpl.KindPDF && pages != "" {
		sel, err := zpl.SelectPDFPages(in, pages)
		if err != nil {
			return err
		}
		in = sel
	}
	rep, err := verify.CheckJob(ctx, conv, kind, in, out, p, exp)
	if err != nil {
		return err
	}
	printReport(app, "", rep)
	return rep.Err()
}

func printReport(app *cliApp, indent string, rep verify.Report) {
	seen := map[string]bool{}
	for _, f := range rep.Found {
		if k := f.Format + "\x00" + f.Text; !seen[k] {
			seen[k] = true
			fmt.Fprintln(app.stderr, indent+app.T("cli.verify_scanned", "format", f.Format, "text", f.Text))
		}
	}
	for _, u := range rep.Unverified {
		fmt.Fprintln(app.stderr, indent+app.T("cli.verify_unverifiable", "format", u.Format, "text", u.Text))
	}
}

func newConvertCmd(app *cliApp) *cobra.Command {
	var (
		pf      profileFlags
		out     string
		kind    string
		pages   string
		encName string
		check   bool
		expect  []string
	)
	cmd := &cobra.Command{
		Use:  "convert IN.pdf|IN.png|IN.zpl",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := pf.profile(app, cmd)
			if err != nil {
				return err
			}
			enc, err := parseEncoding(encName)
			if err != nil {
				return err
			}
			data, err := readInput(app, args[0])
			if err != nil {
				return err
			}
			if kind != "" && kind != zpl.KindPDF && kind != zpl.KindPNG && kind != zpl.KindZPL {
				return app.refuse("--kind", kind, []string{zpl.KindPDF, zpl.KindPNG, zpl.KindZPL})
			}
			conv := newCLIConverter(app)
			defer conv.Close()
			zplOut, err := convertInput(cmd.Context(), app, conv, kind, data, p, pages, enc)
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			if check || len(expect) > 0 {
				if err := verifyOutput(cmd.Context(), app, conv, kind, data, zplOut, p, pages, expect); err != nil {
					return i18n.Wrap(err, "cli.nothing_written", "file", args[0])
				}
			}
			if out == "" || out == "-" {
				if app.jsonOut {
					// Standard output is the JSON answer; the ZPL is a field of it.
					return app.printJSON(ConvertJSON{ZPL: string(zplOut), Bytes: len(zplOut), Profile: p.String()})
				}
				_, err = app.stdout.Write(zplOut)
				return err
			}
			if err := writeFileAtomic(out, zplOut); err != nil {
				return err
			}
			return app.emit(ConvertJSON{File: out, Bytes: len(zplOut), Profile: p.String()}, func(io.Writer) error {
				app.note("cli.converted", "file", out, "bytes", len(zplOut), "profile", p.String())
				return nil
			})
		},
	}
	pf.register(cmd)
	fl := cmd.Flags()
	fl.StringVarP(&out, "output", "o", "", "")
	fl.StringVar(&kind, "kind", "", "")
	fl.StringVar(&pages, "pages", "", "")
	fl.StringVar(&encName, "encoding", "auto", "")
	fl.BoolVar(&check, "verify", false, "")
	fl.StringSliceVar(&expect, "expect", nil, "")
	return cmd
}

// ConvertJSON is `convert --json`: the file written (or, to standard
// output, the ZPL itself), its size and the printer profile it is for.
type ConvertJSON struct {
	File    string `json:"file,omitempty"`
	ZPL     string `json:"zpl,omitempty"`
	Bytes   int    `json:"bytes"`
	Profile string `json:"profile"`
}

// writeFileAtomic writes through a temporary file so a failed run never
// leaves half a label behind.
func writeFileAtomic(name string, data []byte) error {
	dir := filepath.Dir(name)
	f, err := os.CreateTemp(dir, ".labelagent-*")
	if err != nil {
		return i18n.Wrap(err, "cli.cannot_write", "file", name)
	}
	_, werr := f.Write(data)
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(f.Name())
		return i18n.Wrap(err, "cli.cannot_write", "file", name)
	}
	if err := os.Rename(f.Name(), name); err != nil {
		os.Remove(f.Name())
		return i18n.Wrap(err, "cli.cannot_write", "file", name)
	}
	return nil
}
