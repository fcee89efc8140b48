package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/dhlcheck"
	"github.com/labelagent/labelagent/agent/i18n"
	"github.com/labelagent/labelagent/agent/shipment"
	"github.com/labelagent/labelagent/dhl/parcel"
	"github.com/labelagent/labelagent/dhl/returns"
	"github.com/labelagent/labelagent/dhl/tracking"
	"github.com/labelagent/labelagent/dhl/transport"
)

// mountShipments adds /api/v1/shipments, /api/v1/returns and
// /api/v1/dayend. Without a dhl: section they answer that DHL is not
// configured.
func (s *Server) mountShipments() {
	h := &shipHandlers{s: s}
	s.Handle("POST /api/v1/shipments", h.create)
	s.Handle("POST /api/v1/shipments/batch", h.batch)
	s.Handle("POST /api/v1/shipments/validate", h.validate)
	s.Handle("GET /api/v1/shipments", h.list)
	s.Handle("GET /api/v1/shipments/export", h.export)
	s.Handle("GET /api/v1/shipments/{id}", h.get)
	s.Handle("GET /api/v1/shipments/{id}/documents/{kind}", h.document)
	s.Handle("POST /api/v1/shipments/{id}/reprint", h.reprint)
	s.Handle("POST /api/v1/shipments/{id}/cancel", h.cancel)
	s.Handle("POST /api/v1/shipments/{id}/resolve", h.resolve)
	s.Handle("POST /api/v1/shipments/{id}/return", h.returnFor)
	s.Handle("POST /api/v1/shipments/{id}/track", h.track)
	s.Handle("POST /api/v1/returns", h.returnAddr)
	s.Handle("GET /api/v1/returns/locations", h.locations)
	s.Handle("GET /api/v1/track", h.trackNumber)
	s.Handle("POST /api/v1/dayend", h.dayEnd)
	s.Handle("GET /api/v1/dayend", h.dayEnds)
	s.Handle("GET /api/v1/dayend/{id}", h.getDayEnd)
	s.Handle("GET /api/v1/dayend/{id}/manifest", h.manifest)
	s.Handle("GET /api/v1/dayend/{id}/csv", h.dayEndCSV)
}

type shipHandlers struct{ s *Server }

const maxShipBody = 1 << 20

// A caller that hangs up must not cut a shipment short between DHL's
// answer and storing the label: the work runs on for up to two minutes.
const shipWork = 2 * time.Minute

func (h *shipHandlers) journal(w http.ResponseWriter, r *http.Request) *shipment.Journal {
	j := h.s.a.Shipments()
	if j == nil {
		h.s.fail(w, r, Refuse(http.StatusServiceUnavailable, apitype.CodeShipmentNotConfigured, "ship.api.not_configured"))
	}
	return j
}

func (h *shipHandlers) work(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(r.Context()), shipWork)
}

