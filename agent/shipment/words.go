package shipment

import (
	"time"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/i18n"
	"github.com/labelagent/labelagent/dhl/parcel"
)

// The words a person reads in a record (its history, its error, what to do)
// and in the journal's errors come from the message catalog (agent/i18n,
// keys shipjournal.*). A record keeps the message's id and arguments
// beside the English text, and Wire words them in the reader's language.
// Records written before keep their English text, which is shown as it is.

// msg names a catalog message with its key/value arguments.
func msg(id string, kv ...any) i18n.Message { return i18n.Message{ID: id, Args: kv} }

// english is m in English, the text kept in the record for logs and for
// readers that do not know the id.
func english(m i18n.Message) string { return i18n.For(i18n.English).T(m.ID, m.Args...) }

// step adds m to the record's history.
func (r *Record) step(now time.Time, m i18n.Message) {
	r.History = append(r.History, apitype.ShipmentStep{At: now, State: r.State, Note: english(m), ID: m.ID, Args: i18n.Keep(m.Args)})
	if len(r.History) > maxHistory {
		r.History = append(r.History[:1], r.History[len(r.History)-maxHistory+1:]...)
	}
}

// setError records why the shipment needs attention, in the catalog's
// words (nil m clears it).
func (r *Record) setError(m *i18n.Message) {
	if m == nil {
		r.Error, r.ErrorID, r.ErrorArgs = "", "", nil
		return
	}
	r.Error, r.ErrorID, r.ErrorArgs = english(*m), m.ID, i18n.Keep(m.Args)
}

// setDHLError records DHL's own words as the reason.
func (r *Record) setDHLError(s string) { r.Error, r.ErrorID, r.ErrorArgs = s, "", nil }

func ptr(m i18n.Message) *i18n.Message { return &m }

// errorWords is the record's error as a message argument: the catalog's
// message where it has one, else its words (DHL's).
func errorWords(r *Record) any {
	if r.ErrorID != "" {
		return i18n.Message{ID: r.ErrorID, Args: i18n.Unkeep(r.ErrorArgs)}
	}
	return r.Error
}

// problemMsg words what DHL's answer says about a shipment.
func problemMsg(p parcel.Problem) i18n.Message {
	id := "shipjournal.problem." + string(p)
	if p == parcel.ProblemNone || !i18n.Default().Has(i18n.English, id) {
		return msg("shipjournal.problem.other", "text", p.String())
	}
	return msg(id)
}

// stateWord names a shipment state inside a sentence.
func stateWord(s apitype.ShipmentState) i18n.Message {
	id := "shipjournal.state." + string(s)
	if !i18n.Default().Has(i18n.English, id) {
		return msg("shipjournal.state.other", "state", string(s))
	}
	return msg(id)
}

// docWord names a kind of document inside a sentence.
func docWord(kind string) i18n.Message {
	id := "shipjournal.doc." + kind
	if !i18n.Default().Has(i18n.English, id) {
		return msg("shipjournal.doc.other", "kind", kind)
	}
	return msg(id)
}

// setPrintError records why a print failed, with its catalog message
// where it has one.
func setPrintError(p *apitype.ShipmentPrint, err error) {
	p.Error, p.ErrorID, p.ErrorArgs = i18n.KeepErr(err)
}
