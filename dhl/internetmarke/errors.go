package internetmarke

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Error titles the INTERNETMARKE service sends in the "title" field of an
// error body. They are machine-readable codes; Message turns them into text
// an operator understands.
const (
	TitleInvalidTotalAmount     = "invalidTotalAmount"
	TitleWalletBalanceNotEnough = "walletBalanceNotEnough"
	TitleInvalidProductcode     = "invalidProductcode"
	TitleInvalidShopOrderID     = "invalidShopOrderID"
	TitleUnknownShopOrderID     = "unknownShopOrderId"
	TitleInvalidCombination     = "invalidCombination"
	TitleInvalidTypeID          = "InvalidTypeId"
	TitleQuotaExceeded          = "quotaExceeded"
	TitleForbiddenPaymentMethod = "forbiddenPaymentMethod"
)

// Sentinel errors; an *APIError matches them with errors.Is.
var (
	// ErrNotFound: 404 (unknown shop order, wallet or catalog).
	ErrNotFound = errors.New("internetmarke: not found")
	// ErrUnauthorized: 401 (bad login, locked account, app not approved).
	ErrUnauthorized = errors.New("internetmarke: unauthorized")
	// ErrRateLimited: 429.
	ErrRateLimited = errors.New("internetmarke: rate limited")
	// ErrBalanceTooLow: walletBalanceNotEnough.
	ErrBalanceTooLow = errors.New("internetmarke: Portokasse balance too low")
)

// APIError is an error answer of the INTERNETMARKE service. Status is the
// HTTP status; Title, Detail and Instance come from the body. Balance and
// Needed are filled in by the client where it knows them (a checkout refused
// for a low balance), so the message can say how much is missing.
type APIError struct {
	Op         string // what the client was doing, e.g. "checkout PNG"
	Status     int
	Title      string
	Detail     string
	Instance   string
	RetryAfter time.Duration // from Retry-After on 429, 0 if absent
	Balance    *Cents
	Needed     *Cents
	// Login is set for errors answered to POST /user.
	Login bool
}

// Error is the English operator message followed by the service's own words.
func (e *APIError) Error() string {
	msg := e.Message("en")
	var tail []string
	if e.Title != "" && !strings.Contains(msg, e.Title) {
		tail = append(tail, e.Title)
	}
	if e.Detail != "" {
		tail = append(tail, e.Detail)
	}
	if e.Instance != "" {
		tail = append(tail, e.Instance)
	}
	s := "INTERNETMARKE"
	if e.Op != "" {
		s += " " + e.Op
	}
	s += ": " + msg
	if len(tail) > 0 {
		s += " (" + strings.Join(tail, "; ") + ")"
	}
	return s
}

// Is lets errors.Is match the sentinel errors.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.Status == http.StatusNotFound
	case ErrUnauthorized:
		return e.Status == http.StatusUnauthorized
	case ErrRateLimited:
		return e.Status == http.StatusTooManyRequests
	case ErrBalanceTooLow:
		return e.Title == TitleWalletBalanceNotEnough
	}
	return false
}

// Definite reports whether the service certainly did not carry out the
// request: a 4xx answer. A 5xx or a lost answer leaves the outcome open.
func (e *APIError) Definite() bool { return e.Status >= 400 && e.Status < 500 }

// Message is the operator message in German ("de") or English (anything else).
func (e *APIError) Message(lang string) string {
	de := strings.HasPrefix(strings.ToLower(lang), "de")
	pick := func(en, german string) string {
		if de {
			return german
		}
		return en
	}
	switch {
	case e.Status == http.StatusUnauthorized && e.Login:
		return pick("login refused: wrong API key, secret or Portokasse login, or the app is not yet approved in the Portokasse — approve it under Meine Daten → Geschäftsanwendungen",
			"Anmeldung abgelehnt: API-Schlüssel, Secret oder Portokasse-Zugang falsch, oder die Anwendung ist in der Portokasse noch nicht freigegeben — unter Meine Daten → Geschäftsanwendungen freigeben")
	case e.Status == http.StatusUnauthorized:
		return pick("not authorized (session expired, account locked or app not approved in the Portokasse)",
			"nicht berechtigt (Sitzung abgelaufen, Konto gesperrt oder Anwendung in der Portokasse nicht freigegeben)")
	case e.Status == http.StatusTooManyRequests:
		if e.RetryAfter > 0 {
			return pick(fmt.Sprintf("too many requests, try again in %s", e.RetryAfter.Round(time.Second)),
				fmt.Sprintf("zu viele Anfragen, in %s erneut versuchen", e.RetryAfter.Round(time.Second)))
		}
		return pick("too many requests, try again shortly", "zu viele Anfragen, bitte gleich erneut versuchen")
	}
	switch e.Title {
	case TitleWalletBalanceNotEnough:
		if e.Balance != nil && e.Needed != nil {
			return pick(fmt.Sprintf("Portokasse balance too low: %s left, %s needed", *e.Balance, *e.Needed),
				fmt.Sprintf("Portokasse-Guthaben zu gering: %s übrig, %s benötigt", *e.Balance, *e.Needed))
		}
		return pick("Portokasse balance too low — top up the Portokasse", "Portokasse-Guthaben zu gering — Portokasse aufladen")
	case TitleInvalidTotalAmount:
		if e.Needed != nil {
			return pick(fmt.Sprintf("price mismatch: the order was sent with a total of %s, which is not the current price — update the price list", *e.Needed),
				fmt.Sprintf("Preis stimmt nicht: Auftrag mit %s gesendet, das ist nicht der aktuelle Preis — Preisliste aktualisieren", *e.Needed))
		}
		return pick("price mismatch: the total is not the current price — update the price list",
			"Preis stimmt nicht: die Summe entspricht nicht dem aktuellen Preis — Preisliste aktualisieren")
	case TitleInvalidProductcode:
		return pick("unknown or unavailable product code", "Produktcode unbekannt oder nicht verfügbar")
	case TitleInvalidShopOrderID:
		return pick("the shop order number is invalid or was already used", "Shop-Auftragsnummer ungültig oder bereits verwendet")
	case TitleUnknownShopOrderID:
		return pick("unknown shop order number", "unbekannte Shop-Auftragsnummer")
	case TitleInvalidCombination:
		return pick("invalid combination of request options (preview with direct checkout?)", "ungültige Kombination von Optionen (Vorschau mit Direktkauf?)")
	case TitleInvalidTypeID:
		return pick("invalid request type", "ungültiger Anfragetyp")
	case TitleQuotaExceeded:
		return pick("top-up quota exceeded — the Portokasse cannot be charged further now", "Auflade-Kontingent überschritten — die Portokasse kann jetzt nicht weiter aufgeladen werden")
	case TitleForbiddenPaymentMethod:
		return pick("top-up needs a valid SEPA direct-debit mandate in the Portokasse (PayPal only in the web interface)",
			"Aufladen braucht ein gültiges SEPA-Lastschriftmandat in der Portokasse (PayPal nur über die Weboberfläche)")
	}
	switch {
	case e.Status == http.StatusForbidden:
		return pick("not allowed for this Portokasse account", "für dieses Portokasse-Konto nicht erlaubt")
	case e.Status == http.StatusNotFound:
		return pick("not found", "nicht gefunden")
	case e.Status >= 500:
		return pick(fmt.Sprintf("service error %d, try again later", e.Status), fmt.Sprintf("Dienstfehler %d, später erneut versuchen", e.Status))
	}
	if e.Title != "" {
		return e.Title
	}
	return fmt.Sprintf("HTTP %d", e.Status)
}

