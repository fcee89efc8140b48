package client

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/labelagent/labelagent/agent/apitype"
)

// maxPreviewPNG bounds a preview image read from the agent.
const maxPreviewPNG = 64 << 20

// PreviewOptions select what a preview answers.
type PreviewOptions struct {
	Label  int  // 1-based label number for the PNG; 0 is the first
	Verify bool // read every barcode back (JobPreviewInfo / PayloadPreviewInfo report it)
}

func (o PreviewOptions) query(format string) url.Values {
	q := url.Values{}
	if o.Label > 1 {
		q.Set("label", strconv.Itoa(o.Label))
	}
	if o.Verify {
		q.Set("verify", "true")
	}
	if format != "" {
		q.Set("format", format)
	}
	return q
}

// PreviewImage is one label of a preview as PNG.
type PreviewImage struct {
	PNG      []byte
	Labels   int // how many labels the preview has
	Warnings int // warnings on this label (JobPreviewInfo has their words)
	Undrawn  int // barcodes of this label the preview could not draw
}

// JobPreview returns a label of a job as its printer would print it, as
// PNG (one pixel per printer dot): the same preview the CLI, the tray and
// the dashboard show.
func (c *Client) JobPreview(ctx context.Context, id string, opts PreviewOptions) (PreviewImage, error) {
	return c.previewPNG(ctx, http.MethodGet, "/jobs/"+url.PathEscape(id)+"/preview", opts.query(""), nil, "")
}

// JobPreviewInfo describes every label of a job's preview: size, barcodes,
// what could not be drawn and, with Verify, whether every barcode scans.
func (c *Client) JobPreviewInfo(ctx context.Context, id string, opts PreviewOptions) (apitype.Preview, error) {
	var out apitype.Preview
	err := c.Do(ctx, http.MethodGet, "/jobs/"+url.PathEscape(id)+"/preview", opts.query("json"), nil, "", &out)
	return out, err
}

// PayloadPreview previews a label that is not a job, for printer (the
// default printer when empty); kind may be empty to detect it.
func (c *Client) PayloadPreview(ctx context.Context, printer string, kind apitype.Kind, payload []byte, opts PreviewOptions) (PreviewImage, error) {
	q := opts.query("")
	setPrinterKind(q, printer, kind)
	return c.previewPNG(ctx, http.MethodPost, "/preview", q, bytes.NewReader(payload), "application/octet-stream")
}

// PayloadPreviewInfo describes the preview of a payload that is not a job.
func (c *Client) PayloadPreviewInfo(ctx context.Context, printer string, kind apitype.Kind, payload []byte, opts PreviewOptions) (apitype.Preview, error) {
	q := opts.query("json")
	setPrinterKind(q, printer, kind)
	var out apitype.Preview
	err := c.Do(ctx, http.MethodPost, "/preview", q, bytes.NewReader(payload), "application/octet-stream", &out)
	return out, err
}

func setPrinterKind(q url.Values, printer string, kind apitype.Kind) {
	if printer != "" {
		q.Set("printer", printer)
	}
	if kind != "" {
		q.Set("kind", string(kind))
	}
}

func (c *Client) previewPNG(ctx context.Context, method, path string, q url.Values, body io.Reader, ct string) (PreviewImage, error) {
	resp, err := c.send(ctx, method, path, q, body, ct, true)
	if err != nil {
		return PreviewImage{}, err
	}
	defer resp.Body.Close()
	png, err := io.ReadAll(io.LimitReader(resp.Body, maxPreviewPNG+1))
	if err != nil {
		return PreviewImage{}, fmt.Errorf("read labelagent's preview: %w", err)
	}
	if len(png) > maxPreviewPNG {
		return PreviewImage{}, fmt.Errorf("labelagent's preview is larger than %d bytes", maxPreviewPNG)
	}
	n := func(h string) int {
		v, _ := strconv.Atoi(resp.Header.Get(h))
		return v
	}
	return PreviewImage{PNG: png, Labels: n(apitype.HeaderPreviewLabels), Warnings: n(apitype.HeaderPreviewWarnings), Undrawn: n(apitype.HeaderPreviewUndrawn)}, nil
}
