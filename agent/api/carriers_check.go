package api

import (
	"net/http"

	"github.com/labelagent/labelagent/agent/apitype"
)

// checkCarriers asks each configured carrier whether it accepts the
// credentials (for `labelagent doctor`); nothing is bought or created.
func (s *Server) checkCarriers(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, apitype.CarrierChecks{Carriers: s.a.CheckCarriers(r.Context())})
}
