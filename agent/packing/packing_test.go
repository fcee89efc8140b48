package packing

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/config"
	"github.com/labelagent/labelagent/agent/i18n"
	"github.com/labelagent/labelagent/agent/shipment"
	"github.com/labelagent/labelagent/printer/scale"
)

var table = []config.RuleConfig{
	{Name: "letter", When: config.RuleWhen{MaxWeightG: 500, ProductHint: "letter"}, Carrier: "internetmarke", Product: "1"},
	{Name: "kleinpaket", When: config.RuleWhen{MaxWeightG: 1000, Countries: []string{"DE"}, MaxLengthMM: 350}, Carrier: "dhl", Product: "V62KP"},
	{Name: "domestic", When: config.RuleWhen{Countries: []string{"DEU"}}, Carrier: "dhl", Product: "V01PAK"},
	{Name: "eu", When: config.RuleWhen{Countries: []string{"AT", "FR"}, Channels: []string{"b2c"}}, Carrier: "dhl", Product: "V53WPAK"},
	{Name: "world", Carrier: "dhl", Product: "V53WPAK"},
}

func TestMatch(t *testing.T) {
	for _, tc := range []struct {
		facts Facts
		want  string
		why   string // a word of the first rule's reason
	}{
		{Facts{WeightGrams: 20, Country: "DE", ProductHint: "letter"}, "letter", ""},
		{Facts{WeightGrams: 20, Country: "DE"}, "kleinpaket", "hint"},
		{Facts{WeightGrams: 900, Country: "DE", LengthMM: 400}, "domestic", "above"},
		{Facts{WeightGrams: 5000, Country: "DE"}, "domestic", "above"},
		{Facts{WeightGrams: 5000, Country: "AT", Channel: "B2C"}, "eu", "above"},
		{Facts{WeightGrams: 5000, Country: "AT", Channel: "marketplace"}, "world", "above"},
		{Facts{WeightGrams: 100, Country: "US"}, "world", "hint"},
	} {
		r, ok, checks := Match(table, tc.facts)
		if !ok || r.Name != tc.want {
			t.Errorf("%+v: %s, want %s (%v)", tc.facts, r.Name, tc.want, checks)
			continue
		}
		if tc.why != "" && !strings.Contains(checks[0].Why, tc.why) {
			t.Errorf("%+v: first reason %q", tc.facts, checks[0].Why)
		}
	}
	if _, ok, _ := Match(table[:2], Facts{WeightGrams: 5000, Country: "DE"}); ok {
		t.Error("a 5 kg parcel matched letter or Kleinpaket")
	}
	if _, ok, checks := Match(table[1:2], Facts{Country: "DE"}); ok || !strings.Contains(checks[0].Why, "no weight") {
		t.Errorf("an order without weight matched a weight limit: %v", checks)
	}
}

