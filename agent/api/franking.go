package api

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labelagent/labelagent/agent"
	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/franking"
	"github.com/labelagent/labelagent/agent/i18n"
	ps "github.com/labelagent/labelagent/dhl/privateshipping"
)

// Codes of Online Franking answers.
const (
	codeFrankingNotConfigured = "franking_not_configured"
	codeFrankingRefused       = "franking_refused"
	codeFrankingUnknown       = "franking_outcome_unknown"
)

// frankingRoutes adds /api/v1/franking: the product catalog (cached), carts
// (create with an idempotency key, list, show, payment page opened, refresh
// now, reprint) and their documents.
func (s *Server) frankingRoutes() {
	s.Handle("GET /api/v1/franking/products", s.frankingProducts)
	s.Handle("POST /api/v1/franking/catalog/sync", s.frankingSync)
	s.Handle("POST /api/v1/franking/carts", s.frankingCreate)
	s.Handle("GET /api/v1/franking/carts", s.frankingList)
	s.Handle("GET /api/v1/franking/carts/{id}", s.frankingGet)
	s.Handle("POST /api/v1/franking/carts/{id}/opened", s.frankingOpened)
	s.Handle("POST /api/v1/franking/carts/{id}/refresh", s.frankingRefresh)
	s.Handle("POST /api/v1/franking/carts/{id}/reprint", s.frankingReprint)
	s.Handle("GET /api/v1/franking/carts/{id}/documents/{pakid}/{kind}", s.frankingDocument)
}

func (s *Server) frankingService(w http.ResponseWriter, r *http.Request) *agent.Franking {
	f := s.a.Franking()
	if f == nil {
		s.fail(w, r, Refuse(http.StatusServiceUnavailable, codeFrankingNotConfigured, "franking.not_configured"))
	}
	return f
}

// localizeInput says every input problem in the reader's language.
func localizeInput(l *i18n.Localizer, es ps.InputErrors) string {
	parts := make([]string, 0, len(es))
	for _, e := range es {
		switch e.Problem {
		case ps.ProblemNotLatin1:
			if e.Suggest != "" {
				parts = append(parts, l.T("franking.input.not_latin1_suggest", "field", e.Field, "char", string(e.Char), "suggest", e.Suggest))
			} else {
				parts = append(parts, l.T("franking.input.not_latin1", "field", e.Field, "char", string(e.Char)))
			}
		case ps.ProblemForbidden:
			parts = append(parts, l.T("franking.input.forbidden", "field", e.Field, "char", string(e.Char), "chars", ps.Forbidden))
		case ps.ProblemRequired:
			parts = append(parts, l.T("franking.input.required", "field", e.Field, "want", e.Want))
		default:
			parts = append(parts, l.T("franking.input.invalid", "field", e.Field, "want", e.Want))
		}
	}
	return strings.Join(parts, "; ")
}

// dhlDetail is what DHL said about a refused call: its problems' own
// words with the HTTP status, or the transport's error when there is no
// answer.
func dhlDetail(err error) string {
	var ae *ps.APIError
	if !errors.As(err, &ae) {
		return err.Error()
	}
	var parts []string
	for _, p := range ae.Problems {
		d := p.Detail
		if d == "" {
			d = p.Code
		}
		if f := p.Field(); f != "" {
			d = f + ": " + d
		}
		if d != "" {
			parts = append(parts, d)
		}
	}
	parts = append(parts, "HTTP "+strconv.Itoa(ae.StatusCode))
	return strings.Join(parts, "; ")
}

// refuseWith answers with a journal error that words itself (an
// *i18n.Error in its chain), else with id framing the error's own words.
func refuseWith(status int, code string, err error, id string) *Refusal {
	var ie *i18n.Error
	if errors.As(err, &ie) {
		return &Refusal{Status: status, Code: code, Msg: ie}
	}
	return RefuseWrap(status, code, err, id)
}