// shipError maps journal and DHL errors to answers worded by the catalog
// (ship.api.*) in lang; the detail is the journal's words (from the
// catalog too, in lang) and DHL's own.
func shipError(err error, lang i18n.Lang) *Refusal {
	var ae *transport.APIError
	isAPI := errors.As(err, &ae)
	r := func(status int, code, id string, sentinel error) *Refusal {
		return Refuse(status, code, id, "detail", detail(i18n.For(lang).Err(err), sentinel))
	}
	switch {
	case errors.Is(err, shipment.ErrNotFound):
		return r(http.StatusNotFound, apitype.CodeNotFound, "ship.api.not_found", shipment.ErrNotFound)
	case errors.Is(err, shipment.ErrInvalid):
		return r(http.StatusBadRequest, apitype.CodeBadRequest, "ship.api.invalid", shipment.ErrInvalid)
	case errors.Is(err, shipment.ErrConflict):
		return r(http.StatusConflict, apitype.CodeConflict, "ship.api.conflict", shipment.ErrConflict)
	case errors.Is(err, shipment.ErrUnavailable):
		return r(http.StatusServiceUnavailable, apitype.CodeShipmentNotConfigured, "ship.api.unavailable", shipment.ErrUnavailable)
	case errors.Is(err, shipment.ErrUnknown):
		return r(http.StatusAccepted, apitype.CodeOutcomeUnknown, "ship.api.unknown", shipment.ErrUnknown)
	case errors.Is(err, tracking.ErrQuotaExhausted):
		return r(http.StatusTooManyRequests, apitype.CodeRateLimited, "ship.api.quota", tracking.ErrQuotaExhausted)
	case isAPI && (ae.StatusCode == http.StatusUnauthorized || ae.StatusCode == http.StatusForbidden):
		return r(http.StatusBadGateway, apitype.CodeCarrierAuth, "ship.api.carrier_auth", shipment.ErrRefused)
	case isAPI && ae.StatusCode == http.StatusTooManyRequests:
		return r(http.StatusTooManyRequests, apitype.CodeRateLimited, "ship.api.rate_limited", shipment.ErrRefused)
	case isAPI && ae.StatusCode >= 500:
		return r(http.StatusBadGateway, apitype.CodeCarrierUnavailable, "ship.api.carrier_unavailable", shipment.ErrRefused)
	case errors.Is(err, shipment.ErrRefused), errors.Is(err, tracking.ErrNotFound), isAPI:
		return r(http.StatusUnprocessableEntity, apitype.CodeShipmentRefused, "ship.api.refused", shipment.ErrRefused)
	}
	var rf *Refusal
	if errors.As(err, &rf) {
		return rf
	}
	return r(http.StatusBadGateway, apitype.CodeCarrierUnavailable, "ship.api.carrier_unavailable", nil)
}

// detail is an error's words (msg) without the sentinel's own (the
// catalog says those).
func detail(msg string, sentinel error) string {
	if sentinel != nil {
		if rest, ok := strings.CutPrefix(msg, sentinel.Error()+": "); ok {
			return rest
		}
		msg = strings.Replace(msg, sentinel.Error()+": ", "", 1)
	}
	return msg
}

func (h *shipHandlers) fail(w http.ResponseWriter, r *http.Request, err error) {
	e := shipError(err, h.s.Lang(r))
	if e.Status == http.StatusTooManyRequests {
		var ae *transport.APIError
		if errors.As(err, &ae) && ae.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int(ae.RetryAfter.Seconds()+0.5)))
		}
	}
	h.s.fail(w, r, e)
}

// parseOrder reads a Shipping v2 shipment from the request strictly enough
// to catch typos (DHL ignores unknown fields silently).
func parseOrder(raw json.RawMessage) (parcel.Shipment, error) {
	var sh parcel.Shipment
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		return sh, i18n.K(shipment.ErrInvalid, "shipjournal.api.order_missing")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sh); err != nil {
		return sh, i18n.KWrap(shipment.ErrInvalid, err, "shipjournal.api.order_unreadable")
	}
	return sh, nil
}

func (h *shipHandlers) toRequest(r *http.Request, in apitype.ShipmentCreateRequest) (shipment.Request, error) {
	o, err := parseOrder(in.Order)
	if err != nil {
		return shipment.Request{}, err
	}
	key := in.IdempotencyKey
	if key == "" {
		key = r.Header.Get("Idempotency-Key")
	}
	return shipment.Request{OrderRef: in.OrderRef, Key: key, Order: o, NewShipment: in.NewShipment, Reprint: in.Reprint,
		Print: in.Print == nil || *in.Print, Printer: in.Printer, DocFormat: strings.ToUpper(in.DocFormat), PrintFormat: in.PrintFormat,
		AllowUnencodable: in.AllowUnencodable}, nil
}

func (h *shipHandlers) result(r *http.Request, res shipment.Result, j *shipment.Journal) (apitype.ShipmentResult, int) {
	out := apitype.ShipmentResult{Existing: res.Existing, Additional: res.Additional}
	status := http.StatusCreated
	if res.Existing {
		status = http.StatusOK
	}
	if res.Record != nil {
		out.Shipment = j.Wire(res.Record, i18n.For(h.s.Lang(r)))
	}
	if res.Err != nil {
		a := Answer(shipError(res.Err, h.s.Lang(r)), h.s.Lang(r))
		out.Error = &a
		status = a.Status
	}
	return out, status
}

