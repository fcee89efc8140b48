package transport

import (
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/htmlindex"
)

// APIError is an answer of a DHL API with a status of 400 or more.
type APIError struct {
	Method     string
	Path       string // without query (it may carry shipment numbers, never secrets)
	StatusCode int
	// Title and Detail come from the problem document (RFC 7807) or the
	// RequestStatus DHL puts at the top of its error bodies; for an HTML or
	// text body Detail is its readable text.
	Title    string
	Detail   string
	Instance string
	// Body is the error body decoded to UTF-8 by its declared charset.
	Body        []byte
	ContentType string
	// RetryAfter is the wait the server asked for (0: none given).
	RetryAfter time.Duration
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "DHL %s %s: HTTP %d", e.Method, e.Path, e.StatusCode)
	if t := http.StatusText(e.StatusCode); t != "" && !strings.EqualFold(t, e.Title) {
		b.WriteString(" " + t)
	}
	if e.Title != "" {
		b.WriteString(": " + e.Title)
	}
	if e.Detail != "" && e.Detail != e.Title {
		b.WriteString(": " + e.Detail)
	}
	switch e.StatusCode {
	case http.StatusUnauthorized:
		b.WriteString(" (check the API key, user name and password in the dhl section of the configuration)")
	case http.StatusForbidden:
		b.WriteString(" (the user lacks the permission for this function in the business portal)")
	case http.StatusTooManyRequests:
		switch {
		case e.QuotaExhausted() && e.RetryAfter > 0:
			fmt.Fprintf(&b, " (quota used up; retry after %s)", e.RetryAfter)
		case e.QuotaExhausted():
			b.WriteString(" (quota used up)")
		case e.RetryAfter > 0:
			fmt.Fprintf(&b, " (rate limit; retry after %s)", e.RetryAfter)
		default:
			b.WriteString(" (rate limit; try again later)")
		}
	}
	return b.String()
}

// QuotaWait is the shortest Retry-After that marks a 429 as a used-up
// quota rather than a rate limit: DHL's rate limits clear in seconds.
const QuotaWait = time.Hour

// QuotaExhausted reports whether a 429 says that a quota (DHL's tracking
// quota is per day) is used up — by a Retry-After of an hour or more, or by
// words of quota in its body — rather than that calls came too fast. A 429
// that says neither is a rate limit: back off and retry.
func (e *APIError) QuotaExhausted() bool {
	if e.StatusCode != http.StatusTooManyRequests {
		return false
	}
	if e.RetryAfter >= QuotaWait {
		return true
	}
	text := strings.ToLower(e.Title + " " + e.Detail)
	return strings.Contains(text, "quota") || strings.Contains(text, "daily") || strings.Contains(text, "per day")
}

// Temporary reports whether the same request may succeed later.
func (e *APIError) Temporary() bool {
	return e.StatusCode == http.StatusTooManyRequests || e.StatusCode >= 500
}

// StatusOf returns the HTTP status of an *APIError in err's chain, or 0.
func StatusOf(err error) int {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.StatusCode
	}
	return 0
}

// DecodeText converts body to UTF-8 by the charset its Content-Type declares
// (ISO-8859-1, windows-1252, UTF-8, …). Without a declaration, valid UTF-8 is
// kept and anything else is read as windows-1252 (a superset of Latin-1 that
// DHL's older gateways send).
func DecodeText(contentType string, body []byte) []byte {
	name := ""
	if _, params, err := mime.ParseMediaType(contentType); err == nil {
		name = params["charset"]
	}
	if name != "" {
		if enc, err := htmlindex.Get(name); err == nil {
			if cs, _ := htmlindex.Name(enc); cs == "utf-8" {
				return toValidUTF8(body)
			}
			if out, err := enc.NewDecoder().Bytes(body); err == nil {
				return out
			}
		}
	}
	if utf8.Valid(body) {
		return body
	}
	out, err := charmap.Windows1252.NewDecoder().Bytes(body)
	if err != nil {
		return toValidUTF8(body)
	}
	return out
}

func toValidUTF8(b []byte) []byte {
	if utf8.Valid(b) {
		return b
	}
	return []byte(strings.ToValidUTF8(string(b), "\uFFFD"))
}

