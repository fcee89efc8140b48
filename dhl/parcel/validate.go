package parcel

import (
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"time"

	"github.com/labelagent/labelagent/dhl/address"
)

var (
	billingNumberRE = regexp.MustCompile(`^\w{10}\d{2}\w{2}$`)
	postNumberRE    = regexp.MustCompile(`^[0-9]{6,10}$`)
	ibanRE          = regexp.MustCompile(`^[A-Z]{2}[0-9]{2}[a-zA-Z0-9]{1,30}$`)
	bicRE           = regexp.MustCompile(`^[a-zA-Z0-9]{8,11}$`)
	senderReqRE     = regexp.MustCompile(`^[a-zA-Z0-9]{2}$`)
	hsCodeRE        = regexp.MustCompile(`^[0-9]{6,11}$`)
	currencyRE      = regexp.MustCompile(`^[A-Z]{3}$`)
)

// productInfo says what a product accepts.
type productInfo struct {
	code     string  // digits 11–12 of its billing number
	maxGrams float64 // heaviest parcel
	domestic bool    // only to Germany; otherwise only abroad
	euOnly   bool
}

var products = map[string]productInfo{
	ProductPaket:                  {"01", 31500, true, false},
	ProductPaketInternational:     {"53", 31500, false, false},
	ProductEuropaket:              {"54", 31500, false, true},
	ProductWarenpost:              {"62", 1000, true, false},
	ProductKleinpaket:             {"62", 1000, true, false},
	ProductWarenpostInternational: {"66", 1000, false, false},
}

// ProductCode returns the two digits a billing number for product carries at
// positions 11–12, or "" for an unknown product.
func ProductCode(product string) string { return products[product].code }

// Normalize trims every string of the request (a trailing space breaks the
// contract's postal code pattern, for one). It replaces r by a deep copy, so
// shipments and addresses shared with the caller are never changed.
func (r *ShipmentOrderRequest) Normalize() {
	*r = deepTrim(reflect.ValueOf(*r)).Interface().(ShipmentOrderRequest)
}

// deepTrim copies v, trimming every exported string on the way.
func deepTrim(v reflect.Value) reflect.Value {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return v
		}
		n := reflect.New(v.Elem().Type())
		n.Elem().Set(deepTrim(v.Elem()))
		return n
	case reflect.Struct:
		n := reflect.New(v.Type()).Elem()
		n.Set(v) // unexported fields (decoded JSON) are shared, never written
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				n.Field(i).Set(deepTrim(v.Field(i)))
			}
		}
		return n
	case reflect.Slice:
		if v.IsNil() {
			return v
		}
		n := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := 0; i < v.Len(); i++ {
			n.Index(i).Set(deepTrim(v.Index(i)))
		}
		return n
	case reflect.String:
		return reflect.ValueOf(strings.TrimSpace(v.String())).Convert(v.Type())
	}
	return v
}

// Validate checks the request as the contract and DHL's rules demand and
// returns address.Errors naming each field, or nil. Call Normalize first.
// today is the current date in Germany (for shipDate).
func (r *ShipmentOrderRequest) Validate(today time.Time) error {
	ck := address.NewChecker("", problems)
	ck.Text("profile", r.Profile, true, 1, 35)
	switch n := len(r.Shipments); {
	case n == 0:
		ck.Add("shipments", "no_shipments")
	case n > MaxShipments:
		ck.Add("shipments", "too_many_shipments", "count", n, "max", MaxShipments)
	}
	for i := range r.Shipments {
		r.Shipments[i].validate(ck.At(fmt.Sprintf("shipments[%d]", i)), today)
	}
	return ck.Errs.Err()
}

// Validate checks one shipment (see ShipmentOrderRequest.Validate).
func (s *Shipment) Validate(today time.Time) error {
	ck := address.NewChecker("", problems)
	s.validate(ck, today)
	return ck.Errs.Err()
}

