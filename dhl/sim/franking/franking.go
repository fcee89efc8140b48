// Package franking simulates DHL Parcel DE Private Shipping ("DHL Online
// Franking") for tests and the offline demo: the product catalog with search
// and filter, prepaid shopping carts with an entryUrl, the payment step
// (which a test or the operator triggers through the control path and which
// then calls the cart's notify URL like DHL does), carts loaded by id with
// PAKIDs once paid, labels (PDF) and QR codes (PNG) by PAKID, and pickups.
//
// Its checks are written from DHL's document, not from the client: the
// Latin-1 rule (characters outside ISO-8859-1 are rejected, a body declared
// ISO-8859-1 is read as such), the forbidden characters ?*^!#%$:{}[], the
// required fields per address type, and errors in DHL's problem format
// {"code": "vls.gpm.address.plzRequired", "detail": …, "property":
// "item._0.address.receiver.plz"}.
package franking

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"

	ps "github.com/labelagent/labelagent/dhl/privateshipping"
	"github.com/labelagent/labelagent/dhl/sim"
)

// ControlPath is where tests and the demo drive the simulator.
const ControlPath = "/_sim/franking"

// DefaultAPIKey is the key the simulator accepts unless told otherwise.
const DefaultAPIKey = "sim-franking-key"

// Options configure the simulator.
type Options struct {
	APIKey string
	// FrontendURL is the base of entryUrls (default: the simulator's own
	// /_sim/franking/pay page, which pays the cart when opened).
	FrontendURL string
	// NotifyClient calls notify URLs (default: a client with a 10 s timeout
	// that accepts the test's self-signed certificates only when told).
	NotifyClient *http.Client
	// NotifyRetries is how often a failed notify is repeated (default 3).
	NotifyRetries int
	Now           func() time.Time
	Logger        *slog.Logger
}

type cart struct {
	ps.Cart
	notifyURL string
	notifies  int // notify calls made
	labelGets int
}

// Server is the simulator; it is an http.Handler.
type Server struct {
	opt Options
	mux *http.ServeMux
	log *slog.Logger

	mu           sync.Mutex
	products     []ps.Product
	carts        map[string]*cart
	byPAKID      map[string]string // PAKID → cart id
	serial       uint64
	catalogCalls int
	faults       []Fault
	requests     map[string]int
}

// Fault replaces one answer (or more, Times).
type Fault struct {
	Method string `json:"method"`
	Path   string `json:"path"` // prefix below the host
	Status int    `json:"status"`
	// Drop: the request is processed, then the connection is closed
	// without an answer (a lost answer).
	Drop       bool `json:"drop"`
	RetryAfter int  `json:"retry_after_s"`
	Times      int  `json:"times"`
}

