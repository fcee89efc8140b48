package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/i18n"
	"github.com/labelagent/labelagent/agent/purchase"
	im "github.com/labelagent/labelagent/dhl/internetmarke"
)

// StampService is what the INTERNETMARKE endpoints need. The agent builds
// it at start when the internetmarke: section is enabled.
type StampService struct {
	IM      *im.Client
	Journal *purchase.Journal
	// Profile gives the printer profile of a printer, so stamps are bought
	// at its resolution; nil: the configured dpi (or DPI203).
	Profile purchase.ProfileFunc
	// LowBalanceCents is tray.low_balance, told with the balance (0: never).
	LowBalanceCents int64
}

// MountStamps adds the /api/v1/stamps endpoints. With st == nil they answer
// that INTERNETMARKE is not configured.
func (s *Server) MountStamps(st *StampService) {
	h := &stampHandlers{s: s, st: st}
	s.Handle("GET /api/v1/stamps/balance", h.balance)
	s.Handle("GET /api/v1/stamps/products", h.products)
	s.Handle("GET /api/v1/stamps/formats", h.formats)
	s.Handle("POST /api/v1/stamps/preview", h.preview)
	s.Handle("POST /api/v1/stamps/purchases", h.buy)
	s.Handle("GET /api/v1/stamps/purchases", h.list)
	s.Handle("GET /api/v1/stamps/purchases/{id}", h.get)
	s.Handle("GET /api/v1/stamps/purchases/{id}/files/{n}", h.file)
	s.Handle("POST /api/v1/stamps/purchases/{id}/refund", h.refund)
	s.Handle("POST /api/v1/stamps/purchases/{id}/reprint", h.reprint)
	s.Handle("POST /api/v1/stamps/purchases/{id}/retry", h.retry)
	s.Handle("POST /api/v1/stamps/topup", h.topup)
}

type stampHandlers struct {
	s  *Server
	st *StampService
}

const maxStampBody = 64 << 10

func (h *stampHandlers) ready(w http.ResponseWriter, r *http.Request) bool {
	if h.st == nil || h.st.IM == nil || h.st.Journal == nil {
		h.s.fail(w, r, Refuse(http.StatusServiceUnavailable, apitype.CodeStampNotConfigured, "api.stamp_not_configured"))
		return false
	}
	return true
}

// stampError turns client and journal errors into answers, in the
// operator's language (Accept-Language: de → German): the journal's own
// refusals come from the catalog, INTERNETMARKE's operator messages in the
// language INTERNETMARKE gives them in.
func (h *stampHandlers) stampError(w http.ResponseWriter, r *http.Request, err error) {
	lang := string(h.s.Lang(r))
	var ae *im.APIError
	status, code := http.StatusBadGateway, apitype.CodeCarrierUnavailable
	switch {
	case errors.Is(err, purchase.ErrNotFound):
		status, code = http.StatusNotFound, apitype.CodeNotFound
	case errors.Is(err, purchase.ErrNotRefundable), errors.Is(err, purchase.ErrConflict):
		status, code = http.StatusConflict, apitype.CodeConflict
	case errors.As(err, &ae) && ae.Status == http.StatusUnauthorized:
		status, code = http.StatusBadGateway, apitype.CodeCarrierAuth
	case ae != nil && ae.Status == http.StatusTooManyRequests:
		status, code = http.StatusTooManyRequests, apitype.CodeRateLimited
		if ae.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int(ae.RetryAfter.Seconds()+0.5)))
		}
	case ae != nil && ae.Definite():
		status, code = http.StatusUnprocessableEntity, apitype.CodeStampRefused
	case errors.Is(err, purchase.ErrFailed):
		status, code = http.StatusUnprocessableEntity, apitype.CodeStampRefused
	case errors.Is(err, purchase.ErrInvalid):
		status, code = http.StatusBadRequest, apitype.CodeBadRequest
	}
	if ae != nil {
		msg := ae.Message(lang)
		if ae.Detail != "" {
			msg += " (" + ae.Detail + ")"
		}
		if errors.Is(err, purchase.ErrFailed) {
			msg = strings.Replace(err.Error(), ae.Error(), msg, 1)
		}
		h.s.fail(w, r, &Error{Status: status, Code: code, Message: msg})
		return
	}
	h.s.fail(w, r, refuseWith(status, code, err, "api.stamp_failed"))
}

