package sim

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/labelagent/labelagent/dhl/address"
	"github.com/labelagent/labelagent/dhl/parcel"
	"github.com/labelagent/labelagent/dhl/transport"
)

type shipment struct {
	No, ReturnNo     string
	Product, Billing string
	Ref              string
	Created          time.Time
	Cancelled        bool
	Manifested       time.Time
	Routing          string
	ReturnRouting    string
	Label            labelData
	ReturnLabel      *labelData
	Customs          []string // CN23 lines, when a customs document exists
	Dest             string   // consignee country
	DestPostal       string
	DestCity         string
	OriginPostal     string
	OriginCity       string
	WeightKG         float64
}

type docRef struct {
	No   string
	Kind string // label, return, customs, manifest
	Day  string
}

var berlin = func() *time.Location {
	if l, err := time.LoadLocation("Europe/Berlin"); err == nil {
		return l
	}
	return time.FixedZone("CET", 3600)
}()

func (s *Server) routesShipping() {
	p := transport.ShippingPath
	s.mux.HandleFunc("GET "+p+"/{$}", s.version)
	s.mux.HandleFunc("GET "+p+"/labels", s.download)
	s.mux.HandleFunc("POST "+p+"/orders", s.withAuth(s.checked(s.createOrders)))
	s.mux.HandleFunc("GET "+p+"/orders", s.withAuth(s.checked(s.getOrders)))
	s.mux.HandleFunc("DELETE "+p+"/orders", s.withAuth(s.checked(s.deleteOrders)))
	s.mux.HandleFunc("POST "+p+"/manifests", s.withAuth(s.checked(s.postManifests)))
	s.mux.HandleFunc("GET "+p+"/manifests", s.withAuth(s.checked(s.getManifests)))
}

func (s *Server) version(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, "application/json", map[string]any{
		"amp":     map[string]any{"name": "pp-parcel-shipping-native", "env": "simulator", "version": "v2.1.13", "rev": "1"},
		"backend": map[string]any{"env": "simulator", "version": "v2.1.13"},
	})
}

// checked reads the body and checks the request against the contract; a
// breach is answered like DHL does: 400 with one item per finding.
func (s *Server) checked(h func(http.ResponseWriter, *http.Request, []byte)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 4<<20))
		if err != nil {
			writeProblem(w, http.StatusRequestEntityTooLarge, "Request Entity Too Large", "the request body is too large")
			return
		}
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/orders") {
			if items := countryFindings(body); len(items) > 0 {
				writeSchemaItems(w, items)
				return
			}
		}
		if s.contract != nil {
			if err := s.contract.ValidateRequest(r, body); err != nil {
				s.log.Debug("sim: request breaks the contract", "err", err)
				writeSchemaErrors(w, err)
				return
			}
		}
		h(w, r, body)
	}
}

// schemaItem is one finding of DHL's schema check. DHL's answers carry no
// sstatus on these items although the contract's ResponseItem requires one:
// the simulator answers as DHL does.
type schemaItem struct {
	PropertyPath string `json:"propertyPath"`
	Message      string `json:"message"`
}

// schemaDetail is the top-level detail of DHL's schema-error answer.
const schemaDetail = "Your request contained technical errors as listed below."

// countryMessage is DHL's wording for a country code that is not alpha-3.
const countryMessage = "Parameter country must be a valid country code consisting of three characters according to ISO 3166-1 alpha-3."

// countryFindings checks the country codes of an order as DHL's schema
// check does, whether or not the contract file is loaded, so that the
// propertyPath answer is always reachable (e.g. consignee country "DE").
func countryFindings(body []byte) []schemaItem {
	var order struct {
		Shipments []struct {
			Shipper   map[string]any `json:"shipper"`
			Consignee map[string]any `json:"consignee"`
			Services  struct {
				DHLRetoure struct {
					ReturnAddress map[string]any `json:"returnAddress"`
				} `json:"dhlRetoure"`
			} `json:"services"`
		} `json:"shipments"`
	}
	if json.Unmarshal(body, &order) != nil {
		return nil
	}
	var items []schemaItem
	check := func(i int, path string, m map[string]any) {
		if m == nil {
			return
		}
		v, present := m["country"]
		if !present {
			return
		}
		if c, ok := v.(string); !ok || !address.IsCountry(c) {
			items = append(items, schemaItem{PropertyPath: fmt.Sprintf("shipments[%d].%s.country", i, path), Message: countryMessage})
		}
	}
	for i, sh := range order.Shipments {
		check(i, "shipper", sh.Shipper)
		check(i, "consignee", sh.Consignee)
		check(i, "services.dhlRetoure.returnAddress", sh.Services.DHLRetoure.ReturnAddress)
	}
	return items
}

type status struct {
	Title      string `json:"title"`
	StatusCode int    `json:"statusCode"`
	Status     int    `json:"status"`
	Detail     string `json:"detail,omitempty"`
}