// New builds a simulator with a catalog like DHL's private-customer range.
func New(opt Options) *Server {
	if opt.APIKey == "" {
		opt.APIKey = DefaultAPIKey
	}
	if opt.NotifyRetries == 0 {
		opt.NotifyRetries = 3
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.NotifyClient == nil {
		opt.NotifyClient = &http.Client{Timeout: 10 * time.Second}
	}
	s := &Server{opt: opt, log: opt.Logger, carts: map[string]*cart{}, byPAKID: map[string]string{},
		requests: map[string]int{}, products: Catalog(), serial: uint64(opt.Now().UnixNano()%1e6) * 1000}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	m := http.NewServeMux()
	m.HandleFunc("GET "+ps.ProductsPath, s.auth(s.getProducts))
	m.HandleFunc("POST "+ps.CartsPath, s.auth(s.postCart))
	m.HandleFunc("GET "+ps.CartsPath+"/{id}", s.auth(s.getCart))
	m.HandleFunc("GET "+ps.BasePath+"/labels/{pak}", s.auth(s.getLabel))
	m.HandleFunc("GET "+ps.BasePath+"/qr-codes/{pak}", s.auth(s.getQR))
	m.HandleFunc("POST "+ps.PickupsPath, s.auth(s.postPickup))
	m.HandleFunc("GET "+ControlPath+"/state", s.state)
	m.HandleFunc("POST "+ControlPath+"/carts/{id}/pay", s.payHandler)
	m.HandleFunc("GET "+ControlPath+"/pay/{id}", s.payPage)
	m.HandleFunc("POST "+ControlPath+"/faults", s.addFault)
	s.mux = m
	return s
}

// Catalog is the simulator's product range (prices of 2026 for private
// customers online).
func Catalog() []ps.Product {
	eu := []string{"AUT", "BEL", "BGR", "CYP", "CZE", "DNK", "EST", "FIN", "FRA", "GRC", "HRV", "HUN", "IRL", "ITA",
		"LVA", "LTU", "LUX", "MLT", "NLD", "POL", "PRT", "ROU", "SVK", "SVN", "ESP", "SWE"}
	de := []string{"DEU"}
	insured := []ps.Service{{ID: "TRANSPORT_INSURANCE_2500", Name: "Transportversicherung bis 2.500 €", Price: 650}}
	return []ps.Product{
		{ID: "PAECKCHEN_S_DE", Name: "DHL Päckchen S", Description: "bis 2 kg, 35 x 25 x 10 cm", Price: 399, Destinations: de, MaxWeightGrams: 2000},
		{ID: "PAECKCHEN_M_DE", Name: "DHL Päckchen M", Description: "bis 2 kg, 60 x 30 x 15 cm", Price: 469, Destinations: de, MaxWeightGrams: 2000},
		{ID: "PAKET_2KG_DE", Name: "DHL Paket 2 kg", Description: "bis 2 kg, 60 x 30 x 15 cm, versichert bis 500 €", Price: 619, Destinations: de, MaxWeightGrams: 2000, Services: insured},
		{ID: "PAKET_5KG_DE", Name: "DHL Paket 5 kg", Description: "bis 5 kg, 120 x 60 x 60 cm", Price: 719, Destinations: de, MaxWeightGrams: 5000, Services: insured},
		{ID: "PAKET_10KG_DE", Name: "DHL Paket 10 kg", Description: "bis 10 kg, 120 x 60 x 60 cm", Price: 1049, Destinations: de, MaxWeightGrams: 10000, Services: insured},
		{ID: "PAKET_31KG_DE", Name: "DHL Paket 31,5 kg", Description: "bis 31,5 kg, 120 x 60 x 60 cm", Price: 1949, Destinations: de, MaxWeightGrams: 31500, Services: insured},
		{ID: "PAKET_5KG_EU", Name: "DHL Paket International 5 kg (EU)", Description: "bis 5 kg in die EU", Price: 1799, Destinations: eu, MaxWeightGrams: 5000},
		{ID: "PAECKCHEN_INT", Name: "DHL Päckchen International", Description: "bis 2 kg, weltweit", Price: 1649, Destinations: append(append([]string{}, eu...), "CHE", "GBR", "USA", "NOR"), MaxWeightGrams: 2000},
		{ID: "PICKUP", Name: "Abholung", Description: "Abholung am Wunschtag", Price: 0, Destinations: de, Pickup: true},
	}
}

// ServeHTTP serves the simulator.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests[r.Method+" "+r.URL.Path]++
	var f *Fault
	if !strings.HasPrefix(r.URL.Path, ControlPath) {
		for i := range s.faults {
			ft := &s.faults[i]
			if (ft.Method == "" || ft.Method == r.Method) && strings.HasPrefix(r.URL.Path, ft.Path) {
				cp := *ft
				f = &cp
				ft.Times--
				if ft.Times <= 0 {
					s.faults = append(s.faults[:i], s.faults[i+1:]...)
				}
				break
			}
		}
	}
	s.mu.Unlock()
	if f != nil && !f.Drop {
		if f.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(f.RetryAfter))
		}
		problem(w, f.Status, ps.Problem{Code: "vls.gpm.sim.fault", Detail: http.StatusText(f.Status)})
		return
	}
	if f != nil && f.Drop {
		// Process the request, then lose the answer.
		s.mux.ServeHTTP(discard{}, r)
		if hj, ok := w.(http.Hijacker); ok {
			if c, _, err := hj.Hijack(); err == nil {
				c.Close()
				return
			}
		}
		panic(http.ErrAbortHandler)
	}
	s.mux.ServeHTTP(w, r)
}