func (h *stampHandlers) balance(w http.ResponseWriter, r *http.Request) {
	if !h.ready(w, r) {
		return
	}
	maxAge := 5 * time.Minute
	if r.URL.Query().Get("refresh") == "1" || r.URL.Query().Get("refresh") == "true" {
		maxAge = time.Nanosecond
	}
	b, err := h.st.IM.Balance(r.Context(), maxAge)
	if err != nil {
		h.stampError(w, r, err)
		return
	}
	low := int(h.st.LowBalanceCents)
	writeJSON(w, http.StatusOK, apitype.StampBalance{Cents: int(b.Amount), Text: b.Amount.String(), At: b.At, LowBelowCents: low, Low: low > 0 && int(b.Amount) < low})
}

func (h *stampHandlers) products(w http.ResponseWriter, r *http.Request) {
	if !h.ready(w, r) {
		return
	}
	ps, err := h.st.IM.Products(r.Context())
	if err != nil {
		h.stampError(w, r, err)
		return
	}
	def := h.st.IM.Config().DefaultProduct
	out := apitype.StampProductList{Products: []apitype.StampProduct{}}
	for _, p := range ps {
		out.Products = append(out.Products, apitype.StampProduct{Code: p.Code, Name: p.Name, PriceCents: int(p.Price), Price: p.Price.String(), Default: p.Code == def})
	}
	writeJSON(w, http.StatusOK, out)
}

func (h *stampHandlers) formats(w http.ResponseWriter, r *http.Request) {
	if !h.ready(w, r) {
		return
	}
	fs, err := h.st.IM.PageFormats(r.Context())
	if err != nil {
		h.stampError(w, r, err)
		return
	}
	out := apitype.StampFormatList{Formats: []apitype.StampPageFormat{}}
	for _, f := range fs {
		out.Formats = append(out.Formats, apitype.StampPageFormat{ID: f.ID, Name: f.Name, PageType: f.PageType,
			WidthMM: f.PageLayout.Size.X, HeightMM: f.PageLayout.Size.Y, AddressPossible: f.IsAddressPossible,
			LabelsPerPage: f.PageLayout.LabelCount.LabelX * f.PageLayout.LabelCount.LabelY})
	}
	writeJSON(w, http.StatusOK, out)
}

func (h *stampHandlers) preview(w http.ResponseWriter, r *http.Request) {
	if !h.ready(w, r) {
		return
	}
	var req apitype.StampPreviewRequest
	if err := DecodeJSON(w, r, maxStampBody, &req); err != nil {
		h.s.fail(w, r, err)
		return
	}
	cfg := h.st.IM.Config()
	p := im.Preview{ProductCode: req.Product, Layout: req.Layout, DPI: req.DPI, PageFormatID: req.PageFormat}
	if p.ProductCode == 0 {
		p.ProductCode = cfg.DefaultProduct
	}
	if p.Layout == "" {
		p.Layout = cfg.Layout
	}
	var img *im.PreviewImage
	var err error
	if strings.EqualFold(req.Format, "pdf") || (req.Format == "" && cfg.Format == "pdf") {
		img, err = h.st.IM.PreviewPDF(r.Context(), p)
	} else {
		img, err = h.st.IM.PreviewPNG(r.Context(), p)
	}
	if err != nil {
		h.stampError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, apitype.StampPreview{Kind: img.Kind, Data: img.Data})
}

func fromWireAddress(a *apitype.StampAddress) *im.Address {
	if a == nil {
		return nil
	}
	c := a.Country
	if c == "" {
		c = "DEU"
	}
	return &im.Address{Name: a.Name, AdditionalName: a.AdditionalName, AddressLine1: a.AddressLine1, AddressLine2: a.AddressLine2,
		PostalCode: a.PostalCode, City: a.City, Country: strings.ToUpper(c)}
}

