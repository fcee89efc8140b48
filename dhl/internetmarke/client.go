// Package internetmarke is a client of the Deutsche Post INTERNETMARKE REST
// API v1.30: Portokasse login and balance, catalog, free previews, buying
// stamps as PNG or PDF, fetching a paid order again, refunds and wallet
// top-ups. It follows ../shared/specs/internetmarke-v1.30.openapi.yaml and
// decodes leniently where the live service differs from it.
//
// The client never retries a purchase on its own: whether a lost answer
// means "paid" is for the caller's purchase journal to find out with
// GetOrder.
package internetmarke

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Limits on what the client reads from the service.
const (
	maxJSONBody  = 8 << 20
	maxStampFile = 64 << 20
	maxZipEntry  = 32 << 20
)

// Client talks to one Portokasse account. It is safe for concurrent use.
type Client struct {
	cfg  Config
	hc   *http.Client // API calls
	dl   *http.Client // stamp downloads (no Authorization is ever sent there)
	log  *slog.Logger
	now  func() time.Time
	base *url.URL

	loginMu sync.Mutex // one login at a time
	mu      sync.Mutex
	token   string
	expires time.Time
	balance *Balance
	catalog map[string]*Catalog // by sorted types
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sets the HTTP client for API calls and downloads (tests put
// a contract.Checker under it).
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) { c.hc, c.dl = hc, hc }
}

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(c *Client) { c.log = l } }

// WithClock sets the clock used for token expiry and caching.
func WithClock(now func() time.Time) Option { return func(c *Client) { c.now = now } }

// New builds a client; it does not contact the service.
func New(cfg Config, opts ...Option) (*Client, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("internetmarke configuration: %w", err)
	}
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("internetmarke.base_url %q is not an absolute URL", cfg.BaseURL)
	}
	c := &Client{cfg: cfg, base: u, log: slog.Default(), now: time.Now, catalog: map[string]*Catalog{}}
	c.hc = &http.Client{Timeout: cfg.Timeout}
	c.dl = c.hc
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// Config returns the configuration in use (with defaults).
func (c *Client) Config() Config { return c.cfg }

// ---- login and token ----

type loginBody struct {
	AccessToken        string     `json:"access_token"`
	TokenTypeLive      string     `json:"token_type"`
	TokenTypeSpec      string     `json:"tokenType"`
	ExpiresIn          flexInt    `json:"expires_in"`
	WalletBalance      flexInt    `json:"walletBalance"`
	InfoMessage        string     `json:"infoMessage"`
	ShowTerms          bool       `json:"showTermsAndConditions"`
	ExternalCustomerID string     `json:"external_customer_id"`
	AuthenticatedUser  string     `json:"authenticated_user"`
	IssuedAt           flexString `json:"issued_at"`
}

// Login signs in with all five form fields and caches the token. Other
// methods log in on their own; call Login to check the credentials.
func (c *Client) Login(ctx context.Context) (*Login, error) {
	c.loginMu.Lock()
	defer c.loginMu.Unlock()
	return c.login(ctx)
}

func (c *Client) login(ctx context.Context) (*Login, error) {
	form := url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {c.cfg.APIKey},
		"client_secret": {c.cfg.APISecret},
		"username":      {c.cfg.Username},
		"password":      {c.cfg.Password},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url("/user", nil), strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	var b loginBody
	if err := c.roundTrip(req, "login", &b); err != nil {
		var ae *APIError
		if errors.As(err, &ae) {
			ae.Login = true
		}
		return nil, err
	}
	if b.AccessToken == "" {
		return nil, errors.New("INTERNETMARKE login: the answer has no access_token")
	}
	l := &Login{
		AccessToken: b.AccessToken, TokenType: b.TokenTypeLive, WalletBalance: Cents(b.WalletBalance.V),
		InfoMessage: b.InfoMessage, ShowTerms: b.ShowTerms, ExternalCustomerID: b.ExternalCustomerID,
		AuthenticatedUser: b.AuthenticatedUser,
	}
	if l.TokenType == "" {
		l.TokenType = b.TokenTypeSpec
	}
	exp := time.Duration(b.ExpiresIn.V) * time.Second
	if !b.ExpiresIn.Set || exp <= 0 {
		exp = 5 * time.Minute // unknown lifetime: log in again soon rather than use a dead token
	}
	l.ExpiresIn = exp
	now := c.now()
	c.mu.Lock()
	c.token = b.AccessToken
	// Refresh about a minute before expiry (half the lifetime for short ones).
	margin := time.Minute
	if exp < 2*time.Minute {
		margin = exp / 2
	}
	c.expires = now.Add(exp - margin)
	if b.WalletBalance.Set {
		c.balance = &Balance{Amount: Cents(b.WalletBalance.V), At: now}
	}
	c.mu.Unlock()
	c.log.Debug("internetmarke login", "expires_in", exp, "balance", l.WalletBalance)
	return l, nil
}

