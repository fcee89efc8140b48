package browser

import (
	"errors"
	"net/http"

	"github.com/labelagent/labelagent/agent/api"
	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/i18n"
	"github.com/labelagent/labelagent/agent/pairing"
)

// MountOrigins adds the control API's pairing endpoints, which the CLI
// (`labelagent origins …`) and the tray use:
//
//	GET  /api/v1/origins                  every origin, open requests first
//	POST /api/v1/origins/approve|deny|revoke   {"origin": …, "scopes": […]}
func MountOrigins(ctl *api.Server, reg *pairing.Registry) {
	ctl.Handle("GET /api/v1/origins", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, apitype.OriginList{Origins: reg.List()})
	})
	ctl.Handle("POST /api/v1/origins/{verb}", func(w http.ResponseWriter, r *http.Request) {
		var d apitype.OriginDecision
		if err := api.DecodeJSON(w, r, maxSmallBody, &d); err != nil {
			e := api.Answer(err, i18n.FromAcceptLanguage(r.Header.Get("Accept-Language"), i18n.English))
			writeJSON(w, e.Status, e)
			return
		}
		o, err := Decide(reg, r.PathValue("verb"), d)
		switch {
		case err == nil:
			writeJSON(w, http.StatusOK, o)
		case errors.Is(err, pairing.ErrUnknown), errors.Is(err, errUnknownVerb):
			controlError(w, r, http.StatusNotFound, apitype.CodeNotFound, err)
		default:
			controlError(w, r, http.StatusBadRequest, apitype.CodeBadRequest, err)
		}
	})
}

func controlError(w http.ResponseWriter, r *http.Request, status int, code string, err error) {
	writeJSON(w, status, errorBody(status, code, err, i18n.FromAcceptLanguage(r.Header.Get("Accept-Language"), i18n.English)))
}