type discard struct{}

func (discard) Header() http.Header         { return http.Header{} }
func (discard) Write(b []byte) (int, error) { return len(b), nil }
func (discard) WriteHeader(int)             {}

// Requests returns how often METHOD PATH was called.
func (s *Server) Requests(methodPath string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[methodPath]
}

// CatalogCalls is how often the catalog was read.
func (s *Server) CatalogCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.catalogCalls
}

// AddFault queues a fault.
func (s *Server) AddFault(f Fault) {
	if f.Times <= 0 {
		f.Times = 1
	}
	s.mu.Lock()
	s.faults = append(s.faults, f)
	s.mu.Unlock()
}

func problem(w http.ResponseWriter, status int, p ...ps.Problem) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	if len(p) == 1 {
		_ = json.NewEncoder(w).Encode(p[0])
		return
	}
	_ = json.NewEncoder(w).Encode(p)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Server) auth(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("dhl-api-key") != s.opt.APIKey {
			problem(w, http.StatusUnauthorized, ps.Problem{Code: "vls.gpm.auth.invalidApiKey", Detail: "Invalid API key."})
			return
		}
		h(w, r)
	}
}

func (s *Server) getProducts(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := ps.Filter{Search: q.Get("search"), Destination: q.Get("destination")}
	if v := q.Get("weight"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			problem(w, http.StatusBadRequest, ps.Problem{Code: "vls.gpm.catalog.weightInvalid", Detail: "weight must be grams", Property: "weight"})
			return
		}
		f.WeightGrams = n
	}
	s.mu.Lock()
	s.catalogCalls++
	var out []ps.Product
	for _, p := range s.products {
		if f.Match(p) {
			out = append(out, p)
		}
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, ps.Catalog{Products: out})
}

// cartRequest is the request as the simulator reads it, with the notify URL.
type cartRequest struct {
	Items     []ps.Item  `json:"items"`
	Pickup    *ps.Pickup `json:"pickup"`
	NotifyURL string     `json:"notifyUrl"`
}

// readBody decodes the body by its declared charset: ISO-8859-1 is read as
// such, anything else must be UTF-8. Characters outside Latin-1 are refused
// afterwards, field by field.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 4<<20))
	if err != nil {
		problem(w, http.StatusBadRequest, ps.Problem{Code: "vls.gpm.request.unreadable", Detail: err.Error()})
		return nil, false
	}
	ct := strings.ToLower(r.Header.Get("Content-Type"))
	if !strings.HasPrefix(ct, "application/json") {
		problem(w, http.StatusUnsupportedMediaType, ps.Problem{Code: "vls.gpm.request.contentType", Detail: "Content-Type must be application/json."})
		return nil, false
	}
	switch {
	case strings.Contains(ct, "charset=iso-8859-1") || strings.Contains(ct, "charset=latin1"):
		body, err = charmap.ISO8859_1.NewDecoder().Bytes(body)
		if err != nil {
			problem(w, http.StatusBadRequest, ps.Problem{Code: "vls.gpm.request.charset", Detail: "The request could not be read as ISO-8859-1."})
			return nil, false
		}
	case strings.Contains(ct, "charset=") && !strings.Contains(ct, "charset=utf-8"):
		problem(w, http.StatusBadRequest, ps.Problem{Code: "vls.gpm.request.charset", Detail: "Only ISO-8859-1 characters are supported."})
		return nil, false
	default:
		if !utf8.Valid(body) {
			problem(w, http.StatusBadRequest, ps.Problem{Code: "vls.gpm.request.charset", Detail: "Only ISO-8859-1 characters are supported."})
			return nil, false
		}
	}
	return body, true
}

