package packing

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/i18n"
)

var bucketOrders = []byte("packing_orders")

// ErrNoOrder is returned for a code that names no order.
var ErrNoOrder = errors.New("no such order")

// MaxRef is the longest order reference.
const MaxRef = 100

// normalizeRef is how an order reference is stored and looked up: trimmed,
// scanners' control characters dropped.
func normalizeRef(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}

// issue is an import problem: in English, with its catalog message for
// the API to word in the reader's language.
func issue(row int, ref string, err error) apitype.ImportIssue {
	is := apitype.ImportIssue{Row: row, Ref: ref, Problem: err.Error()}
	var ie *i18n.Error
	if errors.As(err, &ie) && ie.Err == nil {
		is.ID, is.Args = ie.ID, ie.ArgMap()
	}
	return is
}

// CheckOrder says what makes an order unusable, or nil.
func CheckOrder(o *apitype.Order) error {
	o.Ref = normalizeRef(o.Ref)
	switch {
	case o.Ref == "":
		return i18n.E("packing.order.no_ref")
	case len(o.Ref) > MaxRef || !utf8.ValidString(o.Ref):
		return i18n.E("packing.order.bad_ref", "ref", o.Ref, "max", MaxRef)
	case strings.TrimSpace(o.Recipient.Name) == "":
		return i18n.E("packing.order.no_name")
	case strings.TrimSpace(o.Recipient.City) == "":
		return i18n.E("packing.order.no_city")
	case o.Recipient.Country != "" && Country(o.Recipient.Country) == "":
		return i18n.E("packing.order.bad_country", "country", o.Recipient.Country)
	case o.WeightGrams < 0 || o.WeightGrams > 1_000_000:
		return i18n.E("packing.order.bad_weight", "weight", o.WeightGrams)
	case o.Recipient.Street == "" && o.Recipient.LockerID == "":
		return i18n.E("packing.order.no_street")
	}
	if o.Recipient.Country == "" {
		o.Recipient.Country = "DE"
	}
	return nil
}

// Orders keeps orders in the agent's store.
type Orders struct {
	db  *bolt.DB
	now func() time.Time
}

// OpenOrders creates the bucket.
func OpenOrders(db *bolt.DB, now func() time.Time) (*Orders, error) {
	if err := db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(bucketOrders)
		return err
	}); err != nil {
		return nil, err
	}
	return &Orders{db: db, now: now}, nil
}

// Put stores orders; an order already known keeps its labels. It returns
// how many were new.
func (s *Orders) Put(orders []apitype.Order) (added, updated int, err error) {
	err = s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketOrders)
		for _, o := range orders {
			if old := b.Get([]byte(o.Ref)); old != nil {
				var prev apitype.Order
				if json.Unmarshal(old, &prev) == nil {
					o.Labels = prev.Labels
					o.Received = prev.Received
				}
				updated++
			} else {
				added++
			}
			if o.Received.IsZero() {
				o.Received = s.now().UTC()
			}
			buf, err := json.Marshal(o)
			if err != nil {
				return err
			}
			if err := b.Put([]byte(o.Ref), buf); err != nil {
				return err
			}
		}
		return nil
	})
	return added, updated, err
}

// Get returns an order by its reference.
func (s *Orders) Get(ref string) (apitype.Order, error) {
	var o apitype.Order
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketOrders).Get([]byte(normalizeRef(ref)))
		if v == nil {
			return i18n.K(ErrNoOrder, "packing.err.no_order", "ref", normalizeRef(ref))
		}
		return json.Unmarshal(v, &o)
	})
	return o, err
}

// update changes one order in a transaction.
func (s *Orders) update(ref string, fn func(*apitype.Order)) (apitype.Order, error) {
	var o apitype.Order
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketOrders)
		v := b.Get([]byte(ref))
		if v == nil {
			return i18n.K(ErrNoOrder, "packing.err.no_order", "ref", ref)
		}
		if err := json.Unmarshal(v, &o); err != nil {
			return err
		}
		fn(&o)
		buf, err := json.Marshal(o)
		if err != nil {
			return err
		}
		return b.Put([]byte(ref), buf)
	})
	return o, err
}

// List returns orders, newest first; open only those without a label.
func (s *Orders) List(open bool, limit int) ([]apitype.Order, error) {
	var out []apitype.Order
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketOrders).ForEach(func(_, v []byte) error {
			var o apitype.Order
			if json.Unmarshal(v, &o) != nil {
				return nil
			}
			if open && len(o.Labels) > 0 {
				return nil
			}
			out = append(out, o)
			return nil
		})
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Received.After(out[j].Received) })
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, err
}