// errorBody is the lenient shape of an error answer: the spec's
// RequestStatus (statusCode as a string) and what the live service sends
// (statusCode or status as a number, description instead of detail).
type errorBody struct {
	StatusCode  flexString `json:"statusCode"`
	Status      flexString `json:"status"`
	Title       string     `json:"title"`
	Detail      string     `json:"detail"`
	Description string     `json:"description"`
	Instance    string     `json:"instance"`
}

// parseError builds an *APIError from a non-2xx answer.
func parseError(op string, status int, h http.Header, body []byte) *APIError {
	e := &APIError{Op: op, Status: status}
	var b errorBody
	if json.Unmarshal(body, &b) == nil {
		e.Title = b.Title
		e.Detail = b.Detail
		if e.Detail == "" {
			e.Detail = b.Description
		}
		e.Instance = b.Instance
	} else if s := strings.TrimSpace(string(body)); s != "" && len(s) < 300 {
		e.Detail = s
	}
	if ra := h.Get("Retry-After"); ra != "" {
		if n, err := strconv.Atoi(ra); err == nil && n >= 0 {
			e.RetryAfter = time.Duration(n) * time.Second
		} else if t, err := http.ParseTime(ra); err == nil {
			e.RetryAfter = time.Until(t)
		}
	}
	return e
}

// flexString accepts a JSON string or number.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
		return nil
	}
	if string(b) == "null" {
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*f = flexString(n.String())
	return nil
}

// flexInt accepts a JSON number or a numeric string (null leaves it unset).
type flexInt struct {
	V   int
	Set bool
}

func (f *flexInt) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "null" || s == "" {
		return nil
	}
	n, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("not a number: %s", b)
	}
	f.V, f.Set = int(n), true
	return nil
}

// Cents is an amount of money in eurocents, printed the German way: "1.234,56 €".
type Cents int

func (c Cents) String() string {
	n := int(c)
	sign := ""
	if n < 0 {
		sign, n = "-", -n
	}
	euros := strconv.Itoa(n / 100)
	var b strings.Builder
	for i, r := range euros {
		if i > 0 && (len(euros)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(r)
	}
	return fmt.Sprintf("%s%s,%02d €", sign, b.String(), n%100)
}

// ParseCents reads "12,34", "12.34", "12" (euros) or "1234ct" (cents).
func ParseCents(s string) (Cents, error) {
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "€"))
	if c, ok := strings.CutSuffix(s, "ct"); ok {
		n, err := strconv.Atoi(strings.TrimSpace(c))
		if err != nil || n < 0 {
			return 0, fmt.Errorf("amount %q: not a whole number of cents", s)
		}
		return Cents(n), nil
	}
	s = strings.ReplaceAll(s, ",", ".")
	euros, frac, hasFrac := strings.Cut(s, ".")
	e, err := strconv.Atoi(euros)
	if err != nil || e < 0 {
		return 0, fmt.Errorf("amount %q: want euros like 12,50", s)
	}
	ct := 0
	if hasFrac {
		if len(frac) == 0 || len(frac) > 2 {
			return 0, fmt.Errorf("amount %q: at most two decimals", s)
		}
		if len(frac) == 1 {
			frac += "0"
		}
		ct, err = strconv.Atoi(frac)
		if err != nil || ct < 0 {
			return 0, fmt.Errorf("amount %q: want euros like 12,50", s)
		}
	}
	if e > 1_000_000 {
		return 0, fmt.Errorf("amount %q: too large", s)
	}
	return Cents(e*100 + ct), nil
}
