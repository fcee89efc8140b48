package main

import (
	"fmt"
	"image"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/labelagent/labelagent/zpl"
	"github.com/labelagent/labelagent/zpl/render"
	"github.com/labelagent/labelagent/zpl/verify"
)

func newPreviewCmd(app *cliApp) *cobra.Command {
	var (
		pf     profileFlags
		out    string
		kind   string
		check  bool
		expect []string
	)
	cmd := &cobra.Command{
		Use:   "preview IN.zpl",
		Short: "Draw a label as the printer would print it (ZPL, or PDF/PNG after conversion) into a PNG, offline",
		Long: `Render a ZPL file with labelagent's own ZPL renderer and write a PNG per label, one pixel per
printer dot. PDF and PNG input is first converted for the printer profile, so the preview
shows what the printer would get. Commands the renderer does not draw are listed as
warnings. With --verify, every barcode on the label is scanned and the command fails if one
does not decode. Works without the agent running.`,
		Example: `  labelagent preview label.zpl -o label.png
  labelagent preview dhl.pdf --printer-profile zebra --verify -o preview.png`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return fmt.Errorf("-o OUT.png is required")
			}
			data, err := readInput(app, args[0])
			if err != nil {
				return err
			}
			if kind == "" {
				kind = zpl.DetectKind(data)
			}
			p, err := pf.profile(app, cmd)
			if err != nil {
				return err
			}
			opts := render.Options{DPI: p.DPI, Width: p.WidthDots, Height: p.HeightDots}
			conv := newCLIConverter(app)
			defer conv.Close()
			src := data
			if kind != zpl.KindZPL {
				if src, err = convertInput(cmd.Context(), conv, kind, data, p, "", zpl.EncodingAuto); err != nil {
					return fmt.Errorf("%s: %w", args[0], err)
				}
			} else if !cmd.Flags().Changed("dpi") && pf.printer == "" {
				// ZPL as it is: its own ^PW/^LL, at 203 dpi unless told.
				opts = render.Options{DPI: zpl.DefaultDPI}
			}
			labels, err := render.Render(src, opts)
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			var exp []verify.Expectation
			for _, e := range expect {
				exp = append(exp, verify.Expectation{Text: e})
			}
			var sources []image.Image
			if (check || len(exp) > 0) && kind != zpl.KindZPL {
				if sources, err = verify.SourceImages(cmd.Context(), conv, kind, data, p.DPI); err != nil {
					return err
				}
			}
			failed := 0
			for i, l := range labels {
				name := out
				if len(labels) > 1 {
					ext := filepath.Ext(out)
					name = fmt.Sprintf("%s-%d%s", strings.TrimSuffix(out, ext), i+1, ext)
				}
				png, err := l.PNG()
				if err != nil {
					return err
				}
				if err := writeFileAtomic(name, png); err != nil {
					return err
				}
				fmt.Fprintf(app.stderr, "%s: label %d, %dx%d dots\n", name, i+1, l.Image.W, l.Image.H)
				for _, w := range l.Warnings {
					fmt.Fprintf(app.stderr, "  warning: %s\n", w)
				}
				if check || len(exp) > 0 {
					rep, err := verify.CheckLabel(cmd.Context(), l, exp)
					if err != nil {
						return err
					}
					if i < len(sources) {
						conv, err := verify.CheckConversion(cmd.Context(), sources[i], l)
						if err != nil {
							return err
						}
						rep.Found = append(rep.Found, conv.Found...)
						rep.Missing = append(rep.Missing, conv.Missing...)
					}
					printReport(app, "  ", rep)
					if err := rep.Err(); err != nil {
						fmt.Fprintf(app.stderr, "  FAILED: %v\n", err)
						failed++
					}
				}
			}
			if failed > 0 {
				return fmt.Errorf("%d of %d labels have barcodes that do not scan", failed, len(labels))
			}
			return nil
		},
	}
	pf.register(cmd)
	fl := cmd.Flags()
	fl.StringVarP(&out, "output", "o", "", "output PNG (several labels: OUT-1.png, OUT-2.png, …)")
	fl.StringVar(&kind, "kind", "", "input kind: zpl, pdf or png (default: from the content)")
	fl.BoolVar(&check, "verify", false, "scan every barcode and fail if one does not decode")
	fl.StringSliceVar(&expect, "expect", nil, "a value a barcode on the label must carry (repeatable)")
	return cmd
}