// bearer returns a valid token, logging in when there is none or it is
// about to expire.
func (c *Client) bearer(ctx context.Context, stale string) (string, error) {
	c.loginMu.Lock()
	defer c.loginMu.Unlock()
	c.mu.Lock()
	tok, exp := c.token, c.expires
	c.mu.Unlock()
	if tok != "" && tok != stale && c.now().Before(exp) {
		return tok, nil
	}
	if _, err := c.login(ctx); err != nil {
		return "", err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.token, nil
}

// ---- HTTP plumbing ----

func (c *Client) url(p string, q url.Values) string {
	u := *c.base
	u.Path = strings.TrimRight(c.base.Path, "/") + p
	if p == "/" {
		u.Path = strings.TrimRight(c.base.Path, "/") + "/"
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// call sends an authenticated JSON request; on 401 it logs in once more
// and repeats (a 401 means the request was not carried out).
func (c *Client) call(ctx context.Context, op, method, p string, q url.Values, in, out any) error {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return fmt.Errorf("INTERNETMARKE %s: encode request: %w", op, err)
		}
	}
	stale := ""
	for attempt := 0; ; attempt++ {
		tok, err := c.bearer(ctx, stale)
		if err != nil {
			return err
		}
		var rd io.Reader
		if body != nil {
			rd = bytes.NewReader(body)
		}
		req, err := http.NewRequestWithContext(ctx, method, c.url(p, q), rd)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Accept", "application/json")
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		err = c.roundTrip(req, op, out)
		var ae *APIError
		if attempt == 0 && errors.As(err, &ae) && ae.Status == http.StatusUnauthorized {
			c.log.Info("internetmarke token refused, logging in again", "op", op)
			stale = tok
			continue
		}
		return err
	}
}

// roundTrip sends req and decodes a 2xx JSON answer into out.
func (c *Client) roundTrip(req *http.Request, op string, out any) error {
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("INTERNETMARKE %s: %w", op, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxJSONBody+1))
	if err != nil {
		return fmt.Errorf("INTERNETMARKE %s: reading the answer: %w", op, err)
	}
	if len(data) > maxJSONBody {
		return fmt.Errorf("INTERNETMARKE %s: answer larger than %d bytes", op, maxJSONBody)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return parseError(op, resp.StatusCode, resp.Header, data)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("INTERNETMARKE %s: unreadable answer: %w", op, err)
	}
	return nil
}

// ---- balance, profile, version ----

