package privateshipping

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Forbidden are the characters DHL Online Franking refuses in any field.
const Forbidden = "?*^!#%$:{}[]"

// AddressType is how DHL reads an address, decided by its fields.
type AddressType string

// Address types of the document.
const (
	TypeStreet      AddressType = "street"      // German street address
	TypeParcelShop  AddressType = "parcel_shop" // street "Postfiliale"
	TypePackstation AddressType = "packstation" // street "Packstation"
	TypeProvince    AddressType = "province"    // outside Germany
)

// Special street values that make an address a pickup location.
const (
	StreetParcelShop  = "Postfiliale"
	StreetPackstation = "Packstation"
)

// TypeOf tells which address type a receiver is.
func TypeOf(a Address) AddressType {
	switch {
	case strings.EqualFold(strings.TrimSpace(a.Street), StreetPackstation):
		return TypePackstation
	case strings.EqualFold(strings.TrimSpace(a.Street), StreetParcelShop):
		return TypeParcelShop
	case a.Country != "" && !strings.EqualFold(a.Country, "DEU"):
		return TypeProvince
	}
	return TypeStreet
}

// Problem codes of InputError.
const (
	ProblemNotLatin1 = "not_latin1" // a character outside ISO-8859-1
	ProblemForbidden = "forbidden"  // one of ?*^!#%$:{}[]
	ProblemRequired  = "required"   // a field the address type needs is empty
	ProblemFormat    = "format"     // wrong shape (postal code, country, Postnummer …)
	ProblemSender    = "sender"     // the sender is not a German street address
	ProblemProduct   = "product"    // unknown product, service or destination
	ProblemTooLong   = "too_long"
)

// InputError is one field DHL would refuse, found before anything is sent.
// Field is the request's JSON path, e.g. "items[0].address.receiver.name2".
type InputError struct {
	Field   string
	Problem string
	Char    rune   // the offending character (not_latin1, forbidden)
	Suggest string // a transliteration DHL accepts (not_latin1)
	Want    string // what the field must be (format, required)
}

func (e *InputError) Error() string {
	switch e.Problem {
	case ProblemNotLatin1:
		s := fmt.Sprintf("%s: %q (U+%04X) is not allowed: DHL Online Franking accepts only ISO-8859-1 (Latin-1)", e.Field, e.Char, e.Char)
		if e.Suggest != "" {
			s += fmt.Sprintf("; write %q instead", e.Suggest)
		}
		return s
	case ProblemForbidden:
		return fmt.Sprintf("%s: %q is not allowed (DHL refuses any of %s)", e.Field, e.Char, Forbidden)
	case ProblemRequired:
		return fmt.Sprintf("%s is required (%s)", e.Field, e.Want)
	case ProblemTooLong:
		return fmt.Sprintf("%s is too long (%s)", e.Field, e.Want)
	default:
		return fmt.Sprintf("%s: %s", e.Field, e.Want)
	}
}

// InputErrors are every problem of a request, found in one pass.
type InputErrors []*InputError

func (es InputErrors) Error() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	return "the cart would be refused: " + strings.Join(parts, "; ")
}

// AsInputErrors returns the input problems in err's chain.
func AsInputErrors(err error) (InputErrors, bool) {
	var es InputErrors
	if errors.As(err, &es) {
		return es, true
	}
	var e *InputError
	if errors.As(err, &e) {
		return InputErrors{e}, true
	}
	return nil, false
}

// transliterations for characters that do not decompose into Latin-1.
var transliterations = map[rune]string{
	'Ł': "L", 'ł': "l", 'Đ': "D", 'đ': "d", 'Ħ': "H", 'ħ': "h", 'ı': "i", 'Œ': "OE", 'œ': "oe",
	'€': "EUR", '–': "-", '—': "-", '‐': "-", '‑': "-", '„': "\"", '“': "\"", '”': "\"", '‚': "'",
	'‘': "'", '’': "'", '…': "...", '•': "-", 'ẞ': "SS", 'Ŀ': "L", 'ŀ': "l", 'ſ': "s", '\u00a0': " ",
	'\u2009': " ", '\u202f': " ", 'Ș': "S", 'ș': "s", 'Ț': "T", 'ț': "t",
}