func TestAnalyze(t *testing.T) {
	if f := Analyze(table); len(f) != 0 {
		t.Errorf("the sample table has findings: %+v", f)
	}
	for _, tc := range []struct {
		name  string
		rules []config.RuleConfig
		want  string
	}{
		{"after a catch-all", []config.RuleConfig{{Name: "all"}, {Name: "late", When: config.RuleWhen{Countries: []string{"DE"}}}}, "late"},
		{"narrower weight after wider", []config.RuleConfig{
			{Name: "upto5", When: config.RuleWhen{MaxWeightG: 5000, Countries: []string{"DE"}}},
			{Name: "upto1", When: config.RuleWhen{MaxWeightG: 1000, Countries: []string{"DE"}}}, {Name: "rest"}}, "upto1"},
		{"countries subset", []config.RuleConfig{
			{Name: "dach", When: config.RuleWhen{Countries: []string{"DE", "AT", "CH"}}},
			{Name: "at", When: config.RuleWhen{Countries: []string{"AUT"}}}, {Name: "rest"}}, "at"},
		{"empty weight range", []config.RuleConfig{{Name: "odd", When: config.RuleWhen{MinWeightG: 2000, MaxWeightG: 1000}}, {Name: "rest"}}, "odd"},
		{"excluded everything", []config.RuleConfig{{Name: "nowhere", When: config.RuleWhen{Countries: []string{"DE"}, NotCountries: []string{"DE"}}}, {Name: "rest"}}, "nowhere"},
		{"uncovered", []config.RuleConfig{{Name: "de", When: config.RuleWhen{Countries: []string{"DE"}}}}, "to AT"},
	} {
		f := Analyze(tc.rules)
		found := false
		for _, x := range f {
			if x.Name == tc.want || strings.Contains(x.Example, tc.want) {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: %+v", tc.name, f)
		}
	}
	// Different channels are not shadowing.
	if f := Analyze([]config.RuleConfig{{Name: "a", When: config.RuleWhen{Channels: []string{"x"}}}, {Name: "b", When: config.RuleWhen{Channels: []string{"y"}}}, {Name: "rest"}}); len(f) != 0 {
		t.Errorf("findings for disjoint channels: %+v", f)
	}
}

func TestImport(t *testing.T) {
	csvDE := "Bestellung;Name;Straße;PLZ;Ort;Land;Gewicht;Foo\n" +
		"1001;Max Müller;Hauptstraße 4;10115;Berlin;DE;1,5;x\n" +
		"1002;;Weg 1;10115;Berlin;DE;1;x\n" +
		"1003;Eva;Weg 2;10115;Berlin;XX1;2;x\n" +
		"1004;Ute;Weg 3;10115;Berlin;AT;zwei;x\n"
	orders, issues, err := Import([]byte(csvDE))
	if err != nil {
		t.Fatal(err)
	}
	if len(orders) != 1 || orders[0].WeightGrams != 1500 || orders[0].Recipient.Street != "Hauptstraße 4" {
		t.Fatalf("orders %+v", orders)
	}
	if len(issues) != 4 { // ignored column + 3 bad rows
		t.Fatalf("issues %+v", issues)
	}
	orders, issues, err = Import([]byte(`{"orders":[{"ref":" A-1\r","recipient":{"name":"X","street":"Y 1","city":"Z","country":"DEU"},"weight_grams":300},{"ref":""}]}`))
	if err != nil || len(orders) != 1 || orders[0].Ref != "A-1" || len(issues) != 1 {
		t.Fatalf("json: %+v %+v %v", orders, issues, err)
	}
	if _, _, err := Import([]byte("name,city\nX,Y\n")); err == nil {
		t.Error("a CSV without ref column was taken")
	}
	if _, _, err := Import(nil); err == nil {
		t.Error("nothing imported without an error")
	}
}

func FuzzImport(f *testing.F) {
	f.Add([]byte("ref,name,street,city\n1,a,b 1,c\n"))
	f.Add([]byte(`[{"ref":"1","recipient":{"name":"a","street":"b","city":"c"}}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		orders, _, err := Import(data)
		if err != nil {
			return
		}
		for _, o := range orders {
			if o.Ref == "" || o.Recipient.Name == "" {
				t.Fatalf("an unusable order passed: %+v", o)
			}
		}
	})
}

type fakeShipments struct {
	created, reprinted int
	fail               error
}

func (f *fakeShipments) Create(_ context.Context, reqs []shipment.Request) ([]shipment.Result, error) {
	if f.fail != nil {
		return []shipment.Result{{Err: f.fail}}, nil
	}
	f.created++
	return []shipment.Result{{Record: &shipment.Record{ID: "S1", ShipmentNo: "00340434161094042557", Printer: reqs[0].Printer,
		Prints: []apitype.ShipmentPrint{{JobID: "J1"}}, Order: &reqs[0].Order}}}, nil
}

func (f *fakeShipments) Reprint(context.Context, string, string, string) (*shipment.Record, error) {
	f.reprinted++
	return &shipment.Record{ID: "S1", Prints: []apitype.ShipmentPrint{{JobID: "J1"}, {JobID: "J2"}}}, nil
}

func TestScan(t *testing.T) {
	db, err := bolt.Open(filepath.Join(t.TempDir(), "s.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	fs := &fakeShipments{}
	sc := scale.NewReader(scale.Config{}, nil)
	svc, err := Open(db, Options{Config: config.PackingConfig{Rules: table}, Shipments: fs, Scale: sc})
	if err != nil {
		t.Fatal(err)
	}
	orders, _, _ := Import([]byte("ref,name,street,city,country,weight_g\nA,Max,Hauptstraße 4,Berlin,DE,3000\nB,Eva,Weg 1,Berlin,DE,\nC,Kim,Main St 1,Boston,US,1200\n"))
	if _, _, err := svc.Orders().Put(orders); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	res, err := svc.Scan(ctx, apitype.ScanRequest{Code: "A\r\n"})
	if err != nil || res.Outcome != apitype.ScanPrinted || res.Rule != "domestic" || res.WeightSource != "order" || res.Tracking == "" {
		t.Fatalf("%+v %v", res, err)
	}
	again, err := svc.Scan(ctx, apitype.ScanRequest{Code: "A"})
	if err != nil || again.Outcome != apitype.ScanAlreadyShipped || fs.created != 1 {
		t.Fatalf("repeat: %+v %v (created %d)", again, err, fs.created)
	}
	// What it says, in each reader's words.
	if en, de := MessageIn(again, i18n.For(i18n.English)).Message, MessageIn(again, i18n.For(i18n.German)).Message; again.MessageID != "queuewords.scan.already_shipped" ||
		en != again.Message || !strings.HasPrefix(en, "the order has a label already") || !strings.HasPrefix(de, "Die Bestellung hat schon ein Etikett") {
		t.Errorf("already shipped: %q / %q (%s)", en, de, again.MessageID)
	}
	re, err := svc.Scan(ctx, apitype.ScanRequest{Code: "A", Reprint: true})
	if err != nil || re.Outcome != apitype.ScanReprinted || fs.reprinted != 1 || fs.created != 1 {
		t.Fatalf("reprint: %+v %v", re, err)
	}
	second, err := svc.Scan(ctx, apitype.ScanRequest{Code: "A", New: true})
	if err != nil || second.Outcome != apitype.ScanPrinted || fs.created != 2 {
		t.Fatalf("new: %+v %v", second, err)
	}
	o, _ := svc.Orders().Get("A")
	if len(o.Labels) != 2 {
		t.Fatalf("labels %+v", o.Labels)
	}
	// B has no weight and the scale none yet: refused with the reason.
	if _, err := svc.Scan(ctx, apitype.ScanRequest{Code: "B"}); err == nil || !strings.Contains(err.Error(), "weight") {
		t.Fatalf("no weight: %v", err)
	}
	for i := 0; i < 3; i++ {
		sc.Feed("ST,GS,+  0.750kg")
	}
	b, err := svc.Scan(ctx, apitype.ScanRequest{Code: "B"})
	if err != nil || b.WeightSource != "scale" || b.WeightGrams != 750 || b.Rule != "kleinpaket" {
		t.Fatalf("scale: %+v %v", b, err)
	}
	// C goes abroad: customs papers are built from the order.
	c, err := svc.Scan(ctx, apitype.ScanRequest{Code: "C", WeightGrams: 1300})
	if err != nil || c.Rule != "world" || c.WeightSource != "request" {
		t.Fatalf("abroad: %+v %v", c, err)
	}
	sh := svc.Shipment(orders[2], "V53WPAK", 1300)
	if sh.Customs == nil || len(sh.Customs.Items) != 1 || sh.Consignee.Contact.Country != "USA" {
		t.Fatalf("customs %+v", sh)
	}
	if _, err := svc.Scan(ctx, apitype.ScanRequest{Code: "nope"}); !errors.Is(err, ErrNoOrder) {
		t.Fatalf("unknown order: %v", err)
	}
	// A carrier that is not configured is said plainly.
	var published []apitype.ScanResult
	svc2, _ := Open(db, Options{Config: config.PackingConfig{Rules: table}, Publish: func(r apitype.ScanResult) { published = append(published, r) }})
	svc2.Orders().Put([]apitype.Order{{Ref: "D", Recipient: apitype.OrderAddress{Name: "x", Street: "y 1", City: "z", Country: "DE"}, WeightGrams: 2000}})
	if _, err := svc2.Scan(ctx, apitype.ScanRequest{Code: "D"}); !errors.Is(err, ErrCarrier) {
		t.Fatalf("no carrier: %v", err)
	}
	// The scan event keeps the refusal as a catalog message.
	if n := len(published); n == 0 || published[n-1].MessageID == "" ||
		MessageIn(published[n-1], i18n.For(i18n.German)).Message == published[n-1].Message {
		t.Errorf("refused scan event: %+v", published)
	}
}