// frankingError turns journal and DHL errors into answers, worded by the
// catalog where the words are ours and DHL's own where they are DHL's.
func (s *Server) frankingError(w http.ResponseWriter, r *http.Request, err error) {
	var uo *ps.UnknownOutcomeError
	if es, ok := ps.AsInputErrors(err); ok {
		s.fail(w, r, Refuse(http.StatusUnprocessableEntity, apitype.CodeBadRequest, "franking.input.refused",
			"problems", localizeInput(i18n.For(s.Lang(r)), es)))
		return
	}
	st := ps.StatusOf(err)
	switch {
	case errors.Is(err, franking.ErrNotFound):
		s.fail(w, r, Refuse(http.StatusNotFound, apitype.CodeNotFound, "franking.not_found", "id", r.PathValue("id")))
	case errors.Is(err, franking.ErrConflict):
		s.fail(w, r, refuseWith(http.StatusConflict, apitype.CodeConflict, err, "franking.conflict"))
	case errors.Is(err, franking.ErrInvalid):
		s.fail(w, r, refuseWith(http.StatusBadRequest, apitype.CodeBadRequest, err, "franking.invalid"))
	case errors.As(err, &uo):
		s.fail(w, r, Refuse(http.StatusAccepted, codeFrankingUnknown, "franking.outcome_unknown"))
	case st == http.StatusUnauthorized || st == http.StatusForbidden:
		s.fail(w, r, Refuse(http.StatusBadGateway, apitype.CodeCarrierAuth, "franking.auth", "detail", dhlDetail(err)))
	case st == http.StatusTooManyRequests:
		s.fail(w, r, Refuse(http.StatusTooManyRequests, apitype.CodeRateLimited, "franking.dhl.rate_limited", "detail", dhlDetail(err)))
	case st >= 400 && st < 500:
		s.fail(w, r, Refuse(http.StatusUnprocessableEntity, codeFrankingRefused, "franking.dhl.refused", "detail", dhlDetail(err)))
	case st >= 500:
		s.fail(w, r, Refuse(http.StatusBadGateway, apitype.CodeCarrierUnavailable, "franking.dhl.failed", "detail", dhlDetail(err)))
	default:
		s.fail(w, r, Refuse(http.StatusBadGateway, apitype.CodeCarrierUnavailable, "franking.dhl.unreachable", "detail", dhlDetail(err)))
	}
}

func (s *Server) frankingProducts(w http.ResponseWriter, r *http.Request) {
	f := s.frankingService(w, r)
	if f == nil {
		return
	}
	q := r.URL.Query()
	flt := ps.Filter{Search: q.Get("search"), Destination: strings.ToUpper(q.Get("destination"))}
	if v := q.Get("weight_grams"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			s.fail(w, r, Refuse(http.StatusBadRequest, apitype.CodeBadRequest, "franking.bad_weight"))
			return
		}
		flt.WeightGrams = n
	}
	products, st, err := f.Journal.Products(r.Context(), flt)
	if err != nil {
		s.frankingError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wireCatalog(products, st))
}

func (s *Server) frankingSync(w http.ResponseWriter, r *http.Request) {
	f := s.frankingService(w, r)
	if f == nil {
		return
	}
	st, err := f.Journal.Catalog(r.Context(), true)
	if err != nil {
		s.frankingError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wireCatalog(st.Products, st))
}

