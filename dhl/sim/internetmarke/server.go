// Package internetmarke simulates the Deutsche Post INTERNETMARKE REST API
// v1.30 for tests, benchmarks and the offline demo: a Portokasse wallet with
// a ledger of charges, refunds and top-ups, a price list, app approval,
// token expiry, the service's error titles, rate limiting, lost answers
// before and after charging, and stamp files (ZIP of PNGs, or PDF) with a
// real DataMatrix whose content derives from the voucher id.
//
// Mount Server.Handler at the root of an HTTP server; the API lives under
// BasePath and the stamp files under /download/.
package internetmarke

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// BasePath is where the API is served, as on api-eu.dhl.com.
const BasePath = "/post/de/shipping/im/v1"

// Address as in the contract.
type Address struct {
	Name           string `json:"name"`
	AdditionalName string `json:"additionalName,omitempty"`
	AddressLine1   string `json:"addressLine1"`
	AddressLine2   string `json:"addressLine2,omitempty"`
	PostalCode     string `json:"postalCode"`
	City           string `json:"city"`
	Country        string `json:"country"`
}

// Product is an entry of the simulator's price list.
type Product struct {
	Code       int
	Name       string
	Price      int  // eurocents
	Registered bool // gets a trackId (Einschreiben)
}

// PageFormat is a print format offered by the catalog (sizes in mm).
type PageFormat struct {
	ID             int
	Name           string
	PageType       string // LABELPRINTER, REGULARPAGE, …
	AddressPossble bool
	W, H           float64
	Cols, Rows     int
}

// Config sets up a simulator. Zero values get demo defaults.
type Config struct {
	APIKey, APISecret  string
	Username, Password string
	// Approved: until the Portokasse owner approves the app, login answers 401.
	Approved bool
	// Balance is the opening wallet balance in eurocents.
	Balance int
	// Products is the price list (default: DemoProducts()).
	Products []Product
	// PageFormats offered (default: DemoPageFormats()).
	PageFormats []PageFormat
	// TokenTTL is the expires_in of a token (default 3000s, as in the spec).
	TokenTTL time.Duration
	// LinkTTL is how long a download link works (default 10 minutes).
	LinkTTL time.Duration
	// Serial is the 10-character Portokasse serial (first half of voucher ids).
	Serial string
	// TopUpQuota is the most that may be topped up in total (default 1000 €);
	// beyond it PUT /app/wallet answers quotaExceeded.
	TopUpQuota int
	// NoDirectDebit: no SEPA mandate, top-ups answer forbiddenPaymentMethod.
	NoDirectDebit bool
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Log receives one line per request (default: discard).
	Log *slog.Logger
}

// DemoProducts is a demonstration price list. The simulator's prices are
// its own; clients must take theirs from configuration or the catalog.
func DemoProducts() []Product {
	return []Product{
		{Code: 1, Name: "Standardbrief", Price: 95},
		{Code: 11, Name: "Kompaktbrief", Price: 110},
		{Code: 21, Name: "Großbrief", Price: 180},
		{Code: 31, Name: "Maxibrief", Price: 290},
		{Code: 51, Name: "Postkarte", Price: 95},
		{Code: 290, Name: "Bücher-/Warensendung", Price: 195},
		{Code: 1002, Name: "Standardbrief + Einschreiben Einwurf", Price: 330, Registered: true},
		{Code: 10001, Name: "Standardbrief International", Price: 125},
	}
}

// DemoPageFormats are label-printer formats like the ones in public data.
func DemoPageFormats() []PageFormat {
	return []PageFormat{
		{ID: 1, Name: "DIN A4 Normalpapier", PageType: "REGULARPAGE", AddressPossble: true, W: 210, H: 297, Cols: 2, Rows: 5},
		{ID: 25, Name: "Etikettendrucker 62 mm Endlos", PageType: "LABELPRINTER", AddressPossble: true, W: 62, H: 100, Cols: 1, Rows: 1},
		{ID: 29, Name: "Brother DK-11202 62 x 100 mm", PageType: "LABELPRINTER", AddressPossble: true, W: 62, H: 100, Cols: 1, Rows: 1},
		{ID: 37, Name: "Etikett 50 x 30 mm (nur Frankierzone)", PageType: "LABELPRINTER", W: 50, H: 30, Cols: 1, Rows: 1},
		{ID: 44, Name: "Etikett 90 x 38 mm", PageType: "LABELPRINTER", W: 90, H: 38, Cols: 1, Rows: 1},
	}
}

// Fault is a failure injected into the next matching request(s).
type Fault struct {
	// Op names the operation: "login", "init", "checkout", "preview",
	// "order", "retoure", "wallet", "catalog", "download", "" = any.
	Op string
	// Kind is what happens.
	Kind FaultKind
	// Times is how many requests it hits (0 = 1).
	Times int
}

// FaultKind is the kind of an injected failure.
type FaultKind int

// Fault kinds.
const (
	// LoseBeforeCharge drops the connection without doing anything.
	LoseBeforeCharge FaultKind = iota + 1
	// LoseAfterCharge does the work (the wallet is charged), then drops the
	// connection so the client never sees the answer.
	LoseAfterCharge
	// RateLimit answers 429 with Retry-After.
	RateLimit
	// ServerError answers 500.
	ServerError
)