func (s *Shipment) validate(ck address.Checker, today time.Time) {
	info, known := products[s.Product]
	switch {
	case s.Product == "":
		ck.Add("product", "product_required")
	case !known:
		ck.Add("product", "unknown_product", "value", s.Product)
	}
	switch {
	case s.BillingNumber == "":
		ck.Add("billingNumber", "billing_number_required")
	case !billingNumberRE.MatchString(s.BillingNumber):
		ck.Add("billingNumber", "not_billing_number", "value", s.BillingNumber)
	case known && s.BillingNumber[10:12] != info.code:
		ck.Add("billingNumber", "billing_number_product", "value", s.BillingNumber, "code", s.BillingNumber[10:12], "product", s.Product, "want", info.code)
	}
	ck.Text("refNo", s.RefNo, false, 8, 35)
	ck.Text("costCenter", s.CostCenter, false, 0, 50)
	if s.ShipDate != "" {
		d, err := time.Parse(time.DateOnly, s.ShipDate)
		switch {
		case err != nil:
			ck.Add("shipDate", "not_date", "value", s.ShipDate)
		case d.Before(time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC)):
			ck.Add("shipDate", "date_in_past", "value", s.ShipDate)
		}
	}
	s.Shipper.validate(ck.At("shipper"))
	dest := s.Consignee.validate(ck.At("consignee"))
	if known && address.IsCountry(dest) {
		switch {
		case info.domestic && dest != "DEU":
			ck.Add("consignee.country", "domestic_only", "product", s.Product, "country", dest)
		case !info.domestic && dest == "DEU":
			ck.Add("consignee.country", "international_only", "product", s.Product)
		case info.euOnly && !address.InEUCustomsUnion(dest):
			ck.Add("consignee.country", "eu_only", "product", s.Product, "country", dest)
		}
	}
	s.Details.validate(ck.At("details"), info, known, s.Product)
	if s.Services != nil {
		s.Services.validate(ck.At("services"))
	}
	needsCustoms := known && !info.domestic && dest != "" && !address.InEUCustomsUnion(dest)
	switch {
	case s.Customs != nil:
		s.Customs.validate(ck.At("customs"), s.Product)
	case needsCustoms && s.Product != ProductEuropaket:
		ck.Add("customs", "customs_required", "country", dest)
	}
}

func (sh *Shipper) validate(ck address.Checker) {
	hasAddress := sh.Name1 != "" || sh.AddressStreet != "" || sh.City != "" || sh.PostalCode != "" || sh.Country != ""
	if sh.ShipperRef != "" {
		if hasAddress {
			ck.Add("", "shipper_ref_and_address")
		}
		ck.Text("shipperRef", sh.ShipperRef, true, 1, 50)
		return
	}
	ck.Text("name1", sh.Name1, true, 1, 50)
	ck.Text("name2", sh.Name2, false, 1, 50)
	ck.Text("name3", sh.Name3, false, 1, 50)
	ck.Text("addressStreet", sh.AddressStreet, true, 1, 50)
	ck.Text("addressHouse", sh.AddressHouse, false, 1, 10)
	ck.PostalCode("postalCode", sh.PostalCode, sh.Country, sh.Country != "IRL")
	ck.Text("city", sh.City, true, 1, 40)
	ck.Country("country", sh.Country, true)
	ck.Text("contactName", sh.ContactName, false, 3, 80)
	email(ck, "email", sh.Email)
}

func email(ck address.Checker, field, v string) {
	ck.Text(field, v, false, 3, 80)
	if v != "" && !strings.Contains(v, "@") {
		ck.Add(field, "not_email", "value", v)
	}
}

// Shape is one of the four shapes of a consignee's address. Its code is
// stable (a catalog words it as dhlcheck.shape.<code>); String gives the
// name an English-speaking operator knows.
type Shape string

// The consignee's address shapes.
const (
	ShapeContact    Shape = "contact"
	ShapeLocker     Shape = "locker"
	ShapePostOffice Shape = "post_office"
	ShapePOBox      Shape = "po_box"
)

// Shapes lists the address shapes.
func Shapes() []Shape { return []Shape{ShapeContact, ShapeLocker, ShapePostOffice, ShapePOBox} }