func (h *shipHandlers) create(w http.ResponseWriter, r *http.Request) {
	j := h.journal(w, r)
	if j == nil {
		return
	}
	var in apitype.ShipmentCreateRequest
	if err := DecodeJSON(w, r, maxShipBody, &in); err != nil {
		h.s.fail(w, r, err)
		return
	}
	req, err := h.toRequest(r, in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ctx, cancel := h.work(r)
	defer cancel()
	res, err := j.Create(ctx, []shipment.Request{req})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if res[0].Record == nil { // refused before anything was recorded
		h.fail(w, r, res[0].Err)
		return
	}
	out, status := h.result(r, res[0], j)
	writeJSON(w, status, out)
}

func (h *shipHandlers) batch(w http.ResponseWriter, r *http.Request) {
	j := h.journal(w, r)
	if j == nil {
		return
	}
	var in apitype.ShipmentBatchRequest
	if err := DecodeJSON(w, r, 8*maxShipBody, &in); err != nil {
		h.s.fail(w, r, err)
		return
	}
	if len(in.Shipments) == 0 || len(in.Shipments) > parcel.MaxShipments {
		h.s.fail(w, r, Refuse(http.StatusBadRequest, apitype.CodeBadRequest, "ship.api.batch_size", "max", parcel.MaxShipments))
		return
	}
	reqs := make([]shipment.Request, len(in.Shipments))
	bad := map[int]error{}
	for i, s := range in.Shipments {
		req, err := h.toRequest(r, s)
		if err != nil {
			bad[i] = err
			// An order that cannot be read is reported in place; a request
			// without reference is refused by the journal without a call.
			req = shipment.Request{}
		}
		if s.IdempotencyKey == "" {
			req.Key = "" // the header names the batch, not each shipment
		}
		reqs[i] = req
	}
	ctx, cancel := h.work(r)
	defer cancel()
	res, err := j.Create(ctx, reqs)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := apitype.ShipmentBatchResult{Results: make([]apitype.ShipmentResult, len(res))}
	codes := map[int]bool{}
	for i, rr := range res {
		if e, ok := bad[i]; ok {
			rr = shipment.Result{Err: e}
		}
		sr, status := h.result(r, rr, j)
		if rr.Record == nil && sr.Error == nil {
			a := Answer(Refuse(http.StatusBadRequest, apitype.CodeBadRequest, "ship.api.not_recorded"), h.s.Lang(r))
			sr.Error = &a
		}
		out.Results[i] = sr
		codes[status] = true
	}
	status := http.StatusOK
	if len(codes) > 1 {
		status = http.StatusMultiStatus
	} else {
		for c := range codes {
			status = c
		}
	}
	writeJSON(w, status, out)
}

func (h *shipHandlers) validate(w http.ResponseWriter, r *http.Request) {
	j := h.journal(w, r)
	if j == nil {
		return
	}
	var in apitype.ShipmentValidateRequest
	if err := DecodeJSON(w, r, 8*maxShipBody, &in); err != nil {
		h.s.fail(w, r, err)
		return
	}
	orders := make([]parcel.Shipment, len(in.Orders))
	for i, raw := range in.Orders {
		o, err := parseOrder(raw)
		if err != nil {
			h.fail(w, r, i18n.KWrap(shipment.ErrInvalid, err, "shipjournal.api.order_n", "n", i+1))
			return
		}
		orders[i] = o
	}
	res, err := j.Validate(r.Context(), orders)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	l := i18n.For(h.s.Lang(r))
	for i := range res {
		dhlcheck.Word(l, res[i].Messages)
	}
	writeJSON(w, http.StatusOK, apitype.ShipmentValidationList{Results: res})
}

func (h *shipHandlers) list(w http.ResponseWriter, r *http.Request) {
	j := h.journal(w, r)
	if j == nil {
		return
	}
	q := r.URL.Query()
	f := shipment.Filter{Day: q.Get("day"), State: apitype.ShipmentState(q.Get("state")), OrderRef: q.Get("order_ref"), Kind: q.Get("kind"), Before: q.Get("before")}
	if f.Day == "today" {
		f.Day = j.Today()
	}
	if f.Day != "" {
		if _, err := time.Parse(time.DateOnly, f.Day); err != nil {
			h.s.fail(w, r, Refuse(http.StatusBadRequest, apitype.CodeBadRequest, "ship.api.bad_day", "day", f.Day))
			return
		}
	}
	if f.State != "" && !f.State.Valid() {
		h.s.fail(w, r, Refuse(http.StatusBadRequest, apitype.CodeBadRequest, "ship.api.bad_state", "state", string(f.State)))
		return
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			h.s.fail(w, r, Refuse(http.StatusBadRequest, apitype.CodeBadRequest, "ship.api.bad_limit"))
			return
		}
		f.Limit = min(n, 1000)
	}
	rs, err := j.List(f)
	if err != nil {
		h.s.fail(w, r, err)
		return
	}
	out := apitype.ShipmentList{Shipments: []apitype.Shipment{}}
	for _, rec := range rs {
		s := j.Wire(rec, i18n.For(h.s.Lang(r)))
		s.History = nil
		out.Shipments = append(out.Shipments, s)
	}
	writeJSON(w, http.StatusOK, out)
}