// Balance returns the Portokasse balance. The API has no balance endpoint:
// the figure comes from the last login or checkout; when none is known (or
// maxAge has passed, if > 0) it logs in to get a fresh one.
func (c *Client) Balance(ctx context.Context, maxAge time.Duration) (Balance, error) {
	c.mu.Lock()
	b := c.balance
	c.mu.Unlock()
	if b != nil && (maxAge <= 0 || c.now().Sub(b.At) < maxAge) {
		return *b, nil
	}
	if _, err := c.Login(ctx); err != nil {
		return Balance{}, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.balance == nil {
		return Balance{}, errors.New("INTERNETMARKE: the login answer carried no walletBalance")
	}
	return *c.balance, nil
}

// CachedBalance is the last balance the service reported, without a call.
func (c *Client) CachedBalance() (Balance, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.balance == nil {
		return Balance{}, false
	}
	return *c.balance, true
}

func (c *Client) noteBalance(v flexInt) *Cents {
	if !v.Set {
		return nil
	}
	amt := Cents(v.V)
	c.mu.Lock()
	c.balance = &Balance{Amount: amt, At: c.now()}
	c.mu.Unlock()
	return &amt
}

// Profile returns the user profile.
func (c *Client) Profile(ctx context.Context) (*Profile, error) {
	var p Profile
	if err := c.call(ctx, "user profile", http.MethodGet, "/user/profile", nil, nil, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// Version calls GET / (no authentication): a health check.
func (c *Client) Version(ctx context.Context) (*Version, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url("/", nil), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	var b struct {
		AMP struct {
			Name, Version, Rev, Env string
		} `json:"amp"`
		Version string `json:"version"`
		Env     string `json:"env"`
	}
	if err := c.roundTrip(req, "health check", &b); err != nil {
		return nil, err
	}
	v := &Version{Name: b.AMP.Name, Version: b.AMP.Version, Rev: b.AMP.Rev, Env: b.AMP.Env}
	if v.Version == "" {
		v.Version, v.Env = b.Version, b.Env
	}
	return v, nil
}

// ---- catalog and products ----

type catalogBody struct {
	PageFormats    []PageFormat `json:"pageFormats"`
	PublicCatalog  *publicBody  `json:"publicCatalog"`
	PublicGallery  *publicBody  `json:"publicGallery"`
	PrivateCatalog *struct {
		ImageLink []MotifLink `json:"imageLink"`
	} `json:"privateCatalog"`
	ContractProducts *struct {
		Products []struct {
			ProductCode int     `json:"productCode"`
			Price       flexInt `json:"price"`
		} `json:"products"`
	} `json:"contractProducts"`
}

type publicBody struct {
	Items []MotifCategory `json:"items"`
}

// Catalog returns the catalogs of the given types (PAGE_FORMATS, PUBLIC,
// PRIVATE, CONTRACT_PRODUCTS), cached for Config.CatalogRefresh.
func (c *Client) Catalog(ctx context.Context, types ...string) (*Catalog, error) {
	if len(types) == 0 {
		types = []string{CatalogPageFormats}
	}
	ts := append([]string(nil), types...)
	sort.Strings(ts)
	key := strings.Join(ts, ",")
	c.mu.Lock()
	cached := c.catalog[key]
	c.mu.Unlock()
	if cached != nil && c.now().Sub(cached.Fetched) < c.cfg.CatalogRefresh {
		return cached, nil
	}
	var b catalogBody
	if err := c.call(ctx, "catalog", http.MethodGet, "/app/catalog", url.Values{"types": ts}, nil, &b); err != nil {
		if cached != nil {
			c.log.Warn("internetmarke catalog refresh failed, using the cached one", "err", err)
			return cached, nil
		}
		return nil, err
	}
	cat := &Catalog{PageFormats: b.PageFormats, Fetched: c.now()}
	for _, pb := range []*publicBody{b.PublicCatalog, b.PublicGallery} {
		if pb != nil {
			cat.Public = append(cat.Public, pb.Items...)
		}
	}
	if b.PrivateCatalog != nil {
		cat.Private = b.PrivateCatalog.ImageLink
	}
	if b.ContractProducts != nil {
		for _, p := range b.ContractProducts.Products {
			cat.ContractProducts = append(cat.ContractProducts, ContractProduct{ProductCode: p.ProductCode, Price: Cents(p.Price.V)})
		}
	}
	c.mu.Lock()
	c.catalog[key] = cat
	c.mu.Unlock()
	return cat, nil
}

// PageFormats returns the page formats (cached).
func (c *Client) PageFormats(ctx context.Context) ([]PageFormat, error) {
	cat, err := c.Catalog(ctx, CatalogPageFormats)
	if err != nil {
		return nil, err
	}
	return cat.PageFormats, nil
}

// Products is the price list: the configured products, with contract
// prices taking over when Config.ContractProducts is set.
func (c *Client) Products(ctx context.Context) ([]Product, error) {
	byCode := map[int]Product{}
	var order []int
	for _, p := range c.cfg.Products {
		if p.Name == "" {
			p.Name = ProductName(p.Code)
		}
		byCode[p.Code] = p
		order = append(order, p.Code)
	}
	if c.cfg.ContractProducts {
		cat, err := c.Catalog(ctx, CatalogContractProducts)
		if err != nil {
			return nil, fmt.Errorf("contract prices: %w", err)
		}
		for _, cp := range cat.ContractProducts {
			p, ok := byCode[cp.ProductCode]
			if !ok {
				p = Product{Code: cp.ProductCode, Name: ProductName(cp.ProductCode)}
				order = append(order, cp.ProductCode)
			}
			p.Price = cp.Price
			byCode[cp.ProductCode] = p
		}
	}
	out := make([]Product, 0, len(order))
	for _, code := range order {
		out = append(out, byCode[code])
	}
	return out, nil
}

// Price is the price of one product from the price list.
func (c *Client) Price(ctx context.Context, code int) (Product, error) {
	ps, err := c.Products(ctx)
	if err != nil {
		return Product{}, err
	}
	for _, p := range ps {
		if p.Code == code {
			if p.Price <= 0 {
				return p, &PriceError{Code: code, Name: p.Name, NoPrice: true}
			}
			return p, nil
		}
	}
	name := ProductName(code)
	if name == fmt.Sprintf("Produkt %d", code) {
		name = "" // a code this package does not know either
	}
	return Product{}, &PriceError{Code: code, Name: name}
}

// PriceError says a product cannot be bought for want of a price: it is
// not in the price list, or (NoPrice) listed without a price.
type PriceError struct {
	Code    int
	Name    string
	NoPrice bool
}

func (e *PriceError) Error() string {
	if e.NoPrice {
		return fmt.Sprintf("product %d (%s) has no price: set it under internetmarke.products", e.Code, e.Name)
	}
	name := ""
	if e.Name != "" {
		name = " (" + e.Name + ")"
	}
	return fmt.Sprintf("product %d%s is not in the price list: add it under internetmarke.products with its current price", e.Code, name)
}

// Total is the sum of the positions' prices from the price list.
func (c *Client) Total(ctx context.Context, positions []Position) (Cents, error) {
	var sum Cents
	for _, p := range positions {
		pr, err := c.Price(ctx, p.ProductCode)
		if err != nil {
			return 0, err
		}
		sum += pr.Price
	}
	return sum, nil
}

// ---- shopping cart ----

// NewShopOrder reserves a shopOrderId (POST /app/shoppingcart). Nothing is
// charged; record it durably before checking out with it.
func (c *Client) NewShopOrder(ctx context.Context) (string, error) {
	var b struct {
		ShopOrderID string `json:"shopOrderId"`
	}
	if err := c.call(ctx, "new shop order", http.MethodPost, "/app/shoppingcart", nil, nil, &b); err != nil {
		return "", err
	}
	if b.ShopOrderID == "" || len(b.ShopOrderID) > 18 {
		return "", fmt.Errorf("INTERNETMARKE new shop order: bad shopOrderId %q", b.ShopOrderID)
	}
	return b.ShopOrderID, nil
}

type wireAddressBinding struct {
	Sender   Address `json:"sender"`
	Receiver Address `json:"receiver"`
}

type wireLabelPos struct {
	LabelX int `json:"labelX"`
	LabelY int `json:"labelY"`
	Page   int `json:"page"`
}

type wirePosition struct {
	ProductCode   int                 `json:"productCode"`
	ImageID       int                 `json:"imageID,omitempty"`
	Address       *wireAddressBinding `json:"address,omitempty"`
	VoucherLayout string              `json:"voucherLayout"`
	PositionType  string              `json:"positionType"`
	Position      *wireLabelPos       `json:"position,omitempty"`
}

type wireCheckout struct {
	Type           string         `json:"type"`
	ShopOrderID    string         `json:"shopOrderId,omitempty"`
	Total          int            `json:"total"`
	CreateManifest bool           `json:"createManifest"`
	DPI            string         `json:"dpi,omitempty"`
	OptimizePNG    *bool          `json:"optimizePNG,omitempty"`
	PageFormatID   int            `json:"pageFormatId,omitempty"`
	Positions      []wirePosition `json:"positions"`
}

type checkoutBody struct {
	Type         string  `json:"type"`
	Link         string  `json:"link"`
	ManifestLink string  `json:"manifestLink"`
	Wallet       flexInt `json:"walletBallance"`
	WalletAlt    flexInt `json:"walletBalance"`
	ShoppingCart struct {
		ShopOrderID string    `json:"shopOrderId"`
		VoucherList []Voucher `json:"voucherList"`
	} `json:"shoppingCart"`
}

func (c *Client) checkOrder(o *Order, pdf bool) error {
	if len(o.Positions) == 0 {
		return errors.New("the order has no stamps")
	}
	if o.DPI != "" && o.DPI != DPI203 && o.DPI != DPI300 {
		return fmt.Errorf("dpi %q: want DPI203 or DPI300", o.DPI)
	}
	if len(o.ShopOrderID) > 18 {
		return fmt.Errorf("shopOrderId %q longer than 18 characters", o.ShopOrderID)
	}
	if pdf && o.PageFormatID <= 0 {
		return errors.New("a PDF order needs a page format")
	}
	for i, p := range o.Positions {
		if p.ProductCode <= 0 {
			return fmt.Errorf("stamp %d: product code must be > 0", i+1)
		}
		if (p.Sender == nil) != (p.Receiver == nil) {
			return fmt.Errorf("stamp %d: give both sender and receiver, or neither", i+1)
		}
		for _, a := range []*Address{p.Sender, p.Receiver} {
			if a != nil {
				if err := a.Validate(); err != nil {
					return fmt.Errorf("stamp %d: address: %w", i+1, err)
				}
			}
		}
	}
	return nil
}

func (c *Client) wireOrder(o *Order, pdf bool) wireCheckout {
	w := wireCheckout{ShopOrderID: o.ShopOrderID, Total: int(o.Total), CreateManifest: o.CreateManifest, DPI: o.DPI}
	if pdf {
		w.Type = "AppShoppingCartPDFRequest"
		w.PageFormatID = o.PageFormatID
	} else {
		w.Type = "AppShoppingCartPNGRequest"
		opt := o.OptimizePNG
		w.OptimizePNG = &opt
	}
	next := 1
	for _, p := range o.Positions {
		wp := wirePosition{ProductCode: p.ProductCode, ImageID: p.ImageID, VoucherLayout: p.Layout, PositionType: "AppShoppingCartPosition"}
		if wp.VoucherLayout == "" {
			wp.VoucherLayout = LayoutFrankingZone
		}
		if p.Sender != nil && p.Receiver != nil {
			wp.Address = &wireAddressBinding{Sender: *p.Sender, Receiver: *p.Receiver}
		}
		if pdf {
			wp.PositionType = "AppShoppingCartPDFPosition"
			lp := wireLabelPos{LabelX: p.LabelX, LabelY: p.LabelY, Page: p.Page}
			if lp.LabelX < 1 || lp.LabelY < 1 || lp.Page < 1 {
				// One stamp per page: label printers take one label per "page".
				lp = wireLabelPos{LabelX: 1, LabelY: 1, Page: next}
			}
			next = lp.Page + 1
			wp.Position = &lp
		}
		w.Positions = append(w.Positions, wp)
	}
	return w
}

// CheckoutPNG buys the order as PNG stamps and downloads them at once (the
// link is short-lived). When the purchase succeeded but the download
// failed, it returns the receipt (without Files) AND an error wrapping
// ErrDownload: the stamps are paid, fetch them again with GetOrder.
func (c *Client) CheckoutPNG(ctx context.Context, o Order) (*Receipt, error) {
	return c.checkout(ctx, o, false)
}

// CheckoutPDF buys the order as a PDF; see CheckoutPNG.
func (c *Client) CheckoutPDF(ctx context.Context, o Order) (*Receipt, error) {
	return c.checkout(ctx, o, true)
}

// ErrDownload marks a failed stamp download after a successful purchase.
var ErrDownload = errors.New("stamp download failed")

func (c *Client) checkout(ctx context.Context, o Order, pdf bool) (*Receipt, error) {
	kind := KindPNG
	if pdf {
		kind = KindPDF
	}
	op := "checkout " + strings.ToUpper(kind)
	if err := c.checkOrder(&o, pdf); err != nil {
		return nil, fmt.Errorf("INTERNETMARKE %s: %w", op, err)
	}
	if o.Total == 0 {
		t, err := c.Total(ctx, o.Positions)
		if err != nil {
			return nil, fmt.Errorf("INTERNETMARKE %s: %w", op, err)
		}
		o.Total = t
	}
	q := url.Values{}
	if o.ShopOrderID == "" {
		q.Set("directCheckout", "true")
	}
	var b checkoutBody
	err := c.call(ctx, op, http.MethodPost, "/app/shoppingcart/"+kind, q, c.wireOrder(&o, pdf), &b)
	if err != nil {
		var ae *APIError
		if errors.As(err, &ae) {
			switch ae.Title {
			case TitleWalletBalanceNotEnough:
				need := o.Total
				ae.Needed = &need
				// The cached figure may be old: a login reports the current one.
				if _, lerr := c.Login(ctx); lerr != nil {
					c.log.Debug("internetmarke: balance refresh failed", "err", lerr)
				}
				if bal, ok := c.CachedBalance(); ok {
					ae.Balance = &bal.Amount
				}
			case TitleInvalidTotalAmount:
				need := o.Total
				ae.Needed = &need
			}
		}
		return nil, err
	}
	r := c.receipt(&b)
	if r.ShopOrderID == "" {
		r.ShopOrderID = o.ShopOrderID
	}
	if err := c.fetchFiles(ctx, r); err != nil {
		return r, err
	}
	return r, nil
}

func (c *Client) receipt(b *checkoutBody) *Receipt {
	r := &Receipt{ShopOrderID: b.ShoppingCart.ShopOrderID, Vouchers: b.ShoppingCart.VoucherList, Link: b.Link, ManifestLink: b.ManifestLink}
	if b.Wallet.Set {
		r.WalletBalance = c.noteBalance(b.Wallet)
	} else if b.WalletAlt.Set {
		r.WalletBalance = c.noteBalance(b.WalletAlt)
	}
	return r
}

func (c *Client) fetchFiles(ctx context.Context, r *Receipt) error {
	if r.Link == "" {
		return fmt.Errorf("INTERNETMARKE order %s: %w: the answer has no link", r.ShopOrderID, ErrDownload)
	}
	kind, files, err := c.Download(ctx, r.Link)
	if err != nil {
		return fmt.Errorf("INTERNETMARKE order %s (paid): %w: %w", r.ShopOrderID, ErrDownload, err)
	}
	if kind == KindPNG && len(r.Vouchers) > 0 && len(files) != len(r.Vouchers) {
		return fmt.Errorf("INTERNETMARKE order %s (paid): %w: %d stamp images for %d vouchers", r.ShopOrderID, ErrDownload, len(files), len(r.Vouchers))
	}
	r.Kind, r.Files = kind, files
	return nil
}

// GetOrder fetches a shop order again (GET /app/shoppingcart/{id}) with its
// stamp files: how a client that lost an answer gets its paid stamps back.
// An unknown order answers an error matching ErrNotFound.
func (c *Client) GetOrder(ctx context.Context, shopOrderID string) (*Receipt, error) {
	if shopOrderID == "" || len(shopOrderID) > 18 {
		return nil, fmt.Errorf("INTERNETMARKE get order: bad shopOrderId %q", shopOrderID)
	}
	var b checkoutBody
	if err := c.call(ctx, "get order "+shopOrderID, http.MethodGet, "/app/shoppingcart/"+url.PathEscape(shopOrderID), nil, nil, &b); err != nil {
		return nil, err
	}
	r := c.receipt(&b)
	if r.ShopOrderID == "" {
		r.ShopOrderID = shopOrderID
	}
	if err := c.fetchFiles(ctx, r); err != nil {
		return r, err
	}
	return r, nil
}

// Download fetches a stamp or preview link: a PDF, a ZIP of 0.png, 1.png …
// (returned in index order), or a single PNG. No Authorization is sent: the
// link is signed, and may point to another host.
func (c *Client) Download(ctx context.Context, link string) (kind string, files [][]byte, err error) {
	u, err := url.Parse(link)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return "", nil, fmt.Errorf("bad download link %q", link)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, link, nil)
	if err != nil {
		return "", nil, err
	}
	resp, err := c.dl.Do(req)
	if err != nil {
		return "", nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", nil, fmt.Errorf("download answered HTTP %d", resp.StatusCode)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxStampFile+1))
	if err != nil {
		return "", nil, err
	}
	if len(data) > maxStampFile {
		return "", nil, fmt.Errorf("stamp file larger than %d bytes", maxStampFile)
	}
	return SplitStampFile(data)
}

// SplitStampFile recognises a downloaded stamp file by its content.
func SplitStampFile(data []byte) (kind string, files [][]byte, err error) {
	switch {
	case bytes.HasPrefix(data, []byte("%PDF-")):
		return KindPDF, [][]byte{data}, nil
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return KindPNG, [][]byte{data}, nil
	case bytes.HasPrefix(data, []byte("PK")):
		files, err := unzipPNGs(data)
		return KindPNG, files, err
	}
	return "", nil, errors.New("the stamp file is neither PDF, PNG nor ZIP")
}

// unzipPNGs returns the PNGs of a stamp ZIP ordered by their index (0.png,
// 1.png, … 10.png).
func unzipPNGs(data []byte) ([][]byte, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("stamp ZIP: %w", err)
	}
	type entry struct {
		idx  int
		name string
		data []byte
	}
	var es []entry
	for _, f := range zr.File {
		base := path.Base(f.Name)
		if f.FileInfo().IsDir() || !strings.EqualFold(path.Ext(base), ".png") {
			continue
		}
		idx, err := strconv.Atoi(strings.TrimSuffix(base, path.Ext(base)))
		if err != nil {
			idx = 1 << 30 // unnumbered files go last, by name
		}
		if f.UncompressedSize64 > maxZipEntry {
			return nil, fmt.Errorf("stamp ZIP: %s is too large", f.Name)
		}
		rc, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("stamp ZIP: %s: %w", f.Name, err)
		}
		b, err := io.ReadAll(io.LimitReader(rc, maxZipEntry+1))
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("stamp ZIP: %s: %w", f.Name, err)
		}
		if len(b) > maxZipEntry {
			return nil, fmt.Errorf("stamp ZIP: %s is too large", f.Name)
		}
		if !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) {
			return nil, fmt.Errorf("stamp ZIP: %s is not a PNG", f.Name)
		}
		es = append(es, entry{idx, base, b})
	}
	if len(es) == 0 {
		return nil, errors.New("stamp ZIP holds no PNG")
	}
	sort.Slice(es, func(i, j int) bool {
		if es[i].idx != es[j].idx {
			return es[i].idx < es[j].idx
		}
		return es[i].name < es[j].name
	})
	out := make([][]byte, len(es))
	for i, e := range es {
		out[i] = e.data
	}
	return out, nil
}