// LedgerEntry is one booking on the wallet.
type LedgerEntry struct {
	Seq          int
	Time         time.Time
	Kind         string // "charge", "refund" or "topup"
	Amount       int    // eurocents, positive; charge subtracts
	ShopOrderID  string
	Vouchers     []string
	BalanceAfter int
}

type order struct {
	id        string
	created   time.Time
	paid      bool
	kind      string // png or pdf
	dpi       int
	format    int // page format for PDF
	optimize  bool
	stamps    []Stamp
	positions []pdfPos
	total     int
}

type pdfPos struct{ x, y, page int }

type retoure struct {
	txID        int
	shopID      string
	created     time.Time
	price       int
	serial      string
	refunded    []string
	notRefunded []string
}

type download struct {
	data    []byte
	ctype   string
	expires time.Time
}

// Server is the simulated service. Its methods are safe for concurrent use.
type Server struct {
	cfg   Config
	fonts *fonts
	log   *slog.Logger

	mu          sync.Mutex
	approved    bool
	balance     int
	toppedUp    int
	prices      map[int]Product
	formats     map[int]PageFormat
	tokens      map[string]time.Time
	orders      map[string]*order
	vouchers    map[string]*Stamp // voucherId → stamp
	refunded    map[string]bool
	retoures    []*retoure
	downloads   map[string]*download
	ledger      []LedgerEntry
	faults      []Fault
	nextOrder   int
	nextVoucher int
	nextRetoure int
	requests    map[string]int
}

// New builds a simulator.
func New(cfg Config) (*Server, error) {
	if cfg.APIKey == "" {
		cfg.APIKey = "sim-api-key"
	}
	if cfg.APISecret == "" {
		cfg.APISecret = "sim-api-secret"
	}
	if cfg.Username == "" {
		cfg.Username = "portokasse@example.com"
	}
	if cfg.Password == "" {
		cfg.Password = "sim-password"
	}
	if cfg.Products == nil {
		cfg.Products = DemoProducts()
	}
	if cfg.PageFormats == nil {
		cfg.PageFormats = DemoPageFormats()
	}
	if cfg.TokenTTL <= 0 {
		cfg.TokenTTL = 3000 * time.Second
	}
	if cfg.LinkTTL <= 0 {
		cfg.LinkTTL = 10 * time.Minute
	}
	if cfg.Serial == "" {
		cfg.Serial = "A0012345C0"
	}
	if len(cfg.Serial) != 10 {
		return nil, fmt.Errorf("serial %q must have 10 characters", cfg.Serial)
	}
	if cfg.TopUpQuota <= 0 {
		cfg.TopUpQuota = 100000
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	f, err := loadFonts()
	if err != nil {
		return nil, fmt.Errorf("fonts: %w", err)
	}
	s := &Server{
		cfg: cfg, fonts: f, log: log, approved: cfg.Approved, balance: cfg.Balance,
		prices: map[int]Product{}, formats: map[int]PageFormat{}, tokens: map[string]time.Time{},
		orders: map[string]*order{}, vouchers: map[string]*Stamp{}, refunded: map[string]bool{},
		downloads: map[string]*download{}, nextOrder: 98276337, nextVoucher: 0x138, nextRetoure: 15242129,
		requests: map[string]int{},
	}
	for _, p := range cfg.Products {
		s.prices[p.Code] = p
	}
	for _, pf := range cfg.PageFormats {
		s.formats[pf.ID] = pf
	}
	return s, nil
}

// Credentials are the values a client must log in with.
func (s *Server) Credentials() (apiKey, apiSecret, username, password string) {
	return s.cfg.APIKey, s.cfg.APISecret, s.cfg.Username, s.cfg.Password
}

// SetApproved approves (or revokes) the app in the Portokasse.
func (s *Server) SetApproved(v bool) { s.mu.Lock(); s.approved = v; s.mu.Unlock() }

// SetBalance sets the wallet balance (not booked in the ledger).
func (s *Server) SetBalance(cents int) { s.mu.Lock(); s.balance = cents; s.mu.Unlock() }

// Balance is the wallet balance.
func (s *Server) Balance() int { s.mu.Lock(); defer s.mu.Unlock(); return s.balance }

// SetPrice changes (or adds) a product's price, like the yearly price change.
func (s *Server) SetPrice(code, cents int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.prices[code]
	if !ok {
		p = Product{Code: code, Name: fmt.Sprintf("Produkt %d", code)}
	}
	p.Price = cents
	s.prices[code] = p
}

// ExpireTokens makes every issued token invalid (as if expires_in passed).
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k := range s.tokens {
		s.tokens[k] = time.Time{}
	}
}

// Inject queues a fault for the next matching request(s).
func (s *Server) Inject(f Fault) {
	if f.Times <= 0 {
		f.Times = 1
	}
	s.mu.Lock()
	s.faults = append(s.faults, f)
	s.mu.Unlock()
}

// ClearFaults drops every fault not yet used.
func (s *Server) ClearFaults() { s.mu.Lock(); s.faults = nil; s.mu.Unlock() }