// Transliterate returns s with every character outside Latin-1 replaced by
// one DHL accepts (accents dropped where Latin-1 lacks the letter: "ł" → "l",
// "Š" → "S"; "€" → "EUR"); ok is false if something could not be replaced.
func Transliterate(s string) (out string, ok bool) {
	ok = true
	var b strings.Builder
	for _, r := range s {
		if r <= 0xFF && !unicode.IsControl(r) {
			b.WriteRune(r)
			continue
		}
		if t, found := transliterations[r]; found {
			b.WriteString(t)
			continue
		}
		// Decompose, keep the base letters that are Latin-1, drop marks.
		var base strings.Builder
		good := true
		for _, d := range norm.NFD.String(string(r)) {
			switch {
			case unicode.Is(unicode.Mn, d):
			case d <= 0xFF && !unicode.IsControl(d):
				base.WriteRune(d)
			default:
				good = false
			}
		}
		if !good || base.Len() == 0 {
			ok = false
			b.WriteRune('_')
			continue
		}
		// Recompose: "e" + nothing stays "e", a Latin-1 composite comes back.
		b.WriteString(norm.NFC.String(base.String()))
	}
	return b.String(), ok
}

// checkText reports the first character DHL refuses in a field's value.
func checkText(field, v string) *InputError {
	for _, r := range v {
		if strings.ContainsRune(Forbidden, r) {
			return &InputError{Field: field, Problem: ProblemForbidden, Char: r}
		}
		if r > 0xFF || unicode.IsControl(r) || r == '\uFFFD' {
			sug, _ := Transliterate(v)
			if sug == v {
				sug = ""
			}
			return &InputError{Field: field, Problem: ProblemNotLatin1, Char: r, Suggest: sug}
		}
	}
	return nil
}

var (
	germanPLZ  = regexp.MustCompile(`^[0-9]{5}$`)
	postNumber = regexp.MustCompile(`^[0-9]{6,10}$`)
	digits     = regexp.MustCompile(`^[0-9]{1,4}$`)
	alpha3     = regexp.MustCompile(`^[A-Z]{3}$`)
	email      = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
	isoDate    = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
)

// fieldMax are the longest values the frontend takes (the document gives
// none; these follow DHL's Parcel DE address limits, 50 for names and
// streets, 40 for cities).
var fieldMax = map[string]int{"name1": 50, "name2": 50, "name3": 50, "street": 50, "streetNumber": 10,
	"addressAddition1": 50, "addressAddition2": 50, "plz": 10, "city": 40, "province": 35, "email": 80, "phone": 20}

func fields(a Address) [][2]string {
	return [][2]string{{"name1", a.Name1}, {"name2", a.Name2}, {"name3", a.Name3}, {"street", a.Street},
		{"streetNumber", a.StreetNumber}, {"addressAddition1", a.AddressAddition1},
		{"addressAddition2", a.AddressAddition2}, {"plz", a.PLZ}, {"city", a.City}, {"province", a.Province},
		{"country", a.Country}, {"email", a.Email}, {"phone", a.Phone}}
}