// ---- previews ----

type wirePreview struct {
	Type          string `json:"type"`
	ProductCode   int    `json:"productCode"`
	ImageID       int    `json:"imageID,omitempty"`
	VoucherLayout string `json:"voucherLayout"`
	DPI           string `json:"dpi,omitempty"`
	PageFormatID  int    `json:"pageFormatId,omitempty"`
}

// PreviewPNG fetches a free preview image (validate=true; nothing is charged).
func (c *Client) PreviewPNG(ctx context.Context, p Preview) (*PreviewImage, error) {
	return c.preview(ctx, p, false)
}

// PreviewPDF fetches a free preview PDF.
func (c *Client) PreviewPDF(ctx context.Context, p Preview) (*PreviewImage, error) {
	return c.preview(ctx, p, true)
}

func (c *Client) preview(ctx context.Context, p Preview, pdf bool) (*PreviewImage, error) {
	if p.ProductCode <= 0 {
		return nil, errors.New("INTERNETMARKE preview: product code must be > 0")
	}
	w := wirePreview{Type: "AppShoppingCartPreviewPNGRequest", ProductCode: p.ProductCode, ImageID: p.ImageID, VoucherLayout: p.Layout, DPI: p.DPI}
	kind := KindPNG
	if pdf {
		kind = KindPDF
		w.Type = "AppShoppingCartPreviewPDFRequest"
		w.PageFormatID = p.PageFormatID
		if w.PageFormatID <= 0 {
			w.PageFormatID = c.cfg.PageFormat
		}
	}
	if w.VoucherLayout == "" {
		w.VoucherLayout = LayoutFrankingZone
	}
	var b checkoutBody
	// validate=true only; never with directCheckout (invalidCombination).
	if err := c.call(ctx, "preview "+strings.ToUpper(kind), http.MethodPost, "/app/shoppingcart/"+kind, url.Values{"validate": {"true"}}, w, &b); err != nil {
		return nil, err
	}
	img := &PreviewImage{Link: b.Link}
	k, files, err := c.Download(ctx, b.Link)
	if err != nil {
		return img, fmt.Errorf("INTERNETMARKE preview: %w", err)
	}
	img.Kind, img.Data = k, files[0]
	return img, nil
}