// Import reads orders from JSON (one order, a list, or {"orders": [...]})
// or CSV with a header row (comma or semicolon separated, as spreadsheets
// in German and English write it). Rows that cannot be orders are listed
// with the reason; the rest are taken.
func Import(data []byte) ([]apitype.Order, []apitype.ImportIssue, error) {
	trimmed := bytes.TrimSpace(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")))
	if len(trimmed) == 0 {
		return nil, nil, i18n.E("packing.import.empty")
	}
	var orders []apitype.Order
	var issues []apitype.ImportIssue
	switch trimmed[0] {
	case '{', '[':
		var raws []json.RawMessage
		if trimmed[0] == '[' {
			if err := json.Unmarshal(trimmed, &raws); err != nil {
				return nil, nil, i18n.Wrap(err, "packing.import.not_list")
			}
		} else {
			var w struct {
				Orders []json.RawMessage `json:"orders"`
			}
			if err := json.Unmarshal(trimmed, &w); err != nil {
				return nil, nil, i18n.Wrap(err, "packing.import.not_orders")
			}
			if w.Orders == nil {
				raws = []json.RawMessage{trimmed}
			} else {
				raws = w.Orders
			}
		}
		for i, raw := range raws {
			var o apitype.Order
			if err := json.Unmarshal(raw, &o); err != nil {
				issues = append(issues, apitype.ImportIssue{Row: i + 1, Problem: err.Error()})
				continue
			}
			if err := CheckOrder(&o); err != nil {
				issues = append(issues, issue(i+1, o.Ref, err))
				continue
			}
			orders = append(orders, o)
		}
	default:
		var err error
		orders, issues, err = importCSV(trimmed)
		if err != nil {
			return nil, nil, err
		}
	}
	return orders, issues, nil
}

// csvColumns are the header names understood, English and German.
var csvColumns = map[string]string{
	"ref": "ref", "order": "ref", "order_ref": "ref", "bestellung": "ref", "auftrag": "ref", "bestellnummer": "ref",
	"name": "name", "company": "company", "firma": "company",
	"street": "street", "strasse": "street", "straße": "street",
	"house_number": "house", "hausnummer": "house", "nr": "house",
	"address_line2": "line2", "adresszusatz": "line2",
	"postal_code": "zip", "zip": "zip", "plz": "zip",
	"city": "city", "ort": "city", "stadt": "city",
	"state": "state", "country": "country", "land": "country",
	"email": "email", "e-mail": "email", "phone": "phone", "telefon": "phone",
	"packstation": "locker", "postnummer": "postno",
	"weight_g": "weight_g", "gewicht_g": "weight_g", "weight_kg": "weight_kg", "gewicht_kg": "weight_kg", "gewicht": "weight_kg",
	"length_mm": "length", "width_mm": "width", "height_mm": "height", "laenge_mm": "length", "breite_mm": "width", "hoehe_mm": "height",
	"value": "value", "wert": "value", "currency": "currency", "waehrung": "currency",
	"channel": "channel", "kanal": "channel", "shop_ref": "shop_ref", "product_hint": "hint", "produkt": "hint",
	"contents": "contents", "inhalt": "contents",
}

func importCSV(data []byte) ([]apitype.Order, []apitype.ImportIssue, error) {
	first, _, _ := bytes.Cut(data, []byte("\n"))
	r := csv.NewReader(bytes.NewReader(data))
	if bytes.Count(first, []byte(";")) > bytes.Count(first, []byte(",")) {
		r.Comma = ';'
	}
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		return nil, nil, i18n.Wrap(err, "packing.import.csv_header")
	}
	col := map[string]int{}
	var unknown []string
	for i, h := range header {
		key := strings.ToLower(strings.TrimSpace(h))
		if c, ok := csvColumns[key]; ok {
			col[c] = i
		} else if key != "" {
			unknown = append(unknown, h)
		}
	}
	if _, ok := col["ref"]; !ok {
		return nil, nil, i18n.E("packing.import.no_ref_column", "columns", strings.Join(header, ", "))
	}
	var orders []apitype.Order
	var issues []apitype.ImportIssue
	if len(unknown) > 0 {
		issues = append(issues, issue(1, "", i18n.E("packing.import.columns_ignored", "columns", strings.Join(unknown, ", "))))
	}
	for row := 2; ; row++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			issues = append(issues, apitype.ImportIssue{Row: row, Problem: err.Error()})
			continue
		}
		get := func(c string) string {
			if i, ok := col[c]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		o := apitype.Order{Ref: get("ref"), ShopRef: get("shop_ref"), Channel: get("channel"), ProductHint: get("hint"),
			Currency: get("currency"), Recipient: apitype.OrderAddress{Name: get("name"), Company: get("company"),
				Street: get("street"), HouseNumber: get("house"), AddressLine2: get("line2"), PostalCode: get("zip"),
				City: get("city"), State: get("state"), Country: get("country"), Email: get("email"), Phone: get("phone"),
				LockerID: get("locker"), PostNumber: get("postno")}}
		var bad []i18n.Message
		num := func(c string, scale float64) int {
			v := get(c)
			if v == "" {
				return 0
			}
			f, err := i18n.ParseDecimal(v)
			if err != nil || f < 0 {
				bad = append(bad, i18n.Message{ID: "packing.import.not_a_number", Args: []any{"column", c, "value", v}})
				return 0
			}
			return int(f*scale + 0.5)
		}
		o.WeightGrams = num("weight_g", 1)
		if g := num("weight_kg", 1000); g > 0 {
			o.WeightGrams = g
		}
		o.LengthMM, o.WidthMM, o.HeightMM = num("length", 1), num("width", 1), num("height", 1)
		o.ValueCents = int64(num("value", 100))
		if c := get("contents"); c != "" {
			o.Contents = []apitype.OrderItem{{Description: c, Quantity: 1, ValueCents: o.ValueCents, WeightGrams: o.WeightGrams}}
		}
		if len(bad) > 0 {
			issues = append(issues, issue(row, o.Ref, i18n.E("packing.import.bad_values", "problems", bad)))
			continue
		}
		if err := CheckOrder(&o); err != nil {
			issues = append(issues, issue(row, o.Ref, err))
			continue
		}
		orders = append(orders, o)
	}
	return orders, issues, nil
}