// ValidateAddress returns every problem of one address at path (e.g.
// "items[0].address.receiver"); sender addresses must be German street
// addresses with an email.
func ValidateAddress(path string, a Address, sender bool) InputErrors {
	var errs InputErrors
	add := func(field, problem, want string) {
		errs = append(errs, &InputError{Field: path + "." + field, Problem: problem, Want: want})
	}
	for _, f := range fields(a) {
		if e := checkText(path+"."+f[0], f[1]); e != nil {
			errs = append(errs, e)
		}
		if max := fieldMax[f[0]]; max > 0 && len([]rune(f[1])) > max {
			add(f[0], ProblemTooLong, fmt.Sprintf("at most %d characters", max))
		}
	}
	t := TypeOf(a)
	if sender && t != TypeStreet {
		add("street", ProblemSender, "the sender must be a German street address (no Packstation, Postfiliale or foreign address)")
		t = TypeStreet
	}
	need := func(field, v, want string) {
		if strings.TrimSpace(v) == "" {
			add(field, ProblemRequired, want)
		}
	}
	switch t {
	case TypeStreet:
		need("name2", a.Name2, "first and last name")
		need("street", a.Street, "street name")
		need("streetNumber", a.StreetNumber, "house number")
		need("city", a.City, "city")
		if a.PLZ == "" {
			add("plz", ProblemRequired, "5-digit postal code")
		} else if !germanPLZ.MatchString(a.PLZ) {
			add("plz", ProblemFormat, "a German postal code has 5 digits")
		}
	case TypeParcelShop, TypePackstation:
		kind := "Packstation"
		if t == TypeParcelShop {
			kind = "Postfiliale / Paketshop"
		}
		need("name1", a.Name1, "the receiver's first and last name")
		if a.Name2 == "" {
			add("name2", ProblemRequired, "the receiver's Postnummer (for a "+kind+")")
		} else if !postNumber.MatchString(a.Name2) {
			add("name2", ProblemFormat, "the Postnummer has 6 to 10 digits")
		}
		if a.StreetNumber == "" {
			add("streetNumber", ProblemRequired, "the number of the "+kind)
		} else if !digits.MatchString(a.StreetNumber) {
			add("streetNumber", ProblemFormat, "the number of the "+kind+" (digits only)")
		}
		need("city", a.City, "city")
		if a.PLZ == "" {
			add("plz", ProblemRequired, "5-digit postal code")
		} else if !germanPLZ.MatchString(a.PLZ) {
			add("plz", ProblemFormat, "a German postal code has 5 digits")
		}
		if a.Country != "" && !strings.EqualFold(a.Country, "DEU") {
			add("country", ProblemFormat, kind+" addresses are in Germany (DEU)")
		}
	case TypeProvince:
		need("name2", a.Name2, "first and last name")
		need("street", a.Street, "street name")
		need("streetNumber", a.StreetNumber, "house number")
		need("plz", a.PLZ, "postal code")
		need("city", a.City, "city")
	}
	if a.Country == "" {
		if t != TypeParcelShop && t != TypePackstation {
			add("country", ProblemRequired, "ISO 3166 alpha-3 country code, e.g. DEU")
		}
	} else if !alpha3.MatchString(a.Country) {
		add("country", ProblemFormat, "ISO 3166 alpha-3 country code in capitals, e.g. DEU")
	}
	if sender {
		if a.Email == "" {
			add("email", ProblemRequired, "the sender's email address")
		}
		if a.Country != "" && a.Country != "DEU" {
			add("country", ProblemSender, "the sender must be in Germany (DEU)")
		}
	}
	if a.Email != "" && !email.MatchString(a.Email) {
		add("email", ProblemFormat, "an email address like name@example.com")
	}
	return errs
}

// Validate checks a cart request against the catalog (nil: products are not
// checked) and returns every problem, or nil.
func Validate(req CartRequest, catalog []Product) error {
	var errs InputErrors
	if len(req.Items) == 0 && req.Pickup == nil {
		errs = append(errs, &InputError{Field: "items", Problem: ProblemRequired, Want: "at least one parcel, or a pickup"})
	}
	byID := map[string]Product{}
	for _, p := range catalog {
		byID[p.ID] = p
	}
	for i, it := range req.Items {
		path := fmt.Sprintf("items[%d]", i)
		errs = append(errs, ValidateAddress(path+".address.sender", it.Address.Sender, true)...)
		errs = append(errs, ValidateAddress(path+".address.receiver", it.Address.Receiver, false)...)
		if it.ProductID == "" {
			errs = append(errs, &InputError{Field: path + ".productId", Problem: ProblemRequired, Want: "a product of the catalog"})
			continue
		}
		if catalog == nil {
			continue
		}
		p, ok := byID[it.ProductID]
		if !ok {
			errs = append(errs, &InputError{Field: path + ".productId", Problem: ProblemProduct,
				Want: fmt.Sprintf("product %q is not in the catalog", it.ProductID)})
			continue
		}
		if c := it.Address.Receiver.Country; c != "" && !p.Ships(c) {
			errs = append(errs, &InputError{Field: path + ".address.receiver.country", Problem: ProblemProduct,
				Want: fmt.Sprintf("%s does not ship to %s", p.Name, c)})
		}
		if it.WeightGrams > 0 && p.MaxWeightGrams > 0 && it.WeightGrams > p.MaxWeightGrams {
			errs = append(errs, &InputError{Field: path + ".weightGrams", Problem: ProblemProduct,
				Want: fmt.Sprintf("%s takes at most %d g", p.Name, p.MaxWeightGrams)})
		}
		for j, s := range it.Services {
			if _, ok := p.Service(s); !ok {
				errs = append(errs, &InputError{Field: fmt.Sprintf("%s.services[%d]", path, j), Problem: ProblemProduct,
					Want: fmt.Sprintf("%s has no service %q", p.Name, s)})
			}
		}
	}
	if pk := req.Pickup; pk != nil {
		errs = append(errs, ValidateAddress("pickup.address", pk.Address, true)...)
		if !isoDate.MatchString(pk.Date) {
			errs = append(errs, &InputError{Field: "pickup.date", Problem: ProblemFormat, Want: "a date as YYYY-MM-DD"})
		}
		if e := checkText("pickup.location", pk.Location); e != nil {
			errs = append(errs, e)
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}
