// Package pairing keeps the web origins that may print through the
// browser API: which asked, which the operator approved (with which
// scopes) or denied, and the hash of each approved origin's token. It lives
// in the agent's store, so decisions survive restarts.
//
// Flow: a page asks to pair (Request) and gets a token at once, with a short
// code it shows to the operator; the token works only after the operator
// approves the origin (Approve) in the dashboard or with `labelagent origins
// approve`. Only the token's SHA-256 is stored. A denied origin stays denied
// until the operator revokes the decision (Revoke forgets the origin).
package pairing

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/i18n"
)

var bucket = []byte("browser_origins")

// Limits against a page that floods the operator with requests.
const (
	MaxPending   = 16
	maxOriginLen = 200
	maxAppLen    = 80
	// Via values.
	ViaAPI          = "browser_api"
	ViaBrowserPrint = "browser_print"
)

// Errors; they are catalog errors, so the API answers in the reader's language.
var (
	ErrNotPaired = i18n.E("browser.err_not_paired")
	ErrDenied    = i18n.E("browser.err_denied")
	ErrPending   = i18n.E("browser.err_pending")
	ErrBadToken  = i18n.E("browser.err_bad_token")
	ErrTooMany   = i18n.E("browser.err_too_many_requests")
	ErrUnknown   = i18n.E("browser.err_unknown_origin")
	ErrBadScope  = i18n.E("browser.err_bad_scope")
	ErrBadOrigin = i18n.E("browser.err_bad_origin")
)

// record is an origin as stored.
type record struct {
	Origin    string     `json:"origin"`
	App       string     `json:"app,omitempty"`
	Via       string     `json:"via,omitempty"`
	Scopes    []string   `json:"scopes,omitempty"`
	Approved  bool       `json:"approved,omitempty"`
	Denied    bool       `json:"denied,omitempty"`
	TokenHash string     `json:"token_hash,omitempty"`
	Decided   *time.Time `json:"decided,omitempty"`
	LastUsed  *time.Time `json:"last_used,omitempty"`

	// The open request, if any.
	Pending     bool      `json:"pending,omitempty"`
	PendingHash string    `json:"pending_hash,omitempty"`
	PendingApp  string    `json:"pending_app,omitempty"`
	PendingVia  string    `json:"pending_via,omitempty"`
	Code        string    `json:"code,omitempty"`
	Requested   time.Time `json:"requested,omitzero"`
}

// Registry is the set of known origins. It is safe for concurrent use.
type Registry struct {
	db      *bolt.DB
	now     func() time.Time
	timeout time.Duration

	mu   sync.Mutex
	recs map[string]*record
	subs map[chan struct{}]struct{}
}

// Open loads the origins from db. timeout is how long a request waits for
// the operator; now is the clock (nil: time.Now).
func Open(db *bolt.DB, timeout time.Duration, now func() time.Time) (*Registry, error) {
	if now == nil {
		now = time.Now
	}
	r := &Registry{db: db, now: now, timeout: timeout, recs: map[string]*record{}, subs: map[chan struct{}]struct{}{}}
	err := db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucket)
		if err != nil {
			return err
		}
		return b.ForEach(func(k, v []byte) error {
			var rec record
			if err := json.Unmarshal(v, &rec); err != nil {
				return fmt.Errorf("origin %q: %w", k, err)
			}
			r.recs[rec.Origin] = &rec
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("read paired browser origins: %w", err)
	}
	return r, nil
}

// Subscribe returns a channel that receives a value after every change
// (coalesced: a slow reader sees one value for many changes), and a func
// that ends the subscription.
func (r *Registry) Subscribe() (<-chan struct{}, func()) {
	c := make(chan struct{}, 1)
	r.mu.Lock()
	r.subs[c] = struct{}{}
	r.mu.Unlock()
	return c, func() {
		r.mu.Lock()
		delete(r.subs, c)
		r.mu.Unlock()
	}
}

// changed tells the subscribers; call with mu held.
func (r *Registry) changed() {
	for c := range r.subs {
		select {
		case c <- struct{}{}:
		default:
		}
	}
}

// save writes rec (nil: deletes origin) durably; call with mu held.
func (r *Registry) save(origin string, rec *record) error {
	return r.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucket)
		if rec == nil {
			return b.Delete([]byte(origin))
		}
		data, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		return b.Put([]byte(origin), data)
	})
}

// expire drops requests older than the timeout; call with mu held.
func (r *Registry) expire() {
	cut := r.now().Add(-r.timeout)
	for o, rec := range r.recs {
		if !rec.Pending || rec.Requested.After(cut) {
			continue
		}
		rec.Pending, rec.PendingHash, rec.PendingApp, rec.PendingVia, rec.Code = false, "", "", "", ""
		var err error
		if !rec.Approved && !rec.Denied {
			delete(r.recs, o)
			err = r.save(o, nil)
		} else {
			err = r.save(o, rec)
		}
		_ = err // an expired request left on disk expires again at the next look
		r.changed()
	}
}