func (s *Server) frankingCreate(w http.ResponseWriter, r *http.Request) {
	f := s.frankingService(w, r)
	if f == nil {
		return
	}
	var req apitype.FrankingCartRequest
	if err := DecodeJSON(w, r, 64<<10, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if k := r.Header.Get("Idempotency-Key"); k != "" && req.IdempotencyKey == "" {
		req.IdempotencyKey = k
	}
	jr := franking.Request{IdempotencyKey: req.IdempotencyKey, OrderRef: req.OrderRef, ProductID: req.ProductID,
		Services: req.Services, WeightGrams: req.WeightGrams, Receiver: agent.AddressFromWire(req.Receiver),
		Printer: req.Printer, Output: req.Output}
	if req.Sender != nil {
		a := agent.AddressFromWire(*req.Sender)
		jr.Sender = &a
	}
	if jr.Printer != "" {
		if _, ok := s.a.Config().Printer(jr.Printer); !ok {
			s.fail(w, r, Refuse(http.StatusBadRequest, apitype.CodeUnknownPrinter, "franking.unknown_printer", "name", jr.Printer))
			return
		}
	}
	c, existing, err := f.Journal.Create(r.Context(), jr)
	if c == nil || (err != nil && c.State != franking.StateUnknown) {
		s.frankingError(w, r, err)
		return
	}
	status := http.StatusCreated
	switch {
	case existing:
		status = http.StatusOK
	case c.State == franking.StateUnknown:
		status = http.StatusAccepted // recorded; the outcome at DHL is unknown, see action
	}
	writeJSON(w, status, apitype.FrankingCartResponse{Cart: s.wireCart(r, c), Existing: existing})
}

func (s *Server) frankingList(w http.ResponseWriter, r *http.Request) {
	f := s.frankingService(w, r)
	if f == nil {
		return
	}
	q := r.URL.Query()
	flt := franking.ListFilter{OpenOnly: q.Get("open") == "1" || q.Get("open") == "true",
		State: franking.State(q.Get("state")), OrderRef: q.Get("order_ref"), Limit: 100}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			s.fail(w, r, Refuse(http.StatusBadRequest, apitype.CodeBadRequest, "franking.bad_limit"))
			return
		}
		flt.Limit = min(n, 1000)
	}
	carts, err := f.Journal.List(flt)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := apitype.FrankingCartList{Carts: []apitype.FrankingCart{}}
	for _, c := range carts {
		out.Carts = append(out.Carts, s.wireCart(r, c))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) frankingGet(w http.ResponseWriter, r *http.Request) {
	f := s.frankingService(w, r)
	if f == nil {
		return
	}
	c, err := f.Journal.Get(r.PathValue("id"))
	if err != nil {
		s.frankingError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.wireCart(r, c))
}

func (s *Server) frankingOpened(w http.ResponseWriter, r *http.Request) {
	f := s.frankingService(w, r)
	if f == nil {
		return
	}
	c, err := f.Journal.MarkOpened(r.PathValue("id"))
	if err != nil {
		s.frankingError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.wireCart(r, c))
}

func (s *Server) frankingRefresh(w http.ResponseWriter, r *http.Request) {
	f := s.frankingService(w, r)
	if f == nil {
		return
	}
	c, err := f.Journal.Refresh(r.Context(), r.PathValue("id"))
	if err != nil && c == nil {
		s.frankingError(w, r, err)
		return
	}
	if err != nil {
		// The cart stands as recorded; say why it did not move.
		c.Error = err.Error()
	}
	writeJSON(w, http.StatusOK, s.wireCart(r, c))
}

func (s *Server) frankingReprint(w http.ResponseWriter, r *http.Request) {
	f := s.frankingService(w, r)
	if f == nil {
		return
	}
	c, err := f.Journal.Reprint(r.Context(), r.PathValue("id"))
	if err != nil {
		s.frankingError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.wireCart(r, c))
}

func (s *Server) frankingDocument(w http.ResponseWriter, r *http.Request) {
	f := s.frankingService(w, r)
	if f == nil {
		return
	}
	kind := r.PathValue("kind")
	ct := map[string]string{"label": "application/pdf", "qr": "image/png"}[kind]
	if ct == "" {
		s.fail(w, r, Refuse(http.StatusBadRequest, apitype.CodeBadRequest, "franking.bad_kind"))
		return
	}
	b, err := f.Journal.Document(r.PathValue("id"), r.PathValue("pakid"), kind)
	if err != nil {
		s.frankingError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(b)
}

// wireCart is a cart in the words of the request's language.
func (s *Server) wireCart(r *http.Request, c *franking.Cart) apitype.FrankingCart {
	return agent.WireCartIn(c, i18n.For(s.Lang(r)))
}

// wireCatalog is the catalog's wire form: products (all, or a filtered
// selection) with the cache's age and last refresh error.
func wireCatalog(products []ps.Product, st franking.CatalogState) apitype.FrankingCatalog {
	out := apitype.FrankingCatalog{Products: []apitype.FrankingProduct{}, Fetched: st.Fetched, Error: st.Error}
	for _, p := range products {
		out.Products = append(out.Products, agent.WireProduct(p))
	}
	return out
}