func st(code int, title, detail string) status {
	if len(detail) > 80 {
		detail = detail[:77] + "..."
	}
	return status{Title: title, StatusCode: code, Status: code, Detail: detail}
}

// writeSchemaErrors turns kin-openapi's findings into DHL's schema error answer.
func writeSchemaErrors(w http.ResponseWriter, err error) {
	var items []schemaItem
	seen := map[string]bool{}
	var walk func(error)
	walk = func(e error) {
		var me openapi3.MultiError
		if errors.As(e, &me) {
			for _, x := range me {
				walk(x)
			}
			return
		}
		var re *openapi3filter.RequestError
		if errors.As(e, &re) && re.Err != nil {
			if re.Parameter != nil && !isSchemaErr(re.Err) {
				add(&items, seen, re.Parameter.Name, re.Err.Error())
				return
			}
			var me2 openapi3.MultiError
			if errors.As(re.Err, &me2) {
				walk(me2)
				return
			}
			var se *openapi3.SchemaError
			if errors.As(re.Err, &se) {
				path := strings.Join(se.JSONPointer(), ".")
				if re.Parameter != nil {
					path = re.Parameter.Name
				}
				add(&items, seen, path, se.Reason)
				return
			}
			add(&items, seen, "", re.Error())
			return
		}
		var se *openapi3.SchemaError
		if errors.As(e, &se) {
			add(&items, seen, strings.Join(se.JSONPointer(), "."), se.Reason)
			return
		}
		add(&items, seen, "", e.Error())
	}
	walk(err)
	if len(items) == 0 {
		add(&items, seen, "", err.Error())
	}
	writeSchemaItems(w, items)
}

// writeSchemaItems answers like DHL's schema check: 400, a status with
// DHL's detail, one {propertyPath, message} item per finding.
func writeSchemaItems(w http.ResponseWriter, items []schemaItem) {
	writeJSON(w, http.StatusBadRequest, "application/problem+json", map[string]any{
		"status": st(http.StatusBadRequest, "Bad Request", schemaDetail),
		"items":  items,
	})
}

func isSchemaErr(err error) bool {
	var se *openapi3.SchemaError
	return errors.As(err, &se)
}

func add(items *[]schemaItem, seen map[string]bool, path, msg string) {
	path = dotIndexes(path)
	if msg == "" {
		msg = "invalid"
	}
	if seen[path+"\x00"+msg] {
		return
	}
	seen[path+"\x00"+msg] = true
	if strings.HasSuffix(path, ".country") {
		msg = countryMessage
	}
	*items = append(*items, schemaItem{PropertyPath: path, Message: msg})
}

