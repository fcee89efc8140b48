package internetmarke

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// ControlPath is where the simulator's own control endpoints live (not part
// of the INTERNETMARKE API): for demos and end-to-end tests of the binary.
//
//	GET  ControlPath/state                    balance, approval, ledger
//	POST ControlPath/faults  {"op":"checkout","kind":"lose_after_charge","times":1}
//	POST ControlPath/approve {"approved":true}
//	POST ControlPath/balance {"cents":1000}
//	POST ControlPath/expire-tokens
const ControlPath = "/_sim/internetmarke"

// State is the simulator's state for the control endpoint.
type State struct {
	Approved bool          `json:"approved"`
	Balance  int           `json:"balance"`
	Ledger   []LedgerEntry `json:"ledger"`
}

// ParseFaultKind reads a fault kind's name: lose_before_charge,
// lose_after_charge, rate_limit, server_error.
func ParseFaultKind(s string) (FaultKind, error) {
	switch strings.ToLower(strings.ReplaceAll(s, "-", "_")) {
	case "lose_before_charge", "timeout_before_charging":
		return LoseBeforeCharge, nil
	case "lose_after_charge", "timeout_after_charging":
		return LoseAfterCharge, nil
	case "rate_limit", "429":
		return RateLimit, nil
	case "server_error", "500":
		return ServerError, nil
	}
	return 0, fmt.Errorf("fault kind %q: use lose_before_charge, lose_after_charge, rate_limit or server_error", s)
}

func (s *Server) control(mux *http.ServeMux) {
	mux.HandleFunc("GET "+ControlPath+"/state", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		st := State{Approved: s.approved, Balance: s.balance, Ledger: append([]LedgerEntry{}, s.ledger...)}
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, st)
	})
	mux.HandleFunc("POST "+ControlPath+"/faults", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Op    string `json:"op"`
			Kind  string `json:"kind"`
			Times int    `json:"times"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, "JSON body expected: "+err.Error(), http.StatusBadRequest)
			return
		}
		k, err := ParseFaultKind(req.Kind)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		s.Inject(Fault{Op: req.Op, Kind: k, Times: req.Times})
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST "+ControlPath+"/approve", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Approved bool `json:"approved"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, "JSON body expected: "+err.Error(), http.StatusBadRequest)
			return
		}
		s.SetApproved(req.Approved)
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST "+ControlPath+"/balance", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Cents int `json:"cents"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Cents < 0 {
			http.Error(w, `JSON body {"cents": N} expected`, http.StatusBadRequest)
			return
		}
		s.SetBalance(req.Cents)
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST "+ControlPath+"/expire-tokens", func(w http.ResponseWriter, r *http.Request) {
		s.ExpireTokens()
		w.WriteHeader(http.StatusNoContent)
	})
}

// NewDemo is a simulator for "labelagent simulate": the app approved and
// 50,00 € in the Portokasse.
func NewDemo() (*Server, error) { return New(Config{Approved: true, Balance: 5000}) }

// ConfigYAML is the internetmarke: section that points the agent at this
// simulator (baseURL is the simulator's root, e.g. http://127.0.0.1:9190).
// Prices come from the contract catalog, so they always match.
func (s *Server) ConfigYAML(baseURL string) string {
	return fmt.Sprintf(`internetmarke:
  enabled: true
  base_url: %s%s
  api_key: %s
  api_secret: %s
  username: %s
  password: %q
  format: png
  layout: FRANKING_ZONE
  default_product: 1
  contract_products: true
  page_format: 29
`, strings.TrimRight(baseURL, "/"), BasePath, s.cfg.APIKey, s.cfg.APISecret, s.cfg.Username, s.cfg.Password)
}