var (
	plz5     = regexp.MustCompile(`^\d{5}$`)
	postNo   = regexp.MustCompile(`^\d{6,10}$`)
	stNumber = regexp.MustCompile(`^\d{1,4}$`)
)

// checkAddress applies the document's rules to one address; prop is DHL's
// property prefix, e.g. "item._0.address.receiver".
func checkAddress(prop string, a ps.Address, sender bool) []ps.Problem {
	var out []ps.Problem
	bad := func(field, code, detail string) {
		out = append(out, ps.Problem{Code: code, Detail: detail, Property: prop + "." + field})
	}
	vals := map[string]string{"name1": a.Name1, "name2": a.Name2, "name3": a.Name3, "street": a.Street,
		"streetNumber": a.StreetNumber, "addressAddition1": a.AddressAddition1, "addressAddition2": a.AddressAddition2,
		"plz": a.PLZ, "city": a.City, "province": a.Province, "country": a.Country, "email": a.Email, "phone": a.Phone}
	for _, k := range []string{"name1", "name2", "name3", "street", "streetNumber", "addressAddition1", "addressAddition2", "plz", "city", "province", "country", "email", "phone"} {
		v := vals[k]
		for _, r := range v {
			if r > 0xFF {
				bad(k, "vls.gpm.charset.invalidCharacter", fmt.Sprintf("The character %q is not supported. Only ISO-8859-1 characters are allowed.", r))
				break
			}
			if strings.ContainsRune(ps.Forbidden, r) {
				bad(k, "vls.gpm.charset.forbiddenCharacter", fmt.Sprintf("The character %q is not allowed.", r))
				break
			}
		}
	}
	street := strings.TrimSpace(a.Street)
	pickupPoint := strings.EqualFold(street, "Packstation") || strings.EqualFold(street, "Postfiliale")
	if sender && (pickupPoint || (a.Country != "" && a.Country != "DEU")) {
		bad("street", "vls.gpm.address.senderInvalid", "The sender must be a German street address.")
	}
	req := func(field, v, code, detail string) {
		if strings.TrimSpace(v) == "" {
			bad(field, code, detail)
		}
	}
	req("plz", a.PLZ, "vls.gpm.address.plzRequired", "Please enter a postal code.")
	req("city", a.City, "vls.gpm.address.cityRequired", "Please enter a city.")
	req("streetNumber", a.StreetNumber, "vls.gpm.address.streetNumberRequired", "Please enter a street number.")
	req("street", a.Street, "vls.gpm.address.streetRequired", "Please enter a street.")
	if a.Country == "" && !pickupPoint {
		bad("country", "vls.gpm.address.countryRequired", "Please enter a country.")
	}
	if pickupPoint {
		req("name1", a.Name1, "vls.gpm.address.nameRequired", "Please enter the receiver's name.")
		if !postNo.MatchString(a.Name2) {
			bad("name2", "vls.gpm.address.postNumberInvalid", "Please enter a valid Postnummer.")
		}
		if a.StreetNumber != "" && !stNumber.MatchString(a.StreetNumber) {
			bad("streetNumber", "vls.gpm.address.lockerInvalid", "Please enter the number of the Packstation or Postfiliale.")
		}
	} else {
		req("name2", a.Name2, "vls.gpm.address.nameRequired", "Please enter first and last name.")
	}
	if (a.Country == "DEU" || pickupPoint || sender) && a.PLZ != "" && !plz5.MatchString(a.PLZ) {
		bad("plz", "vls.gpm.address.plzInvalid", "Please enter a valid postal code.")
	}
	if sender && a.Email == "" {
		bad("email", "vls.gpm.address.emailRequired", "Please enter an email address.")
	}
	return out
}