// Request records that a page from origin asks to pair, and returns the
// token it will use once approved and the code both the page and the
// operator see. A new request from the same origin replaces its open one.
func (r *Registry) Request(origin, app string) (token, code string, err error) {
	return r.request(origin, app, ViaAPI, true)
}

// RequestBrowserPrint records that a Browser Print page from origin wants
// to print (Zebra's app asks to "accept the host"). It makes no token:
// Browser Print pages send none. An open request is left as it is.
func (r *Registry) RequestBrowserPrint(origin string) (code string, err error) {
	_, code, err = r.request(origin, "Zebra Browser Print", ViaBrowserPrint, false)
	return code, err
}

func (r *Registry) request(origin, app, via string, withToken bool) (token, code string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.expire()
	rec := r.recs[origin]
	if rec != nil && rec.Denied {
		return "", "", ErrDenied
	}
	if rec != nil && rec.Pending && !withToken {
		return "", rec.Code, nil // Browser Print asks on every call; one request is enough
	}
	if rec == nil || !rec.Pending {
		n := 0
		for _, x := range r.recs {
			if x.Pending {
				n++
			}
		}
		if n >= MaxPending {
			return "", "", ErrTooMany
		}
	}
	if rec == nil {
		rec = &record{Origin: origin}
	}
	hash := ""
	if withToken {
		token = newToken()
		hash = HashToken(token)
	}
	rec.Pending, rec.PendingHash, rec.PendingApp, rec.PendingVia = true, hash, cleanApp(app), via
	rec.Code, rec.Requested = newCode(), r.now()
	if err := r.save(origin, rec); err != nil {
		return "", "", err
	}
	r.recs[origin] = rec
	r.changed()
	return token, rec.Code, nil
}

// Status is what a token holder may do.
type Status struct {
	Origin  string
	State   string
	Scopes  []string
	Code    string // of the open request, while pending
	Pending bool   // the token belongs to the open request
}

// Check finds what the token of origin allows. It fails with ErrNotPaired,
// ErrDenied, ErrPending (the operator has not decided on this token yet) or
// ErrBadToken.
func (r *Registry) Check(origin, token string) (Status, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.expire()
	rec := r.recs[origin]
	if rec == nil {
		return Status{}, ErrNotPaired
	}
	if rec.Denied {
		return Status{}, ErrDenied
	}
	h := HashToken(token)
	if rec.Approved && rec.TokenHash != "" && subtle.ConstantTimeCompare([]byte(h), []byte(rec.TokenHash)) == 1 {
		now := r.now()
		rec.LastUsed = &now
		return Status{Origin: origin, State: apitype.OriginApproved, Scopes: slices.Clone(rec.Scopes)}, nil
	}
	if rec.Pending && rec.PendingHash != "" && subtle.ConstantTimeCompare([]byte(h), []byte(rec.PendingHash)) == 1 {
		return Status{Origin: origin, State: apitype.OriginPending, Code: rec.Code, Pending: true}, ErrPending
	}
	if !rec.Approved && !rec.Pending {
		return Status{}, ErrNotPaired
	}
	return Status{}, ErrBadToken
}

// Accepted reports whether origin is approved (for Browser Print, which
// has no tokens) and its scopes.
func (r *Registry) Accepted(origin string) (scopes []string, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rec := r.recs[origin]
	if rec == nil || !rec.Approved || rec.Denied {
		return nil, false
	}
	now := r.now()
	rec.LastUsed = &now
	return slices.Clone(rec.Scopes), true
}