// dotIndexes writes "shipments.0.consignee" as "shipments[0].consignee".
func dotIndexes(p string) string {
	parts := strings.Split(p, ".")
	var b strings.Builder
	for i, s := range parts {
		if s != "" && strings.Trim(s, "0123456789") == "" && i > 0 {
			b.WriteString("[" + s + "]")
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(s)
	}
	return b.String()
}

type item struct {
	ShipmentNo         string           `json:"shipmentNo,omitempty"`
	RoutingCode        string           `json:"routingCode,omitempty"`
	ReturnShipmentNo   string           `json:"returnShipmentNo,omitempty"`
	ReturnRoutingCode  string           `json:"returnRoutingCode,omitempty"`
	SStatus            status           `json:"sstatus"`
	ShipmentRefNo      string           `json:"shipmentRefNo,omitempty"`
	Label              *parcel.Document `json:"label,omitempty"`
	ReturnLabel        *parcel.Document `json:"returnLabel,omitempty"`
	CustomsDoc         *parcel.Document `json:"customsDoc,omitempty"`
	ValidationMessages []vmsg           `json:"validationMessages,omitempty"`
}

type vmsg struct {
	Property          string `json:"property"`
	ValidationMessage string `json:"validationMessage"`
	ValidationState   string `json:"validationState"`
}

// docOptions are the format parameters of a request.
type docOptions struct {
	docFormat, printFormat, retoureFormat, includeDocs string
	combine                                            bool   // label and return label in one PDF
	base                                               string // scheme and host the request reached
}

func docOpts(r *http.Request) docOptions {
	q := r.URL.Query()
	o := docOptions{docFormat: q.Get("docFormat"), printFormat: q.Get("printFormat"), retoureFormat: q.Get("retourePrintFormat"), includeDocs: q.Get("includeDocs"),
		combine: q.Get("combine") != "false"}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	o.base = scheme + "://" + r.Host
	if o.docFormat == "" {
		o.docFormat = "PDF"
	}
	if o.retoureFormat == "" {
		o.retoureFormat = o.printFormat
	}
	return o
}

// checkFormats refuses a ZPL2 label on a laser format, as DHL does.
func (o docOptions) check() string {
	if o.docFormat != "ZPL2" {
		return ""
	}
	for _, f := range []string{o.printFormat, o.retoureFormat} {
		if _, _, thermal := labelSize(f); !thermal {
			return fmt.Sprintf("printFormat %s is not available for ZPL2", f)
		}
	}
	return ""
}

func (s *Server) createOrders(w http.ResponseWriter, r *http.Request, body []byte) {
	q := r.URL.Query()
	dryRun := q.Get("validate") == "true"
	mustEncode := q.Get("mustEncode") == "true"
	o := docOpts(r)
	if msg := o.check(); msg != "" {
		writeJSON(w, http.StatusBadRequest, "application/problem+json", map[string]any{"status": st(400, "Bad Request", msg)})
		return
	}
	var req parcel.ShipmentOrderRequest
	if err := json.Unmarshal(body, &req); err != nil {
		writeJSON(w, http.StatusBadRequest, "application/problem+json", map[string]any{
			"status": st(400, "Bad Request", "The request body is not a valid order."),
			"items":  []schemaItem{{PropertyPath: "", Message: err.Error()}},
		})
		return
	}
	if len(req.Shipments) == 0 || len(req.Shipments) > parcel.MaxShipments {
		writeProblem(w, http.StatusBadRequest, "Bad Request", "1 to 30 shipments per request")
		return
	}
	now := s.opt.Now()
	items := make([]item, len(req.Shipments))
	done := 0
	for i := range req.Shipments {
		items[i] = s.createOne(&req.Shipments[i], dryRun, mustEncode, o, now)
		if items[i].SStatus.Status == http.StatusOK {
			done++
		}
	}
	// DHL: 200 for one shipment that worked, 400 for one that did not, 207
	// for several; the top status counts the shipments done in its words.
	n := len(items)
	code := http.StatusOK
	switch {
	case n > 1:
		code = http.StatusMultiStatus
	case done == 0:
		code = http.StatusBadRequest
	}
	verb := "successfully created."
	if dryRun {
		verb = "validated OK. Details included."
	}
	top := st(code, "ok", "1 detailed item status included")
	switch {
	case code == http.StatusMultiStatus:
		top = st(code, "Multi-Status", fmt.Sprintf("%d of %d shipments %s", done, n, verb))
	case code == http.StatusBadRequest && dryRun:
		top = st(code, "Bad Request", "0 of 1 shipment "+verb)
	case code == http.StatusBadRequest:
		top = st(code, "Bad Request", "1 detailed item status included")
	case dryRun:
		top = st(code, "ok", "1 of 1 shipment "+verb)
	}
	ct := "application/json"
	if code == http.StatusBadRequest {
		ct = "application/problem+json"
	}
	writeJSON(w, code, ct, map[string]any{"status": top, "items": items})
}

// Magic shipment references (refNo prefixes) make the simulator answer a
// shipment with one of DHL's rarer item shapes; see "labelagent simulate --help".
const (
	// RefGeneralError: sstatus 206 GeneralShipmentError, a shipment number
	// but no label (create).
	RefGeneralError = "SIM-206"
	// RefBrokenLabel: sstatus 200 with a label whose base64 does not decode.
	RefBrokenLabel = "SIM-BADLABEL"
	// RefWeakValidation: sstatus 400 for a weak validation error, with
	// DHL's Warning messages about the addresses.
	RefWeakValidation = "SIM-WEAK"
)

// brokenB64 is the undecodable label of a recorded DHL answer.
const brokenB64 = "JVBERi0xLjQKJeLjz9MKNSAwIG9-0"

// createOne checks one shipment as DHL's backend does and creates it.
func (s *Server) createOne(sh *parcel.Shipment, dryRun, mustEncode bool, o docOptions, now time.Time) item {
	var errs, warns []vmsg
	e := func(prop, msg string) { errs = append(errs, vmsg{prop, msg, "Error"}) }
	wn := func(prop, msg string) { warns = append(warns, vmsg{prop, msg, "Warning"}) }

	if code := parcel.ProductCode(sh.Product); code != "" && len(sh.BillingNumber) == 14 && sh.BillingNumber[10:12] != code {
		e("billingNumber", fmt.Sprintf("The billing number %s does not belong to product %s.", sh.BillingNumber, sh.Product))
	}
	limit := map[string]float64{"V62KP": 1000, "V62WP": 1000, "V66WPI": 1000}[sh.Product]
	if limit == 0 {
		limit = 31500
	}
	if g := sh.Details.Weight.Grams(); g > limit {
		e("details.weight", fmt.Sprintf("The weight %.0f g exceeds the limit of %.0f g for %s.", g, limit, sh.Product))
	}
	if sh.ShipDate != "" {
		if d, err := time.ParseInLocation(time.DateOnly, sh.ShipDate, berlin); err == nil {
			today := now.In(berlin)
			if d.Before(time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, berlin)) {
				e("shipDate", "The shipment date must not be in the past.")
			}
		}
	}
	c := sh.Consignee
	dest := c.Country()
	domestic := sh.Product == "V01PAK" || sh.Product == "V62KP" || sh.Product == "V62WP"
	if domestic && dest != "DEU" {
		e("consignee.country", fmt.Sprintf("Product %s is only available within Germany.", sh.Product))
	}
	if !domestic && dest == "DEU" {
		e("consignee.country", fmt.Sprintf("Product %s is not available within Germany.", sh.Product))
	}
	if !domestic && dest != "" && !address.InEUCustomsUnion(dest) && sh.Customs == nil && sh.Product != "V54EPAK" {
		e("customs", "Customs details are required for this destination.")
	}
	var receiver []string
	var routing, postal, city string
	switch {
	case c.Contact != nil:
		a := c.Contact
		receiver = nonEmpty(a.Name1, a.Name2, a.Name3, strings.TrimSpace(a.AddressStreet+" "+a.AddressHouse), a.AdditionalAddressInformation1, a.PostalCode+" "+a.City, countryLine(a.Country))
		postal, city = a.PostalCode, a.City
		if a.Country == "DEU" {
			street, house := a.AddressStreet, a.AddressHouse
			if house == "" {
				street, house, _ = address.SplitStreet(a.AddressStreet)
			}
			if house == "" || len(a.PostalCode) != 5 {
				if mustEncode {
					e("consignee", "The address cannot be encoded for routing (no house number); it was not printed (mustEncode).")
				} else {
					wn("consignee", "The address cannot be encoded for routing; the label carries no routing code.")
				}
			} else {
				routing = leitcode(a.PostalCode, street, house)
			}
			if a.Phone != "" {
				wn("consignee.phone", "Phone numbers are not transmitted for consignees in Germany.")
			}
		} else {
			routing = internationalRoutingCode(a.Country, a.PostalCode)
		}
	case c.Locker != nil:
		l := c.Locker
		receiver = []string{l.Name, l.PostNumber, fmt.Sprintf("Packstation %d", l.LockerID), l.PostalCode + " " + l.City}
		postal, city = l.PostalCode, l.City
		routing = leitcode(l.PostalCode, "packstation", fmt.Sprint(l.LockerID))
	case c.PostOffice != nil:
		p := c.PostOffice
		receiver = nonEmpty(p.Name, p.PostNumber, fmt.Sprintf("Postfiliale %d", p.RetailID), p.PostalCode+" "+p.City)
		postal, city = p.PostalCode, p.City
		routing = leitcode(p.PostalCode, "postfiliale", fmt.Sprint(p.RetailID))
	case c.POBox != nil:
		p := c.POBox
		receiver = nonEmpty(p.Name1, p.Name2, fmt.Sprintf("Postfach %d", p.POBoxID), p.PostalCode+" "+p.City)
		postal, city = p.PostalCode, p.City
		routing = leitcode(p.PostalCode, "postfach", fmt.Sprint(p.POBoxID))
	default:
		e("consignee", "The consignee matches no address type.")
	}
	msgs := append(errs, warns...)
	if len(errs) > 0 {
		// DHL's refused items carry a bare status and the findings
		return item{SStatus: status{Title: "Bad Request", StatusCode: 400, Status: 400}, ValidationMessages: msgs}
	}
	if strings.HasPrefix(sh.RefNo, RefWeakValidation) {
		title := "Bad Request"
		if dryRun {
			title = "Within the shipment there was at least one weak validation error."
		}
		return item{SStatus: status{Title: title, StatusCode: 400, Status: 400}, ValidationMessages: []vmsg{
			{"shipper", "The house number entered could not be found.", "Warning"},
			{"consignee", "The city entered does not match the postcode. The shipment is not codeable.", "Warning"},
		}}
	}
	if dryRun {
		return item{SStatus: st(200, "OK", "The Webservice call ran successfully."), ValidationMessages: msgs}
	}
	if strings.HasPrefix(sh.RefNo, RefGeneralError) {
		s.mu.Lock()
		s.serial++
		no := shipmentNumber(s.serial)
		s.mu.Unlock()
		return item{ShipmentNo: no, SStatus: st(206, "GeneralShipmentError", "General Shipment Backend Error")}
	}

	sender := nonEmpty(sh.Shipper.Name1, sh.Shipper.Name2, strings.TrimSpace(sh.Shipper.AddressStreet+" "+sh.Shipper.AddressHouse), strings.TrimSpace(sh.Shipper.PostalCode+" "+sh.Shipper.City))
	if sh.Shipper.ShipperRef != "" {
		sender = []string{"Absender: " + sh.Shipper.ShipperRef}
	}
	sp := &shipment{
		Product: sh.Product, Billing: sh.BillingNumber, Ref: sh.RefNo, Created: now, Routing: routing,
		Dest: dest, DestPostal: postal, DestCity: city, OriginPostal: sh.Shipper.PostalCode, OriginCity: sh.Shipper.City,
		WeightKG: sh.Details.Weight.Grams() / 1000,
	}
	s.mu.Lock()
	s.serial++
	sp.No = shipmentNumber(s.serial)
	s.mu.Unlock()
	sp.Label = labelData{
		Title: productName(sh.Product), Date: now.In(berlin).Format("02.01.2006"), Weight: fmt.Sprintf("%.2f kg", sp.WeightKG),
		Sender: sender, Receiver: receiver, RoutingCode: routing, ShipmentNo: sp.No, Reference: sh.RefNo, Notes: serviceNotes(sh),
	}
	if cu := sh.Customs; cu != nil {
		lines := []string{"Export type: " + cu.ExportType, fmt.Sprintf("Postal charges: %.2f %s", cu.PostalCharges.Value, cu.PostalCharges.Currency)}
		for _, it := range cu.Items {
			lines = append(lines, fmt.Sprintf("%d x %s, %g %s, %.2f %s, HS %s, origin %s", it.PackagedQuantity, it.ItemDescription,
				it.ItemWeight.Value, it.ItemWeight.UOM, it.ItemValue.Value, it.ItemValue.Currency, it.HSCode, it.CountryOfOrigin))
		}
		if sh.Product == "V66WPI" {
			sp.Label.Notes = append(sp.Label.Notes, append([]string{"CN22"}, lines...)...)
		} else {
			sp.Customs = append([]string{"Shipment " + sp.No}, lines...)
		}
	}
	if rt := sh.Services; rt != nil && rt.DHLRetoure != nil {
		s.mu.Lock()
		s.serial++
		sp.ReturnNo = shipmentNumber(s.serial)
		s.mu.Unlock()
		ra := rt.DHLRetoure.ReturnAddress
		var back []string
		if ra != nil {
			back = nonEmpty(ra.Name1, strings.TrimSpace(ra.AddressStreet+" "+ra.AddressHouse), ra.PostalCode+" "+ra.City)
			if ra.Country == "DEU" {
				st, hn := ra.AddressStreet, ra.AddressHouse
				if hn == "" {
					st, hn, _ = address.SplitStreet(ra.AddressStreet)
				}
				sp.ReturnRouting = leitcode(ra.PostalCode, st, hn)
			}
		} else {
			back = sender
		}
		sp.ReturnLabel = &labelData{Title: "DHL RETOURE", Date: sp.Label.Date, Sender: receiver, Receiver: back,
			RoutingCode: sp.ReturnRouting, ShipmentNo: sp.ReturnNo, Reference: rt.DHLRetoure.RefNo}
	}
	it := item{ShipmentNo: sp.No, RoutingCode: routing, ReturnShipmentNo: sp.ReturnNo, ReturnRoutingCode: sp.ReturnRouting,
		SStatus: st(200, "ok", ""), ValidationMessages: warns}
	if len(sh.RefNo) >= 6 {
		it.ShipmentRefNo = sh.RefNo
	}
	if err := s.attachDocs(&it, sp, o); err != nil {
		return item{SStatus: st(500, "Internal Server Error", "label rendering failed")}
	}
	if strings.HasPrefix(sh.RefNo, RefBrokenLabel) {
		it.Label = &parcel.Document{B64: brokenB64, FileFormat: "PDF", PrintFormat: it.Label.PrintFormat}
	}
	s.mu.Lock()
	s.shipments[sp.No] = sp
	s.order = append(s.order, sp.No)
	s.mu.Unlock()
	return it
}