func (s *Server) postCart(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	var req cartRequest
	if err := json.Unmarshal(body, &req); err != nil {
		problem(w, http.StatusBadRequest, ps.Problem{Code: "vls.gpm.request.invalidJson", Detail: "The request is not valid JSON."})
		return
	}
	var probs []ps.Problem
	if len(req.Items) == 0 && req.Pickup == nil {
		probs = append(probs, ps.Problem{Code: "vls.gpm.cart.empty", Detail: "The shopping cart is empty.", Property: "items"})
	}
	s.mu.Lock()
	products := map[string]ps.Product{}
	for _, p := range s.products {
		products[p.ID] = p
	}
	s.mu.Unlock()
	var total ps.Cents
	items := make([]ps.CartItem, 0, len(req.Items))
	for i, it := range req.Items {
		prop := fmt.Sprintf("item._%d", i)
		probs = append(probs, checkAddress(prop+".address.sender", it.Address.Sender, true)...)
		probs = append(probs, checkAddress(prop+".address.receiver", it.Address.Receiver, false)...)
		p, ok := products[it.ProductID]
		if !ok {
			probs = append(probs, ps.Problem{Code: "vls.gpm.product.unknown", Detail: "Unknown product.", Property: prop + ".productId"})
			continue
		}
		country := it.Address.Receiver.Country
		if country == "" {
			country = "DEU"
		}
		if !p.Ships(country) {
			probs = append(probs, ps.Problem{Code: "vls.gpm.product.destinationInvalid", Detail: "The product is not available for this destination.", Property: prop + ".address.receiver.country"})
		}
		if p.MaxWeightGrams > 0 && it.WeightGrams > p.MaxWeightGrams {
			probs = append(probs, ps.Problem{Code: "vls.gpm.product.weightExceeded", Detail: "The weight exceeds the product's maximum.", Property: prop + ".weightGrams"})
		}
		price := p.Price
		for j, sv := range it.Services {
			svc, ok := p.Service(sv)
			if !ok {
				probs = append(probs, ps.Problem{Code: "vls.gpm.service.unknown", Detail: "Unknown service.", Property: fmt.Sprintf("%s.services._%d", prop, j)})
				continue
			}
			price += svc.Price
		}
		total += price
		items = append(items, ps.CartItem{ItemID: strconv.Itoa(i + 1), ProductID: it.ProductID, Services: it.Services,
			WeightGrams: it.WeightGrams, Address: it.Address, Price: price})
	}
	if pk := req.Pickup; pk != nil {
		probs = append(probs, checkAddress("pickup.address", pk.Address, true)...)
		if _, err := time.Parse("2006-01-02", pk.Date); err != nil {
			probs = append(probs, ps.Problem{Code: "vls.gpm.pickup.dateInvalid", Detail: "Please enter a valid pickup date.", Property: "pickup.date"})
		}
	}
	if req.NotifyURL != "" {
		if u, err := url.Parse(req.NotifyURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") {
			probs = append(probs, ps.Problem{Code: "vls.gpm.cart.notifyUrlInvalid", Detail: "The notifyUrl is not valid.", Property: "notifyUrl"})
		}
	}
	if len(probs) > 0 {
		problem(w, http.StatusBadRequest, probs...)
		return
	}
	s.mu.Lock()
	s.serial++
	id := fmt.Sprintf("%012d", s.serial)
	c := &cart{Cart: ps.Cart{ShoppingCartID: id, Status: ps.StatusCreated, Items: items, Total: total,
		Created: s.opt.Now().UTC()}, notifyURL: req.NotifyURL}
	c.Download.EntryURL = s.entryURL(r, id)
	s.carts[id] = c
	out := c.copyCart()
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, out)
}