// Approve lets origin print with the given scopes (print is always
// included). An open request's token becomes the origin's token; without
// one, the origin is accepted for Browser Print and its pages' next pairing
// request still needs the operator.
func (r *Registry) Approve(origin string, scopes []string) (apitype.Origin, error) {
	scopes, err := NormalizeScopes(scopes)
	if err != nil {
		return apitype.Origin{}, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.expire()
	rec := r.recs[origin]
	if rec == nil {
		rec = &record{Origin: origin, Via: "operator"}
	}
	now := r.now()
	rec.Approved, rec.Denied, rec.Scopes, rec.Decided = true, false, scopes, &now
	if rec.Pending {
		if rec.PendingHash != "" {
			rec.TokenHash = rec.PendingHash
		}
		rec.App, rec.Via = rec.PendingApp, rec.PendingVia
		rec.Pending, rec.PendingHash, rec.PendingApp, rec.PendingVia, rec.Code = false, "", "", "", ""
	}
	if err := r.save(origin, rec); err != nil {
		return apitype.Origin{}, err
	}
	r.recs[origin] = rec
	r.changed()
	return rec.view(), nil
}

// Deny refuses origin: its token stops working and it cannot ask again
// until the operator revokes the decision.
func (r *Registry) Deny(origin string) (apitype.Origin, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.expire()
	rec := r.recs[origin]
	if rec == nil {
		rec = &record{Origin: origin, Via: "operator"}
	}
	now := r.now()
	*rec = record{Origin: origin, App: cmpOr(rec.PendingApp, rec.App), Via: cmpOr(rec.PendingVia, rec.Via), Denied: true, Decided: &now}
	if err := r.save(origin, rec); err != nil {
		return apitype.Origin{}, err
	}
	r.recs[origin] = rec
	r.changed()
	return rec.view(), nil
}

// Revoke forgets origin: an approved one loses its token, a denied one may
// ask again.
func (r *Registry) Revoke(origin string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.recs[origin]; !ok {
		return i18n.E("browser.err_unknown_origin", "origin", origin)
	}
	if err := r.save(origin, nil); err != nil {
		return err
	}
	delete(r.recs, origin)
	r.changed()
	return nil
}

// Get returns one origin.
func (r *Registry) Get(origin string) (apitype.Origin, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.expire()
	rec, ok := r.recs[origin]
	if !ok {
		return apitype.Origin{}, false
	}
	return rec.view(), true
}

// List returns every origin: open requests first (oldest first), then the
// rest by origin.
func (r *Registry) List() []apitype.Origin {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.expire()
	out := make([]apitype.Origin, 0, len(r.recs))
	for _, rec := range r.recs {
		out = append(out, rec.view())
	}
	sort.Slice(out, func(i, j int) bool {
		pi, pj := out[i].Requested != nil, out[j].Requested != nil
		if pi != pj {
			return pi
		}
		if pi && !out[i].Requested.Equal(*out[j].Requested) {
			return out[i].Requested.Before(*out[j].Requested)
		}
		return out[i].Origin < out[j].Origin
	})
	return out
}

func (rec *record) view() apitype.Origin {
	o := apitype.Origin{Origin: rec.Origin, App: rec.App, Via: rec.Via, Scopes: slices.Clone(rec.Scopes),
		Paired: rec.Approved && rec.TokenHash != "", Decided: rec.Decided, LastUsed: rec.LastUsed}
	switch {
	case rec.Denied:
		o.State = apitype.OriginDenied
	case rec.Pending:
		o.State = apitype.OriginPending
		o.Code = rec.Code
		req := rec.Requested
		o.Requested = &req
		o.App, o.Via = rec.PendingApp, rec.PendingVia
	default:
		o.State = apitype.OriginApproved
	}
	return o
}

// NormalizeScopes checks scopes, adds print, and sorts them as AllScopes does.
func NormalizeScopes(scopes []string) ([]string, error) {
	want := map[string]bool{apitype.ScopePrint: true}
	for _, s := range scopes {
		s = strings.ToLower(strings.TrimSpace(s))
		if !slices.Contains(apitype.AllScopes(), s) {
			return nil, i18n.E("browser.err_bad_scope", "scope", s, "scopes", strings.Join(apitype.AllScopes(), ", "))
		}
		want[s] = true
	}
	var out []string
	for _, s := range apitype.AllScopes() {
		if want[s] {
			out = append(out, s)
		}
	}
	return out, nil
}

// NormalizeOrigin turns an Origin header (or what an operator typed) into
// the form origins are kept in: lower-case scheme://host[:port], the
// scheme's default port left out. "null", paths, user info and schemes other
// than http and https are refused.
func NormalizeOrigin(s string) (string, error) {
	s = strings.TrimSpace(s)
	bad := i18n.E("browser.err_bad_origin", "origin", truncate(s, 80))
	if s == "" || len(s) > maxOriginLen || strings.EqualFold(s, "null") {
		return "", bad
	}
	u, err := url.Parse(s)
	if err != nil || u.Opaque != "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || (u.Path != "" && u.Path != "/") {
		return "", bad
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" {
		return "", bad
	}
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if host == "" || strings.ContainsAny(host, " %/\\@") {
		return "", bad
	}
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return "", bad
		}
		if (scheme == "http" && n == 80) || (scheme == "https" && n == 443) {
			port = ""
		} else {
			port = strconv.Itoa(n)
		}
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host = net.JoinHostPort(strings.Trim(host, "[]"), port)
	}
	return scheme + "://" + host, nil
}

// HashToken is what is stored of a token.
func HashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

func newToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return "la1_" + base64.RawURLEncoding.EncodeToString(b)
}

func newCode() string {
	n, _ := rand.Int(rand.Reader, big.NewInt(10000))
	return fmt.Sprintf("%04d", n.Int64())
}

// cleanApp keeps a page's name for itself printable and short.
func cleanApp(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return -1
		}
		return r
	}, s)
	return truncate(strings.TrimSpace(s), maxAppLen)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