func (s Shape) String() string {
	switch s {
	case ShapeContact:
		return "street address"
	case ShapeLocker:
		return "Packstation"
	case ShapePostOffice:
		return "Postfiliale"
	case ShapePOBox:
		return "PO box"
	}
	return string(s)
}

// ShapeList is the shapes an address fits, in English joined by "and".
type ShapeList []Shape

func (l ShapeList) String() string {
	names := make([]string, len(l))
	for i, s := range l {
		names[i] = s.String()
	}
	return strings.Join(names, " and ")
}

// Country returns the destination country (the drop points are German).
func (c Consignee) Country() string {
	switch {
	case c.Contact != nil:
		return c.Contact.Country
	case c.Locker != nil:
		return orDEU(c.Locker.Country)
	case c.PostOffice != nil:
		return orDEU(c.PostOffice.Country)
	case c.POBox != nil:
		return orDEU(c.POBox.Country)
	}
	return ""
}

func orDEU(c string) string {
	if c == "" {
		return "DEU"
	}
	return c
}

// validate checks the consignee and returns its country. A consignee decoded
// from JSON is judged against all four shapes: if exactly one fits, it is
// used; if none fits, the reason for each shape is reported.
func (c *Consignee) validate(ck address.Checker) string {
	if c.raw != nil {
		return c.validateDecoded(ck)
	}
	set := 0
	for _, p := range []bool{c.Contact != nil, c.Locker != nil, c.PostOffice != nil, c.POBox != nil} {
		if p {
			set++
		}
	}
	switch set {
	case 0:
		ck.Add("", "consignee_required")
		return ""
	case 1:
	default:
		ck.Add("", "consignee_shapes")
		return ""
	}
	switch {
	case c.Contact != nil:
		validateContact(ck, c.Contact)
	case c.Locker != nil:
		validateLocker(ck, c.Locker)
	case c.PostOffice != nil:
		validatePostOffice(ck, c.PostOffice)
	case c.POBox != nil:
		validatePOBox(ck, c.POBox)
	}
	return c.Country()
}

func (c *Consignee) validateDecoded(ck address.Checker) string {
	type shape struct {
		name Shape
		v    any
		fn   func(address.Checker)
		set  func()
	}
	var (
		ct = &ContactAddress{}
		lk = &Locker{}
		po = &PostOffice{}
		pb = &POBox{}
	)
	shapes := []shape{
		{ShapeContact, ct, func(k address.Checker) { validateContact(k, ct) }, func() { *c = Consignee{Contact: ct, raw: c.raw} }},
		{ShapeLocker, lk, func(k address.Checker) { validateLocker(k, lk) }, func() { *c = Consignee{Locker: lk, raw: c.raw} }},
		{ShapePostOffice, po, func(k address.Checker) { validatePostOffice(k, po) }, func() { *c = Consignee{PostOffice: po, raw: c.raw} }},
		{ShapePOBox, pb, func(k address.Checker) { validatePOBox(k, pb) }, func() { *c = Consignee{POBox: pb, raw: c.raw} }},
	}
	var fits []shape
	var reasons address.Nested
	for _, s := range shapes {
		if err := lenientUnmarshal(c.raw, s.v); err != nil {
			// The JSON decoder's words: a developer's problem, kept as they are.
			reasons = append(reasons, address.FieldError{Code: "shape_unreadable", Args: []any{"shape", s.name, "error", err.Error()},
				Message: fmt.Sprintf("as a %s: %v", s.name, err)})
			continue
		}
		reflect.ValueOf(s.v).Elem().Set(deepTrim(reflect.ValueOf(s.v).Elem()))
		sub := address.NewChecker("", problems)
		s.fn(sub)
		if sub.OK() {
			fits = append(fits, s)
			continue
		}
		nested := address.Nested(*sub.Errs)
		reasons = append(reasons, address.FieldError{Code: "shape_problems", Args: []any{"shape", s.name, "problems", nested},
			Message: fmt.Sprintf("as a %s: %s", s.name, nested)})
	}
	switch len(fits) {
	case 1:
		fits[0].set()
		return c.Country()
	case 0:
		ck.Add("", "fits_no_shape", "reasons", reasons)
	default:
		names := make(ShapeList, len(fits))
		for i, f := range fits {
			names[i] = f.name
		}
		ck.Add("", "fits_many_shapes", "shapes", names)
	}
	return ""
}

