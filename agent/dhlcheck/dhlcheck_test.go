package dhlcheck

import (
	"encoding/json"
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/labelagent/labelagent/agent/i18n"
	"github.com/labelagent/labelagent/dhl/address"
	"github.com/labelagent/labelagent/dhl/parcel"
	"github.com/labelagent/labelagent/dhl/returns"
)

var (
	actionRE = regexp.MustCompile(`{{[^}]*}}`)
	argRE    = regexp.MustCompile(`(?:^|[\s(])\.(\w+)`)
)

func argNames(s string) []string {
	var out []string
	for _, a := range actionRE.FindAllString(s, -1) {
		for _, m := range argRE.FindAllStringSubmatch(strings.Trim(a, "{}"), -1) {
			if !slices.Contains(out, m[1]) {
				out = append(out, m[1])
			}
		}
	}
	slices.Sort(out)
	return out
}

// catalogTexts reads the raw templates of dhlcheck.<lang>.toml.
func catalogTexts(t *testing.T, lang string) map[string]map[string]string {
	t.Helper()
	var m map[string]map[string]string
	if _, err := toml.DecodeFile("../i18n/locales/dhlcheck."+lang+".toml", &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// Every problem code our checks know (walked from the dhl packages, not
// listed here) has words in every language of the catalog, and those words
// use only the arguments the check gives (a German text that asks for an
// argument the check does not give would read "<no value>").
func TestEveryProblemCodeHasWords(t *testing.T) {
	cat := i18n.Default()
	texts := map[i18n.Lang]map[string]map[string]string{}
	for _, l := range i18n.Langs() {
		texts[l] = catalogTexts(t, string(l))
	}
	n := 0
	for _, w := range []address.Words{address.Common(), parcel.Problems(), returns.Problems()} {
		for _, code := range w.Codes() {
			n++
			id := Prefix + code
			english, _ := w.English(code)
			given := argNames(english)
			for _, l := range i18n.Langs() {
				if !cat.Has(l, id) {
					t.Errorf("%s has no %s words", id, l)
					continue
				}
				for form, text := range texts[l][id] {
					for _, a := range argNames(text) {
						if !slices.Contains(given, a) && a != "count" {
							t.Errorf("%s (%s, %s) uses {{.%s}}, which the check does not give (it gives %v)", id, l, form, a, given)
						}
					}
				}
			}
		}
	}
	if n < 70 {
		t.Errorf("only %d problem codes found", n)
	}
	for _, s := range parcel.Shapes() {
		for _, l := range i18n.Langs() {
			if !cat.Has(l, "dhlcheck.shape."+string(s)) {
				t.Errorf("address shape %s has no %s words", s, l)
			}
		}
	}
}

// everythingWrong is an order with a problem in nearly every field.
func everythingWrong() []address.FieldError {
	var es []address.FieldError
	add := func(err error) {
		var fe address.Errors
		if errors.As(err, &fe) {
			es = append(es, fe...)
		}
	}
	long := strings.Repeat("x", 120)
	s := parcel.Shipment{Product: "V01PAK", BillingNumber: "3333333333", RefNo: "x", ShipDate: "gestern", CostCenter: long,
		Shipper: parcel.Shipper{Name1: long, Name2: long, Name3: long, AddressStreet: long, AddressHouse: long, PostalCode: "1", City: long, Country: "DE", ContactName: "x", Email: "kein"},
		Consignee: parcel.Consignee{Contact: &parcel.ContactAddress{Name1: long, Name2: long, Name3: long, DispatchingInformation: long, AddressStreet: long, AddressHouse: long,
			AdditionalAddressInformation1: long, AdditionalAddressInformation2: long, PostalCode: "5311", City: long, State: long, Country: "XX", ContactName: "x", Phone: long, Email: "kein"}},
		Details: parcel.ShipmentDetails{Weight: parcel.Weight{UOM: "kg", Value: 40}, Dim: &parcel.Dimensions{UOM: "m"}},
		Services: &parcel.VAS{PreferredNeighbour: long, PreferredLocation: long, VisualCheckOfAge: "A21", Endorsement: "X", PreferredDay: "morgen",
			IdentCheck: &parcel.VASIdentCheck{DateOfBirth: "x", MinimumAge: "A3"}, IndividualSenderRequirement: "xyz",
			AdditionalInsurance: &parcel.Value{Currency: "eur", Value: -1},
			CashOnDelivery: &parcel.VASCashOnDelivery{TransferNote2: long, AccountReference: long, Amount: &parcel.Value{Currency: "USD", Value: 1},
				BankAccount: &parcel.BankAccount{BankName: long, BIC: "x"}},
			DHLRetoure: &parcel.VASDhlRetoure{BillingNumber: "x", RefNo: "x", ReturnAddress: &parcel.ContactAddress{}}},
		Customs: &parcel.CustomsDetails{ExportType: "OTHER", ShippingConditions: "DAP", InvoiceNo: long, PermitNo: long, AttestationNo: long, MRN: long,
			ShipperCustomsRef: long, ConsigneeCustomsRef: long, OfficeOfOrigin: long, PostalCharges: parcel.Value{Currency: "EUR"},
			Items: []parcel.Commodity{{CountryOfOrigin: "D", HSCode: "1", ItemValue: parcel.Value{Currency: "USD"}, ItemWeight: parcel.Weight{UOM: "t"}}}},
	}
	add(s.Validate(time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)))
	for _, c := range []parcel.Consignee{
		{Locker: &parcel.Locker{LockerID: 5, PostNumber: "1", Country: "AUT"}},
		{PostOffice: &parcel.PostOffice{RetailID: 5, Country: "AUT"}},
		{POBox: &parcel.POBox{}},
	} {
		o := parcel.Shipment{Product: "V01PAK", Consignee: c}
		add(o.Validate(time.Time{}))
	}
	var decoded parcel.Shipment
	_ = json.Unmarshal([]byte(`{"consignee":{"name1":"A","lockerID":"x"}}`), &decoded)
	add(decoded.Validate(time.Time{}))
	ro := returns.Order{ReceiverID: long, CustomerReference: "a|b", Shipper: returns.Shipper{AddressStreet: "Ohne Nummer", Country: "CHE"},
		ItemValue:      &returns.Value{Currency: "eur", Value: -1},
		CustomsDetails: &returns.CustomsDetails{Items: []returns.CustomsItem{{}, {ItemValue: &returns.Value{Currency: "USD"}}, {ItemValue: &returns.Value{Currency: "EUR"}, ItemWeight: &returns.Weight{UOM: "t"}}}}}
	add(ro.Validate("QR_LABEL"))
	return es
}

// Every field our checks name has a German name, and every problem reads
// in German without a missing word or argument.
func TestProblemsInGerman(t *testing.T) {
	es := everythingWrong()
	if len(es) < 60 {
		t.Fatalf("only %d problems: %v", len(es), es)
	}
	de, en := i18n.For(i18n.German), i18n.For(i18n.English)
	for _, e := range es {
		for _, part := range strings.Split(e.Field, ".") {
			name := segment.FindStringSubmatch(part)
			if name != nil && !i18n.Default().Has(i18n.German, "dhlcheck.field."+name[1]) {
				t.Errorf("field %s: %q has no German name", e.Field, name[1])
			}
		}
		m := WithField(e)
		g := de.T(m.ID, m.Args...)
		if strings.Contains(g, "<no value>") || strings.Contains(g, "dhlcheck.") || g == en.T(m.ID, m.Args...) && e.Field != "" {
			t.Errorf("%s %s reads in German %q", e.Code, e.Field, g)
		}
	}
}

// English keeps what the check said (logs, .Error(), old clients read the
// same words), the field path included.
func TestEnglishMatchesTheChecksText(t *testing.T) {
	en := i18n.For(i18n.English)
	for _, e := range everythingWrong() {
		if e.Code == "fits_no_shape" {
			continue // nested problems are joined by "; " in the catalog, ", " in the check
		}
		m := WithField(e)
		if got := en.T(m.ID, m.Args...); got != e.Error() {
			t.Errorf("%s: catalog %q, check %q", e.Code, got, e.Error())
		}
	}
}

func TestErrKeepsTheProblemsAndWordsThem(t *testing.T) {
	o := parcel.Shipment{Product: "V01PAK", BillingNumber: "33333333330101", Shipper: parcel.Shipper{ShipperRef: "Lager Nord"}, Consignee: parcel.Consignee{Contact: &parcel.ContactAddress{Name1: "A", AddressStreet: "Hauptstraße 1", PostalCode: "1071", City: "Berlin", Country: "DEU"}},
		Details: parcel.ShipmentDetails{Weight: parcel.Weight{UOM: "kg", Value: 40}}}
	raw := o.Validate(time.Time{})
	err := Err(raw)
	var fe address.Errors
	if !errors.As(err, &fe) || len(fe) != 2 {
		t.Fatalf("the problems are lost: %v", err)
	}
	if err.Error() != raw.Error() {
		t.Errorf("English: %q, check: %q", err.Error(), raw.Error())
	}
	want := "ungültige Angaben: Empfänger › PLZ: „1071“ ist keine deutsche Postleitzahl (fünf Ziffern); Sendungsdaten › Gewicht › Wert: 40 kg ist zu schwer für V01PAK (höchstens 31,5 kg)"
	if got := i18n.For(i18n.German).Err(err); got != want {
		t.Errorf("German:\n got %s\nwant %s", got, want)
	}
	// A record keeps it with its id and arguments and words it later.
	_, id, args := i18n.KeepErr(err)
	b, _ := json.Marshal(args)
	var back map[string]any
	_ = json.Unmarshal(b, &back)
	if got := i18n.For(i18n.German).Kept(id, back, "?"); got != want {
		t.Errorf("kept and read back in German:\n got %s\nwant %s", got, want)
	}
	if got := Err(errors.New("x")); got.Error() != "x" {
		t.Errorf("another error changed: %v", got)
	}
	if got := FieldText(i18n.For(i18n.German), "shipments[2].consignee.postalCode"); got != "Sendung 3 › Empfänger › PLZ" {
		t.Errorf("field in German: %q", got)
	}
	if got := FieldText(i18n.For(i18n.English), "shipments[2].consignee.postalCode"); got != "shipments[2].consignee.postalCode" {
		t.Errorf("field in English: %q", got)
	}
}
