package franking

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	ps "github.com/labelagent/labelagent/dhl/privateshipping"
)

// NotifyHandler serves DHL's payment callback, GET /notify/{token}
// ?dhlPartner=DEUANON&shoppingCartId=…: 200 once the payment is recorded,
// 4xx for a request that can never succeed (unknown, used or expired
// token, wrong cart), 5xx when it failed now and a retry may succeed.
// Only GET is accepted; nothing of the request is echoed.
func (j *Journal) NotifyHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/notify/{token}", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			w.Header().Set("Allow", "GET")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		q := r.URL.Query()
		ctx, cancel := context.WithTimeout(r.Context(), 60*time.Second)
		defer cancel()
		_, err := j.Notify(ctx, r.PathValue("token"), q.Get(ps.NotifyCartParam), q.Get(ps.NotifyPartnerParam))
		status := http.StatusOK
		switch {
		case err == nil:
		case errors.Is(err, ErrTokenInvalid):
			status = http.StatusNotFound
		case errors.Is(err, ErrTokenUsed), errors.Is(err, ErrTokenExpired):
			status = http.StatusGone
		case errors.Is(err, ErrMismatch):
			status = http.StatusBadRequest
		case errors.Is(err, ErrNotPaid):
			status = http.StatusConflict
		default:
			status = http.StatusServiceUnavailable
		}
		if err != nil {
			j.opts.Log.Warn("online franking notify refused", "status", status, "err", err,
				"cart", strings.ToValidUTF8(q.Get(ps.NotifyCartParam), "?"))
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(http.StatusText(status) + "\n"))
	})
	return mux
}