// ---- refunds and wallet ----

// Refund asks for a refund of a whole shop order or of single vouchers.
func (c *Client) Refund(ctx context.Context, r RefundRequest) (*RefundReceipt, error) {
	type wireVoucher struct {
		VoucherID string `json:"voucherId,omitempty"`
		TrackID   string `json:"trackId,omitempty"`
	}
	var cart struct {
		ShopOrderID string        `json:"shopOrderId,omitempty"`
		VoucherList []wireVoucher `json:"voucherList,omitempty"`
	}
	cart.ShopOrderID = r.ShopOrderID
	for _, v := range r.VoucherIDs {
		cart.VoucherList = append(cart.VoucherList, wireVoucher{VoucherID: v})
	}
	for _, t := range r.TrackIDs {
		cart.VoucherList = append(cart.VoucherList, wireVoucher{TrackID: t})
	}
	if cart.ShopOrderID == "" && len(cart.VoucherList) == 0 {
		return nil, errors.New("INTERNETMARKE refund: name a shop order or vouchers")
	}
	body := map[string]any{"shoppingCart": cart}
	var b struct {
		ShopRetoureID        flexString `json:"shopRetoureId"`
		RetoureTransactionID flexString `json:"retoureTransactionId"`
	}
	if err := c.call(ctx, "refund", http.MethodPost, "/app/retoure", nil, body, &b); err != nil {
		return nil, err
	}
	return &RefundReceipt{ShopRetoureID: string(b.ShopRetoureID), RetoureTransactionID: string(b.RetoureTransactionID)}, nil
}