func countryLine(c string) string {
	if c == "DEU" {
		return ""
	}
	return c
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if strings.TrimSpace(s) != "" {
			out = append(out, strings.TrimSpace(s))
		}
	}
	return out
}

func productName(p string) string {
	switch p {
	case "V01PAK":
		return "DHL PAKET"
	case "V53WPAK":
		return "DHL PAKET International"
	case "V54EPAK":
		return "DHL Europaket"
	case "V62KP":
		return "DHL Kleinpaket"
	case "V62WP":
		return "Warenpost"
	case "V66WPI":
		return "Warenpost International"
	}
	return p
}

func serviceNotes(sh *parcel.Shipment) []string {
	v := sh.Services
	if v == nil {
		return nil
	}
	var n []string
	if v.PreferredNeighbour != "" {
		n = append(n, "Wunschnachbar: "+v.PreferredNeighbour)
	}
	if v.PreferredLocation != "" {
		n = append(n, "Wunschort: "+v.PreferredLocation)
	}
	if v.VisualCheckOfAge != "" {
		n = append(n, "Alterssichtprüfung "+v.VisualCheckOfAge)
	}
	if v.NamedPersonOnly {
		n = append(n, "Nur persönlich")
	}
	if v.NoNeighbourDelivery {
		n = append(n, "Keine Nachbarschaftszustellung")
	}
	if v.BulkyGoods {
		n = append(n, "Sperrgut")
	}
	if v.Premium {
		n = append(n, "Premium")
	}
	if v.Endorsement != "" {
		n = append(n, "Endorsement: "+v.Endorsement)
	}
	if v.CashOnDelivery != nil && v.CashOnDelivery.Amount != nil {
		n = append(n, fmt.Sprintf("Nachnahme %.2f %s", v.CashOnDelivery.Amount.Value, v.CashOnDelivery.Amount.Currency))
	}
	return n
}