// problem is the union of RFC 7807, DHL's RequestStatus/LabelDataResponse,
// OAuth errors and the API gateway's fault document. Fields whose type
// varies between these are read loosely (text), so that one odd field never
// loses the others.
type problem struct {
	Title     looseText       `json:"title"`
	Status    json.RawMessage `json:"status"` // a number (RFC 7807) or a RequestStatus object
	Detail    looseText       `json:"detail"`
	Instance  looseText       `json:"instance"`
	Error     looseText       `json:"error"`             // OAuth errors
	ErrorDesc looseText       `json:"error_description"` // OAuth errors
	Message   looseText       `json:"message"`
	// Fault is the API gateway's answer, e.g. for a used-up quota:
	// {"fault":{"faultstring":"Rate limit quota violation…","detail":{"errorcode":"policies.ratelimit.QuotaViolation"}}}.
	Fault *struct {
		FaultString looseText `json:"faultstring"`
		Detail      struct {
			ErrorCode looseText `json:"errorcode"`
		} `json:"detail"`
	} `json:"fault"`
}

// looseText reads a JSON string, number or boolean as text; objects and
// arrays read as empty.
type looseText string

func (t *looseText) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	switch x := v.(type) {
	case string:
		*t = looseText(x)
	case float64, bool:
		*t = looseText(strings.TrimSpace(string(b)))
	default:
		*t = ""
	}
	return nil
}

// ParseError builds the *APIError for a response with status >= 400. body
// is the raw body; it is decoded by the declared charset first.
func ParseError(method, path string, status int, header http.Header, body []byte) *APIError {
	ct := header.Get("Content-Type")
	text := DecodeText(ct, body)
	e := &APIError{Method: method, Path: path, StatusCode: status, Body: text, ContentType: ct}
	e.RetryAfter = ParseRetryAfter(header.Get("Retry-After"), time.Now())
	media, _, _ := mime.ParseMediaType(ct)
	if strings.HasSuffix(media, "json") || (media == "" && len(text) > 0 && text[0] == '{') {
		var p problem
		if json.Unmarshal(text, &p) == nil {
			e.Title, e.Detail, e.Instance = string(p.Title), string(p.Detail), string(p.Instance)
			var inner problem
			if len(p.Status) > 0 && p.Status[0] == '{' && json.Unmarshal(p.Status, &inner) == nil {
				if e.Title == "" {
					e.Title = string(inner.Title)
				}
				if e.Detail == "" {
					e.Detail = string(inner.Detail)
				}
			}
			if e.Title == "" && p.Error != "" {
				e.Title = string(p.Error)
			}
			if e.Detail == "" {
				e.Detail = firstNonEmpty(string(p.ErrorDesc), string(p.Message))
			}
			if f := p.Fault; f != nil {
				if e.Title == "" {
					e.Title = string(f.Detail.ErrorCode)
				}
				if e.Detail == "" {
					e.Detail = string(f.FaultString)
				}
			}
			if e.Title != "" || e.Detail != "" {
				return e
			}
		}
	}
	e.Detail = readableText(string(text), 300)
	return e
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// readableText strips markup from an HTML or text error page and collapses
// white space, so that an operator sees the message and not the page.
func readableText(s string, max int) string {
	var b strings.Builder
	inTag, inScript := false, false
	lower := strings.ToLower(s)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case inTag:
			if c == '>' {
				inTag = false
			}
		case c == '<':
			inTag = true
			rest := lower[i:]
			if strings.HasPrefix(rest, "<script") || strings.HasPrefix(rest, "<style") {
				inScript = true
			} else if strings.HasPrefix(rest, "</script") || strings.HasPrefix(rest, "</style") {
				inScript = false
			}
			b.WriteByte(' ')
		case inScript:
		default:
			b.WriteByte(c)
		}
	}
	out := strings.Join(strings.Fields(htmlUnescape(b.String())), " ")
	if len(out) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(out[cut]) {
			cut--
		}
		out = out[:cut] + "…"
	}
	return out
}

var htmlEntities = strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&quot;", `"`, "&#39;", "'", "&nbsp;", " ",
	"&auml;", "ä", "&ouml;", "ö", "&uuml;", "ü", "&Auml;", "Ä", "&Ouml;", "Ö", "&Uuml;", "Ü", "&szlig;", "ß")

func htmlUnescape(s string) string { return htmlEntities.Replace(s) }

// ParseRetryAfter reads a Retry-After value: delay seconds or an HTTP date.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0
		}
		if n > 7*24*3600 {
			n = 7 * 24 * 3600
		}
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}