func (h *stampHandlers) buy(w http.ResponseWriter, r *http.Request) {
	if !h.ready(w, r) {
		return
	}
	var req apitype.StampBuyRequest
	if err := DecodeJSON(w, r, maxStampBody, &req); err != nil {
		h.s.fail(w, r, err)
		return
	}
	if req.IdempotencyKey == "" {
		req.IdempotencyKey = r.Header.Get("Idempotency-Key")
	}
	cfg := h.st.IM.Config()
	pr := purchase.Request{
		IdempotencyKey: req.IdempotencyKey, ProductCode: req.Product, Quantity: req.Quantity, Layout: req.Layout,
		Sender: fromWireAddress(req.Sender), Receiver: fromWireAddress(req.Receiver), Format: req.Format, DPI: req.DPI,
		PageFormatID: req.PageFormat, Printer: req.Printer, Reference: req.Reference,
	}
	if pr.ProductCode == 0 {
		pr.ProductCode = cfg.DefaultProduct
	}
	if pr.Printer == "" {
		pr.Printer = cfg.Printer
	}
	if pr.Receiver != nil && pr.Sender == nil {
		pr.Sender = cfg.Sender
	}
	if pr.Receiver != nil && pr.Layout == "" {
		pr.Layout = im.LayoutAddressZone
	}
	if pr.DPI == "" {
		pr.DPI = cfg.DPI
	}
	if pr.DPI == "" && h.st.Profile != nil {
		if prof, err := h.st.Profile(pr.Printer); err == nil {
			pr.DPI = purchase.DPIFor(prof)
		}
	}
	// A caller that hangs up must not cut a purchase short between paying
	// and storing the stamps: the purchase runs on for up to two minutes.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 2*time.Minute)
	defer cancel()
	p, err := h.st.Journal.Buy(ctx, pr)
	if err != nil && p != nil && errors.Is(err, purchase.ErrPending) {
		l := i18n.For(h.s.Lang(r))
		out := wirePurchase(p, l)
		out.Pending = true
		if out.Error == "" {
			out.Error = l.Err(err)
		}
		out.Error = l.T("queuewords.stamp.pending", "error", out.Error)
		writeJSON(w, http.StatusAccepted, out)
		return
	}
	if err != nil {
		if p != nil {
			err = fmt.Errorf("%w [purchase %s]", err, p.ID)
		}
		h.stampError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wirePurchase(p, i18n.For(h.s.Lang(r))))
}

func (h *stampHandlers) list(w http.ResponseWriter, r *http.Request) {
	if !h.ready(w, r) {
		return
	}
	limit := 100
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			h.s.fail(w, r, Refuse(http.StatusBadRequest, apitype.CodeBadRequest, "api.limit_positive"))
			return
		}
		limit = min(n, 1000)
	}
	ps, err := h.st.Journal.List(r.URL.Query().Get("open") == "1" || r.URL.Query().Get("open") == "true", limit)
	if err != nil {
		h.s.fail(w, r, err)
		return
	}
	out := apitype.StampPurchaseList{Purchases: []apitype.StampPurchase{}}
	l := i18n.For(h.s.Lang(r))
	for _, p := range ps {
		out.Purchases = append(out.Purchases, wirePurchase(p, l))
	}
	writeJSON(w, http.StatusOK, out)
}

func (h *stampHandlers) get(w http.ResponseWriter, r *http.Request) {
	if !h.ready(w, r) {
		return
	}
	p, err := h.st.Journal.Get(r.PathValue("id"))
	if err != nil {
		h.stampError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wirePurchase(p, i18n.For(h.s.Lang(r))))
}