// attachDocs renders the documents of a shipment into the item.
func (s *Server) attachDocs(it *item, sp *shipment, o docOptions) error {
	doc := func(d labelData, printFormat, kind string) (*parcel.Document, error) {
		if o.includeDocs == "URL" {
			tok := s.docToken(docRef{No: sp.No, Kind: kind})
			return &parcel.Document{URL: o.base + s.labelURL(tok), FileFormat: "PDF", PrintFormat: responsePrintFormat(printFormat)}, nil
		}
		zpl, pdf, err := s.fonts.shippingLabel(d, o.docFormat, printFormat)
		if err != nil {
			return nil, err
		}
		if zpl != nil {
			return &parcel.Document{ZPL2: string(zpl), FileFormat: "ZPL2", PrintFormat: responsePrintFormat(printFormat)}, nil
		}
		return &parcel.Document{B64: base64.StdEncoding.EncodeToString(pdf), FileFormat: "PDF", PrintFormat: responsePrintFormat(printFormat)}, nil
	}
	var err error
	if sp.ReturnLabel != nil && o.combine && o.docFormat == "PDF" && o.includeDocs != "URL" {
		pdf, err := s.fonts.combinedPDF(sp.Label, o.printFormat, *sp.ReturnLabel, o.retoureFormat)
		if err != nil {
			return err
		}
		it.Label = &parcel.Document{B64: base64.StdEncoding.EncodeToString(pdf), FileFormat: "PDF", PrintFormat: responsePrintFormat(o.printFormat)}
	} else if it.Label, err = doc(sp.Label, o.printFormat, "label"); err != nil {
		return err
	}
	if sp.ReturnLabel != nil && (!o.combine || o.docFormat != "PDF" || o.includeDocs == "URL") {
		if it.ReturnLabel, err = doc(*sp.ReturnLabel, o.retoureFormat, "return"); err != nil {
			return err
		}
	}
	if sp.Customs != nil {
		if o.includeDocs == "URL" {
			it.CustomsDoc = &parcel.Document{URL: o.base + s.labelURL(s.docToken(docRef{No: sp.No, Kind: "customs"})), FileFormat: "PDF", PrintFormat: "A4"}
		} else {
			pdf, err := imagePDF([]pdfPage{{img: s.fonts.textPage("CN23 Zollinhaltserklärung / Customs declaration", sp.Customs), wmm: 210, hmm: 297}})
			if err != nil {
				return err
			}
			it.CustomsDoc = &parcel.Document{B64: base64.StdEncoding.EncodeToString(pdf), FileFormat: "PDF", PrintFormat: "A4"}
		}
	}
	return nil
}