// RefundStates lists refunds and their progress (GET /app/retoure).
func (c *Client) RefundStates(ctx context.Context, q RefundQuery) ([]RefundState, error) {
	v := url.Values{}
	if q.ShopRetoureID != "" {
		v.Set("shopRetoureId", q.ShopRetoureID)
	}
	if q.RetoureTransactionID != 0 {
		v.Set("retoureTransactionId", strconv.Itoa(q.RetoureTransactionID))
	}
	const layout = "2006-01-02T15:04:05.000Z07:00"
	if !q.Start.IsZero() {
		v.Set("startDate", q.Start.Format(layout))
	}
	if !q.End.IsZero() {
		v.Set("endDate", q.End.Format(layout))
	}
	type wireState struct {
		RetoureTransactionID flexInt    `json:"retoureTransactionId"`
		ShopRetoureID        flexString `json:"shopRetoureId"`
		TotalCount           flexInt    `json:"totalCount"`
		CountStillOpen       flexInt    `json:"countStillOpen"`
		RetourePrice         flexInt    `json:"retourePrice"`
		CreationDate         string     `json:"creationDate"`
		Serialnumber         string     `json:"serialnumber"`
		Refunded             []Voucher  `json:"refundedVouchers"`
		NotRefunded          []Voucher  `json:"notRefundedVouchers"`
	}
	var b struct {
		States []wireState `json:"RetrieveRetoureStateResponse"`
	}
	if err := c.call(ctx, "refund state", http.MethodGet, "/app/retoure", v, nil, &b); err != nil {
		return nil, err
	}
	out := make([]RefundState, 0, len(b.States))
	for _, s := range b.States {
		rs := RefundState{
			RetoureTransactionID: s.RetoureTransactionID.V, ShopRetoureID: string(s.ShopRetoureID),
			TotalCount: s.TotalCount.V, CountStillOpen: s.CountStillOpen.V, RetourePrice: Cents(s.RetourePrice.V),
			CreationDateRaw: s.CreationDate, Serialnumber: s.Serialnumber, Refunded: s.Refunded, NotRefunded: s.NotRefunded,
		}
		if t, err := ParseRetoureDate(s.CreationDate, nil); err == nil {
			rs.Created = t
		}
		out = append(out, rs)
	}
	return out, nil
}

// TopUp charges the Portokasse by amount from the registered SEPA mandate
// (PUT /app/wallet). This moves real money: call it only on an explicit,
// confirmed request of the operator. It is never retried.
func (c *Client) TopUp(ctx context.Context, amount Cents) (*TopUp, error) {
	if amount < 1 {
		return nil, errors.New("INTERNETMARKE top-up: the amount must be at least 1 cent")
	}
	var b struct {
		ShopOrderID   string  `json:"shopOrderId"`
		WalletBalance flexInt `json:"walletBalance"`
	}
	if err := c.call(ctx, "top-up", http.MethodPut, "/app/wallet", url.Values{"amount": {strconv.Itoa(int(amount))}}, nil, &b); err != nil {
		return nil, err
	}
	return &TopUp{ShopOrderID: b.ShopOrderID, WalletBalance: c.noteBalance(b.WalletBalance)}, nil
}