// Ledger returns a copy of the wallet's bookings.
func (s *Server) Ledger() []LedgerEntry {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]LedgerEntry(nil), s.ledger...)
}

// Charges counts the charges booked for a shop order.
func (s *Server) Charges(shopOrderID string) int {
	n := 0
	for _, e := range s.Ledger() {
		if e.Kind == "charge" && e.ShopOrderID == shopOrderID {
			n++
		}
	}
	return n
}

// Requests counts the requests per operation name (see Fault.Op).
func (s *Server) Requests(op string) int { s.mu.Lock(); defer s.mu.Unlock(); return s.requests[op] }

// Voucher returns what was printed on a sold voucher.
func (s *Server) Voucher(voucherID string) (Stamp, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.vouchers[voucherID]
	if !ok {
		return Stamp{}, false
	}
	return *st, true
}

// Refunded reports whether a voucher was refunded.
func (s *Server) Refunded(voucherID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refunded[voucherID]
}

// Handler serves the API under BasePath, the stamp files under /download/
// and the control endpoints under ControlPath.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+BasePath+"/{$}", s.handleVersion)
	mux.HandleFunc("POST "+BasePath+"/user", s.handleLogin)
	mux.HandleFunc("GET "+BasePath+"/user/profile", s.auth("profile", s.handleProfile))
	mux.HandleFunc("GET "+BasePath+"/app/catalog", s.auth("catalog", s.handleCatalog))
	mux.HandleFunc("POST "+BasePath+"/app/shoppingcart", s.auth("init", s.handleInit))
	mux.HandleFunc("POST "+BasePath+"/app/shoppingcart/png", s.auth("checkout", s.handleCheckout("png")))
	mux.HandleFunc("POST "+BasePath+"/app/shoppingcart/pdf", s.auth("checkout", s.handleCheckout("pdf")))
	mux.HandleFunc("GET "+BasePath+"/app/shoppingcart/{id}", s.auth("order", s.handleGetOrder))
	mux.HandleFunc("POST "+BasePath+"/app/retoure", s.auth("retoure", s.handleRetoure))
	mux.HandleFunc("GET "+BasePath+"/app/retoure", s.auth("retoure", s.handleRetoureState))
	mux.HandleFunc("PUT "+BasePath+"/app/wallet", s.auth("wallet", s.handleWallet))
	mux.HandleFunc("GET /download/{token}", s.handleDownload)
	s.control(mux)
	return http.MaxBytesHandler(mux, 1<<20)
}

// ---- helpers ----

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, title, detail string) {
	if status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "1")
	}
	writeJSON(w, status, map[string]string{
		"statusCode": strconv.Itoa(status), "title": title, "detail": detail,
		"instance": fmt.Sprintf("PCF-A%04d", status*3+1),
	})
}

// lose drops the connection without an answer.
func lose(w http.ResponseWriter) {
	if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
		conn.Close()
		return
	}
	panic(http.ErrAbortHandler) // net/http closes the connection silently
}

// takeFault returns the next fault for op, if any, and counts the request.
func (s *Server) takeFault(op string) (FaultKind, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests[op]++
	for i, f := range s.faults {
		if f.Op == "" || f.Op == op {
			s.faults[i].Times--
			if s.faults[i].Times <= 0 {
				s.faults = append(s.faults[:i], s.faults[i+1:]...)
			}
			return f.Kind, true
		}
	}
	return 0, false
}

// preFault applies faults that stop a request before it does anything; it
// reports whether the request was answered. A LoseAfterCharge fault is
// handed back to the handler.
func (s *Server) preFault(w http.ResponseWriter, op string) (after bool, done bool) {
	k, ok := s.takeFault(op)
	if !ok {
		return false, false
	}
	switch k {
	case LoseBeforeCharge:
		lose(w)
		return false, true
	case RateLimit:
		writeError(w, http.StatusTooManyRequests, "Too Many Requests", "Too many requests sent, please try again later.")
		return false, true
	case ServerError:
		writeError(w, http.StatusInternalServerError, "Internal Server Error", "simulated failure")
		return false, true
	case LoseAfterCharge:
		return true, false
	}
	return false, false
}

func (s *Server) auth(op string, h func(w http.ResponseWriter, r *http.Request, after bool)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		after, done := s.preFault(w, op)
		if done {
			return
		}
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		s.mu.Lock()
		exp, known := s.tokens[tok]
		approved := s.approved
		now := s.cfg.Now()
		s.mu.Unlock()
		if !ok || !known || !now.Before(exp) || !approved {
			writeError(w, http.StatusUnauthorized, "Unauthorized", "Unauthorized, the provided authorization token is not valid or expired.")
			return
		}
		h(w, r, after)
	}
}

func (s *Server) finish(w http.ResponseWriter, after bool, status int, v any) {
	if after {
		lose(w)
		return
	}
	writeJSON(w, status, v)
}

func newToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// ---- handlers ----

func (s *Server) handleVersion(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"amp": map[string]string{
		"name": "pp-post-internetmarke", "version": "v1.30", "rev": "1", "env": "sim",
	}})
}