func (s *Server) docToken(ref docRef) string {
	b := make([]byte, 12)
	_, _ = randRead(b)
	tok := base64.RawURLEncoding.EncodeToString(b)
	s.mu.Lock()
	s.docs[tok] = ref
	s.mu.Unlock()
	return tok
}

// labelURL is the download path of a document; callers put the scheme and
// host the request came in on before it.
func (s *Server) labelURL(tok string) string {
	return transport.ShippingPath + "/labels?token=" + url.QueryEscape(tok)
}

// download serves GET /labels?token=… (public, no authentication).
func (s *Server) download(w http.ResponseWriter, r *http.Request) {
	tok := r.URL.Query().Get("token")
	s.mu.Lock()
	ref, ok := s.docs[tok]
	sp := s.shipments[ref.No]
	s.mu.Unlock()
	if !ok || (sp == nil && ref.Kind != "manifest") {
		writeProblem(w, http.StatusNotFound, "Not Found", "Unknown or expired document token.")
		return
	}
	var pdf []byte
	var err error
	switch ref.Kind {
	case "label":
		_, pdf, err = s.fonts.shippingLabel(sp.Label, "PDF", "910-300-600")
	case "return":
		_, pdf, err = s.fonts.shippingLabel(*sp.ReturnLabel, "PDF", "910-300-600")
	case "customs":
		pdf, err = imagePDF([]pdfPage{{img: s.fonts.textPage("CN23", sp.Customs), wmm: 210, hmm: 297}})
	case "manifest":
		pdf, err = s.manifestPDF(ref.Day, "")
	}
	if err != nil {
		writeProblem(w, http.StatusInternalServerError, "Internal Server Error", "document rendering failed")
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	_, _ = w.Write(pdf)
}

// getOrders reprints labels of open shipments.
func (s *Server) getOrders(w http.ResponseWriter, r *http.Request, _ []byte) {
	q := r.URL.Query()
	o := docOpts(r)
	if msg := o.check(); msg != "" {
		writeJSON(w, http.StatusBadRequest, "application/problem+json", map[string]any{"status": st(400, "Bad Request", msg)})
		return
	}
	nos := q["shipment"]
	if len(nos) == 0 || len(nos) > 30 {
		writeProblem(w, http.StatusBadRequest, "Bad Request", "Give 1 to 30 shipment numbers.")
		return
	}
	items := make([]item, len(nos))
	failed := 0
	for i, no := range nos {
		s.mu.Lock()
		sp := s.shipments[no]
		s.mu.Unlock()
		switch {
		case sp == nil || sp.Cancelled:
			items[i] = item{ShipmentNo: no, SStatus: unknownShipment()}
			failed++
		case !sp.Manifested.IsZero():
			items[i] = item{ShipmentNo: no, SStatus: st(400, "Bad Request", "The shipment is closed; its labels are gone.")}
			failed++
		default:
			it := item{ShipmentNo: no, RoutingCode: sp.Routing, ReturnShipmentNo: sp.ReturnNo, SStatus: st(200, "OK", "")}
			if err := s.attachDocs(&it, sp, o); err != nil {
				it = item{ShipmentNo: no, SStatus: st(500, "Internal Server Error", "label rendering failed")}
			}
			items[i] = it
		}
	}
	s.writeItems(w, items, failed, "with documents retrieved.")
}

// unknownShipment is DHL's item status for a number it does not know (or
// no longer: cancelled already).
func unknownShipment() status {
	return status{Title: "UnknownShipmentNumber", StatusCode: 204, Status: 204, Detail: "Unknown shipment number."}
}

// writeItems answers a GET or DELETE as DHL does: 200 or 400 for one
// shipment, 207 for several, the top status counting those done ("1 of 2
// shipments successfully canceled.").
func (s *Server) writeItems(w http.ResponseWriter, items []item, failed int, verb string) {
	n := len(items)
	code, title := http.StatusOK, "OK"
	switch {
	case n > 1:
		code, title = http.StatusMultiStatus, "Multi-Status"
	case failed == 1:
		code, title = http.StatusBadRequest, "Bad Request"
	}
	noun := "shipments"
	if n == 1 {
		noun = "shipment"
	}
	ct := "application/json"
	if code == http.StatusBadRequest {
		ct = "application/problem+json"
	}
	top := st(code, title, fmt.Sprintf("%d of %d %s %s", n-failed, n, noun, verb))
	writeJSON(w, code, ct, map[string]any{"status": top, "items": items})
}

// deleteOrders cancels open shipments.
func (s *Server) deleteOrders(w http.ResponseWriter, r *http.Request, _ []byte) {
	q := r.URL.Query()
	if q.Get("profile") == "" {
		writeProblem(w, http.StatusBadRequest, "Bad Request", "profile is required.")
		return
	}
	nos := q["shipment"]
	if len(nos) == 0 || len(nos) > 30 {
		writeProblem(w, http.StatusBadRequest, "Bad Request", "Give 1 to 30 shipment numbers.")
		return
	}
	items := make([]item, len(nos))
	failed := 0
	s.mu.Lock()
	for i, no := range nos {
		sp := s.shipments[no]
		switch {
		case sp == nil || sp.Cancelled:
			items[i] = item{ShipmentNo: no, SStatus: unknownShipment()}
			failed++
		case !sp.Manifested.IsZero():
			items[i] = item{ShipmentNo: no, SStatus: st(400, "Bad Request", "The shipment is already closed out (manifested).")}
			failed++
		default:
			sp.Cancelled = true
			items[i] = item{ShipmentNo: no, SStatus: status{Title: "OK", StatusCode: 200, Status: 200}}
		}
	}
	s.mu.Unlock()
	s.writeItems(w, items, failed, "successfully canceled.")
}

// postManifests closes shipments out.
func (s *Server) postManifests(w http.ResponseWriter, r *http.Request, body []byte) {
	var req parcel.ShipmentManifestingRequest
	if err := json.Unmarshal(body, &req); err != nil || req.Profile == "" {
		writeJSON(w, http.StatusBadRequest, "application/problem+json", map[string]any{"status": st(400, "Bad Request", "profile is required.")})
		return
	}
	all := r.URL.Query().Get("all") == "true"
	if !all && req.BillingNumber == "" && len(req.ShipmentNumbers) == 0 {
		writeJSON(w, http.StatusBadRequest, "application/problem+json", map[string]any{"status": st(400, "Bad Request", "Give all=true, a billingNumber or shipmentNumbers.")})
		return
	}
	now := s.opt.Now()
	type short struct {
		ShipmentNo string `json:"shipmentNo,omitempty"`
		SStatus    status `json:"sstatus"`
	}
	var items []short
	s.mu.Lock()
	nos := req.ShipmentNumbers
	if len(nos) == 0 {
		for _, no := range s.order {
			sp := s.shipments[no]
			if !sp.Cancelled && sp.Manifested.IsZero() && (all || sp.Billing == req.BillingNumber) {
				nos = append(nos, no)
			}
		}
	}
	for _, no := range nos {
		sp := s.shipments[no]
		switch {
		case sp == nil || sp.Cancelled:
			items = append(items, short{no, st(400, "Bad Request", "Unknown shipment number.")})
		case !sp.Manifested.IsZero():
			items = append(items, short{no, st(200, "Already manifested", "The shipment was closed out earlier.")})
		default:
			sp.Manifested = now
			items = append(items, short{no, st(200, "OK", "")})
		}
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusMultiStatus, "application/json", map[string]any{"status": st(207, "Multi-Status", ""), "items": items})
}

// getManifests returns the day's manifest.
func (s *Server) getManifests(w http.ResponseWriter, r *http.Request, _ []byte) {
	q := r.URL.Query()
	today := s.opt.Now().In(berlin)
	day := today.Format(time.DateOnly)
	if d := q.Get("date"); d != "" {
		t, err := time.ParseInLocation(time.DateOnly, d, berlin)
		if err != nil || t.After(today) || today.Sub(t) > 90*24*time.Hour {
			writeJSON(w, http.StatusBadRequest, "application/problem+json", map[string]any{"status": st(400, "Bad Request", "The date is malformed, too old or in the future.")})
			return
		}
		day = d
	}
	bn := q.Get("billingNumber")
	type sheet struct {
		BillingNumber string `json:"billingNumber"`
		SheetNo       string `json:"sheetNo"`
	}
	type ship struct {
		ShipmentNo string `json:"shipmentNo"`
		SheetNo    string `json:"sheetNo"`
		SStatus    status `json:"sstatus"`
	}
	sheets := map[string]string{}
	var ships []ship
	s.mu.Lock()
	for _, no := range s.order {
		sp := s.shipments[no]
		if sp.Manifested.IsZero() || sp.Manifested.In(berlin).Format(time.DateOnly) != day || (bn != "" && sp.Billing != bn) {
			continue
		}
		if _, ok := sheets[sp.Billing]; !ok {
			sheets[sp.Billing] = fmt.Sprintf("%d", len(sheets)+1)
		}
		ships = append(ships, ship{no, sheets[sp.Billing], st(200, "OK", "")})
	}
	s.mu.Unlock()
	var sheetList []sheet
	for b, n := range sheets {
		sheetList = append(sheetList, sheet{b, n})
	}
	sort.Slice(sheetList, func(i, j int) bool { return sheetList[i].SheetNo < sheetList[j].SheetNo })
	var doc *parcel.Document
	if q.Get("includeDocs") == "URL" {
		doc = &parcel.Document{URL: docOpts(r).base + s.labelURL(s.docToken(docRef{Kind: "manifest", Day: day})), FileFormat: "PDF", PrintFormat: "A4"}
	} else {
		pdf, err := s.manifestPDF(day, bn)
		if err != nil {
			writeProblem(w, http.StatusInternalServerError, "Internal Server Error", "manifest rendering failed")
			return
		}
		doc = &parcel.Document{B64: base64.StdEncoding.EncodeToString(pdf), FileFormat: "PDF", PrintFormat: "A4"}
	}
	writeJSON(w, http.StatusOK, "application/json", map[string]any{
		"status": st(200, "OK", ""), "manifestDate": day, "manifest": []*parcel.Document{doc}, "sheetNo": sheetList, "items": ships,
	})
}

func (s *Server) manifestPDF(day, billing string) ([]byte, error) {
	lines := []string{"Tagesabschluss " + day, ""}
	s.mu.Lock()
	for _, no := range s.order {
		sp := s.shipments[no]
		if sp.Manifested.IsZero() || sp.Manifested.In(berlin).Format(time.DateOnly) != day || (billing != "" && sp.Billing != billing) {
			continue
		}
		lines = append(lines, fmt.Sprintf("%s  %s  %s  %.2f kg  %s %s", sp.No, sp.Billing, sp.Product, sp.WeightKG, sp.DestPostal, sp.Dest))
	}
	s.mu.Unlock()
	return imagePDF([]pdfPage{{img: s.fonts.textPage("DHL Einlieferungsliste / Manifest", lines), wmm: 210, hmm: 297}})
}

// Shipment is what the simulator knows about a shipment, for tests (also
// served as JSON by GET /_sim/shipments).
type Shipment struct {
	No            string `json:"shipmentNo"`
	ReturnNo      string `json:"returnShipmentNo,omitempty"`
	Product       string `json:"product"`
	BillingNumber string `json:"billingNumber"`
	RoutingCode   string `json:"routingCode,omitempty"`
	RefNo         string `json:"refNo,omitempty"`
	Cancelled     bool   `json:"cancelled"`
	Manifested    bool   `json:"manifested"`
}

// Shipments lists the shipments created, in order.
func (s *Server) Shipments() []Shipment {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Shipment, 0, len(s.order))
	for _, no := range s.order {
		sp := s.shipments[no]
		out = append(out, Shipment{No: sp.No, ReturnNo: sp.ReturnNo, Product: sp.Product, BillingNumber: sp.Billing,
			RoutingCode: sp.Routing, RefNo: sp.Ref, Cancelled: sp.Cancelled, Manifested: !sp.Manifested.IsZero()})
	}
	return out
}
