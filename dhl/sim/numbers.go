package sim

import (
	"fmt"
	"hash/fnv"
	"strings"
	"unicode"
)

// seedSerial starts the shipment serials at a point derived from the seed.
func seedSerial(seed int64) uint64 {
	if seed < 0 {
		seed = -seed
	}
	return 10_000_000_000 + uint64(seed%80_000_000)*1000
}

// shipmentNumber builds a 20-digit number like DHL's (AI 00, an SSCC with
// the 340434 prefix, GS1 check digit).
func shipmentNumber(serial uint64) string {
	body := fmt.Sprintf("00340434%011d", serial%100_000_000_000)
	return body + string(rune('0'+gs1Check(body[2:])))
}

// gs1Check is the GS1 mod-10 check digit (weights 3 and 1 from the right).
func gs1Check(digits string) int {
	sum := 0
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if (len(digits)-1-i)%2 == 0 {
			d *= 3
		}
		sum += d
	}
	return (10 - sum%10) % 10
}

// dpCheck is Deutsche Post's check digit for Leitcode and Identcode
// (weights 4 and 9 alternating from the left).
func dpCheck(digits string) int {
	sum := 0
	for i, c := range digits {
		w := 4
		if i%2 == 1 {
			w = 9
		}
		sum += int(c-'0') * w
	}
	return (10 - sum%10) % 10
}

// leitcode builds the 14-digit routing code of a German address: postal
// code, street code, house number, product code, check digit.
func leitcode(postalCode, street, house string) string {
	h := fnv.New32a()
	h.Write([]byte(strings.ToLower(street)))
	num := 0
	for _, r := range house {
		if !unicode.IsDigit(r) {
			break
		}
		num = num*10 + int(r-'0')
		if num > 999 {
			num %= 1000
		}
	}
	body := fmt.Sprintf("%s%03d%03d%02d", postalCode, h.Sum32()%1000, num, 1)
	return body + string(rune('0'+dpCheck(body)))
}

// internationalRoutingCode is the routing code printed for parcels abroad.
func internationalRoutingCode(country, postalCode string) string {
	var b strings.Builder
	b.WriteString("2L")
	b.WriteString(country)
	for _, r := range strings.ToUpper(postalCode) {
		if (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	s := b.String()
	if len(s) > 35 {
		s = s[:35]
	}
	return s
}
