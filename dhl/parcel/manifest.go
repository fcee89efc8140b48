package parcel

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labelagent/labelagent/dhl/transport"
)

// ManifestRequest closes shipments out: all of them, those of one billing
// number, or the listed ones.
type ManifestRequest struct {
	Profile         string
	All             bool
	BillingNumber   string
	ShipmentNumbers []string
	Language        string
}

// ManifestResult is the closeout status per shipment.
type ManifestResult struct {
	HTTPStatus int
	Status     RequestStatus
	Shipments  []ManifestItem
}

// ManifestItem is one shipment's closeout.
type ManifestItem struct {
	ShipmentNo string
	Outcome    Outcome
	Status     RequestStatus
}

// Manifest closes shipments out (Tagesabschluss). Afterwards they can no
// longer be cancelled and their labels no longer fetched.
func (c *Client) Manifest(ctx context.Context, r ManifestRequest) (*ManifestResult, error) {
	if r.Profile == "" {
		r.Profile = c.t.Config().Profile
	}
	body := ShipmentManifestingRequest{Profile: r.Profile, BillingNumber: r.BillingNumber, ShipmentNumbers: r.ShipmentNumbers}
	q := url.Values{}
	switch {
	case r.All:
		q.Set("all", "true")
	case len(r.ShipmentNumbers) > 0:
		if err := checkNumbers(r.ShipmentNumbers); err != nil {
			return nil, err
		}
	case r.BillingNumber != "":
		if !billingNumberRE.MatchString(r.BillingNumber) {
			return nil, fmt.Errorf("billing number %q is not valid", r.BillingNumber)
		}
	default:
		return nil, errors.New("say what to close out: all shipments, a billing number, or shipment numbers")
	}
	resp, err := c.t.Do(ctx, transport.Request{
		Method: http.MethodPost, Path: transport.ShippingPath + "/manifests", Query: q, JSON: body,
		Header: header(r.Language), Auth: transport.AuthUser,
		// closing out twice only yields warnings: safe to repeat
		Idempotent: true,
	})
	if err != nil {
		return nil, err
	}
	var mr MultipleManifestResponse
	if err := json.Unmarshal(resp.Body, &mr); err != nil {
		return nil, fmt.Errorf("manifest: unreadable answer: %w", err)
	}
	res := &ManifestResult{HTTPStatus: resp.StatusCode}
	if mr.Status != nil {
		res.Status = *mr.Status
	}
	for _, it := range mr.Items {
		// only the shipment's own 200 closes it out; a title other than
		// OK with it is DHL's warning (closed out before)
		mi := ManifestItem{ShipmentNo: string(it.ShipmentNo), Status: it.SStatus, Outcome: OutcomeError}
		if it.SStatus.Code() == http.StatusOK {
			mi.Outcome = OutcomeSuccess
			if it.SStatus.Title != "" && !strings.EqualFold(it.SStatus.Title, "ok") {
				mi.Outcome = OutcomeWarning
			}
		}
		res.Shipments = append(res.Shipments, mi)
	}
	return res, nil
}

// ManifestDoc is the daily manifest.
type ManifestDoc struct {
	Date      string
	PDF       []byte
	URL       string
	Sheets    []BillingNoToSheetNo
	Shipments []ShipmentNoToSheetNo
}

// GetManifest fetches the manifest of a day (zero time: today).
func (c *Client) GetManifest(ctx context.Context, day time.Time, billingNumber string) (*ManifestDoc, error) {
	q := url.Values{}
	if !day.IsZero() {
		q.Set("date", day.Format(time.DateOnly))
	}
	if billingNumber != "" {
		q.Set("billingNumber", billingNumber)
	}
	resp, err := c.t.Do(ctx, transport.Request{Method: http.MethodGet, Path: transport.ShippingPath + "/manifests", Query: q, Auth: transport.AuthUser, Idempotent: true})
	if err != nil {
		return nil, err
	}
	var sm SingleManifestResponse
	if err := json.Unmarshal(resp.Body, &sm); err != nil {
		return nil, fmt.Errorf("manifest: unreadable answer: %w", err)
	}
	doc := &ManifestDoc{Date: sm.ManifestDate, Sheets: sm.SheetNo, Shipments: sm.Items}
	var errs []error
	for i := range sm.Manifest {
		l := decodeDoc(&sm.Manifest[i], &errs, "manifest")
		if l != nil && len(l.Data) > 0 && doc.PDF == nil {
			doc.PDF = l.Data
		}
		if l != nil && l.URL != "" && doc.URL == "" {
			doc.URL = l.URL
		}
	}
	return doc, errors.Join(errs...)
}