func (h *stampHandlers) file(w http.ResponseWriter, r *http.Request) {
	if !h.ready(w, r) {
		return
	}
	files, err := h.st.Journal.Files(r.PathValue("id"))
	if err != nil {
		h.stampError(w, r, err)
		return
	}
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || n < 0 || n >= len(files) {
		h.s.fail(w, r, Refuse(http.StatusNotFound, apitype.CodeNotFound, "api.stamp_file_range", "id", r.PathValue("id"), "count", len(files), "last", len(files)-1))
		return
	}
	ct := "image/png"
	if strings.HasPrefix(string(files[n]), "%PDF") {
		ct = "application/pdf"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Length", strconv.Itoa(len(files[n])))
	_, _ = w.Write(files[n])
}

func (h *stampHandlers) refund(w http.ResponseWriter, r *http.Request) {
	h.action(w, r, h.st.Journal.Refund)
}

func (h *stampHandlers) reprint(w http.ResponseWriter, r *http.Request) {
	h.action(w, r, h.st.Journal.Reprint)
}

func (h *stampHandlers) retry(w http.ResponseWriter, r *http.Request) {
	h.action(w, r, h.st.Journal.Retry)
}

func (h *stampHandlers) action(w http.ResponseWriter, r *http.Request, fn func(ctx context.Context, id string) (*purchase.Purchase, error)) {
	if !h.ready(w, r) {
		return
	}
	p, err := fn(r.Context(), r.PathValue("id"))
	if err != nil {
		h.stampError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wirePurchase(p, i18n.For(h.s.Lang(r))))
}

func (h *stampHandlers) topup(w http.ResponseWriter, r *http.Request) {
	if !h.ready(w, r) {
		return
	}
	var req apitype.StampTopUpRequest
	if err := DecodeJSON(w, r, maxStampBody, &req); err != nil {
		h.s.fail(w, r, err)
		return
	}
	if !req.Confirm {
		h.s.fail(w, r, Refuse(http.StatusBadRequest, apitype.CodeBadRequest, "api.topup_confirm"))
		return
	}
	if req.AmountCents < 1 || req.AmountCents > 100000 {
		h.s.fail(w, r, Refuse(http.StatusBadRequest, apitype.CodeBadRequest, "api.topup_range"))
		return
	}
	h.s.log.Warn("Portokasse top-up requested", "amount", im.Cents(req.AmountCents).String())
	t, err := h.st.IM.TopUp(r.Context(), im.Cents(req.AmountCents))
	if err != nil {
		h.stampError(w, r, err)
		return
	}
	out := apitype.StampTopUp{ShopOrderID: t.ShopOrderID}
	if t.WalletBalance != nil {
		c := int(*t.WalletBalance)
		out.BalanceCents, out.Balance = &c, t.WalletBalance.String()
	}
	writeJSON(w, http.StatusOK, out)
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// wirePurchase is a purchase as the API shows it, its problems in l's
// language.
func wirePurchase(p *purchase.Purchase, l *i18n.Localizer) apitype.StampPurchase {
	out := apitype.StampPurchase{
		ID: p.ID, State: string(p.State), Product: p.Request.ProductCode, ProductName: im.ProductName(p.Request.ProductCode),
		Quantity: p.Request.Quantity, TotalCents: int(p.Total), Total: p.Total.String(), ShopOrderID: p.ShopOrderID,
		Kind: p.Kind, Files: p.FileCount, Printer: p.Request.Printer, Reference: p.Request.Reference, Error: p.ErrorIn(l),
		Retryable: p.Retryable, PrintError: p.PrintErrorIn(l), PrintUnknown: p.PrintUnknown, Prints: p.Prints,
		ShopRetoureID: p.ShopRetoureID, Created: p.Created, Updated: p.Updated,
		PaidAt: timePtr(p.PaidAt), PrintedAt: timePtr(p.PrintedAt), RefundedAt: timePtr(p.RefundedAt),
	}
	for _, v := range p.Vouchers {
		out.Vouchers = append(out.Vouchers, apitype.StampVoucher{VoucherID: v.VoucherID, TrackID: v.TrackID})
	}
	return out
}
