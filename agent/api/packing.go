package api

import (
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/franking"
	"github.com/labelagent/labelagent/agent/i18n"
	"github.com/labelagent/labelagent/agent/packing"
	"github.com/labelagent/labelagent/agent/purchase"
	"github.com/labelagent/labelagent/agent/shipment"
)

// packingRoutes adds the packing station: orders (a shop's webhook, an
// import), scans, the rule test and the scale.
func (s *Server) packingRoutes() {
	s.Handle("POST /api/v1/orders", s.putOrders)
	s.Handle("GET /api/v1/orders", s.listOrders)
	s.Handle("GET /api/v1/orders/{ref}", s.getOrder)
	s.Handle("POST /api/v1/scan", s.scan)
	s.Handle("POST /api/v1/rules/test", s.rulesTest)
	s.Handle("GET /api/v1/scale", s.scaleReading)
}

// putOrders takes orders as JSON (one, a list, {"orders": [...]}) or CSV
// (text/csv), as a shop's webhook or an import sends them.
func (s *Server) putOrders(w http.ResponseWriter, r *http.Request) {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 16<<20))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	orders, issues, err := packing.Import(data)
	if err != nil {
		s.fail(w, r, RefuseWrap(http.StatusBadRequest, apitype.CodeBadRequest, err, "packing.api.bad_import"))
		return
	}
	added, updated, err := s.a.Packing().Orders().Put(orders)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	status := http.StatusOK
	if len(orders) == 0 && len(issues) > 0 {
		status = http.StatusUnprocessableEntity
	}
	l := i18n.For(s.Lang(r))
	for i, is := range issues {
		if is.ID != "" {
			kv := make([]any, 0, 2*len(is.Args))
			for k, v := range is.Args {
				kv = append(kv, k, v)
			}
			issues[i].Problem = l.T(is.ID, kv...)
		}
	}
	writeJSON(w, status, apitype.OrderImportResult{Imported: added, Updated: updated, Problems: issues})
}

func (s *Server) listOrders(w http.ResponseWriter, r *http.Request) {
	limit := 100
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			s.fail(w, r, Refuse(http.StatusBadRequest, apitype.CodeBadRequest, "packing.bad_limit"))
			return
		}
		limit = min(n, 5000)
	}
	orders, err := s.a.Packing().Orders().List(r.URL.Query().Get("open") == "1", limit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if orders == nil {
		orders = []apitype.Order{}
	}
	writeJSON(w, http.StatusOK, apitype.OrderList{Orders: orders})
}

func (s *Server) getOrder(w http.ResponseWriter, r *http.Request) {
	o, err := s.a.Packing().Orders().Get(r.PathValue("ref"))
	if err != nil {
		s.packingError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, o)
}

func (s *Server) packingError(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, packing.ErrNoOrder):
		s.fail(w, r, refuseWith(http.StatusNotFound, apitype.CodeNotFound, err, "packing.api.no_order"))
	case errors.Is(err, packing.ErrNoRule):
		s.fail(w, r, refuseWith(http.StatusUnprocessableEntity, "no_rule", err, "packing.api.no_rule"))
	case errors.Is(err, packing.ErrCarrier):
		s.fail(w, r, refuseWith(http.StatusServiceUnavailable, "carrier_not_configured", err, "packing.api.carrier"))
	case errors.Is(err, shipment.ErrUnknown):
		s.fail(w, r, RefuseWrap(http.StatusBadGateway, "outcome_unknown", err, "api.outcome_unknown"))
	case errors.Is(err, shipment.ErrRefused), errors.Is(err, shipment.ErrInvalid), errors.Is(err, purchase.ErrInvalid),
		errors.Is(err, purchase.ErrFailed), errors.Is(err, franking.ErrInvalid):
		s.fail(w, r, RefuseWrap(http.StatusUnprocessableEntity, "carrier_refused", err, "api.carrier_refused"))
	default:
		s.fail(w, r, err)
	}
}

func (s *Server) scan(w http.ResponseWriter, r *http.Request) {
	var req apitype.ScanRequest
	if err := DecodeJSON(w, r, 4<<10, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	res, err := s.a.Packing().Scan(r.Context(), req)
	if err != nil {
		// The result says how far the scan got; the error answer says why.
		s.packingError(w, r, err)
		return
	}
	status := http.StatusOK
	if res.Outcome == apitype.ScanPrinted || res.Outcome == apitype.ScanNeedsPayment {
		status = http.StatusCreated
	}
	writeJSON(w, status, packing.MessageIn(res, i18n.For(s.Lang(r))))
}

func (s *Server) rulesTest(w http.ResponseWriter, r *http.Request) {
	var o apitype.Order
	if err := DecodeJSON(w, r, 1<<20, &o); err != nil {
		s.fail(w, r, err)
		return
	}
	weight, _ := strconv.Atoi(r.URL.Query().Get("weight_grams"))
	res := s.a.Packing().Test(o, weight)
	l := i18n.For(s.Lang(r))
	for i := range res.Checks {
		res.Checks[i].Why = packing.WhyIn(res.Checks[i], l)
	}
	writeJSON(w, http.StatusOK, res)
}

func (s *Server) scaleReading(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.a.Packing().ScaleReading())
}