func validateContact(ck address.Checker, a *ContactAddress) {
	ck.Text("name1", a.Name1, true, 1, 50)
	ck.Text("name2", a.Name2, false, 1, 50)
	ck.Text("name3", a.Name3, false, 1, 50)
	ck.Text("dispatchingInformation", a.DispatchingInformation, false, 1, 35)
	ck.Text("addressStreet", a.AddressStreet, true, 1, 50)
	ck.Text("addressHouse", a.AddressHouse, false, 1, 10)
	ck.Text("additionalAddressInformation1", a.AdditionalAddressInformation1, false, 1, 60)
	ck.Text("additionalAddressInformation2", a.AdditionalAddressInformation2, false, 1, 60)
	ck.PostalCode("postalCode", a.PostalCode, a.Country, a.Country != "IRL")
	ck.Text("city", a.City, true, 1, 40)
	ck.Text("state", a.State, false, 1, 20)
	ck.Country("country", a.Country, true)
	ck.Text("contactName", a.ContactName, false, 3, 80)
	ck.Text("phone", a.Phone, false, 1, 20)
	email(ck, "email", a.Email)
}

func validateLocker(ck address.Checker, l *Locker) {
	ck.Text("name", l.Name, true, 1, 50)
	if l.LockerID < 100 || l.LockerID > 999 {
		if l.LockerID == 0 {
			ck.Add("lockerID", "locker_id_required")
		} else {
			ck.Add("lockerID", "not_locker_id", "value", l.LockerID)
		}
	}
	if l.PostNumber == "" {
		ck.Add("postNumber", "post_number_required")
	} else {
		ck.Match("postNumber", l.PostNumber, postNumberRE, "not_post_number")
	}
	ck.PostalCode("postalCode", l.PostalCode, orDEU(l.Country), true)
	ck.Text("city", l.City, true, 1, 40)
	dropPointCountry(ck, l.Country, "locker_abroad")
}

func validatePostOffice(ck address.Checker, p *PostOffice) {
	ck.Text("name", p.Name, true, 1, 50)
	if p.RetailID < 401 || p.RetailID > 999 {
		if p.RetailID == 0 {
			ck.Add("retailID", "retail_id_required")
		} else {
			ck.Add("retailID", "not_retail_id", "value", p.RetailID)
		}
	}
	if p.PostNumber == "" && p.Email == "" {
		ck.Add("postNumber", "post_number_or_email")
	}
	ck.Match("postNumber", p.PostNumber, postNumberRE, "not_post_number")
	email(ck, "email", p.Email)
	ck.PostalCode("postalCode", p.PostalCode, orDEU(p.Country), true)
	ck.Text("city", p.City, true, 1, 80)
	dropPointCountry(ck, p.Country, "post_office_abroad")
}

func validatePOBox(ck address.Checker, p *POBox) {
	ck.Text("name1", p.Name1, true, 1, 50)
	ck.Text("name2", p.Name2, false, 1, 50)
	ck.Text("name3", p.Name3, false, 1, 50)
	if p.POBoxID <= 0 {
		ck.Add("poBoxID", "po_box_id_required")
	}
	email(ck, "email", p.Email)
	ck.PostalCode("postalCode", p.PostalCode, orDEU(p.Country), true)
	ck.Text("city", p.City, true, 1, 80)
	ck.Country("country", p.Country, false)
}

func dropPointCountry(ck address.Checker, country, code string) {
	ck.Country("country", country, false)
	if country != "" && country != "DEU" && address.IsCountry(country) {
		ck.Add("country", code)
	}
}