func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	after, done := s.preFault(w, "login")
	if done {
		return
	}
	if err := r.ParseForm(); err != nil {
		writeError(w, http.StatusBadRequest, "Bad Request", "form body expected: "+err.Error())
		return
	}
	f := r.PostForm
	for _, k := range []string{"grant_type", "client_id", "client_secret", "username", "password"} {
		if f.Get(k) == "" {
			writeError(w, http.StatusBadRequest, "Bad Request", "Required parameter '"+k+"' is missing")
			return
		}
	}
	if f.Get("grant_type") != "client_credentials" {
		writeError(w, http.StatusBadRequest, "Bad Request", "grant_type must be client_credentials")
		return
	}
	if len([]rune(f.Get("password"))) > 22 {
		writeError(w, http.StatusBadRequest, "Bad Request", "password longer than 22 characters")
		return
	}
	if f.Get("client_id") != s.cfg.APIKey || f.Get("client_secret") != s.cfg.APISecret ||
		f.Get("username") != s.cfg.Username || f.Get("password") != s.cfg.Password {
		writeError(w, http.StatusUnauthorized, "Unauthorized", "Unauthorized, user account is not valid or the credentials are wrong.")
		return
	}
	s.mu.Lock()
	if !s.approved {
		s.mu.Unlock()
		writeError(w, http.StatusUnauthorized, "Unauthorized", "The application is not authorized by user.")
		return
	}
	tok := newToken()
	now := s.cfg.Now()
	s.tokens[tok] = now.Add(s.cfg.TokenTTL)
	bal := s.balance
	s.mu.Unlock()
	s.finish(w, after, http.StatusOK, map[string]any{
		"access_token": tok, "token_type": "BearerToken", "expires_in": int(s.cfg.TokenTTL / time.Second),
		"walletBalance": bal, "infoMessage": "", "showTermsAndConditions": false,
		"issued_at": now.UTC().Format(http.TimeFormat), "external_customer_id": "SIM-0001",
		"authenticated_user": s.cfg.Username,
	})
}

func (s *Server) handleProfile(w http.ResponseWriter, r *http.Request, after bool) {
	s.finish(w, after, http.StatusOK, map[string]string{
		"ekp": "6123456789", "company": "Versandhaus Beispiel GmbH", "invoiceType": "ONLINE", "invoiceFrequency": "DAILY",
		"mail": s.cfg.Username, "firstname": "Erika", "lastname": "Mustermann", "street": "Hauptstrasse", "houseNo": "5",
		"zip": "53113", "city": "Bonn", "country": "DEU",
	})
}

func (s *Server) handleCatalog(w http.ResponseWriter, r *http.Request, after bool) {
	var types []string
	for _, v := range r.URL.Query()["types"] {
		types = append(types, strings.Split(v, ",")...)
	}
	if len(types) == 0 {
		writeError(w, http.StatusBadRequest, "Bad Request", "Required parameter 'types' is missing")
		return
	}
	out := map[string]any{}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range types {
		switch strings.TrimSpace(t) {
		case "PAGE_FORMATS":
			ids := make([]int, 0, len(s.formats))
			for id := range s.formats {
				ids = append(ids, id)
			}
			sort.Ints(ids)
			var pfs []any
			for _, id := range ids {
				pf := s.formats[id]
				orient := "PORTRAIT"
				if pf.W > pf.H {
					orient = "LANDSCAPE"
				}
				pfs = append(pfs, map[string]any{
					"id": pf.ID, "name": pf.Name, "description": pf.Name, "pageType": pf.PageType,
					"isAddressPossible": pf.AddressPossble, "isImagePossible": false,
					"pageLayout": map[string]any{
						"size": map[string]float64{"x": pf.W, "y": pf.H}, "orientation": orient,
						"labelSpacing": map[string]float64{"x": 0, "y": 0},
						"labelCount":   map[string]int{"labelX": pf.Cols, "labelY": pf.Rows},
						"margin":       map[string]float64{"top": 0, "bottom": 0, "left": 0, "right": 0},
					},
				})
			}
			out["pageFormats"] = pfs
		case "PUBLIC":
			out["publicCatalog"] = map[string]any{"items": []any{map[string]any{
				"category": "Grüße", "categoryDescription": "Grüße und Glückwünsche", "categoryId": 1,
				"images": []any{map[string]any{"imageID": 1001, "imageDescription": "Herbstlaub", "imageSlogan": "Schöne Grüße",
					"links": map[string]string{"link": "https://example.invalid/motif/1001.png", "linkThumbnail": "https://example.invalid/motif/1001_t.png"}}},
			}}}
		case "CONTRACT_PRODUCTS":
			codes := make([]int, 0, len(s.prices))
			for c := range s.prices {
				codes = append(codes, c)
			}
			sort.Ints(codes)
			var ps []any
			for _, c := range codes {
				ps = append(ps, map[string]int{"productCode": c, "price": s.prices[c].Price})
			}
			out["contractProducts"] = map[string]any{"products": ps}
		case "PRIVATE":
			out["privateCatalog"] = map[string]any{"imageLink": []any{}}
		default:
			writeError(w, http.StatusBadRequest, "InvalidTypeId", "Unknown catalog type '"+t+"'")
			return
		}
	}
	s.finish(w, after, http.StatusOK, out)
}