func (s *Server) entryURL(r *http.Request, id string) string {
	if s.opt.FrontendURL != "" {
		return strings.TrimRight(s.opt.FrontendURL, "/") + "/" + id
	}
	return "http://" + r.Host + ControlPath + "/pay/" + id
}

func (s *Server) getCart(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	c, ok := s.carts[r.PathValue("id")]
	var out ps.Cart
	if ok {
		out = c.copyCart()
	}
	s.mu.Unlock()
	if !ok {
		problem(w, http.StatusNotFound, ps.Problem{Code: "vls.gpm.cart.notFound", Detail: "Shopping cart not found."})
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// copyCart is the cart as it is now, with its own items: answers are
// encoded after the lock is released, while Pay may fill in the items.
// Call with s.mu held.
func (c *cart) copyCart() ps.Cart {
	out := c.Cart
	out.Items = slices.Clone(c.Items)
	return out
}

func (s *Server) itemByPAKID(pak string) (*cart, *ps.CartItem) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.carts[s.byPAKID[pak]]
	if !ok {
		return nil, nil
	}
	for i := range c.Items {
		if c.Items[i].PAKID == pak {
			c.labelGets++
			return c, &c.Items[i]
		}
	}
	return nil, nil
}

func addressLines(a ps.Address) []string {
	var out []string
	for _, l := range []string{a.Name1, a.Name2, a.Name3, strings.TrimSpace(a.Street + " " + a.StreetNumber),
		a.AddressAddition1, strings.TrimSpace(a.PLZ + " " + a.City), a.Province, a.Country} {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}

func (s *Server) getLabel(w http.ResponseWriter, r *http.Request) {
	c, it := s.itemByPAKID(r.PathValue("pak"))
	if it == nil {
		problem(w, http.StatusNotFound, ps.Problem{Code: "vls.gpm.label.notFound", Detail: "No label for this PAKID."})
		return
	}
	pdf, err := sim.LabelPDF(sim.Label{Title: it.ProductID, Date: c.PaidAt.Format("02.01.2006"),
		Weight: fmt.Sprintf("%.1f kg", float64(it.WeightGrams)/1000), Sender: addressLines(it.Address.Sender),
		Receiver: addressLines(it.Address.Receiver), ShipmentNo: it.ShipmentNo, Reference: "PAKID " + it.PAKID})
	if err != nil {
		problem(w, http.StatusInternalServerError, ps.Problem{Code: "vls.gpm.label.error", Detail: err.Error()})
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	_, _ = w.Write(pdf)
}

func (s *Server) getQR(w http.ResponseWriter, r *http.Request) {
	_, it := s.itemByPAKID(r.PathValue("pak"))
	if it == nil {
		problem(w, http.StatusNotFound, ps.Problem{Code: "vls.gpm.qr.notFound", Detail: "No QR code for this PAKID."})
		return
	}
	png, err := sim.QRCodePNG("DHL-PAKID:" + it.PAKID)
	if err != nil {
		problem(w, http.StatusInternalServerError, ps.Problem{Code: "vls.gpm.qr.error", Detail: err.Error()})
		return
	}
	w.Header().Set("Content-Type", "image/png")
	_, _ = w.Write(png)
}

func (s *Server) postPickup(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	var p ps.Pickup
	if err := json.Unmarshal(body, &p); err != nil {
		problem(w, http.StatusBadRequest, ps.Problem{Code: "vls.gpm.request.invalidJson", Detail: "The request is not valid JSON."})
		return
	}
	probs := checkAddress("address", p.Address, true)
	if _, err := time.Parse("2006-01-02", p.Date); err != nil {
		probs = append(probs, ps.Problem{Code: "vls.gpm.pickup.dateInvalid", Detail: "Please enter a valid pickup date.", Property: "date"})
	}
	if len(probs) > 0 {
		problem(w, http.StatusBadRequest, probs...)
		return
	}
	writeJSON(w, http.StatusCreated, ps.PickupBooking{PickupID: "PU" + randHex(6), Date: p.Date})
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return strings.ToUpper(hex.EncodeToString(b))
}

// Pay marks a cart paid as the frontend does, gives each item a PAKID and
// a shipment number, and calls the cart's notify URL (times: how many
// notifies to send, DHL may repeat them; 0 sends none). It returns the
// statuses the notify URL answered.
func (s *Server) Pay(id string, times int) ([]int, error) {
	s.mu.Lock()
	c, ok := s.carts[id]
	if !ok {
		s.mu.Unlock()
		return nil, fmt.Errorf("no cart %s", id)
	}
	if c.Status == ps.StatusCreated {
		c.Status = ps.StatusPaid
		c.PaidAt = s.opt.Now().UTC()
		for i := range c.Items {
			s.serial++
			c.Items[i].PAKID = fmt.Sprintf("PAK%s", randHex(8))
			c.Items[i].ShipmentNo = fmt.Sprintf("00340434%012d", s.serial)
			s.byPAKID[c.Items[i].PAKID] = id
		}
	}
	notify := c.notifyURL
	s.mu.Unlock()
	if notify == "" {
		return nil, nil
	}
	var statuses []int
	for n := 0; n < times; n++ {
		st := s.notify(notify, id)
		statuses = append(statuses, st)
	}
	return statuses, nil
}

// notify calls the notify URL like DHL: GET with dhlPartner and
// shoppingCartId, repeated while it fails with 5xx or no answer.
func (s *Server) notify(base, id string) int {
	u := base
	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
	}
	u += sep + "dhlPartner=DEUANON&shoppingCartId=" + url.QueryEscape(id)
	status := 0
	for try := 0; try < s.opt.NotifyRetries; try++ {
		resp, err := s.opt.NotifyClient.Get(u)
		s.mu.Lock()
		if c, ok := s.carts[id]; ok {
			c.notifies++
		}
		s.mu.Unlock()
		if err != nil {
			status = 0
			continue
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		status = resp.StatusCode
		if status < 500 {
			break
		}
	}
	return status
}

func (s *Server) payHandler(w http.ResponseWriter, r *http.Request) {
	times := 1
	if v := r.URL.Query().Get("notifies"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 10 {
			http.Error(w, "notifies: 0 to 10", http.StatusBadRequest)
			return
		}
		times = n
	}
	statuses, err := s.Pay(r.PathValue("id"), times)
	if err != nil {
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"paid": true, "notify_statuses": statuses})
}

// payPage is the stand-in for DHL's frontend: opening the entryUrl pays.
func (s *Server) payPage(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if _, err := s.Pay(id, 1); err != nil {
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, "<!doctype html><title>DHL Online Frankierung (Simulator)</title><h1>Warenkorb %s bezahlt</h1>", id)
}

func (s *Server) addFault(w http.ResponseWriter, r *http.Request) {
	var f Fault
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&f); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if !f.Drop && (f.Status < 400 || f.Status > 599) {
		http.Error(w, "status 400–599, or drop", http.StatusBadRequest)
		return
	}
	s.AddFault(f)
	w.WriteHeader(http.StatusNoContent)
}

// State is what the control path reports.
type State struct {
	Carts        []ps.Cart      `json:"carts"`
	Notifies     map[string]int `json:"notifies"`
	LabelGets    map[string]int `json:"label_gets"`
	CatalogCalls int            `json:"catalog_calls"`
}

// Snapshot returns the simulator's state.
func (s *Server) Snapshot() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := State{Notifies: map[string]int{}, LabelGets: map[string]int{}, CatalogCalls: s.catalogCalls}
	for id, c := range s.carts {
		st.Carts = append(st.Carts, c.copyCart())
		st.Notifies[id] = c.notifies
		st.LabelGets[id] = c.labelGets
	}
	return st
}

func (s *Server) state(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.Snapshot())
}