func (d *ShipmentDetails) validate(ck address.Checker, info productInfo, known bool, product string) {
	w := d.Weight
	switch w.UOM {
	case "g", "kg":
	case "":
		ck.Add("weight.uom", "weight_unit_required")
	default:
		ck.Add("weight.uom", "not_weight_unit", "value", w.UOM)
	}
	switch {
	case w.Value <= 0:
		ck.Add("weight.value", "weight_required")
	case w.Value > 31500:
		ck.Add("weight.value", "weight_over_contract", "value", w.Value, "max", 31500)
	case known && (w.UOM == "g" || w.UOM == "kg") && w.Grams() > info.maxGrams:
		ck.Add("weight.value", "too_heavy", "value", w.Value, "unit", w.UOM, "product", product, "max_kg", info.maxGrams/1000)
	}
	if d.Dim != nil {
		if d.Dim.UOM != "cm" && d.Dim.UOM != "mm" {
			ck.Add("dim.uom", "not_length_unit", "value", d.Dim.UOM)
		}
		for _, f := range []struct {
			n string
			v int
		}{{"height", d.Dim.Height}, {"length", d.Dim.Length}, {"width", d.Dim.Width}} {
			if f.v <= 0 {
				ck.Add("dim."+f.n, "dimension_required")
			}
		}
	}
}

func validValue(ck address.Checker, field string, v *Value) {
	if !currencyRE.MatchString(v.Currency) {
		ck.Add(field+".currency", "not_currency", "value", v.Currency)
	}
	if v.Value < 0 || v.Value > 100000 {
		ck.Add(field+".value", "value_out_of_range", "value", v.Value, "max", 100000)
	}
}

func (v *VAS) validate(ck address.Checker) {
	ck.Text("preferredNeighbour", v.PreferredNeighbour, false, 0, 100)
	ck.Text("preferredLocation", v.PreferredLocation, false, 0, 100)
	if v.VisualCheckOfAge != "" && v.VisualCheckOfAge != "A16" && v.VisualCheckOfAge != "A18" {
		ck.Add("visualCheckOfAge", "not_age", "value", v.VisualCheckOfAge)
	}
	if v.Endorsement != "" && v.Endorsement != "RETURN" && v.Endorsement != "ABANDON" {
		ck.Add("endorsement", "not_endorsement", "value", v.Endorsement)
	}
	if v.PreferredDay != "" {
		if _, err := time.Parse(time.DateOnly, v.PreferredDay); err != nil {
			ck.Add("preferredDay", "not_date", "value", v.PreferredDay)
		}
	}
	if v.IdentCheck != nil {
		ic := ck.At("identCheck")
		ic.Text("firstName", v.IdentCheck.FirstName, true, 1, 35)
		ic.Text("lastName", v.IdentCheck.LastName, true, 1, 35)
		if v.IdentCheck.DateOfBirth != "" {
			if _, err := time.Parse(time.DateOnly, v.IdentCheck.DateOfBirth); err != nil {
				ic.Add("dateOfBirth", "not_date", "value", v.IdentCheck.DateOfBirth)
			}
		}
		if m := v.IdentCheck.MinimumAge; m != "" && m != "A16" && m != "A18" {
			ic.Add("minimumAge", "not_age", "value", m)
		}
	}
	ck.Match("individualSenderRequirement", v.IndividualSenderRequirement, senderReqRE, "not_sender_requirement")
	if v.AdditionalInsurance != nil {
		validValue(ck, "additionalInsurance", v.AdditionalInsurance)
	}
	if c := v.CashOnDelivery; c != nil {
		cc := ck.At("cashOnDelivery")
		cc.Text("transferNote1", c.TransferNote1, true, 1, 35)
		cc.Text("transferNote2", c.TransferNote2, false, 0, 35)
		cc.Text("accountReference", c.AccountReference, false, 0, 35)
		if c.Amount != nil {
			validValue(cc, "amount", c.Amount)
			if c.Amount.Currency != "EUR" {
				cc.Add("amount.currency", "cod_eur_only")
			}
		}
		if c.BankAccount == nil && c.AccountReference == "" {
			cc.Add("bankAccount", "cod_account_required")
		}
		if b := c.BankAccount; b != nil {
			bc := cc.At("bankAccount")
			bc.Text("accountHolder", b.AccountHolder, true, 1, 80)
			bc.Text("bankName", b.BankName, false, 0, 80)
			if b.IBAN == "" {
				bc.Add("iban", "required")
			}
			bc.Match("iban", b.IBAN, ibanRE, "not_iban")
			bc.Match("bic", b.BIC, bicRE, "not_bic")
		}
	}
	if r := v.DHLRetoure; r != nil {
		rc := ck.At("dhlRetoure")
		switch {
		case r.BillingNumber == "":
			rc.Add("billingNumber", "return_billing_number_required")
		case !billingNumberRE.MatchString(r.BillingNumber):
			rc.Add("billingNumber", "not_return_billing_number", "value", r.BillingNumber)
		}
		rc.Text("refNo", r.RefNo, false, 6, 50)
		if r.ReturnAddress != nil {
			validateContact(rc.At("returnAddress"), r.ReturnAddress)
		}
	}
}