func (s *Server) handleInit(w http.ResponseWriter, r *http.Request, after bool) {
	s.mu.Lock()
	id := s.newOrderLocked()
	s.mu.Unlock()
	s.finish(w, after, http.StatusOK, map[string]string{"shopOrderId": id})
}

func (s *Server) newOrderLocked() string {
	s.nextOrder++
	id := strconv.Itoa(s.nextOrder)
	s.orders[id] = &order{id: id, created: s.cfg.Now()}
	return id
}

type wirePosition struct {
	ProductCode   int    `json:"productCode"`
	ImageID       int    `json:"imageID"`
	VoucherLayout string `json:"voucherLayout"`
	PositionType  string `json:"positionType"`
	Address       *struct {
		Sender   *Address `json:"sender"`
		Receiver *Address `json:"receiver"`
	} `json:"address"`
	Position *struct {
		LabelX int `json:"labelX"`
		LabelY int `json:"labelY"`
		Page   int `json:"page"`
	} `json:"position"`
}

type wireCheckout struct {
	Type         string         `json:"type"`
	ShopOrderID  string         `json:"shopOrderId"`
	Total        *int           `json:"total"`
	DPI          string         `json:"dpi"`
	OptimizePNG  bool           `json:"optimizePNG"`
	PageFormatID int            `json:"pageFormatId"`
	Positions    []wirePosition `json:"positions"`
	// preview fields
	ProductCode   int    `json:"productCode"`
	ImageID       int    `json:"imageID"`
	VoucherLayout string `json:"voucherLayout"`
}

func dpiValue(s string) (int, bool) {
	switch s {
	case "", "DPI300":
		return 300, true
	case "DPI203":
		return 203, true
	}
	return 0, false
}

func (s *Server) handleCheckout(kind string) func(w http.ResponseWriter, r *http.Request, after bool) {
	return func(w http.ResponseWriter, r *http.Request, after bool) {
		q := r.URL.Query()
		validate := q.Get("validate") == "true"
		direct := q.Get("directCheckout") == "true"
		if validate && direct {
			writeError(w, http.StatusBadRequest, "invalidCombination", "validate and directCheckout must not be combined")
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			writeError(w, http.StatusBadRequest, "Bad Request", "body too large or unreadable")
			return
		}
		var req wireCheckout
		if err := json.Unmarshal(body, &req); err != nil {
			writeError(w, http.StatusBadRequest, "Bad Request", "malformed JSON: "+err.Error())
			return
		}
		dpi, ok := dpiValue(req.DPI)
		if !ok {
			writeError(w, http.StatusBadRequest, "Bad Request", "dpi must be DPI203 or DPI300")
			return
		}
		wantType := "AppShoppingCart" + strings.ToUpper(kind) + "Request"
		if validate {
			wantType = "AppShoppingCartPreview" + strings.ToUpper(kind) + "Request"
		}
		if req.Type != wantType {
			writeError(w, http.StatusBadRequest, "InvalidTypeId", fmt.Sprintf("type %q does not fit this request, want %q", req.Type, wantType))
			return
		}
		if validate {
			s.preview(w, r, kind, dpi, &req, after)
			return
		}
		s.checkout(w, r, kind, dpi, direct, &req, after)
	}
}

func (s *Server) preview(w http.ResponseWriter, r *http.Request, kind string, dpi int, req *wireCheckout, after bool) {
	s.mu.Lock()
	p, ok := s.prices[req.ProductCode]
	pf, pfOK := s.formats[req.PageFormatID]
	s.mu.Unlock()
	if !ok {
		writeError(w, http.StatusBadRequest, "invalidProductcode", fmt.Sprintf("The productcode is invalid! Reason: No product with productcode: %d found!", req.ProductCode))
		return
	}
	if kind == "pdf" && !pfOK {
		writeError(w, http.StatusBadRequest, "Bad Request", fmt.Sprintf("unknown pageFormatId %d", req.PageFormatID))
		return
	}
	st := Stamp{VoucherID: "MUSTER", ProductCode: p.Code, ProductName: p.Name, Price: p.Price, Date: s.cfg.Now(), Layout: req.VoucherLayout, Preview: true}
	img, err := s.fonts.Render(st, dpi)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "Internal Server Error", err.Error())
		return
	}
	var data []byte
	ctype := "image/png"
	if kind == "png" {
		data, err = encodePNG(img, true)
	} else {
		ctype = "application/pdf"
		data, err = pdfFor(pf, []*image.Gray{img}, []pdfPos{{1, 1, 1}}, dpi)
	}
	if err != nil {
		writeError(w, http.StatusInternalServerError, "Internal Server Error", err.Error())
		return
	}
	link, err := absLink(r, s.store(data, ctype))
	if err != nil {
		writeError(w, http.StatusBadRequest, "Bad Request", "no Host header")
		return
	}
	s.finish(w, after, http.StatusOK, map[string]any{"type": "CheckoutShoppingCartAppResponse", "link": link})
}