func (h *shipHandlers) get(w http.ResponseWriter, r *http.Request) {
	j := h.journal(w, r)
	if j == nil {
		return
	}
	rec, err := j.Find(r.PathValue("id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, j.Wire(rec, i18n.For(h.s.Lang(r))))
}

func (h *shipHandlers) document(w http.ResponseWriter, r *http.Request) {
	j := h.journal(w, r)
	if j == nil {
		return
	}
	rec, err := j.Find(r.PathValue("id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	data, d, err := j.Document(rec.ID, r.PathValue("kind"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ct, ext := "application/pdf", ".pdf"
	switch d.Format {
	case parcel.DocFormatZPL2:
		ct, ext = "application/vnd.zebra-zpl", ".zpl"
	case "PNG":
		ct, ext = "image/png", ".png"
	}
	name := firstNonEmpty(rec.ShipmentNo, rec.ID) + "-" + d.Kind + ext
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	_, _ = w.Write(data)
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// optionalJSON decodes an optional body (empty is fine).
func optionalJSON(w http.ResponseWriter, r *http.Request, v any) error {
	if r.ContentLength == 0 {
		return nil
	}
	return DecodeJSON(w, r, maxShipBody, v)
}

type reprintBody struct {
	Document string `json:"document,omitempty"`
	Printer  string `json:"printer,omitempty"`
}

func (h *shipHandlers) reprint(w http.ResponseWriter, r *http.Request) {
	var in reprintBody
	if err := optionalJSON(w, r, &in); err != nil {
		h.s.fail(w, r, err)
		return
	}
	h.action(w, r, func(ctx context.Context, j *shipment.Journal, id string) (*shipment.Record, error) {
		return j.Reprint(ctx, id, in.Document, in.Printer)
	})
}

func (h *shipHandlers) cancel(w http.ResponseWriter, r *http.Request) {
	j := h.journal(w, r)
	if j == nil {
		return
	}
	if _, err := j.Find(r.PathValue("id")); errors.Is(err, shipment.ErrNotFound) {
		// A shipment number the journal does not know (made elsewhere, or
		// an orphan of the day's end): cancel it at DHL all the same.
		ctx, cancel := h.work(r)
		defer cancel()
		if err := j.CancelNumber(ctx, r.PathValue("id")); err != nil {
			h.fail(w, r, err)
			return
		}
		now := time.Now()
		writeJSON(w, http.StatusOK, apitype.Shipment{Kind: apitype.ShipmentKindOutbound, ShipmentNo: r.PathValue("id"),
			State: apitype.ShipmentCancelled, Cancelled: &now, Updated: now})
		return
	}
	h.action(w, r, func(ctx context.Context, j *shipment.Journal, id string) (*shipment.Record, error) {
		return j.Cancel(ctx, id)
	})
}

func (h *shipHandlers) resolve(w http.ResponseWriter, r *http.Request) {
	var in apitype.ShipmentResolveRequest
	if err := DecodeJSON(w, r, maxShipBody, &in); err != nil {
		h.s.fail(w, r, err)
		return
	}
	h.action(w, r, func(ctx context.Context, j *shipment.Journal, id string) (*shipment.Record, error) {
		return j.Resolve(ctx, id, in.ShipmentNo, in.NotCreated)
	})
}

func (h *shipHandlers) track(w http.ResponseWriter, r *http.Request) {
	h.action(w, r, func(ctx context.Context, j *shipment.Journal, id string) (*shipment.Record, error) {
		return j.Track(ctx, id)
	})
}

// action runs fn on the shipment named by the path (id, shipment number or
// order reference) and answers with the record.
func (h *shipHandlers) action(w http.ResponseWriter, r *http.Request, fn func(context.Context, *shipment.Journal, string) (*shipment.Record, error)) {
	j := h.journal(w, r)
	if j == nil {
		return
	}
	rec, err := j.Find(r.PathValue("id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ctx, cancel := h.work(r)
	defer cancel()
	rec, err = fn(ctx, j, rec.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, j.Wire(rec, i18n.For(h.s.Lang(r))))
}

func (h *shipHandlers) returnFor(w http.ResponseWriter, r *http.Request) {
	h.doReturn(w, r, r.PathValue("id"))
}

func (h *shipHandlers) returnAddr(w http.ResponseWriter, r *http.Request) {
	h.doReturn(w, r, "")
}

func (h *shipHandlers) doReturn(w http.ResponseWriter, r *http.Request, forID string) {
	j := h.journal(w, r)
	if j == nil {
		return
	}
	var in apitype.ReturnRequest
	if err := optionalJSON(w, r, &in); err != nil {
		h.s.fail(w, r, err)
		return
	}
	rq := shipment.ReturnRequest{ForID: forID, OrderRef: in.OrderRef, Key: cmpOr(in.IdempotencyKey, r.Header.Get("Idempotency-Key")),
		LabelType: in.LabelType, Printer: in.Printer, New: in.New}
	if len(bytes.TrimSpace(in.Order)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(in.Order))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&rq.Order); err != nil {
			h.s.fail(w, r, Refuse(http.StatusBadRequest, apitype.CodeBadRequest, "ship.api.bad_return_order", "detail", err.Error()))
			return
		}
	} else if forID == "" {
		h.s.fail(w, r, Refuse(http.StatusBadRequest, apitype.CodeBadRequest, "ship.api.need_return_address"))
		return
	}
	if in.ReceiverID != "" {
		rq.Order.ReceiverID = in.ReceiverID
	}
	lt := strings.ToUpper(in.LabelType)
	rq.Print = lt != returns.LabelQR
	if in.Print != nil {
		rq.Print = *in.Print
	}
	ctx, cancel := h.work(r)
	defer cancel()
	rec, existing, err := j.Return(ctx, rq)
	if err != nil && rec == nil {
		h.fail(w, r, err)
		return
	}
	out := apitype.ShipmentResult{Existing: existing}
	status := http.StatusCreated
	if existing {
		status = http.StatusOK
	}
	if rec != nil {
		out.Shipment = j.Wire(rec, i18n.For(h.s.Lang(r)))
	}
	if err != nil {
		a := Answer(shipError(err, h.s.Lang(r)), h.s.Lang(r))
		out.Error = &a
		status = a.Status
	}
	writeJSON(w, status, out)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (h *shipHandlers) dayEnd(w http.ResponseWriter, r *http.Request) {
	j := h.journal(w, r)
	if j == nil {
		return
	}
	var in apitype.DayEndRequest
	if err := optionalJSON(w, r, &in); err != nil {
		h.s.fail(w, r, err)
		return
	}
	ctx, cancel := h.work(r)
	defer cancel()
	de, err := j.DayEnd(ctx, shipment.DayEndRequest{BillingNumber: in.BillingNumber, Print: in.Print == nil || *in.Print, Printer: in.Printer, Lang: h.s.Lang(r)})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, de)
}

func (h *shipHandlers) dayEnds(w http.ResponseWriter, r *http.Request) {
	j := h.journal(w, r)
	if j == nil {
		return
	}
	des, err := j.DayEnds(100)
	if err != nil {
		h.s.fail(w, r, err)
		return
	}
	if des == nil {
		des = []apitype.DayEnd{}
	}
	writeJSON(w, http.StatusOK, apitype.DayEndList{DayEnds: des})
}

// locations lists the account's return receivers, asked of DHL by the agent.
func (h *shipHandlers) locations(w http.ResponseWriter, r *http.Request) {
	j := h.journal(w, r)
	if j == nil {
		return
	}
	q := r.URL.Query()
	ctx, cancel := h.work(r)
	defer cancel()
	locs, err := j.Locations(ctx, returns.LocationQuery{CountryCode: q.Get("country"), PostalCode: q.Get("postal_code"),
		ReceiverID: q.Get("receiver"), BillingNumber: q.Get("billing_number")})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := apitype.ReturnLocationList{Locations: []apitype.ReturnLocation{}}
	for _, l := range locs {
		a := l.Address
		out.Locations = append(out.Locations, apitype.ReturnLocation{ReceiverID: l.ReceiverID, BillingNumber: l.BillingNumber,
			Name: a.Name1, Street: a.AddressStreet, HouseNumber: a.AddressHouse, PostalCode: a.PostalCode, City: a.City})
	}
	writeJSON(w, http.StatusOK, out)
}

// trackNumber tracks a number the journal does not hold, through the
// agent's tracking client (its rate limit and daily quota).
func (h *shipHandlers) trackNumber(w http.ResponseWriter, r *http.Request) {
	j := h.journal(w, r)
	if j == nil {
		return
	}
	q := r.URL.Query()
	if q.Get("number") == "" {
		h.s.fail(w, r, Refuse(http.StatusBadRequest, apitype.CodeBadRequest, "ship.api.track_number_missing"))
		return
	}
	ctx, cancel := h.work(r)
	defer cancel()
	list, err := j.TrackNumber(ctx, tracking.Query{TrackingNumber: q.Get("number"), Service: q.Get("service"),
		RecipientPostalCode: q.Get("postal_code"), Language: q.Get("language")})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, apitype.ShipmentList{Shipments: list})
}

func (h *shipHandlers) getDayEnd(w http.ResponseWriter, r *http.Request) {
	j := h.journal(w, r)
	if j == nil {
		return
	}
	de, err := j.GetDayEnd(r.PathValue("id"), i18n.For(h.s.Lang(r)))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, de)
}

func (h *shipHandlers) manifest(w http.ResponseWriter, r *http.Request) {
	j := h.journal(w, r)
	if j == nil {
		return
	}
	pdf, err := j.Manifest(r.PathValue("id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `attachment; filename="manifest-`+r.PathValue("id")+`.pdf"`)
	w.Header().Set("Content-Length", strconv.Itoa(len(pdf)))
	_, _ = w.Write(pdf)
}

func (h *shipHandlers) export(w http.ResponseWriter, r *http.Request) {
	j := h.journal(w, r)
	if j == nil {
		return
	}
	day := r.URL.Query().Get("day")
	if day == "" || day == "today" {
		day = j.Today()
	}
	if _, err := time.Parse(time.DateOnly, day); err != nil {
		h.s.fail(w, r, Refuse(http.StatusBadRequest, apitype.CodeBadRequest, "ship.api.bad_day", "day", day))
		return
	}
	h.csv(w, r, j, day, "", "shipments-"+day+".csv")
}

func (h *shipHandlers) dayEndCSV(w http.ResponseWriter, r *http.Request) {
	j := h.journal(w, r)
	if j == nil {
		return
	}
	id := r.PathValue("id")
	if _, err := j.GetDayEnd(id, i18n.For(h.s.Lang(r))); err != nil {
		h.fail(w, r, err)
		return
	}
	h.csv(w, r, j, "", id, "dayend-"+id+".csv")
}

func (h *shipHandlers) csv(w http.ResponseWriter, r *http.Request, j *shipment.Journal, day, dayEndID, name string) {
	var buf bytes.Buffer
	if err := j.ExportCSV(&buf, day, dayEndID); err != nil {
		h.s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	_, _ = w.Write(buf.Bytes())
}