func (c *CustomsDetails) validate(ck address.Checker, product string) {
	switch c.ExportType {
	case "OTHER", "PRESENT", "COMMERCIAL_SAMPLE", "DOCUMENT", "RETURN_OF_GOODS", "COMMERCIAL_GOODS":
	case "":
		ck.Add("exportType", "export_type_required")
	default:
		ck.Add("exportType", "not_export_type", "value", c.ExportType)
	}
	if c.ExportType == "OTHER" && c.ExportDescription == "" {
		ck.Add("exportDescription", "export_description_required")
	}
	ck.Text("exportDescription", c.ExportDescription, false, 0, 80)
	if c.ShippingConditions != "" {
		if c.ShippingConditions != "DAP" && c.ShippingConditions != "DDP" {
			ck.Add("shippingConditions", "not_incoterm", "value", c.ShippingConditions)
		} else if product != ProductEuropaket {
			ck.Add("shippingConditions", "incoterm_europaket_only")
		}
	}
	ck.Text("invoiceNo", c.InvoiceNo, false, 0, 35)
	ck.Text("permitNo", c.PermitNo, false, 0, 30)
	ck.Text("attestationNo", c.AttestationNo, false, 0, 30)
	ck.Text("MRN", c.MRN, false, 0, 18)
	ck.Text("shipperCustomsRef", c.ShipperCustomsRef, false, 0, 35)
	ck.Text("consigneeCustomsRef", c.ConsigneeCustomsRef, false, 0, 35)
	ck.Text("officeOfOrigin", c.OfficeOfOrigin, false, 0, 35)
	validValue(ck, "postalCharges", &c.PostalCharges)
	switch n := len(c.Items); {
	case n == 0:
		ck.Add("items", "items_required")
	case n > 99:
		ck.Add("items", "too_many_items", "count", n, "max", 99)
	}
	for i := range c.Items {
		it := &c.Items[i]
		ic := ck.At(fmt.Sprintf("items[%d]", i))
		ic.Text("itemDescription", it.ItemDescription, true, 1, 256)
		ic.Country("countryOfOrigin", it.CountryOfOrigin, false)
		ic.Match("hsCode", string(it.HSCode), hsCodeRE, "not_hs_code")
		if it.PackagedQuantity < 1 {
			ic.Add("packagedQuantity", "quantity_at_least_one")
		}
		validValue(ic, "itemValue", &it.ItemValue)
		if it.ItemValue.Currency != c.PostalCharges.Currency && currencyRE.MatchString(it.ItemValue.Currency) {
			ic.Add("itemValue.currency", "currency_differs", "value", it.ItemValue.Currency, "charges", c.PostalCharges.Currency)
		}
		if it.ItemWeight.UOM != "g" && it.ItemWeight.UOM != "kg" {
			ic.Add("itemWeight.uom", "not_weight_unit", "value", it.ItemWeight.UOM)
		}
		if it.ItemWeight.Value <= 0 || it.ItemWeight.Value > 31500 {
			ic.Add("itemWeight.value", "item_weight_range", "max", 31500)
		}
	}
}