func (s *Server) checkout(w http.ResponseWriter, r *http.Request, kind string, dpi int, direct bool, req *wireCheckout, after bool) {
	if len(req.Positions) == 0 {
		writeError(w, http.StatusBadRequest, "Bad Request", "positions must not be empty")
		return
	}
	if req.Total == nil {
		writeError(w, http.StatusBadRequest, "invalidTotalAmount", "total is missing")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var o *order
	switch {
	case req.ShopOrderID == "" && direct:
		o = s.orders[s.newOrderLocked()]
	case req.ShopOrderID == "":
		writeError(w, http.StatusBadRequest, "invalidShopOrderID", "shopOrderId is required without directCheckout")
		return
	default:
		o = s.orders[req.ShopOrderID]
		if o == nil {
			writeError(w, http.StatusBadRequest, "unknownShopOrderId", fmt.Sprintf("Unknown shopOrderId '%s'", req.ShopOrderID))
			return
		}
		if o.paid {
			writeError(w, http.StatusBadRequest, "invalidShopOrderID", fmt.Sprintf("Queued order duplicated for the shopOrderId '%s'", req.ShopOrderID))
			return
		}
	}
	var pf PageFormat
	if kind == "pdf" {
		var ok bool
		if pf, ok = s.formats[req.PageFormatID]; !ok {
			writeError(w, http.StatusBadRequest, "Bad Request", fmt.Sprintf("unknown pageFormatId %d", req.PageFormatID))
			return
		}
	}
	sum := 0
	var stamps []Stamp
	var pos []pdfPos
	now := s.cfg.Now()
	for i, p := range req.Positions {
		prod, ok := s.prices[p.ProductCode]
		if !ok {
			writeError(w, http.StatusBadRequest, "invalidProductcode", fmt.Sprintf("The productcode is invalid! Reason: No product with productcode: %d found!", p.ProductCode))
			return
		}
		wantType := "AppShoppingCartPosition"
		if kind == "pdf" {
			wantType = "AppShoppingCartPDFPosition"
			if p.Position == nil || p.Position.LabelX < 1 || p.Position.LabelY < 1 || p.Position.Page < 1 {
				writeError(w, http.StatusBadRequest, "Bad Request", fmt.Sprintf("position %d: labelX, labelY and page must be >= 1", i+1))
				return
			}
			if p.Position.LabelX > pf.Cols || p.Position.LabelY > pf.Rows {
				writeError(w, http.StatusBadRequest, "Bad Request", fmt.Sprintf("position %d is outside page format %d", i+1, pf.ID))
				return
			}
			pos = append(pos, pdfPos{p.Position.LabelX, p.Position.LabelY, p.Position.Page})
		}
		if p.PositionType != wantType {
			writeError(w, http.StatusBadRequest, "InvalidTypeId", fmt.Sprintf("positionType %q, want %q", p.PositionType, wantType))
			return
		}
		st := Stamp{ProductCode: prod.Code, ProductName: prod.Name, Price: prod.Price, Date: now, Layout: p.VoucherLayout}
		if p.Address != nil {
			if p.Address.Sender == nil || p.Address.Receiver == nil {
				writeError(w, http.StatusBadRequest, "Bad Request", "address needs both sender and receiver")
				return
			}
			st.Sender, st.Receiver = p.Address.Sender, p.Address.Receiver
		}
		sum += prod.Price
		stamps = append(stamps, st)
	}
	if *req.Total != sum {
		writeError(w, http.StatusBadRequest, "invalidTotalAmount", fmt.Sprintf("The total amount %d does not match the calculated amount %d", *req.Total, sum))
		return
	}
	if s.balance < sum {
		writeError(w, http.StatusBadRequest, "walletBalanceNotEnough", fmt.Sprintf("Wallet balance %d is lower than the total amount %d", s.balance, sum))
		return
	}
	// Charge.
	var ids []string
	for i := range stamps {
		s.nextVoucher++
		stamps[i].VoucherID = fmt.Sprintf("%s%010X", s.cfg.Serial, s.nextVoucher)
		if s.prices[stamps[i].ProductCode].Registered {
			stamps[i].TrackID = fmt.Sprintf("%sEE%08X", s.cfg.Serial[:8], s.nextVoucher)
		}
		st := stamps[i]
		s.vouchers[st.VoucherID] = &st
		ids = append(ids, st.VoucherID)
	}
	s.balance -= sum
	s.ledger = append(s.ledger, LedgerEntry{Seq: len(s.ledger) + 1, Time: now, Kind: "charge", Amount: sum, ShopOrderID: o.id, Vouchers: ids, BalanceAfter: s.balance})
	o.paid, o.kind, o.dpi, o.format, o.optimize, o.stamps, o.positions, o.total = true, kind, dpi, pf.ID, req.OptimizePNG, stamps, pos, sum
	link, err := s.renderLocked(o)
	if err == nil {
		link, err = absLink(r, link)
	}
	if err != nil {
		// The charge stands (as on the live service): the order can be fetched again.
		s.log.Error("internetmarke sim: rendering failed", "err", err)
		writeError(w, http.StatusInternalServerError, "Internal Server Error", err.Error())
		return
	}
	resp := s.orderResponseLocked(o, link, true)
	if after {
		lose(w)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) orderResponseLocked(o *order, link string, withBalance bool) map[string]any {
	var vl []map[string]string
	for _, st := range o.stamps {
		vl = append(vl, map[string]string{"voucherId": st.VoucherID, "trackId": st.TrackID})
	}
	resp := map[string]any{
		"type": "CheckoutShoppingCartAppResponse", "link": link, "manifestLink": "",
		"shoppingCart": map[string]any{"shopOrderId": o.id, "voucherList": vl},
	}
	if withBalance {
		resp["walletBallance"] = s.balance
	}
	return resp
}

// renderLocked draws the order's stamps and stores the file behind a link.
func (s *Server) renderLocked(o *order) (string, error) {
	var imgs []*image.Gray
	for _, st := range o.stamps {
		img, err := s.fonts.Render(st, o.dpi)
		if err != nil {
			return "", err
		}
		imgs = append(imgs, img)
	}
	if o.kind == "png" {
		var pngs [][]byte
		for _, img := range imgs {
			b, err := encodePNG(img, o.optimize)
			if err != nil {
				return "", err
			}
			pngs = append(pngs, b)
		}
		z, err := zipPNGs(pngs)
		if err != nil {
			return "", err
		}
		return s.storeLocked(z, "application/zip"), nil
	}
	data, err := pdfFor(s.formats[o.format], imgs, o.positions, o.dpi)
	if err != nil {
		return "", err
	}
	return s.storeLocked(data, "application/pdf"), nil
}

// pdfFor lays stamps out on a page format; a stamp that only fits turned
// is turned by a quarter (lossless).
func pdfFor(pf PageFormat, imgs []*image.Gray, pos []pdfPos, dpi int) ([]byte, error) {
	cols, rows := max(pf.Cols, 1), max(pf.Rows, 1)
	cellW, cellH := pf.W/float64(cols), pf.H/float64(rows)
	pages := 1
	var pis []pdfImage
	for i, img := range imgs {
		p := pos[i]
		pages = max(pages, p.page)
		b := img.Bounds()
		wmm := float64(b.Dx()) * 25.4 / float64(dpi)
		hmm := float64(b.Dy()) * 25.4 / float64(dpi)
		if (wmm > cellW || hmm > cellH) && hmm <= cellW && wmm <= cellH {
			img = rotate90(img)
			wmm, hmm = hmm, wmm
		}
		// Shrink (PDF only; the PNG path never scales) if the cell is smaller.
		if f := min(cellW/wmm, cellH/hmm); f < 1 {
			wmm, hmm = wmm*f, hmm*f
		}
		pis = append(pis, pdfImage{page: p.page - 1, x: float64(p.x-1) * cellW, y: float64(p.y-1) * cellH, w: wmm, h: hmm, img: img})
	}
	return buildPDF(pf.W, pf.H, pages, pis)
}

func (s *Server) store(data []byte, ctype string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.storeLocked(data, ctype)
}

// storeLocked keeps a file behind a fresh link and forgets expired ones.
// The link is a path; the handler makes it absolute for the request's host.
func (s *Server) storeLocked(data []byte, ctype string) string {
	now := s.cfg.Now()
	for k, d := range s.downloads {
		if now.After(d.expires) {
			delete(s.downloads, k)
		}
	}
	tok := newToken()
	s.downloads[tok] = &download{data: data, ctype: ctype, expires: now.Add(s.cfg.LinkTTL)}
	return "/download/" + tok
}

func (s *Server) handleGetOrder(w http.ResponseWriter, r *http.Request, after bool) {
	id := r.PathValue("id")
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.orders[id]
	if o == nil || !o.paid {
		writeError(w, http.StatusNotFound, "Not Found", "Order not found: "+id)
		return
	}
	link, err := s.renderLocked(o)
	if err == nil {
		link, err = absLink(r, link)
	}
	if err != nil {
		writeError(w, http.StatusInternalServerError, "Internal Server Error", err.Error())
		return
	}
	resp := s.orderResponseLocked(o, link, false)
	if after {
		lose(w)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) handleRetoure(w http.ResponseWriter, r *http.Request, after bool) {
	var req struct {
		ShoppingCart *struct {
			ShopOrderID string `json:"shopOrderId"`
			VoucherList []struct {
				VoucherID string `json:"voucherId"`
				TrackID   string `json:"trackId"`
			} `json:"voucherList"`
		} `json:"shoppingCart"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.ShoppingCart == nil {
		writeError(w, http.StatusBadRequest, "Bad Request", "shoppingCart expected")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []string
	if id := req.ShoppingCart.ShopOrderID; id != "" {
		o := s.orders[id]
		if o == nil || !o.paid {
			writeError(w, http.StatusBadRequest, "unknownShopOrderId", fmt.Sprintf("Unknown shopOrderId '%s'", id))
			return
		}
		for _, st := range o.stamps {
			ids = append(ids, st.VoucherID)
		}
	}
	for _, v := range req.ShoppingCart.VoucherList {
		id := v.VoucherID
		if id == "" && v.TrackID != "" {
			for vid, st := range s.vouchers {
				if st.TrackID == v.TrackID {
					id = vid
				}
			}
		}
		if _, ok := s.vouchers[id]; !ok {
			writeError(w, http.StatusBadRequest, "Bad Request", fmt.Sprintf("unknown voucher '%s%s'", v.VoucherID, v.TrackID))
			return
		}
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		writeError(w, http.StatusBadRequest, "Bad Request", "nothing to refund")
		return
	}
	s.nextRetoure++
	rt := &retoure{txID: s.nextRetoure, shopID: strconv.Itoa(17288644 + len(s.retoures)), created: s.cfg.Now(), serial: s.cfg.Serial}
	for _, id := range ids {
		if s.refunded[id] {
			rt.notRefunded = append(rt.notRefunded, id)
			continue
		}
		s.refunded[id] = true
		rt.refunded = append(rt.refunded, id)
		rt.price += s.vouchers[id].Price
	}
	if rt.price > 0 {
		s.balance += rt.price
		s.ledger = append(s.ledger, LedgerEntry{Seq: len(s.ledger) + 1, Time: rt.created, Kind: "refund", Amount: rt.price, ShopOrderID: req.ShoppingCart.ShopOrderID, Vouchers: rt.refunded, BalanceAfter: s.balance})
	}
	s.retoures = append(s.retoures, rt)
	resp := map[string]string{"shopRetoureId": rt.shopID, "retoureTransactionId": strconv.Itoa(rt.txID)}
	if after {
		lose(w)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) handleRetoureState(w http.ResponseWriter, r *http.Request, after bool) {
	q := r.URL.Query()
	var start, end time.Time
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"startDate", &start}, {"endDate", &end}} {
		if v := q.Get(p.name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				writeError(w, http.StatusBadRequest, "Bad Request", p.name+" must be yyyy-MM-dd'T'HH:mm:ss.SSSXXX")
				return
			}
			*p.dst = t
		}
	}
	txID := 0
	if v := q.Get("retoureTransactionId"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			writeError(w, http.StatusBadRequest, "Bad Request", "retoureTransactionId must be a number")
			return
		}
		txID = n
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	list := []any{}
	for _, rt := range s.retoures {
		if (q.Get("shopRetoureId") != "" && rt.shopID != q.Get("shopRetoureId")) || (txID != 0 && rt.txID != txID) ||
			(!start.IsZero() && rt.created.Before(start)) || (!end.IsZero() && rt.created.After(end)) {
			continue
		}
		vs := func(ids []string) []map[string]string {
			out := []map[string]string{}
			for _, id := range ids {
				out = append(out, map[string]string{"voucherId": id, "trackId": s.vouchers[id].TrackID})
			}
			return out
		}
		list = append(list, map[string]any{
			"retoureTransactionId": rt.txID, "shopRetoureId": rt.shopID, "totalCount": len(rt.refunded) + len(rt.notRefunded),
			"countStillOpen": 0, "retourePrice": rt.price, "creationDate": fmt.Sprintf("%d%s", rt.created.Day(), rt.created.Format("012006-150405")),
			"serialnumber": rt.serial, "refundedVouchers": vs(rt.refunded), "notRefundedVouchers": vs(rt.notRefunded),
		})
	}
	s.finish(w, after, http.StatusOK, map[string]any{"RetrieveRetoureStateResponse": list})
}

func (s *Server) handleWallet(w http.ResponseWriter, r *http.Request, after bool) {
	amount, err := strconv.Atoi(r.URL.Query().Get("amount"))
	if err != nil || amount < 1 {
		writeError(w, http.StatusBadRequest, "Bad Request", "amount must be a positive number of eurocents")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cfg.NoDirectDebit {
		writeError(w, http.StatusBadRequest, "forbiddenPaymentMethod", fmt.Sprintf("Error while processing charging request for serialnumber '%s'", s.cfg.Serial))
		return
	}
	if s.toppedUp+amount > s.cfg.TopUpQuota {
		writeError(w, http.StatusBadRequest, "quotaExceeded", fmt.Sprintf("Error while processing charging request for serialnumber '%s'", s.cfg.Serial))
		return
	}
	s.toppedUp += amount
	s.balance += amount
	id := s.newOrderLocked()
	s.ledger = append(s.ledger, LedgerEntry{Seq: len(s.ledger) + 1, Time: s.cfg.Now(), Kind: "topup", Amount: amount, ShopOrderID: id, BalanceAfter: s.balance})
	resp := map[string]any{"shopOrderId": id, "walletBalance": s.balance}
	if after {
		lose(w)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) handleDownload(w http.ResponseWriter, r *http.Request) {
	if k, ok := s.takeFault("download"); ok {
		switch k {
		case LoseBeforeCharge, LoseAfterCharge:
			lose(w)
		default:
			http.Error(w, "simulated failure", http.StatusInternalServerError)
		}
		return
	}
	s.mu.Lock()
	d := s.downloads[r.PathValue("token")]
	expired := d != nil && s.cfg.Now().After(d.expires)
	s.mu.Unlock()
	if d == nil || expired {
		http.Error(w, "link unknown or expired", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", d.ctype)
	w.Header().Set("Content-Length", strconv.Itoa(len(d.data)))
	_, _ = w.Write(d.data)
}

// absLink turns a stored /download path into an absolute URL on the host the
// request came to.
func absLink(r *http.Request, p string) (string, error) {
	if r.Host == "" {
		return "", errors.New("request without Host")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	u := url.URL{Scheme: scheme, Host: r.Host, Path: p}
	return u.String(), nil
}
